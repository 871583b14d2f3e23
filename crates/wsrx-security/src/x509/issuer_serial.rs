//! The issuer-and-serial form of a security token reference (WSS X.509 Token Profile
//! 1.1 §3.2.3; XML-DSig §4.4.4): a `wsse:SecurityTokenReference` holding
//! `ds:X509Data/ds:X509IssuerSerial` with the issuer's distinguished name as a string and
//! the serial number in decimal. It names a certificate without carrying it, so it is
//! resolved against certificates configured beforehand
//! ([`crate::Verifier::with_x509_certificates`]).
//!
//! Matching (RFC 5280 §7.1, simplified): the issuer strings are compared as sequences of
//! RDN attribute `TYPE=value` pairs after RFC 4514 unescaping, with the attribute types
//! upper-cased, surrounding and repeated inner white space removed and values compared
//! case-insensitively; so `CN=CA, O=wsrx` (the .NET form) matches `CN=CA,O=wsrx` (RFC
//! 2253/4514, Java's form). Serial numbers are compared as decimal integers. Not done:
//! OID aliases (`2.5.4.3=` for `CN=`), reordering of multi-valued RDNs.

use wsrx_xml::Element;

use super::Certificate;
use crate::error::SecurityError;
use crate::ns::{DS, WSSE};
use crate::util::{element_children, leaf_text, push_text};

/// Longest issuer name accepted, in bytes.
const MAX_ISSUER_LEN: usize = 1024;
/// Longest serial number accepted, in decimal digits (RFC 5280 §4.1.2.2: ≤ 20 octets).
const MAX_SERIAL_DIGITS: usize = 64;

/// A `ds:X509IssuerSerial`: the issuer name and serial number of a certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct X509IssuerSerial {
    /// `ds:X509IssuerName`, an RFC 4514 string.
    pub issuer_name: String,
    /// `ds:X509SerialNumber`, in decimal.
    pub serial_number: String,
}

impl X509IssuerSerial {
    /// The reference that names `cert`.
    pub fn of(cert: &Certificate) -> Self {
        Self {
            issuer_name: cert.issuer(),
            serial_number: cert.serial_decimal(),
        }
    }

    /// Parses a `wsse:SecurityTokenReference` whose only child is `ds:X509Data` with one
    /// `ds:X509IssuerSerial`.
    ///
    /// # Errors
    /// [`SecurityError::TokenUnavailable`] for another kind of STR;
    /// [`SecurityError::InvalidToken`] for a malformed issuer-serial.
    pub fn parse(str_el: Element<'_>) -> Result<Self, SecurityError> {
        let bad = SecurityError::InvalidToken("bad X509IssuerSerial");
        if !str_el.is(WSSE, "SecurityTokenReference") {
            return Err(SecurityError::TokenUnavailable);
        }
        let mut children = element_children(str_el)?;
        let data = children
            .next()
            .filter(|c| c.is(DS, "X509Data"))
            .ok_or(SecurityError::TokenUnavailable)?;
        if children.next().is_some() {
            return Err(bad);
        }
        let mut d = element_children(data)?;
        let is = d
            .next()
            .filter(|c| c.is(DS, "X509IssuerSerial"))
            .ok_or(SecurityError::TokenUnavailable)?;
        if d.next().is_some() {
            return Err(bad);
        }
        let mut parts = element_children(is)?;
        let (Some(name), Some(serial), None) = (parts.next(), parts.next(), parts.next()) else {
            return Err(bad);
        };
        if !name.is(DS, "X509IssuerName") || !serial.is(DS, "X509SerialNumber") {
            return Err(bad);
        }
        let issuer_name = leaf_text(name)?.into_owned();
        let serial_number = leaf_text(serial)?.into_owned();
        if issuer_name.is_empty()
            || issuer_name.len() > MAX_ISSUER_LEN
            || serial_number.is_empty()
            || serial_number.len() > MAX_SERIAL_DIGITS
            || !serial_number.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(bad);
        }
        Ok(Self {
            issuer_name,
            serial_number,
        })
    }

    /// Writes the `wsse:SecurityTokenReference` (declaring `wsse` and `ds` on itself).
    pub fn write(&self, out: &mut String) {
        out.push_str(&format!(
            "<wsse:SecurityTokenReference xmlns:wsse=\"{WSSE}\"><ds:X509Data xmlns:ds=\"{DS}\"><ds:X509IssuerSerial><ds:X509IssuerName>"
        ));
        push_text(out, &self.issuer_name);
        out.push_str("</ds:X509IssuerName><ds:X509SerialNumber>");
        push_text(out, &self.serial_number);
        out.push_str(
            "</ds:X509SerialNumber></ds:X509IssuerSerial></ds:X509Data></wsse:SecurityTokenReference>",
        );
    }

    /// True when `cert` has this issuer and serial number.
    pub fn matches(&self, cert: &Certificate) -> bool {
        same_decimal(&self.serial_number, &cert.serial_decimal())
            && match (
                normalize_dn(&self.issuer_name),
                normalize_dn(&cert.issuer()),
            ) {
                (Some(a), Some(b)) => a == b,
                _ => false,
            }
    }

    /// The one certificate of `certs` this names; `None` if none or several do.
    pub fn resolve<'c>(&self, certs: &'c [Certificate]) -> Option<&'c Certificate> {
        let mut found = certs.iter().filter(|c| self.matches(c));
        match (found.next(), found.next()) {
            (Some(c), None) => Some(c),
            _ => None,
        }
    }
}

