//! Writing RST and RSTR elements with [`XmlWriter`] (WCF's element order:
//! TokenType, RequestType, targets, Entropy, KeySize, … as in spec-facts §3.2).

use wsrx_security::format_datetime;
use wsrx_xml::XmlWriter;

use super::{BinarySecret, Lifetime, ProofToken, Rst, Rstr, SecretType};
use crate::dialect::{Dialect, RequestType, WSU};
use crate::util::b64_encode;

fn binary_secret(w: &mut XmlWriter, d: Dialect, s: &BinarySecret) {
    let kind = match s.kind {
        SecretType::Nonce => d.nonce_type(),
        SecretType::SymmetricKey => d.symmetric_key_type(),
    };
    w.start(Some(d.trust_namespace()), "BinarySecret")
        .attr(None, "Type", &kind)
        .text(&b64_encode(s.value.expose_secret()))
        .end();
}

fn entropy(w: &mut XmlWriter, d: Dialect, s: &BinarySecret) {
    w.start(Some(d.trust_namespace()), "Entropy");
    binary_secret(w, d, s);
    w.end();
}

fn lifetime(w: &mut XmlWriter, d: Dialect, lt: &Lifetime) {
    w.start(Some(d.trust_namespace()), "Lifetime");
    if let Some(c) = lt.created {
        w.leaf(Some(WSU), "Created", &format_datetime(c));
    }
    if let Some(x) = lt.expires {
        w.leaf(Some(WSU), "Expires", &format_datetime(x));
    }
    w.end();
}

fn raw_str(w: &mut XmlWriter, d: Dialect, local: &str, r: &wsrx_security::SecurityTokenReference) {
    let mut s = String::new();
    r.write(&mut s, d.sc_version());
    w.start(Some(d.trust_namespace()), local).raw(&s).end();
}

impl Rst {
    /// Writes the `wst:RequestSecurityToken` element at the writer's position.
    pub fn write(&self, w: &mut XmlWriter) {
        let d = self.dialect;
        let wst = d.trust_namespace();
        w.start(Some(wst), "RequestSecurityToken");
        if let Some(c) = &self.context {
            w.attr(None, "Context", c);
        }
        if let Some(t) = &self.token_type {
            w.leaf(Some(wst), "TokenType", t);
        }
        w.leaf(
            Some(wst),
            "RequestType",
            &d.request_type_uri(self.request_type),
        );
        if let Some(t) = &self.target {
            let local = match self.request_type {
                RequestType::Cancel => "CancelTarget",
                _ => "RenewTarget",
            };
            raw_str(w, d, local, t);
        }
        if let Some(lt) = &self.lifetime {
            lifetime(w, d, lt);
        }
        if let Some(e) = &self.entropy {
            entropy(w, d, e);
        }
        if let Some(k) = self.key_size {
            w.leaf(Some(wst), "KeySize", &k.to_string());
        }
        if let Some(a) = &self.computed_key_algorithm {
            w.leaf(Some(wst), "ComputedKeyAlgorithm", a);
        }
        if !self.claims.is_empty() {
            w.start(Some(wst), "Claims");
            for c in &self.claims {
                w.raw(c);
            }
            w.end();
        }
        w.end();
    }
}

impl Rstr {
    /// Writes the response at the writer's position; `collection` wraps it in
    /// `wst:RequestSecurityTokenResponseCollection` (the WS-Trust 1.3 final response).
    pub fn write(&self, w: &mut XmlWriter, collection: bool) {
        let d = self.dialect;
        let wst = d.trust_namespace();
        if collection {
            w.start(Some(wst), "RequestSecurityTokenResponseCollection");
        }
        w.start(Some(wst), "RequestSecurityTokenResponse");
        if let Some(c) = &self.context {
            w.attr(None, "Context", c);
        }
        if let Some(t) = &self.token_type {
            w.leaf(Some(wst), "TokenType", t);
        }
        if let Some(sct) = &self.token {
            let mut s = String::new();
            sct.write(&mut s);
            w.start(Some(wst), "RequestedSecurityToken").raw(&s).end();
        }
        if let Some(r) = &self.attached_reference {
            raw_str(w, d, "RequestedAttachedReference", r);
        }
        if let Some(r) = &self.unattached_reference {
            raw_str(w, d, "RequestedUnattachedReference", r);
        }
        if let Some(p) = &self.proof {
            w.start(Some(wst), "RequestedProofToken");
            match p {
                ProofToken::BinarySecret(s) => binary_secret(w, d, s),
                ProofToken::ComputedKey(uri) => {
                    w.leaf(Some(wst), "ComputedKey", uri);
                }
                ProofToken::EncryptedKey(ek) => {
                    w.raw(&ek.to_xml());
                }
            }
            w.end();
        }
        if let Some(e) = &self.entropy {
            entropy(w, d, e);
        }
        if let Some(ek) = &self.encrypted_entropy {
            w.start(Some(wst), "Entropy").raw(&ek.to_xml()).end();
        }
        if let Some(lt) = &self.lifetime {
            lifetime(w, d, lt);
        }
        if let Some(k) = self.key_size {
            w.leaf(Some(wst), "KeySize", &k.to_string());
        }
        if self.cancelled {
            w.start(Some(wst), "RequestedTokenCancelled").end();
        }
        w.end();
        if collection {
            w.end();
        }
    }
}
