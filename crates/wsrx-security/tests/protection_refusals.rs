//! What a [`ProtectionPolicy`] refuses inbound: algorithms outside the suite in force
//! (downgrade), parts the policy requires but the message does not protect, token and key
//! rules, layouts; and tampering with encrypted messages (ciphertext, the key token, the
//! ReferenceList, a signature moved out of or into encrypted data), each answered with the
//! one blinded `FailedCheck` once the message carries encrypted data.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::field_reassign_with_default,
    reason = "test code: each case changes one field of a default policy"
)]

mod policy_support;

use policy_support::{
    APP, CARD, OneContext, SECRET, cards, open, open_lenient, route_header, secure, secure_short,
};
use wsrx_crypto::{BlockCipherAlgorithm, InsecureSeededRandom, SecretKey};
use wsrx_security::{
    AlgorithmPolicy, AlgorithmSuite, DerivedKeyToken, DerivedKeys, Layout, ProtectionPolicy,
    SecurityError, SuiteRole, TokenInclusion, decrypt,
};
use wsrx_xml::Document;

fn strict(suite: AlgorithmSuite) -> ProtectionPolicy {
    ProtectionPolicy {
        algorithms: AlgorithmPolicy::new(suite).strict(),
        ..ProtectionPolicy::default()
    }
}

fn violation(what: &'static str) -> Result<(), SecurityError> {
    Err(SecurityError::PolicyViolation(what))
}

fn outside(role: SuiteRole) -> Result<(), SecurityError> {
    Err(SecurityError::AlgorithmOutsideSuite(role))
}

// --- downgrade protection ---------------------------------------------------------------

#[test]
fn a_suite_in_force_refuses_the_algorithms_of_another() {
    let spec = strict(AlgorithmSuite::Basic256Sha256);
    // HMAC-SHA256 (the WCF reading) under the table's reading.
    let wcf = ProtectionPolicy {
        algorithms: AlgorithmPolicy::new(AlgorithmSuite::Basic256Sha256)
            .strict()
            .wcf_reading(),
        ..ProtectionPolicy::default()
    };
    let hmac_sha256 = secure(&wcf, 1).unwrap();
    assert!(hmac_sha256.contains("xmldsig-more#hmac-sha256"));
    assert_eq!(
        open(&hmac_sha256, &spec).map(|_| ()),
        outside(SuiteRole::Signature)
    );
    open(&hmac_sha256, &wcf).unwrap();
    // and the reverse.
    let hmac_sha1 = secure(&spec, 2).unwrap();
    assert_eq!(
        open(&hmac_sha1, &wcf).map(|_| ()),
        outside(SuiteRole::Signature)
    );
    // SHA-1 digests (Basic256) where SHA-256 is in force.
    let basic256 = secure(&strict(AlgorithmSuite::Basic256), 3).unwrap();
    assert_eq!(
        open(&basic256, &spec).map(|_| ()),
        outside(SuiteRole::Digest)
    );
    // A derived signing key may differ from [Sig KD] (WSS4J only logs that): Basic128's
    // 128-bit key passes under Basic256, whose digests and signature method it shares.
    let basic128 = secure(&strict(AlgorithmSuite::Basic128), 4).unwrap();
    open(&basic128, &strict(AlgorithmSuite::Basic256)).unwrap();
    // The SCT secret itself (no derivation) must reach [Min SKL]: 256 bits pass under
    // Basic256, 128 bits do not.
    let mut direct = strict(AlgorithmSuite::Basic256);
    direct.token.derived_keys = DerivedKeys::Direct;
    open(&secure(&direct, 5).unwrap(), &direct).unwrap();
    let short = secure_short(&direct, 5).unwrap();
    assert_eq!(
        open(&short, &direct).map(|_| ()),
        outside(SuiteRole::SignatureKeyLength)
    );
    let mut direct128 = strict(AlgorithmSuite::Basic128);
    direct128.token.derived_keys = DerivedKeys::Direct;
    open(&short, &direct128).unwrap();
    // Without a suite held strictly (wsrx's default), all of these are accepted.
    let lenient = ProtectionPolicy::default();
    for xml in [&hmac_sha256, &hmac_sha1, &basic256, &basic128, &short] {
        open(xml, &lenient).unwrap();
    }
}

