//! `wsrx verify`: process a captured message's `wsse:Security` header offline with
//! SCT secrets given on the command line, print which parts each token signed and
//! the decrypted content, and exit non-zero with the reason when anything fails.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::SystemTime;

use anyhow::{Context, bail};
use wsrx_crypto::SecretKey;
use wsrx_security::{
    KeyResolver, Policy, ResolveError, Verifier, VerifyConfig, decrypt, format_datetime,
    parse_datetime,
};
use wsrx_xml::{Document, Element};

/// `wsrx verify [--sct-id ID --sct-secret BASE64]... [--at TIME] [--policy FILE [--operation NAME]] FILE`
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// SCT identifier (repeatable; pairs with the --sct-secret at the same position).
    #[arg(long = "sct-id")]
    sct_ids: Vec<String>,
    /// SCT secret in base64 (repeatable).
    #[arg(long = "sct-secret")]
    sct_secrets: Vec<String>,
    /// Verify as of this time (RFC 3339, e.g. 2026-11-23T10:00:05Z) instead of now, for old captures.
    #[arg(long)]
    at: Option<String>,
    /// Accept a message without a Timestamp.
    #[arg(long)]
    no_timestamp: bool,
    /// Check the message against this endpoint's policy (a WSDL, or a WS-Policy document)
    /// instead of wsrx's default: the parts it signs and encrypts, its order, layout, suite
    /// and keys.
    #[arg(long, value_name = "FILE")]
    policy: Option<PathBuf>,
    /// With --policy: the WSDL port (or the policy's label in a policy document).
    #[arg(long, value_name = "NAME", requires = "policy")]
    port: Option<String>,
    /// With --policy and a WSDL: the operation (default: the first).
    #[arg(long, value_name = "NAME", requires = "policy")]
    operation: Option<String>,
    /// With --policy and a WSDL: the message is the operation's output (a response).
    #[arg(long, requires = "policy")]
    output: bool,
    /// The message (a SOAP envelope).
    file: PathBuf,
}

struct Secrets(Vec<(String, SecretKey)>);

impl KeyResolver for Secrets {
    fn sct_secret(
        &self,
        identifier: &str,
        _instance: Option<&str>,
    ) -> Result<SecretKey, ResolveError> {
        self.0
            .iter()
            .find(|(id, _)| id == identifier)
            .map(|(_, k)| k.clone())
            .ok_or(ResolveError::Unknown)
    }
}

/// Decodes a base64 secret given on the command line.
pub(crate) fn decode_base64(text: &str) -> anyhow::Result<Vec<u8>> {
    wsrx_crypto::base64::decode(text.trim()).context("--sct-secret is not base64")
}

fn describe(e: Element<'_>) -> String {
    let id = e
        .attributes()
        .find(|a| a.local_name() == "Id")
        .map(|a| format!(" (Id {})", a.value()))
        .unwrap_or_default();
    format!("{{{}}}{}{id}", e.namespace().unwrap_or(""), e.local_name())
}

pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    if args.sct_ids.len() != args.sct_secrets.len() {
        bail!("give one --sct-secret for each --sct-id");
    }
    let mut secrets = Vec::new();
    for (id, secret) in args.sct_ids.iter().zip(&args.sct_secrets) {
        secrets.push((id.clone(), SecretKey::from_vec(decode_base64(secret)?)));
    }
    let resolver = Secrets(secrets);
    let now = match &args.at {
        Some(t) => parse_datetime(t)
            .with_context(|| format!("--at {t}: not an RFC 3339 time with a zone"))?,
        None => SystemTime::now(),
    };
    let bytes = std::fs::read(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    let parsed = Document::parse(&bytes)
        .map_err(|e| anyhow::anyhow!("{}: not well-formed XML: {e}", args.file.display()))?;
    if let Some(file) = &args.policy {
        let choice = super::verify_policy::PolicyChoice {
            file,
            port: args.port.as_deref(),
            operation: args.operation.as_deref(),
            output: args.output,
        };
        return super::verify_policy::check(&choice, &parsed, &resolver, now);
    }
    let decrypted = match decrypt(&parsed, &resolver) {
        Ok(d) => d,
        Err(e) => return fail(&e),
    };
    let doc = decrypted.as_ref().map_or(&parsed, |d| d.document());
    let config = VerifyConfig {
        require_timestamp: !args.no_timestamp,
        ..VerifyConfig::default()
    };
    let verified = match Verifier::new(config).verify(doc, &resolver, now) {
        Ok(v) => v,
        Err(e) => return fail(&e),
    };
    if let Some(ts) = verified.timestamp() {
        let expires = ts
            .expires
            .map_or_else(|| "never".to_owned(), format_datetime);
        println!(
            "timestamp: created {}, expires {expires}",
            format_datetime(ts.created)
        );
    }
    for (k, sig) in verified.signatures().iter().enumerate() {
        let key = sig.key();
        let how = if key.is_derived() {
            "derived key"
        } else {
            "the SCT secret directly"
        };
        println!(
            "signature {} ({}) by SCT {} with {how}, over:",
            k + 1,
            sig.algorithm().name(),
            key.sct_identifier
        );
        for node in sig.covered() {
            if let Some(e) = doc.element(*node) {
                println!("  {}", describe(e));
            }
        }
    }
    let policy = Policy {
        require_timestamp: !args.no_timestamp,
        ..Policy::default()
    };
    match policy.check(&verified) {
        Ok(key) => println!(
            "policy: Body, Timestamp, WS-Addressing and WS-RM headers all signed by SCT {}",
            key.sct_identifier
        ),
        Err(e) => {
            println!("policy: NOT satisfied: {e}");
            return Ok(ExitCode::from(1));
        }
    }
    if decrypted.as_ref().is_some_and(|d| d.body_was_encrypted())
        && let Some(payload) = verified.envelope().payload()
    {
        // Exclusive c14n shows the content with only the namespaces it uses.
        let canonical = wsrx_xml::canonicalize_to_vec(payload, &wsrx_xml::C14nOptions::default());
        println!(
            "decrypted body content:\n{}",
            String::from_utf8_lossy(&canonical)
        );
    }
    println!("VERIFIED");
    Ok(ExitCode::SUCCESS)
}

fn fail(e: &wsrx_security::SecurityError) -> anyhow::Result<ExitCode> {
    let fault = e.to_fault();
    let code = fault
        .subcode()
        .map_or_else(String::new, |q| format!(" [{}]", q.local));
    println!("NOT VERIFIED{code}: {e}");
    Ok(ExitCode::from(1))
}
