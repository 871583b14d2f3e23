//! `wsse11:EncryptedHeader` (WSS 1.1 §9.3) and encrypted signatures (WS-SP
//! EncryptSignature): sign-then-encrypt round trips with AES-256-GCM and AES-256-CBC,
//! the signed-parts policy by identity on the decrypted header, and tampering (a
//! changed ciphertext gives the same opaque fault as a MAC failure).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::unwrap_in_result,
    clippy::panic_in_result_fn,
    reason = "test code"
)]

mod common;

use std::time::{Duration, SystemTime};

use common::{MapResolver, demo_token, unsigned_message};
use wsrx_crypto::{BlockCipherAlgorithm, InsecureSeededRandom};
use wsrx_security::{
    HeaderName, Policy, ScVersion, SecurityError, SignConfig, Signer, Verifier, decrypt,
};
use wsrx_xml::Document;

const APP: &str = "urn:example:app";
const SECRET_TEXT: &str = "card 4111-1111";

fn now() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000)
}

/// The RM test message with an application header (mustUnderstand, SOAP 1.2 role).
fn message() -> String {
    unsigned_message("hello").replace(
        "  </s:Header>",
        &format!(
            "  <app:Secret xmlns:app=\"{APP}\" s:mustUnderstand=\"1\" s:role=\"http://www.w3.org/2003/05/soap-envelope/role/ultimateReceiver\">{SECRET_TEXT}</app:Secret>\n  </s:Header>"
        ),
    )
}

fn secure(cipher: BlockCipherAlgorithm, headers: bool, signature: bool, body: bool) -> String {
    let mut rng = InsecureSeededRandom::from_seed(23);
    let (token, secret) = demo_token(ScVersion::V200512);
    let config = SignConfig {
        cipher: Some(cipher),
        encrypt_body: body,
        encrypt_headers: if headers {
            vec![HeaderName::new(APP, "Secret")]
        } else {
            Vec::new()
        },
        encrypt_signature: signature,
        ..SignConfig::default()
    };
    let doc = Document::parse(message().as_bytes()).unwrap();
    Signer::new(&token, &secret, config)
        .secure(&doc, now(), &mut rng)
        .unwrap()
}

/// What [`open`] saw.
#[derive(Debug)]
struct Opened {
    decrypted_headers: usize,
    encrypted_signatures: usize,
    secret_header_text: String,
}

/// Decrypt, verify, policy; checks that the main signature covers the very element
/// the application reads as the `app:Secret` header.
fn open(xml: &str) -> Result<Opened, SecurityError> {
    let resolver = MapResolver::demo();
    let doc = Document::parse(xml.as_bytes()).unwrap();
    let decrypted = decrypt(&doc, &resolver)?;
    let (decrypted_headers, encrypted_signatures, header_nodes) =
        decrypted.as_ref().map_or((0, 0, Vec::new()), |d| {
            (
                d.decrypted_headers().len(),
                d.encrypted_signatures(),
                d.decrypted_headers().to_vec(),
            )
        });
    let doc = decrypted.map_or(doc, |d| d.into_document());
    let verified = Verifier::default().verify(&doc, &resolver, now())?;
    let key = Policy::default().check(&verified)?;
    let header = verified
        .envelope()
        .header()
        .unwrap()
        .child(APP, "Secret")
        .expect("header present after decryption");
    let main = verified
        .signatures()
        .iter()
        .find(|s| s.key() == key)
        .unwrap();
    // An encrypted header is signed first (sign-then-encrypt); a clear one is not.
    assert_eq!(main.covers(header.id()), !header_nodes.is_empty());
    for node in header_nodes {
        assert_eq!(node, header.id(), "decrypted header is the one read");
    }
    Ok(Opened {
        decrypted_headers,
        encrypted_signatures,
        secret_header_text: header.text().into_owned(),
    })
}

const CIPHERS: [BlockCipherAlgorithm; 2] = [
    BlockCipherAlgorithm::Aes256Gcm,
    BlockCipherAlgorithm::Aes256Cbc,
];

#[test]
fn round_trips() {
    for cipher in CIPHERS {
        for (headers, signature, body) in [
            (true, false, false),
            (true, false, true),
            (false, true, false),
            (true, true, false),
            (true, true, true),
        ] {
            let case = format!("{cipher:?} headers={headers} sig={signature} body={body}");
            let secured = secure(cipher, headers, signature, body);
            assert_eq!(!secured.contains(SECRET_TEXT), headers, "{case}");
            assert_eq!(!secured.contains("<ds:SignedInfo"), signature, "{case}");
            assert_eq!(!secured.contains("hello"), body, "{case}");
            if headers {
                assert!(secured.contains("<wsse11:EncryptedHeader"), "{case}");
                // WSS 1.1 §9.3: the SOAP attributes of the block are copied.
                let eh = &secured[secured.find("<wsse11:EncryptedHeader").unwrap()..];
                let eh = &eh[..eh.find('>').unwrap()];
                assert!(eh.contains("mustUnderstand=\"1\""), "{case}: {eh}");
                assert!(
                    eh.contains(
                        "role=\"http://www.w3.org/2003/05/soap-envelope/role/ultimateReceiver\""
                    ),
                    "{case}"
                );
            }
            let opened = open(&secured).unwrap_or_else(|e| panic!("{case}: {e}"));
            assert_eq!(opened.decrypted_headers, usize::from(headers), "{case}");
            assert_eq!(
                opened.encrypted_signatures,
                usize::from(signature),
                "{case}"
            );
            assert_eq!(opened.secret_header_text, SECRET_TEXT, "{case}");
        }
    }
}

