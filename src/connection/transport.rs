//! The background task of one connection: fetch the schema if needed, open the WebSocket, then
//! read, decompress and decode frames and send queued client messages until the socket ends.

use super::inbox::{Inbound, Link};
use super::nosigpipe::NoSigpipe;
use super::parse::parse;
use crate::error::{ConnectErrorKind, Error};
use crate::protocol::{self, server_message, DecodeLimits, ServerMessage};
use crate::schema::Schema;
use futures_util::{SinkExt, StreamExt};
use spacetimedb_lib::ConnectionId;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc::UnboundedReceiver;
use tokio_tungstenite::tungstenite::{self, client::IntoClientRequest, protocol::WebSocketConfig, Message};

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
}

/// Opt-in automatic reconnection after a lost connection (never after a requested disconnect or
/// a failed first connect). The client reconnects as the same identity, resubscribes, and
/// reconciles the cache, reporting exactly the rows that changed while it was away.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReconnectPolicy {
    /// Attempts per outage before giving up (then `on_disconnect` reports the last error).
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

pub(crate) enum Outbound {
    Binary(Vec<u8>),
    Close,
}

fn connect_error(kind: ConnectErrorKind, message: impl Into<String>) -> Error {
    Error::Connect { kind, message: message.into() }
}

/// Why a connect attempt did not produce a socket.
enum Attempt {
    Failed(Error),
    /// Disconnect was asked for (or every handle dropped) meanwhile.
    Closed,
}

/// Connects, watching `outbound` meanwhile: messages queued before the socket opens go into
/// `early`, and a close request aborts the attempt.
async fn connect_watching(
    link: &Link,
    config: &Config,
    schema: Option<Arc<Schema>>,
    outbound: &mut UnboundedReceiver<Outbound>,
    early: &mut Vec<Vec<u8>>,
) -> Result<(Ws, Inbound), Attempt> {
    let connecting = connect(link, config, schema);
    tokio::pin!(connecting);
    loop {
        tokio::select! {
            result = &mut connecting => return result.map_err(Attempt::Failed),
            msg = outbound.recv() => match msg {
                Some(Outbound::Binary(b)) => early.push(b),
                Some(Outbound::Close) | None => return Err(Attempt::Closed),
            },
        }
    }
}

/// Sleeps, unless a close request arrives first (then returns false).
async fn pause(d: Duration, outbound: &mut UnboundedReceiver<Outbound>) -> bool {
    let sleep = tokio::time::sleep(d);
    tokio::pin!(sleep);
    loop {
        tokio::select! {
            _ = &mut sleep => return true,
            msg = outbound.recv() => match msg {
                Some(Outbound::Binary(_)) => {} // sent during an outage: the caller was told it failed
                Some(Outbound::Close) | None => return false,
            },
        }
    }
}

pub(crate) async fn run(
    link: Arc<Link>,
    mut config: Config,
    schema: Option<Arc<Schema>>,
    mut outbound: UnboundedReceiver<Outbound>,
) {
    // Messages queued before the socket opens are sent right after it does.
    let mut early = Vec::new();
    let (mut ws, identity) = match connect_watching(&link, &config, schema, &mut outbound, &mut early).await {
        Ok(ok) => ok,
        Err(Attempt::Failed(e)) => return link.push(Inbound::ConnectFailed(e)),
        Err(Attempt::Closed) => {
            let e = connect_error(ConnectErrorKind::Other, "disconnected before the connection was established");
            return link.push(Inbound::ConnectFailed(e));
        }
    };
    remember_token(&mut config, &identity);
    link.push(identity);
    loop {
        let lost = match message_loop(&link, &config, ws, std::mem::take(&mut early), &mut outbound).await {
            Ok(()) => return link.push(Inbound::Disconnected(None)),
            Err(e) => e,
        };
        let Some(policy) = config.reconnect else {
            return link.push(Inbound::Disconnected(Some(lost)));
        };
        log::warn!("connection lost ({lost}); reconnecting");
        link.reconnecting.store(true, Relaxed);
        link.push(Inbound::ConnectionLost(lost.clone()));
        let mut delay = policy.initial_delay;
        let mut last = lost;
        let mut reconnected = None;
        for attempt in 1..=policy.max_attempts {
            if !pause(delay, &mut outbound).await {
                return link.push(Inbound::Disconnected(None));
            }
            delay = (delay * 2).min(policy.max_delay);
            // A fresh connection id: the server may not have noticed the old socket's end yet.
            config.connection_id = super::builder::random_connection_id();
            let mut ignored = Vec::new();
            match connect_watching(&link, &config, link.schema.get().cloned(), &mut outbound, &mut ignored).await {
                Ok(ok) => {
                    reconnected = Some(ok);
                    break;
                }
                Err(Attempt::Closed) => return link.push(Inbound::Disconnected(None)),
                Err(Attempt::Failed(e)) => {
                    log::warn!("reconnect attempt {attempt} of {} failed: {e}", policy.max_attempts);
                    last = e;
                }
            }
        }
        let Some((socket, identity)) = reconnected else {
            return link.push(Inbound::Disconnected(Some(last)));
        };
        ws = socket;
        let Inbound::Connected { identity, token, connection_id } = identity else { unreachable!("connect yields Connected") };
        config.token = Some(token.clone());
        link.reconnecting.store(false, Relaxed);
        link.push(Inbound::Reconnected { identity, token, connection_id });
    }
}

