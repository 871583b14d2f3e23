//! WS-SecureConversation tokens and the references to them (spec-facts §3.1, §3.3, §3.4):
//! [`SecurityContextToken`], [`DerivedKeyToken`], [`SecurityTokenReference`], and the
//! [`KeyResolver`] through which the token service supplies SCT secrets.

use wsrx_crypto::{MAX_DERIVATION_BYTES, P_SHA1_URI_200502, P_SHA1_URI_200512, SecretKey};
use wsrx_xml::Element;

use crate::error::{ResolveError, SecurityError};
use crate::ns::{WSC_200502, WSC_200512, WSSE, WSSE11, WSU};
use crate::util::{element_children, leaf_text, push_attr, push_text};
use wsrx_crypto::base64;

/// Default `wsc:Length` of a derived key, in bytes (WS-SC 1.4 §7).
pub const DEFAULT_DERIVED_LENGTH: u64 = 32;
/// Longest derived key we accept, in bytes (the largest key any suite uses is 32).
pub const MAX_DERIVED_LENGTH: u64 = 64;
/// Longest `wsc:Nonce` we accept, in bytes.
pub const MAX_NONCE_LEN: usize = 256;
/// Longest `wsc:Label` we accept, in bytes.
pub const MAX_LABEL_LEN: usize = 256;
/// Longest identifier (SCT Identifier, STR URI) we accept, in bytes.
pub const MAX_IDENTIFIER_LEN: usize = 1024;

/// The WS-SecureConversation version, named by its namespace (spec-facts §1.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ScVersion {
    /// WS-SC 1.3/1.4, `http://docs.oasis-open.org/ws-sx/ws-secureconversation/200512`.
    V200512,
    /// WS-SC February 2005, `http://schemas.xmlsoap.org/ws/2005/02/sc` (WSS4J's default).
    V200502,
}

impl ScVersion {
    /// The version whose namespace this is.
    pub fn from_namespace(ns: &str) -> Option<Self> {
        match ns {
            WSC_200512 => Some(Self::V200512),
            WSC_200502 => Some(Self::V200502),
            _ => None,
        }
    }

    /// The namespace URI.
    pub fn namespace(self) -> &'static str {
        match self {
            Self::V200512 => WSC_200512,
            Self::V200502 => WSC_200502,
        }
    }

    /// The SCT token type / STR ValueType.
    pub fn sct_value_type(self) -> &'static str {
        match self {
            Self::V200512 => "http://docs.oasis-open.org/ws-sx/ws-secureconversation/200512/sct",
            Self::V200502 => "http://schemas.xmlsoap.org/ws/2005/02/sc/sct",
        }
    }

    /// The DKT token type / STR ValueType.
    pub fn dk_value_type(self) -> &'static str {
        match self {
            Self::V200512 => "http://docs.oasis-open.org/ws-sx/ws-secureconversation/200512/dk",
            Self::V200502 => "http://schemas.xmlsoap.org/ws/2005/02/sc/dk",
        }
    }

    /// The P_SHA1 derivation algorithm URI (the default `@Algorithm` of a DKT).
    pub fn p_sha1_uri(self) -> &'static str {
        match self {
            Self::V200512 => P_SHA1_URI_200512,
            Self::V200502 => P_SHA1_URI_200502,
        }
    }
}

/// Supplies the secret of a security context. Implemented by the token service
/// (`wsrx-sc`), so this crate never depends on it.
pub trait KeyResolver {
    /// The secret of the SCT with this `wsc:Identifier` and, if given, `wsc:Instance`.
    ///
    /// # Errors
    /// [`ResolveError`] when the context is unknown, expired or cannot be looked up.
    fn sct_secret(
        &self,
        identifier: &str,
        instance: Option<&str>,
    ) -> Result<SecretKey, ResolveError>;

    /// The current `wsc:Instance` of the context `identifier`, which a message protected
    /// with it now must name: a renewal gives the context a new key and a new Instance
    /// under the same Identifier (WS-SC 1.4 §7). `None` when the context has no
    /// instance or is not known here (the default).
    fn current_instance(&self, identifier: &str) -> Option<String> {
        let _ = identifier;
        None
    }

