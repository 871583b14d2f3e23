//! The routes of the admin API and their OpenAPI 3.1 description: utoipa generates the
//! document from these handlers and types, so it describes what is served.
//!
//! Every answer is JSON; every failure is a [`Problem`] with the status that says who
//! should act (401 the caller, 404/409 the request, 502 the gateway's backend, 503 the
//! store). Query and path parameters are parsed here, so a malformed one is a 400
//! [`Problem`] too, never a text/plain rejection.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Serialize;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};

use super::ops::{Failure, Ops, TokenInfo};
use super::view::{self, Filter, SequenceView};
use crate::gateway::Letter;
use crate::server::SequenceCommand;

type Shared = Arc<dyn Ops>;

/// A failure: what went wrong, naming identifiers only.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// The reason.
    pub error: String,
}

/// The node's health.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok`, or `degraded` when the store does not answer.
    pub status: String,
    /// `ok` or `unavailable`.
    pub store: String,
    /// Whether a server (inbound sequences) runs here.
    pub serving: bool,
    /// Whether a gateway (dead-letter replay) runs here.
    pub gateway: bool,
    /// Seconds since the admin API started.
    pub uptime_seconds: u64,
    /// The wsrx version.
    pub version: String,
}

/// One page of sequences.
#[derive(Debug, Serialize, ToSchema)]
pub struct SequencePage {
    /// Sequences matching the filters, in all.
    pub total: u64,
    /// The first one's position.
    pub offset: u64,
    /// The page's size limit.
    pub limit: u64,
    /// The sequences, by identifier.
    pub items: Vec<SequenceView>,
}

/// What a close or terminate did.
#[derive(Debug, Serialize, ToSchema)]
pub struct Acted {
    /// The sequence.
    pub id: String,
    /// `close` or `terminate`.
    pub action: String,
    /// Its state now (`terminated`: its records are gone from the store).
    pub state: String,
}

/// A security context token (never its secret).
#[derive(Debug, Serialize, ToSchema)]
pub struct Token {
    /// The SCT identifier.
    pub identifier: String,
    /// When it expires (ms since the Unix epoch), if it does.
    pub expires_at_ms: Option<i64>,
    /// Seconds until then (negative: expired).
    pub expires_in_seconds: Option<i64>,
    /// The stored sequences bound to it.
    pub sequences: Vec<String>,
}

/// Tokens in the store.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenList {
    /// By identifier.
    pub items: Vec<Token>,
}

/// A cancelled token.
#[derive(Debug, Serialize, ToSchema)]
pub struct Cancelled {
    /// The token as it was.
    pub token: Token,
    /// Whether the running node dropped it at once (otherwise at its next start).
    pub live: bool,
}

/// A dead letter, without its payload.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeadLetter {
    /// The sequence it came on.
    pub sequence: String,
    /// Its number there.
    pub number: u64,
    /// Its WS-A action.
    pub action: String,
    /// The token its sequence is bound to.
    pub token: Option<String>,
    /// Attempts made.
    pub attempts: u32,
    /// The last failure.
    pub reason: String,
    /// When it was given up (ms since the Unix epoch).
    pub at_ms: u64,
}

/// A dead letter with its payload.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeadLetterDetail {
    /// The letter.
    pub letter: DeadLetter,
    /// The body element as it would be forwarded.
    pub payload: String,
}

/// Dead letters.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeadLetterList {
    /// By sequence, then number.
    pub items: Vec<DeadLetter>,
}

/// A replayed dead letter.
#[derive(Debug, Serialize, ToSchema)]
pub struct Replayed {
    /// The sequence.
    pub sequence: String,
    /// The number.
    pub number: u64,
    /// The backend's HTTP status (2xx).
    pub backend_status: u16,
}

/// A purged dead letter.
#[derive(Debug, Serialize, ToSchema)]
pub struct Purged {
    /// The sequence.
    pub sequence: String,
    /// The number.
    pub number: u64,
}

/// One audited action.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntry {
    /// When (ms since the Unix epoch).
    pub at_ms: i64,
    /// `{action, target, ok, outcome}`.
    #[schema(value_type = Object)]
    pub entry: serde_json::Value,
}

/// The audit trail, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditList {
    /// The entries.
    pub items: Vec<AuditEntry>,
}