#[test]
fn rm_sequence_stays_clear_unless_chosen() {
    let secured = secure(BlockCipherAlgorithm::Aes256Gcm, true, true, true);
    assert!(secured.contains("<r:Sequence"));
    assert!(secured.contains("<r:MessageNumber>1</r:MessageNumber>"));
}

/// Replaces one base64 character in the middle of the CipherValue of the
/// EncryptedData with this `Id`.
fn flip_cipher_value(xml: &str, ed_id: &str) -> String {
    let ed = xml.find(&format!("Id=\"{ed_id}\"")).unwrap();
    let cv = ed + xml[ed..].find("<xenc:CipherValue>").unwrap() + "<xenc:CipherValue>".len();
    let end = cv + xml[cv..].find('<').unwrap();
    let mid = cv + (end - cv) / 2;
    let old = xml.as_bytes()[mid];
    let new = if old == b'A' { 'B' } else { 'A' };
    format!("{}{}{}", &xml[..mid], new, &xml[mid + 1..])
}

#[test]
fn changed_ciphertext_is_the_same_opaque_failure_as_a_mac_failure() {
    let mac_failure = {
        let secured = secure(BlockCipherAlgorithm::Aes256Gcm, true, false, false);
        let v = secured.find("<ds:SignatureValue>").unwrap() + "<ds:SignatureValue>".len();
        let new = if secured.as_bytes()[v] == b'A' {
            'B'
        } else {
            'A'
        };
        let tampered = format!("{}{}{}", &secured[..v], new, &secured[v + 1..]);
        open(&tampered).unwrap_err()
    };
    assert_eq!(mac_failure, SecurityError::FailedCheck);
    for cipher in CIPHERS {
        for (ed_id, headers, signature) in [
            ("wsrx-ed-h0", true, false),
            ("wsrx-ed-h0", true, true),
            ("wsrx-ed-sig", false, true),
            ("wsrx-ed-sig", true, true),
        ] {
            let secured = secure(cipher, headers, signature, false);
            let err = open(&flip_cipher_value(&secured, ed_id)).unwrap_err();
            assert_eq!(err, mac_failure, "{cipher:?} {ed_id}");
            assert_eq!(err.to_fault(), mac_failure.to_fault(), "{cipher:?} {ed_id}");
        }
    }
}

#[test]
fn encrypted_header_swapped_between_messages_fails() {
    // Each message has its own encryption DKT (fresh nonce), so ciphertext from
    // another message does not decrypt under this one's key.
    let a = secure(BlockCipherAlgorithm::Aes256Gcm, true, false, false);
    let mut rng = InsecureSeededRandom::from_seed(99);
    let (token, secret) = demo_token(ScVersion::V200512);
    let config = SignConfig {
        cipher: Some(BlockCipherAlgorithm::Aes256Gcm),
        encrypt_headers: vec![HeaderName::new(APP, "Secret")],
        ..SignConfig::default()
    };
    let doc = Document::parse(message().replace(SECRET_TEXT, "other").as_bytes()).unwrap();
    let b = Signer::new(&token, &secret, config)
        .secure(&doc, now(), &mut rng)
        .unwrap();
    let cv = |x: &str| {
        let eh = x.find("<wsse11:EncryptedHeader").unwrap();
        let s = eh + x[eh..].find("<xenc:CipherValue>").unwrap();
        let e = s + x[s..].find("</xenc:CipherValue>").unwrap();
        x[s..e].to_owned()
    };
    let swapped = a.replace(&cv(&a), &cv(&b));
    assert_eq!(open(&swapped).unwrap_err(), SecurityError::FailedCheck);
}

#[test]
fn encrypted_header_moved_out_of_header_is_refused() {
    let secured = secure(BlockCipherAlgorithm::Aes256Gcm, true, false, false);
    let start = secured.find("<wsse11:EncryptedHeader").unwrap();
    let end =
        secured.find("</wsse11:EncryptedHeader>").unwrap() + "</wsse11:EncryptedHeader>".len();
    let eh = &secured[start..end];
    let moved = format!("{}{}", &secured[..start], &secured[end..])
        .replace("<ns:text>", &format!("<ns:text>{eh}"));
    assert!(matches!(
        open(&moved).unwrap_err(),
        SecurityError::InvalidSecurity(_)
    ));
}

#[test]
fn removed_encrypted_header_fails_the_signature() {
    let secured = secure(BlockCipherAlgorithm::Aes256Gcm, true, false, false);
    let start = secured.find("<wsse11:EncryptedHeader").unwrap();
    let end =
        secured.find("</wsse11:EncryptedHeader>").unwrap() + "</wsse11:EncryptedHeader>".len();
    let removed = format!("{}{}", &secured[..start], &secured[end..]).replace(
        "<xenc:DataReference URI=\"#wsrx-ed-h0\"></xenc:DataReference>",
        "",
    );
    assert!(open(&removed).is_err());
}

#[test]
fn undecrypted_signature_is_refused_by_the_verifier() {
    let secured = secure(BlockCipherAlgorithm::Aes256Gcm, false, true, false);
    let doc = Document::parse(secured.as_bytes()).unwrap();
    let err = Verifier::default()
        .verify(&doc, &MapResolver::demo(), now())
        .unwrap_err();
    assert!(matches!(err, SecurityError::InvalidSecurity(_)), "{err:?}");
}