/// Decimal strings equal as integers (leading zeros ignored).
fn same_decimal(a: &str, b: &str) -> bool {
    let a = a.trim_start_matches('0');
    let b = b.trim_start_matches('0');
    a == b
}

/// A distinguished name string as `(TYPE, value)` pairs, normalized for comparison;
/// `None` when it is not a `TYPE=value(,TYPE=value)*` string.
fn normalize_dn(dn: &str) -> Option<Vec<(String, String)>> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut chars = dn.chars();
    let mut pairs = Vec::new();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let next = chars.next()?;
                if next.is_ascii_hexdigit() {
                    let low = chars.next()?;
                    let byte = u8::from_str_radix(&format!("{next}{low}"), 16).ok()?;
                    // Hex escapes of multi-byte UTF-8 are rare in these names; keep ASCII.
                    current.push(char::from(byte));
                } else {
                    current.push(next);
                }
            }
            '"' => quoted = !quoted,
            ',' | ';' | '+' if !quoted => pairs.push(std::mem::take(&mut current)),
            _ => current.push(c),
        }
    }
    pairs.push(current);
    for pair in pairs {
        let (key, value) = pair.split_once('=')?;
        let key = key.trim().to_ascii_uppercase();
        if key.is_empty() {
            return None;
        }
        let value: Vec<String> = value.split_whitespace().map(str::to_lowercase).collect();
        out.push((key, value.join(" ")));
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        clippy::unwrap_in_result,
        clippy::indexing_slicing,
        reason = "test code"
    )]

    use super::*;
    use wsrx_xml::Document;

    fn parse(xml: &str) -> Result<X509IssuerSerial, SecurityError> {
        let doc = Document::parse(xml.as_bytes()).unwrap();
        X509IssuerSerial::parse(doc.root())
    }

    #[test]
    fn written_form_parses_back() {
        let r = X509IssuerSerial {
            issuer_name: "CN=wsrx test CA,O=R&D <lab>".to_owned(),
            serial_number: "1234567890123456789012345678901234567890".to_owned(),
        };
        let mut s = String::new();
        r.write(&mut s);
        assert_eq!(parse(&s).unwrap(), r);
    }

    #[test]
    fn malformed_forms_are_refused() {
        let wrap = |inner: &str| {
            format!(
                "<wsse:SecurityTokenReference xmlns:wsse=\"{WSSE}\" xmlns:ds=\"{DS}\">{inner}</wsse:SecurityTokenReference>"
            )
        };
        let is = |name: &str, serial: &str| {
            wrap(&format!(
                "<ds:X509Data><ds:X509IssuerSerial><ds:X509IssuerName>{name}</ds:X509IssuerName><ds:X509SerialNumber>{serial}</ds:X509SerialNumber></ds:X509IssuerSerial></ds:X509Data>"
            ))
        };
        assert!(parse(&is("CN=a", "42")).is_ok());
        for bad in [
            is("CN=a", "-42"),
            is("CN=a", "0x2a"),
            is("", "42"),
            is("CN=a", ""),
            is(&"CN=a,".repeat(300), "1"),
            is("CN=a", &"9".repeat(65)),
        ] {
            assert!(
                matches!(parse(&bad), Err(SecurityError::InvalidToken(_))),
                "{bad}"
            );
        }
        // Other STR forms are not this one.
        let reference = wrap("<wsse:Reference URI=\"#x\"/>");
        assert_eq!(parse(&reference), Err(SecurityError::TokenUnavailable));
        let ski = wrap("<ds:X509Data><ds:X509SKI>AAAA</ds:X509SKI></ds:X509Data>");
        assert_eq!(parse(&ski), Err(SecurityError::TokenUnavailable));
    }

    #[test]
    fn names_compare_after_normalization() {
        let n = |s: &str| normalize_dn(s).unwrap();
        assert_eq!(n("CN=wsrx test CA,O=wsrx"), n("cn=WSRX  test ca, O = wsrx"));
        assert_eq!(n("CN=a\\,b,O=x"), n("CN=\"a,b\",O=x"));
        assert_ne!(n("CN=a,O=x"), n("O=x,CN=a"));
        assert_ne!(n("CN=a\\,b,O=x"), n("CN=a,CN=b,O=x"));
        assert_eq!(normalize_dn("no equals sign"), None);
        assert!(same_decimal("0042", "42"));
        assert!(!same_decimal("42", "420"));
    }
}
