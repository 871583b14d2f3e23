//! `wsrx serve --forward URL …`: the options of the inbound gateway (issue 22), shared
//! with `wsrx store dead-letters replay`.

use std::path::PathBuf;
use std::time::Duration;

use wsrx_runtime::gateway::{ForwardAs, GatewayConfig, OnPoison};
use wsrx_runtime::tls::ClientTls;

/// The backend and how messages are handed to it.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct ForwardArgs {
    /// Hand every delivered message, in order per sequence, to this HTTP(S) backend
    /// instead of the echo service (see the README, "Inbound gateway").
    #[arg(long, value_name = "URL")]
    pub(crate) forward: Option<String>,
    /// What the backend receives: `body` (the SOAP Body's element), `soap11` or
    /// `soap12` (an envelope around it, without WS-A/RM/security headers).
    #[arg(long, value_name = "FORM", default_value = "body", value_parser = forward_as)]
    pub(crate) forward_as: ForwardAs,
    /// An action whose messages are requests: the backend's 2xx body is the response
    /// (repeatable). Other actions are one-way.
    #[arg(long = "forward-request-action", value_name = "URI")]
    pub(crate) request_actions: Vec<String>,
    /// Attempts per message before it goes to the dead letters.
    #[arg(long, value_name = "N", default_value_t = 8)]
    pub(crate) max_attempts: u32,
    /// Delay after the first failed attempt in milliseconds, doubled per attempt (with
    /// jitter), at most --retry-max-ms.
    #[arg(long, value_name = "MS", default_value_t = 200)]
    pub(crate) retry_base_ms: u64,
    /// The longest delay between attempts in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 30_000)]
    pub(crate) retry_max_ms: u64,
    /// How long one attempt may take, in seconds (fractions allowed).
    #[arg(long, value_name = "SECS", default_value = "30", value_parser = super::resend::seconds)]
    pub(crate) forward_timeout: Duration,
    /// After a message goes to the dead letters, its sequence's later messages `hold`
    /// (wait until it is replayed: in-order delivery kept) or `skip` past it.
    #[arg(long, value_name = "WHAT", default_value = "hold", value_parser = on_poison)]
    pub(crate) on_poison: OnPoison,
    /// Also trust this CA (PEM) for an https backend (repeatable).
    #[arg(long = "forward-ca", value_name = "PEM")]
    pub(crate) forward_ca: Vec<PathBuf>,
}

fn forward_as(text: &str) -> Result<ForwardAs, String> {
    match text {
        "body" => Ok(ForwardAs::Body),
        "soap11" => Ok(ForwardAs::Soap11),
        "soap12" => Ok(ForwardAs::Soap12),
        _ => Err(format!("{text:?}: expected body, soap11 or soap12")),
    }
}

fn on_poison(text: &str) -> Result<OnPoison, String> {
    match text {
        "hold" => Ok(OnPoison::Hold),
        "skip" => Ok(OnPoison::Skip),
        _ => Err(format!("{text:?}: expected hold or skip")),
    }
}

impl ForwardArgs {
    /// The gateway settings, if --forward is given.
    pub(crate) fn config(&self) -> anyhow::Result<Option<GatewayConfig>> {
        let Some(url) = &self.forward else {
            return Ok(None);
        };
        anyhow::ensure!(
            url.starts_with("http://") || url.starts_with("https://"),
            "--forward {url}: expected an http:// or https:// URL"
        );
        let mut tls = ClientTls::default();
        for ca in &self.forward_ca {
            tls.add_roots_file(ca)?;
        }
        let mut config = GatewayConfig::new(url.clone());
        config.forward_as = self.forward_as;
        config.request_actions = self.request_actions.clone();
        config.retry.max_attempts = self.max_attempts.max(1);
        config.retry.base_delay = Duration::from_millis(self.retry_base_ms);
        config.retry.max_delay = Duration::from_millis(self.retry_max_ms.max(self.retry_base_ms));
        config.retry.on_poison = self.on_poison;
        config.attempt_timeout = self.forward_timeout;
        config.tls = tls;
        Ok(Some(config))
    }
}
