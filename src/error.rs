//! Errors of the client library.

use std::fmt;

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

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    Connect {
        kind: ConnectErrorKind,
        message: String,
    },
    /// The server sent bytes this client cannot decode.
    Protocol(String),
    /// The connection was lost (socket error or close).
    ConnectionLost(String),
    /// A subscription error without a query id: the server dropped all of our subscriptions.
    SubscriptionFatal(String),
    /// The operation needs a live connection.
    Disconnected,
    /// `frame_tick` (or another advance) was called from inside a callback, or while another
    /// thread is ticking the same connection.
    Reentrant,
    UnknownTable(String),
    UnknownReducer(String),
    UnknownProcedure(String),
    UnknownIndex(String),
    /// Arguments or values that do not match the schema's types.
    InvalidArgument(String),
    /// Misuse of the API, e.g. a missing builder setting.
    InvalidState(String),
    Io(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Connect { message, .. } => write!(f, "connect failed: {message}"),
            Error::Protocol(m) => write!(f, "protocol error: {m}"),
            Error::ConnectionLost(m) => write!(f, "connection lost: {m}"),
            Error::SubscriptionFatal(m) => write!(f, "the server ended all subscriptions: {m}"),
            Error::Disconnected => write!(f, "the connection is not active"),
            Error::Reentrant => write!(f, "the connection is already being advanced (re-entrant or concurrent tick)"),
            Error::UnknownTable(t) => write!(f, "no table named `{t}` in the module's schema"),
            Error::UnknownReducer(r) => write!(f, "no reducer named `{r}` in the module's schema"),
            Error::UnknownProcedure(p) => write!(f, "no procedure named `{p}` in the module's schema"),
            Error::UnknownIndex(i) => write!(f, "no index named `{i}`"),
            Error::InvalidArgument(m) => write!(f, "invalid argument: {m}"),
            Error::InvalidState(m) => write!(f, "{m}"),
            Error::Io(m) => write!(f, "I/O error: {m}"),
        }
    }
}

impl std::error::Error for Error {}

pub type Result<T, E = Error> = std::result::Result<T, E>;
