//! One module per subcommand.

mod admin;
pub(crate) mod backend;
pub(crate) mod bench;
mod bench_cost;
mod bench_peer;
mod dead_letters;
pub(crate) mod demo;
pub(crate) mod forward;
pub(crate) mod http_args;
pub(crate) mod keys;
pub(crate) mod policy;
pub(crate) mod proxy;
pub(crate) mod resend;
pub(crate) mod rm_common;
pub(crate) mod send;
pub(crate) mod serve;
pub(crate) mod state;
pub(crate) mod store;
pub(crate) mod verify;
mod verify_policy;
pub(crate) mod wsdl;