pub(super) fn problem(status: StatusCode, error: impl Into<String>) -> Response {
    (
        status,
        Json(Problem {
            error: error.into(),
        }),
    )
        .into_response()
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        match self {
            Self::NotFound(t) => problem(StatusCode::NOT_FOUND, t),
            Self::Conflict(t) => problem(StatusCode::CONFLICT, t),
            Self::Backend(t) => problem(StatusCode::BAD_GATEWAY, t),
            Self::Unavailable(t) => problem(StatusCode::SERVICE_UNAVAILABLE, t),
        }
    }
}

/// A request that carried the right bearer token.
pub(crate) struct Authorized;

/// Equal bytes, in time independent of where they differ.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl FromRequestParts<Shared> for Authorized {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, ops: &Shared) -> Result<Self, Response> {
        let given = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        if given.is_some_and(|t| same(t.trim().as_bytes(), ops.token().as_bytes())) {
            return Ok(Self);
        }
        tracing::warn!(
            target: "wsrx::audit",
            path = %parts.uri.path(),
            with_token = given.is_some(),
            "admin request refused: no or wrong bearer token"
        );
        let mut r = problem(StatusCode::UNAUTHORIZED, "a valid bearer token is required");
        r.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            header::HeaderValue::from_static("Bearer"),
        );
        Err(r)
    }
}

/// The routes (see the module docs of [`super`]); the OpenAPI document's route and the
/// fallback are added by [`super`], which joins these to the console's.
pub(super) fn router(ops: Shared) -> Router {
    Router::new()
        .route("/admin/health", get(health))
        .route("/admin/sequences", get(list_sequences))
        .route("/admin/sequences/{id}", get(show_sequence))
        .route("/admin/sequences/{id}/close", post(close_sequence))
        .route("/admin/sequences/{id}/terminate", post(terminate_sequence))
        .route("/admin/tokens", get(list_tokens))
        .route("/admin/tokens/{id}/cancel", post(cancel_token))
        .route("/admin/dead-letters", get(list_dead_letters))
        .route(
            "/admin/dead-letters/{sequence}/{number}",
            get(show_dead_letter).delete(purge_dead_letter),
        )
        .route(
            "/admin/dead-letters/{sequence}/{number}/replay",
            post(replay_dead_letter),
        )
        .route("/admin/audit", get(list_audit))
        .with_state(ops)
}

struct BearerScheme;

impl Modify for BearerScheme {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "wsrx admin API",
        description = "Sequences, tokens and dead letters of one wsrx node. Every route but this document needs `Authorization: Bearer <token>`; every change is audited."
    ),
    paths(
        health,
        list_sequences,
        show_sequence,
        close_sequence,
        terminate_sequence,
        list_tokens,
        cancel_token,
        list_dead_letters,
        show_dead_letter,
        replay_dead_letter,
        purge_dead_letter,
        list_audit
    ),
    modifiers(&BearerScheme),
    security(("bearer" = []))
)]
pub(super) struct ApiDoc;

#[utoipa::path(get, path = "/admin/health", tag = "health",
    responses(
        (status = 200, description = "The node's health", body = Health),
        (status = 401, description = "No or a wrong bearer token", body = Problem),
    ))]
async fn health(_: Authorized, State(ops): State<Shared>) -> Response {
    let h = ops.health().await;
    Json(Health {
        status: if h.store_ok { "ok" } else { "degraded" }.to_owned(),
        store: if h.store_ok { "ok" } else { "unavailable" }.to_owned(),
        serving: h.serving,
        gateway: h.gateway,
        uptime_seconds: h.uptime_seconds,
        version: env!("CARGO_PKG_VERSION").to_owned(),
    })
    .into_response()
}

const DEFAULT_LIMIT: u64 = 100;
const MAX_LIMIT: u64 = 500;

/// A numeric query parameter, or why it is malformed.
fn number(q: &HashMap<String, String>, key: &str, default: u64, max: u64) -> Result<u64, String> {
    match q.get(key) {
        None => Ok(default),
        Some(v) => match v.parse::<u64>() {
            Ok(n) if n <= max => Ok(n),
            _ => Err(format!("{key} must be an integer from 0 to {max}")),
        },
    }
}

#[utoipa::path(get, path = "/admin/sequences", tag = "sequences",
    params(
        ("role" = Option<String>, Query, description = "Only `source` or `destination` sequences"),
        ("state" = Option<String>, Query, description = "Only sequences in this state (`active`, `closed`, …)"),
        ("token" = Option<String>, Query, description = "Only sequences bound to this token"),
        ("offset" = Option<u64>, Query, description = "Skip this many", minimum = 0, maximum = 9_007_199_254_740_991_u64),
        ("limit" = Option<u64>, Query, description = "At most this many (default 100)", minimum = 1, maximum = 500),
    ),
    responses(
        (status = 200, description = "One page of the stored sequences", body = SequencePage),
        (status = 400, description = "A malformed parameter", body = Problem),
        (status = 401, description = "No or a wrong bearer token", body = Problem),
        (status = 503, description = "The store failed", body = Problem),
    ))]
