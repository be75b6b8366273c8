//! Malformed frames from the server end the connection with a clear error through
//! `on_disconnect` — never a panic, an abort or an unbounded allocation.
//!
//! The real server never sends malformed frames, so these tests put a hostile WebSocket peer on
//! loopback: it completes the upgrade, sends a valid IdentityToken (bytes taken from the
//! protocol notes' layout) and then the frame under test.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use stdb_client::{DbConnection, Error};
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};
use tokio_tungstenite::tungstenite::Message;

/// A tiny schema: one table `t` with a u32 column; enough for the client to start.
const SCHEMA: &str = r#"{"typespace":{"types":[{"Product":{"elements":[{"name":{"some":"n"},"algebraic_type":{"U32":[]}}]}}]},
"tables":[{"name":"t","product_type_ref":0,"primary_key":[],"indexes":[],"constraints":[],"sequences":[],"schedule":{"none":[]},
"table_type":{"User":[]},"table_access":{"Public":[]}}],"reducers":[],"types":[],"misc_exports":[],"row_level_security":[]}"#;

fn identity_token_frame() -> Vec<u8> {
    let mut f = vec![0u8, 3]; // compression none, IdentityToken
    f.extend_from_slice(&[1u8; 32]); // identity
    f.extend_from_slice(&3u32.to_le_bytes());
    f.extend_from_slice(b"tok");
    f.extend_from_slice(&[2u8; 16]); // connection id
    f
}

/// Serves one connection: identity, then `frames`; returns the server's address.
fn hostile_peer(frames: Vec<Vec<u8>>) -> std::net::SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async move {
            listener.set_nonblocking(true).unwrap();
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            let (stream, _) = listener.accept().await.unwrap();
            // The (large) error type is fixed by tungstenite's handshake callback signature.
            #[allow(clippy::result_large_err)]
            let select_protocol = |_: &Request, mut resp: Response| {
                resp.headers_mut().insert("Sec-WebSocket-Protocol", "v1.bsatn.spacetimedb".parse().unwrap());
                Ok(resp)
            };
            let mut ws = tokio_tungstenite::accept_hdr_async(stream, select_protocol).await.unwrap();
            use futures_util::SinkExt;
            let _ = ws.send(Message::Binary(identity_token_frame().into())).await;
            for f in frames {
                let _ = ws.send(Message::Binary(f.into())).await;
            }
            tokio::time::sleep(Duration::from_secs(5)).await;
        });
    });
    addr
}

/// Connects to a hostile peer and returns what on_disconnect received.
fn disconnect_reason(frames: Vec<Vec<u8>>) -> Option<Error> {
    let addr = hostile_peer(frames);
    let schema = stdb_client::schema::Schema::from_json(SCHEMA).unwrap();
    let outcome: Arc<Mutex<Option<Option<Error>>>> = Arc::default();
    let o = outcome.clone();
    let conn = DbConnection::builder()
        .with_uri(format!("http://{addr}"))
        .with_module_name("hostile")
        .with_schema(schema)
        .on_connect_error(|_, e| panic!("connect should succeed: {e}"))
        .on_disconnect(move |_, e| *o.lock().unwrap() = Some(e.cloned()))
        .build()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while outcome.lock().unwrap().is_none() && Instant::now() < deadline {
        let _ = conn.frame_tick();
        std::thread::sleep(Duration::from_millis(2));
    }
    assert!(!conn.is_active());
    let reason = outcome.lock().unwrap().take().expect("on_disconnect ran");
    reason
}

fn assert_protocol_error(frames: Vec<Vec<u8>>, needle: &str) {
    match disconnect_reason(frames) {
        Some(Error::Protocol(m)) => assert!(m.contains(needle), "expected `{needle}` in: {m}"),
        other => panic!("expected a protocol error, got {other:?}"),
    }
}

#[test]
fn truncated_frame() {
    // A TransactionUpdate cut off after its status tag.
    assert_protocol_error(vec![vec![0, 1, 0]], "truncated");
}

#[test]
fn unknown_message_tag() {
    assert_protocol_error(vec![vec![0, 42]], "invalid tag 42");
}

#[test]
fn unknown_compression_tag() {
    assert_protocol_error(vec![vec![9, 0, 0]], "invalid tag 9");
}

#[test]
fn corrupt_brotli_and_gzip() {
    assert_protocol_error(vec![vec![1, 0xde, 0xad, 0xbe, 0xef]], "decompression failed");
    assert_protocol_error(vec![vec![2, 0x1f, 0x8b, 0, 0]], "decompression failed");
}

#[test]
fn invalid_utf8_in_a_string() {
    // SubscriptionError{duration, request_id none, query_id none, table_id none, error: <ff fe>}
    let mut f = vec![0u8, 7];
    f.extend_from_slice(&0u64.to_le_bytes());
    f.extend_from_slice(&[1, 1, 1]);
    f.extend_from_slice(&2u32.to_le_bytes());
    f.extend_from_slice(&[0xff, 0xfe]);
    assert_protocol_error(vec![f], "UTF-8");
}

#[test]
fn huge_claimed_counts_do_not_allocate() {
    // A TransactionUpdateLight whose database update claims 4 billion tables.
    let mut f = vec![0u8, 2];
    f.extend_from_slice(&0u32.to_le_bytes());
    f.extend_from_slice(&u32::MAX.to_le_bytes());
    assert_protocol_error(vec![f], "truncated");
}

#[test]
fn a_table_the_schema_does_not_know_is_skipped_not_fatal() {
    // TransactionUpdateLight with one table "zzz" holding one u32 row, then a malformed frame to
    // end the connection: the unknown table must not end it first.
    let mut f = vec![0u8, 2];
    f.extend_from_slice(&0u32.to_le_bytes()); // request id
    f.extend_from_slice(&1u32.to_le_bytes()); // one table
    f.extend_from_slice(&4097u32.to_le_bytes());
    f.extend_from_slice(&3u32.to_le_bytes());
    f.extend_from_slice(b"zzz");
    f.extend_from_slice(&1u64.to_le_bytes()); // num_rows
    f.extend_from_slice(&1u32.to_le_bytes()); // one query update
    f.push(0); // uncompressed
    f.extend_from_slice(&[1, 0, 0, 0, 0, 0, 0, 0, 0]); // deletes: empty
    f.extend_from_slice(&[0, 4, 0]); // inserts: fixed size 4
    f.extend_from_slice(&4u32.to_le_bytes());
    f.extend_from_slice(&7u32.to_le_bytes());
    assert_protocol_error(vec![f, vec![0, 42]], "invalid tag 42");
}
