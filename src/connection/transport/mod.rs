//! The background task of one connection: connect, run the message loop until the socket ends,
//! and reconnect when that is the policy. Each stage is its own module:
//! - `config`: what the builder tells the transport;
//! - `connect`: one attempt (schema, handshakes, protocol, identity), with `schema_fetch`;
//! - `classify`: socket/TLS/HTTP failures as user-facing connect error kinds;
//! - `message_loop`: reading, decoding and sending on the open socket.

mod classify;
mod config;
mod connect;
mod message_loop;
mod schema_fetch;

pub(crate) use config::{random_connection_id, Config};
pub use config::{Compression, ReconnectPolicy};

use super::inbox::{Inbound, Link};
use crate::error::{ConnectErrorKind, Error};
use crate::protocol::ClientRequest;
use crate::schema::Schema;
use classify::connect_error;
use connect::{connect, Connected};
use message_loop::message_loop;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc::UnboundedReceiver;

pub(crate) enum Outbound {
    /// Encoded by the transport, for the protocol the server picked.
    Request(ClientRequest),
    Close,
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
            config.connection_id = random_connection_id();
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

/// Reconnects must present the token the server issued, to come back as the same identity.
fn remember_token(config: &mut Config, connected: &Inbound) {
    if let Inbound::Connected { token, .. } = connected {
        config.token = Some(token.clone());
    }
}

fn push_leftovers(link: &Link, leftovers: Vec<Inbound>) {
    for item in leftovers {
        link.push(item);
    }
}

/// The server refused our token (401): retrying with the same token cannot succeed.
fn token_rejected(e: &Error) -> bool {
    matches!(e, Error::Connect { kind: ConnectErrorKind::HttpStatus(401), .. })
}
