//! The floor: a bare WebSocket client that sends the same messages and only receives (and
//! decompresses) the answers, without decoding rows or keeping a cache. Its times are the
//! server's work plus the transfer; what a client spends above it is its own cost.
//!
//! It speaks the protocol of `proto=` (`v1`, the default and the only one a 1.x server knows;
//! `v2` and `v3` on a 2.x server): the same request in that protocol's encoding, and the answer
//! recognised by its first message's tag. A v3 frame may hold several messages; the first one is
//! the answer (the server sends nothing else unasked on these connections).
use crate::{Args, Out, Res, TIMEOUT};
use futures_util::{SinkExt, StreamExt};
use std::io::Read;
use std::time::{Duration, Instant};
use stdb_client::protocol::client_message;
use stdb_client::CallReducerFlags;
use tokio_tungstenite::tungstenite::{client::IntoClientRequest, protocol::WebSocketConfig, Message};

type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("tokio runtime")
}

fn comp_param(name: &str) -> &'static str {
    match name {
        "none" => "None",
        "gzip" => "Gzip",
        _ => "Brotli",
    }
}

/// The wire protocol of the floor connection.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Proto {
    V1,
    V2,
    V3,
}

impl Proto {
    pub fn of(a: &Args) -> Proto {
        match a.proto.as_str() {
            "v2" => Proto::V2,
            "v3" => Proto::V3,
            _ => Proto::V1,
        }
    }
    fn subprotocol(self) -> &'static str {
        match self {
            Proto::V1 => "v1.bsatn.spacetimedb",
            Proto::V2 => "v2.bsatn.spacetimedb",
            Proto::V3 => "v3.bsatn.spacetimedb",
        }
    }
    fn subscribe(self, query: &str) -> Vec<u8> {
        match self {
            Proto::V1 => client_message::subscribe_multi(&[query.to_owned()], 1, 1),
            _ => stdb_client::protocol::v2::subscribe(&[query.to_owned()], 1, 1),
        }
    }
    fn call_reducer(self, reducer: &str, args: &[u8], request_id: u32) -> Vec<u8> {
        match self {
            Proto::V1 => client_message::call_reducer(reducer, args, request_id, CallReducerFlags::FullUpdate),
            _ => stdb_client::protocol::v2::call_reducer(reducer, args, request_id),
        }
    }
    /// Server message tags: (subscription applied, subscription error, our reducer's outcome).
    /// v1: SubscribeMultiApplied 8, SubscriptionError 7, TransactionUpdate 1. v2/v3:
    /// SubscribeApplied 1, SubscriptionError 3, ReducerResult 6.
    fn tags(self) -> (u8, u8, u8) {
        match self {
            Proto::V1 => (8, 7, 1),
            _ => (1, 3, 6),
        }
    }
}

async fn connect(a: &Args) -> Res<Ws> {
    let url = format!(
        "{}/v1/database/{}/subscribe?compression={}{}",
        a.url.replacen("http", "ws", 1),
        a.db,
        comp_param(&a.comp),
        if Proto::of(a) == Proto::V1 { "&light=false" } else { "" }
    );
    let mut req = url.into_client_request()?;
    req.headers_mut().insert("Sec-WebSocket-Protocol", http::HeaderValue::from_static(Proto::of(a).subprotocol()));
    let mut config = WebSocketConfig::default();
    config.max_message_size = None;
    config.max_frame_size = None;
    let (mut ws, _) = tokio_tungstenite::connect_async_with_config(req, Some(config), true).await?;
    // The identity token (v1) or InitialConnection (v2/v3) comes first.
    recv(&mut ws).await?;
    Ok(ws)
}

async fn recv(ws: &mut Ws) -> Res<Vec<u8>> {
    loop {
        match tokio::time::timeout(TIMEOUT, ws.next()).await? {
            Some(Ok(Message::Binary(b))) => return Ok(b.to_vec()),
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            Some(Ok(other)) => return Err(format!("unexpected frame {other:?}").into()),
            Some(Err(e)) => return Err(e.into()),
            None => return Err("socket closed".into()),
        }
    }
}

/// Decompresses a server frame (compression tag byte, then the body) with large buffers; an
/// uncompressed body is returned as it is.
pub fn decompress(frame: &[u8]) -> Res<std::borrow::Cow<'_, [u8]>> {
    let body = &frame[1..];
    let mut out = Vec::with_capacity(body.len() * 4);
    match frame[0] {
        0 => return Ok(std::borrow::Cow::Borrowed(body)),
        1 => {
            brotli::Decompressor::new(body, 1 << 16).read_to_end(&mut out)?;
        }
        2 => {
            flate2::read::GzDecoder::new(body).read_to_end(&mut out)?;
        }
        t => return Err(format!("unknown compression tag {t}").into()),
    }
    Ok(std::borrow::Cow::Owned(out))
}

/// Checks the first server message's tag: `want` is 0 for "subscription applied", 2 for "our
/// reducer's outcome" (an index into [`Proto::tags`]).
fn check_tag(proto: Proto, msg: &[u8], want: usize) -> Res<()> {
    let tags = proto.tags();
    let want = [tags.0, tags.1, tags.2][want];
    match msg.first() {
        Some(&t) if t == want => Ok(()),
        Some(&t) if t == tags.1 => Err(format!("subscription error: {}", String::from_utf8_lossy(msg)).into()),
        t => Err(format!("unexpected server message tag {t:?}, wanted {want} ({proto:?})").into()),
    }
}

const APPLIED: usize = 0;
const OUTCOME: usize = 2;

