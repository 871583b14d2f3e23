//! The `wsrx` command: `demo` (a secured RM flow on loopback, end to end), `serve`
//! (the RM destination with an echo service), `send` (a secured sequence to a
//! destination), `proxy` (a local HTTP sidecar sending what applications POST on a
//! secured sequence), `keys` (key rings for the sealed store), `store` (operations on a
//! store), `verify` (offline check of a captured message), `bench` (throughput and
//! latency of the whole secured, durable flow on loopback) and `policy` (what a WSDL's
//! WS-Policy means for wsrx).
//!
//! This binary is the only place that names a concrete store backend (SQLite).
#![forbid(unsafe_code)]

mod cmd;
mod config_file;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// WS-ReliableMessaging secured by WS-SecureConversation.
#[derive(Debug, Parser)]
#[command(name = "wsrx", version, about, long_about = None, args_override_self = true)]
struct Cli {
    /// Read options from a TOML file: each key is a long option of the subcommand
    /// (`listen = "127.0.0.1:8080"`, `sct-id = ["…", "…"]`, `allow-unbound-sequences =
    /// true`); options on the command line win over the file.
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<std::path::PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run a client and a server on loopback and walk through a secured RM sequence.
    Demo(cmd::demo::Args),
    /// Serve the RM destination with the echo service.
    Serve(Box<cmd::serve::Args>),
    /// Create a secured sequence to a destination and send echo messages on it.
    Send(Box<cmd::send::Args>),
    /// A local HTTP sidecar: applications POST plain SOAP, wsrx sends it secured and
    /// reliably to a destination.
    Proxy(Box<cmd::proxy::Args>),
    /// Key rings that seal the store.
    Keys(cmd::keys::Args),
    /// Inspect and maintain a store.
    Store(cmd::store::Args),
    /// Check a captured message's security header offline with given SCT secrets.
    Verify(cmd::verify::Args),
    /// Measure throughput and latency of secured, durable one-way messages on loopback.
    Bench(cmd::bench::Args),
    /// Read the WS-Policy of a WSDL or policy document: show, normalize, check, assertions.
    Policy(cmd::policy::Args),
}

/// Logs go to stderr through `tracing`, filtered by `WSRX_LOG` (or `RUST_LOG`), e.g.
/// `WSRX_LOG=wsrx_runtime=debug`; warnings and errors by default. Secrets are never
/// logged (the libraries log identifiers, never keys).
fn init_logging() {
    let filter = std::env::var("WSRX_LOG")
        .or_else(|_| std::env::var("RUST_LOG"))
        .unwrap_or_else(|_| "warn".to_owned());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_writer(std::io::stderr)
        .try_init();
}

fn main() -> ExitCode {
    init_logging();
    let cli = match config_file::expand(std::env::args_os().collect()) {
        Ok(args) => Cli::parse_from(args),
        Err(e) => {
            eprintln!("wsrx: {e:#}");
            return ExitCode::from(2);
        }
    };
    let result = match cli.command {
        Command::Demo(args) => cmd::demo::run(args),
        Command::Serve(args) => cmd::serve::run(*args),
        Command::Send(args) => cmd::send::run(*args),
        Command::Proxy(args) => cmd::proxy::run(*args),
        Command::Keys(args) => cmd::keys::run(args),
        Command::Store(args) => cmd::store::run(args),
        Command::Verify(args) => cmd::verify::run(args),
        Command::Bench(args) => cmd::bench::run(args),
        Command::Policy(args) => cmd::policy::run(args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("wsrx: {e:#}");
            ExitCode::from(2)
        }
    }
}
