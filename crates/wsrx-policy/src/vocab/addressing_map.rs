//! WS-Addressing metadata assertions to [`AddressingConfig`].

use crate::error::{Refusal, RefusalReason};
use crate::normal::Assertion;
use crate::ns;

use super::addressing::{AddressingConfig, AddressingVersion, Responses};
use super::mapper::{Mapper, refuse};
use super::table::Context;

pub(crate) fn is_addressing(namespace: &str) -> bool {
    matches!(
        namespace,
        ns::WSAM | ns::WSAM_DRAFT_2007_02 | ns::WSAW | ns::WSAP_2004 | ns::WSAP_2004_09
    )
}

#[derive(Debug, Default)]
pub(crate) struct AddressingBuilder {
    config: Option<AddressingConfig>,
}

impl AddressingBuilder {
    pub(crate) fn add(&mut self, m: &mut Mapper, a: &Assertion) -> Result<(), Refusal> {
        let version = match a.name.namespace.as_str() {
            ns::WSAP_2004 | ns::WSAP_2004_09 => AddressingVersion::V2004_08,
            _ => AddressingVersion::V1_0,
        };
        let mut responses = Responses::Any;
        if a.name.local == "Addressing" {
            let (mut anonymous, mut non_anonymous) = (false, false);
            for n in a.nested_assertions() {
                if m.classify(n, &[Context::Addressing])?.is_none() {
                    continue;
                }
                if n.name.local == "AnonymousResponses" {
                    anonymous = true;
                } else {
                    non_anonymous = true;
                }
            }
            responses = match (anonymous, non_anonymous) {
                (true, true) => {
                    return Err(refuse(
                        a,
                        RefusalReason::Conflict(
                            "wsam:AnonymousResponses and wsam:NonAnonymousResponses together allow no response"
                                .to_owned(),
                        ),
                    ));
                }
                (true, false) => Responses::AnonymousOnly,
                (false, true) => Responses::NonAnonymousOnly,
                (false, false) => Responses::Any,
            };
        }
        match &mut self.config {
            Some(c) if c.version != version => {
                return Err(refuse(
                    a,
                    RefusalReason::Conflict(
                        "two WS-Addressing versions in the same alternative".to_owned(),
                    ),
                ));
            }
            Some(c) => {
                if responses != Responses::Any {
                    c.responses = responses;
                }
            }
            None => {
                self.config = Some(AddressingConfig {
                    version,
                    responses,
                    location: a.location.clone(),
                });
            }
        }
        Ok(())
    }

    pub(crate) fn finish(self) -> Option<AddressingConfig> {
        self.config
    }
}