pub fn sub(a: &Args, out: &mut Out) -> Res<()> {
    runtime().block_on(async {
        let proto = Proto::of(a);
        let mut ws = connect(a).await?;
        let msg = proto.subscribe(&format!("SELECT * FROM {}", a.table));
        let t0 = Instant::now();
        ws.send(Message::Binary(msg.into())).await?;
        let frame = recv(&mut ws).await?;
        let t1 = Instant::now();
        let plain = decompress(&frame)?;
        let t2 = Instant::now();
        check_tag(proto, &plain, APPLIED)?;
        out.put("us", (t2 - t0).as_micros() as f64);
        out.put("recv_us", (t1 - t0).as_micros() as f64);
        out.put("decompress_us", (t2 - t1).as_micros() as f64);
        out.put("bytes_received", frame.len() as f64);
        out.put("bytes_decompressed", plain.len() as f64);
        // The library's own decompression of the same frame, for comparison.
        let limits = stdb_client::protocol::DecodeLimits { max_decompressed_len: usize::MAX / 2 };
        let body: bytes::Bytes = frame[1..].to_vec().into();
        let t3 = Instant::now();
        let lib = stdb_client::protocol::server_message::decompress(frame[0], body, limits, "bench")
            .map_err(|e| e.to_string())?;
        out.put("lib_decompress_us", t3.elapsed().as_micros() as f64);
        assert_eq!(lib.len(), plain.len());
        Ok(())
    })
}

fn args(start: u64, count: u32, generation: Option<u64>) -> Vec<u8> {
    let mut v = start.to_le_bytes().to_vec();
    v.extend_from_slice(&count.to_le_bytes());
    if let Some(g) = generation {
        v.extend_from_slice(&g.to_le_bytes());
    }
    v
}

pub fn upd(a: &Args, out: &mut Out) -> Res<()> {
    runtime().block_on(async {
        let proto = Proto::of(a);
        let mut ws = connect(a).await?;
        ws.send(Message::Binary(proto.subscribe("SELECT * FROM small").into())).await?;
        check_tag(proto, &decompress(&recv(&mut ws).await?)?, APPLIED)?;
        let generation = a.run as u64 * 10 + 3;
        let mut request_id = 2;
        for (op, name) in [("insert_small", "insert"), ("update_small", "update"), ("delete_small", "delete")] {
            let (mut total, mut recv_total) = (Duration::ZERO, Duration::ZERO);
            for b in 0..a.batches {
                let start = b as u64 * a.batch as u64;
                let g = (op == "update_small").then_some(generation);
                request_id += 1;
                let msg = proto.call_reducer(op, &args(start, a.batch, g), request_id);
                let t0 = Instant::now();
                ws.send(Message::Binary(msg.into())).await?;
                let frame = recv(&mut ws).await?;
                recv_total += t0.elapsed();
                let plain = decompress(&frame)?;
                total += t0.elapsed();
                check_tag(proto, &plain, OUTCOME)?;
            }
            out.put(&format!("{name}_us"), total.as_micros() as f64);
            out.put(&format!("{name}_recv_us"), recv_total.as_micros() as f64);
        }
        out.put("rows", (a.batches as u64 * a.batch as u64) as f64);
        Ok(())
    })
}

pub fn rtt(a: &Args, out: &mut Out) -> Res<()> {
    runtime().block_on(async {
        let proto = Proto::of(a);
        let mut ws = connect(a).await?;
        let mut samples = Vec::with_capacity(a.n);
        for i in 0..a.n + a.warmup {
            let msg = proto.call_reducer("ping", &[], i as u32 + 1);
            let t0 = Instant::now();
            ws.send(Message::Binary(msg.into())).await?;
            let frame = recv(&mut ws).await?;
            let t1 = Instant::now();
            check_tag(proto, &decompress(&frame)?, OUTCOME)?;
            if i >= a.warmup {
                samples.push((t1 - t0).as_nanos() as f64 / 1000.0);
            }
        }
        crate::put_percentiles(out, &mut samples);
        Ok(())
    })
}

/// A bare WebSocket client subscribed to `small` on its own thread, sending the arrival time of
/// every later frame (transaction) on the channel. Used as the arrival reference for the
/// measured client in the same process: the server sends each transaction to both at the same
/// moment, so a client's own share of a transaction is its callback time minus this arrival.
pub fn observer(a: &Args) -> Res<std::sync::mpsc::Receiver<Instant>> {
    let (tx, rx) = std::sync::mpsc::channel();
    let (ready_tx, ready_rx) = std::sync::mpsc::channel::<Result<(), String>>();
    let a = a.clone();
    std::thread::Builder::new().name("observer".into()).spawn(move || {
        runtime().block_on(async move {
            let start = async {
                let proto = Proto::of(&a);
                let mut ws = connect(&a).await?;
                ws.send(Message::Binary(proto.subscribe("SELECT * FROM small").into())).await?;
                check_tag(proto, &decompress(&recv(&mut ws).await?)?, APPLIED)?;
                Res::Ok(ws)
            };
            let mut ws = match start.await {
                Ok(ws) => {
                    let _ = ready_tx.send(Ok(()));
                    ws
                }
                Err(e) => {
                    let _ = ready_tx.send(Err(e.to_string()));
                    return;
                }
            };
            loop {
                match ws.next().await {
                    Some(Ok(Message::Binary(_))) => {
                        if tx.send(Instant::now()).is_err() {
                            return;
                        }
                    }
                    Some(Ok(_)) => {}
                    _ => return,
                }
            }
        })
    })?;
    ready_rx.recv_timeout(TIMEOUT)??;
    Ok(rx)
}