async fn list_sequences(
    _: Authorized,
    State(ops): State<Shared>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let offset = match number(&q, "offset", 0, 9_007_199_254_740_991) {
        Ok(n) => n,
        Err(e) => return problem(StatusCode::BAD_REQUEST, e),
    };
    let limit = match number(&q, "limit", DEFAULT_LIMIT, MAX_LIMIT) {
        Ok(0) => return problem(StatusCode::BAD_REQUEST, "limit must be at least 1"),
        Ok(n) => n,
        Err(e) => return problem(StatusCode::BAD_REQUEST, e),
    };
    let filter = Filter {
        role: q.get("role").cloned(),
        state: q.get("state").cloned(),
        token: q.get("token").cloned(),
    };
    match ops.sequences().await {
        Ok(all) => {
            let matching: Vec<SequenceView> =
                all.into_iter().filter(|v| filter.admits(v)).collect();
            let (total, items) = view::page(
                &matching,
                usize::try_from(offset).unwrap_or(usize::MAX),
                usize::try_from(limit).unwrap_or(usize::MAX),
            );
            Json(SequencePage {
                total: total as u64,
                offset,
                limit,
                items,
            })
            .into_response()
        }
        Err(f) => f.into_response(),
    }
}

#[utoipa::path(get, path = "/admin/sequences/{id}", tag = "sequences",
    params(("id" = String, Path, description = "The sequence identifier")),
    responses(
        (status = 200, description = "The sequence", body = SequenceView),
        (status = 401, description = "No or a wrong bearer token", body = Problem),
        (status = 404, description = "No such sequence in the store", body = Problem),
        (status = 503, description = "The store failed", body = Problem),
    ))]
async fn show_sequence(
    _: Authorized,
    State(ops): State<Shared>,
    Path(id): Path<String>,
) -> Response {
    match ops.sequences().await {
        Ok(all) => match all.into_iter().find(|v| v.id == id) {
            Some(v) => Json(v).into_response(),
            None => problem(
                StatusCode::NOT_FOUND,
                format!("no sequence {id} in the store"),
            ),
        },
        Err(f) => f.into_response(),
    }
}

async fn act(ops: &Shared, id: String, command: SequenceCommand) -> Response {
    let action = match command {
        SequenceCommand::Close => "close",
        SequenceCommand::Terminate => "terminate",
    };
    match ops.command(id.clone(), command).await {
        Ok(v) => Json(Acted {
            id,
            action: action.to_owned(),
            state: v.map_or_else(|| "terminated".to_owned(), |v| v.state),
        })
        .into_response(),
        Err(f) => f.into_response(),
    }
}

#[utoipa::path(post, path = "/admin/sequences/{id}/close", tag = "sequences",
    params(("id" = String, Path, description = "An inbound sequence served here")),
    responses(
        (status = 200, description = "Closed, live: no new messages; the source is told (CloseSequence, final acknowledgement)", body = Acted),
        (status = 401, description = "No or a wrong bearer token", body = Problem),
        (status = 404, description = "No such live inbound sequence on this node", body = Problem),
        (status = 409, description = "Not in a state that can be closed, or no server here", body = Problem),
        (status = 503, description = "The store failed", body = Problem),
    ))]
async fn close_sequence(
    _: Authorized,
    State(ops): State<Shared>,
    Path(id): Path<String>,
) -> Response {
    act(&ops, id, SequenceCommand::Close).await
}

#[utoipa::path(post, path = "/admin/sequences/{id}/terminate", tag = "sequences",
    params(("id" = String, Path, description = "An inbound sequence served here")),
    responses(
        (status = 200, description = "Terminated, live: the source is told; the records are gone", body = Acted),
        (status = 401, description = "No or a wrong bearer token", body = Problem),
        (status = 404, description = "No such live inbound sequence on this node", body = Problem),
        (status = 409, description = "Messages accepted and not yet handed over, or no server here", body = Problem),
        (status = 503, description = "The store failed", body = Problem),
    ))]
