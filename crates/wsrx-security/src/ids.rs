//! Resolution of same-document references `URI="#id"` (XML-DSig §4.3.3.3 with the
//! WSS 1.1 §4 `wsu:Id` rule), built once per message.
//!
//! An id is the value of `wsu:Id` on any element, or of the unqualified `Id` on an
//! element of the `ds`, `xenc`, `wsse`, `wsse11` or `wsc` namespaces (where the schemas
//! put it). Any id value present twice anywhere in the document is refused, so a
//! reference always names exactly one element: the first defence against signature
//! wrapping (the second is the signed-parts policy in [`crate::policy`]).

use std::collections::HashMap;

use wsrx_xml::{Document, Element};

use crate::error::SecurityError;
use crate::ns::{DS, WSC_200502, WSC_200512, WSSE, WSSE11, WSU, XENC};

/// Id value → element, for one document.
#[derive(Debug)]
pub(crate) struct IdIndex<'d> {
    map: HashMap<&'d str, Element<'d>>,
}

fn schema_id_namespace(ns: Option<&str>) -> bool {
    matches!(ns, Some(n) if n == DS || n == XENC || n == WSSE || n == WSSE11 || n == WSC_200512 || n == WSC_200502)
}

/// The id an element carries (`wsu:Id`, else the unqualified `Id` where it counts).
/// Two different ids on one element (`wsu:Id` and `Id`) are both indexed.
fn ids_of(e: Element<'_>) -> impl Iterator<Item = &str> {
    let own = schema_id_namespace(e.namespace());
    e.attributes().filter_map(move |a| {
        if a.local_name() != "Id" {
            return None;
        }
        match a.namespace() {
            Some(ns) if ns == WSU => Some(a.value()),
            None if own => Some(a.value()),
            _ => None,
        }
    })
}

impl<'d> IdIndex<'d> {
    /// Indexes every id of `doc`; [`SecurityError::DuplicateId`] on any repeat.
    pub(crate) fn build(doc: &'d Document) -> Result<Self, SecurityError> {
        let mut map = HashMap::with_capacity(32);
        for e in doc.elements() {
            for id in ids_of(e) {
                if map.insert(id, e).is_some() {
                    return Err(SecurityError::DuplicateId);
                }
            }
        }
        Ok(Self { map })
    }

    /// The element named by a fragment `#id`; `None` for other URI forms or unknown ids.
    pub(crate) fn fragment(&self, uri: &str) -> Option<Element<'d>> {
        let id = uri.strip_prefix('#')?;
        self.map.get(id).copied()
    }

    /// True when some element carries an id starting with `prefix`.
    pub(crate) fn any_starts_with(&self, prefix: &str) -> bool {
        self.map.keys().any(|k| k.starts_with(prefix))
    }

    /// True when some element already carries this id.
    pub(crate) fn contains(&self, id: &str) -> bool {
        self.map.contains_key(id)
    }
}

/// The `wsu:Id` of an element, if any.
pub(crate) fn wsu_id(e: Element<'_>) -> Option<&str> {
    e.attribute(Some(WSU), "Id")
}
