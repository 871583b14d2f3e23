//! `wsrx store`: list, check and re-seal a store. Secrets never appear in the output.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;
use wsrx_store::{KeyRing, KeyRingSource, Role, SqliteBackend, SqliteOptions, Store};

/// `wsrx store …`
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The store file.
    #[arg(long, default_value = "wsrx.db")]
    store: PathBuf,
    /// Key-ring file (mode 0600). Default: the `WSRX_KEYRING` environment variable.
    #[arg(long)]
    keyring: Option<PathBuf>,
    #[command(subcommand)]
    command: StoreCommand,
}

#[derive(Debug, Subcommand)]
enum StoreCommand {
    /// List sequences (identifier, role, records, stored payloads) and tokens (identifier, expiry).
    List,
    /// Open every row and report the ones that fail, by name; exit 1 if any does.
    Check,
    /// Re-seal every row under the active key of the ring.
    Rewrap,
}

fn keyring(args: &Args) -> anyhow::Result<KeyRing> {
    Ok(match &args.keyring {
        Some(file) => KeyRing::from_file(file)?,
        None => KeyRing::from_env("WSRX_KEYRING").context("no --keyring given")?,
    })
}

fn open(args: &Args) -> anyhow::Result<Store<SqliteBackend>> {
    if !args.store.exists() {
        anyhow::bail!("no store at {}", args.store.display());
    }
    let backend = SqliteBackend::open(&args.store, SqliteOptions::default())
        .with_context(|| format!("cannot open {}", args.store.display()))?;
    Ok(Store::open(backend, keyring(args)?)?)
}

pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    let store = open(&args)?;
    match args.command {
        StoreCommand::List => {
            let snapshot = store.load()?;
            println!(
                "{:<50} {:<12} {:>8} {:>9}",
                "SEQUENCE", "ROLE", "RECORDS", "PAYLOADS"
            );
            for log in &snapshot.sequences {
                let role = match log.role {
                    Role::Source => "source",
                    Role::Destination => "destination",
                };
                println!(
                    "{:<50} {:<12} {:>8} {:>9}",
                    log.sequence,
                    role,
                    log.records.len(),
                    log.payloads.len()
                );
            }
            println!();
            println!("{:<50} {:>20}", "TOKEN", "EXPIRES (ms since epoch)");
            for t in &snapshot.tokens {
                let expires = t
                    .expires_at_ms
                    .map_or_else(|| "never".to_owned(), |e| e.to_string());
                println!("{:<50} {:>20}", t.identifier, expires);
            }
        }
        StoreCommand::Check => {
            let report = store.check()?;
            for problem in &report.problems {
                println!("BAD  {problem}");
            }
            println!("{} rows ok, {} bad", report.ok, report.problems.len());
            if !report.problems.is_empty() {
                return Ok(ExitCode::from(1));
            }
        }
        StoreCommand::Rewrap => {
            let n = store.rewrap()?;
            println!("re-sealed {n} rows under the active key");
        }
    }
    Ok(ExitCode::SUCCESS)
}
