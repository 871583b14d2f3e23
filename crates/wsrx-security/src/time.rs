//! `xs:dateTime` in UTC for `wsu:Created`/`wsu:Expires` (WSS 1.1 §10), converted to and
//! from [`SystemTime`]. Nothing here reads a clock: times come in as arguments.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch (negative before 1970).
pub(crate) type Millis = i128;

pub(crate) fn to_millis(t: SystemTime) -> Millis {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_millis() as Millis,
        Err(e) => -(e.duration().as_millis() as Millis),
    }
}

pub(crate) fn from_millis(ms: Millis) -> Option<SystemTime> {
    let abs = Duration::from_millis(u64::try_from(ms.unsigned_abs()).ok()?);
    if ms >= 0 {
        UNIX_EPOCH.checked_add(abs)
    } else {
        UNIX_EPOCH.checked_sub(abs)
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

fn digits(s: &str) -> Option<i64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Parses `YYYY-MM-DDThh:mm:ss[.fff…](Z|±hh:mm)` into milliseconds since the epoch.
/// A time without a zone is refused (WSS requires UTC; an offset is converted).
pub(crate) fn parse(text: &str) -> Option<Millis> {
    let text = wsrx_xml::trim_xml_whitespace(text);
    let (date, rest) = text.split_once('T')?;
    let mut d = date.splitn(3, '-');
    let (y, mo, da) = (d.next()?, d.next()?, d.next()?);
    if y.len() != 4 || mo.len() != 2 || da.len() != 2 {
        return None;
    }
    let (y, mo, da) = (digits(y)?, digits(mo)?, digits(da)?);
    let (clock, offset_min) = if let Some(c) = rest.strip_suffix('Z') {
        (c, 0)
    } else {
        let split = rest.len().checked_sub(6)?;
        let (c, zone) = (rest.get(..split)?, rest.get(split..)?);
        let sign = match zone.get(..1)? {
            "+" => 1,
            "-" => -1,
            _ => return None,
        };
        let (zh, zm) = zone.get(1..)?.split_once(':')?;
        (c, sign * (digits(zh)? * 60 + digits(zm)?))
    };
    let (hms, frac) = match clock.split_once('.') {
        Some((h, f)) => (h, f),
        None => (clock, ""),
    };
    let mut t = hms.splitn(3, ':');
    let (h, mi, s) = (t.next()?, t.next()?, t.next()?);
    if h.len() != 2 || mi.len() != 2 || s.len() != 2 {
        return None;
    }
    let (h, mi, s) = (digits(h)?, digits(mi)?, digits(s)?);
    let valid = (1..=12).contains(&mo)
        && (1..=31).contains(&da)
        && h <= 23
        && mi <= 59
        && s <= 59
        && (frac.is_empty() || (frac.len() <= 9 && frac.bytes().all(|b| b.is_ascii_digit())));
    if !valid {
        return None;
    }
    let millis_frac = if frac.is_empty() {
        0
    } else {
        let mut f = String::from(frac);
        while f.len() < 3 {
            f.push('0');
        }
        digits(f.get(..3)?)?
    };
    let days = days_from_civil(y, mo, da);
    let secs = days * 86_400 + h * 3600 + mi * 60 + s - offset_min * 60;
    Some(Millis::from(secs) * 1000 + Millis::from(millis_frac))
}

/// Formats as `YYYY-MM-DDThh:mm:ss.fffZ` (the form WCF and WSS4J write).
pub(crate) fn format(ms: Millis) -> String {
    let secs = ms.div_euclid(1000);
    let frac = ms.rem_euclid(1000);
    let days = i64::try_from(secs.div_euclid(86_400)).unwrap_or(0);
    let sod = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{frac:03}Z",
        sod / 3600,
        sod % 3600 / 60,
        sod % 60
    )
}

/// Parses an `xs:dateTime` with a zone (`2026-11-23T10:00:00Z`, RFC 3339 form) into a
/// [`SystemTime`], for tools that take a verification time from the user.
pub fn parse_datetime(text: &str) -> Option<SystemTime> {
    from_millis(parse(text)?)
}

/// Formats a [`SystemTime`] as an `xs:dateTime` in UTC (`2026-11-23T10:00:00.000Z`).
pub fn format_datetime(t: SystemTime) -> String {
    format(to_millis(t))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_forms() {
        let t = parse("2026-11-23T20:03:11Z").unwrap();
        assert_eq!(format(t), "2026-11-23T20:03:11.000Z");
        assert_eq!(parse("2026-11-23T20:03:11.5Z"), Some(t + 500));
        assert_eq!(parse("2026-11-23T21:03:11+01:00"), Some(t));
        assert_eq!(parse(&format(t + 123)), Some(t + 123));
        assert_eq!(parse("1970-01-01T00:00:00Z"), Some(0));
        assert!(parse("2026-11-23T20:03:11").is_none());
        assert!(parse("2026-13-23T20:03:11Z").is_none());
        assert!(parse("2026-11-23 20:03:11Z").is_none());
        let st = from_millis(t).unwrap();
        assert_eq!(to_millis(st), t);
    }
}
