//! One connect attempt: the schema, the upgrade request, the TCP/TLS/WebSocket handshakes, the
//! negotiated protocol and the server's first message (our identity).

use super::classify::{classify_ws_error, connect_error, frame_kind};
use super::schema_fetch::fetch_schema;
use super::Config;
use crate::connection::inbox::{Inbound, Link};
use crate::connection::nosigpipe::NoSigpipe;
use crate::connection::parse::parse_v2;
use crate::error::{ConnectErrorKind, Error};
use crate::protocol::{server_message, v2, DecodeLimits, Protocol, ServerMessage};
use crate::schema::{Schema, SchemaVersion};
use futures_util::StreamExt;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::Instant;
use tokio_tungstenite::tungstenite::{self, client::IntoClientRequest, protocol::WebSocketConfig, Message};

pub(super) type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<NoSigpipe<tokio::net::TcpStream>>>;

/// Opens the TCP socket ourselves (as tokio-tungstenite would), wrapped so that no write on it can
/// raise SIGPIPE, then runs the TLS and WebSocket handshakes over it.
async fn open_ws(
    request: http::Request<()>,
    ws_config: WebSocketConfig,
) -> Result<(Ws, tungstenite::handshake::client::Response), tungstenite::Error> {
    let uri = request.uri();
    let host = uri.host().ok_or(tungstenite::Error::Url(tungstenite::error::UrlError::NoHostName))?;
    let port = uri
        .port_u16()
        .or(match uri.scheme_str() {
            Some("wss") => Some(443),
            _ => Some(80),
        })
        .unwrap_or(80);
    let socket = tokio::net::TcpStream::connect(format!("{host}:{port}")).await?;
    socket.set_nodelay(true)?;
    tokio_tungstenite::client_async_tls_with_config(request, NoSigpipe(socket), Some(ws_config), None).await
}

/// An open socket after its first message (our identity).
pub(super) struct Connected {
    pub(super) ws: Ws,
    pub(super) protocol: Protocol,
    /// `Inbound::Connected`.
    pub(super) identity: Inbound,
    /// Messages that shared the identity's v3 frame, to be handled after it.
    pub(super) leftovers: Vec<Inbound>,
}

