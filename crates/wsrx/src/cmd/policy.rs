//! `wsrx policy`: read the WS-Policy of a WSDL or a policy document and say what it
//! means for wsrx (`show`), print its normal form (`normalize`), intersect a client's
//! policy with a service's (`check`), and list the assertions wsrx knows
//! (`assertions`). Files only for now; references are read next to the file.
//!
//! Exit status: 0 when every subject gives a configuration wsrx can run (or the
//! policies are compatible), 1 when something is refused (the message names the
//! assertion as `{namespace}LocalName (prefix:LocalName)` and where it sits), 2 on
//! other errors.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Component, Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;
use serde::Serialize;
use wsrx_policy::{
    Fetched, Input, IntersectionMode, NormalPolicy, Options, Policy, PolicyError, PolicyResolver,
    configure_document, configure_wsdl, report, vocab::table,
};

/// `wsrx policy …`
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print the effective policy per endpoint, operation and message in plain words.
    Show {
        /// Print JSON for tools instead.
        #[arg(long)]
        json: bool,
        /// Only the endpoint with this port (or binding) name.
        #[arg(long)]
        port: Option<String>,
        /// A WSDL 1.1 description or a policy document.
        file: PathBuf,
    },
    /// Print the WS-Policy normal form (in the input's WS-Policy namespace).
    Normalize {
        /// A WSDL 1.1 description or a policy document.
        file: PathBuf,
    },
    /// Intersect a client's policy with a service's, or say why they are incompatible.
    Check {
        /// Lax intersection (assertions marked wsp:Ignorable do not take part).
        #[arg(long)]
        lax: bool,
        /// The client's policy (a document holding one wsp:Policy).
        client: PathBuf,
        /// The service's WSDL (or policy document).
        server: PathBuf,
    },
    /// List the assertions wsrx knows and what it does with each.
    Assertions {
        /// As the Markdown table of the README.
        #[arg(long)]
        markdown: bool,
    },
}

/// Reads documents named by references, relative to the first file's folder and
/// inside it; URLs are not fetched (yet).
pub(crate) struct FolderResolver {
    pub(crate) root: PathBuf,
}

impl PolicyResolver for FolderResolver {
    fn fetch(&mut self, uri: &str, base: &str) -> Result<Fetched, String> {
        if uri.contains("://") || uri.starts_with("urn:") {
            return Err(format!(
                "{uri}: only files next to the input are read (URLs are not fetched)"
            ));
        }
        let relative = Path::new(base).parent().unwrap_or(Path::new("")).join(uri);
        if relative.is_absolute()
            || relative
                .components()
                .any(|c| matches!(c, Component::ParentDir | Component::Prefix(_)))
        {
            return Err(format!("{uri}: outside the input's folder"));
        }
        let bytes = std::fs::read(self.root.join(&relative)).map_err(|e| format!("{uri}: {e}"))?;
        Ok(Fetched {
            name: relative.to_string_lossy().into_owned(),
            bytes,
        })
    }
}

fn read(file: &Path) -> anyhow::Result<Result<Input, PolicyError>> {
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let name = file.file_name().map_or_else(
        || file.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let mut resolver = FolderResolver {
        root: file.parent().map(Path::to_path_buf).unwrap_or_default(),
    };
    Ok(Input::read(
        &name,
        &bytes,
        &mut resolver,
        &Options::default(),
    ))
}

fn refused(e: &PolicyError) -> ExitCode {
    eprintln!("wsrx: {}", report::error_line(e));
    ExitCode::from(1)
}

pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    let mut out = String::new();
    let code = run_into(args, &mut out)?;
    // A closed pipe (`wsrx policy show … | head`) is not an error.
    match std::io::stdout().lock().write_all(out.as_bytes()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => return Err(e.into()),
        _ => {}
    }
    Ok(code)
}

