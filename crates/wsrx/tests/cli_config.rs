//! `--config FILE`: `wsrx serve` and `wsrx send` take their options from TOML files
//! (the file's keys are the long options), and a command-line option wins over the file.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code"
)]

use wsrx_test::fixture::cli::{Serve, Workdir, text};

const SCT: &str = "urn:uuid:1c0f1600-0000-4c0f-8000-00000000c0f1";
const SECRET: &str = "Y29uZmlnLWZpbGUtdGVzdC1zY3Qtc2VjcmV0LTMyYiE=";

#[test]
fn serve_and_send_read_their_options_from_toml_files() {
    let w = Workdir::new(env!("CARGO_BIN_EXE_wsrx"), "cli-config");
    let (dir, ring) = (&w.dir, &w.ring);
    let serve_toml = dir.join("serve.toml");
    std::fs::write(
        &serve_toml,
        format!(
            "# wsrx serve\nlisten = \"127.0.0.1:0\"\nstore = {:?}\nkeyring = {:?}\n\
             sct-id = \"{SCT}\"\nsct-secret = \"{SECRET}\"\nmax_sequences = 4\n",
            dir.join("server.db").display().to_string(),
            ring.display().to_string()
        ),
    )
    .unwrap();
    let mut serve = w.cmd();
    serve.args(["serve", "--config"]).arg(&serve_toml);
    let serve = Serve::start(&mut serve);
    // The file's listen address (port 0: the OS's choice) is used, not the default 8080.
    let port = serve.addr.port();
    assert!(
        serve.banner.contains(&format!("127.0.0.1:{port}")) && port != 8080,
        "{}",
        serve.banner
    );

    let send_toml = dir.join("send.toml");
    std::fs::write(
        &send_toml,
        format!(
            "to = \"http://127.0.0.1:{port}/rm\"\ncount = 99\nrequest-reply = true\n\
             store = {:?}\nkeyring = {:?}\nsct-id = \"{SCT}\"\nsct-secret = \"{SECRET}\"\n",
            dir.join("client.db").display().to_string(),
            ring.display().to_string()
        ),
    )
    .unwrap();
    // --count on the command line overrides the file's 99.
    let out = w
        .cmd()
        .args(["send", "--count", "2", "--timeout", "30", "--config"])
        .arg(&send_toml)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("all 2 messages acknowledged"), "{stdout}");

    // A key that is no option is refused with the parser's message.
    let bad = dir.join("bad.toml");
    std::fs::write(&bad, "no-such-option = 1\n").unwrap();
    let out = w
        .cmd()
        .args(["serve", "--config"])
        .arg(&bad)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(text(&out).contains("--no-such-option"), "{}", text(&out));
    drop(serve);
}
