//! Turns what the socket, TLS and HTTP layers report into the user-facing connect error kinds
//! (`ConnectErrorKind`): each names a different thing the user can fix.

use super::Config;
use crate::error::{ConnectErrorKind, Error};
use tokio_tungstenite::tungstenite::{self, Message};

pub(super) fn connect_error(kind: ConnectErrorKind, message: impl Into<String>) -> Error {
    Error::Connect { kind, message: message.into() }
}

pub(super) fn frame_kind(m: &Message) -> &'static str {
    match m {
        Message::Text(_) => "text",
        Message::Binary(_) => "binary",
        Message::Ping(_) => "ping",
        Message::Pong(_) => "pong",
        Message::Close(_) => "close",
        Message::Frame(_) => "raw",
    }
}

pub(super) fn classify_ws_error(e: tungstenite::Error, config: &Config) -> Error {
    match e {
        tungstenite::Error::Http(response) => {
            let status = response.status().as_u16();
            let body = response.body().as_ref().map(|b| String::from_utf8_lossy(b).trim().to_owned()).unwrap_or_default();
            let meaning = match status {
                404 => format!("database `{}` not found", config.database),
                401 => "the token was rejected (401 Unauthorized)".to_owned(),
                400 => "the server rejected the request (400 Bad Request; a malformed token?)".to_owned(),
                _ => format!("HTTP status {status}"),
            };
            let message = if body.is_empty() { meaning } else { format!("{meaning}: {body}") };
            connect_error(ConnectErrorKind::HttpStatus(status), message)
        }
        tungstenite::Error::Io(io) => classify_io(&io, &config.ws_base),
        tungstenite::Error::Tls(tls) => {
            connect_error(ConnectErrorKind::Tls, format!("TLS failure with {}: {tls}", config.ws_base))
        }
        tungstenite::Error::Url(u) => connect_error(ConnectErrorKind::InvalidUri, format!("invalid URI {}: {u}", config.ws_base)),
        other => connect_error(ConnectErrorKind::Other, other.to_string()),
    }
}

fn classify_io(io: &std::io::Error, target: &str) -> Error {
    use std::io::ErrorKind as K;
    let text = io.to_string();
    // rustls reports handshake and certificate failures as I/O errors wrapping its own error.
    if io.get_ref().is_some_and(|inner| inner.downcast_ref::<rustls::Error>().is_some()) {
        return connect_error(ConnectErrorKind::Tls, format!("TLS failure with {target}: {text}"));
    }
    match io.kind() {
        K::ConnectionRefused => {
            connect_error(ConnectErrorKind::Refused, format!("connection refused by {target} (is the server running?)"))
        }
        K::TimedOut => connect_error(ConnectErrorKind::Timeout, format!("timed out connecting to {target}")),
        _ if text.contains("lookup") || text.contains("resolve") || text.contains("Name or service") => {
            connect_error(ConnectErrorKind::Dns, format!("cannot resolve the host of {target}: {text}"))
        }
        _ if text.contains("certificate") || text.contains("tls") || text.contains("TLS") => {
            connect_error(ConnectErrorKind::Tls, format!("TLS failure with {target}: {text}"))
        }
        _ => connect_error(ConnectErrorKind::Other, format!("{target}: {text}")),
    }
}

pub(super) fn classify_transport(t: &ureq::Transport, target: &str) -> Error {
    use ureq::ErrorKind as K;
    let text = t.to_string();
    // ureq reports a failed TLS handshake as ConnectionFailed ("tls connection init failed"): it
    // must not read as a refused connection.
    let tls = text.contains("certificate") || text.to_lowercase().contains("tls");
    match t.kind() {
        K::Dns => connect_error(ConnectErrorKind::Dns, format!("cannot resolve the host of {target}: {text}")),
        K::ConnectionFailed if tls => connect_error(ConnectErrorKind::Tls, format!("TLS failure with {target}: {text}")),
        K::ConnectionFailed if text.contains("refused") => {
            connect_error(ConnectErrorKind::Refused, format!("connection refused by {target} (is the server running?)"))
        }
        K::ConnectionFailed => connect_error(ConnectErrorKind::Refused, format!("cannot connect to {target}: {text}")),
        K::InvalidUrl | K::UnknownScheme => connect_error(ConnectErrorKind::InvalidUri, format!("invalid URI {target}: {text}")),
        _ if tls => connect_error(ConnectErrorKind::Tls, format!("TLS failure with {target}: {text}")),
        K::Io if text.contains("timed out") => connect_error(ConnectErrorKind::Timeout, format!("timed out talking to {target}")),
        _ => connect_error(ConnectErrorKind::Other, format!("{target}: {text}")),
    }
}
