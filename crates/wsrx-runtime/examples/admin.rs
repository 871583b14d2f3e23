//! Embedding the admin API (issue 22): a server, one secured reliable sequence sent to
//! it and left open, and the admin routes over the server's store, queried and used
//! with a bearer token (list the sequences, close the open one live, read the audit
//! trail). Run it with `cargo run -p wsrx-runtime --example admin`.

use std::error::Error;
use std::sync::Arc;

use wsrx_crypto::{KeyRing, SecretKey};
use wsrx_runtime::admin::Admin;
use wsrx_runtime::echo::{self, EchoService};
use wsrx_runtime::http::{self, HttpLimits};
use wsrx_runtime::persist::Persistence;
use wsrx_runtime::{Client, ClientConfig, Handler, PreEstablished, Server, ServerConfig};
use wsrx_store::{MemoryBackend, Store};
use zeroize::Zeroizing;

const SCT: &str = "urn:uuid:7b1f0d3a-2c4e-4f5a-9e6d-1a2b3c4d5e6f";
const TOKEN: &str = "example-admin-token-0123456789";

fn store() -> Result<Persistence<MemoryBackend>, Box<dyn Error>> {
    let ring = KeyRing::new(SecretKey::from_slice(&[7u8; 32]))?;
    Ok(Persistence::new(Arc::new(Store::open(
        MemoryBackend::new(),
        ring,
    )?)))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let tokens = Arc::new(PreEstablished::new(SCT, SecretKey::from_slice(&[5u8; 32])));
    let persistence = store()?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/rm", listener.local_addr()?);
    let config = ServerConfig {
        endpoint: url.clone(),
        ..ServerConfig::default()
    };
    let handler: Arc<dyn Handler> = Arc::new(EchoService::new());
    let server = Server::start(config, persistence.clone(), tokens.clone(), handler, None).await?;
    let serving = http::serve_on(listener, server.clone(), &HttpLimits::default())?;

    // The admin API over the same store, acting on the running server.
    let admin =
        Admin::new(Zeroizing::new(TOKEN.to_owned()), persistence).with_server(server.clone());
    let (admin_addr, admin_task) =
        admin.serve(tokio::net::TcpListener::bind("127.0.0.1:0").await?)?;
    let base = format!("http://{admin_addr}/admin");

    // One sequence, left open.
    let client = Client::start(ClientConfig::new(&url), store()?, tokens, None).await?;
    client
        .send(echo::NOTIFY_ACTION, &echo::body("hello"))
        .await?;
    client.flush().await?;

    let http = reqwest::Client::new();
    let auth = format!("Bearer {TOKEN}");
    let refused = http.get(format!("{base}/sequences")).send().await?.status();
    println!("without the token: {refused}");
    let listed: serde_json::Value = serde_json::from_str(
        &http
            .get(format!("{base}/sequences?role=destination"))
            .header("Authorization", &auth)
            .send()
            .await?
            .text()
            .await?,
    )?;
    println!("sequences: {listed}");
    let id = listed
        .pointer("/items/0/id")
        .and_then(serde_json::Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let closed = http
        .post(format!("{base}/sequences/{id}/close"))
        .header("Authorization", &auth)
        .send()
        .await?
        .text()
        .await?;
    println!("close: {closed}");
    let audit = http
        .get(format!("{base}/audit"))
        .header("Authorization", &auth)
        .send()
        .await?
        .text()
        .await?;
    println!("audit: {audit}");

    admin_task.abort();
    server.stop();
    serving.shutdown().await?;
    Ok(())
}