#[test]
fn a_shortened_derived_key_is_refused_in_any_case() {
    // The DKT's Length is not signed: cut to 8 bytes, an online forger would have 2^64 keys
    // to try (and 256 at one byte). Refused before the key is used, with or without a suite.
    let xml = secure(&ProtectionPolicy::default(), 30).unwrap();
    let at = xml.find("wsu:Id=\"wsrx-dk-sig\"").unwrap();
    let len = at + xml[at..].find("<wsc:Length>24</wsc:Length>").unwrap();
    for short in ["8", "15", "1"] {
        let mut cut = xml.clone();
        cut.replace_range(
            len..len + "<wsc:Length>24</wsc:Length>".len(),
            &format!("<wsc:Length>{short}</wsc:Length>"),
        );
        for p in [
            ProtectionPolicy::default(),
            strict(AlgorithmSuite::Basic256Sha256),
        ] {
            assert_eq!(
                open(&cut, &p).map(|_| ()),
                Err(SecurityError::InvalidToken("derived signing key too short")),
                "Length {short}"
            );
        }
    }
}

#[test]
fn encryption_outside_the_suite_is_refused_and_blinded() {
    let mut aes128 = strict(AlgorithmSuite::Basic128);
    aes128.encrypted.body = true;
    let xml = secure(&aes128, 6).unwrap();
    open(&xml, &aes128).unwrap();
    let mut aes256 = strict(AlgorithmSuite::Basic256);
    aes256.encrypted.body = true;
    // The EncryptionMethod is refused before any decryption; the answer is the blinded one.
    assert_eq!(
        open(&xml, &aes256).map(|_| ()),
        Err(SecurityError::FailedCheck)
    );
    // Triple DES only where a TripleDes suite is in force, and then only it.
    let mut tdes = strict(AlgorithmSuite::TripleDes);
    tdes.encrypted.body = true;
    let tdes_xml = secure(&tdes, 7).unwrap();
    assert!(tdes_xml.contains("xmlenc#tripledes-cbc"));
    assert_eq!(open(&tdes_xml, &tdes).unwrap().card, CARD);
    let mut lenient = ProtectionPolicy::default();
    lenient.encrypted.body = true;
    assert_eq!(
        open(&tdes_xml, &lenient).map(|_| ()),
        Err(SecurityError::FailedCheck),
        "3DES is not among the algorithms accepted without a TripleDes suite"
    );
    assert_eq!(
        open(&xml, &tdes).map(|_| ()),
        Err(SecurityError::FailedCheck)
    );
}

// --- parts the policy requires ----------------------------------------------------------

#[test]
fn required_encryption_is_enforced_by_identity() {
    let plain = secure(&ProtectionPolicy::default(), 8).unwrap();
    let mut body = ProtectionPolicy::default();
    body.encrypted.body = true;
    assert_eq!(
        open(&plain, &body).map(|_| ()),
        violation("required part not encrypted")
    );
    // Some other part encrypted is not the Body encrypted.
    let mut header_only = ProtectionPolicy::default();
    header_only.signed.headers.push(route_header());
    header_only.encrypted.headers.push(route_header());
    let xml = secure(&header_only, 9).unwrap();
    assert!(xml.contains(CARD));
    open(&xml, &header_only).unwrap();
    let mut both = header_only.clone();
    both.encrypted.body = true;
    assert_eq!(
        open(&xml, &both).map(|_| ()),
        Err(SecurityError::FailedCheck)
    );
    // The header in clear where the policy encrypts it.
    let mut body_only = ProtectionPolicy::default();
    body_only.encrypted.body = true;
    let xml = secure(&body_only, 10).unwrap();
    let mut wants_header = body_only.clone();
    wants_header.encrypted.headers.push(route_header());
    assert_eq!(
        open(&xml, &wants_header).map(|_| ()),
        Err(SecurityError::FailedCheck)
    );
    // Elements: inside the encrypted Body content they count as encrypted.
    let mut wants_cards = body_only.clone();
    wants_cards.encrypted.elements.push(cards());
    open(&xml, &wants_cards).unwrap();
    let mut cards_only = ProtectionPolicy::default();
    cards_only.encrypted.elements.push(cards());
    let signed_only = secure(&ProtectionPolicy::default(), 11).unwrap();
    assert_eq!(
        open(&signed_only, &cards_only).map(|_| ()),
        violation("required part not encrypted")
    );
}

