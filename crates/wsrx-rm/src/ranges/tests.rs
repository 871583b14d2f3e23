use std::collections::BTreeSet;

use proptest::prelude::*;

use super::*;

fn well_formed(set: &RangeSet) -> bool {
    set.ranges().iter().all(|r| r.lower <= r.upper)
        && set.ranges().windows(2).all(|w| match w {
            [a, b] => a.upper.saturating_add(1) < b.lower,
            _ => true,
        })
        && set.range_count() <= set.max_ranges + 1
}

#[test]
fn coalesces_in_and_out_of_order() {
    let mut s = RangeSet::new(8);
    for n in [1, 2, 3, 5, 7, 6] {
        assert_eq!(s.insert(n), Insert::Added);
    }
    assert_eq!(
        s.ranges(),
        &[
            AckRange { lower: 1, upper: 3 },
            AckRange { lower: 5, upper: 7 }
        ]
    );
    assert_eq!(s.insert(4), Insert::Added);
    assert_eq!(s.ranges(), &[AckRange { lower: 1, upper: 7 }]);
    assert_eq!(s.insert(4), Insert::Duplicate);
    assert_eq!(s.contiguous_from_one(), 7);
}

#[test]
fn refuses_beyond_the_bound_without_changing() {
    let mut s = RangeSet::new(2);
    assert_eq!(s.insert(3), Insert::Added);
    assert_eq!(s.insert(5), Insert::Added);
    let before = s.clone();
    assert_eq!(s.insert(7), Insert::TooFragmented);
    assert_eq!(s, before);
    // 1 (the start of the contiguous prefix) is never refused, and joining is allowed.
    assert_eq!(s.insert(1), Insert::Added);
    assert_eq!(s.insert(2), Insert::Added);
    assert_eq!(s.insert(7), Insert::Added);
    assert_eq!(s.ranges().len(), 3);
}

proptest! {
    #[test]
    fn behaves_like_a_set(ops in proptest::collection::vec(1u64..200, 0..300), bound in 1usize..12) {
        let mut s = RangeSet::new(bound);
        let mut model = BTreeSet::new();
        for n in ops {
            let had = model.contains(&n);
            match s.insert(n) {
                Insert::Added => { prop_assert!(!had); model.insert(n); }
                Insert::Duplicate => prop_assert!(had),
                Insert::TooFragmented => prop_assert!(!had),
            }
            prop_assert!(well_formed(&s));
        }
        prop_assert_eq!(s.iter().collect::<BTreeSet<_>>(), model.clone());
        for n in 0..210 {
            prop_assert_eq!(s.contains(n), model.contains(&n));
        }
        prop_assert_eq!(s.max(), model.iter().next_back().copied());
    }

    #[test]
    fn insert_range_matches_pointwise(rs in proptest::collection::vec((1u64..100, 0u64..8), 0..40)) {
        let mut a = RangeSet::new(1000);
        let mut b = RangeSet::new(1000);
        for (lo, len) in rs {
            let r = AckRange { lower: lo, upper: lo + len };
            prop_assert_ne!(a.insert_range(r), Insert::TooFragmented);
            for n in r.lower..=r.upper { b.insert(n); }
            prop_assert!(well_formed(&a));
            prop_assert!(a.covers_range(r));
        }
        prop_assert_eq!(&a, &b);
        prop_assert!(a.covers(&b) && b.covers(&a));
    }

    #[test]
    fn covers_is_subset(xs in proptest::collection::vec(1u64..60, 0..40), ys in proptest::collection::vec(1u64..60, 0..40)) {
        let mut a = RangeSet::new(1000);
        let mut b = RangeSet::new(1000);
        for x in &xs { a.insert(*x); }
        for y in &ys { b.insert(*y); }
        let sa: BTreeSet<_> = xs.into_iter().collect();
        let sb: BTreeSet<_> = ys.into_iter().collect();
        prop_assert_eq!(a.covers(&b), sb.is_subset(&sa));
    }
}
