//! Sending the held messages of a failed sequence again, on another sequence to the same
//! destination (`wsrx store resend ID`, and `wsrx send --on-undelivered resend` where
//! the delivery assurance allows it).
//!
//! A sequence that ended before its messages were acknowledged keeps them in the store
//! (`StoreOp::SourceFailed`, issue 15). Each held message is stored on the new sequence
//! in the same commit that records it resent (`OutboundResent`) and drops the failed
//! sequence's copy, so a crash leaves it in exactly one place; it then stays in the store
//! until the new sequence's acknowledgement covers it. Whether a resend may duplicate a
//! message the destination got but never acknowledged is the operator's call for
//! ExactlyOnce (see `docs/store-recovery.md`).

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use wsrx_rm::wire::WireProfile;
use wsrx_rm::{Recovered, RmVersion, Source, SourceConfig};
use wsrx_runtime::client::{Client, ClientConfig};
use wsrx_runtime::error::RuntimeError;
use wsrx_runtime::persist::{Persistence, decode_log};
use wsrx_runtime::tls::ClientTls;
use wsrx_runtime::token::TokenProvider;
use wsrx_soap::SoapVersion;
use wsrx_store::{Backend, Role};

/// How to reach the destination again.
pub(crate) struct Route {
    /// The wire dialect (`None`: from the failed sequence's RM version).
    pub(crate) profile: Option<WireProfile>,
    pub(crate) soap: SoapVersion,
    pub(crate) tls: ClientTls,
    pub(crate) retransmit: Option<Duration>,
    /// Leave the new sequence open afterwards.
    pub(crate) no_terminate: bool,
}

/// The held messages of failed sequence `id` in the store, if it is one.
pub(crate) async fn held<B: Backend>(
    persistence: &Persistence<B>,
    id: &str,
) -> anyhow::Result<wsrx_rm::HeldSequence> {
    let snapshot = persistence.load().await?;
    let log = snapshot
        .sequences
        .iter()
        .find(|l| l.sequence == id && l.role == Role::Source)
        .with_context(|| format!("no source sequence {id} in the store"))?;
    let ops = decode_log(&log.records)?;
    match Source::recover(
        wsrx_rm::Timestamp(0),
        SourceConfig::default(),
        &ops,
        Box::new(|| 0),
    )? {
        Recovered::Held(h) => Ok(h),
        Recovered::Live(_) => {
            anyhow::bail!("sequence {id} is live: `wsrx send` with its --to resumes it")
        }
        Recovered::Gone => anyhow::bail!("sequence {id} ended with nothing undelivered"),
    }
}

/// The failed sequences to `to` that still hold messages: (identifier, held numbers).
pub(crate) async fn held_to<B: Backend>(
    persistence: &Persistence<B>,
    to: &str,
) -> anyhow::Result<Vec<(String, String)>> {
    let snapshot = persistence.load().await?;
    let mut out = Vec::new();
    for log in snapshot.sequences.iter().filter(|l| l.role == Role::Source) {
        let ops = decode_log(&log.records)?;
        if let Recovered::Held(h) = Source::recover(
            wsrx_rm::Timestamp(0),
            SourceConfig::default(),
            &ops,
            Box::new(|| 0),
        )? && h.to.0 == to
            && !h.held.is_empty()
        {
            let numbers = h.report(wsrx_rm::UndeliveredPolicy::Hold).numbers_text();
            out.push((log.sequence.clone(), numbers));
        }
    }
    Ok(out)
}

/// Sends the held messages of failed sequence `id` on a sequence to the same destination
/// (a live one in the store is resumed, else one is created); waits until they are all
/// acknowledged. Exit 0 when they are, 3 when that sequence fails too (they stay held).
pub(crate) async fn resend<B: Backend>(
    persistence: Persistence<B>,
    tokens: Arc<dyn TokenProvider>,
    id: &str,
    route: Route,
) -> anyhow::Result<ExitCode> {
    let held = held(&persistence, id).await?;
    if held.held.is_empty() {
        println!("sequence {id}: every undelivered message was already resent");
        return Ok(ExitCode::SUCCESS);
    }
    let profile = route.profile.unwrap_or(match held.version {
        RmVersion::V1_1 => WireProfile::Rm11,
        RmVersion::V1_0 => WireProfile::Rm10Wcf,
    });
    let mut config = ClientConfig::new(&held.to.0);
    config.profile = profile;
    config.soap = route.soap;
    config.tls = route.tls;
    if let Some(d) = route.retransmit {
        config.source.retransmission.base = d;
    }
    let client = Client::start(config, persistence, tokens, None).await?;
    let new_id = match client.created().await {
        Ok(id) => id,
        // CreateSequenceRefused (WS-RM 1.1 §3.4) or no answer: nothing moved.
        Err(e @ RuntimeError::SequenceEnded(_)) => {
            eprintln!(
                "wsrx: no new sequence to {} ({e}); messages {} of sequence {id} stay held",
                held.to.0,
                held.report(wsrx_rm::UndeliveredPolicy::Hold).numbers_text()
            );
            client.shutdown();
            return Ok(ExitCode::from(UNDELIVERED));
        }
        Err(e) => return Err(e.into()),
    };
    let numbers = held.report(wsrx_rm::UndeliveredPolicy::Hold).numbers_text();
    println!(
        "resending messages {numbers} of sequence {id} ({}) on sequence {new_id} to {}",
        held.reason, held.to.0
    );
    let receipts = match client.resend_held(&held).await {
        Ok(r) => r,
        Err(RuntimeError::Undelivered { undelivered }) => {
            return Ok(undelivered_exit(&client, &undelivered));
        }
        Err(e) => return Err(e.into()),
    };
    match client.flush().await {
        Ok(()) => {}
        Err(RuntimeError::Undelivered { undelivered }) => {
            return Ok(undelivered_exit(&client, &undelivered));
        }
        Err(e) => return Err(e.into()),
    }
    let acked = client.stored_acknowledgements().await?;
    let all = receipts.iter().all(|r| {
        acked
            .iter()
            .any(|a| a.lower <= r.number && r.number <= a.upper)
    });
    anyhow::ensure!(
        all,
        "the store does not hold an acknowledgement for every resent message"
    );
    println!(
        "all {} resent messages acknowledged on sequence {new_id}",
        receipts.len()
    );
    if !route.no_terminate {
        if profile == WireProfile::Rm11 {
            client.close().await?;
        }
        client.terminate().await?;
        println!("sequence {new_id} terminated");
    }
    client.shutdown();
    Ok(ExitCode::SUCCESS)
}

/// The exit code of `wsrx send` and `wsrx store resend` when messages are undelivered.
pub(crate) const UNDELIVERED: u8 = 3;

/// Reports undelivered messages on stderr; the exit code for them.
pub(crate) fn undelivered_exit<B: Backend>(
    client: &Client<B>,
    undelivered: &wsrx_rm::Undelivered,
) -> ExitCode {
    eprintln!(
        "wsrx: {}",
        RuntimeError::Undelivered {
            undelivered: undelivered.clone()
        }
    );
    client.shutdown();
    ExitCode::from(UNDELIVERED)
}

/// Seconds (fractions allowed) as a duration, for the command-line options.
pub(crate) fn seconds(text: &str) -> Result<Duration, String> {
    let v: f64 = text
        .parse()
        .map_err(|_| format!("{text:?} is not a number of seconds"))?;
    if !(v.is_finite() && v > 0.0) {
        return Err(format!("{text:?} is not a positive number of seconds"));
    }
    Ok(Duration::from_secs_f64(v))
}
