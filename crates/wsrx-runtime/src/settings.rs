//! Settings from a TOML file, for applications that configure the runtime from a file
//! rather than in code: [`ClientSettings`] and [`ServerSettings`] hold the knobs an
//! operator tunes and apply them over the defaults of [`ClientConfig`] and
//! [`ServerConfig`]. Unknown keys are refused (a misspelt key must not pass silently);
//! durations are in milliseconds.
//!
//! What it does not do: TLS material, stores, key rings or tokens (the application
//! opens those itself; the `wsrx` command has flags and `--config` for them).
//!
//! ```toml
//! # client
//! to = "https://rm.example.org/orders"
//! soap = "1.2"
//! profile = "wcf-ws2007"     # rm11 | wcf-ws2007 | wcf-wshttp | cxf
//! retransmit-ms = 1000
//! max-in-flight = 32
//! offer = true
//! ```

use std::net::SocketAddr;
use std::time::Duration;

use serde::Deserialize;
use wsrx_rm::DeliveryAssurance;
use wsrx_rm::wire::WireProfile;
use wsrx_soap::SoapVersion;

use crate::client::ClientConfig;
use crate::error::RuntimeError;
use crate::server::ServerConfig;

/// Client settings (see the module docs).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ClientSettings {
    /// The RM Destination's address.
    pub to: String,
    /// `"1.1"` or `"1.2"`.
    pub soap: Option<String>,
    /// `rm11` (WS-RM 1.1, WS-SC 1.3), `wcf-ws2007` (the same, as WCF's
    /// ws2007HttpBinding), `wcf-wshttp` (WS-RM 2005/02, WS-SC 2005/02, WS-A 1.0) or `cxf`
    /// (WS-RM 2005/02, WS-A 2004/08).
    pub profile: Option<String>,
    /// First retransmission interval.
    pub retransmit_ms: Option<u64>,
    /// Longest retransmission interval.
    pub max_retransmit_ms: Option<u64>,
    /// Unacknowledged messages at most (the send window).
    pub max_in_flight: Option<usize>,
    /// Timeout of one HTTP exchange.
    pub http_timeout_ms: Option<u64>,
    /// How long to wait for a response before re-sending a request.
    pub request_retry_ms: Option<u64>,
    /// Offer a reverse sequence for responses (WS-RM duplex).
    pub offer: Option<bool>,
    /// Run a listener here and make it the AcksTo (and ReplyTo with an offer).
    pub listen: Option<SocketAddr>,
}

/// Server settings (see the module docs).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ServerSettings {
    /// The address clients send to.
    pub endpoint: String,
    /// Inbound sequences open at once (CreateSequence beyond it is refused).
    pub max_sequences: Option<usize>,
    /// `exactly-once`, `at-least-once` or `at-most-once`.
    pub delivery: Option<String>,
    /// Deliver in order.
    pub in_order: Option<bool>,
    /// Refuse CreateSequence without an STR to the proving SCT (default true).
    pub require_binding: Option<bool>,
    /// No message on a sequence for this long terminates it.
    pub inactivity_timeout_ms: Option<u64>,
    /// Messages held per sequence awaiting a gap to fill.
    pub reorder_buffer: Option<usize>,
    /// Replay cache entries in all.
    pub replay_capacity: Option<usize>,
    /// Replay cache entries per signing identity.
    pub replay_per_identity: Option<usize>,
}

fn parse<T: for<'de> Deserialize<'de>>(text: &str) -> Result<T, RuntimeError> {
    toml::from_str(text).map_err(|e| RuntimeError::Usage(format!("settings: {e}")))
}

fn ms(v: u64) -> Duration {
    Duration::from_millis(v)
}

impl ClientSettings {
    /// Reads settings from TOML text.
    ///
    /// # Errors
    /// [`RuntimeError::Usage`] naming the key or value at fault.
    pub fn from_toml(text: &str) -> Result<Self, RuntimeError> {
        parse(text)
    }

    /// The client configuration: the defaults of [`ClientConfig::new`] with these
    /// settings applied.
    ///
    /// # Errors
    /// [`RuntimeError::Usage`] for an unknown SOAP version or profile, or a zero window.
    pub fn config(&self) -> Result<ClientConfig, RuntimeError> {
        let mut c = ClientConfig::new(&self.to);
        if let Some(v) = &self.soap {
            c.soap = match v.as_str() {
                "1.1" => SoapVersion::V11,
                "1.2" => SoapVersion::V12,
                other => {
                    return Err(RuntimeError::Usage(format!(
                        "settings: soap must be \"1.1\" or \"1.2\", not {other:?}"
                    )));
                }
            };
        }
        if let Some(p) = &self.profile {
            c.profile = match p.as_str() {
                "rm11" | "wcf-ws2007" => WireProfile::Rm11,
                "wcf-wshttp" => WireProfile::Rm10Wcf,
                "cxf" => WireProfile::Rm10Submission,
                other => {
                    return Err(RuntimeError::Usage(format!(
                        "settings: profile must be rm11, wcf-ws2007, wcf-wshttp or cxf, not {other:?}"
                    )));
                }
            };
        }
        if let Some(v) = self.retransmit_ms {
            c.source.retransmission.base = ms(v.max(1));
        }
        if let Some(v) = self.max_retransmit_ms {
            c.source.retransmission.max = ms(v.max(1));
        }
        if let Some(v) = self.max_in_flight {
            if v == 0 {
                return Err(RuntimeError::Usage(
                    "settings: max-in-flight must be at least 1".into(),
                ));
            }
            c.source.max_in_flight = v;
        }
        if let Some(v) = self.http_timeout_ms {
            c.http_timeout = ms(v);
        }
        if let Some(v) = self.request_retry_ms {
            c.request_retry = ms(v);
        }
        if let Some(v) = self.offer {
            c.offer = v;
        }
        c.listen = self.listen.or(c.listen);
        Ok(c)
    }
}

