use super::*;

fn config() -> LeaseConfig {
    LeaseConfig {
        ttl: Duration::from_millis(5_000),
        renew_when_left: Duration::from_millis(3_000),
        margin: Duration::from_millis(1_000),
        linger: Duration::from_millis(2_000),
    }
}

fn requests(l: &mut Leases) -> Vec<Request> {
    std::iter::from_fn(|| l.poll_request()).collect()
}

fn events(l: &mut Leases) -> Vec<LeaseEvent> {
    std::iter::from_fn(|| l.poll_event()).collect()
}

fn acquire(sequence: &str) -> Request {
    Request::Acquire {
        sequence: sequence.to_owned(),
    }
}

#[test]
fn a_wanted_lease_is_acquired_once_and_valid_until_ttl_minus_margin_from_the_request() {
    let mut l = Leases::new(config());
    assert_eq!(l.want("s", Millis(100)), None);
    // Asked again before the answer: no second request.
    assert_eq!(l.want("s", Millis(150)), None);
    assert_eq!(requests(&mut l), vec![acquire("s")]);
    l.acquired(
        "s",
        AcquireAnswer::Granted {
            token: 7,
            takeover: false,
        },
        Millis(400),
    );
    assert_eq!(
        events(&mut l),
        vec![LeaseEvent::Acquired {
            sequence: "s".into(),
            takeover: false
        }]
    );
    // Valid from the *sending* time: 100 + 5 000 - 1 000.
    assert_eq!(l.fence("s", Millis(4_099)), Some(7));
    assert_eq!(l.fence("s", Millis(4_100)), None);
    assert_eq!(l.held(), 1);
}

#[test]
fn a_lease_in_use_is_renewed_when_due_and_lost_when_the_renewal_is_refused() {
    let mut l = Leases::new(config());
    l.want("s", Millis(0));
    requests(&mut l);
    let granted = AcquireAnswer::Granted {
        token: 3,
        takeover: false,
    };
    l.acquired("s", granted, Millis(10));
    // Valid until 4 000; renewal due at 1 000 (3 000 left); linger would be 2 010.
    assert_eq!(l.poll_timeout(), Some(Millis(1_000)));
    l.handle_timeout(Millis(999));
    assert!(requests(&mut l).is_empty());
    l.fence("s", Millis(1_000));
    l.handle_timeout(Millis(1_000));
    assert_eq!(
        requests(&mut l),
        vec![Request::Renew {
            sequence: "s".into(),
            token: 3
        }]
    );
    // One renewal in flight at a time.
    l.handle_timeout(Millis(1_100));
    assert!(requests(&mut l).is_empty());
    l.renewed("s", 3, true);
    // Extended from the renewal's sending time: valid until 1 000 + 4 000, not 4 000.
    assert_eq!(l.fence("s", Millis(4_999)), Some(3));
    // The next renewal is refused (taken over meanwhile): lost, and said so.
    l.handle_timeout(Millis(4_999));
    assert_eq!(requests(&mut l).len(), 1);
    l.renewed("s", 3, false);
    assert_eq!(l.fence("s", Millis(4_999)), None);
    assert!(events(&mut l).contains(&LeaseEvent::Lost {
        sequence: "s".into()
    }));
    assert_eq!(l.held(), 0);
}

#[test]
fn a_node_paused_past_its_lease_holds_nothing_when_it_runs_again() {
    let mut l = Leases::new(config());
    l.want("s", Millis(0));
    requests(&mut l);
    l.acquired(
        "s",
        AcquireAnswer::Granted {
            token: 1,
            takeover: false,
        },
        Millis(5),
    );
    // SIGSTOP at 500, SIGCONT at 60 000: the first thing it does is deliver.
    assert_eq!(l.want("s", Millis(60_000)), None);
    assert!(events(&mut l).contains(&LeaseEvent::Lost {
        sequence: "s".into()
    }));
    // It asks anew; the store decides (here: another node took it over).
    assert_eq!(requests(&mut l), vec![acquire("s")]);
    l.acquired(
        "s",
        AcquireAnswer::HeldElsewhere {
            remaining: Duration::from_millis(4_000),
        },
        Millis(60_010),
    );
    assert_eq!(l.want("s", Millis(64_009)), None);
    assert!(
        requests(&mut l).is_empty(),
        "asked before the other's lease ran out"
    );
    assert_eq!(l.want("s", Millis(64_010)), None);
    assert_eq!(requests(&mut l), vec![acquire("s")]);
    l.acquired(
        "s",
        AcquireAnswer::Granted {
            token: 9,
            takeover: true,
        },
        Millis(64_020),
    );
    assert_eq!(l.fence("s", Millis(64_030)), Some(9));
    assert_eq!(l.takeovers(), 1);
}

#[test]
fn unused_leases_are_released_and_shutdown_releases_the_rest() {
    let mut l = Leases::new(config());
    for s in ["a", "b", "c"] {
        l.want(s, Millis(0));
    }
    requests(&mut l);
    for (s, token) in [("a", 1), ("b", 2), ("c", 3)] {
        l.acquired(
            s,
            AcquireAnswer::Granted {
                token,
                takeover: false,
            },
            Millis(0),
        );
    }
    // "a" is used at 900; "b" and "c" are not used after their grant.
    assert_eq!(l.fence("a", Millis(900)), Some(1));
    l.handle_timeout(Millis(1_000));
    let renewals = requests(&mut l);
    assert_eq!(renewals.len(), 3, "{renewals:?}");
    for (s, token) in [("a", 1), ("b", 2), ("c", 3)] {
        l.renewed(s, token, true);
    }
    l.handle_timeout(Millis(2_000));
    assert_eq!(
        requests(&mut l),
        vec![
            Request::Renew {
                sequence: "a".into(),
                token: 1
            },
            Request::Release {
                sequence: "b".into(),
                token: 2
            },
            Request::Release {
                sequence: "c".into(),
                token: 3
            }
        ]
    );
    assert_eq!(l.held(), 1);
    l.release_all();
    assert_eq!(
        requests(&mut l),
        vec![Request::Release {
            sequence: "a".into(),
            token: 1
        }]
    );
    assert_eq!(l.held(), 0);
    assert_eq!(l.poll_timeout(), None);
}

#[test]
fn a_grant_nobody_waits_for_goes_back_and_failures_are_retried() {
    let mut l = Leases::new(config());
    l.acquired(
        "x",
        AcquireAnswer::Granted {
            token: 4,
            takeover: false,
        },
        Millis(0),
    );
    assert_eq!(
        requests(&mut l),
        vec![Request::Release {
            sequence: "x".into(),
            token: 4
        }]
    );
    l.want("y", Millis(0));
    requests(&mut l);
    l.acquired("y", AcquireAnswer::Failed, Millis(10));
    assert_eq!(l.want("y", Millis(20)), None);
    assert_eq!(requests(&mut l), vec![acquire("y")]);
    // A renewal without an answer is tried again while the lease is valid here.
    l.acquired(
        "y",
        AcquireAnswer::Granted {
            token: 5,
            takeover: false,
        },
        Millis(30),
    );
    l.fence("y", Millis(1_100));
    l.handle_timeout(Millis(1_100));
    assert_eq!(requests(&mut l).len(), 1);
    l.renewal_failed("y", 5);
    l.handle_timeout(Millis(1_200));
    assert_eq!(
        requests(&mut l),
        vec![Request::Renew {
            sequence: "y".into(),
            token: 5
        }]
    );
}
