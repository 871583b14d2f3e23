//! Hot-path benchmarks (issue budget, one core): parse a 4 KB secured WS-RM SOAP
//! envelope (≤ 15 µs), and exclusive c14n + SHA-256 of a 4 KB Body (≤ 8 µs).
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "benchmark code"
)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sha2::{Digest, Sha256};
use wsrx_xml::{C14nOptions, Document, Sink, canonicalize};

/// A WCF-shaped SOAP 1.2 envelope: WS-A 1.0 headers, a WS-RM Sequence and
/// AckRequested, a wsse:Security header with Timestamp, SCT, DerivedKeyToken and
/// an HMAC Signature over six references, and an application Body whose payload
/// is padded so that the Body alone is `body_bytes` long.
fn envelope(body_bytes: usize) -> String {
    let head = r##"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://www.w3.org/2005/08/addressing" xmlns:r="http://docs.oasis-open.org/ws-rx/wsrm/200702" xmlns:u="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"><s:Header><a:Action s:mustUnderstand="1" u:Id="_2">urn:example:echo/Echo</a:Action><a:MessageID u:Id="_3">urn:uuid:8b0c3e4c-2b0a-4a4e-9f3d-0c2f9a1b7e55</a:MessageID><a:ReplyTo u:Id="_4"><a:Address>http://www.w3.org/2005/08/addressing/anonymous</a:Address></a:ReplyTo><a:To s:mustUnderstand="1" u:Id="_5">https://service.example.com:8443/echo</a:To><r:Sequence s:mustUnderstand="1" u:Id="_6"><r:Identifier>urn:uuid:2f4c6d1e-58b4-4c61-9d0c-3c7e5b6a9f10</r:Identifier><r:MessageNumber>42</r:MessageNumber></r:Sequence><r:AckRequested u:Id="_7"><r:Identifier>urn:uuid:2f4c6d1e-58b4-4c61-9d0c-3c7e5b6a9f10</r:Identifier></r:AckRequested><o:Security s:mustUnderstand="1" xmlns:o="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"><u:Timestamp u:Id="_0"><u:Created>2026-11-23T10:00:00.000Z</u:Created><u:Expires>2026-11-23T10:05:00.000Z</u:Expires></u:Timestamp><c:SecurityContextToken u:Id="sct" xmlns:c="http://docs.oasis-open.org/ws-sx/ws-secureconversation/200512"><c:Identifier>urn:uuid:6a1c2a5e-5c0b-4a36-9d43-2f1f0c0ffee1</c:Identifier></c:SecurityContextToken><c:DerivedKeyToken u:Id="dk" xmlns:c="http://docs.oasis-open.org/ws-sx/ws-secureconversation/200512"><o:SecurityTokenReference><o:Reference URI="#sct" ValueType="http://docs.oasis-open.org/ws-sx/ws-secureconversation/200512/sct"/></o:SecurityTokenReference><c:Offset>0</c:Offset><c:Length>32</c:Length><c:Nonce>cmFuZG9tLW5vbmNlLTE2Yg==</c:Nonce></c:DerivedKeyToken><Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><SignedInfo><CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/><SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#hmac-sha256"/>"##;
    let mut s = String::from(head);
    for id in ["_0", "_1", "_2", "_3", "_5", "_6"] {
        s.push_str(&format!(r##"<Reference URI="#{id}"><Transforms><Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></Transforms><DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><DigestValue>47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=</DigestValue></Reference>"##));
    }
    s.push_str(r##"</SignedInfo><SignatureValue>m0Yf4gS9nXv7bq2a7Ck3rY6cJfUe0l0r5x1Q2z3W4E0=</SignatureValue><KeyInfo><o:SecurityTokenReference><o:Reference URI="#dk"/></o:SecurityTokenReference></KeyInfo></Signature></o:Security></s:Header>"##);
    let (body_open, body_close) = (BODY_OPEN, BODY_CLOSE);
    let item = r##"<e:text lang="en">The quick brown fox &amp; the lazy dog: 0123456789</e:text>"##;
    let mut body = String::from(body_open);
    while body.len() + item.len() + body_close.len() <= body_bytes {
        body.push_str(item);
    }
    while body.len() + body_close.len() < body_bytes {
        body.push(' ');
    }
    body.push_str(body_close);
    s.push_str(&body);
    s.push_str("</s:Envelope>");
    s
}

const BODY_OPEN: &str = r##"<s:Body u:Id="_1"><e:echo xmlns:e="urn:example:echo">"##;
const BODY_CLOSE: &str = "</e:echo></s:Body>";

/// An envelope of `total` bytes: the Body is sized to make up the rest.
fn envelope_of_total(total: usize) -> String {
    let outside_body = envelope(0).len() - BODY_OPEN.len() - BODY_CLOSE.len();
    envelope(total - outside_body)
}

struct DigestSink(Sha256);

impl Sink for DigestSink {
    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }
}

fn benches(c: &mut Criterion) {
    let env = envelope_of_total(4096);
    assert_eq!(env.len(), 4096);
    let mut group = c.benchmark_group("xml");
    group.throughput(Throughput::Bytes(env.len() as u64));
    group.bench_function("parse_envelope_4k", |b| {
        b.iter(|| Document::parse(black_box(env.as_bytes())).unwrap())
    });

    let env = envelope(4096);
    let doc = Document::parse(env.as_bytes()).unwrap();
    let body = doc
        .root()
        .child("http://www.w3.org/2003/05/soap-envelope", "Body")
        .unwrap();
    assert_eq!(body.span().len(), 4096);
    group.throughput(Throughput::Bytes(4096));
    group.bench_function("exc_c14n_sha256_body_4k", |b| {
        b.iter(|| {
            let mut sink = DigestSink(Sha256::new());
            canonicalize(black_box(body), &C14nOptions::default(), &mut sink);
            sink.0.finalize()
        })
    });
    group.bench_function("exc_c14n_to_vec_body_4k", |b| {
        let mut out = Vec::with_capacity(8192);
        b.iter(|| {
            out.clear();
            canonicalize(black_box(body), &C14nOptions::default(), &mut out);
            out.len()
        })
    });
    group.finish();
}

criterion_group! {
    name = xml;
    config = Criterion::default().sample_size(30).measurement_time(Duration::from_secs(3)).warm_up_time(Duration::from_secs(1));
    targets = benches
}
criterion_main!(xml);
