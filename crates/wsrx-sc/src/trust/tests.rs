#![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "test code")]

use std::time::{Duration, SystemTime};

use wsrx_security::{SecurityContextToken, SecurityTokenReference, TokenReference};
use wsrx_xml::{Document, XmlWriter};

use super::*;
use crate::TrustError;

fn t(s: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000 + s)
}

fn secret(kind: SecretType, byte: u8) -> BinarySecret {
    BinarySecret {
        kind,
        value: SecretKey::from_vec(vec![byte; 32]),
    }
}

fn str_ref(d: Dialect) -> SecurityTokenReference {
    SecurityTokenReference {
        reference: TokenReference::External("urn:uuid:target".to_owned()),
        value_type: Some(d.token_type().to_owned()),
        instance: Some("urn:uuid:inst".to_owned()),
    }
}

fn write(f: impl FnOnce(&mut XmlWriter)) -> Document {
    let mut w = XmlWriter::with_prefixes(wsrx_soap::ns::PREFERRED_PREFIXES);
    f(&mut w);
    Document::parse(w.finish().unwrap().as_bytes()).unwrap()
}

#[test]
fn rst_round_trips_in_both_dialects_for_every_kind() {
    for d in Dialect::ALL {
        for kind in [
            RequestType::Issue,
            RequestType::Renew,
            RequestType::Cancel,
            RequestType::Amend,
        ] {
            let Some(action) = d.rst_action(kind) else {
                continue;
            };
            let mut rst = Rst::new(d, kind);
            rst.context = Some("ctx-1".to_owned());
            rst.entropy = Some(secret(SecretType::Nonce, 7));
            rst.key_size = Some(256);
            rst.computed_key_algorithm = Some(d.computed_key_uri().to_owned());
            rst.lifetime = Some(Lifetime {
                created: Some(t(0)),
                expires: Some(t(60)),
            });
            if matches!(kind, RequestType::Renew | RequestType::Cancel) {
                rst.target = Some(str_ref(d));
            }
            if kind == RequestType::Amend {
                rst.claims = vec!["<c:Role xmlns:c=\"urn:claims\">admin</c:Role>".to_owned()];
            }
            let doc = write(|w| rst.write(w));
            let mut back = Rst::parse(doc.root(), Some(&action)).unwrap();
            // A claim comes back as a standalone fragment with the namespaces in scope.
            for (got, sent) in back.claims.iter().zip(&rst.claims) {
                let got = Document::parse(got.as_bytes()).unwrap();
                let sent = Document::parse(sent.as_bytes()).unwrap();
                assert!(got.root().is("urn:claims", "Role"));
                assert_eq!(got.root().text(), sent.root().text());
            }
            assert_eq!(back.claims.len(), rst.claims.len());
            back.claims.clone_from(&rst.claims);
            assert_eq!(back, rst, "{d:?} {kind:?}");
        }
    }
}

#[test]
fn rst_refuses_missing_and_repeated_parts() {
    let d = Dialect::V13;
    let mut rst = Rst::new(d, RequestType::Renew);
    rst.target = None;
    let doc = write(|w| rst.write(w));
    assert_eq!(
        Rst::parse(doc.root(), None),
        Err(TrustError::Missing("RenewTarget"))
    );
    let wst = d.trust_namespace();
    let doc = write(|w| {
        w.start(Some(wst), "RequestSecurityToken")
            .leaf(Some(wst), "KeySize", "256")
            .leaf(Some(wst), "KeySize", "256")
            .end();
    });
    assert!(matches!(
        Rst::parse(doc.root(), None),
        Err(TrustError::Malformed(_))
    ));
    let doc = write(|w| {
        w.start(Some(wst), "RequestSecurityToken")
            .leaf(Some(wst), "KeySize", "100000")
            .end();
    });
    assert!(Rst::parse(doc.root(), None).is_err());
    let doc = write(|w| {
        w.start(Some(WST_200502_FOR_TEST), "Other").end();
    });
    assert_eq!(Rst::parse(doc.root(), None), Err(TrustError::NotTrust));
}

const WST_200502_FOR_TEST: &str = crate::dialect::WST_200502;

