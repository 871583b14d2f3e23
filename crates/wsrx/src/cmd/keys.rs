//! `wsrx keys`: create and rotate key-ring files.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::Subcommand;
use wsrx_crypto::{KeyId, OsRandom, SecureRandom};
use wsrx_store::{KeyRing, KeyRingSource};

/// `wsrx keys …`
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(subcommand)]
    command: Keys,
}

#[derive(Debug, Subcommand)]
enum Keys {
    /// Create a key-ring file with one new random key (mode 0600; refuses to overwrite).
    Generate {
        /// Where to write it.
        file: PathBuf,
    },
    /// Put a new active key in front of an existing ring (old keys stay to open old rows;
    /// run `wsrx store rewrap` afterwards, then retire them).
    Rotate {
        /// The key-ring file.
        file: PathBuf,
    },
    /// Print the ids of the keys in a ring, active first (never the keys).
    List {
        /// The key-ring file.
        file: PathBuf,
    },
}

/// A new random key as 64 hex digits, with its id.
pub(crate) fn new_key_hex() -> anyhow::Result<(String, KeyId)> {
    let key = OsRandom
        .generate_key(wsrx_store::KEK_LEN)
        .context("randomness unavailable")?;
    let hex: String = key
        .expose_secret()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok((hex, KeyId::of(&key)))
}

fn write_private(file: &PathBuf, text: &str, create_new: bool) -> anyhow::Result<()> {
    let mut options = OpenOptions::new();
    options.write(true);
    if create_new {
        options.create_new(true);
    } else {
        options.truncate(true);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut f = options
        .open(file)
        .with_context(|| format!("cannot write {}", file.display()))?;
    f.write_all(text.as_bytes())?;
    f.sync_all()?;
    Ok(())
}

pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        Keys::Generate { file } => {
            if file.exists() {
                bail!(
                    "{} exists; use `wsrx keys rotate` to add a key",
                    file.display()
                );
            }
            let (hex, id) = new_key_hex()?;
            write_private(
                &file,
                &format!("# wsrx key ring: active key first\n{hex}\n"),
                true,
            )?;
            println!("created {} with key {id}", file.display());
        }
        Keys::Rotate { file } => {
            let old = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            KeyRing::from_file(&file)?;
            let (hex, id) = new_key_hex()?;
            let body: String = old
                .lines()
                .filter(|l| !l.starts_with("# wsrx key ring"))
                .map(|l| format!("{l}\n"))
                .collect();
            write_private(
                &file,
                &format!("# wsrx key ring: active key first\n{hex}\n{body}"),
                false,
            )?;
            println!("new active key {id}; run `wsrx store rewrap` to re-seal old rows");
        }
        Keys::List { file } => {
            for (i, id) in KeyRing::from_file(&file)?.ids().iter().enumerate() {
                println!("{id}{}", if i == 0 { "  (active)" } else { "" });
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
