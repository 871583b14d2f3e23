//! Reading RST and RSTR elements (WS-Trust 1.3 §3.1, §4.4, §7; WS-SC 1.4 §3–§6).

use wsrx_crypto::SecretKey;
use wsrx_security::ns::XENC;
use wsrx_security::{SecurityContextToken, SecurityTokenReference, parse_datetime};
use wsrx_xml::Element;

use super::{
    BinarySecret, Lifetime, MAX_KEY_SIZE_BITS, MAX_SECRET_LEN, ProofToken, Rst, Rstr, SecretType,
};
use crate::dialect::{Dialect, RequestType, WSSE, WSU};
use crate::error::TrustError;
use crate::util::{b64_decode, element_children, leaf};

fn dialect_of(e: Element<'_>, local: &str) -> Result<Dialect, TrustError> {
    e.namespace()
        .and_then(Dialect::from_trust_namespace)
        .filter(|_| e.local_name() == local)
        .ok_or(TrustError::NotTrust)
}

fn set_once<T>(slot: &mut Option<T>, value: T) -> Result<(), TrustError> {
    if slot.replace(value).is_some() {
        return Err(TrustError::Malformed("repeated WS-Trust child"));
    }
    Ok(())
}

fn text(e: Element<'_>) -> Result<String, TrustError> {
    leaf(e)
        .filter(|t| t.len() <= 2048)
        .ok_or(TrustError::Malformed("bad text value"))
}

fn key_size(e: Element<'_>) -> Result<u32, TrustError> {
    text(e)?
        .parse::<u32>()
        .ok()
        .filter(|b| *b > 0 && *b <= MAX_KEY_SIZE_BITS && b % 8 == 0)
        .ok_or(TrustError::Malformed("bad KeySize"))
}

fn binary_secret(e: Element<'_>, d: Dialect) -> Result<BinarySecret, TrustError> {
    let kind = match e.attribute(None, "Type") {
        None => SecretType::SymmetricKey,
        Some(t) if t == d.nonce_type() => SecretType::Nonce,
        Some(t) if t == d.symmetric_key_type() => SecretType::SymmetricKey,
        Some(_) => return Err(TrustError::Malformed("unsupported BinarySecret Type")),
    };
    let bytes = leaf(e)
        .and_then(|t| b64_decode(&t))
        .filter(|b| !b.is_empty() && b.len() <= MAX_SECRET_LEN)
        .ok_or(TrustError::Malformed("bad BinarySecret"))?;
    Ok(BinarySecret {
        kind,
        value: SecretKey::from_vec(bytes),
    })
}

/// `wst:Entropy` holding exactly one `wst:BinarySecret`.
fn entropy(e: Element<'_>, d: Dialect) -> Result<BinarySecret, TrustError> {
    let mut children = element_children(e).ok_or(TrustError::Malformed("text in Entropy"))?;
    let secret = children
        .next()
        .filter(|c| c.is(d.trust_namespace(), "BinarySecret"))
        .ok_or(TrustError::Malformed("Entropy without BinarySecret"))?;
    if children.next().is_some() {
        return Err(TrustError::Malformed("Entropy with several children"));
    }
    binary_secret(secret, d)
}

fn lifetime(e: Element<'_>) -> Result<Lifetime, TrustError> {
    let mut lt = Lifetime {
        created: None,
        expires: None,
    };
    let time = |c: Element<'_>| {
        parse_datetime(&text(c)?).ok_or(TrustError::Malformed("bad Lifetime time"))
    };
    for c in element_children(e).ok_or(TrustError::Malformed("text in Lifetime"))? {
        if c.is(WSU, "Created") {
            set_once(&mut lt.created, time(c)?)?;
        } else if c.is(WSU, "Expires") {
            set_once(&mut lt.expires, time(c)?)?;
        } else {
            return Err(TrustError::Malformed("unexpected Lifetime child"));
        }
    }
    if let (Some(c), Some(x)) = (lt.created, lt.expires)
        && x < c
    {
        return Err(TrustError::Malformed(
            "Lifetime expires before it is created",
        ));
    }
    Ok(lt)
}

/// The single child of a wrapper (`RenewTarget`, `RequestedSecurityToken`, …).
fn only_child<'d>(e: Element<'d>) -> Result<Element<'d>, TrustError> {
    let mut children = element_children(e).ok_or(TrustError::Malformed("text in wrapper"))?;
    let first = children
        .next()
        .ok_or(TrustError::Malformed("empty wrapper"))?;
    if children.next().is_some() {
        return Err(TrustError::Malformed("wrapper with several children"));
    }
    Ok(first)
}

/// The target of a Renew or Cancel: a `wsse:SecurityTokenReference`, or the token itself
/// (WS-Trust 1.3's Renewal and Cancel bindings let `wst:RenewTarget`/`wst:CancelTarget`
/// carry either; Apache CXF 4.2 cancels with the `wsc:SecurityContextToken` itself). A token
/// is read as a reference to its `wsc:Identifier` (and `wsc:Instance`): the proof the
/// request must then carry, the key of that context (WS-SC 1.3, cancelling), is checked by
/// the issuer as for any reference.
fn token_reference(e: Element<'_>) -> Result<SecurityTokenReference, TrustError> {
    let child = only_child(e)?;
    if child.local_name() == "SecurityContextToken" {
        let sct = SecurityContextToken::parse(child)
            .map_err(|_| TrustError::Malformed("bad SecurityContextToken"))?;
        return Ok(SecurityTokenReference {
            reference: wsrx_security::TokenReference::External(sct.identifier),
            value_type: None,
            instance: sct.instance,
        });
    }
    if !child.is(WSSE, "SecurityTokenReference") {
        return Err(TrustError::Malformed("expected a SecurityTokenReference"));
    }
    SecurityTokenReference::parse(child).map_err(|_| TrustError::Malformed("bad STR"))
}

