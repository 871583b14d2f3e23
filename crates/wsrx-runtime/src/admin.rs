//! The admin API (issue 22 item 3): operators list and act on sequences, tokens and the
//! gateway's dead letters over HTTP, without a shell on the box.
//!
//! - Off unless started ([`Admin::serve`]; `wsrx serve --admin 127.0.0.1:PORT`), on its
//!   own listener, meant for loopback or an operators' network.
//! - Every route but `/admin/openapi.json` needs `Authorization: Bearer <token>`, the
//!   token read from a file only its owner can read ([`read_token_file`]: mode 0600);
//!   compared in constant time; refused with 401 and `WWW-Authenticate: Bearer`.
//! - JSON in and out; the OpenAPI 3.1 document at `/admin/openapi.json` is generated from
//!   the handlers and types of [`api`] (utoipa), so it cannot drift from them.
//! - Nothing returns a secret: token rows are read sealed (identifier and expiry only),
//!   sequence views are built from records (states and numbers), and errors name
//!   identifiers only. Dead letters show their payload (the application's message, which
//!   the operator replays), never a key.
//! - Every action that changes something is audited (`audit`): a tracing event
//!   (target `wsrx::audit`) and a row in the store's audit trail, committed before the
//!   answer; refused authentications are logged too.
//! - The web console (the private `console` module) is three static files under
//!   `/admin/console/` that call this API with the token the operator types; the
//!   charts read `/admin/metrics` ([`Admin::with_metrics`]) and a sequence's page its
//!   timeline.
//! - Close and terminate take effect live, through the running [`Server`] (the
//!   Destination decides, WS-RM 1.1 §3.5/§3.6); without one they are refused (409).

pub mod api;
mod audit;
mod console;
pub mod insight;
mod ops;
pub mod view;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use utoipa::OpenApi;
use wsrx_store::Backend;
use zeroize::Zeroizing;

pub use ops::MetricsText;

use crate::error::RuntimeError;
use crate::gateway::GatewayConfig;
use crate::persist::Persistence;
use crate::server::Server;
use crate::token::TokenProvider;

/// The admin API of one node: what it reads and acts on. Cheap to clone.
pub struct Admin<B: Backend> {
    state: Arc<ops::State<B>>,
}

impl<B: Backend> Clone for Admin<B> {
    fn clone(&self) -> Self {
        Self {
            state: Arc::clone(&self.state),
        }
    }
}

impl<B: Backend> std::fmt::Debug for Admin<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Admin").finish_non_exhaustive()
    }
}

impl<B: Backend> Admin<B> {
    /// An admin API over `persistence`'s store, accepting `token` as its bearer token.
    pub fn new(token: Zeroizing<String>, persistence: Persistence<B>) -> Self {
        Self {
            state: Arc::new(ops::State {
                token,
                persistence,
                server: None,
                gateway: None,
                tokens: None,
                metrics: None,
                started: std::time::Instant::now(),
            }),
        }
    }

    fn with(self, f: impl FnOnce(&mut ops::State<B>)) -> Self {
        let mut state = match Arc::try_unwrap(self.state) {
            Ok(s) => s,
            Err(shared) => ops::State {
                token: shared.token.clone(),
                persistence: shared.persistence.clone(),
                server: shared.server.clone(),
                gateway: shared.gateway.clone(),
                tokens: shared.tokens.clone(),
                metrics: shared.metrics.clone(),
                started: shared.started,
            },
        };
        f(&mut state);
        Self {
            state: Arc::new(state),
        }
    }

    /// Acts on the live sequences of `server` (close, terminate).
    #[must_use]
    pub fn with_server(self, server: Server<B>) -> Self {
        self.with(|s| s.server = Some(server))
    }

    /// Replays dead letters to the gateway's backend.
    #[must_use]
    pub fn with_gateway(self, config: GatewayConfig) -> Self {
        self.with(|s| s.gateway = Some(config))
    }

    /// Tells `tokens` of cancelled contexts ([`TokenProvider::forget`]).
    #[must_use]
    pub fn with_tokens(self, tokens: Arc<dyn TokenProvider>) -> Self {
        self.with(|s| s.tokens = Some(tokens))
    }

    /// Serves `render`'s text (the node's metrics, Prometheus text format) at
    /// `/admin/metrics`, where the console's charts read it.
    #[must_use]
    pub fn with_metrics(self, render: MetricsText) -> Self {
        self.with(|s| s.metrics = Some(render))
    }