#[test]
fn rstr_round_trips_wrapped_and_bare() {
    for d in Dialect::ALL {
        for collection in [false, true] {
            let mut r = Rstr::new(d);
            r.context = Some("ctx".to_owned());
            r.token_type = Some(d.token_type().to_owned());
            r.token = Some(SecurityContextToken {
                version: d.sc_version(),
                identifier: "urn:uuid:x".to_owned(),
                instance: Some("urn:uuid:i".to_owned()),
                wsu_id: Some("sct-1".to_owned()),
            });
            r.attached_reference = Some(SecurityTokenReference {
                reference: TokenReference::Local("sct-1".to_owned()),
                value_type: Some(d.token_type().to_owned()),
                instance: None,
            });
            r.unattached_reference = Some(str_ref(d));
            r.lifetime = Some(Lifetime {
                created: Some(t(0)),
                expires: Some(t(3600)),
            });
            r.proof = Some(ProofToken::ComputedKey(d.computed_key_uri().to_owned()));
            r.entropy = Some(secret(SecretType::Nonce, 9));
            r.key_size = Some(256);
            let doc = write(|w| r.write(w, collection));
            assert_eq!(
                doc.root().local_name() == "RequestSecurityTokenResponseCollection",
                collection
            );
            assert_eq!(Rstr::parse(doc.root()).unwrap(), r, "{d:?} {collection}");

            let mut c = Rstr::new(d);
            c.cancelled = true;
            c.proof = Some(ProofToken::BinarySecret(secret(
                SecretType::SymmetricKey,
                3,
            )));
            let doc = write(|w| c.write(w, collection));
            assert_eq!(Rstr::parse(doc.root()).unwrap(), c);
        }
    }
}

#[test]
fn binary_secret_without_type_is_a_key_and_debug_hides_it() {
    let wst = Dialect::V200502.trust_namespace();
    let doc = write(|w| {
        w.start(Some(wst), "RequestSecurityToken")
            .leaf(Some(wst), "RequestType", &format!("{wst}/Issue"))
            .start(Some(wst), "Entropy")
            .leaf(Some(wst), "BinarySecret", "AAECAwQFBgcICQoLDA0ODw==")
            .end()
            .end();
    });
    let rst = Rst::parse(doc.root(), None).unwrap();
    let e = rst.entropy.as_ref().unwrap();
    assert_eq!(e.kind, SecretType::SymmetricKey);
    assert_eq!(e.value.len(), 16);
    assert!(!format!("{rst:?}").contains("AAECAw"));
}

/// A CancelTarget (or RenewTarget) carrying the SCT itself, as Apache CXF 4.2 sends it, names
/// that context by its Identifier and Instance; anything else in it stays refused.
#[test]
fn cancel_target_may_carry_the_token_itself() {
    for d in Dialect::ALL {
        let Some(action) = d.rst_action(RequestType::Cancel) else {
            continue;
        };
        let wst = d.trust_namespace();
        let sc = d.sc_version().namespace();
        let rst = |target: &str| {
            format!(
                "<wst:RequestSecurityToken xmlns:wst=\"{wst}\"><wst:RequestType>{wst}/Cancel</wst:RequestType>\
                 <wst:CancelTarget>{target}</wst:CancelTarget></wst:RequestSecurityToken>"
            )
        };
        let sct = format!(
            "<wsc:SecurityContextToken xmlns:wsc=\"{sc}\"><wsc:Identifier>urn:uuid:cxf</wsc:Identifier>\
             <wsc:Instance>i-1</wsc:Instance></wsc:SecurityContextToken>"
        );
        let doc = Document::parse(rst(&sct).as_bytes()).unwrap();
        let parsed = Rst::parse(doc.root(), Some(action.as_str())).unwrap();
        let target = parsed.target.unwrap();
        assert_eq!(
            target.reference,
            TokenReference::External("urn:uuid:cxf".to_owned())
        );
        assert_eq!(target.instance.as_deref(), Some("i-1"));
        let other = Document::parse(rst("<x:Token xmlns:x=\"urn:x\"/>").as_bytes()).unwrap();
        assert!(Rst::parse(other.root(), Some(action.as_str())).is_err());
    }
}
