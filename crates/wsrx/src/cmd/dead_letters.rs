//! `wsrx store dead-letters list|replay|drop`: the gateway's dead letters (issue 22).
//! Works while `wsrx serve --forward` runs on the same store (SQLite in WAL mode): a
//! sequence held on a dead letter continues once it is replayed or dropped.

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::Subcommand;
use wsrx_runtime::gateway;
use wsrx_runtime::persist::Persistence;
use wsrx_store::{AnyBackend, Backend as _, Batch, Store};

/// `wsrx store dead-letters …`
#[derive(Debug, Subcommand)]
pub(crate) enum DeadLetterCommand {
    /// One line per dead letter: sequence, number, action, attempts, reason (tab
    /// separated); with --payload, the payload follows on the next line.
    List {
        /// Also print each payload.
        #[arg(long)]
        payload: bool,
    },
    /// POST a dead letter to the backend again (`Wsrx-Replay: true`, same
    /// `Idempotency-Key`); on 2xx it leaves the dead letters and counts as handed off.
    /// Exit 1 when the backend does not take it.
    Replay {
        /// The sequence.
        sequence: String,
        /// The message number.
        number: u64,
        #[command(flatten)]
        forward: Box<super::forward::ForwardArgs>,
    },
    /// Forget a dead letter without sending it (it counts as handed off).
    Drop {
        /// The sequence.
        sequence: String,
        /// The message number.
        number: u64,
    },
}

pub(crate) fn run(
    store: Store<AnyBackend>,
    command: DeadLetterCommand,
) -> anyhow::Result<ExitCode> {
    match command {
        DeadLetterCommand::List { payload } => {
            let letters = gateway::dead_letters(&store)?;
            for l in &letters {
                println!(
                    "{}\t{}\t{}\t{}\t{}",
                    l.sequence, l.number, l.action, l.attempts, l.reason
                );
                if payload {
                    println!("{}", l.payload);
                }
            }
            eprintln!("{} dead letters", letters.len());
        }
        DeadLetterCommand::Replay {
            sequence,
            number,
            forward,
        } => {
            let config = forward
                .config()?
                .context("replay needs --forward URL (the backend)")?;
            let rt = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
            let persistence = Persistence::new(Arc::new(store));
            match rt.block_on(gateway::replay(config, persistence, &sequence, number)) {
                Ok(status) => println!("replayed {sequence}:{number}: HTTP {status}"),
                Err(e) => {
                    eprintln!("wsrx store: replay of {sequence}:{number} failed: {e}");
                    return Ok(ExitCode::from(1));
                }
            }
        }
        DeadLetterCommand::Drop { sequence, number } => {
            let known = gateway::dead_letters(&store)?
                .iter()
                .any(|l| l.sequence == sequence && l.number == number);
            anyhow::ensure!(known, "no dead letter {sequence}:{number}");
            let live = store
                .backend()
                .records()?
                .iter()
                .any(|r| r.sequence == sequence);
            let mut batch = Batch::default();
            batch.dead_letter_deletes.push((sequence.clone(), number));
            if live {
                batch.handoffs.push((sequence.clone(), number));
            }
            store.commit(batch)?;
            println!("dropped {sequence}:{number}");
        }
    }
    Ok(ExitCode::SUCCESS)
}
