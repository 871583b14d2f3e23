//! One module per subcommand.

pub(crate) mod keys;
pub(crate) mod store;
pub(crate) mod verify;
