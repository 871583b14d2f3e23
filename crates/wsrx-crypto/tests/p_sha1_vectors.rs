//! P_SHA1 known answers PS-1 … PS-9 from `testdata/p_sha1/p_sha1.toml`, read at run time.
//!
//! Origins (see `testdata/p_sha1/MANIFEST.md`): PS-1 mono/mono (MIT), PS-2/PS-3 ASNeG/OpcUaStack
//! (Apache-2.0), PS-4 leandrob/node-psha1 (MIT), PS-5 … PS-9 the project's own, cross-checked
//! with WSS4J. No value is retyped here.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code"
)]

use std::path::PathBuf;

use serde::Deserialize;
use wsrx_crypto::{DEFAULT_LABEL, PHashAlgorithm, SecretKey, computed_key, derive_key, p_hash};

#[derive(Deserialize)]
struct File {
    default_label_hex: String,
    vector: Vec<Vector>,
}

#[derive(Deserialize)]
struct Vector {
    id: String,
    secret: String,
    seed: String,
    offset: u64,
    length: u64,
    expected: String,
    label: Option<String>,
    nonce: Option<String>,
    p_sha256_length: Option<u64>,
    p_sha256_expected: Option<String>,
    client_entropy_b64: Option<String>,
    server_entropy_b64: Option<String>,
    negative_swapped: Option<String>,
}

fn load() -> File {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/p_sha1/p_sha1.toml");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    toml::from_str(&text).unwrap()
}

fn unhex(s: &str) -> Vec<u8> {
    hex::decode(s).unwrap()
}

fn b64(s: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.decode(s).unwrap()
}

fn vector<'a>(file: &'a File, id: &str) -> &'a Vector {
    file.vector
        .iter()
        .find(|v| v.id == id)
        .unwrap_or_else(|| panic!("{id} missing"))
}

#[test]
fn all_nine_vectors_are_present() {
    let file = load();
    let ids: Vec<&str> = file.vector.iter().map(|v| v.id.as_str()).collect();
    let wanted: Vec<String> = (1..=9).map(|i| format!("PS-{i}")).collect();
    assert_eq!(ids, wanted);
}

#[test]
fn raw_p_sha1_gives_every_expected_value() {
    let file = load();
    for v in &file.vector {
        let out = p_hash(
            PHashAlgorithm::PSha1,
            &unhex(&v.secret),
            &unhex(&v.seed),
            v.offset,
            v.length,
        )
        .unwrap();
        assert_eq!(hex::encode(out.expose_secret()), v.expected, "{}", v.id);
    }
}

#[test]
fn derive_key_gives_every_dkt_vector() {
    let file = load();
    assert_eq!(unhex(&file.default_label_hex), DEFAULT_LABEL);
    let mut checked = 0;
    for v in &file.vector {
        let (Some(label), Some(nonce)) = (&v.label, &v.nonce) else {
            continue;
        };
        let label = unhex(label);
        let nonce = unhex(nonce);
        assert_eq!(
            [label.as_slice(), &nonce].concat(),
            unhex(&v.seed),
            "{}: seed",
            v.id
        );
        let secret = SecretKey::from_vec(unhex(&v.secret));
        // An absent wsc:Label means the default; pass None whenever the vector uses it.
        let label_arg = (label != DEFAULT_LABEL).then_some(label.as_slice());
        let out = derive_key(&secret, label_arg, &nonce, v.offset, v.length).unwrap();
        assert_eq!(hex::encode(out.expose_secret()), v.expected, "{}", v.id);
        checked += 1;
    }
    // PS-1 and PS-5 … PS-9 carry label and nonce.
    assert_eq!(checked, 6);
}

#[test]
fn ps3_p_sha256_value_does_not_come_out_of_p_sha1() {
    let file = load();
    let v = vector(&file, "PS-3");
    let len = v.p_sha256_length.unwrap();
    let wrong = v.p_sha256_expected.as_deref().unwrap();
    let (secret, seed) = (unhex(&v.secret), unhex(&v.seed));
    let sha1 = p_hash(PHashAlgorithm::PSha1, &secret, &seed, 0, len).unwrap();
    assert_ne!(hex::encode(sha1.expose_secret()), wrong);
    assert!(!wrong.starts_with(&v.expected[..8]));
    // The optional P_SHA256 produces exactly that value.
    let sha256 = p_hash(PHashAlgorithm::PSha256, &secret, &seed, 0, len).unwrap();
    assert_eq!(hex::encode(sha256.expose_secret()), wrong);
}

#[test]
fn ps4_computed_key_and_swapped_negative() {
    let file = load();
    let v = vector(&file, "PS-4");
    let client = b64(v.client_entropy_b64.as_deref().unwrap());
    let server = b64(v.server_entropy_b64.as_deref().unwrap());
    assert_eq!(client, unhex(&v.secret));
    assert_eq!(server, unhex(&v.seed));
    let negative = v.negative_swapped.as_deref().unwrap();

    let key = computed_key(&client, &server, v.length * 8).unwrap();
    assert_eq!(hex::encode(key.expose_secret()), v.expected);
    assert_ne!(hex::encode(key.expose_secret()), negative);
    // The negative really is the swapped order, so the assertion above has teeth.
    let swapped = computed_key(&server, &client, v.length * 8).unwrap();
    assert_eq!(hex::encode(swapped.expose_secret()), negative);
}

#[test]
fn ps5_family_relations() {
    let file = load();
    let ps5 = vector(&file, "PS-5");
    // PS-6 and PS-7 are prefixes of PS-5; PS-8 is the next 32 bytes; PS-9 differs.
    assert!(ps5.expected.starts_with(&vector(&file, "PS-6").expected));
    assert!(ps5.expected.starts_with(&vector(&file, "PS-7").expected));
    let secret = SecretKey::from_vec(unhex(&ps5.secret));
    let nonce = unhex(ps5.nonce.as_deref().unwrap());
    let both = derive_key(&secret, None, &nonce, 0, 64).unwrap();
    assert_eq!(
        hex::encode(both.expose_secret()),
        format!("{}{}", ps5.expected, vector(&file, "PS-8").expected)
    );
    assert_ne!(vector(&file, "PS-9").expected, ps5.expected);
}