#[test]
fn signatures_timestamps_tokens_and_keys_follow_the_policy() {
    // An encrypted signature where the policy wants one, refused in clear.
    let mut encsig = ProtectionPolicy::default();
    encsig.encrypt_signature = true;
    let clear = secure(&ProtectionPolicy::default(), 12).unwrap();
    assert_eq!(
        open(&clear, &encsig).map(|_| ()),
        violation("required part not encrypted")
    );
    // The Timestamp.
    let mut no_ts = ProtectionPolicy::default();
    no_ts.include_timestamp = false;
    let xml = secure(&no_ts, 13).unwrap();
    assert!(!xml.contains("Timestamp"));
    open_lenient(&xml, &no_ts).unwrap();
    assert_eq!(
        open_lenient(&xml, &ProtectionPolicy::default()).map(|_| ()),
        violation("no Timestamp")
    );
    // Token inclusion, both ways.
    let mut by_id = ProtectionPolicy::default();
    by_id.token.inclusion = TokenInclusion::ByIdentifier;
    let unattached = secure(&by_id, 14).unwrap();
    assert!(!unattached.contains("SecurityContextToken "));
    open(&unattached, &by_id).unwrap();
    let mut included = ProtectionPolicy::default();
    included.token.inclusion = TokenInclusion::Included;
    assert_eq!(
        open(&unattached, &included).map(|_| ()),
        violation("token not included")
    );
    assert_eq!(
        open(&clear, &by_id).map(|_| ()),
        violation("token included against the policy")
    );
    // Derived keys required.
    let mut direct = ProtectionPolicy::default();
    direct.token.derived_keys = DerivedKeys::Direct;
    let underived = secure(&direct, 15).unwrap();
    let mut required = ProtectionPolicy::default();
    required.token.derived_keys = DerivedKeys::Required;
    assert_eq!(
        open(&underived, &required).map(|_| ()),
        violation("key not derived")
    );
    open(&clear, &required).unwrap();
    // ProtectTokens: the signature must cover the SCT.
    let mut protect = ProtectionPolicy::default();
    protect.protect_tokens = true;
    assert_eq!(
        open(&clear, &protect).map(|_| ()),
        violation("required part not signed")
    );
    let protected = secure(&protect, 16).unwrap();
    open(&protected, &protect).unwrap();
    // A header the policy signs but the sender did not.
    let mut route = ProtectionPolicy::default();
    route.signed.headers.push(route_header());
    assert_eq!(
        open(&clear, &route).map(|_| ()),
        violation("required part not signed")
    );
    open(&secure(&route, 17).unwrap(), &route).unwrap();
    // Only the Timestamp signed (Rampart's shape): no Body required, none accepted beyond.
    let mut ts_only = ProtectionPolicy::default();
    ts_only.signed = wsrx_security::Parts::none();
    let xml = secure(&ts_only, 18).unwrap();
    open(&xml, &ts_only).unwrap();
    assert_eq!(
        open(&xml, &ProtectionPolicy::default()).map(|_| ()),
        violation("Body not signed")
    );
}

