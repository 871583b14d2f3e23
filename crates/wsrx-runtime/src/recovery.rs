//! Token persistence: security context tokens go into the store beside the sequences
//! bound to them, and come back from it at start-up (mission step 1: "sequences and
//! their sealed tokens come back from the store").
//!
//! The seam ([`TokenProvider`](crate::token::TokenProvider)):
//! - `take_changes()` hands the runtime the tokens the provider established, renewed
//!   or ended since the last call ([`TokenChange`]). The client calls it right after
//!   `token_for` and commits the changes **before** the Source is created, so the
//!   `SourceCreated` record (committed when the CreateSequenceResponse arrives) never
//!   names a token the store does not hold. After that it adds them to the batch of
//!   every drain (and drains as soon as the provider signals a renewal or a loss,
//!   [`TokenProvider::changes`](crate::token::TokenProvider::changes)), so a renewed
//!   token (same Identifier, new key and `wsc:Instance`, WS-SC 1.4 §7) replaces the
//!   stored one and a restarted client comes back with the instance the server holds. The server calls it after every WS-Trust
//!   request its token service answered and commits **before** the RSTR is sent
//!   (commit-before-send): a token a client holds is always in the server's store.
//! - `adopt(tokens)` seeds the provider with the live tokens read from
//!   [`Snapshot::tokens`](wsrx_store::Snapshot) at start, so `token_for` returns the
//!   recovered SCT (no new RST) and the resolver verifies and protects with it.
//!
//! [`recover`] sorts a snapshot's tokens: live ones are adopted; expired ones are
//! deleted from the store, and the sequences bound to them are reported by the caller
//! as an explicit error (never silently rebound to another token, WS-SC binding rule).
//!
//! ## Serialization and sealing
//! A token is serialized by `wsrx_sc::sealed::to_plain`, the plaintext layout of the
//! sealed SCT blobs: `format (0x01) ‖ str identifier ‖ u8 has_instance ‖
//! [str instance] ‖ bytes secret ‖ i64 created_ms ‖ i64 expires_ms ‖ u8 ws-sc version
//! (1 = 200512, 2 = 2005/02) ‖ str endpoint`, `str`/`bytes` a big-endian u16 length and
//! the bytes, built in a zeroizing buffer. It is **not sealed a second time**: the store
//! seals every token row with AES-256-GCM under its key ring, with associated data
//! binding the row to this store, the token table and the identifier, which is exactly
//! what `wsrx_sc::sealed::seal` would add; a second layer under the same ring would
//! protect nothing more. `wsrx store rewrap` re-seals token rows with the rest.
//!
//! What it does not do: renew tokens (the WS-Trust session's task, [`crate::trust`]).
//! The token service's own table comes back through `adopt` (the issuer restores the
//! contexts), so a Renew or a Cancel of a context issued before a restart, or by another
//! node on the same PostgreSQL store, is answered (`tests/cluster_tokens.rs`).

use std::time::{SystemTime, UNIX_EPOCH};

use wsrx_sc::EstablishedSct;
use wsrx_store::{Batch, RecoveredToken, Snapshot, TokenPut};
use zeroize::Zeroizing;

use crate::error::RuntimeError;

/// A change to the durable token set.
#[derive(Debug, Clone)]
pub enum TokenChange {
    /// Store (or replace, after a renewal) this token.
    Put(EstablishedSct),
    /// Forget this token (cancelled or lost).
    Delete(String),
}

/// Adds `changes` to `batch`.
///
/// # Errors
/// [`RuntimeError::Token`] when a token cannot be serialized (a field over 65535 bytes).
pub fn add_changes(batch: &mut Batch, changes: &[TokenChange]) -> Result<(), RuntimeError> {
    for change in changes {
        match change {
            TokenChange::Put(t) => {
                let row = to_put(t)?;
                if let Some(ms) = row.expires_at_ms {
                    crate::metrics::token_expiry(row.identifier.clone(), ms as f64 / 1000.0);
                }
                batch.tokens.push(row);
            }
            TokenChange::Delete(id) => {
                crate::metrics::token_expiry(id.clone(), 0.0);
                batch.token_deletes.push(id.clone());
            }
        }
    }
    Ok(())
}

/// The store row for `token`.
///
/// # Errors
/// [`RuntimeError::Token`] when a field is over 65535 bytes.
pub fn to_put(token: &EstablishedSct) -> Result<TokenPut, RuntimeError> {
    Ok(TokenPut {
        identifier: token.identifier.clone(),
        expires_at_ms: Some(millis(token.expires)),
        serialized: serialize(token)?,
    })
}

