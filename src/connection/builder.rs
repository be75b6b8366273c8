//! `DbConnectionBuilder`: where to connect, as whom, and the connection-level callbacks.

use super::transport::{self, random_connection_id, Compression, Config, ReconnectPolicy};
use super::{DbConnection, Inner};
use crate::error::{Error, Result};
use crate::protocol::Protocol;
use crate::schema::Schema;
use spacetimedb_lib::{ConnectionId, Identity};
use std::sync::Arc;
use std::time::Duration;

pub type OnConnect = dyn FnOnce(&DbConnection, Identity, &str, ConnectionId) + Send;
pub type OnConnectError = dyn FnOnce(&DbConnection, &Error) + Send;
pub type OnDisconnect = dyn FnOnce(&DbConnection, Option<&Error>) + Send;
pub type OnReconnect = dyn FnMut(&DbConnection, Identity, ConnectionId) + Send;

/// The default of [`DbConnectionBuilder::with_max_queued_bytes`]: 64 MiB.
pub(crate) const DEFAULT_MAX_QUEUED_BYTES: u64 = 64 << 20;

pub struct DbConnectionBuilder {
    uri: Option<String>,
    database: Option<String>,
    token: Option<String>,
    compression: Compression,
    light: bool,
    connection_id: Option<ConnectionId>,
    schema: Option<Arc<Schema>>,
    connect_timeout: Duration,
    max_message_size: usize,
    pub(super) max_queued_bytes: u64,
    reconnect: Option<ReconnectPolicy>,
    check_schema: bool,
    protocols: Vec<Protocol>,
    confirmed_reads: Option<bool>,
    pub(super) on_connect: Option<Box<OnConnect>>,
    pub(super) on_reconnect: Option<Box<OnReconnect>>,
    pub(super) on_connect_error: Option<Box<OnConnectError>>,
    pub(super) on_disconnect: Option<Box<OnDisconnect>>,
}

impl Default for DbConnectionBuilder {
    fn default() -> Self {
        DbConnectionBuilder {
            uri: None,
            database: None,
            token: None,
            compression: Compression::default(),
            light: false,
            connection_id: None,
            schema: None,
            connect_timeout: Duration::from_secs(10),
            max_message_size: 256 << 20,
            max_queued_bytes: DEFAULT_MAX_QUEUED_BYTES,
            reconnect: None,
            check_schema: false,
            protocols: Protocol::ALL.to_vec(),
            confirmed_reads: None,
            on_connect: None,
            on_reconnect: None,
            on_connect_error: None,
            on_disconnect: None,
        }
    }
}

impl DbConnectionBuilder {
    /// `http://`, `https://`, `ws://` or `wss://` address of the SpacetimeDB host.
    pub fn with_uri(mut self, uri: impl Into<String>) -> Self {
        self.uri = Some(uri.into());
        self
    }

    /// The database name or its identity (hex).
    pub fn with_module_name(mut self, name_or_identity: impl Into<String>) -> Self {
        self.database = Some(name_or_identity.into());
        self
    }

    /// Connect as the identity this token belongs to; `None` lets the server issue a new one.
    pub fn with_token(mut self, token: Option<impl Into<String>>) -> Self {
        self.token = token.map(Into::into);
        self
    }

    pub fn with_compression(mut self, compression: Compression) -> Self {
        self.compression = compression;
        self
    }

    /// Light mode: the server sends other clients' transactions without reducer metadata.
    pub fn with_light_mode(mut self, light: bool) -> Self {
        self.light = light;
        self
    }

    /// Overrides the random per-connection id.
    pub fn with_connection_id(mut self, id: ConnectionId) -> Self {
        self.connection_id = Some(id);
        self
    }

    /// The module's schema; without it the schema is fetched from the server at connect.
    pub fn with_schema(mut self, schema: Arc<Schema>) -> Self {
        self.schema = Some(schema);
        self
    }

    /// With a schema given (`with_schema`), also fetches the server's at connect and fails with
    /// a `Schema` connect error if a table or reducer the given schema describes has changed.
    pub fn with_schema_check(mut self, check: bool) -> Self {
        self.check_schema = check;
        self
    }

    pub fn with_connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Largest WebSocket message accepted from the server (default 256 MiB); decompressed
    /// messages may be up to four times this.
    pub fn with_max_message_size(mut self, bytes: usize) -> Self {
        self.max_message_size = bytes.max(1024);
        self
    }

    /// Bounds the memory a connection uses when the host does not tick (a loading screen, a
    /// debugger): once the decoded messages waiting for a tick hold `bytes` (decompressed size;
    /// default 64 MiB), the connection stops reading the socket, so the server and TCP hold the
    /// rest, and resumes as ticks apply what is queued. Nothing is dropped. A frame is decoded
    /// whole, so the queue may exceed the limit by the one frame that reached it (a v3 frame may
    /// batch several messages; at most `max_message_size` × 4 decompressed, see
    /// `Metrics::largest_frame_bytes`). A server that gives up on a client this slow closes
    /// the socket; that is reported like any lost connection once the queue before it is applied.
    /// `Metrics::queued_bytes`, `queued_bytes_peak` and `read_pauses` show it at work.
    pub fn with_max_queued_bytes(mut self, bytes: u64) -> Self {
        self.max_queued_bytes = bytes.max(1);
        self
    }

