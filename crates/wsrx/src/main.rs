//! The `wsrx` command. Subcommands so far: `keys` (key rings for the sealed
//! store), `store` (operations on a store) and `verify` (offline check of a
//! captured message). `demo`, `serve` and `send` arrive with the runtime.
//!
//! This binary is the only place that names a concrete store backend (SQLite).
#![forbid(unsafe_code)]

mod cmd;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// WS-ReliableMessaging secured by WS-SecureConversation.
#[derive(Debug, Parser)]
#[command(name = "wsrx", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Key rings that seal the store.
    Keys(cmd::keys::Args),
    /// Inspect and maintain a store.
    Store(cmd::store::Args),
    /// Check a captured message's security header offline with given SCT secrets.
    Verify(cmd::verify::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Keys(args) => cmd::keys::run(args),
        Command::Store(args) => cmd::store::run(args),
        Command::Verify(args) => cmd::verify::run(args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("wsrx: {e:#}");
            ExitCode::from(2)
        }
    }
}