#[test]
fn layouts_are_enforced() {
    let lax = ProtectionPolicy::default();
    let first = ProtectionPolicy {
        layout: Layout::LaxTsFirst,
        ..lax.clone()
    };
    let last = ProtectionPolicy {
        layout: Layout::LaxTsLast,
        ..lax.clone()
    };
    let strict_layout = ProtectionPolicy {
        layout: Layout::Strict,
        ..lax.clone()
    };
    let ts_first = secure(&first, 19).unwrap();
    let ts_last = secure(&last, 20).unwrap();
    for p in [&lax, &first, &strict_layout] {
        open(&ts_first, p).unwrap();
    }
    open(&ts_last, &last).unwrap();
    open(&ts_last, &lax).unwrap();
    assert_eq!(
        open(&ts_last, &first).map(|_| ()),
        violation("Timestamp not first (LaxTsFirst)")
    );
    assert_eq!(
        open(&ts_first, &last).map(|_| ()),
        violation("Timestamp not last (LaxTsLast)")
    );
    // Strict: the signed Timestamp after the signature breaks declare-before-use.
    assert_eq!(
        open(&ts_last, &strict_layout).map(|_| ()),
        violation("signed header element after its signature (Strict)")
    );
}

// --- tampering with encrypted messages --------------------------------------------------

fn encrypted_policy(encrypt_signature: bool) -> ProtectionPolicy {
    let mut p = ProtectionPolicy {
        encrypt_signature,
        ..ProtectionPolicy::default()
    };
    p.encrypted.body = true;
    p.signed.headers.push(route_header());
    p.encrypted.headers.push(route_header());
    p
}

/// The first `xenc:CipherValue` after `marker`, with one base64 character changed.
fn flip_cipher_after(xml: &str, marker: &str) -> String {
    let at = xml.find(marker).unwrap();
    let cv = at + xml[at..].find("<xenc:CipherValue>").unwrap() + "<xenc:CipherValue>".len() + 30;
    let mut bytes = xml.as_bytes().to_vec();
    bytes[cv] = if bytes[cv] == b'A' { b'B' } else { b'A' };
    String::from_utf8(bytes).unwrap()
}

#[test]
fn tampered_ciphertext_is_one_opaque_failure() {
    for ebs in [false, true] {
        for encsig in [false, true] {
            let mut p = encrypted_policy(encsig);
            if ebs {
                p.order = wsrx_security::ProtectionOrder::EncryptBeforeSigning;
            }
            let xml = secure(&p, 21).unwrap();
            open(&xml, &p).unwrap();
            for marker in ["Id=\"wsrx-ed-body\"", "Id=\"wsrx-ed-h0\""] {
                let bad = flip_cipher_after(&xml, marker);
                assert_eq!(
                    open(&bad, &p).map(|_| ()),
                    Err(SecurityError::FailedCheck),
                    "ebs={ebs} encsig={encsig} {marker}"
                );
            }
            if encsig {
                let bad = flip_cipher_after(&xml, "Id=\"wsrx-ed-sig\"");
                assert_eq!(open(&bad, &p).map(|_| ()), Err(SecurityError::FailedCheck));
            }
        }
    }
    // GCM: any change fails the tag.
    let mut gcm = encrypted_policy(true);
    gcm.algorithms.data_encryption = Some(BlockCipherAlgorithm::Aes256Gcm);
    let xml = secure(&gcm, 22).unwrap();
    open(&xml, &gcm).unwrap();
    let bad = flip_cipher_after(&xml, "Id=\"wsrx-ed-body\"");
    assert_eq!(
        open(&bad, &gcm).map(|_| ()),
        Err(SecurityError::FailedCheck)
    );
}