/// Reconnects must present the token the server issued, to come back as the same identity.
fn remember_token(config: &mut Config, connected: &Inbound) {
    if let Inbound::Connected { token, .. } = connected {
        config.token = Some(token.clone());
    }
}

type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<NoSigpipe<tokio::net::TcpStream>>>;

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

async fn connect(link: &Link, config: &Config, schema: Option<Arc<Schema>>) -> Result<(Ws, Inbound), Error> {
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
    let _ = link.schema.set(schema);

    let url = format!(
        "{}/v1/database/{}/subscribe?compression={:?}&light={}&connection_id={}",
        config.ws_base,
        config.database,
        config.compression,
        config.light,
        config.connection_id.to_hex()
    );
    let mut request = url
        .as_str()
        .into_client_request()
        .map_err(|e| connect_error(ConnectErrorKind::InvalidUri, format!("invalid URI {url}: {e}")))?;
    let headers = request.headers_mut();
    headers.insert("Sec-WebSocket-Protocol", http::HeaderValue::from_static(protocol::SUBPROTOCOL));
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
    let (mut ws, _response) = tokio::time::timeout(config.connect_timeout, opening)
        .await
        .map_err(|_| {
            connect_error(
                ConnectErrorKind::Timeout,
                format!("no answer from {} within {:?}", config.ws_base, config.connect_timeout),
            )
        })?
        .map_err(|e| classify_ws_error(e, config))?;

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
    match server_message::decode_frame_sized(frame, limits) {
        Ok((ServerMessage::IdentityToken { identity, token, connection_id }, plain_len)) => {
            link.counters.messages_received.fetch_add(1, Relaxed);
            link.counters.bytes_decompressed.fetch_add(plain_len as u64, Relaxed);
            Ok((ws, Inbound::Connected { identity, token, connection_id }))
        }
        Ok((other, _)) => {
            Err(connect_error(ConnectErrorKind::Other, format!("expected IdentityToken first, got {}", other.kind())))
        }
        Err(e) => Err(connect_error(ConnectErrorKind::Other, e.to_string())),
    }
}

fn limits(config: &Config) -> DecodeLimits {
    DecodeLimits { max_decompressed_len: config.max_decompressed_size }
}

fn frame_kind(m: &Message) -> &'static str {
    match m {
        Message::Text(_) => "text",
        Message::Binary(_) => "binary",
        Message::Ping(_) => "ping",
        Message::Pong(_) => "pong",
        Message::Close(_) => "close",
        Message::Frame(_) => "raw",
    }
}