    /// The key carried by the `xenc:EncryptedKey` whose `EncryptedKeySHA1` (WSS 1.1 §7.3) is
    /// `sha1`: the ephemeral key of an X.509 bootstrap, decrypted beforehand by whoever holds
    /// the certificate's private key (the token service), or remembered by the requester
    /// that made it. `Unknown` by default: application traffic never derives from one.
    ///
    /// # Errors
    /// [`ResolveError`] when the key is not known here.
    fn encrypted_key(&self, sha1: &[u8; 20]) -> Result<SecretKey, ResolveError> {
        let _ = sha1;
        Err(ResolveError::Unknown)
    }
}

fn bounded(text: &str, what: &'static str) -> Result<String, SecurityError> {
    if text.is_empty() || text.len() > MAX_IDENTIFIER_LEN {
        return Err(SecurityError::InvalidToken(what));
    }
    Ok(text.to_owned())
}

/// `wsc:SecurityContextToken` (WS-SC 1.4 §3): identifier, optional instance, optional `wsu:Id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecurityContextToken {
    /// Namespace version.
    pub version: ScVersion,
    /// `wsc:Identifier`: an absolute URI, treated as opaque.
    pub identifier: String,
    /// `wsc:Instance`, present after renewal.
    pub instance: Option<String>,
    /// `@wsu:Id`, for local references.
    pub wsu_id: Option<String>,
}

impl SecurityContextToken {
    /// Parses a `wsc:SecurityContextToken` element of either version. Unknown
    /// extension children (WCF's cookie) are ignored.
    ///
    /// # Errors
    /// [`SecurityError::InvalidToken`] for a wrong element, a missing or repeated
    /// Identifier, or oversized values.
    pub fn parse(e: Element<'_>) -> Result<Self, SecurityError> {
        let version = e
            .namespace()
            .and_then(ScVersion::from_namespace)
            .filter(|_| e.local_name() == "SecurityContextToken")
            .ok_or(SecurityError::InvalidToken("not a SecurityContextToken"))?;
        let ns = version.namespace();
        let (mut identifier, mut instance) = (None, None);
        for c in element_children(e)? {
            let slot = if c.is(ns, "Identifier") {
                &mut identifier
            } else if c.is(ns, "Instance") {
                &mut instance
            } else {
                continue;
            };
            if slot.is_some() {
                return Err(SecurityError::InvalidToken("repeated SCT child"));
            }
            *slot = Some(bounded(&leaf_text(c)?, "bad SCT value")?);
        }
        Ok(Self {
            version,
            identifier: identifier.ok_or(SecurityError::InvalidToken("SCT without Identifier"))?,
            instance,
            wsu_id: e.attribute(Some(WSU), "Id").map(str::to_owned),
        })
    }

    /// Writes the token (declaring its namespaces on itself).
    pub fn write(&self, out: &mut String) {
        let ns = self.version.namespace();
        out.push_str("<wsc:SecurityContextToken xmlns:wsc=\"");
        out.push_str(ns);
        out.push('"');
        if let Some(id) = &self.wsu_id {
            out.push_str(" xmlns:wsu=\"");
            out.push_str(WSU);
            out.push_str("\" wsu:Id=\"");
            push_attr(out, id);
            out.push('"');
        }
        out.push_str("><wsc:Identifier>");
        push_text(out, &self.identifier);
        out.push_str("</wsc:Identifier>");
        if let Some(i) = &self.instance {
            out.push_str("<wsc:Instance>");
            push_text(out, i);
            out.push_str("</wsc:Instance>");
        }
        out.push_str("</wsc:SecurityContextToken>");
    }
}

/// What a `wsse:SecurityTokenReference` points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenReference {
    /// `wsse:Reference URI="#id"`: a token in this message.
    Local(String),
    /// `wsse:Reference URI="<identifier>"`: an SCT by its `wsc:Identifier` (unattached form).
    External(String),
    /// `wsse:KeyIdentifier`: parsed, but never used for SCTs (spec-facts §3.4).
    KeyIdentifier {
        /// `@ValueType`.
        value_type: Option<String>,
        /// The identifier text.
        value: String,
    },
}

/// `wsse:SecurityTokenReference` (WSS 1.1 §7) in the forms used for SCTs and DKTs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecurityTokenReference {
    /// The target.
    pub reference: TokenReference,
    /// `@ValueType` of the `wsse:Reference` (the token type), if given.
    pub value_type: Option<String>,
    /// `@wsc:Instance` on the `wsse:Reference` (WCF after renewal).
    pub instance: Option<String>,
}

