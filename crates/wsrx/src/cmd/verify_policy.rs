//! `wsrx verify --policy FILE [--port NAME] [--operation NAME] [--output]`: check a captured
//! message against the policy of an endpoint instead of wsrx's own default: the WS-Policy of a
//! WSDL (the input, or with `--output` the output, message of the operation: endpoint,
//! operation and message policies merged) or of a policy document (its first policy, or the
//! one `--port` names by label). The message is decrypted, verified and checked by element
//! identity in the policy's protection order ([`wsrx_security::ProtectionPolicy`]); what a
//! failure says is not blinded, since whoever runs this holds the keys.

use std::path::Path;
use std::process::ExitCode;
use std::time::SystemTime;

use anyhow::Context;
use wsrx_policy::{Direction, Input, Options, PolicyError};
use wsrx_security::{KeyResolver, ProtectionPolicy, Verifier, VerifyConfig};
use wsrx_xml::Document;

/// Where the policy comes from.
pub(crate) struct PolicyChoice<'a> {
    pub(crate) file: &'a Path,
    pub(crate) port: Option<&'a str>,
    pub(crate) operation: Option<&'a str>,
    pub(crate) output: bool,
}

/// The protection policy of `choice`, and a label for it.
pub(crate) fn load(choice: &PolicyChoice<'_>) -> anyhow::Result<(ProtectionPolicy, String)> {
    let bytes = std::fs::read(choice.file)
        .with_context(|| format!("cannot read {}", choice.file.display()))?;
    let name = choice.file.file_name().map_or_else(
        || choice.file.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let mut resolver = super::policy::FolderResolver {
        root: choice
            .file
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default(),
    };
    let options = Options::default();
    let refused = |e: PolicyError| anyhow::anyhow!("{}", wsrx_policy::report::error_line(&e));
    let (config, label) = match Input::read(&name, &bytes, &mut resolver, &options)
        .map_err(refused)?
    {
        Input::Wsdl(wsdl) => {
            let endpoints = wsrx_policy::configure_wsdl(&wsdl, &options);
            let (label, settings) = endpoints
                .into_iter()
                .find(|(label, _)| {
                    choice
                        .port
                        .is_none_or(|p| label == p || label.rsplit('/').next() == Some(p))
                })
                .with_context(|| format!("no endpoint {} in {name}", choice.port.unwrap_or("")))?;
            let settings = settings.map_err(refused)?;
            let direction = if choice.output {
                Direction::Output
            } else {
                Direction::Input
            };
            let op = match choice.operation {
                Some(o) => settings
                    .operation(o)
                    .with_context(|| format!("no operation {o} at {label}"))?,
                None => settings
                    .operations
                    .first()
                    .with_context(|| format!("{label} has no operation"))?,
            };
            let message = op
                .message(direction)
                .with_context(|| format!("operation {} has no {direction:?} message", op.name))?;
            (
                message.config.value.clone(),
                format!("{label} operation {} {direction:?}", op.name).to_lowercase(),
            )
        }
        Input::Policies(doc) => {
            let all = wsrx_policy::configure_document(&doc, &options);
            let (label, settings) = all
                .into_iter()
                .find(|(label, _)| choice.port.is_none_or(|p| label.contains(p)))
                .with_context(|| format!("no policy {} in {name}", choice.port.unwrap_or("")))?;
            (settings.map_err(refused)?.config.value, label)
        }
    };
    let policy = wsrx_runtime::effective::protection(&config)
        .map_err(|what| anyhow::anyhow!("{label}: {what}"))?;
    Ok((policy, label))
}

/// Opens `doc` under the policy and prints what it found; exit 0 when it satisfies it.
pub(crate) fn check(
    choice: &PolicyChoice<'_>,
    doc: &Document,
    resolver: &dyn KeyResolver,
    now: SystemTime,
) -> anyhow::Result<ExitCode> {
    let (policy, label) = load(choice)?;
    println!("policy: {label} ({})", choice.file.display());
    let verifier = Verifier::new(VerifyConfig {
        require_timestamp: policy.include_timestamp,
        ..VerifyConfig::default()
    });
    let opened = match policy.open_explained(doc, resolver, now, &verifier) {
        Ok(o) => o,
        Err(e) => {
            println!("policy: NOT satisfied: {e}");
            return Ok(ExitCode::from(1));
        }
    };
    let verified = opened.verified()?;
    for (k, sig) in verified.signatures().iter().enumerate() {
        println!(
            "signature {} ({}) by SCT {}{}{}, over:",
            k + 1,
            sig.algorithm().name(),
            sig.key().sct_identifier,
            if sig.key().is_derived() {
                " with a derived key"
            } else {
                ""
            },
            if opened
                .decryption()
                .is_some_and(|d| d.decrypted_signatures().contains(&sig.node()))
            {
                ", encrypted"
            } else {
                ""
            }
        );
        for node in sig.covered() {
            if let Some(e) = opened.document().element(*node) {
                println!("  {{{}}}{}", e.namespace().unwrap_or(""), e.local_name());
            }
        }
    }
    if let Some(d) = opened.decryption() {
        println!(
            "decrypted: {}{} header(s), {} element(s), {} signature(s)",
            if d.body_was_encrypted() {
                "Body content, "
            } else {
                ""
            },
            d.decrypted_headers().len(),
            d.decrypted_elements().len(),
            d.decrypted_signatures().len()
        );
    }
    println!(
        "policy: satisfied{}",
        opened.signer().map_or_else(String::new, |k| format!(
            ", proven by SCT {}",
            k.sct_identifier
        ))
    );
    println!("VERIFIED");
    Ok(ExitCode::SUCCESS)
}
