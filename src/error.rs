//! Errors of the client library.

/// Why connecting failed; each variant names a different thing the user can fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectErrorKind {
    /// The URI or database name could not be used.
    InvalidUri,
    /// Nothing listens on the port (connection refused, host unreachable).
    Refused,
    /// The host name did not resolve.
    Dns,
    /// The server answered the upgrade with an HTTP error: 404 unknown database, 401/400 bad token, …
    HttpStatus(u16),
    /// TLS handshake or certificate verification failed.
    Tls,
    /// The server did not answer in time.
    Timeout,
    /// The socket opened but closed before the server sent our identity (e.g. the module's
    /// `client_connected` reducer failed).
    ClosedBeforeIdentity,
    /// The schema could not be fetched or parsed.
    Schema,
    /// Anything else (I/O, protocol).
    Other,
}

/// Every failure the library reports.
///
/// Causes are carried as text, not as the lower layers' error values: an `Error` is cloned into
/// callbacks (`on_disconnect` after a reconnect gave up, per-call outcomes), compared in tests,
/// and crosses the C ABI as a message, while tungstenite's, ureq's and rustls' errors are neither
/// `Clone` nor `Eq`. What a caller acts on is typed: the variant, and `ConnectErrorKind`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    #[error("connect failed: {message}")]
    Connect { kind: ConnectErrorKind, message: String },
    /// The server sent bytes this client cannot decode.
    #[error("protocol error: {0}")]
    Protocol(String),
    /// The connection was lost (socket error or close).
    #[error("connection lost: {0}")]
    ConnectionLost(String),
    /// A subscription error without a query id: the server dropped all of our subscriptions.
    #[error("the server ended all subscriptions: {0}")]
    SubscriptionFatal(String),
    /// The operation needs a live connection.
    #[error("the connection is not active")]
    Disconnected,
    /// `frame_tick` (or another advance) was called from inside a callback, or while another
    /// thread is ticking the same connection.
    #[error("the connection is already being advanced (re-entrant or concurrent tick)")]
    Reentrant,
    #[error("no table named `{0}` in the module's schema")]
    UnknownTable(String),
    #[error("no reducer named `{0}` in the module's schema")]
    UnknownReducer(String),
    #[error("no procedure named `{0}` in the module's schema")]
    UnknownProcedure(String),
    #[error("no index named `{0}`")]
    UnknownIndex(String),
    /// Arguments or values that do not match the schema's types.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// Misuse of the API, e.g. a missing builder setting.
    #[error("{0}")]
    InvalidState(String),
    #[error("I/O error: {0}")]
    Io(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