impl SecurityTokenReference {
    /// Parses a `wsse:SecurityTokenReference` with exactly one `wsse:Reference` or
    /// `wsse:KeyIdentifier` child.
    ///
    /// # Errors
    /// [`SecurityError::InvalidToken`] for any other shape.
    pub fn parse(e: Element<'_>) -> Result<Self, SecurityError> {
        if !e.is(WSSE, "SecurityTokenReference") {
            return Err(SecurityError::InvalidToken("not a SecurityTokenReference"));
        }
        let mut children = element_children(e)?;
        let child = children
            .next()
            .ok_or(SecurityError::InvalidToken("empty STR"))?;
        if children.next().is_some() {
            return Err(SecurityError::InvalidToken("STR with several children"));
        }
        if child.is(WSSE, "Reference") {
            let uri = child
                .attribute(None, "URI")
                .ok_or(SecurityError::InvalidToken("Reference without URI"))?;
            let reference = match uri.strip_prefix('#') {
                Some(id) => TokenReference::Local(bounded(id, "bad STR URI")?),
                None => TokenReference::External(bounded(uri, "bad STR URI")?),
            };
            let instance = child
                .attribute(Some(WSC_200512), "Instance")
                .or_else(|| child.attribute(Some(WSC_200502), "Instance"))
                .map(str::to_owned);
            Ok(Self {
                reference,
                value_type: child.attribute(None, "ValueType").map(str::to_owned),
                instance,
            })
        } else if child.is(WSSE, "KeyIdentifier") {
            Ok(Self {
                reference: TokenReference::KeyIdentifier {
                    value_type: child.attribute(None, "ValueType").map(str::to_owned),
                    value: bounded(&leaf_text(child)?, "bad KeyIdentifier")?,
                },
                value_type: None,
                instance: None,
            })
        } else {
            Err(SecurityError::InvalidToken("unsupported STR form"))
        }
    }

    /// True when this references an `xenc:EncryptedKey`: by `#Id` with the EncryptedKey
    /// ValueType, or by an `EncryptedKeySHA1` key identifier (WSS 1.1 §7.3).
    pub fn names_encrypted_key(&self) -> bool {
        match &self.reference {
            TokenReference::KeyIdentifier { value_type, .. } => {
                value_type.as_deref() == Some(crate::x509::ENCRYPTED_KEY_SHA1)
            }
            TokenReference::Local(_) => {
                self.value_type.as_deref() == Some(crate::x509::ENCRYPTED_KEY_TOKEN_TYPE)
            }
            TokenReference::External(_) => false,
        }
    }

    /// Writes the STR (declaring `wsse` on itself; `wsc` too when an instance is set).
    pub fn write(&self, out: &mut String, version: ScVersion) {
        out.push_str("<wsse:SecurityTokenReference xmlns:wsse=\"");
        out.push_str(WSSE);
        out.push('"');
        if self.names_encrypted_key() {
            // WSS 1.1 §7.1: the type of the referenced token, for an EncryptedKey (as
            // WSS4J writes it; Metro reads both forms).
            out.push_str(" xmlns:wsse11=\"");
            out.push_str(WSSE11);
            out.push_str("\" wsse11:TokenType=\"");
            out.push_str(crate::x509::ENCRYPTED_KEY_TOKEN_TYPE);
            out.push('"');
        }
        out.push('>');
        match &self.reference {
            TokenReference::Local(_) | TokenReference::External(_) => {
                out.push_str("<wsse:Reference");
                if self.instance.is_some() {
                    out.push_str(" xmlns:wsc=\"");
                    out.push_str(version.namespace());
                    out.push('"');
                }
                out.push_str(" URI=\"");
                if let TokenReference::Local(id) = &self.reference {
                    out.push('#');
                    push_attr(out, id);
                } else if let TokenReference::External(uri) = &self.reference {
                    push_attr(out, uri);
                }
                out.push('"');
                if let Some(vt) = &self.value_type {
                    out.push_str(" ValueType=\"");
                    push_attr(out, vt);
                    out.push('"');
                }
                if let Some(i) = &self.instance {
                    out.push_str(" wsc:Instance=\"");
                    push_attr(out, i);
                    out.push('"');
                }
                out.push_str("></wsse:Reference>");
            }
            TokenReference::KeyIdentifier { value_type, value } => {
                out.push_str("<wsse:KeyIdentifier EncodingType=\"");
                out.push_str(crate::x509::BASE64_BINARY);
                out.push('"');
                if let Some(vt) = value_type {
                    out.push_str(" ValueType=\"");
                    push_attr(out, vt);
                    out.push('"');
                }
                out.push('>');
                push_text(out, value);
                out.push_str("</wsse:KeyIdentifier>");
            }
        }
        out.push_str("</wsse:SecurityTokenReference>");
    }
}

