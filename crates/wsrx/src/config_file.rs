//! `--config FILE`: a TOML file of command options.
//!
//! Every key is a long option of the subcommand, as in `wsrx <command> --help`, with
//! its dashes or with underscores (`listen = "0.0.0.0:8443"`, `max-sequences = 1000`,
//! `allow_unbound_sequences = true`). A string or number is the option's value; `true`
//! turns a switch on (`false` leaves it off); an array gives a repeatable option several
//! times (`sct-id = ["urn:uuid:…", "urn:uuid:…"]`). Nested tables are refused.
//!
//! The file's options come first and the command line's after them, so an option given
//! on the command line wins over the file (repeatable options accumulate). Unknown keys
//! are reported by the option parser like unknown flags.

use std::ffi::OsString;
use std::path::Path;

use anyhow::Context;

/// Expands `--config FILE` (or `--config=FILE`) in `args` into the file's options, placed
/// right after the subcommand name. Arguments without `--config` come back unchanged.
///
/// # Errors
/// The file cannot be read or is not a flat TOML table of option values.
pub(crate) fn expand(args: Vec<OsString>) -> anyhow::Result<Vec<OsString>> {
    let mut rest = Vec::with_capacity(args.len());
    let mut config = None;
    let mut it = args.into_iter();
    while let Some(a) = it.next() {
        let text = a.to_string_lossy();
        if text == "--config" {
            let path = it.next().context("--config needs a file")?;
            config = Some(path);
        } else if let Some(path) = text.strip_prefix("--config=") {
            config = Some(OsString::from(path));
        } else {
            rest.push(a);
        }
    }
    let Some(path) = config else {
        return Ok(rest);
    };
    let options = options_of(Path::new(&path))?;
    // Program name, then the subcommand, then the file's options, then the rest.
    let split = rest.len().min(2);
    let tail = rest.split_off(split);
    rest.extend(options);
    rest.extend(tail);
    Ok(rest)
}

/// The file's options as command-line arguments.
fn options_of(path: &Path) -> anyhow::Result<Vec<OsString>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read configuration file {}", path.display()))?;
    let table: toml::Table = text
        .parse()
        .with_context(|| format!("{} is not valid TOML", path.display()))?;
    let mut out = Vec::new();
    for (key, value) in &table {
        let flag = format!("--{}", key.replace('_', "-"));
        push(&mut out, &flag, value)
            .with_context(|| format!("{}: option {key:?}", path.display()))?;
    }
    Ok(out)
}

fn push(out: &mut Vec<OsString>, flag: &str, value: &toml::Value) -> anyhow::Result<()> {
    match value {
        toml::Value::String(s) => {
            out.push(flag.into());
            out.push(s.into());
        }
        toml::Value::Integer(i) => {
            out.push(flag.into());
            out.push(i.to_string().into());
        }
        toml::Value::Float(f) => {
            out.push(flag.into());
            out.push(f.to_string().into());
        }
        toml::Value::Boolean(true) => out.push(flag.into()),
        toml::Value::Boolean(false) => {}
        toml::Value::Array(items) => {
            for item in items {
                anyhow::ensure!(
                    !matches!(item, toml::Value::Array(_) | toml::Value::Table(_)),
                    "arrays hold plain values"
                );
                push(out, flag, item)?;
            }
        }
        toml::Value::Datetime(d) => {
            out.push(flag.into());
            out.push(d.to_string().into());
        }
        toml::Value::Table(_) => anyhow::bail!("nested tables are not options"),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[OsString]) -> Vec<String> {
        v.iter().map(|s| s.to_string_lossy().into_owned()).collect()
    }

    #[test]
    fn file_options_go_after_the_subcommand_and_before_the_command_line() {
        let dir = std::env::temp_dir().join(format!("wsrx-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("serve.toml");
        std::fs::write(
            &file,
            "listen = \"127.0.0.1:9000\"\nmax_sequences = 7\nallow-unbound-sequences = true\n\
             quiet = false\nsct-id = [\"urn:uuid:a\", \"urn:uuid:b\"]\n",
        )
        .unwrap();
        let args: Vec<OsString> = ["wsrx", "serve", "--config"]
            .iter()
            .map(OsString::from)
            .chain([
                file.clone().into_os_string(),
                "--listen".into(),
                "[::1]:1".into(),
            ])
            .collect();
        let out = strings(&expand(args).unwrap());
        assert_eq!(
            out,
            [
                "wsrx",
                "serve",
                "--allow-unbound-sequences",
                "--listen",
                "127.0.0.1:9000",
                "--max-sequences",
                "7",
                "--sct-id",
                "urn:uuid:a",
                "--sct-id",
                "urn:uuid:b",
                "--listen",
                "[::1]:1",
            ]
        );
        std::fs::write(&file, "[tls]\ncert = \"x\"\n").unwrap();
        let err = expand(vec![
            "wsrx".into(),
            "serve".into(),
            "--config".into(),
            file.into(),
        ])
        .unwrap_err();
        assert!(format!("{err:#}").contains("nested tables"), "{err:#}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn arguments_without_config_are_unchanged() {
        let args: Vec<OsString> = ["wsrx", "send", "--count", "3"]
            .iter()
            .map(OsString::from)
            .collect();
        assert_eq!(expand(args.clone()).unwrap(), args);
    }
}
