//! The open connection: reads, decompresses and decodes frames (off the ticking thread) and pushes
//! them to the inbox, sends queued requests, pauses reading while the inbox is full, and pings a
//! silent server.

use super::connect::{limits, Ws};
use super::Config;
use super::Outbound;
use crate::connection::inbox::Link;
use crate::connection::parse::{parse, parse_v2, Parsed};
use crate::error::Error;
use crate::protocol::{server_message, v2, ClientRequest, DecodeLimits, Protocol};
use crate::schema::Schema;
use futures_util::{SinkExt, StreamExt};
use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant};
use tokio::sync::mpsc::UnboundedReceiver;
use tokio_tungstenite::tungstenite::{self, Message};

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

pub(super) async fn message_loop(
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
) -> Result<(Vec<Parsed>, usize), Error> {
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
