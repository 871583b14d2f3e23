//! What the admin API does, behind an object-safe trait ([`Ops`]) so that the HTTP
//! layer ([`super::api`]) is not generic over the store backend. Store reads run on the
//! blocking pool; no lock is held across them or across a commit.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use wsrx_store::{AuditRow, Backend, Batch, Store};
use zeroize::Zeroizing;

use super::audit;
use super::view::{self, SequenceView};
use crate::error::RuntimeError;
use crate::gateway::{self, GatewayConfig, Letter};
use crate::persist::Persistence;
use crate::server::{SequenceCommand, Server};
use crate::token::{BoxFuture, TokenProvider};

/// What the admin API holds.
pub(super) struct State<B: Backend> {
    pub(super) token: Zeroizing<String>,
    pub(super) persistence: Persistence<B>,
    pub(super) server: Option<Server<B>>,
    pub(super) gateway: Option<GatewayConfig>,
    pub(super) tokens: Option<Arc<dyn TokenProvider>>,
    pub(super) metrics: Option<MetricsText>,
    pub(super) started: Instant,
}

/// Renders the node's metrics in the Prometheus text format.
pub type MetricsText = Arc<dyn Fn() -> String + Send + Sync>;

/// Why an action was not done, as the API answers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Failure {
    /// 404: nothing by that name.
    NotFound(String),
    /// 409: not in this state, or not on this node.
    Conflict(String),
    /// 502: the gateway's backend did not take a replayed message.
    Backend(String),
    /// 503: the store failed.
    Unavailable(String),
}

impl From<RuntimeError> for Failure {
    fn from(e: RuntimeError) -> Self {
        match e {
            RuntimeError::Usage(t) => Self::Conflict(t),
            RuntimeError::Rm(e) => Self::Conflict(e.to_string()),
            RuntimeError::Http(t) => Self::Backend(t),
            other => Self::Unavailable(other.to_string()),
        }
    }
}

impl From<wsrx_store::StoreError> for Failure {
    fn from(e: wsrx_store::StoreError) -> Self {
        Self::Unavailable(e.to_string())
    }
}

/// One token as the store keeps it: identifier and expiry (its secret stays sealed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TokenInfo {
    pub(crate) identifier: String,
    pub(crate) expires_at_ms: Option<i64>,
    pub(crate) sequences: Vec<String>,
}

/// The node's health.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HealthInfo {
    pub(crate) store_ok: bool,
    pub(crate) serving: bool,
    pub(crate) gateway: bool,
    pub(crate) uptime_seconds: u64,
}

/// The actions (see the module docs of [`super`]).
pub(crate) trait Ops: Send + Sync + 'static {
    /// The bearer token.
    fn token(&self) -> &str;
    fn health(&self) -> BoxFuture<'_, HealthInfo>;
    fn sequences(&self) -> BoxFuture<'_, Result<Vec<SequenceView>, Failure>>;
    fn command(
        &self,
        id: String,
        command: SequenceCommand,
    ) -> BoxFuture<'_, Result<Option<SequenceView>, Failure>>;
    fn tokens(&self) -> BoxFuture<'_, Result<Vec<TokenInfo>, Failure>>;
    fn cancel_token(&self, id: String) -> BoxFuture<'_, Result<(TokenInfo, bool), Failure>>;
    fn dead_letters(&self) -> BoxFuture<'_, Result<Vec<Letter>, Failure>>;
    fn replay(&self, sequence: String, number: u64) -> BoxFuture<'_, Result<u16, Failure>>;
    fn purge(&self, sequence: String, number: u64) -> BoxFuture<'_, Result<(), Failure>>;
    fn audit_trail(&self) -> BoxFuture<'_, Result<Vec<AuditRow>, Failure>>;
    /// A sequence's timeline (`None`: no such sequence).
    fn timeline(&self, id: String) -> BoxFuture<'_, Result<Option<Vec<String>>, Failure>>;
    /// The metrics text, when a recorder is attached.
    fn metrics(&self) -> Option<String>;
}

/// Runs `f` on the store, on the blocking pool.
async fn read<B: Backend, T: Send + 'static>(
    store: &Arc<Store<B>>,
    f: impl FnOnce(&Store<B>) -> Result<T, Failure> + Send + 'static,
) -> Result<T, Failure> {
    let store = Arc::clone(store);
    tokio::task::spawn_blocking(move || f(&store))
        .await
        .map_err(|e| Failure::Unavailable(format!("store task: {e}")))?
}

fn views<B: Backend>(store: &Store<B>) -> Result<Vec<SequenceView>, Failure> {
    Ok(store.load()?.sequences.iter().map(view::sequence).collect())
}

impl<B: Backend> State<B> {
    /// Commits the audit row of `action` on `target` (after the tracing event).
    async fn audited(&self, action: &str, target: &str, outcome: &Result<String, Failure>) {
        let row = match outcome {
            Ok(t) => audit::record(action, target, true, t),
            Err(f) => audit::record(action, target, false, &format!("{f:?}")),
        };
        let mut batch = Batch::default();
        batch.audit.push(row);
        if let Err(e) = self.persistence.commit(batch).await {
            tracing::error!(target: "wsrx::audit", error = %e, action, "the audit row was not committed");
        }
    }
}

impl<B: Backend> Ops for State<B> {
    fn token(&self) -> &str {
        &self.token
    }