    /// The routes (API, OpenAPI document, console), for embedding in an axum application.
    pub fn router(&self) -> axum::Router {
        let ops = Arc::clone(&self.state) as Arc<dyn ops::Ops>;
        api::router(Arc::clone(&ops))
            .merge(insight::router(ops))
            .merge(console::routes())
            .route(
                "/admin/openapi.json",
                axum::routing::get(|| async {
                    ([(header::CONTENT_TYPE, "application/json")], openapi_json())
                }),
            )
            .fallback(|| async {
                api::problem(StatusCode::NOT_FOUND, "no such admin route").into_response()
            })
    }

    /// Serves the API on `listener` until the returned task is aborted.
    ///
    /// # Errors
    /// [`RuntimeError::Io`] if the listener's address cannot be read.
    pub fn serve(
        &self,
        listener: tokio::net::TcpListener,
    ) -> Result<(SocketAddr, tokio::task::JoinHandle<()>), RuntimeError> {
        let addr = listener
            .local_addr()
            .map_err(|e| RuntimeError::Io(format!("admin listener: {e}")))?;
        let app = self.router();
        let task = tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                tracing::error!(error = %e, "the admin API stopped");
            }
        });
        Ok((addr, task))
    }
}

/// The OpenAPI 3.1 document of the admin API (what `/admin/openapi.json` serves).
pub fn openapi_json() -> String {
    let mut doc = api::ApiDoc::openapi();
    doc.merge(insight::InsightDoc::openapi());
    doc.to_pretty_json()
        .unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
}

/// Reads a bearer token from `path`: the file must be a regular file readable and
/// writable by its owner only (mode 0600 or stricter, on Unix) and hold at least 16
/// characters (surrounding white space is ignored).
///
/// # Errors
/// [`RuntimeError::Usage`] naming the file (never its content) when it cannot be read,
/// is too open, or is too short.
pub fn read_token_file(path: &Path) -> Result<Zeroizing<String>, RuntimeError> {
    let shown = path.display();
    let meta = std::fs::metadata(path)
        .map_err(|e| RuntimeError::Usage(format!("admin token file {shown}: {e}")))?;
    if !meta.is_file() {
        return Err(RuntimeError::Usage(format!(
            "admin token file {shown} is not a regular file"
        )));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(RuntimeError::Usage(format!(
                "admin token file {shown} has mode {mode:o}: others may read it (chmod 600)"
            )));
        }
    }
    let text = Zeroizing::new(
        std::fs::read_to_string(path)
            .map_err(|e| RuntimeError::Usage(format!("admin token file {shown}: {e}")))?,
    );
    let token = Zeroizing::new(text.trim().to_owned());
    if token.chars().count() < 16 || token.chars().any(char::is_whitespace) {
        return Err(RuntimeError::Usage(format!(
            "admin token file {shown}: the token must be one word of at least 16 characters"
        )));
    }
    Ok(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_files_must_be_private_and_long_enough() {
        let dir = std::env::temp_dir().join(format!("wsrx-admin-token-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap_or_default();
        let file = dir.join("token");
        std::fs::write(&file, "  0123456789abcdef-long-enough\n").unwrap_or_default();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644))
                .unwrap_or_default();
            let err = read_token_file(&file)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(err.contains("chmod 600"), "{err}");
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600))
                .unwrap_or_default();
        }
        let token = read_token_file(&file).ok().map(|t| t.to_string());
        assert_eq!(token.as_deref(), Some("0123456789abcdef-long-enough"));
        std::fs::write(&file, "short").unwrap_or_default();
        let err = read_token_file(&file)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            err.contains("at least 16") && !err.contains("short"),
            "{err}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn the_served_document_names_the_console_routes_too() {
        let doc: serde_json::Value = serde_json::from_str(&openapi_json()).unwrap_or_default();
        assert_eq!(doc.get("openapi").and_then(|v| v.as_str()), Some("3.1.0"));
        for p in [
            "/admin/sequences",
            "/admin/sequences/{id}/timeline",
            "/admin/metrics",
        ] {
            assert!(
                doc.pointer(&format!("/paths/{}", p.replace('/', "~1")))
                    .is_some(),
                "{p}"
            );
        }
        assert!(doc.pointer("/components/securitySchemes/bearer").is_some());
    }
}
