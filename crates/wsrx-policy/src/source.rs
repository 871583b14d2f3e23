//! Documents and how external ones are found: the caller's [`PolicyResolver`] (the
//! crate does no IO), a cache of parsed documents, and the index of policies by
//! `wsu:Id`, `xml:id` and `Name` (WS-Policy 1.5 §3.2, §4.3.5).

use std::collections::HashMap;
use std::rc::Rc;

use wsrx_xml::{Document, Element, Limits, NodeId, XML_NS};

use crate::error::PolicyError;
use crate::ns;
use crate::xml::{SourceDoc, text_position};

/// A document the resolver found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetched {
    /// The name to report it by and to resolve its own relative references against
    /// (a resolved path or an absolute URI).
    pub name: String,
    /// Its bytes.
    pub bytes: Vec<u8>,
}

/// Finds documents named by external policy references (`wsp:PolicyReference
/// URI="other.xml#P"`, `wsp:PolicyURIs`) and by `wsdl:import`. The crate does no IO:
/// the caller decides what may be read (files next to the WSDL, HTTP when allowed).
pub trait PolicyResolver {
    /// The document `uri` (fragment already removed) names, as seen from the document
    /// called `base`. An `Err` carries the reason the reference is refused.
    fn fetch(&mut self, uri: &str, base: &str) -> Result<Fetched, String>;
}

/// A resolver that refuses every external reference.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoResolver;

impl PolicyResolver for NoResolver {
    fn fetch(&mut self, _uri: &str, _base: &str) -> Result<Fetched, String> {
        Err("external references are not resolved here (no resolver was given)".to_owned())
    }
}

/// Bounds on what a policy may cost. Each violation is a typed [`PolicyError`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// Most alternatives a normal form may have, checked before anything is
    /// expanded (default 1,024).
    pub max_alternatives: usize,
    /// Deepest nesting of operators, assertions and references (default 64).
    pub max_depth: usize,
    /// Most policy elements after expanding every reference (default 50,000).
    pub max_elements: usize,
    /// Most distinct documents a resolver may be asked for (default 32).
    pub max_documents: usize,
    /// Limits of the XML reader for every document.
    pub xml: Limits,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            max_alternatives: 1024,
            max_depth: 64,
            max_elements: 50_000,
            max_documents: 32,
            xml: Limits::default(),
        }
    }
}

/// The documents of one analysis: the one the caller gave and those the resolver
/// supplied, each parsed once.
pub(crate) struct Sources<'r> {
    pub(crate) docs: Vec<Rc<SourceDoc>>,
    by_name: HashMap<String, usize>,
    ids: HashMap<usize, HashMap<String, NodeId>>,
    resolver: &'r mut dyn PolicyResolver,
    pub(crate) options: Options,
    pub(crate) warnings: Vec<String>,
}

impl<'r> Sources<'r> {
    pub(crate) fn new(resolver: &'r mut dyn PolicyResolver, options: &Options) -> Self {
        Self {
            docs: Vec::new(),
            by_name: HashMap::new(),
            ids: HashMap::new(),
            resolver,
            options: options.clone(),
            warnings: Vec::new(),
        }
    }

    /// Parses `bytes` as document `name` and adds it.
    pub(crate) fn add(&mut self, name: &str, bytes: &[u8]) -> Result<usize, PolicyError> {
        if let Some(&i) = self.by_name.get(name) {
            return Ok(i);
        }
        let doc = Document::parse_with(bytes, &self.options.xml).map_err(|error| {
            let (line, column) = text_position(bytes, error.offset());
            PolicyError::Xml {
                document: name.to_owned(),
                line,
                column,
                error,
            }
        })?;
        let index = self.docs.len();
        self.docs
            .push(Rc::new(SourceDoc::new(name.to_owned(), doc)));
        self.by_name.insert(name.to_owned(), index);
        Ok(index)
    }

    pub(crate) fn doc(&self, index: usize) -> Option<Rc<SourceDoc>> {
        self.docs.get(index).cloned()
    }

    /// The document `uri` names, seen from document `base`, fetched once.
    pub(crate) fn external(&mut self, uri: &str, base: usize) -> Result<usize, String> {
        let base_name = self
            .docs
            .get(base)
            .map(|d| d.name.clone())
            .unwrap_or_default();
        if let Some(&i) = self.by_name.get(uri) {
            return Ok(i);
        }
        if self.docs.len() >= self.options.max_documents {
            return Err(format!(
                "more than {} documents would be read",
                self.options.max_documents
            ));
        }
        let fetched = self.resolver.fetch(uri, &base_name)?;
        let index = self
            .add(&fetched.name, &fetched.bytes)
            .map_err(|e| e.to_string())?;
        self.by_name.insert(uri.to_owned(), index);
        Ok(index)
    }

    /// The `wsp:Policy` of document `doc` with `wsu:Id`/`xml:id` `fragment` (`"#id"`)
    /// or `Name` (the whole URI).
    pub(crate) fn policy_by_key(
        &mut self,
        doc: usize,
        key: &str,
    ) -> Result<Option<NodeId>, PolicyError> {
        if !self.ids.contains_key(&doc) {
            let index = self.index_ids(doc)?;
            self.ids.insert(doc, index);
        }
        Ok(self.ids.get(&doc).and_then(|m| m.get(key)).copied())
    }

    fn index_ids(&self, doc: usize) -> Result<HashMap<String, NodeId>, PolicyError> {
        let mut out = HashMap::new();
        let Some(source) = self.docs.get(doc) else {
            return Ok(out);
        };
        for e in source.doc.elements().filter(|e| is_policy_element(*e)) {
            for key in policy_keys(e) {
                if out.insert(key.clone(), e.id()).is_some() {
                    return Err(PolicyError::Invalid {
                        what: format!("policy identifier: {key} names more than one wsp:Policy"),
                        location: source.location(e),
                    });
                }
            }
        }
        Ok(out)
    }
}

/// True for `wsp:Policy` in any WS-Policy namespace.
pub(crate) fn is_policy_element(e: Element<'_>) -> bool {
    e.local_name() == "Policy" && e.namespace().is_some_and(ns::is_ws_policy)
}

/// The keys a policy can be referenced by: `#id` for `wsu:Id` and `xml:id`, the
/// `Name` IRI as written.
fn policy_keys(e: Element<'_>) -> Vec<String> {
    let mut keys = Vec::new();
    if let Some(id) = e.attribute(Some(ns::WSU), "Id") {
        keys.push(format!("#{}", wsrx_xml::trim_xml_whitespace(id)));
    }
    if let Some(id) = e.attribute(Some(XML_NS), "id") {
        let key = format!("#{}", wsrx_xml::trim_xml_whitespace(id));
        if !keys.contains(&key) {
            keys.push(key);
        }
    }
    if let Some(name) = e.attribute(None, "Name") {
        keys.push(wsrx_xml::trim_xml_whitespace(name).to_owned());
    }
    keys
}

/// The identifier a policy is shown by: its `wsu:Id`/`xml:id`, else its `Name`.
pub(crate) fn policy_label(e: Element<'_>) -> Option<String> {
    e.attribute(Some(ns::WSU), "Id")
        .or_else(|| e.attribute(Some(XML_NS), "id"))
        .map(|id| format!("#{id}"))
        .or_else(|| e.attribute(None, "Name").map(str::to_owned))
}
