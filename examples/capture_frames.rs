//! Records the raw WebSocket frames real servers send to this library, as seed corpora for the
//! fuzz targets in `fuzz/` (see fuzz/README.md). Run: `cargo run --example capture_frames -- fuzz`
//! (the argument is the fuzz directory; its `corpus/<target>/` and `schemas/` are rewritten).
//! Further arguments name the sessions to capture (`v1_2-v1`, `v2_8-v3`, …; default: all); the
//! files of the other sessions are left as they are.
//!
//! For each server (1.2.0 and 2.8.3, started by the test bed), module set and protocol it publishes
//! `sdk-test`, connects a `DbConnection` through a TCP relay that copies every byte the server sends,
//! then drives a session: reducer calls before and after a subscription to every table (initial
//! rows, inserts, updates, deletes, every column type), failing reducers, a second client's calls,
//! a one-off query, a subscription error and an unsubscribe, in each compression. Afterwards the
//! recorded server-to-client byte streams are split into WebSocket frames (a server never masks)
//! and written out, one file per frame.

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use stdb_client::protocol::{server_message, v2, DecodeLimits, RowList, ServerMessage};
use stdb_client::{CallReducerFlags, Compression, DbConnection, Protocol};
use stdb_testbed::{Database, ModuleSet, Server, ServerKind};

/// One capture session: which server, which modules, which protocol.
struct Session {
    name: &'static str,
    kind: ServerKind,
    modules: ModuleSet,
    protocol: Protocol,
    /// Index of the session's schema in `fuzz/schemas/` (the decode_apply target's second byte).
    schema: u8,
}

const SESSIONS: &[Session] = &[
    Session { name: "v1_2-v1", kind: ServerKind::V1_2, modules: ModuleSet::V1, protocol: Protocol::V1, schema: 0 },
    Session { name: "v2_8-v3", kind: ServerKind::V2_8, modules: ModuleSet::V2, protocol: Protocol::V3, schema: 1 },
    Session { name: "v2_8-v2", kind: ServerKind::V2_8, modules: ModuleSet::V2, protocol: Protocol::V2, schema: 1 },
    Session { name: "v2_8-v1", kind: ServerKind::V2_8, modules: ModuleSet::V2, protocol: Protocol::V1, schema: 1 },
    Session { name: "v2_8_m1-v3", kind: ServerKind::V2_8, modules: ModuleSet::V1, protocol: Protocol::V3, schema: 2 },
];

/// The schema files, by index (the same names fuzz/fuzz_targets/decode_apply.rs includes).
const SCHEMA_FILES: &[&str] = &["sdk-test.v1_2.json", "sdk-test.v2_8.json", "sdk-test-1x.v2_8.json"];