    fn health(&self) -> BoxFuture<'_, HealthInfo> {
        Box::pin(async move {
            let store_ok = read(self.persistence.store(), |s| Ok(s.backend().store_id()?))
                .await
                .is_ok();
            HealthInfo {
                store_ok,
                serving: self.server.is_some(),
                gateway: self.gateway.is_some(),
                uptime_seconds: self.started.elapsed().as_secs(),
            }
        })
    }

    fn sequences(&self) -> BoxFuture<'_, Result<Vec<SequenceView>, Failure>> {
        Box::pin(read(self.persistence.store(), views))
    }

    fn command(
        &self,
        id: String,
        command: SequenceCommand,
    ) -> BoxFuture<'_, Result<Option<SequenceView>, Failure>> {
        Box::pin(async move {
            let action = match command {
                SequenceCommand::Close => "sequence.close",
                SequenceCommand::Terminate => "sequence.terminate",
            };
            let outcome = match &self.server {
                None => Err(Failure::Conflict(
                    "this node serves no sequences (no server attached)".to_owned(),
                )),
                Some(server) => match server.command_sequence(&id, command).await {
                    Ok(true) => Ok("done".to_owned()),
                    Ok(false) => Err(Failure::NotFound(format!(
                        "no live inbound sequence {id} on this node"
                    ))),
                    Err(e) => Err(Failure::from(e)),
                },
            };
            self.audited(action, &id, &outcome).await;
            outcome?;
            let all = read(self.persistence.store(), views).await?;
            Ok(all.into_iter().find(|v| v.id == id))
        })
    }

    fn tokens(&self) -> BoxFuture<'_, Result<Vec<TokenInfo>, Failure>> {
        Box::pin(read(self.persistence.store(), |store| {
            let mut bound: BTreeMap<String, Vec<String>> = BTreeMap::new();
            for v in views(store)? {
                if let Some(t) = v.token {
                    bound.entry(t).or_default().push(v.id);
                }
            }
            // Rows only: the sealed secrets are not opened.
            Ok(store
                .backend()
                .tokens()?
                .into_iter()
                .map(|row| TokenInfo {
                    sequences: bound.remove(&row.identifier).unwrap_or_default(),
                    identifier: row.identifier,
                    expires_at_ms: row.expires_at_ms,
                })
                .collect())
        }))
    }

    fn cancel_token(&self, id: String) -> BoxFuture<'_, Result<(TokenInfo, bool), Failure>> {
        Box::pin(async move {
            let all = self.tokens().await?;
            let Some(info) = all.into_iter().find(|t| t.identifier == id) else {
                let failure = Failure::NotFound(format!("no token {id} in the store"));
                self.audited("token.cancel", &id, &Err(failure.clone()))
                    .await;
                return Err(failure);
            };
            let live = self.tokens.as_ref().is_some_and(|t| t.forget(&id));
            let mut batch = Batch::default();
            batch.token_deletes.push(id.clone());
            let text = if live {
                "deleted from the store; the running node forgot it"
            } else {
                "deleted from the store"
            };
            batch
                .audit
                .push(audit::record("token.cancel", &id, true, text));
            self.persistence.commit(batch).await?;
            Ok((info, live))
        })
    }

    fn dead_letters(&self) -> BoxFuture<'_, Result<Vec<Letter>, Failure>> {
        Box::pin(read(self.persistence.store(), |store| {
            Ok(gateway::dead_letters(store)?)
        }))
    }

    fn replay(&self, sequence: String, number: u64) -> BoxFuture<'_, Result<u16, Failure>> {
        Box::pin(async move {
            let target = format!("{sequence}:{number}");
            let outcome = match &self.gateway {
                None => Err(Failure::Conflict(
                    "this node runs no gateway (no --forward backend to replay to)".to_owned(),
                )),
                Some(config) => {
                    match gateway::replay(
                        config.clone(),
                        self.persistence.clone(),
                        &sequence,
                        number,
                    )
                    .await
                    {
                        Ok(status) => Ok(status),
                        Err(RuntimeError::Usage(t)) => Err(Failure::NotFound(t)),
                        Err(e) => Err(Failure::from(e)),
                    }
                }
            };
            let said = outcome
                .clone()
                .map(|s| format!("the backend answered HTTP {s}"));
            self.audited("dead_letter.replay", &target, &said).await;
            outcome
        })
    }

    fn purge(&self, sequence: String, number: u64) -> BoxFuture<'_, Result<(), Failure>> {
        Box::pin(async move {
            let target = format!("{sequence}:{number}");
            let (known, live) = {
                let (s, n) = (sequence.clone(), number);
                read(self.persistence.store(), move |store| {
                    let known = gateway::dead_letters(store)?
                        .iter()
                        .any(|l| l.sequence == s && l.number == n);
                    let live = store.backend().records()?.iter().any(|r| r.sequence == s);
                    Ok((known, live))
                })
                .await?
            };
            if !known {
                let failure = Failure::NotFound(format!("no dead letter {target}"));
                self.audited("dead_letter.purge", &target, &Err(failure.clone()))
                    .await;
                return Err(failure);
            }
            // Purged counts as handed off: a sequence holding on it continues.
            let mut batch = Batch::default();
            batch.dead_letter_deletes.push((sequence.clone(), number));
            if live {
                batch.handoffs.push((sequence, number));
            }
            batch
                .audit
                .push(audit::record("dead_letter.purge", &target, true, "purged"));
            self.persistence.commit(batch).await?;
            Ok(())
        })
    }

    fn audit_trail(&self) -> BoxFuture<'_, Result<Vec<AuditRow>, Failure>> {
        Box::pin(read(self.persistence.store(), |store| Ok(store.audit()?)))
    }

    fn timeline(&self, id: String) -> BoxFuture<'_, Result<Option<Vec<String>>, Failure>> {
        Box::pin(read(self.persistence.store(), move |store| {
            Ok(store
                .load()?
                .sequences
                .iter()
                .find(|log| log.sequence == id)
                .map(view::timeline))
        }))
    }

    fn metrics(&self) -> Option<String> {
        self.metrics.as_ref().map(|render| render())
    }
}