fn run_into(args: Args, out: &mut String) -> anyhow::Result<ExitCode> {
    match args.command {
        Command::Show { json, port, file } => {
            let input = match read(&file)? {
                Ok(i) => i,
                Err(e) => return Ok(refused(&e)),
            };
            let options = Options::default();
            let r = report::describe(&input, &options, port.as_deref());
            if json {
                writeln!(
                    out,
                    "{}",
                    serde_json::to_string_pretty(&json_report(
                        &input,
                        &options,
                        port.as_deref(),
                        r.usable
                    ))?
                )?;
            } else {
                write!(out, "{}", r.text)?;
            }
            Ok(if r.usable {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        Command::Normalize { file } => {
            let input = match read(&file)? {
                Ok(i) => i,
                Err(e) => return Ok(refused(&e)),
            };
            let subjects = subjects(&input);
            let single = subjects.len() == 1;
            for (label, policy) in subjects {
                match policy.normalize(Options::default().max_alternatives) {
                    Ok(n) => {
                        if !single {
                            writeln!(out, "<!-- {label} -->")?;
                        }
                        write!(out, "{}", n.to_xml())?;
                    }
                    Err(e) => return Ok(refused(&e)),
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Check {
            lax,
            client,
            server,
        } => check(&client, &server, lax, out),
        Command::Assertions { markdown } => {
            if markdown {
                write!(out, "{}", table::markdown())?;
            } else {
                for e in table::ENTRIES {
                    writeln!(
                        out,
                        "{:<40} {:<28} {}{}",
                        e.local,
                        e.status.word(),
                        e.namespaces.join(" "),
                        if e.note.is_empty() {
                            String::new()
                        } else {
                            format!(" ({})", e.note)
                        }
                    )?;
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Every subject's policy: endpoints and each message's effective policy (endpoint,
/// operation and message merged) for a WSDL, each policy for a policy document.
fn subjects(input: &Input) -> Vec<(String, Policy)> {
    match input {
        Input::Wsdl(w) => {
            let mut out = Vec::new();
            for e in &w.endpoints {
                out.push((format!("endpoint {}", e.label()), e.policy.clone()));
                for op in &e.operations {
                    for m in &op.messages {
                        let merged = Policy::merge(
                            [&e.policy, &op.policy, &m.policy],
                            w.version,
                            m.policy.location().clone(),
                        );
                        out.push((
                            format!("endpoint {} operation {} {}", e.label(), op.name, m.label()),
                            merged,
                        ));
                    }
                }
            }
            out
        }
        Input::Policies(d) => d
            .subjects
            .iter()
            .map(|s| (s.label.clone(), s.policy.clone()))
            .collect(),
    }
}

fn check(client: &Path, server: &Path, lax: bool, out: &mut String) -> anyhow::Result<ExitCode> {
    let mode = if lax {
        IntersectionMode::Lax
    } else {
        IntersectionMode::Strict
    };
    let client_input = match read(client)? {
        Ok(i) => i,
        Err(e) => return Ok(refused(&e)),
    };
    let client_policy = match subjects(&client_input).as_slice() {
        [(_, p)] => p.clone(),
        many => {
            let labels: Vec<&str> = many.iter().map(|(l, _)| l.as_str()).collect();
            eprintln!(
                "wsrx: {} must hold exactly one policy; it holds {}: {}",
                client.display(),
                many.len(),
                labels.join(", ")
            );
            return Ok(ExitCode::from(2));
        }
    };
    let max = Options::default().max_alternatives;
    let client_normal = match client_policy.normalize(max) {
        Ok(n) => n,
        Err(e) => return Ok(refused(&e)),
    };
    let server_input = match read(server)? {
        Ok(i) => i,
        Err(e) => return Ok(refused(&e)),
    };
    let mut all_compatible = true;
    let mut previous: Option<String> = None;
    for (label, policy) in subjects(&server_input) {
        let server_normal = match policy.normalize(max) {
            Ok(n) => n,
            Err(e) => return Ok(refused(&e)),
        };
        let intersection = client_normal.intersect(&server_normal, mode);
        if intersection.alternatives.is_empty() {
            all_compatible = false;
            writeln!(out, "{label}: incompatible")?;
            explain(&client_normal, &server_normal, mode, out)?;
            continue;
        }
        writeln!(
            out,
            "{label}: compatible, {} alternative(s)",
            intersection.alternatives.len()
        )?;
        let xml = intersection.to_xml();
        if previous.as_deref() == Some(xml.as_str()) {
            writeln!(out, "  (the same intersection as above)")?;
        } else {
            write!(out, "{xml}")?;
            previous = Some(xml);
        }
    }
    Ok(if all_compatible {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn explain(
    client: &NormalPolicy,
    server: &NormalPolicy,
    mode: IntersectionMode,
    out: &mut String,
) -> std::fmt::Result {
    if client.alternatives.is_empty() || server.alternatives.is_empty() {
        return writeln!(out, "  one of the policies has no alternative at all");
    }
    for m in client.mismatches(server, mode).iter().take(8) {
        let (side, other) = if m.in_first {
            ("client", "server")
        } else {
            ("server", "client")
        };
        writeln!(
            out,
            "  client alternative {} / server alternative {}: the {side} requires {} at {}, the {other} has no compatible assertion",
            m.first + 1,
            m.second + 1,
            m.assertion,
            m.location
        )?;
    }
    Ok(())
}

#[derive(Serialize)]
struct JsonReport<'a> {
    document: &'a str,
    kind: &'static str,
    usable: bool,
    warnings: &'a [String],
    subjects: Vec<JsonSubject>,
}

#[derive(Serialize)]
struct JsonSubject {
    label: String,
    settings: Option<serde_json::Value>,
    refused: Option<String>,
}

fn json_report<'a>(
    input: &'a Input,
    options: &Options,
    port: Option<&str>,
    usable: bool,
) -> JsonReport<'a> {
    let subject = |label: String,
                   value: Result<serde_json::Value, String>,
                   check: Option<String>| JsonSubject {
        label,
        refused: value.as_ref().err().cloned().or(check),
        settings: value.ok(),
    };
    let to_value = |v: Result<serde_json::Value, serde_json::Error>| v.map_err(|e| e.to_string());
    match input {
        Input::Wsdl(w) => JsonReport {
            document: &w.name,
            kind: "wsdl",
            usable,
            warnings: &w.warnings,
            subjects: configure_wsdl(w, options)
                .into_iter()
                .zip(&w.endpoints)
                .filter(|(_, e)| port.is_none_or(|p| p == e.port || p == e.binding))
                .map(|((label, r), _)| {
                    let check = r
                        .as_ref()
                        .ok()
                        .and_then(|s| s.check().err())
                        .map(|e| e.to_string());
                    let value = r
                        .map_err(|e| e.to_string())
                        .and_then(|s| to_value(serde_json::to_value(&s)));
                    subject(label, value, check)
                })
                .collect(),
        },
        Input::Policies(d) => JsonReport {
            document: &d.name,
            kind: "policy",
            usable,
            warnings: &d.warnings,
            subjects: configure_document(d, options)
                .into_iter()
                .map(|(label, r)| {
                    let check = r
                        .as_ref()
                        .ok()
                        .and_then(|s| s.check(&label).err())
                        .map(|e| e.to_string());
                    let value = r
                        .map_err(|e| e.to_string())
                        .and_then(|s| to_value(serde_json::to_value(&s)));
                    subject(label, value, check)
                })
                .collect(),
        },
    }
}
