//! `--wsdl FILE|URL [--port NAME] [--operation NAME]` of `send` and `serve`: the endpoint's
//! effective policy read from a WSDL (files with their references read next to them; URLs
//! fetched once, without references) and mapped to the runtime's settings
//! ([`wsrx_runtime::effective`]). A WSDL wsrx cannot honour is refused with the message naming
//! the assertion and where it sits.

use std::path::Path;

use anyhow::Context;
use wsrx_runtime::effective::{self, Effective};
use wsrx_runtime::tls::ClientTls;

/// The WSDL options.
#[derive(Debug, clap::Args)]
pub(crate) struct WsdlArgs {
    /// Configure from this WSDL 1.1 (a file, or an http(s) URL such as
    /// `http://host:port/?wsdl`): address, SOAP version, WS-RM version and message
    /// protection from its effective WS-Policy. Credentials still come from the options.
    #[arg(long, value_name = "FILE|URL")]
    pub(crate) wsdl: Option<String>,
    /// The WSDL port (endpoint) to use; default: the first.
    #[arg(long, value_name = "NAME", requires = "wsdl")]
    pub(crate) port: Option<String>,
    /// The operation whose message policy protects the messages; default: the first.
    #[arg(long, value_name = "NAME", requires = "wsdl")]
    pub(crate) operation: Option<String>,
}

/// A WSDL read: its text and what it configures.
pub(crate) struct Loaded {
    /// The document as read.
    pub(crate) text: String,
    /// The runtime settings.
    pub(crate) effective: Effective,
}

impl WsdlArgs {
    /// Reads and maps the WSDL, if one was given.
    pub(crate) async fn load(&self, tls: &ClientTls) -> anyhow::Result<Option<Loaded>> {
        let Some(source) = &self.wsdl else {
            return Ok(None);
        };
        let is_url = ["http://", "https://"].iter().any(|s| {
            source
                .get(..s.len())
                .is_some_and(|p| p.eq_ignore_ascii_case(s))
        });
        let (bytes, effective) = if is_url {
            let client =
                wsrx_runtime::http::HttpClient::with_tls(std::time::Duration::from_secs(30), tls)?;
            let (status, bytes) = client
                .get(source)
                .await
                .with_context(|| format!("cannot fetch the WSDL {source}"))?;
            anyhow::ensure!(status == 200, "GET {source}: HTTP status {status}");
            let e = effective::from_wsdl(
                source,
                &bytes,
                None,
                self.port.as_deref(),
                self.operation.as_deref(),
            )?;
            (bytes.to_vec(), e)
        } else {
            let path = Path::new(source);
            let bytes =
                std::fs::read(path).with_context(|| format!("cannot read the WSDL {source}"))?;
            let name = path
                .file_name()
                .map_or_else(|| source.clone(), |n| n.to_string_lossy().into_owned());
            let mut resolver = super::policy::FolderResolver {
                root: path.parent().map(Path::to_path_buf).unwrap_or_default(),
            };
            let e = effective::from_wsdl(
                &name,
                &bytes,
                Some(&mut resolver),
                self.port.as_deref(),
                self.operation.as_deref(),
            )?;
            (bytes, e)
        };
        Ok(Some(Loaded {
            text: String::from_utf8_lossy(&bytes).into_owned(),
            effective,
        }))
    }
}

/// The lines `send` and `serve` print about a WSDL's configuration.
pub(crate) fn describe(role: &str, e: &Effective) -> String {
    let mut out = format!(
        "wsrx {role}: policy of {}{}: {} with {}, SOAP {}; {}",
        e.label,
        e.operation
            .as_ref()
            .map_or_else(String::new, |o| format!(" (operation {o})")),
        e.profile.namespace(),
        e.profile.wsa_version().namespace(),
        if e.soap == wsrx_soap::SoapVersion::V11 {
            "1.1"
        } else {
            "1.2"
        },
        e.summary()
    );
    if let Some(output) = e.output_summary() {
        out.push_str(&format!("; the output direction {output}"));
    }
    for note in &e.notes {
        out.push_str(&format!("\nwsrx {role}: note: {note}"));
    }
    out
}
