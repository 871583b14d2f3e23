//! Quotas, eviction by age and the journal form of the replay cache.

use std::time::{Duration, SystemTime};

use wsrx_crypto::{InsecureSeededRandom, SecretKey};
use wsrx_xml::Document;

use super::{ReplayCache, ReplayEntry, ReplayLimits, ReplayQuota};
use crate::fuzzing::FixedKey;
use crate::{ScVersion, SecurityContextToken, SecurityError, SignConfig, Signer, Verifier};

fn t0() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_000_000)
}

/// A message signed at `at` by the SCT `identifier` (every identifier resolves to
/// [`FixedKey`]'s key).
fn signed(identifier: &str, at: SystemTime, seed: u64) -> String {
    let doc = Document::parse(
        br#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><p xmlns="urn:p">1</p></s:Body></s:Envelope>"#,
    )
    .unwrap();
    let token = SecurityContextToken {
        version: ScVersion::V200512,
        identifier: identifier.to_owned(),
        instance: None,
        wsu_id: None,
    };
    let secret = SecretKey::from_slice(&[0x5a; 32]);
    let mut rng = InsecureSeededRandom::from_seed(seed);
    Signer::new(&token, &secret, SignConfig::default())
        .secure(&doc, at, &mut rng)
        .unwrap()
}

fn check(
    cache: &mut ReplayCache,
    msg: &str,
    now: SystemTime,
) -> Result<Vec<ReplayEntry>, SecurityError> {
    let doc = Document::parse(msg.as_bytes()).map_err(|_| SecurityError::Local)?;
    let v = Verifier::default().verify(&doc, &FixedKey, now)?;
    cache.check_entries(&v, now)
}

#[test]
fn one_identity_over_its_quota_never_refuses_another() {
    let mut cache = ReplayCache::with_limits(
        ReplayLimits {
            per_identity: 3,
            total: 10,
        },
        Duration::from_secs(600),
    );
    for seed in 0..3 {
        check(&mut cache, &signed("urn:insider", t0(), seed), t0()).unwrap();
    }
    assert_eq!(
        check(&mut cache, &signed("urn:insider", t0(), 9), t0()),
        Err(SecurityError::ReplayCacheFull(ReplayQuota::PerIdentity))
    );
    // A stranger is served; the refusal recorded nothing.
    check(&mut cache, &signed("urn:victim", t0(), 10), t0()).unwrap();
    assert_eq!(cache.len_of("urn:insider"), 3);
    assert_eq!(cache.len_of("urn:victim"), 1);
    assert_eq!(cache.identities(), 2);
}

#[test]
fn the_global_quota_names_itself() {
    let mut cache = ReplayCache::with_limits(
        ReplayLimits {
            per_identity: 2,
            total: 3,
        },
        Duration::from_secs(600),
    );
    for (i, id) in ["urn:a", "urn:a", "urn:b"].iter().enumerate() {
        check(&mut cache, &signed(id, t0(), i as u64), t0()).unwrap();
    }
    assert_eq!(
        check(&mut cache, &signed("urn:c", t0(), 7), t0()),
        Err(SecurityError::ReplayCacheFull(ReplayQuota::Total))
    );
    let fault = SecurityError::ReplayCacheFull(ReplayQuota::Total).to_fault();
    assert!(
        fault.reason.contains("replay_entries_total"),
        "{}",
        fault.reason
    );
}

#[test]
fn entries_expire_by_the_age_of_their_message_not_their_arrival() {
    let window = Duration::from_secs(600);
    let mut cache = ReplayCache::new(10, window);
    // Created 500 s before it arrived: it can pass the Timestamp check for 100 s more
    // only, and so it is remembered for that long.
    let old = signed("urn:a", t0(), 1);
    let arrival = t0() + Duration::from_secs(500);
    let entries = check(&mut cache, &old, arrival).unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(
        entries[0].expiry_ms,
        i64::try_from(
            (t0() + window)
                .duration_since(SystemTime::UNIX_EPOCH)
                .unwrap()
                .as_millis()
        )
        .unwrap()
    );
    assert_eq!(
        check(&mut cache, &old, arrival + Duration::from_secs(99)),
        Err(SecurityError::Replay)
    );
    // Frees its quota at Created + window.
    let later = t0() + window + Duration::from_secs(1);
    check(&mut cache, &signed("urn:a", later, 2), later).unwrap();
    assert_eq!(cache.len(), 1);
}

#[test]
fn journaled_entries_survive_a_restart_and_expired_ones_do_not() {
    let mut cache = ReplayCache::new(10, Duration::from_secs(600));
    let a = signed("urn:a", t0(), 1);
    let b = signed("urn:b", t0() - Duration::from_secs(590), 2);
    let mut journal: Vec<String> = Vec::new();
    for (msg, at) in [(&a, t0()), (&b, t0())] {
        for e in check(&mut cache, msg, at).unwrap() {
            journal.push(e.to_line());
        }
    }
    journal.push("17 torn".to_owned());
    let mut restarted = ReplayCache::new(10, Duration::from_secs(600));
    let now = t0() + Duration::from_secs(20);
    let restored = restarted.restore(
        journal.iter().filter_map(|l| ReplayEntry::from_line(l)),
        now,
    );
    assert_eq!(restored, 1, "b expired 10 s before the restart");
    assert_eq!(check(&mut restarted, &a, now), Err(SecurityError::Replay));
    assert_eq!(restarted.entries().len(), 1);
}

#[test]
fn journal_lines_round_trip_and_refuse_garbage() {
    let e = ReplayEntry {
        identity: "urn:uuid:x y".into(),
        key: [0xab; 32],
        expiry_ms: 1_795_000_000_123,
    };
    assert_eq!(ReplayEntry::from_line(&e.to_line()), Some(e.clone()));
    for bad in ["", "1", "x ab urn", "1 abab urn", &e.to_line()[..40]] {
        assert_eq!(ReplayEntry::from_line(bad), None, "{bad}");
    }
}

#[test]
fn quota_for_a_rate_is_rate_times_window() {
    let l = ReplayLimits::for_rate(50, Duration::from_secs(600), 1_000_000);
    assert_eq!(l.per_identity, 30_000);
    assert_eq!(ReplayLimits::for_rate(0, Duration::ZERO, 5).per_identity, 1);
}
