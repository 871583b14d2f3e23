//! `wsrx send`: create a secured sequence, send N echo messages, close (1.1), terminate.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use wsrx_rm::wire::WireProfile;
use wsrx_runtime::client::{Client, ClientConfig};
use wsrx_runtime::echo;

use super::rm_common::{Common, open_store, soap_version, token};

/// `wsrx send --to URL --count N [--rm 1.0|1.1] [--request-reply] …`
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The RM destination's URL.
    #[arg(long)]
    to: String,
    /// How many messages.
    #[arg(long, default_value_t = 3)]
    count: u64,
    /// WS-RM version.
    #[arg(long, default_value = "1.1")]
    rm: String,
    /// Send Echo requests and wait for each response (default: one-way Notify messages).
    #[arg(long)]
    request_reply: bool,
    /// A peer dialect, overriding --rm and --soap: `wcf-wshttp` (WCF wsHttpBinding: WS-RM
    /// 2005/02, SOAP 1.2, WS-A 1.0, WS-SC 2005/02), `wcf-ws2007` (ws2007HttpBinding: WS-RM
    /// 1.1, SOAP 1.2, WS-A 1.0, WS-SC 1.3) or `cxf` (WS-RM 2005/02, SOAP 1.1, WS-A 2004/08).
    #[arg(long)]
    profile: Option<String>,
    /// Give up after this many seconds.
    #[arg(long, default_value_t = 60)]
    timeout: u64,
    #[command(flatten)]
    common: Common,
}

pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    let rt = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    let limit = Duration::from_secs(args.timeout);
    rt.block_on(async move {
        tokio::time::timeout(limit, send(args))
            .await
            .context("timed out")?
    })
}

async fn send(args: Args) -> anyhow::Result<ExitCode> {
    let (profile, soap) = match args.profile.as_deref() {
        Some("wcf-wshttp") => (WireProfile::Rm10Wcf, wsrx_soap::SoapVersion::V12),
        Some("wcf-ws2007") => (WireProfile::Rm11, wsrx_soap::SoapVersion::V12),
        Some("cxf") => (WireProfile::Rm10Submission, wsrx_soap::SoapVersion::V11),
        Some(other) => {
            anyhow::bail!("--profile must be wcf-wshttp, wcf-ws2007 or cxf, not {other}")
        }
        None => {
            let profile = match args.rm.as_str() {
                "1.1" | "1.2" => WireProfile::Rm11,
                "1.0" => WireProfile::Rm10Wcf,
                other => anyhow::bail!("--rm must be 1.0 or 1.1, not {other}"),
            };
            (profile, soap_version(&args.common.soap)?)
        }
    };
    if let Some(name) = &args.profile {
        let sc = wsrx_runtime::pipeline::sc_version(profile);
        println!(
            "profile {name}: {} with {}, WS-SC {}, SOAP {}",
            profile.namespace(),
            profile.wsa_version().namespace(),
            sc.namespace(),
            if soap == wsrx_soap::SoapVersion::V11 {
                "1.1"
            } else {
                "1.2"
            }
        );
    }
    let mut config = ClientConfig::new(&args.to);
    config.soap = soap;
    config.profile = profile;
    let persistence = open_store(&args.common.store, &args.common.keyring)?;
    let tokens = Arc::new(token(&args.common.sct_id, &args.common.sct_secret)?);
    let client = Client::start(config, persistence, tokens, None).await?;
    let id = client.created().await?;
    println!("sequence {id} created, bound to SCT {}", args.common.sct_id);
    for i in 1..=args.count {
        let text = format!("message {i} of {}", args.count);
        if args.request_reply {
            let resp = client
                .request(echo::ECHO_ACTION, &echo::body(&text))
                .await?;
            println!(
                "  #{i} echoed: {}",
                echo::text_of(&resp).unwrap_or_else(|| "(not an echo)".to_owned())
            );
        } else {
            let r = client.send(echo::NOTIFY_ACTION, &echo::body(&text)).await?;
            println!("  #{} stored and sent", r.number);
        }
    }
    client.flush().await?;
    println!("all {} messages acknowledged", args.count);
    if profile == WireProfile::Rm11 {
        client.close().await?;
        println!("sequence closed");
    }
    let how = client.terminate().await?;
    println!("sequence terminated ({how})");
    client.shutdown();
    Ok(ExitCode::SUCCESS)
}