#[test]
fn tampered_key_token_and_reference_list_fail() {
    let p = encrypted_policy(true);
    let xml = secure(&p, 23).unwrap();
    // Another nonce in the encryption DKT: another key.
    let at = xml.find("wsu:Id=\"wsrx-dk-enc\"").unwrap();
    let nonce = at + xml[at..].find("<wsc:Nonce>").unwrap() + "<wsc:Nonce>".len();
    let mut bad = xml.clone();
    bad.replace_range(nonce..nonce + 4, "AAAA");
    assert_eq!(open(&bad, &p).map(|_| ()), Err(SecurityError::FailedCheck));
    // A DataReference dropped from the list: that part stays encrypted and the signature
    // (over the plaintext) or the policy fails.
    for id in ["#wsrx-ed-body", "#wsrx-ed-h0", "#wsrx-ed-sig"] {
        let entry = format!("<xenc:DataReference URI=\"{id}\"></xenc:DataReference>");
        let bad = xml.replacen(&entry, "", 1);
        assert_ne!(bad, xml);
        assert_eq!(
            open(&bad, &p).map(|_| ()),
            Err(SecurityError::FailedCheck),
            "{id}"
        );
    }
    // A DataReference to something else, or listed twice.
    let bad = xml.replacen("URI=\"#wsrx-ed-body\"", "URI=\"#_1\"", 1);
    assert_eq!(open(&bad, &p).map(|_| ()), Err(SecurityError::FailedCheck));
    let bad = xml.replacen(
        "<xenc:DataReference URI=\"#wsrx-ed-body\"></xenc:DataReference>",
        "<xenc:DataReference URI=\"#wsrx-ed-body\"></xenc:DataReference><xenc:DataReference URI=\"#wsrx-ed-body\"></xenc:DataReference>",
        1,
    );
    assert_eq!(open(&bad, &p).map(|_| ()), Err(SecurityError::FailedCheck));
}

/// The encryption key of a secured message: its `wsrx-dk-enc` DKT over the test SCT.
fn encryption_key(xml: &str) -> SecretKey {
    let doc = Document::parse(xml.as_bytes()).unwrap();
    let dkt = doc
        .elements()
        .find(|e| {
            e.local_name() == "DerivedKeyToken"
                && e.attributes().any(|a| a.value() == "wsrx-dk-enc")
        })
        .unwrap();
    DerivedKeyToken::parse(dkt)
        .unwrap()
        .derive(&SecretKey::from_slice(&SECRET))
        .unwrap()
}

/// `<xenc:EncryptedData Id=… Type=Element>` of `plaintext` under `key` (AES-256-CBC), its
/// KeyInfo the message's encryption DKT.
fn encrypted_element(id: &str, plaintext: &str, key: &SecretKey) -> String {
    let mut rng = InsecureSeededRandom::from_seed(99);
    let ct = BlockCipherAlgorithm::Aes256Cbc
        .encrypt(key, &mut rng, plaintext.as_bytes())
        .unwrap();
    format!(
        "<xenc:EncryptedData xmlns:xenc=\"http://www.w3.org/2001/04/xmlenc#\" Id=\"{id}\" Type=\"http://www.w3.org/2001/04/xmlenc#Element\"><xenc:EncryptionMethod Algorithm=\"http://www.w3.org/2001/04/xmlenc#aes256-cbc\"/><ds:KeyInfo xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\"><wsse:SecurityTokenReference xmlns:wsse=\"http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd\"><wsse:Reference URI=\"#wsrx-dk-enc\"/></wsse:SecurityTokenReference></ds:KeyInfo><xenc:CipherData><xenc:CipherValue>{}</xenc:CipherValue></xenc:CipherData></xenc:EncryptedData>",
        wsrx_crypto::base64::encode(&ct)
    )
}

