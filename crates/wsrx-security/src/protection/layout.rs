//! `sp:Layout` (WS-SP 1.2 §6.7 property, §7.2 assertion; §7.7 in WS-SP 1.1) checked on a
//! received security header.
//!
//! - Strict (§6.7.1, "declare before use"): tokens before their use — enforced for every
//!   layout while resolving keys, since a single-pass processor (WSS 1.1 §5 order) cannot use
//!   a token it has not read yet —; every element of the security header a signature covers
//!   (the Timestamp, a protected token) before that signature; a `xenc:ReferenceList` before
//!   the encrypted signature it lists.
//! - Lax: nothing beyond the token rule.
//! - LaxTsFirst / LaxTsLast: the `wsu:Timestamp` is the first / last child of the header.

use wsrx_xml::NodeId;

use super::{Layout, ProtectionPolicy};
use crate::encrypt::Decryption;
use crate::error::SecurityError;
use crate::ns::XENC;
use crate::verify::Verified;

pub(super) fn check(
    policy: &ProtectionPolicy,
    verified: &Verified<'_>,
    decryption: Option<&Decryption>,
) -> Result<(), SecurityError> {
    let security = verified.security_header();
    let children: Vec<NodeId> = security.child_elements().map(|c| c.id()).collect();
    let position = |n: NodeId| children.iter().position(|c| *c == n);
    let timestamp = verified.timestamp().map(|t| t.node);
    match policy.layout {
        Layout::Lax => {}
        Layout::LaxTsFirst => {
            if timestamp.is_some() && children.first().copied() != timestamp {
                return Err(SecurityError::PolicyViolation(
                    "Timestamp not first (LaxTsFirst)",
                ));
            }
        }
        Layout::LaxTsLast => {
            if timestamp.is_some() && children.last().copied() != timestamp {
                return Err(SecurityError::PolicyViolation(
                    "Timestamp not last (LaxTsLast)",
                ));
            }
        }
        Layout::Strict => {
            for sig in verified.signatures() {
                let at = position(sig.node());
                for covered in sig.covered() {
                    if let Some(c) = position(*covered)
                        && at.is_some_and(|s| c > s)
                    {
                        return Err(SecurityError::PolicyViolation(
                            "signed header element after its signature (Strict)",
                        ));
                    }
                }
            }
            let first_list = security
                .child_elements()
                .find(|c| c.is(XENC, "ReferenceList"))
                .and_then(|l| position(l.id()));
            for sig in decryption
                .map(Decryption::decrypted_signatures)
                .unwrap_or(&[])
            {
                if let Some(s) = position(*sig)
                    && first_list.is_none_or(|l| l > s)
                {
                    return Err(SecurityError::PolicyViolation(
                        "encrypted signature before its ReferenceList (Strict)",
                    ));
                }
            }
        }
    }
    Ok(())
}
