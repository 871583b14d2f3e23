#![allow(clippy::unwrap_used, reason = "test code")]

use wsrx_crypto::InsecureSeededRandom;

use super::*;

fn t(s: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000 + s)
}

fn session() -> Session<InsecureSeededRandom> {
    Session::new(
        SessionConfig::default(),
        InsecureSeededRandom::from_seed(11),
    )
}

#[test]
fn establishment_is_single_flight_per_endpoint() {
    let mut s = session();
    for _ in 0..5 {
        assert_eq!(s.token_for("https://a", t(0)).unwrap(), TokenFor::Pending);
    }
    assert_eq!(s.token_for("https://b", t(0)).unwrap(), TokenFor::Pending);
    let sent: Vec<Transmit> = std::iter::from_fn(|| s.poll_transmit()).collect();
    assert_eq!(sent.len(), 2, "one RST per endpoint");
    assert_eq!(sent[0].endpoint, "https://a");
    assert_eq!(
        Some(sent[0].action.as_str()),
        Dialect::V13.rst_action(RequestType::Issue).as_deref()
    );
    assert!(
        s.poll_persist().is_none(),
        "nothing is durable before an RSTR"
    );
}

#[test]
fn an_unanswered_request_times_out_and_the_next_call_retries() {
    let mut s = session();
    assert_eq!(s.token_for("https://a", t(0)).unwrap(), TokenFor::Pending);
    assert!(s.poll_transmit().is_some());
    let deadline = s.poll_timeout().unwrap();
    assert_eq!(deadline, t(0) + s.config().response_timeout);
    s.handle_timeout(deadline).unwrap();
    assert_eq!(
        s.poll_event(),
        Some(SessionEvent::EstablishFailed {
            endpoint: "https://a".to_owned(),
            fault: None
        })
    );
    assert_eq!(
        s.token_for("https://a", deadline).unwrap(),
        TokenFor::Pending
    );
    assert!(s.poll_transmit().is_some(), "a new RST after the timeout");
}

#[test]
fn responses_to_nothing_are_refused_and_shutdown_stops_handing_out() {
    let mut s = session();
    let doc = wsrx_xml::Document::parse(
        br#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body/></s:Envelope>"#,
    )
    .unwrap();
    assert!(matches!(
        s.handle_rstr(t(0), &doc),
        Err(SessionError::Unexpected(_))
    ));
    s.shutdown(t(0)).unwrap();
    assert_eq!(s.token_for("https://a", t(0)), Err(SessionError::ShutDown));
}
