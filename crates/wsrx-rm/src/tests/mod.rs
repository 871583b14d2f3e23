//! In-crate protocol scenarios: a two-party harness on a virtual clock with a seeded
//! lossy link and crash/restore ([`util`]), the seeded fault simulation ([`sim`]), and
//! the security-binding tests ([`binding`]).

mod binding;
mod sim;
mod util;