#[test]
fn a_signature_moved_out_of_its_encrypted_data_is_refused() {
    // EncryptSignature required: the attacker (here, with the key) sends the same signature
    // in clear, dropping it from the ReferenceList. It verifies, and the policy refuses it.
    let p = encrypted_policy(true);
    let xml = secure(&p, 24).unwrap();
    let doc = Document::parse(xml.as_bytes()).unwrap();
    let plain = decrypt(&doc, &OneContext).unwrap().unwrap();
    let signature = {
        let d = plain.document();
        let sig = d
            .elements()
            .find(|e| e.local_name() == "Signature")
            .unwrap();
        d.source()[sig.span()].to_owned()
    };
    let start = xml.find("<xenc:EncryptedData xmlns:xenc=\"http://www.w3.org/2001/04/xmlenc#\" Id=\"wsrx-ed-sig\"").unwrap();
    let end =
        start + xml[start..].find("</xenc:EncryptedData>").unwrap() + "</xenc:EncryptedData>".len();
    let mut moved = xml.clone();
    moved.replace_range(start..end, &signature);
    let moved = moved.replacen(
        "<xenc:DataReference URI=\"#wsrx-ed-sig\"></xenc:DataReference>",
        "",
        1,
    );
    assert_eq!(
        open(&moved, &p).map(|_| ()),
        Err(SecurityError::FailedCheck)
    );
    // The same message is acceptable to a policy without EncryptSignature: the refusal
    // above is the EncryptSignature rule, not a broken message.
    let without = encrypted_policy(false);
    assert_eq!(open(&moved, &without).unwrap().card, CARD);
}

#[test]
fn a_signature_moved_into_encrypted_data_elsewhere_is_refused() {
    // The clear signature of the security header moved into an EncryptedData inside the
    // Body: it no longer signs anything from there, and a decrypted ds:Signature outside the
    // security header is refused like a malformed plaintext.
    let p = encrypted_policy(false);
    let xml = secure(&p, 25).unwrap();
    let key = encryption_key(&xml);
    let start = xml.find("<ds:Signature ").unwrap();
    let end = start + xml[start..].find("</ds:Signature>").unwrap() + "</ds:Signature>".len();
    let signature = xml[start..end].to_owned();
    let mut moved = xml.clone();
    moved.replace_range(start..end, "");
    let ed = encrypted_element("wsrx-attack", &signature, &key);
    moved = moved.replacen("</s:Body>", &format!("{ed}</s:Body>"), 1);
    moved = moved.replacen(
        "<xenc:DataReference URI=\"#wsrx-ed-body\">",
        "<xenc:DataReference URI=\"#wsrx-attack\"></xenc:DataReference><xenc:DataReference URI=\"#wsrx-ed-body\">",
        1,
    );
    assert_eq!(
        open(&moved, &p).map(|_| ()),
        Err(SecurityError::FailedCheck)
    );
    // An element encrypted in by the attacker where the policy encrypts nothing of the sort
    // is harmless to accept only if the signature still covers the Body: here it does not.
    let extra = encrypted_element("wsrx-extra", &format!("<o:Card xmlns:o=\"{APP}\"/>"), &key);
    let padded = xml.replacen("</s:Body>", &format!("{extra}</s:Body>"), 1).replacen(
        "<xenc:DataReference URI=\"#wsrx-ed-body\">",
        "<xenc:DataReference URI=\"#wsrx-extra\"></xenc:DataReference><xenc:DataReference URI=\"#wsrx-ed-body\">",
        1,
    );
    assert_eq!(
        open(&padded, &p).map(|_| ()),
        Err(SecurityError::FailedCheck)
    );
}

#[test]
fn an_encrypted_header_moved_into_a_wrapper_is_refused() {
    // Encrypt-before-signing signs the EncryptedHeader itself; moving it below another
    // element (signature wrapping of the ciphertext) makes it no header block.
    let mut p = encrypted_policy(false);
    p.order = wsrx_security::ProtectionOrder::EncryptBeforeSigning;
    let xml = secure(&p, 26).unwrap();
    open(&xml, &p).unwrap();
    let start = xml.find("<wsse11:EncryptedHeader").unwrap();
    let end = start
        + xml[start..].find("</wsse11:EncryptedHeader>").unwrap()
        + "</wsse11:EncryptedHeader>".len();
    let eh = xml[start..end].to_owned();
    let mut wrapped = xml.clone();
    wrapped.replace_range(
        start..end,
        &format!("<w:Wrapper xmlns:w=\"urn:w\">{eh}</w:Wrapper>"),
    );
    assert_eq!(
        open(&wrapped, &p).map(|_| ()),
        Err(SecurityError::FailedCheck)
    );
}

