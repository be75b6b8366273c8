//! Empty: this package only carries the test targets scripts/tsan builds (see Cargo.toml).