/// Serializes `token` (layout in the module docs).
///
/// # Errors
/// [`RuntimeError::Token`] when a field is over 65535 bytes.
pub fn serialize(t: &EstablishedSct) -> Result<Zeroizing<Vec<u8>>, RuntimeError> {
    let plain = wsrx_sc::sealed::to_plain(t)
        .map_err(|_| RuntimeError::Token("token field too long to store".into()))?;
    Ok(Zeroizing::new(plain.expose_secret().to_vec()))
}

/// Reads a recovered token row back.
///
/// # Errors
/// [`RuntimeError::Token`] naming the identifier when the row is not a token this
/// version wrote (or belongs to another identifier).
pub fn deserialize(row: &RecoveredToken) -> Result<EstablishedSct, RuntimeError> {
    wsrx_sc::sealed::from_plain(&row.serialized)
        .filter(|t| t.identifier == row.identifier)
        .ok_or_else(|| {
            RuntimeError::Token(format!(
                "stored token {} is not a token record this version can read",
                row.identifier
            ))
        })
}

/// A snapshot's tokens, sorted at `now`.
#[derive(Debug, Default)]
pub struct Recovered {
    /// Live tokens, to adopt.
    pub live: Vec<EstablishedSct>,
    /// Identifiers of expired tokens (deleted from the store by [`Recovered::batch`]).
    pub expired: Vec<String>,
}

impl Recovered {
    /// The batch deleting the expired tokens.
    pub fn batch(&self) -> Batch {
        Batch {
            token_deletes: self.expired.clone(),
            ..Batch::default()
        }
    }

    /// Whether `identifier` was recovered expired.
    pub fn is_expired(&self, identifier: &str) -> bool {
        self.expired.iter().any(|e| e == identifier)
    }
}

/// Sorts the tokens of `snapshot`. A row that does not decode is reported (by
/// identifier) and left in the store for an operator to inspect, never dropped.
pub fn recover(snapshot: &Snapshot, now: SystemTime) -> Recovered {
    let mut out = Recovered::default();
    for row in &snapshot.tokens {
        match deserialize(row) {
            Ok(t) if now < t.expires => {
                crate::metrics::token_expiry(
                    t.identifier.clone(),
                    millis(t.expires) as f64 / 1000.0,
                );
                out.live.push(t);
            }
            Ok(t) => {
                tracing::warn!(token = %t.identifier, "recovered security context has expired; forgetting it");
                out.expired.push(t.identifier);
            }
            Err(e) => tracing::warn!(error = %e, "stored token left as is"),
        }
    }
    out
}

fn millis(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
        Err(e) => i64::try_from(e.duration().as_millis()).map_or(i64::MIN, |m| -m),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]
    use super::*;
    use std::time::Duration;
    use wsrx_crypto::SecretKey;
    use wsrx_security::ScVersion;

    fn token(expires: SystemTime) -> EstablishedSct {
        EstablishedSct {
            identifier: "urn:uuid:t".into(),
            instance: Some("i2".into()),
            secret: SecretKey::from_slice(&[9; 32]),
            created: UNIX_EPOCH + Duration::from_secs(1_800_000_000),
            expires,
            version: ScVersion::V200502,
            endpoint: "http://127.0.0.1:1/rm".into(),
        }
    }

    #[test]
    fn round_trips_and_sorts_expired_tokens_out() {
        let t0 = UNIX_EPOCH + Duration::from_secs(1_800_000_100);
        let live = token(t0 + Duration::from_secs(60));
        let put = to_put(&live).unwrap();
        let row = RecoveredToken {
            identifier: put.identifier.clone(),
            expires_at_ms: put.expires_at_ms,
            serialized: put.serialized,
        };
        assert_eq!(deserialize(&row).unwrap(), live);
        let snapshot = Snapshot {
            sequences: Vec::new(),
            tokens: vec![row],
        };
        assert_eq!(recover(&snapshot, t0).live, vec![live]);
        let late = recover(&snapshot, t0 + Duration::from_secs(61));
        assert!(late.live.is_empty() && late.is_expired("urn:uuid:t"));
        assert_eq!(late.batch().token_deletes, vec!["urn:uuid:t".to_owned()]);
        // Another identifier's row does not decode as this one.
        let moved = RecoveredToken {
            identifier: "urn:uuid:other".into(),
            expires_at_ms: None,
            serialized: serialize(&token(t0)).unwrap(),
        };
        assert!(deserialize(&moved).is_err());
    }
}