impl ServerSettings {
    /// Reads settings from TOML text.
    ///
    /// # Errors
    /// [`RuntimeError::Usage`] naming the key or value at fault.
    pub fn from_toml(text: &str) -> Result<Self, RuntimeError> {
        parse(text)
    }

    /// The server configuration: the defaults of [`ServerConfig`] with these settings
    /// applied.
    ///
    /// # Errors
    /// [`RuntimeError::Usage`] for an unknown delivery assurance.
    pub fn config(&self) -> Result<ServerConfig, RuntimeError> {
        let mut c = ServerConfig {
            endpoint: self.endpoint.clone(),
            ..ServerConfig::default()
        };
        let d = &mut c.destination;
        if let Some(v) = self.max_sequences {
            d.max_open_sequences = v;
        }
        if let Some(v) = &self.delivery {
            d.delivery = match v.as_str() {
                "exactly-once" => DeliveryAssurance::ExactlyOnce,
                "at-least-once" => DeliveryAssurance::AtLeastOnce,
                "at-most-once" => DeliveryAssurance::AtMostOnce,
                other => {
                    return Err(RuntimeError::Usage(format!(
                        "settings: delivery must be exactly-once, at-least-once or at-most-once, not {other:?}"
                    )));
                }
            };
        }
        if let Some(v) = self.in_order {
            d.in_order = v;
        }
        if let Some(v) = self.require_binding {
            d.require_binding = v;
        }
        if let Some(v) = self.inactivity_timeout_ms {
            d.inactivity_timeout = ms(v);
        }
        if let Some(v) = self.reorder_buffer {
            d.reorder_buffer = v;
        }
        if let Some(v) = self.replay_capacity {
            c.replay_limits.total = v;
        }
        if let Some(v) = self.replay_per_identity {
            c.replay_limits.per_identity = v;
        }
        Ok(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_settings_apply_over_the_defaults() {
        let s = ClientSettings::from_toml(
            "to = \"http://h/rm\"\nsoap = \"1.1\"\nprofile = \"cxf\"\nretransmit-ms = 250\n\
             max-in-flight = 8\noffer = true\nlisten = \"127.0.0.1:0\"\n",
        )
        .unwrap();
        let c = s.config().unwrap();
        let d = ClientConfig::new("http://h/rm");
        assert_eq!(c.to, "http://h/rm");
        assert_eq!(c.soap, SoapVersion::V11);
        assert_eq!(c.profile, WireProfile::Rm10Submission);
        assert_eq!(c.source.retransmission.base, Duration::from_millis(250));
        assert_eq!(c.source.max_in_flight, 8);
        assert!(c.offer);
        assert!(c.listen.is_some());
        // Unset keys keep the defaults.
        assert_eq!(c.http_timeout, d.http_timeout);
        assert_eq!(c.source.retransmission.max, d.source.retransmission.max);
    }

    #[test]
    fn server_settings_apply_over_the_defaults() {
        let s = ServerSettings::from_toml(
            "endpoint = \"https://h/rm\"\nmax-sequences = 1000\ndelivery = \"at-least-once\"\n\
             in-order = false\ninactivity-timeout-ms = 5000\n",
        )
        .unwrap();
        let c = s.config().unwrap();
        assert_eq!(c.endpoint, "https://h/rm");
        assert_eq!(c.destination.max_open_sequences, 1000);
        assert_eq!(c.destination.delivery, DeliveryAssurance::AtLeastOnce);
        assert!(!c.destination.in_order);
        assert_eq!(c.destination.inactivity_timeout, Duration::from_secs(5));
        assert!(c.destination.require_binding, "the default stays");
    }

    #[test]
    fn typos_and_bad_values_are_refused_with_their_name() {
        let e = ClientSettings::from_toml("to = \"x\"\nretransmitms = 5\n").unwrap_err();
        assert!(e.to_string().contains("retransmitms"), "{e}");
        let e = ClientSettings::from_toml("to = \"x\"\nsoap = \"1.3\"\n")
            .unwrap()
            .config()
            .unwrap_err();
        assert!(e.to_string().contains("1.3"), "{e}");
        let e = ServerSettings::from_toml("endpoint = \"x\"\ndelivery = \"twice\"\n")
            .unwrap()
            .config()
            .unwrap_err();
        assert!(e.to_string().contains("twice"), "{e}");
        assert!(
            ClientSettings::from_toml("soap = \"1.2\"\n").is_err(),
            "to is required"
        );
    }
}
