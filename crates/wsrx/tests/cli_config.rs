//! `--config FILE`: `wsrx serve` and `wsrx send` take their options from TOML files
//! (the file's keys are the long options), and a command-line option wins over the file.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code"
)]

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

const SCT: &str = "urn:uuid:1c0f1600-0000-4c0f-8000-00000000c0f1";
const SECRET: &str = "Y29uZmlnLWZpbGUtdGVzdC1zY3Qtc2VjcmV0LTMyYiE=";

#[test]
fn serve_and_send_read_their_options_from_toml_files() {
    let dir = std::env::temp_dir().join(format!("wsrx-cli-config-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let bin = env!("CARGO_BIN_EXE_wsrx");
    let ring = common::keyring(&dir);
    let port = common::free_port();
    let serve_toml = dir.join("serve.toml");
    std::fs::write(
        &serve_toml,
        format!(
            "# wsrx serve\nlisten = \"127.0.0.1:{port}\"\nstore = {:?}\nkeyring = {:?}\n\
             sct-id = \"{SCT}\"\nsct-secret = \"{SECRET}\"\nmax_sequences = 4\n",
            dir.join("server.db").display().to_string(),
            ring.display().to_string()
        ),
    )
    .unwrap();
    let mut child = Command::new(bin)
        .args(["serve", "--config"])
        .arg(&serve_toml)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert!(line.contains(&format!("127.0.0.1:{port}")), "{line}");
    let _serve = common::Serve(child);

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
    let out = Command::new(bin)
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
    let out = Command::new(bin)
        .args(["serve", "--config"])
        .arg(&bad)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--no-such-option"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
}