async fn terminate_sequence(
    _: Authorized,
    State(ops): State<Shared>,
    Path(id): Path<String>,
) -> Response {
    act(&ops, id, SequenceCommand::Terminate).await
}

fn token_of(t: TokenInfo, now_ms: i64) -> Token {
    Token {
        expires_in_seconds: t.expires_at_ms.map(|e| e.saturating_sub(now_ms) / 1000),
        identifier: t.identifier,
        expires_at_ms: t.expires_at_ms,
        sequences: t.sequences,
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

#[utoipa::path(get, path = "/admin/tokens", tag = "tokens",
    responses(
        (status = 200, description = "The tokens in the store, with their expiry (never a secret)", body = TokenList),
        (status = 401, description = "No or a wrong bearer token", body = Problem),
        (status = 503, description = "The store failed", body = Problem),
    ))]
async fn list_tokens(_: Authorized, State(ops): State<Shared>) -> Response {
    match ops.tokens().await {
        Ok(all) => {
            let now = now_ms();
            Json(TokenList {
                items: all.into_iter().map(|t| token_of(t, now)).collect(),
            })
            .into_response()
        }
        Err(f) => f.into_response(),
    }
}

#[utoipa::path(post, path = "/admin/tokens/{id}/cancel", tag = "tokens",
    params(("id" = String, Path, description = "The SCT identifier")),
    responses(
        (status = 200, description = "Deleted from the store (and dropped by the running node where it can)", body = Cancelled),
        (status = 401, description = "No or a wrong bearer token", body = Problem),
        (status = 404, description = "No such token in the store", body = Problem),
        (status = 503, description = "The store failed", body = Problem),
    ))]
async fn cancel_token(
    _: Authorized,
    State(ops): State<Shared>,
    Path(id): Path<String>,
) -> Response {
    match ops.cancel_token(id).await {
        Ok((t, live)) => Json(Cancelled {
            token: token_of(t, now_ms()),
            live,
        })
        .into_response(),
        Err(f) => f.into_response(),
    }
}

fn letter_of(l: &Letter) -> DeadLetter {
    DeadLetter {
        sequence: l.sequence.clone(),
        number: l.number,
        action: l.action.clone(),
        token: l.bound_to.clone(),
        attempts: l.attempts,
        reason: l.reason.clone(),
        at_ms: l.at_ms,
    }
}

#[utoipa::path(get, path = "/admin/dead-letters", tag = "dead letters",
    responses(
        (status = 200, description = "The gateway's dead letters (without payloads)", body = DeadLetterList),
        (status = 401, description = "No or a wrong bearer token", body = Problem),
        (status = 503, description = "The store failed", body = Problem),
    ))]
async fn list_dead_letters(_: Authorized, State(ops): State<Shared>) -> Response {
    match ops.dead_letters().await {
        Ok(all) => Json(DeadLetterList {
            items: all.iter().map(letter_of).collect(),
        })
        .into_response(),
        Err(f) => f.into_response(),
    }
}

/// The message number of a dead-letter path, or `None` (answered 400).
fn letter_number(number: &str) -> Option<u64> {
    number.parse::<u64>().ok()
}

fn bad_number() -> Response {
    problem(StatusCode::BAD_REQUEST, "number must be a message number")
}

#[utoipa::path(get, path = "/admin/dead-letters/{sequence}/{number}", tag = "dead letters",
    params(
        ("sequence" = String, Path, description = "The sequence"),
        ("number" = u64, Path, description = "The message number", minimum = 1),
    ),
    responses(
        (status = 200, description = "The dead letter with its payload", body = DeadLetterDetail),
        (status = 400, description = "A malformed number", body = Problem),
        (status = 401, description = "No or a wrong bearer token", body = Problem),
        (status = 404, description = "No such dead letter", body = Problem),
        (status = 503, description = "The store failed", body = Problem),
    ))]
async fn show_dead_letter(
    _: Authorized,
    State(ops): State<Shared>,
    Path((sequence, number)): Path<(String, String)>,
) -> Response {
    let Some(number) = letter_number(&number) else {
        return bad_number();
    };
    match ops.dead_letters().await {
        Ok(all) => match all
            .iter()
            .find(|l| l.sequence == sequence && l.number == number)
        {
            Some(l) => Json(DeadLetterDetail {
                letter: letter_of(l),
                payload: l.payload.clone(),
            })
            .into_response(),
            None => problem(
                StatusCode::NOT_FOUND,
                format!("no dead letter {sequence}:{number}"),
            ),
        },
        Err(f) => f.into_response(),
    }
}

