//! Unit tests of token parsing, defaults and bounds (spec-facts §3.3).

use super::*;
use wsrx_xml::Document;

fn dkt_xml(children: &str) -> String {
    format!(
        "<wsc:DerivedKeyToken xmlns:wsc=\"{WSC_200512}\" xmlns:wsse=\"{WSSE}\"><wsse:SecurityTokenReference><wsse:Reference URI=\"#s\"/></wsse:SecurityTokenReference>{children}</wsc:DerivedKeyToken>"
    )
}

fn parse_dkt(children: &str) -> Result<DerivedKeyToken, SecurityError> {
    let doc = Document::parse(dkt_xml(children).as_bytes()).map_err(|_| SecurityError::Local)?;
    DerivedKeyToken::parse(doc.root())
}

#[test]
fn dkt_defaults() {
    let d = parse_dkt("<wsc:Nonce>AAECAw==</wsc:Nonce>").unwrap();
    assert_eq!(d.effective_length().unwrap(), 32);
    assert_eq!(d.effective_offset().unwrap(), 0);
    assert_eq!(d.label, None);
    let g = parse_dkt("<wsc:Generation>2</wsc:Generation><wsc:Length>16</wsc:Length><wsc:Nonce>AAECAw==</wsc:Nonce>").unwrap();
    assert_eq!(g.effective_offset().unwrap(), 32);
    // Default label = the 42-byte doubled string (PS-9 trap): differs from a single copy.
    let secret = SecretKey::from_slice(b"0123456789abcdef");
    let mut single = d.clone();
    single.label = Some("WS-SecureConversation".to_owned());
    assert_ne!(d.derive(&secret).unwrap(), single.derive(&secret).unwrap());
}

#[test]
fn dkt_bounds_and_order() {
    for bad in [
        "<wsc:Length>0</wsc:Length><wsc:Nonce>AA==</wsc:Nonce>",
        "<wsc:Length>65</wsc:Length><wsc:Nonce>AA==</wsc:Nonce>",
        "<wsc:Offset>1000</wsc:Offset><wsc:Length>32</wsc:Length><wsc:Nonce>AA==</wsc:Nonce>",
        "<wsc:Generation>99999999999999999</wsc:Generation><wsc:Nonce>AA==</wsc:Nonce>",
        "<wsc:Length>16</wsc:Length><wsc:Offset>0</wsc:Offset><wsc:Nonce>AA==</wsc:Nonce>",
        "<wsc:Length>-1</wsc:Length><wsc:Nonce>AA==</wsc:Nonce>",
        "<wsc:Length>16</wsc:Length>",
        "<wsc:Nonce>!!</wsc:Nonce>",
    ] {
        assert!(
            matches!(parse_dkt(bad), Err(SecurityError::InvalidToken(_))),
            "{bad}"
        );
    }
}

#[test]
fn tokens_round_trip_through_write() {
    let sct = SecurityContextToken {
        version: ScVersion::V200502,
        identifier: "urn:uuid:a&b".to_owned(),
        instance: Some("2".to_owned()),
        wsu_id: Some("sct".to_owned()),
    };
    let mut out = String::new();
    sct.write(&mut out);
    let doc = Document::parse(out.as_bytes()).unwrap();
    assert_eq!(SecurityContextToken::parse(doc.root()).unwrap(), sct);

    let dkt = parse_dkt(
        "<wsc:Offset>0</wsc:Offset><wsc:Length>24</wsc:Length><wsc:Nonce>AAECAw==</wsc:Nonce>",
    )
    .unwrap();
    let mut out = String::new();
    dkt.write(&mut out);
    let doc = Document::parse(out.as_bytes()).unwrap();
    assert_eq!(DerivedKeyToken::parse(doc.root()).unwrap(), dkt);
}

#[test]
fn str_forms() {
    let parse = |inner: &str| {
        let xml = format!(
            "<wsse:SecurityTokenReference xmlns:wsse=\"{WSSE}\" xmlns:wsc=\"{WSC_200512}\">{inner}</wsse:SecurityTokenReference>"
        );
        let doc = Document::parse(xml.as_bytes()).unwrap();
        SecurityTokenReference::parse(doc.root())
    };
    assert_eq!(
        parse("<wsse:Reference URI=\"#x\"/>").unwrap().reference,
        TokenReference::Local("x".into())
    );
    let ext = parse("<wsse:Reference URI=\"urn:uuid:1\" wsc:Instance=\"3\"/>").unwrap();
    assert_eq!(ext.reference, TokenReference::External("urn:uuid:1".into()));
    assert_eq!(ext.instance.as_deref(), Some("3"));
    assert!(matches!(
        parse("<wsse:KeyIdentifier>abc</wsse:KeyIdentifier>")
            .unwrap()
            .reference,
        TokenReference::KeyIdentifier { .. }
    ));
    assert!(parse("").is_err());
    assert!(parse("<wsse:Reference/>").is_err());
}
