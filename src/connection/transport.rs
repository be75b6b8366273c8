//! The background task of one connection: fetch the schema if needed, open the WebSocket, then
//! read, decompress and decode frames and send queued client messages until the socket ends.

use super::inbox::{Inbound, Link};
use super::nosigpipe::NoSigpipe;
use super::parse::{parse, parse_v2};
use crate::error::{ConnectErrorKind, Error};
use crate::protocol::{server_message, v2, ClientRequest, DecodeLimits, Protocol, ServerMessage};
use crate::schema::{Schema, SchemaVersion};
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

pub(crate) enum Outbound {
    /// Encoded by the transport, for the protocol the server picked.
    Request(ClientRequest),
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
    early: &mut Vec<ClientRequest>,
) -> Result<Connected, Attempt> {
    let connecting = connect(link, config, schema);
    tokio::pin!(connecting);
    loop {
        tokio::select! {
            result = &mut connecting => return result.map_err(Attempt::Failed),
            msg = outbound.recv() => match msg {
                Some(Outbound::Request(r)) => early.push(r),
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
                Some(Outbound::Request(_)) => {} // sent during an outage: the caller was told it failed
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
    let Connected { ws: mut socket, mut protocol, identity, leftovers } =
        match connect_watching(&link, &config, schema, &mut outbound, &mut early).await {
            Ok(ok) => ok,
            Err(Attempt::Failed(e)) => return link.push(Inbound::ConnectFailed(e)),
            Err(Attempt::Closed) => {
                let e = connect_error(ConnectErrorKind::Other, "disconnected before the connection was established");
                return link.push(Inbound::ConnectFailed(e));
            }
        };
    remember_token(&mut config, &identity);
    link.push(identity);
    push_leftovers(&link, leftovers);
    loop {
        let lost = match message_loop(&link, &config, socket, protocol, std::mem::take(&mut early), &mut outbound).await {
            Ok(()) => return link.push(Inbound::Disconnected(None)),
            Err(e) => e,
        };
        let Some(policy) = config.reconnect else {
            return link.push(Inbound::Disconnected(Some(lost)));
        };
        log::warn!("connection lost ({lost}); reconnecting");
        link.reconnecting.store(true, Relaxed);
        let generation = link.generation.load(std::sync::atomic::Ordering::SeqCst);
        link.push(Inbound::ConnectionLost { error: lost.clone(), generation });
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
                Err(Attempt::Failed(e)) if token_rejected(&e) => {
                    // No later attempt can succeed with this token: report it now rather than
                    // retrying for the whole policy (about a minute with the default one).
                    log::warn!("reconnect attempt {attempt} failed: {e}; not retrying a rejected token");
                    return link.push(Inbound::Disconnected(Some(e)));
                }
                Err(Attempt::Failed(e)) => {
                    log::warn!("reconnect attempt {attempt} of {} failed: {e}", policy.max_attempts);
                    last = e;
                }
            }
        }
        let Some(again) = reconnected else {
            return link.push(Inbound::Disconnected(Some(last)));
        };
        socket = again.ws;
        protocol = again.protocol;
        let Inbound::Connected { identity, token, connection_id, protocol } = again.identity else {
            unreachable!("connect yields Connected")
        };
        config.token = Some(token.clone());
        // Calls accepted from here on go out on the new socket: they record the new generation.
        link.generation.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        link.reconnecting.store(false, Relaxed);
        link.push(Inbound::Reconnected { identity, token, connection_id, protocol });
        push_leftovers(&link, again.leftovers);
    }
}

/// The server refused our token (401): retrying with the same token cannot succeed.
fn token_rejected(e: &Error) -> bool {
    matches!(e, Error::Connect { kind: ConnectErrorKind::HttpStatus(401), .. })
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

/// An open socket after its first message (our identity).
struct Connected {
    ws: Ws,
    protocol: Protocol,
    /// `Inbound::Connected`.
    identity: Inbound,
    /// Messages that shared the identity's v3 frame, to be handled after it.
    leftovers: Vec<Inbound>,
}

fn push_leftovers(link: &Link, leftovers: Vec<Inbound>) {
    for item in leftovers {
        link.push(item);
    }
}

async fn connect(link: &Link, config: &Config, schema: Option<Arc<Schema>>) -> Result<Connected, Error> {
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

/// The module's schema: V10 from 2.x servers, V9 from 1.x servers (which answer 400 to
/// `?version=10`).
async fn fetch_schema(config: &Config) -> Result<Arc<Schema>, Error> {
    match fetch_schema_version(config, 10).await {
        Err(Error::Connect { kind: ConnectErrorKind::HttpStatus(400), .. }) => fetch_schema_version(config, 9).await,
        other => other,
    }
}

async fn fetch_schema_version(config: &Config, version: u32) -> Result<Arc<Schema>, Error> {
    let url = format!("{}/v1/database/{}/schema?version={version}", config.http_base, config.database);
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

/// The request's bytes in `protocol`, or `None` (logged) for what the protocol cannot carry; the
/// API checks those before queueing, so this is a last line of defence.
fn encode(request: &ClientRequest, protocol: Protocol) -> Option<Message> {
    match request.encode(protocol) {
        Ok(bytes) => Some(Message::Binary(bytes.into())),
        Err(e) => {
            log::error!("request not sent: {e}");
            None
        }
    }
}

async fn message_loop(
    link: &Link,
    config: &Config,
    mut ws: Ws,
    protocol: Protocol,
    early: Vec<ClientRequest>,
    outbound: &mut UnboundedReceiver<Outbound>,
) -> Result<(), Error> {
    let lost = |e: tungstenite::Error| Error::ConnectionLost(e.to_string());
    for request in early {
        if let Some(m) = encode(&request, protocol) {
            ws.send(m).await.map_err(lost)?;
        }
    }
    let schema = link.schema.get().cloned().expect("the schema is set before the socket opens");
    let limits = limits(config);
    let mut last_heard = Instant::now();
    let mut pinged = false;
    let mut check = tokio::time::interval(Duration::from_secs(5));
    let mut was_paused = false;
    loop {
        // Backpressure: with the queue at its byte limit the socket is not read (the server and
        // TCP hold the rest); requests are still sent. A tick that brings the queue back under
        // the limit signals `drained`.
        let paused = link.over_limit();
        if paused != was_paused {
            if paused {
                link.counters.read_pauses.fetch_add(1, Relaxed);
                log::debug!("{} bytes queued for the next tick: reading paused", link.counters.queued_bytes.load(Relaxed));
            } else {
                // The silence while paused was ours, not the server's.
                last_heard = Instant::now();
                pinged = false;
            }
            was_paused = paused;
        }
        tokio::select! {
            _ = link.drained.notified(), if paused => {}
            frame = ws.next(), if !paused => {
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
                        let decode = || decode_and_parse(bytes, protocol, limits, &schema, link);
                        let multi_thread = tokio::runtime::Handle::current().runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread;
                        let (parsed, plain_len) = if multi_thread { tokio::task::block_in_place(decode) } else { decode() }?;
                        link.counters.largest_frame_bytes.fetch_max(plain_len as u64, Relaxed);
                        let last = parsed.len().saturating_sub(1);
                        for (i, parsed) in parsed.into_iter().enumerate() {
                            let bytes = if i == last { plain_len as u64 } else { 0 };
                            link.push_message(parsed, received_at, bytes);
                        }
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
                Some(Outbound::Request(request)) => {
                    if let Some(m) = encode(&request, protocol) {
                        ws.send(m).await.map_err(lost)?;
                    }
                }
                Some(Outbound::Close) | None => {
                    let _ = ws.close(None).await;
                    // Drain until the server acknowledges the close, briefly.
                    let _ = tokio::time::timeout(Duration::from_secs(2), async { while let Some(Ok(_)) = ws.next().await {} }).await;
                    return Ok(());
                }
            },
            _ = check.tick(), if !paused => {
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

/// Decodes one binary frame in `protocol` and resolves its messages against the schema (a v3
/// frame may hold several, kept in order).
fn decode_and_parse(
    frame: bytes::Bytes,
    protocol: Protocol,
    limits: DecodeLimits,
    schema: &Schema,
    link: &Link,
) -> Result<(Vec<super::parse::Parsed>, usize), Error> {
    let malformed = |e: crate::protocol::DecodeError| Error::Protocol(e.to_string());
    if protocol == Protocol::V1 {
        let (msg, plain_len) = server_message::decode_frame_sized(frame, limits).map_err(malformed)?;
        link.counters.bytes_decompressed.fetch_add(plain_len as u64, Relaxed);
        return Ok((vec![parse(msg, schema, &link.counters)], plain_len));
    }
    let (messages, plain_len) = v2::decode_frame(frame, limits, protocol == Protocol::V3).map_err(malformed)?;
    link.counters.bytes_decompressed.fetch_add(plain_len as u64, Relaxed);
    if messages.len() > 1 {
        link.counters.messages_received.fetch_add(messages.len() as u64 - 1, Relaxed);
    }
    Ok((messages.into_iter().map(|m| parse_v2(m, schema, &link.counters)).collect(), plain_len))
}
