//! The web console (issue 22 item 4): three static files built into the binary
//! (`console/index.html`, `console/console.js`, `console/console.css`; plain HTML and
//! JavaScript, no framework, nothing fetched from the network) served by the admin
//! listener under `/admin/console/`.
//!
//! The files hold no data and no secret, so they are served without a token; everything
//! they show comes from the JSON API, which the page calls with the bearer token the
//! operator types into its login form. The page keeps the token in memory only (never in
//! storage, a cookie or a URL), so a reload asks for it again. The answers carry a
//! content security policy that allows only these files and calls to this origin
//! (no inline script, no framing), and `Cache-Control: no-store`.

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;

const INDEX: &str = include_str!("console/index.html");
const SCRIPT: &str = include_str!("console/console.js");
const STYLE: &str = include_str!("console/console.css");

/// Only this origin's files and API; no inline script or style, no framing.
const POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; \
     frame-ancestors 'none'";

fn file(content_type: &'static str, body: &'static str) -> Response {
    let mut r = body.into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(POLICY),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    r
}

/// The console's routes (no state: the page talks to the API itself).
pub(super) fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route(
            "/admin/console",
            get(|| async { Redirect::permanent("/admin/console/") }),
        )
        .route(
            "/admin/console/",
            get(|| async { file("text/html; charset=utf-8", INDEX) }),
        )
        .route(
            "/admin/console/console.js",
            get(|| async { file("text/javascript; charset=utf-8", SCRIPT) }),
        )
        .route(
            "/admin/console/console.css",
            get(|| async { file("text/css; charset=utf-8", STYLE) }),
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An attribute such as `onclick=` in `html`.
    fn has_inline_handler(html: &str) -> bool {
        html.split(" on").skip(1).any(|rest| {
            let name: String = rest.chars().take_while(char::is_ascii_alphabetic).collect();
            !name.is_empty() && rest.get(name.len()..).is_some_and(|r| r.starts_with('='))
        })
    }

    #[test]
    fn the_page_loads_only_its_own_files_and_writes_no_markup_from_data() {
        // Everything the page loads is served here (no CDN).
        for needed in ["console.js", "console.css"] {
            assert!(INDEX.contains(needed), "{needed}");
        }
        assert!(!INDEX.contains("http://") && !INDEX.contains("https://"));
        assert!(!SCRIPT.contains("http://") && !SCRIPT.contains("https://"));
        // No inline script the policy would refuse anyway.
        assert!(!INDEX.contains("<script>") && !has_inline_handler(INDEX));
        // Data from the API (identifiers a peer chose) reaches the page as text only.
        assert!(!SCRIPT.contains("innerHTML") && !SCRIPT.contains("outerHTML"));
        assert!(!SCRIPT.contains("insertAdjacentHTML") && !SCRIPT.contains("document.write"));
        // The token stays in memory.
        for store in ["localStorage", "sessionStorage", "document.cookie"] {
            assert!(!SCRIPT.contains(store), "{store}");
        }
    }
}
