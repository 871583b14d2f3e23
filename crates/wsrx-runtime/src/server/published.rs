//! What the server publishes at `GET <endpoint>?wsdl` (see [`crate::published`]).

use wsrx_store::Backend;

use super::Server;

impl<B: Backend> Server<B> {
    /// The WSDL describing the policy this server enforces: the one it was configured from
    /// ([`super::ServerConfig::wsdl`]) with its port addresses set to the server's endpoint,
    /// or one generated from its policy and endpoint.
    pub fn published_wsdl(&self) -> String {
        let config = &self.inner.config;
        match &config.wsdl {
            Some(wsdl) => crate::published::with_address(wsdl, &config.endpoint),
            None => crate::published::generate(&config.endpoint, &config.inbound.policy),
        }
    }
}
