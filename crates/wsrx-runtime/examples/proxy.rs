//! Embedding the outbound sidecar (issue 22): a local HTTP front where an application
//! POSTs plain SOAP, sent on by wsrx over a secured, reliable sequence.
//!
//! Self-contained: it starts an RM destination with the echo service (the "partner"),
//! a [`Proxy`] in front of a [`Client`] to it, and then plays the application with plain
//! HTTP: a one-way message (answered 202 with its sequence and number once stored), its
//! status until acknowledged, and a request answered with the partner's response. Run it
//! with `cargo run -p wsrx-runtime --example proxy`.

use std::error::Error;
use std::sync::Arc;
use std::time::Duration;

use wsrx_crypto::{KeyRing, SecretKey};
use wsrx_runtime::echo::{self, EchoService};
use wsrx_runtime::http::{self, HttpLimits};
use wsrx_runtime::persist::Persistence;
use wsrx_runtime::proxy::{Proxy, ProxyConfig};
use wsrx_runtime::{Client, ClientConfig, PreEstablished, Server, ServerConfig};
use wsrx_store::{MemoryBackend, Store};

const SCT: &str = "urn:uuid:0b9f3a52-7d44-4c1e-9a6b-2e5f8c1d7a33";

fn store() -> Result<Persistence<MemoryBackend>, Box<dyn Error>> {
    let ring = KeyRing::new(SecretKey::from_slice(&[9u8; 32]))?;
    let store = Store::open(MemoryBackend::new(), ring)?;
    Ok(Persistence::new(Arc::new(store)))
}

fn envelope(text: &str) -> String {
    format!(
        r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body>{}</s:Body></s:Envelope>"#,
        echo::body(text)
    )
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    // The partner: an RM destination with the echo service.
    let tokens = Arc::new(PreEstablished::new(SCT, SecretKey::from_slice(&[4u8; 32])));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/rm", listener.local_addr()?);
    let config = ServerConfig {
        endpoint: url.clone(),
        ..ServerConfig::default()
    };
    let echo = Arc::new(EchoService::new());
    let server = Server::start(config, store()?, tokens.clone(), echo, None).await?;
    let serving = http::serve_on(listener, server.clone(), &HttpLimits::default())?;

    // The sidecar: a Proxy over a Client to the partner.
    let client = Client::start(ClientConfig::new(&url), store()?, tokens, None).await?;
    let proxy = Proxy::new(
        client.clone(),
        ProxyConfig {
            request_actions: vec![echo::ECHO_ACTION.to_owned()],
            ..ProxyConfig::default()
        },
    );
    let front = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", front.local_addr()?);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let sidecar = tokio::spawn(async move {
        proxy
            .serve(front, async {
                let _ = stopped.await;
            })
            .await
    });

    // The application: plain HTTP, no WS-* stack.
    let http = reqwest::Client::new();
    let accepted = http
        .post(format!("{base}/"))
        .header(
            "Content-Type",
            "application/soap+xml; action=\"urn:example:echo/Notify\"",
        )
        .body(envelope("hello"))
        .send()
        .await?;
    let status = accepted.status();
    let receipt = accepted.text().await?;
    println!("one-way: {status} {receipt}");
    let receipt: serde_json::Value = serde_json::from_str(&receipt)?;
    let (sequence, number) = (
        receipt
            .get("sequence")
            .and_then(serde_json::Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        receipt
            .get("number")
            .and_then(serde_json::Value::as_u64)
            .unwrap_or_default(),
    );
    for _ in 0..100 {
        let state = http
            .get(format!("{base}/status/{sequence}/{number}"))
            .send()
            .await?
            .text()
            .await?;
        println!("status: {state}");
        if state.contains("\"acknowledged\"") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let answer = http
        .post(format!("{base}/"))
        .header(
            "Content-Type",
            "application/soap+xml; action=\"urn:example:echo/Echo\"",
        )
        .body(envelope("ping"))
        .send()
        .await?
        .text()
        .await?;
    println!("request-reply: {answer}");

    let _ = stop.send(());
    sidecar.await??;
    client.terminate().await?;
    server.stop();
    serving.shutdown().await?;
    Ok(())
}
