//! Lexical forms of the simple types the RM schema uses: xs:anyURI, xs:unsignedLong and
//! xs:duration, all with `whiteSpace="collapse"` (XML Schema part 2 §3.2.6, §3.3.21, §4.3.6).

use core::time::Duration;

use wsrx_xml::trim_xml_whitespace;

/// Why a number did not parse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NumError {
    /// Not an xs:unsignedLong lexical form.
    Syntax,
    /// Digits, but more than `u64` holds.
    Overflow,
}

/// An xs:unsignedLong: optional `+`, at least one digit, surrounding whitespace collapsed.
pub(crate) fn unsigned(text: &str) -> Result<u64, NumError> {
    let t = trim_xml_whitespace(text);
    let digits = t.strip_prefix('+').unwrap_or(t);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(NumError::Syntax);
    }
    digits.parse::<u64>().map_err(|_| NumError::Overflow)
}

/// An absolute URI, whitespace-collapsed: a scheme (`ALPHA *(ALPHA / DIGIT / "+" / "-" / ".")`,
/// RFC 3986 §3.1) and a colon, and no whitespace or control characters inside (collapse
/// would leave a space, which no URI contains). Identifiers are otherwise opaque (gSOAP's
/// are not valid UUIDs, Sandesha's are `uuid:…`).
pub(crate) fn absolute_uri(text: &str) -> Option<&str> {
    let t = trim_xml_whitespace(text);
    let (scheme, _) = t.split_once(':')?;
    let mut chars = scheme.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
    let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    let body_ok = !t.chars().any(|c| c.is_whitespace() || c.is_control());
    (first_ok && rest_ok && body_ok).then_some(t)
}

/// A URI reference without whitespace inside (an EPR address, an STR URI or ValueType):
/// collapsed, non-empty, no whitespace or control characters.
pub(crate) fn uri_reference(text: &str) -> Option<&str> {
    let t = trim_xml_whitespace(text);
    (!t.is_empty() && !t.chars().any(|c| c.is_whitespace() || c.is_control())).then_some(t)
}

const SECS_PER_DAY: u64 = 86_400;

/// An xs:duration, non-negative. Years count 365 days and months 30 (WS-RM durations are
/// relative to no date; senders use hours, minutes and seconds: gSOAP `PT00H01M00S`).
pub(crate) fn duration(text: &str) -> Option<Duration> {
    let t = trim_xml_whitespace(text);
    let rest = t.strip_prefix('P')?;
    let (date, time) = match rest.split_once('T') {
        Some((d, tm)) => (d, Some(tm)),
        None => (rest, None),
    };
    let mut secs: u64 = 0;
    let mut nanos: u32 = 0;
    let mut any = false;
    let mut add = |n: u64, unit: u64| -> Option<()> {
        secs = secs.checked_add(n.checked_mul(unit)?)?;
        Some(())
    };
    // Date part: nY nM nD, each optional, in this order.
    let mut s = date;
    for (designator, unit) in [
        ('Y', 365 * SECS_PER_DAY),
        ('M', 30 * SECS_PER_DAY),
        ('D', SECS_PER_DAY),
    ] {
        if let Some((n, after)) = component(s, designator) {
            add(n, unit)?;
            s = after;
            any = true;
        }
    }
    if !s.is_empty() {
        return None;
    }
    if let Some(time) = time {
        let mut s = time;
        let mut any_time = false;
        for (designator, unit) in [('H', 3600), ('M', 60)] {
            if let Some((n, after)) = component(s, designator) {
                add(n, unit)?;
                s = after;
                any_time = true;
            }
        }
        if let Some(body) = s.strip_suffix('S') {
            let (whole, frac) = match body.split_once('.') {
                Some((w, f)) => (w, Some(f)),
                None => (body, None),
            };
            if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            add(whole.parse().ok()?, 1)?;
            if let Some(frac) = frac {
                if frac.is_empty() || !frac.bytes().all(|b| b.is_ascii_digit()) {
                    return None;
                }
                let mut scaled: u32 = 0;
                for b in frac.bytes().chain(core::iter::repeat(b'0')).take(9) {
                    scaled = scaled * 10 + u32::from(b - b'0');
                }
                nanos = scaled;
            }
            s = "";
            any_time = true;
        }
        if !s.is_empty() || !any_time {
            return None;
        }
        any = true;
    }
    any.then(|| Duration::new(secs, nanos))
}

/// `digits designator` at the start of `s`.
fn component(s: &str, designator: char) -> Option<(u64, &str)> {
    let end = s.find(|c: char| !c.is_ascii_digit())?;
    let (digits, rest) = s.split_at(end);
    let rest = rest.strip_prefix(designator)?;
    if digits.is_empty() {
        return None;
    }
    Some((digits.parse().ok()?, rest))
}

/// The canonical form this crate writes: `PT<seconds>[.<fraction>]S`.
pub(crate) fn format_duration(d: Duration) -> String {
    let nanos = d.subsec_nanos();
    if nanos == 0 {
        format!("PT{}S", d.as_secs())
    } else {
        let frac = format!("{nanos:09}");
        format!("PT{}.{}S", d.as_secs(), frac.trim_end_matches('0'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_in_the_forms_peers_send() {
        // gSOAP (spec-facts §6).
        assert_eq!(duration("PT00H01M00S"), Some(Duration::from_secs(60)));
        assert_eq!(duration(" PT0S "), Some(Duration::ZERO));
        assert_eq!(
            duration("P1DT1.5S"),
            Some(Duration::new(86_401, 500_000_000))
        );
        assert_eq!(
            duration("P1Y"),
            Some(Duration::from_secs(365 * SECS_PER_DAY))
        );
        for bad in ["", "P", "PT", "-PT1S", "PT1", "P1H", "PT1.S", "PTS", "P1DT"] {
            assert_eq!(duration(bad), None, "{bad:?}");
        }
        for d in [
            Duration::ZERO,
            Duration::new(5, 120_000_000),
            Duration::new(u64::MAX, 1),
        ] {
            assert_eq!(duration(&format_duration(d)), Some(d));
        }
    }

    #[test]
    fn numbers_and_uris_collapse_whitespace() {
        assert_eq!(unsigned(" 1 "), Ok(1));
        assert_eq!(unsigned("+7"), Ok(7));
        assert_eq!(unsigned("18446744073709551616"), Err(NumError::Overflow));
        assert_eq!(unsigned("-1"), Err(NumError::Syntax));
        assert_eq!(unsigned(""), Err(NumError::Syntax));
        assert_eq!(absolute_uri("\n urn:uuid:x \n"), Some("urn:uuid:x"));
        assert_eq!(absolute_uri("uuid:abc"), Some("uuid:abc"));
        assert_eq!(absolute_uri("://x"), None);
        assert_eq!(absolute_uri("http://a/\nb"), None);
        assert_eq!(absolute_uri("noscheme"), None);
    }
}
