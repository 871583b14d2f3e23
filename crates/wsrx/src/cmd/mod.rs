//! One module per subcommand.

pub(crate) mod backend;
pub(crate) mod bench;
mod bench_cost;
mod bench_peer;
pub(crate) mod demo;
pub(crate) mod http_args;
pub(crate) mod keys;
pub(crate) mod policy;
pub(crate) mod resend;
pub(crate) mod rm_common;
pub(crate) mod send;
pub(crate) mod serve;
pub(crate) mod state;
pub(crate) mod store;
pub(crate) mod verify;
mod verify_policy;
pub(crate) mod wsdl;
