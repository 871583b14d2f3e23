//! Test support and cross-crate tests for wsrx. Nothing in production depends on
//! this crate; its tests check properties of the whole workspace, starting with
//! the layering rules of `house-style.md` §1.2 (`tests/layering.rs`).
//!
//! [`fixture`] is the fixture layer of the end-to-end tests of every crate (a
//! dev-dependency of `wsrx-runtime` and `wsrx`): it starts what a scenario needs.
//! [`adversary`] drives the real `wsrx serve` with raw bytes.
#![forbid(unsafe_code)]

pub mod adversary;
pub mod fixture;