/// `request()` with an empty Body (an RM acknowledgement's shape), secured as `policy` says.
fn secure_empty_body(policy: &ProtectionPolicy, seed: u64) -> String {
    let text = policy_support::request();
    let start = text.find("<s:Body u:Id=\"_4\">").unwrap();
    let end = text.find("</s:Body>").unwrap();
    let empty = format!(
        "{}<s:Body u:Id=\"_4\"/>{}",
        &text[..start],
        &text[end + 9..]
    );
    let (token, secret) = policy_support::token(wsrx_security::ScVersion::V200512);
    let doc = Document::parse(empty.as_bytes()).unwrap();
    let mut rng = InsecureSeededRandom::from_seed(seed);
    wsrx_security::Signer::with_policy(&token, &secret, policy)
        .secure(&doc, policy_support::now(), &mut rng)
        .unwrap()
}

#[test]
fn an_empty_body_is_encrypted_too() {
    // WS-SP 1.2 §4.2.2: the Body's content is encrypted whenever EncryptedParts/Body applies,
    // an empty Body's too (one block of padding, XML-Enc §5.2), as Metro sends it and requires.
    let mut body = ProtectionPolicy::default();
    body.encrypted.body = true;
    let xml = secure_empty_body(&body, 21);
    let b = xml.find("<s:Body").unwrap();
    assert!(
        xml[b..].starts_with("<s:Body u:Id=\"_4\"><xenc:EncryptedData")
            && xml[b..].contains("</xenc:EncryptedData></s:Body>"),
        "{xml}"
    );
    let read = open(&xml, &body).unwrap();
    assert!(read.body_was_encrypted && read.card.is_empty() && read.signer.is_some());
    // The signature is still encrypted when the policy says so, with the Body.
    let mut signature_too = body.clone();
    signature_too.encrypt_signature = true;
    let xml = secure_empty_body(&signature_too, 22);
    assert_eq!(xml.matches("<xenc:EncryptedData").count(), 2, "{xml}");
    assert!(!xml.contains("SignatureValue"));
    assert_eq!(open(&xml, &signature_too).unwrap().decrypted_signatures, 1);
    // Encrypt-before-signing signs the Body with its EncryptedData inside.
    let mut first = body.clone();
    first.order = wsrx_security::ProtectionOrder::EncryptBeforeSigning;
    assert!(
        open(&secure_empty_body(&first, 24), &first)
            .unwrap()
            .body_was_encrypted
    );
    // A tampered ciphertext of the empty content is refused: flipping bit 5 of the IV's last
    // octet flips the padding-length octet of the only block (16 becomes 48, XML-Enc §5.2).
    // (The other padding octets are arbitrary by §5.2, so flips there decrypt to the same
    // empty content.)
    let xml = secure_empty_body(&body, 25);
    let v = xml.rfind("<xenc:CipherValue>").unwrap() + "<xenc:CipherValue>".len();
    let end = v + xml[v..].find('<').unwrap();
    let mut ct = wsrx_crypto::base64::decode(&xml[v..end]).unwrap();
    assert_eq!(ct.len(), 32, "IV and one block of padding");
    ct[15] ^= 0x20;
    let mut tampered = xml.clone();
    tampered.replace_range(v..end, &wsrx_crypto::base64::encode(&ct));
    assert_eq!(
        open(&tampered, &body).map(|_| ()),
        Err(SecurityError::FailedCheck)
    );
    // A Body with no protection at all is still refused where encryption is required.
    let in_clear = secure_empty_body(&ProtectionPolicy::default(), 23);
    assert_eq!(
        open(&in_clear, &signature_too).map(|_| ()),
        violation("required part not encrypted")
    );
}
