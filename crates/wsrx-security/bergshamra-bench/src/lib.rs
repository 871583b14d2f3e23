//! Empty: this package only holds `benches/bergshamra.rs` (see `Cargo.toml`).
