//! Test support and cross-crate tests for wsrx. Nothing in production depends on
//! this crate; its tests check properties of the whole workspace, starting with
//! the layering rules of `house-style.md` §1.2 (`tests/layering.rs`).
#![forbid(unsafe_code)]

pub mod adversary;
