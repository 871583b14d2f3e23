//! What an application sees of the server: the [`Handler`] it implements, what each
//! delivered message comes with ([`DeliveryInfo`]), and the [`ServerConfig`] it starts
//! the server with. Plain data; the server's workings are in `server.rs` and its modules.

use wsrx_rm::{DeliveryAssurance, DestinationConfig, SourceConfig};
use wsrx_security::ReplayLimits;
use wsrx_soap::Fault;

use crate::pipeline::InboundConfig;
use crate::token::BoxFuture;

/// What the application is told with each delivered message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryInfo {
    /// The sequence.
    pub sequence: String,
    /// The message number.
    pub number: u64,
    /// The WS-A action.
    pub action: String,
    /// The SCT identifier the sequence is bound to.
    pub bound_to: Option<String>,
    /// The delivery assurance in force.
    pub assurance: DeliveryAssurance,
    /// Whether delivery is in order.
    pub in_order: bool,
    /// Handed over again after a restart (the previous hand-over may or may not have
    /// completed).
    pub redelivered: bool,
}

/// How an action is exchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// No response.
    OneWay,
    /// A response goes back to the requester.
    RequestReply,
}

/// A response payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The response's WS-A action.
    pub action: String,
    /// The body element (XML declaring its namespaces).
    pub payload: String,
}

/// The application behind a [`Server`](super::Server).
pub trait Handler: Send + Sync + 'static {
    /// Whether `action` is one-way or request-reply.
    fn operation(&self, action: &str) -> Operation;

    /// A one-way message, delivered per [`DeliveryInfo::assurance`].
    fn one_way<'a>(&'a self, payload: String, info: DeliveryInfo) -> BoxFuture<'a, ()>;

    /// A request; the response (or a fault) goes back to the requester.
    fn request<'a>(
        &'a self,
        payload: String,
        info: DeliveryInfo,
    ) -> BoxFuture<'a, Result<Reply, Fault>>;
}

/// Default replay-cache quotas: 30,000 entries per identity (50 signed messages a second
/// sustained over the default 600 s window: 300 s maximum age + 300 s skew) and 500,000 in
/// all (about 75 MB at most).
pub const DEFAULT_REPLAY_LIMITS: ReplayLimits = ReplayLimits {
    per_identity: 30_000,
    total: 500_000,
};

/// Server settings.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// The RM Destination settings (the version is set per RM version served).
    pub destination: DestinationConfig,
    /// The inbound pipeline settings.
    pub inbound: InboundConfig,
    /// The address clients send to (the Destination's local endpoint).
    pub endpoint: String,
    /// Replay-cache quotas: per signing identity and in all (each entry lives for the
    /// verifier's maximum message age plus the clock skew after its Created).
    pub replay_limits: ReplayLimits,
    /// Journal the replay cache beside this path (the store file): a restart, even after
    /// SIGKILL, then still refuses messages seen before it (`crate::replay`). `None`
    /// keeps it in memory only.
    pub replay_journal: Option<std::path::PathBuf>,
    /// The settings of the Sources of offered sequences (duplex responses); the version
    /// follows the forward sequence's.
    pub offered: SourceConfig,
    /// What sequences without a token may do (`crate::sequence_security`); the
    /// Destination's `require_binding` is set from it by the caller.
    pub security: crate::sequence_security::SequenceSecurity,
    /// The WSDL published at `GET <endpoint>?wsdl` (the one the server was configured
    /// from); `None`: one generated from `inbound.policy` ([`crate::published`]).
    pub wsdl: Option<String>,
}

/// The server's default bound on the messages per sequence delivered to the handler and
/// not yet finished ([`DestinationConfig::delivery_backlog`]): the server reports each
/// finished delivery, so it can bound its queue (back-pressure).
pub const DEFAULT_DELIVERY_BACKLOG: usize = 64;

/// The server's default quota of messages kept for delivery per identity
/// ([`DestinationConfig::max_pending_per_identity`]): five sequences' worth of
/// `DEFAULT_DELIVERY_BACKLOG` plus a full reorder buffer (96 each), rounded.
pub const DEFAULT_PENDING_PER_IDENTITY: usize = 512;

/// The server's default quota of messages kept for delivery in all
/// ([`DestinationConfig::max_pending`]): sixteen identities at their quota.
pub const DEFAULT_PENDING_TOTAL: usize = 8_192;

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            destination: DestinationConfig {
                delivery_backlog: DEFAULT_DELIVERY_BACKLOG,
                max_pending_per_identity: DEFAULT_PENDING_PER_IDENTITY,
                max_pending: DEFAULT_PENDING_TOTAL,
                ..DestinationConfig::default()
            },
            inbound: InboundConfig::default(),
            endpoint: String::new(),
            replay_limits: DEFAULT_REPLAY_LIMITS,
            replay_journal: None,
            offered: SourceConfig::default(),
            security: crate::sequence_security::SequenceSecurity::Token,
            wsdl: None,
        }
    }
}
