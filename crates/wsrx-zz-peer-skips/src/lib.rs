//! Nothing but a place for `tests/peer_skips.rs`, the summary of the peer tests a
//! `cargo test` run skipped (see `wsrx-peers`). The package's name sorts last so that cargo
//! runs that test after every other test binary of the workspace.
#![forbid(unsafe_code)]
