//! Shared by the tests that read `wsrx serve --delivery-log` and `wsrx store show`: one
//! field of a delivery-log JSON line, and the number ranges `wsrx store show` prints.

use std::collections::BTreeSet;

/// The value of `"key":` in one of our JSON lines: a string (unescaped; our texts and
/// identifiers contain no escapes), a number, or `null`.
pub(crate) fn field<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    let at = line.find(&format!("\"{key}\":"))? + key.len() + 3;
    let rest = line.get(at..)?;
    if let Some(s) = rest.strip_prefix('"') {
        return s.get(..s.find('"')?);
    }
    let end = rest.find([',', '}'])?;
    let v = rest.get(..end)?;
    (v != "null").then_some(v)
}

/// `1-3,5` → {1, 2, 3, 5}; `none` → {}.
pub(crate) fn numbers(ranges: &str) -> BTreeSet<u64> {
    if ranges == "none" {
        return BTreeSet::new();
    }
    ranges
        .split(',')
        .flat_map(|r| {
            let (lo, hi) = r.split_once('-').unwrap_or((r, r));
            lo.parse::<u64>().unwrap()..=hi.parse::<u64>().unwrap()
        })
        .collect()
}