impl Rst {
    /// Reads a `wst:RequestSecurityToken`. `action` is the message's `wsa:Action`, which
    /// alone tells an Amend apart from an Issue; pass `None` if unknown.
    ///
    /// # Errors
    /// [`TrustError`] for another element, a repeated or malformed child, a missing
    /// RequestType, or a Renew/Cancel without its target.
    pub fn parse(e: Element<'_>, action: Option<&str>) -> Result<Self, TrustError> {
        let d = dialect_of(e, "RequestSecurityToken")?;
        let wst = d.trust_namespace();
        let mut rst = Self::new(d, RequestType::Issue);
        rst.token_type = None;
        rst.context = e.attribute(None, "Context").map(str::to_owned);
        let mut request_type = None;
        for c in element_children(e).ok_or(TrustError::Malformed("text in RST"))? {
            if c.namespace() != Some(wst) {
                continue;
            }
            match c.local_name() {
                "TokenType" => set_once(&mut rst.token_type, text(c)?)?,
                "RequestType" => set_once(&mut request_type, text(c)?)?,
                "Entropy" => set_once(&mut rst.entropy, entropy(c, d)?)?,
                "KeySize" => set_once(&mut rst.key_size, key_size(c)?)?,
                "ComputedKeyAlgorithm" => set_once(&mut rst.computed_key_algorithm, text(c)?)?,
                "Lifetime" => set_once(&mut rst.lifetime, lifetime(c)?)?,
                "RenewTarget" | "CancelTarget" => set_once(&mut rst.target, token_reference(c)?)?,
                "Claims" => {
                    rst.claims = element_children(c)
                        .ok_or(TrustError::Malformed("text in Claims"))?
                        .map(|x| x.to_xml())
                        .collect();
                }
                _ => {}
            }
        }
        let uri = request_type.ok_or(TrustError::Missing("RequestType"))?;
        let kind = d
            .parse_request_type(&uri)
            .ok_or(TrustError::Malformed("unsupported RequestType"))?;
        let amend = action.is_some() && action == d.rst_action(RequestType::Amend).as_deref();
        rst.request_type = match kind {
            RequestType::Issue if amend => RequestType::Amend,
            other => other,
        };
        let target_local = |name| e.child(wst, name).is_some();
        match rst.request_type {
            RequestType::Renew if !target_local("RenewTarget") => {
                return Err(TrustError::Missing("RenewTarget"));
            }
            RequestType::Cancel if !target_local("CancelTarget") => {
                return Err(TrustError::Missing("CancelTarget"));
            }
            _ => {}
        }
        Ok(rst)
    }
}

impl Rstr {
    /// Reads a response: a `wst:RequestSecurityTokenResponseCollection` (its first
    /// RSTR) or a bare `wst:RequestSecurityTokenResponse`, in either dialect.
    ///
    /// # Errors
    /// [`TrustError`] for other elements and malformed children.
    pub fn parse(e: Element<'_>) -> Result<Self, TrustError> {
        let e = match dialect_of(e, "RequestSecurityTokenResponseCollection") {
            Ok(d) => e
                .child(d.trust_namespace(), "RequestSecurityTokenResponse")
                .ok_or(TrustError::Missing("RequestSecurityTokenResponse"))?,
            Err(_) => e,
        };
        let d = dialect_of(e, "RequestSecurityTokenResponse")?;
        let wst = d.trust_namespace();
        let mut r = Self::new(d);
        r.context = e.attribute(None, "Context").map(str::to_owned);
        for c in element_children(e).ok_or(TrustError::Malformed("text in RSTR"))? {
            if c.namespace() != Some(wst) {
                continue;
            }
            match c.local_name() {
                "TokenType" => set_once(&mut r.token_type, text(c)?)?,
                "RequestedSecurityToken" => {
                    let sct = SecurityContextToken::parse(only_child(c)?)
                        .map_err(|_| TrustError::Malformed("bad SecurityContextToken"))?;
                    set_once(&mut r.token, sct)?;
                }
                "RequestedAttachedReference" => {
                    set_once(&mut r.attached_reference, token_reference(c)?)?;
                }
                "RequestedUnattachedReference" => {
                    set_once(&mut r.unattached_reference, token_reference(c)?)?;
                }
                "Lifetime" => set_once(&mut r.lifetime, lifetime(c)?)?,
                "RequestedProofToken" => {
                    let p = only_child(c)?;
                    let proof = if p.is(wst, "BinarySecret") {
                        ProofToken::BinarySecret(binary_secret(p, d)?)
                    } else if p.is(wst, "ComputedKey") {
                        ProofToken::ComputedKey(text(p)?)
                    } else if p.is(XENC, "EncryptedKey") {
                        ProofToken::EncryptedKey(
                            wsrx_security::EncryptedKey::parse(p)
                                .map_err(|_| TrustError::Malformed("bad EncryptedKey"))?,
                        )
                    } else {
                        return Err(TrustError::Malformed("unsupported proof token"));
                    };
                    set_once(&mut r.proof, proof)?;
                }
                "Entropy" if only_child(c).is_ok_and(|e| e.is(XENC, "EncryptedKey")) => {
                    let ek = wsrx_security::EncryptedKey::parse(only_child(c)?)
                        .map_err(|_| TrustError::Malformed("bad EncryptedKey"))?;
                    set_once(&mut r.encrypted_entropy, ek)?;
                }
                "Entropy" => set_once(&mut r.entropy, entropy(c, d)?)?,
                "KeySize" => set_once(&mut r.key_size, key_size(c)?)?,
                "RequestedTokenCancelled" => r.cancelled = true,
                _ => {}
            }
        }
        Ok(r)
    }
}
