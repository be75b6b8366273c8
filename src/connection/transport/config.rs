//! What one connection's transport is told by the builder: where to connect, how, and what to do
//! when the connection is lost.

use crate::protocol::Protocol;
use spacetimedb_lib::ConnectionId;
use std::time::Duration;

/// Compression the client asks the server to use for large messages.
///
/// The default is Gzip, not the server's Brotli: at the server's settings Gzip answers are about
/// as small and decompress about 4x faster (docs/BENCHMARKS.md), which is the client's largest
/// cost on big subscriptions.
#[repr(i32)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Compression {
    None = 0,
    Brotli = 1,
    #[default]
    Gzip = 2,
}

#[derive(Clone, Debug)]
pub(crate) struct Config {
    /// `ws://host:port` or `wss://…`, without a trailing slash.
    pub ws_base: String,
    /// `http://host:port` or `https://…`, for the schema.
    pub http_base: String,
    pub database: String,
    pub token: Option<String>,
    pub compression: Compression,
    pub light: bool,
    pub connection_id: ConnectionId,
    pub connect_timeout: Duration,
    pub max_message_size: usize,
    pub max_decompressed_size: usize,
    pub reconnect: Option<ReconnectPolicy>,
    /// With a schema given: also fetch the server's and fail the connect if they disagree.
    pub check_schema: bool,
    /// Offered in `Sec-WebSocket-Protocol`, most preferred first.
    pub protocols: Vec<Protocol>,
    /// The `confirmed` query parameter, when set.
    pub confirmed_reads: Option<bool>,
    /// The builder was given the connection id (else it is random, and left to 2.x servers).
    pub connection_id_chosen: bool,
}

/// Opt-in automatic reconnection after a lost connection (never after a requested disconnect or
/// a failed first connect). The client reconnects as the same identity, resubscribes, and
/// reconciles the cache, reporting exactly the rows that changed while it was away.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReconnectPolicy {
    /// Attempts per outage before giving up (then `on_disconnect` reports the last error). A
    /// token the server rejects (HTTP 401) ends the attempts at once, reported the same way.
    pub max_attempts: u32,
    /// Delay before the first attempt; doubled after each failure, up to `max_delay`.
    pub initial_delay: Duration,
    pub max_delay: Duration,
}

impl Default for ReconnectPolicy {
    fn default() -> Self {
        ReconnectPolicy { max_attempts: 10, initial_delay: Duration::from_millis(250), max_delay: Duration::from_secs(10) }
    }
}

pub(crate) fn random_connection_id() -> ConnectionId {
    loop {
        let id: u128 = rand::random();
        if id != 0 {
            return ConnectionId::from_u128(id);
        }
    }
}