/// `wsc:DerivedKeyToken` (WS-SC 1.4 §7; defaults per spec-facts §3.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DerivedKeyToken {
    /// Namespace version.
    pub version: ScVersion,
    /// `@wsu:Id`.
    pub wsu_id: Option<String>,
    /// `@Algorithm`; `None` = that version's P_SHA1.
    pub algorithm: Option<String>,
    /// Reference to the base token (an SCT).
    pub base: SecurityTokenReference,
    /// Whether a `wsc:Properties` element was present (its content is not used).
    pub has_properties: bool,
    /// `wsc:Generation` (exclusive with `offset`).
    pub generation: Option<u64>,
    /// `wsc:Offset` (exclusive with `generation`).
    pub offset: Option<u64>,
    /// `wsc:Length` in bytes; `None` = 32.
    pub length: Option<u64>,
    /// `wsc:Label`; `None` = `WS-SecureConversationWS-SecureConversation`.
    pub label: Option<String>,
    /// `wsc:Nonce` (decoded).
    pub nonce: Vec<u8>,
}

fn number(e: Element<'_>) -> Result<u64, SecurityError> {
    let t = leaf_text(e)?;
    if t.is_empty() || t.len() > 20 || !t.bytes().all(|b| b.is_ascii_digit()) {
        return Err(SecurityError::InvalidToken("bad number in DKT"));
    }
    t.parse()
        .map_err(|_| SecurityError::InvalidToken("bad number in DKT"))
}

impl DerivedKeyToken {
    /// Parses a `wsc:DerivedKeyToken` of either version, checking child order, the
    /// Generation/Offset exclusion and the bounds on Length, Offset, Label and Nonce.
    ///
    /// # Errors
    /// [`SecurityError::InvalidToken`]; [`SecurityError::UnsupportedAlgorithm`] for a
    /// derivation algorithm other than P_SHA1.
    pub fn parse(e: Element<'_>) -> Result<Self, SecurityError> {
        let version = e
            .namespace()
            .and_then(ScVersion::from_namespace)
            .filter(|_| e.local_name() == "DerivedKeyToken")
            .ok_or(SecurityError::InvalidToken("not a DerivedKeyToken"))?;
        let ns = version.namespace();
        let algorithm = e.attribute(None, "Algorithm").map(str::to_owned);
        if let Some(a) = &algorithm
            && a != P_SHA1_URI_200512
            && a != P_SHA1_URI_200502
        {
            return Err(SecurityError::UnsupportedAlgorithm);
        }
        let mut children = element_children(e)?.peekable();
        let base = SecurityTokenReference::parse(
            children
                .next()
                .ok_or(SecurityError::InvalidToken("DKT without STR"))?,
        )?;
        let mut dkt = Self {
            version,
            wsu_id: e.attribute(Some(WSU), "Id").map(str::to_owned),
            algorithm,
            base,
            has_properties: false,
            generation: None,
            offset: None,
            length: None,
            label: None,
            nonce: Vec::new(),
        };
        let mut nonce = None;
        // Schema order: Properties?, (Generation | Offset)?, Length?, Label?, Nonce?
        let mut stage = 0u8;
        for c in children {
            let (at, name) = if c.namespace() != Some(ns) {
                return Err(SecurityError::InvalidToken("unexpected DKT child"));
            } else {
                match c.local_name() {
                    "Properties" => (1, "Properties"),
                    "Generation" | "Offset" => (2, "GenOff"),
                    "Length" => (3, "Length"),
                    "Label" => (4, "Label"),
                    "Nonce" => (5, "Nonce"),
                    _ => return Err(SecurityError::InvalidToken("unexpected DKT child")),
                }
            };
            if at <= stage {
                return Err(SecurityError::InvalidToken("DKT children out of order"));
            }
            stage = at;
            match (name, c.local_name()) {
                ("Properties", _) => dkt.has_properties = true,
                (_, "Generation") => dkt.generation = Some(number(c)?),
                (_, "Offset") => dkt.offset = Some(number(c)?),
                (_, "Length") => dkt.length = Some(number(c)?),
                (_, "Label") => {
                    let l = leaf_text(c)?;
                    if l.len() > MAX_LABEL_LEN {
                        return Err(SecurityError::InvalidToken("label too long"));
                    }
                    dkt.label = Some(l.into_owned());
                }
                _ => {
                    let n = base64::decode(&leaf_text(c)?)
                        .ok_or(SecurityError::InvalidToken("bad nonce"))?;
                    if n.is_empty() || n.len() > MAX_NONCE_LEN {
                        return Err(SecurityError::InvalidToken("bad nonce length"));
                    }
                    nonce = Some(n);
                }
            }
        }
        dkt.nonce = nonce.ok_or(SecurityError::InvalidToken("DKT without Nonce"))?;
        dkt.effective_offset()?;
        Ok(dkt)
    }