#[utoipa::path(post, path = "/admin/dead-letters/{sequence}/{number}/replay", tag = "dead letters",
    params(
        ("sequence" = String, Path, description = "The sequence"),
        ("number" = u64, Path, description = "The message number", minimum = 1),
    ),
    responses(
        (status = 200, description = "The backend took it (2xx): it left the dead letters, and a sequence holding on it continues", body = Replayed),
        (status = 400, description = "A malformed number", body = Problem),
        (status = 401, description = "No or a wrong bearer token", body = Problem),
        (status = 404, description = "No such dead letter", body = Problem),
        (status = 409, description = "No gateway on this node", body = Problem),
        (status = 502, description = "The backend did not take it; it stays a dead letter", body = Problem),
        (status = 503, description = "The store failed", body = Problem),
    ))]
async fn replay_dead_letter(
    _: Authorized,
    State(ops): State<Shared>,
    Path((sequence, number)): Path<(String, String)>,
) -> Response {
    let Some(number) = letter_number(&number) else {
        return bad_number();
    };
    match ops.replay(sequence.clone(), number).await {
        Ok(status) => Json(Replayed {
            sequence,
            number,
            backend_status: status,
        })
        .into_response(),
        Err(f) => f.into_response(),
    }
}

#[utoipa::path(delete, path = "/admin/dead-letters/{sequence}/{number}", tag = "dead letters",
    params(
        ("sequence" = String, Path, description = "The sequence"),
        ("number" = u64, Path, description = "The message number", minimum = 1),
    ),
    responses(
        (status = 200, description = "Purged without sending: it counts as handed off", body = Purged),
        (status = 400, description = "A malformed number", body = Problem),
        (status = 401, description = "No or a wrong bearer token", body = Problem),
        (status = 404, description = "No such dead letter", body = Problem),
        (status = 503, description = "The store failed", body = Problem),
    ))]
async fn purge_dead_letter(
    _: Authorized,
    State(ops): State<Shared>,
    Path((sequence, number)): Path<(String, String)>,
) -> Response {
    let Some(number) = letter_number(&number) else {
        return bad_number();
    };
    match ops.purge(sequence.clone(), number).await {
        Ok(()) => Json(Purged { sequence, number }).into_response(),
        Err(f) => f.into_response(),
    }
}

#[utoipa::path(get, path = "/admin/audit", tag = "audit",
    responses(
        (status = 200, description = "Every audited action, oldest first", body = AuditList),
        (status = 401, description = "No or a wrong bearer token", body = Problem),
        (status = 503, description = "The store failed", body = Problem),
    ))]
async fn list_audit(_: Authorized, State(ops): State<Shared>) -> Response {
    match ops.audit_trail().await {
        Ok(rows) => Json(AuditList {
            items: rows
                .into_iter()
                .map(|r| AuditEntry {
                    at_ms: r.at_ms,
                    entry: serde_json::from_str(&r.entry)
                        .unwrap_or(serde_json::Value::String(r.entry)),
                })
                .collect(),
        })
        .into_response(),
        Err(f) => f.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_is_openapi_3_1_and_names_every_route() {
        let doc: serde_json::Value =
            serde_json::from_str(&ApiDoc::openapi().to_pretty_json().unwrap_or_default())
                .unwrap_or_default();
        assert_eq!(doc.get("openapi").and_then(|v| v.as_str()), Some("3.1.0"));
        let paths = doc
            .get("paths")
            .and_then(|p| p.as_object())
            .cloned()
            .unwrap_or_default();
        for p in [
            "/admin/health",
            "/admin/sequences",
            "/admin/sequences/{id}",
            "/admin/sequences/{id}/close",
            "/admin/sequences/{id}/terminate",
            "/admin/tokens",
            "/admin/tokens/{id}/cancel",
            "/admin/dead-letters",
            "/admin/dead-letters/{sequence}/{number}",
            "/admin/dead-letters/{sequence}/{number}/replay",
            "/admin/audit",
        ] {
            assert!(paths.contains_key(p), "{p} missing");
        }
        let scheme = doc
            .pointer("/components/securitySchemes/bearer/scheme")
            .and_then(|v| v.as_str());
        assert_eq!(scheme, Some("bearer"));
    }

    #[test]
    fn tokens_compare_whole() {
        assert!(same(b"abcdef", b"abcdef"));
        assert!(!same(b"abcdef", b"abcdeg"));
        assert!(!same(b"abc", b"abcdef"));
    }
}
