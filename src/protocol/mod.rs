//! The v1 binary protocol (`v1.bsatn.spacetimedb`).
//!
//! Crate choice: spacetimedb-client-api-messages and spacetimedb-sats are pinned to **1.2.0**, the
//! version of the server this project tests against, rather than the 2.x releases' `websocket::v1`
//! module. Same-version crates are byte-compatible by construction, and the official 1.2.0 SDK
//! (our benchmark baseline) shares them. Client messages are encoded with those crates; server
//! messages are decoded by our own bounded, zero-copy decoder (see `server_message.rs` for why).

pub mod client_message;
pub mod reader;
pub mod rows;
pub mod server_message;

pub use client_message::CallReducerFlags;
pub use reader::{DecodeError, DecodeErrorKind};
pub use rows::RowList;
pub use server_message::{DecodeLimits, ServerMessage};

/// The WebSocket subprotocol of the v1 binary protocol.
pub const SUBPROTOCOL: &str = "v1.bsatn.spacetimedb";
