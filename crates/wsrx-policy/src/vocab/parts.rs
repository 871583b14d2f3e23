//! Protected parts and elements (WS-SP 1.2 §4): `sp:SignedParts`,
//! `sp:EncryptedParts`, `sp:SignedElements`, `sp:EncryptedElements`,
//! `sp:ContentEncryptedElements`, `sp:RequiredElements`, `sp:RequiredParts`.
//!
//! The XPath subset is what real WSDLs write: an absolute path of element names
//! (`/soap:Envelope/soap:Header/wsa:To`) or a `//` path (`//ns:CreditCard`).
//! Predicates, attributes, functions, axes and wildcards are refused by name.

use crate::error::{Refusal, RefusalReason};
use crate::normal::Assertion;
use crate::xml::XmlElement;

use super::mapper::{is_sp, refuse, refuse_parameter, unknown_parameter};
use super::security::{HeaderSelector, Protection, XPath};

/// Applies `sp:SignedParts` or `sp:EncryptedParts` `a` to `into` (§4.1.1, §4.2.1): an
/// assertion with no `sp:Body`/`sp:Header` child means the Body and every header when
/// signing, the Body when encrypting.
pub(crate) fn parts(a: &Assertion, into: &mut Protection, signing: bool) -> Result<(), Refusal> {
    let mut any = false;
    for p in a.parameter_elements() {
        if !is_sp(&p.namespace) {
            return Err(unknown_parameter(a, p));
        }
        match p.local.as_str() {
            "Body" => {
                into.body = true;
                any = true;
            }
            "Header" => {
                into.headers.push(header(a, p)?);
                any = true;
            }
            "Attachments" => {
                return Err(refuse_parameter(
                    a,
                    p.name(),
                    RefusalReason::Unsupported(
                        "SOAP attachments (SwA) are not supported by wsrx".to_owned(),
                    ),
                ));
            }
            _ => return Err(unknown_parameter(a, p)),
        }
    }
    if !any {
        into.body = true;
        if signing {
            into.all_headers = true;
        }
    }
    Ok(())
}

/// The headers of `sp:RequiredParts` (§4.3.2).
pub(crate) fn required_parts(a: &Assertion) -> Result<Vec<HeaderSelector>, Refusal> {
    a.parameter_elements()
        .map(|p| {
            if is_sp(&p.namespace) && p.local == "Header" {
                header(a, p)
            } else {
                Err(unknown_parameter(a, p))
            }
        })
        .collect()
}

fn header(a: &Assertion, p: &XmlElement) -> Result<HeaderSelector, Refusal> {
    let Some(namespace) = p.attribute("", "Namespace") else {
        return Err(refuse_parameter(
            a,
            p.name(),
            RefusalReason::Invalid("sp:Header needs a Namespace attribute".to_owned()),
        ));
    };
    Ok(HeaderSelector {
        namespace: namespace.trim().to_owned(),
        name: p.attribute("", "Name").map(|n| n.trim().to_owned()),
    })
}

/// The `sp:XPath` children of an elements assertion (§4.1.2, §4.2.2, §4.2.3, §4.3.1).
pub(crate) fn elements(a: &Assertion) -> Result<Vec<XPath>, Refusal> {
    if let Some(v) = a.attribute("", "XPathVersion")
        && v.trim() != "http://www.w3.org/TR/1999/REC-xpath-19991116"
    {
        return Err(refuse(
            a,
            RefusalReason::Unsupported(format!("XPathVersion {v:?}: only XPath 1.0 is supported")),
        ));
    }
    let mut out = Vec::new();
    for p in a.parameter_elements() {
        if is_sp(&p.namespace) && p.local == "XPath" {
            out.push(xpath(a, p)?);
        } else if is_sp(&p.namespace) && p.local == "XPath2" {
            return Err(refuse_parameter(
                a,
                p.name(),
                RefusalReason::Unsupported(
                    "XPath 2.0 filter expressions are not supported".to_owned(),
                ),
            ));
        } else {
            return Err(unknown_parameter(a, p));
        }
    }
    if out.is_empty() {
        return Err(refuse(
            a,
            RefusalReason::Invalid(format!("{} names no sp:XPath", a.name.prefixed())),
        ));
    }
    Ok(out)
}

/// Parses the supported XPath subset, resolving prefixes where the `sp:XPath` is.
fn xpath(a: &Assertion, p: &XmlElement) -> Result<XPath, Refusal> {
    let expression = p.text();
    let unsupported = |why: &str| {
        refuse_parameter(
            a,
            p.name(),
            RefusalReason::Unsupported(format!(
                "XPath {expression:?} is outside the supported subset (absolute or // paths of \
                 element names): {why}"
            )),
        )
    };
    let (descendant, rest) = if let Some(r) = expression.strip_prefix("//") {
        (true, r)
    } else if let Some(r) = expression.strip_prefix('/') {
        (false, r)
    } else {
        return Err(unsupported("it is not an absolute path"));
    };
    let mut steps = Vec::new();
    for step in rest.split('/') {
        if step.is_empty() {
            return Err(unsupported("'//' inside the path"));
        }
        if let Some(c) = step
            .chars()
            .find(|c| matches!(c, '[' | '@' | '(' | '*' | '|' | '.' | ' '))
        {
            return Err(unsupported(&format!("{c:?} in step {step:?}")));
        }
        if step.contains("::") {
            return Err(unsupported(&format!("axis in step {step:?}")));
        }
        let (namespace, local) = match step.split_once(':') {
            Some((prefix, local)) => match p.lookup(prefix) {
                Some(ns) => (ns.to_owned(), local.to_owned()),
                None => {
                    return Err(refuse_parameter(
                        a,
                        p.name(),
                        RefusalReason::Invalid(format!(
                            "XPath {expression:?}: prefix {prefix:?} is not declared"
                        )),
                    ));
                }
            },
            None => (String::new(), step.to_owned()),
        };
        steps.push((namespace, local));
    }
    Ok(XPath {
        expression,
        descendant,
        steps,
    })
}