fn classify_ws_error(e: tungstenite::Error, config: &Config) -> Error {
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

async fn fetch_schema(config: &Config) -> Result<Arc<Schema>, Error> {
    let url = format!("{}/v1/database/{}/schema?version=9", config.http_base, config.database);
    let token = config.token.clone();
    let timeout = config.connect_timeout;
    let database = config.database.clone();
    let base = config.http_base.clone();
    let fetched = tokio::task::spawn_blocking(move || {
        let agent = super::nosigpipe::ureq_agent(timeout);
        let mut req = agent.get(&url);
        if let Some(t) = &token {
            req = req.set("Authorization", &format!("Bearer {t}"));
        }
        match req.call() {
            Ok(resp) => resp
                .into_string()
                .map_err(|e| connect_error(ConnectErrorKind::Schema, format!("reading the schema from {url}: {e}"))),
            Err(ureq::Error::Status(status, resp)) => {
                let body = resp.into_string().unwrap_or_default();
                let meaning = match status {
                    404 => format!("database `{database}` not found"),
                    401 => "the token was rejected (401 Unauthorized)".to_owned(),
                    _ => format!("HTTP status {status} fetching the schema"),
                };
                let message = if body.trim().is_empty() { meaning } else { format!("{meaning}: {}", body.trim()) };
                Err(connect_error(ConnectErrorKind::HttpStatus(status), message))
            }
            Err(ureq::Error::Transport(t)) => Err(classify_transport(&t, &base)),
        }
    })
    .await
    .map_err(|e| connect_error(ConnectErrorKind::Other, format!("schema fetch task failed: {e}")))??;
    Schema::from_json(&fetched).map_err(|e| connect_error(ConnectErrorKind::Schema, e))
}

fn classify_transport(t: &ureq::Transport, target: &str) -> Error {
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

/// How long the socket may be silent before we ping, and then before we give up.
const IDLE_PING: Duration = Duration::from_secs(20);
const IDLE_GIVE_UP: Duration = Duration::from_secs(45);

async fn message_loop(
    link: &Link,
    config: &Config,
    mut ws: Ws,
    early: Vec<Vec<u8>>,
    outbound: &mut UnboundedReceiver<Outbound>,
) -> Result<(), Error> {
    let lost = |e: tungstenite::Error| Error::ConnectionLost(e.to_string());
    for b in early {
        ws.send(Message::Binary(b.into())).await.map_err(lost)?;
    }
    let schema = link.schema.get().cloned().expect("the schema is set before the socket opens");
    let limits = limits(config);
    let mut last_heard = Instant::now();
    let mut pinged = false;
    let mut check = tokio::time::interval(Duration::from_secs(5));
    loop {
        tokio::select! {
            frame = ws.next() => {
                let Some(frame) = frame else {
                    return Err(Error::ConnectionLost("the server closed the connection".into()));
                };
                last_heard = Instant::now();
                pinged = false;
                match frame.map_err(lost)? {
                    Message::Binary(bytes) => {
                        let received_at = Instant::now();
                        link.counters.messages_received.fetch_add(1, Relaxed);
                        link.counters.bytes_received.fetch_add(bytes.len() as u64, Relaxed);
                        // Large frames are decoded without holding up other connections' I/O.
                        let decode = || server_message::decode_frame_sized(bytes, limits);
                        let msg = if tokio::runtime::Handle::current().runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread {
                            tokio::task::block_in_place(decode)
                        } else {
                            decode()
                        };
                        let (msg, plain_len) = msg.map_err(|e| Error::Protocol(e.to_string()))?;
                        link.counters.bytes_decompressed.fetch_add(plain_len as u64, Relaxed);
                        let parsed = parse(msg, &schema, &link.counters);
                        link.push(Inbound::Message { parsed, received_at });
                    }
                    Message::Close(frame) => {
                        let why = frame.map(|f| format!("code {}: {}", u16::from(f.code), f.reason)).unwrap_or_else(|| "no reason given".into());
                        return Err(Error::ConnectionLost(format!("the server closed the connection ({why})")));
                    }
                    Message::Text(_) => return Err(Error::Protocol("unexpected text frame on the binary protocol".into())),
                    // tungstenite answers pings itself.
                    Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => {}
                }
            }
            out = outbound.recv() => match out {
                Some(Outbound::Binary(b)) => ws.send(Message::Binary(b.into())).await.map_err(lost)?,
                Some(Outbound::Close) | None => {
                    let _ = ws.close(None).await;
                    // Drain until the server acknowledges the close, briefly.
                    let _ = tokio::time::timeout(Duration::from_secs(2), async { while let Some(Ok(_)) = ws.next().await {} }).await;
                    return Ok(());
                }
            },
            _ = check.tick() => {
                let idle = last_heard.elapsed();
                if idle > IDLE_GIVE_UP {
                    return Err(Error::ConnectionLost(format!("no message from the server for {}s", idle.as_secs())));
                }
                if idle > IDLE_PING && !pinged {
                    ws.send(Message::Ping(Default::default())).await.map_err(lost)?;
                    pinged = true;
                }
            }
        }
    }
}