    /// Reconnects automatically after a lost connection, as the same identity: subscriptions are
    /// renewed and the cache reconciled, so row callbacks report exactly what changed meanwhile
    /// (event `Event::Reconnected`). Calls made while reconnecting fail with `Disconnected`.
    pub fn with_reconnect(mut self, policy: ReconnectPolicy) -> Self {
        self.reconnect = Some(policy);
        self
    }

    pub fn without_reconnect(mut self) -> Self {
        self.reconnect = None;
        self
    }

    /// Runs after each successful reconnect, once the cache is reconciled.
    pub fn on_reconnect(mut self, f: impl FnMut(&DbConnection, Identity, ConnectionId) + Send + 'static) -> Self {
        self.on_reconnect = Some(Box::new(f));
        self
    }

    pub fn on_connect(mut self, f: impl FnOnce(&DbConnection, Identity, &str, ConnectionId) + Send + 'static) -> Self {
        self.on_connect = Some(Box::new(f));
        self
    }

    pub fn on_connect_error(mut self, f: impl FnOnce(&DbConnection, &Error) + Send + 'static) -> Self {
        self.on_connect_error = Some(Box::new(f));
        self
    }

    pub fn on_disconnect(mut self, f: impl FnOnce(&DbConnection, Option<&Error>) + Send + 'static) -> Self {
        self.on_disconnect = Some(Box::new(f));
        self
    }

    /// The protocols to offer, most preferred first (default: v3, v2, v1; the server picks one,
    /// and a 1.x server always picks v1). Offering only `[Protocol::V1]` makes a 2.x server speak
    /// v1, which has no event tables or procedures.
    pub fn with_protocols(mut self, protocols: &[Protocol]) -> Self {
        self.protocols = protocols.to_vec();
        self
    }

    /// Whether the server sends updates only once they are durable (`confirmed` reads). `None`
    /// (the default) leaves the server's default: on for v2/v3 on 2.x servers, off for v1.
    pub fn with_confirmed_reads(mut self, confirmed: Option<bool>) -> Self {
        self.confirmed_reads = confirmed;
        self
    }

    /// Starts connecting in the background and returns at once. Progress arrives through the
    /// callbacks, which run when the connection is advanced (`frame_tick`, `run_threaded`, …).
    pub fn build(self) -> Result<DbConnection> {
        let uri = self.uri.clone().ok_or_else(|| Error::InvalidState("with_uri was not called".into()))?;
        let database = self.database.clone().ok_or_else(|| Error::InvalidState("with_module_name was not called".into()))?;
        let (ws_base, http_base) = split_uri(&uri)?;
        if database.is_empty() || !database.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
            return Err(Error::InvalidArgument(format!("`{database}` is not a database name or identity")));
        }
        if self.protocols.is_empty() {
            return Err(Error::InvalidArgument("with_protocols was given no protocol".into()));
        }
        let connection_id = self.connection_id.unwrap_or_else(random_connection_id);
        let config = Config {
            ws_base,
            http_base,
            database,
            token: self.token.clone(),
            compression: self.compression,
            light: self.light,
            connection_id,
            connect_timeout: self.connect_timeout,
            max_message_size: self.max_message_size,
            max_decompressed_size: self.max_message_size.saturating_mul(4),
            reconnect: self.reconnect,
            check_schema: self.check_schema,
            protocols: self.protocols.clone(),
            confirmed_reads: self.confirmed_reads,
            connection_id_chosen: self.connection_id.is_some(),
        };
        let schema = self.schema.clone();
        let (inner, outbound_rx) = Inner::new(self, connection_id);
        if let Some(s) = &schema {
            let _ = inner.link.schema.set(s.clone());
            inner.ensure_cache();
        }
        let link = inner.link.clone();
        crate::runtime::handle().spawn(transport::run(link, config, schema, outbound_rx));
        Ok(DbConnection { inner })
    }
}

/// Splits a user URI into the WebSocket and HTTP bases (scheme, host, port, optional path).
fn split_uri(uri: &str) -> Result<(String, String)> {
    let uri = uri.trim_end_matches('/');
    let (scheme, rest) = uri
        .split_once("://")
        .ok_or_else(|| Error::InvalidArgument(format!("`{uri}` has no scheme; use http://, https://, ws:// or wss://")))?;
    let (ws, http) = match scheme.to_ascii_lowercase().as_str() {
        "http" | "ws" => ("ws", "http"),
        "https" | "wss" => ("wss", "https"),
        other => return Err(Error::InvalidArgument(format!("unsupported scheme `{other}`; use http, https, ws or wss"))),
    };
    if rest.is_empty() || rest.contains(['?', '#', ' ']) {
        return Err(Error::InvalidArgument(format!("`{uri}` is not a valid host address")));
    }
    Ok((format!("{ws}://{rest}"), format!("{http}://{rest}")))
}
