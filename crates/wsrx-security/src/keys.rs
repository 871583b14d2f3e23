//! From a `ds:KeyInfo` to a key: STR → (DKT →) SCT → secret through the
//! [`KeyResolver`] (spec-facts §3.4, §4 "tokens declared before use").

use wsrx_crypto::SecretKey;
use wsrx_xml::{Element, NodeId};

use crate::error::SecurityError;
use crate::ids::IdIndex;
use crate::ns::{DS, WSSE, XENC};
use crate::token::{
    DerivedKeyToken, KeyResolver, ScVersion, SecurityContextToken, SecurityTokenReference,
    TokenReference,
};
use crate::util::element_children;
use crate::x509::{ENCRYPTED_KEY_SHA1, ENCRYPTED_KEY_TOKEN_TYPE, sha1_of_element};

/// Which token a key traces to: the SCT identity, and whether a DKT was in between.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct KeyIdentity {
    /// The `wsc:Identifier` of the SCT the key comes from.
    pub sct_identifier: String,
    /// The SCT instance (from the token in the message or the STR), if any.
    pub instance: Option<String>,
    /// The DKT the key was derived with (`None` = the SCT secret itself, as gSOAP's
    /// direct sct-hmac signatures use).
    pub derived_by: Option<NodeId>,
    /// `Some(EncryptedKeySHA1)` when the key traces to an `xenc:EncryptedKey` (the X.509
    /// bootstrap's ephemeral key) instead of an SCT; `sct_identifier` is then
    /// [`encrypted_key_identity`] of it, which no SCT can have.
    pub encrypted_key: Option<[u8; 20]>,
}

/// The identity string of a key that traces to the `xenc:EncryptedKey` whose
/// `EncryptedKeySHA1` is `sha1` (`#EncryptedKeySHA1:` and the base64 value: not a URI, so no
/// `wsc:Identifier` can be equal to it). Pass it as the expected context of a
/// [`crate::ProtectionPolicy::open`] to require that key.
pub fn encrypted_key_identity(sha1: &[u8; 20]) -> String {
    format!("#EncryptedKeySHA1:{}", wsrx_crypto::base64::encode(sha1))
}

impl KeyIdentity {
    /// True when the key was derived through a `wsc:DerivedKeyToken`.
    pub fn is_derived(&self) -> bool {
        self.derived_by.is_some()
    }

    /// True when both keys trace to the same SCT (identifier and instance).
    pub fn same_context(&self, other: &Self) -> bool {
        self.sct_identifier == other.sct_identifier && self.instance == other.instance
    }
}

/// Everything key resolution needs for one message.
pub(crate) struct KeyContext<'a, 'd> {
    pub(crate) ids: &'a IdIndex<'d>,
    pub(crate) security: Element<'d>,
    pub(crate) resolver: &'a dyn KeyResolver,
}

