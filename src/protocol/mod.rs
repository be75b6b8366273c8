//! The binary protocols: v1 (`v1.bsatn.spacetimedb`, every server) and v2/v3 (2.x servers).
//! The client offers v3, v2 and v1 and speaks what the server picks; requests are built as
//! [`ClientRequest`] values and encoded for the negotiated protocol by the transport.
//!
//! v1 details:
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
pub mod v2;

pub use client_message::CallReducerFlags;
pub use reader::{DecodeError, DecodeErrorKind};
pub use rows::RowList;
pub use server_message::{DecodeLimits, ServerMessage};

use bytes::Bytes;

/// The WebSocket subprotocol of the v1 binary protocol.
pub const SUBPROTOCOL: &str = "v1.bsatn.spacetimedb";

/// A binary protocol the client speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Protocol {
    V1,
    V2,
    /// v2 messages, several to a frame in both directions.
    V3,
}

impl Protocol {
    pub const ALL: [Protocol; 3] = [Protocol::V3, Protocol::V2, Protocol::V1];

    pub fn subprotocol(self) -> &'static str {
        match self {
            Protocol::V1 => SUBPROTOCOL,
            Protocol::V2 => "v2.bsatn.spacetimedb",
            Protocol::V3 => "v3.bsatn.spacetimedb",
        }
    }

    pub fn from_subprotocol(name: &str) -> Option<Protocol> {
        Protocol::ALL.into_iter().find(|p| p.subprotocol() == name.trim())
    }

    /// The `Sec-WebSocket-Protocol` offer, most preferred first.
    pub fn offer(protocols: &[Protocol]) -> String {
        protocols.iter().map(|p| p.subprotocol()).collect::<Vec<_>>().join(", ")
    }

    pub fn is_v2(self) -> bool {
        self != Protocol::V1
    }
}

/// A request to the server, independent of the protocol it will be encoded in.
#[derive(Clone, Debug)]
pub enum ClientRequest {
    Subscribe { request_id: u32, query_id: u32, queries: Vec<String> },
    Unsubscribe { request_id: u32, query_id: u32 },
    OneOffQuery { request_id: u32, query: String },
    CallReducer { request_id: u32, reducer: String, args: Bytes, flags: CallReducerFlags },
    CallProcedure { request_id: u32, procedure: String, args: Bytes },
}

impl ClientRequest {
    /// The message's bytes in `protocol`; `Err` names what the protocol cannot carry.
    pub fn encode(&self, protocol: Protocol) -> Result<Vec<u8>, String> {
        Ok(match (self, protocol.is_v2()) {
            (ClientRequest::Subscribe { request_id, query_id, queries }, false) => {
                client_message::subscribe_multi(queries, *request_id, *query_id)
            }
            (ClientRequest::Subscribe { request_id, query_id, queries }, true) => v2::subscribe(queries, *request_id, *query_id),
            (ClientRequest::Unsubscribe { request_id, query_id }, false) => {
                client_message::unsubscribe_multi(*request_id, *query_id)
            }
            (ClientRequest::Unsubscribe { request_id, query_id }, true) => v2::unsubscribe(*request_id, *query_id),
            // v1 identifies one-off queries by a byte string: the id's 8 little-endian bytes.
            (ClientRequest::OneOffQuery { request_id, query }, false) => {
                client_message::one_off_query(&u64::from(*request_id).to_le_bytes(), query)
            }
            (ClientRequest::OneOffQuery { request_id, query }, true) => v2::one_off_query(*request_id, query),
            (ClientRequest::CallReducer { request_id, reducer, args, flags }, false) => {
                client_message::call_reducer(reducer, args, *request_id, *flags)
            }
            (ClientRequest::CallReducer { request_id, reducer, args, .. }, true) => v2::call_reducer(reducer, args, *request_id),
            (ClientRequest::CallProcedure { .. }, false) => {
                return Err("procedures need protocol v2 (a SpacetimeDB 2.x server); this connection speaks v1".into())
            }
            (ClientRequest::CallProcedure { request_id, procedure, args }, true) => {
                v2::call_procedure(procedure, args, *request_id)
            }
        })
    }
}