    /// The key length in bytes (`wsc:Length`, default 32), bounded by [`MAX_DERIVED_LENGTH`].
    ///
    /// # Errors
    /// [`SecurityError::InvalidToken`] for 0 or more than [`MAX_DERIVED_LENGTH`].
    pub fn effective_length(&self) -> Result<u64, SecurityError> {
        let len = self.length.unwrap_or(DEFAULT_DERIVED_LENGTH);
        if len == 0 || len > MAX_DERIVED_LENGTH {
            return Err(SecurityError::InvalidToken(
                "derived key length out of bounds",
            ));
        }
        Ok(len)
    }

    /// The offset: `wsc:Offset`, or Generation × Length, or 0; offset + length is
    /// bounded by `wsrx_crypto::MAX_DERIVATION_BYTES`.
    ///
    /// # Errors
    /// [`SecurityError::InvalidToken`] when both are given or the bound is exceeded.
    pub fn effective_offset(&self) -> Result<u64, SecurityError> {
        let len = self.effective_length()?;
        let offset = match (self.generation, self.offset) {
            (Some(_), Some(_)) => {
                return Err(SecurityError::InvalidToken("both Generation and Offset"));
            }
            (Some(g), None) => g.checked_mul(len),
            (None, Some(o)) => Some(o),
            (None, None) => Some(0),
        };
        match offset {
            Some(o)
                if o.checked_add(len)
                    .is_some_and(|end| end <= MAX_DERIVATION_BYTES) =>
            {
                Ok(o)
            }
            _ => Err(SecurityError::InvalidToken(
                "derived key offset out of bounds",
            )),
        }
    }

    /// Derives the key from the base token's secret:
    /// `P_SHA1(secret, label || nonce)[offset .. offset + length]`.
    ///
    /// # Errors
    /// As [`DerivedKeyToken::effective_offset`]; crypto bounds as `InvalidToken`.
    pub fn derive(&self, base_secret: &SecretKey) -> Result<SecretKey, SecurityError> {
        let offset = self.effective_offset()?;
        let len = self.effective_length()?;
        Ok(wsrx_crypto::derive_key(
            base_secret,
            self.label.as_deref().map(str::as_bytes),
            &self.nonce,
            offset,
            len,
        )?)
    }

    /// Writes the token, with explicit Offset (or Generation) and Length, as WSS4J
    /// and gSOAP do (and never a Label, which WCF cannot read back).
    pub fn write(&self, out: &mut String) {
        out.push_str("<wsc:DerivedKeyToken xmlns:wsc=\"");
        out.push_str(self.version.namespace());
        out.push('"');
        if let Some(id) = &self.wsu_id {
            out.push_str(" xmlns:wsu=\"");
            out.push_str(WSU);
            out.push_str("\" wsu:Id=\"");
            push_attr(out, id);
            out.push('"');
        }
        if let Some(a) = &self.algorithm {
            out.push_str(" Algorithm=\"");
            push_attr(out, a);
            out.push('"');
        }
        out.push('>');
        self.base.write(out, self.version);
        if let Some(g) = self.generation {
            out.push_str(&format!("<wsc:Generation>{g}</wsc:Generation>"));
        } else {
            out.push_str(&format!(
                "<wsc:Offset>{}</wsc:Offset>",
                self.offset.unwrap_or(0)
            ));
        }
        if let Some(l) = self.length {
            out.push_str(&format!("<wsc:Length>{l}</wsc:Length>"));
        }
        if let Some(l) = &self.label {
            out.push_str("<wsc:Label>");
            push_text(out, l);
            out.push_str("</wsc:Label>");
        }
        out.push_str("<wsc:Nonce>");
        out.push_str(&base64::encode(&self.nonce));
        out.push_str("</wsc:Nonce></wsc:DerivedKeyToken>");
    }
}

#[cfg(test)]
mod tests;
