//! Embedding the inbound gateway (issue 22): an RM destination whose messages are
//! handed, in order, to an existing HTTP service.
//!
//! Self-contained: it starts a stand-in backend (a plain axum service that prints what
//! it gets), the gateway in front of it (one pre-established SCT, an in-memory store),
//! and a client that sends three secured, reliable one-way messages. Run it with
//! `cargo run -p wsrx-runtime --example gateway`.

use std::error::Error;
use std::sync::Arc;

use axum::http::HeaderMap;
use tokio::sync::mpsc;
use wsrx_crypto::{KeyRing, SecretKey};
use wsrx_runtime::gateway::{Gateway, GatewayConfig};
use wsrx_runtime::http::{self, HttpLimits};
use wsrx_runtime::persist::Persistence;
use wsrx_runtime::{Client, ClientConfig, Handler, PreEstablished, Server, ServerConfig, echo};
use wsrx_store::{MemoryBackend, Store};

const SCT: &str = "urn:uuid:5c1d3c4e-4f6e-4d2a-8d57-0d1f8c7b2a90";

fn store() -> Result<Persistence<MemoryBackend>, Box<dyn Error>> {
    let ring = KeyRing::new(SecretKey::from_slice(&[9u8; 32]))?;
    Ok(Persistence::new(Arc::new(Store::open(
        MemoryBackend::new(),
        ring,
    )?)))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    // The backend: any HTTP service; this one prints and answers 204.
    let (seen, mut received) = mpsc::unbounded_channel::<String>();
    let backend = axum::Router::new().route(
        "/orders",
        axum::routing::post(move |headers: HeaderMap, body: String| {
            let seen = seen.clone();
            async move {
                let key = headers
                    .get("Idempotency-Key")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_owned();
                let _ = seen.send(format!("{key} {body}"));
                axum::http::StatusCode::NO_CONTENT
            }
        }),
    );
    let backend_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let backend_url = format!("http://{}/orders", backend_listener.local_addr()?);
    tokio::spawn(async move { axum::serve(backend_listener, backend).await });

    // The gateway: a Server whose Handler is a Gateway sharing the server's store.
    let tokens = Arc::new(PreEstablished::new(SCT, SecretKey::from_slice(&[4u8; 32])));
    let persistence = store()?;
    let gateway = Gateway::new(GatewayConfig::new(&backend_url), persistence.clone())?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/rm", listener.local_addr()?);
    let config = ServerConfig {
        endpoint: url.clone(),
        ..ServerConfig::default()
    };
    let handler: Arc<dyn Handler> = Arc::new(gateway.clone());
    let server = Server::start(config, persistence, tokens.clone(), handler, None).await?;
    let serving = http::serve_on(listener, server.clone(), &HttpLimits::default())?;

    // A client: three secured, reliable one-way messages.
    let client = Client::start(ClientConfig::new(&url), store()?, tokens, None).await?;
    for i in 1..=3 {
        let text = format!("order {i}");
        client.send(echo::NOTIFY_ACTION, &echo::body(&text)).await?;
    }
    client.flush().await?;
    for _ in 1..=3 {
        if let Some(line) = received.recv().await {
            println!("backend got {line}");
        }
    }
    client.terminate().await?;
    gateway.stop();
    server.stop();
    serving.shutdown().await?;
    Ok(())
}
