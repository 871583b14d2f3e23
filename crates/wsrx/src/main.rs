//! The `wsrx` command: `demo` (a secured RM flow on loopback, end to end), `serve`
//! (the RM destination with an echo service), `send` (a secured sequence to a
//! destination), `keys` (key rings for the sealed store), `store` (operations on a
//! store) and `verify` (offline check of a captured message).
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
    /// Run a client and a server on loopback and walk through a secured RM sequence.
    Demo(cmd::demo::Args),
    /// Serve the RM destination with the echo service.
    Serve(cmd::serve::Args),
    /// Create a secured sequence to a destination and send echo messages on it.
    Send(cmd::send::Args),
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
        Command::Demo(args) => cmd::demo::run(args),
        Command::Serve(args) => cmd::serve::run(args),
        Command::Send(args) => cmd::send::run(args),
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
