//! The admin routes the console draws from, beside the actions of [`super::api`]: a
//! sequence's timeline (its store records in commit order) and the node's metrics in the
//! Prometheus text format (the charts' source, on the admin listener so that the page
//! needs no second origin). Read-only, so not audited; behind the same bearer token.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use utoipa::{OpenApi, ToSchema};

use super::api::{Authorized, Problem, problem};
use super::ops::Ops;

type Shared = Arc<dyn Ops>;

/// The most timeline events one answer carries (the newest).
const MAX_EVENTS: usize = 500;

/// A sequence's history as its store records tell it.
#[derive(Debug, Serialize, ToSchema)]
pub struct Timeline {
    /// The sequence.
    pub id: String,
    /// One line per record, oldest first (at most the newest 500).
    pub events: Vec<String>,
    /// Older records left out.
    pub omitted: u64,
}

/// The routes of this module.
pub(super) fn router(ops: Shared) -> Router {
    Router::new()
        .route("/admin/sequences/{id}/timeline", get(timeline))
        .route("/admin/metrics", get(metrics))
        .with_state(ops)
}

#[derive(OpenApi)]
#[openapi(paths(timeline, metrics))]
pub(super) struct InsightDoc;

#[utoipa::path(get, path = "/admin/sequences/{id}/timeline", tag = "sequences",
    params(("id" = String, Path, description = "The sequence identifier")),
    responses(
        (status = 200, description = "The sequence's store records, oldest first", body = Timeline),
        (status = 401, description = "No or a wrong bearer token", body = Problem),
        (status = 404, description = "No such sequence in the store", body = Problem),
        (status = 503, description = "The store failed", body = Problem),
    ))]
async fn timeline(_: Authorized, State(ops): State<Shared>, Path(id): Path<String>) -> Response {
    match ops.timeline(id.clone()).await {
        Ok(Some(mut events)) => {
            let omitted = events.len().saturating_sub(MAX_EVENTS);
            events.drain(..omitted);
            Json(Timeline {
                id,
                events,
                omitted: omitted as u64,
            })
            .into_response()
        }
        Ok(None) => problem(
            StatusCode::NOT_FOUND,
            format!("no sequence {id} in the store"),
        ),
        Err(f) => f.into_response(),
    }
}

#[utoipa::path(get, path = "/admin/metrics", tag = "health",
    responses(
        (status = 200, description = "The node's metrics, Prometheus text format 0.0.4", body = String, content_type = "text/plain"),
        (status = 401, description = "No or a wrong bearer token", body = Problem),
        (status = 404, description = "No metrics recorder on this node", body = Problem),
    ))]
async fn metrics(_: Authorized, State(ops): State<Shared>) -> Response {
    match ops.metrics() {
        Some(text) => (
            [(
                header::CONTENT_TYPE,
                "text/plain; version=0.0.4; charset=utf-8",
            )],
            text,
        )
            .into_response(),
        None => problem(StatusCode::NOT_FOUND, "no metrics recorder on this node"),
    }
}