/// The decode_apply target's first byte: the protocol the frame is in.
fn protocol_byte(p: Protocol) -> u8 {
    match p {
        Protocol::V1 => 0,
        Protocol::V2 => 1,
        Protocol::V3 => 2,
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let out = PathBuf::from(args.first().map(String::as_str).unwrap_or("fuzz"));
    let only = &args[args.len().min(1)..];
    for name in only {
        assert!(SESSIONS.iter().any(|s| s.name == name), "no session named {name}");
    }
    let corpus = out.join("corpus");
    let targets = ["decode_v1", "decode_v2", "decode_apply", "c_decoders"];
    std::fs::create_dir_all(out.join("schemas")).unwrap();
    let mut rows_seen = BTreeSet::new();
    for s in SESSIONS.iter().filter(|s| only.is_empty() || only.iter().any(|n| n == s.name)) {
        // A session's files are named after it: replace them.
        for t in targets {
            let dir = corpus.join(t);
            std::fs::create_dir_all(&dir).unwrap();
            for f in std::fs::read_dir(&dir).unwrap() {
                let f = f.unwrap();
                if f.file_name().to_string_lossy().starts_with(&format!("{}-", s.name)) {
                    std::fs::remove_file(f.path()).unwrap();
                }
            }
        }
        let server = match s.kind.binary() {
            Ok(_) => Server::shared_of(s.kind),
            Err(e) => panic!("{}: no server: {e}", s.name),
        };
        let db = server.publish_from(s.modules, "sdk-test").expect("publish sdk-test");
        let version = if s.kind == ServerKind::V1_2 { 9 } else { 10 };
        let schema = db.schema_json_version(version).expect("schema");
        std::fs::write(out.join("schemas").join(SCHEMA_FILES[s.schema as usize]), &schema).unwrap();
        for compression in [Compression::None, Compression::Gzip, Compression::Brotli] {
            let frames = capture(&db, s.protocol, compression);
            let tag = format!("{}-{compression:?}", s.name).to_lowercase();
            let mut kept = 0;
            for (i, frame) in frames.iter().enumerate() {
                let name = format!("{tag}-{i:03}");
                if s.protocol == Protocol::V1 {
                    std::fs::write(corpus.join("decode_v1").join(&name), frame).unwrap();
                } else {
                    let mut f = vec![u8::from(s.protocol == Protocol::V3)];
                    f.extend_from_slice(frame);
                    std::fs::write(corpus.join("decode_v2").join(&name), f).unwrap();
                }
                let mut f = vec![protocol_byte(s.protocol), s.schema];
                f.extend_from_slice(frame);
                std::fs::write(corpus.join("decode_apply").join(&name), f).unwrap();
                // The C decoders get every distinct row and reducer argument list (BSATN values).
                for value in bsatn_values(frame, s.protocol) {
                    if rows_seen.insert(value.clone()) {
                        std::fs::write(corpus.join("c_decoders").join(format!("{tag}-{i:03}-{}", rows_seen.len())), value)
                            .unwrap();
                    }
                }
                kept += 1;
            }
            println!("{tag}: {kept} frames");
        }
    }
}

/// Runs one session through a recording relay; returns the binary frames the server sent on the
/// WebSocket, in order (the schema fetch's HTTP response is not a WebSocket and is skipped).
fn capture(db: &Database, protocol: Protocol, compression: Compression) -> Vec<Vec<u8>> {
    let relay = Relay::start(&db.http_url);
    let conn = DbConnection::builder()
        .with_uri(relay.url())
        .with_module_name(db.name.clone())
        .with_protocols(&[protocol])
        .with_compression(compression)
        .build()
        .expect("build");
    wait(&conn, || conn.try_identity().is_some(), "connect");
    assert_eq!(conn.protocol(), Some(protocol));
    drive(&conn, db);
    conn.disconnect().unwrap();
    let _ = conn.frame_tick();
    drop(conn);
    std::thread::sleep(Duration::from_millis(300));
    relay.frames()
}

fn wait(conn: &DbConnection, mut cond: impl FnMut() -> bool, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        let _ = conn.frame_tick();
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// BSATN arguments, built by hand.
#[derive(Default)]
struct Args(Vec<u8>);
impl Args {
    fn raw(mut self, b: &[u8]) -> Self {
        self.0.extend_from_slice(b);
        self
    }
    fn u8(self, v: u8) -> Self {
        self.raw(&[v])
    }
    fn u32(self, v: u32) -> Self {
        self.raw(&v.to_le_bytes())
    }
    fn i32(self, v: i32) -> Self {
        self.raw(&v.to_le_bytes())
    }
    fn i64(self, v: i64) -> Self {
        self.raw(&v.to_le_bytes())
    }
    fn str(self, s: &str) -> Self {
        self.u32(s.len() as u32).raw(s.as_bytes())
    }
}

/// One `insert_all_types` argument list; `k` varies every column.
fn all_types(k: u8) -> Vec<u8> {
    let wide = |n: usize, neg: bool| {
        let mut v = vec![if neg { 0xff } else { 0 }; n];
        v[0] = k.wrapping_mul(37);
        v
    };
    let shape = match k % 4 {
        0 => vec![0u8],
        1 => [&[1u8][..], &1.5f32.to_le_bytes()].concat(),
        2 => [&[2u8][..], &(-3i32).to_le_bytes(), &7i32.to_le_bytes()].concat(),
        _ => Args::default().u8(3).str("named ✓").0,
    };
    Args::default()
        .u8(k % 2)
        .raw(&(-(k as i8)).to_le_bytes())
        .raw(&(-300i16 * k as i16).to_le_bytes())
        .i32(-70_000 * k as i32)
        .i64(-5_000_000_000 * k as i64)
        .raw(&wide(16, k % 2 == 1))
        .raw(&wide(32, k % 3 == 1))
        .u8(200u8.wrapping_add(k))
        .raw(&(60_000u16 - k as u16).to_le_bytes())
        .u32(4_000_000_000 - k as u32)
        .raw(&(u64::MAX - k as u64).to_le_bytes())
        .raw(&wide(16, false))
        .raw(&wide(32, false))
        .raw(&(k as f32 * 0.25).to_le_bytes())
        .raw(&(f64::from(k) * -1e300).to_le_bytes())
        .str(&"s".repeat(k as usize))
        .u32(k as u32)
        .raw(&vec![k; k as usize])
        .raw(&[k; 32])
        .raw(&[k.wrapping_add(1); 16])
        .i64(1_700_000_000_000_000 + k as i64)
        .i64(-(k as i64) * 1000)
        // Option: tag 0 = some, 1 = none.
        .raw(&if k % 2 == 1 { vec![1] } else { [&[0u8][..], &(k as i32).to_le_bytes()].concat() })
        .raw(&match k % 3 {
            0 => vec![1],
            1 => vec![0, 1],
            _ => Args::default().u8(0).u8(0).str("inner").0,
        })
        .i32(k as i32)
        .i32(-(k as i32))
        .raw(&shape)
        .u32(k as u32 % 4)
        .raw(&(0..k as i32 % 4).flat_map(|i| i.to_le_bytes()).collect::<Vec<_>>())
        .u32(k as u32 % 3)
        .raw(&(0..k % 3).flat_map(|i| Args::default().str(&format!("v{i}")).0).collect::<Vec<_>>())
        .0
}

/// The session: reducer calls (successful, failing, panicking), a subscription to every table
/// with initial rows, transactions with inserts, updates and deletes, another client's calls, a
/// one-off query, a bad subscription and an unsubscribe.
fn drive(conn: &DbConnection, db: &Database) {
    let call = |reducer: &str, args: Args| {
        let done = Arc::new(Mutex::new(false));
        let d = done.clone();
        conn.call_reducer_then(reducer, &args.0, CallReducerFlags::FullUpdate, move |_, _| *d.lock().unwrap() = true)
            .unwrap_or_else(|e| panic!("{reducer}: {e}"));
        wait(conn, || *done.lock().unwrap(), reducer);
    };
    call("insert_pk_u32", Args::default().u32(1).i32(-1));
    call("insert_pk_string", Args::default().str("before").i64(42));
    call("insert_all_types", Args(all_types(0)));
    call("insert_score", Args::default().u32(1).str("ann").i64(10));
    call("insert_colored", Args::default().u8(0).str("red one"));
    call("insert_join_left", Args::default().u32(1).u32(7));
    call("insert_join_right", Args::default().u32(1).u32(7));
    call("insert_join_right", Args::default().u32(2).u32(7));

    let applied = Arc::new(Mutex::new(false));
    let a = applied.clone();
    let all = conn.subscription_builder().on_applied(move |_| *a.lock().unwrap() = true).subscribe_to_all_tables().unwrap();
    wait(conn, || *applied.lock().unwrap(), "subscription");
    let joined = Arc::new(Mutex::new(false));
    let j = joined.clone();
    let join = conn
        .subscription_builder()
        .on_applied(move |_| *j.lock().unwrap() = true)
        .subscribe(&["SELECT join_left.* FROM join_left JOIN join_right ON join_left.key = join_right.key"])
        .unwrap();
    wait(conn, || *joined.lock().unwrap(), "join subscription");

    for k in 1..6 {
        call("insert_all_types", Args(all_types(k)));
    }
    call("insert_pk_u32", Args::default().u32(2).i32(2));
    call("update_pk_u32", Args::default().u32(2).i32(20));
    call("delete_pk_u32", Args::default().u32(1));
    call("insert_many", Args::default().u32(100).u32(40));
    call("update_pk_string", Args::default().str("before").i64(43));
    call("insert_unique_u32", Args::default().u32(5).i32(5));
    call("insert_unique_u32", Args::default().u32(5).i32(6)); // a unique violation: fails
    call("insert_score", Args::default().u32(2).str("bob").i64(-3));
    call("delete_scores_at_level", Args::default().u32(1));
    call("insert_pk_color", Args::default().u8(1).i32(1));
    call("update_pk_color", Args::default().u8(1).i32(2));
    call("insert_caller", Args::default());
    call("insert_player_loc", Args::default().u32(9).i32(-9));
    call("insert_player_tag", Args::default().u32(9).str("tag"));
    call("insert_my_row", Args::default().str("mine"));
    call("insert_blob", Args::default().u32(1).u32(3000));
    call("insert_then_fail", Args::default().u32(77).i32(77));
    call("fail", Args::default().str("a reducer error"));
    call("panic_now", Args::default().str("a panic"));
    call("no_op", Args::default());
    call("schedule_tick", Args::default().i64(1000).str("scheduled"));
    call("insert_join_right", Args::default().u32(3).u32(7));
    call("delete_join_right", Args::default().u32(1));
    call("delete_colored_by_color", Args::default().u8(0));

    // Another client's transactions, seen by ours as rows (and on v1 with the reducer's details).
    let other = DbConnection::builder().with_uri(db.http_url.clone()).with_module_name(db.name.clone()).build().unwrap();
    wait(&other, || other.try_identity().is_some(), "second client");
    let before = conn.metrics().messages_received;
    other.call_reducer("insert_pk_u32", &Args::default().u32(300).i32(3).0, CallReducerFlags::FullUpdate).unwrap();
    other.call_reducer("delete_all_pk_u32", &[], CallReducerFlags::FullUpdate).unwrap();
    wait(conn, || conn.metrics().messages_received >= before + 2, "the other client's transactions");
    other.disconnect().unwrap();

    let answered = Arc::new(Mutex::new(0));
    for q in ["SELECT * FROM all_types", "SELECT * FROM no_such_table"] {
        let a = answered.clone();
        conn.one_off_query(q, move |_, _| *a.lock().unwrap() += 1).unwrap();
    }
    wait(conn, || *answered.lock().unwrap() == 2, "one-off queries");

    let failed = Arc::new(Mutex::new(false));
    let f = failed.clone();
    let _bad = conn
        .subscription_builder()
        .on_error(move |_, _| *f.lock().unwrap() = true)
        .subscribe(&["SELECT * FROM no_such_table"])
        .unwrap();
    wait(conn, || *failed.lock().unwrap(), "subscription error");

    for h in [&join, &all] {
        let done = Arc::new(Mutex::new(false));
        let d = done.clone();
        h.unsubscribe_then(move |_| *d.lock().unwrap() = true).unwrap();
        wait(conn, || *done.lock().unwrap(), "unsubscribe");
    }
}

/// Every BSATN value in a frame that a generated C decoder could be given: rows, and on v1 the
/// reducer arguments of transaction updates.
fn bsatn_values(frame: &[u8], protocol: Protocol) -> Vec<Vec<u8>> {
    let limits = DecodeLimits { max_decompressed_len: 1 << 28 };
    let mut out = Vec::new();
    if protocol == Protocol::V1 {
        let Ok(msg) = server_message::decode_frame(frame.to_vec().into(), limits) else { return out };
        let update = match msg {
            ServerMessage::TransactionUpdate(tu) => {
                if !tu.args.is_empty() {
                    out.push(tu.args.to_vec());
                }
                match tu.status {
                    server_message::UpdateStatus::Committed(u) => Some(u),
                    _ => None,
                }
            }
            ServerMessage::SubscribeMultiApplied { update, .. }
            | ServerMessage::UnsubscribeMultiApplied { update, .. }
            | ServerMessage::TransactionUpdateLight { update, .. } => Some(update),
            _ => None,
        };
        for t in update.iter().flat_map(|u| &u.tables) {
            for q in &t.queries {
                out.extend(q.inserts.iter().map(<[u8]>::to_vec));
                out.extend(q.deletes.iter().map(<[u8]>::to_vec));
            }
        }
        return out;
    }
    let Ok((messages, _)) = v2::decode_frame(frame.to_vec().into(), limits, protocol == Protocol::V3) else { return out };
    let mut rows = |l: &RowList| out.extend(l.iter().map(<[u8]>::to_vec));
    for m in messages {
        match m {
            v2::ServerMessage::SubscribeApplied { rows: r, .. } => r.tables.iter().for_each(|(_, l)| rows(l)),
            v2::ServerMessage::UnsubscribeApplied { rows: Some(r), .. } => r.tables.iter().for_each(|(_, l)| rows(l)),
            v2::ServerMessage::TransactionUpdate(tu)
            | v2::ServerMessage::ReducerResult { outcome: v2::ReducerOutcome::Ok { update: tu, .. }, .. } => {
                for set in &tu.query_sets {
                    for t in &set.tables {
                        for r in &t.rows {
                            match r {
                                v2::TableUpdateRows::PersistentTable { inserts, deletes } => {
                                    rows(inserts);
                                    rows(deletes)
                                }
                                v2::TableUpdateRows::EventTable { events } => rows(events),
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }
    out
}

/// What the server sent on one connection.
type Recording = Arc<Mutex<Vec<u8>>>;

/// A TCP relay in front of the server that records what the server sends on each connection.
struct Relay {
    port: u16,
    streams: Arc<Mutex<Vec<Recording>>>,
}

impl Relay {
    fn start(http_url: &str) -> Relay {
        let upstream = http_url.trim_start_matches("http://").trim_end_matches('/').to_owned();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let streams: Arc<Mutex<Vec<Recording>>> = Arc::default();
        let s = streams.clone();
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { return };
                let Ok(server) = TcpStream::connect(&upstream) else { return };
                let record = Arc::new(Mutex::new(Vec::new()));
                s.lock().unwrap().push(record.clone());
                pump(client.try_clone().unwrap(), server.try_clone().unwrap(), None);
                pump(server, client, Some(record));
            }
        });
        Relay { port, streams }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The binary frames of every recorded WebSocket stream, connection by connection.
    fn frames(&self) -> Vec<Vec<u8>> {
        let streams = self.streams.lock().unwrap();
        streams.iter().flat_map(|s| ws_frames(&s.lock().unwrap())).collect()
    }
}

fn pump(mut from: TcpStream, mut to: TcpStream, record: Option<Recording>) {
    std::thread::spawn(move || {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            match from.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if let Some(r) = &record {
                        r.lock().unwrap().extend_from_slice(&buf[..n]);
                    }
                    if to.write_all(&buf[..n]).is_err() {
                        break;
                    }
                }
            }
        }
        let _ = to.shutdown(std::net::Shutdown::Write);
    });
}

/// Splits a server-to-client byte stream into WebSocket binary messages (continuations joined).
/// Streams that are not a WebSocket upgrade (the HTTP schema fetch) yield nothing.
fn ws_frames(stream: &[u8]) -> Vec<Vec<u8>> {
    if !stream.starts_with(b"HTTP/1.1 101") {
        return Vec::new();
    }
    let Some(end) = stream.windows(4).position(|w| w == b"\r\n\r\n") else { return Vec::new() };
    let mut pos = end + 4;
    let (mut out, mut partial) = (Vec::new(), Vec::<u8>::new());
    while pos + 2 <= stream.len() {
        let (b0, b1) = (stream[pos], stream[pos + 1]);
        let (fin, opcode) = (b0 & 0x80 != 0, b0 & 0x0f);
        let mut at = pos + 2;
        let len = match b1 & 0x7f {
            126 if at + 2 <= stream.len() => {
                at += 2;
                u16::from_be_bytes([stream[at - 2], stream[at - 1]]) as usize
            }
            127 if at + 8 <= stream.len() => {
                at += 8;
                u64::from_be_bytes(stream[at - 8..at].try_into().unwrap()) as usize
            }
            126 | 127 => break,
            n => n as usize,
        };
        assert!(b1 & 0x80 == 0, "a server frame is never masked");
        if at + len > stream.len() {
            break; // cut short by the end of the recording
        }
        let payload = &stream[at..at + len];
        match opcode {
            2 | 0 => {
                partial.extend_from_slice(payload);
                if fin && (opcode == 2 || !partial.is_empty()) {
                    out.push(std::mem::take(&mut partial));
                }
            }
            _ => {} // text, close, ping, pong
        }
        pos = at + len;
    }
    out
}