impl<'d> KeyContext<'_, 'd> {
    /// Resolves the key of `key_info` (a `ds:KeyInfo` holding one STR), used by `user`.
    pub(crate) fn key_info(
        &self,
        key_info: Element<'d>,
        user: Element<'d>,
    ) -> Result<(SecretKey, KeyIdentity), SecurityError> {
        if !key_info.is(DS, "KeyInfo") {
            return Err(SecurityError::InvalidSecurity("expected KeyInfo"));
        }
        let str_ref = key_info_reference(key_info)?;
        self.resolve(&str_ref, user, true)
    }

    fn resolve(
        &self,
        str_ref: &SecurityTokenReference,
        user: Element<'d>,
        allow_dkt: bool,
    ) -> Result<(SecretKey, KeyIdentity), SecurityError> {
        match &str_ref.reference {
            TokenReference::Local(id) => {
                let token = self
                    .ids
                    .fragment(&format!("#{id}"))
                    .ok_or(SecurityError::TokenUnavailable)?;
                // Tokens live in the security header being processed and are declared
                // before the element that uses them (WS-SP Strict layout).
                if token.parent() != Some(self.security) || token.id() >= user.id() {
                    return Err(SecurityError::TokenUnavailable);
                }
                if token.is(XENC, "EncryptedKey") {
                    check_value_type(str_ref, ENCRYPTED_KEY_TOKEN_TYPE)?;
                    return self.encrypted_key(sha1_of_element(token)?);
                }
                let version = token
                    .namespace()
                    .and_then(ScVersion::from_namespace)
                    .ok_or(SecurityError::TokenUnavailable)?;
                match token.local_name() {
                    "SecurityContextToken" => {
                        check_value_type(str_ref, version.sct_value_type())?;
                        let sct = SecurityContextToken::parse(token)?;
                        let secret = self
                            .resolver
                            .sct_secret(&sct.identifier, sct.instance.as_deref())
                            .map_err(SecurityError::BadContextToken)?;
                        Ok((
                            secret,
                            KeyIdentity {
                                sct_identifier: sct.identifier,
                                instance: sct.instance,
                                derived_by: None,
                                encrypted_key: None,
                            },
                        ))
                    }
                    "DerivedKeyToken" if allow_dkt => {
                        check_value_type(str_ref, version.dk_value_type())?;
                        let dkt = DerivedKeyToken::parse(token)?;
                        let (base, mut identity) =
                            self.resolve(&dkt.base, token, false).map_err(|e| match e {
                                SecurityError::TokenUnavailable => {
                                    SecurityError::UnknownDerivationSource
                                }
                                other => other,
                            })?;
                        let key = dkt.derive(&base)?;
                        identity.derived_by = Some(token.id());
                        Ok((key, identity))
                    }
                    _ => Err(SecurityError::TokenUnavailable),
                }
            }
            TokenReference::External(identifier) => {
                if let Some(vt) = &str_ref.value_type
                    && vt != ScVersion::V200512.sct_value_type()
                    && vt != ScVersion::V200502.sct_value_type()
                {
                    return Err(SecurityError::TokenUnavailable);
                }
                let secret = self
                    .resolver
                    .sct_secret(identifier, str_ref.instance.as_deref())
                    .map_err(SecurityError::BadContextToken)?;
                Ok((
                    secret,
                    KeyIdentity {
                        sct_identifier: identifier.clone(),
                        instance: str_ref.instance.clone(),
                        derived_by: None,
                        encrypted_key: None,
                    },
                ))
            }
            // WSS 1.1 §7.3: an EncryptedKey sent earlier (the request of an X.509 bootstrap),
            // named by the SHA-1 of its octets.
            TokenReference::KeyIdentifier {
                value_type: Some(vt),
                value,
            } if vt == ENCRYPTED_KEY_SHA1 => {
                let sha1 = wsrx_crypto::base64::decode(value)
                    .and_then(|v| <[u8; 20]>::try_from(v).ok())
                    .ok_or(SecurityError::InvalidToken("bad EncryptedKeySHA1"))?;
                self.encrypted_key(sha1)
            }
            // Other key identifiers name X.509 or SAML tokens, never SCTs.
            TokenReference::KeyIdentifier { .. } => Err(SecurityError::TokenUnavailable),
        }
    }

    /// The key of the EncryptedKey whose `EncryptedKeySHA1` is `sha1`, from the resolver.
    fn encrypted_key(&self, sha1: [u8; 20]) -> Result<(SecretKey, KeyIdentity), SecurityError> {
        let secret = self
            .resolver
            .encrypted_key(&sha1)
            .map_err(|_| SecurityError::TokenUnavailable)?;
        Ok((
            secret,
            KeyIdentity {
                sct_identifier: encrypted_key_identity(&sha1),
                instance: None,
                derived_by: None,
                encrypted_key: Some(sha1),
            },
        ))
    }
}

fn check_value_type(str_ref: &SecurityTokenReference, expected: &str) -> Result<(), SecurityError> {
    match &str_ref.value_type {
        Some(vt) if vt != expected => Err(SecurityError::InvalidToken("STR ValueType mismatch")),
        _ => Ok(()),
    }
}

/// The one `wsse:SecurityTokenReference` a `ds:KeyInfo` must hold (WSS 1.1 §8.4; a
/// second child is refused rather than ignored).
pub(crate) fn key_info_reference(
    key_info: Element<'_>,
) -> Result<SecurityTokenReference, SecurityError> {
    let mut children = element_children(key_info)?;
    let str_el = children
        .next()
        .filter(|c| c.is(WSSE, "SecurityTokenReference"))
        .ok_or(SecurityError::TokenUnavailable)?;
    if children.next().is_some() {
        return Err(SecurityError::InvalidSecurity(
            "KeyInfo with several children",
        ));
    }
    SecurityTokenReference::parse(str_el)
}
