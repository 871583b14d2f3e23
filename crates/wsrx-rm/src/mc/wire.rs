//! The WS-MakeConnection 1.1 wire forms: the `wsmc:MakeConnection` body (§3.2) and the
//! `wsmc:MessagePending` header (§3.3).

use wsrx_xml::{Element, XmlWriter};

use super::{McError, NS, Selection, anonymous_id};
use crate::msg::SequenceId;
use crate::version::RmVersion;

/// Whether `element` is a `wsmc:MakeConnection` (the body of a MakeConnection request).
#[must_use]
pub fn is_make_connection(element: Element<'_>) -> bool {
    element.is(NS, "MakeConnection")
}

/// Reads a `wsmc:MakeConnection` body (§3.2): `wsmc:Address` (an MC anonymous URI) and/or,
/// by the WS-RM extension (WS-RM 1.1 §3.10), a `wsrm:Identifier`.
///
/// # Errors
/// [`McError::Malformed`] when `body` is not a MakeConnection or repeats a child,
/// [`McError::MissingSelection`] without any selection, [`McError::UnsupportedSelection`]
/// for an extension element other than `wsrm:Identifier`, or an Address that is not an MC
/// anonymous URI.
pub fn decode_make_connection(body: Element<'_>) -> Result<Selection, McError> {
    if !is_make_connection(body) {
        return Err(McError::Malformed("the body is not a wsmc:MakeConnection"));
    }
    let mut selection = Selection {
        address: None,
        sequence: None,
    };
    for child in body.child_elements() {
        let ns = child.namespace();
        let local = child.local_name();
        if ns == Some(NS) && local == "Address" {
            if selection.address.is_some() {
                return Err(McError::Malformed("two wsmc:Address"));
            }
            let text = child.trimmed_text();
            let id = anonymous_id(&text).ok_or_else(|| {
                McError::UnsupportedSelection(clip(&format!("wsmc:Address {text}")))
            })?;
            selection.address = Some(id.to_owned());
        } else if ns == Some(RmVersion::V1_1.namespace()) && local == "Identifier" {
            if selection.sequence.is_some() {
                return Err(McError::Malformed("two wsrm:Identifier"));
            }
            let text = child.trimmed_text();
            if text.is_empty() {
                return Err(McError::Malformed("empty wsrm:Identifier"));
            }
            selection.sequence = Some(SequenceId::new(clip(&text)));
        } else if ns == Some(NS) {
            return Err(McError::Malformed("unknown wsmc element in MakeConnection"));
        } else {
            // An extension selection this endpoint does not implement (§3.2, §4.1).
            let qname = match ns {
                Some(n) => format!("{{{n}}}{local}"),
                None => local.to_owned(),
            };
            return Err(McError::UnsupportedSelection(clip(&qname)));
        }
    }
    if selection.address.is_none() && selection.sequence.is_none() {
        return Err(McError::MissingSelection);
    }
    Ok(selection)
}

/// The `pending` value of a `wsmc:MessagePending` header block (§3.3), `None` when `header`
/// is not one or its value is not an `xs:boolean`.
#[must_use]
pub fn message_pending(header: Element<'_>) -> Option<bool> {
    if !header.is(NS, "MessagePending") {
        return None;
    }
    match header.attribute(None, "pending")?.trim() {
        "true" | "1" => Some(true),
        "false" | "0" => Some(false),
        _ => None,
    }
}

/// Writes the body of a `MakeConnection` selecting the MC anonymous URI `address` (§3.2).
pub fn write_make_connection(w: &mut XmlWriter, address: &str) {
    w.start(Some(NS), "MakeConnection");
    w.leaf(Some(NS), "Address", address);
    w.end();
}

/// Writes a `wsmc:MessagePending` header block (§3.3).
pub fn write_message_pending(w: &mut XmlWriter, pending: bool) {
    w.start(Some(NS), "MessagePending");
    w.attr(None, "pending", if pending { "true" } else { "false" });
    w.end();
}

/// A value from the peer, cut to a size fit for an error.
fn clip(s: &str) -> String {
    s.chars().take(super::MAX_ID_LEN).collect()
}