pub(super) async fn connect(link: &Link, config: &Config, schema: Option<Arc<Schema>>) -> Result<Connected, Error> {
    let fetch = || async {
        tokio::time::timeout(config.connect_timeout, fetch_schema(config)).await.map_err(|_| {
            connect_error(ConnectErrorKind::Timeout, format!("fetching the schema took longer than {:?}", config.connect_timeout))
        })?
    };
    let schema = match schema {
        Some(given) if config.check_schema => {
            let server = fetch().await?;
            given.check_against(&server).map_err(|e| connect_error(ConnectErrorKind::Schema, e))?;
            given
        }
        Some(given) => given,
        None => fetch().await?,
    };
    // Only V10 schemas come from 2.x servers, which call the `connection_id` parameter
    // internal and assign one themselves.
    let server_2x = schema.version() == SchemaVersion::V10;
    let _ = link.schema.set(schema);

    let mut url = format!(
        "{}/v1/database/{}/subscribe?compression={:?}&light={}",
        config.ws_base, config.database, config.compression, config.light
    );
    if !server_2x {
        url.push_str(&format!("&connection_id={}", config.connection_id.to_hex()));
    } else if config.connection_id_chosen {
        log::warn!("the connection id given to the builder is not sent: 2.x servers assign connection ids themselves");
    }
    if let Some(confirmed) = config.confirmed_reads {
        url.push_str(&format!("&confirmed={confirmed}"));
    }
    let mut request = url
        .as_str()
        .into_client_request()
        .map_err(|e| connect_error(ConnectErrorKind::InvalidUri, format!("invalid URI {url}: {e}")))?;
    let headers = request.headers_mut();
    let offer = http::HeaderValue::from_str(&Protocol::offer(&config.protocols)).expect("protocol names are ASCII");
    headers.insert("Sec-WebSocket-Protocol", offer);
    if let Some(token) = &config.token {
        let value = http::HeaderValue::from_str(&format!("Bearer {token}"))
            .map_err(|_| Error::InvalidArgument("the token contains characters not allowed in an HTTP header".into()))?;
        headers.insert(http::header::AUTHORIZATION, value);
    }
    let mut ws_config = WebSocketConfig::default();
    // tungstenite allocates its read buffer up front (128 KiB by default); it grows for large
    // messages anyway, and idle connections should stay cheap.
    ws_config.read_buffer_size = 16 * 1024;
    ws_config.max_message_size = Some(config.max_message_size);
    ws_config.max_frame_size = Some(config.max_message_size);

    let opening = open_ws(request, ws_config);
    let (mut ws, response) = tokio::time::timeout(config.connect_timeout, opening)
        .await
        .map_err(|_| {
            connect_error(
                ConnectErrorKind::Timeout,
                format!("no answer from {} within {:?}", config.ws_base, config.connect_timeout),
            )
        })?
        .map_err(|e| classify_ws_error(e, config))?;
    let chosen = response.headers().get("Sec-WebSocket-Protocol").and_then(|v| v.to_str().ok()).unwrap_or("");
    let protocol = match Protocol::from_subprotocol(chosen) {
        Some(p) if config.protocols.contains(&p) => p,
        _ => {
            return Err(connect_error(
                ConnectErrorKind::Other,
                format!(
                    "the server chose the WebSocket protocol `{chosen}`, which was not offered ({})",
                    Protocol::offer(&config.protocols)
                ),
            ))
        }
    };
    log::debug!("speaking {} with {}", protocol.subprotocol(), config.ws_base);

    // The server's first message is our identity (pings may come first; tungstenite answers
    // them); any other message first is a protocol error.
    let limits = limits(config);
    let first = tokio::time::timeout(config.connect_timeout, async {
        loop {
            match ws.next().await {
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                other => return other,
            }
        }
    })
    .await
    .map_err(|_| connect_error(ConnectErrorKind::Timeout, "the server opened the socket but sent no identity"))?;
    let frame =
        match first {
            Some(Ok(Message::Binary(b))) => b,
            Some(Ok(other)) => {
                return Err(connect_error(
                    ConnectErrorKind::Other,
                    format!("expected the identity message, got a {} frame", frame_kind(&other)),
                ))
            }
            Some(Err(e)) => {
                return Err(connect_error(
                    ConnectErrorKind::ClosedBeforeIdentity,
                    format!("socket error before the identity arrived: {e}"),
                ))
            }
            None => return Err(connect_error(
                ConnectErrorKind::ClosedBeforeIdentity,
                "the server closed the connection before sending our identity (did the module's client_connected reducer fail?)",
            )),
        };
    link.counters.bytes_received.fetch_add(frame.len() as u64, Relaxed);
    link.counters.messages_received.fetch_add(1, Relaxed);
    let connected = |identity, token, connection_id| Inbound::Connected { identity, token, connection_id, protocol };
    if protocol == Protocol::V1 {
        return match server_message::decode_frame_sized(frame, limits) {
            Ok((ServerMessage::IdentityToken { identity, token, connection_id }, plain_len)) => {
                link.counters.bytes_decompressed.fetch_add(plain_len as u64, Relaxed);
                Ok(Connected { ws, protocol, identity: connected(identity, token, connection_id), leftovers: Vec::new() })
            }
            Ok((other, _)) => {
                Err(connect_error(ConnectErrorKind::Other, format!("expected IdentityToken first, got {}", other.kind())))
            }
            Err(e) => Err(connect_error(ConnectErrorKind::Other, e.to_string())),
        };
    }
    let (mut messages, plain_len) = v2::decode_frame(frame, limits, protocol == Protocol::V3)
        .map_err(|e| connect_error(ConnectErrorKind::Other, e.to_string()))?;
    link.counters.bytes_decompressed.fetch_add(plain_len as u64, Relaxed);
    let rest = messages.split_off(1);
    match messages.pop() {
        Some(v2::ServerMessage::InitialConnection { identity, connection_id, token }) => {
            let schema = link.schema.get().expect("set above");
            let leftovers = rest
                .into_iter()
                .map(|m| Inbound::Message { parsed: parse_v2(m, schema, &link.counters), received_at: Instant::now(), bytes: 0 })
                .collect();
            Ok(Connected { ws, protocol, identity: connected(identity, token, connection_id), leftovers })
        }
        Some(other) => {
            Err(connect_error(ConnectErrorKind::Other, format!("expected InitialConnection first, got {}", other.kind())))
        }
        None => Err(connect_error(ConnectErrorKind::Other, "an empty first frame")),
    }
}

pub(super) fn limits(config: &Config) -> DecodeLimits {
    DecodeLimits { max_decompressed_len: config.max_decompressed_size }
}
