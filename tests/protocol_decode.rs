//! The hand-written server-message decoder against the official 1.2.0 wire types, with no server.
//!
//! Every `ServerMessage<BsatnFormat>` variant is built with `spacetimedb-client-api-messages`
//! 1.2.0 (the crate the server encodes with), serialized with `spacetimedb_lib::bsatn`, framed,
//! and decoded by `stdb_client::protocol::server_message`; every field must come back equal.
//! Then the byte examples of the protocol notes (§7), hostile input, and a small fuzz loop.

use bytes::Bytes;
use spacetimedb_client_api_messages::energy::EnergyQuanta;
use spacetimedb_client_api_messages::websocket as ws;
use spacetimedb_client_api_messages::websocket::{BsatnFormat, BsatnRowList, BsatnRowListBuilder};
use spacetimedb_lib::bsatn;
use spacetimedb_lib::{ConnectionId, Identity, TimeDuration, Timestamp};
use spacetimedb_primitives::TableId;
use stdb_client::protocol::client_message::{call_reducer, one_off_query, subscribe_multi, unsubscribe_multi};
use stdb_client::protocol::reader::Reader;
use stdb_client::protocol::server_message::{
    decode_frame, decode_frame_sized, decode_message, DatabaseUpdate, DecodeLimits, ServerMessage, TableUpdate, UpdateStatus,
};
use stdb_client::protocol::{CallReducerFlags, DecodeError, DecodeErrorKind, RowList};

const LIMITS: DecodeLimits = DecodeLimits { max_decompressed_len: 64 << 20 };

// ------------------------------------------------------------------------------------------------
// Building messages with the official types, and the expectation alongside.

#[derive(Clone, Debug)]
enum Layout {
    Fixed(u16),
    Offsets,
}

#[derive(Clone, Debug)]
struct ListSpec {
    layout: Layout,
    rows: Vec<Vec<u8>>,
}

#[derive(Clone, Copy, Debug)]
enum Comp {
    None,
    Brotli,
    Gzip,
}

#[derive(Clone, Debug)]
struct QuSpec {
    comp: Comp,
    deletes: ListSpec,
    inserts: ListSpec,
}

#[derive(Clone, Debug)]
struct TableSpec {
    id: u32,
    name: String,
    queries: Vec<QuSpec>,
}

fn fixed(size: u16, rows: Vec<Vec<u8>>) -> ListSpec {
    assert!(rows.iter().all(|r| r.len() == size as usize));
    ListSpec { layout: Layout::Fixed(size), rows }
}
fn offsets(rows: Vec<Vec<u8>>) -> ListSpec {
    ListSpec { layout: Layout::Offsets, rows }
}
fn empty() -> ListSpec {
    offsets(vec![])
}

/// A fixed-size row: (u32 id, i32 value).
fn row_fixed(id: u32, v: i32) -> Vec<u8> {
    let mut r = id.to_le_bytes().to_vec();
    r.extend_from_slice(&v.to_le_bytes());
    r
}

/// A variable-size row: (u32 id, String name).
fn row_var(id: u32, name: &str) -> Vec<u8> {
    let mut r = id.to_le_bytes().to_vec();
    r.extend_from_slice(&(name.len() as u32).to_le_bytes());
    r.extend_from_slice(name.as_bytes());
    r
}

fn build_list(l: &ListSpec) -> BsatnRowList {
    let mut b = match l.layout {
        Layout::Fixed(n) => BsatnRowListBuilder::fixed(n),
        Layout::Offsets => BsatnRowListBuilder::row_offsets(),
    };
    for r in &l.rows {
        b.push(r);
    }
    b.finish()
}

fn brotli(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    ws::brotli_compress(bytes, &mut out);
    out
}
fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    ws::gzip_compress(bytes, &mut out);
    out
}

fn build_qu(q: &QuSpec) -> ws::CompressableQueryUpdate<BsatnFormat> {
    let qu = ws::QueryUpdate::<BsatnFormat> { deletes: build_list(&q.deletes), inserts: build_list(&q.inserts) };
    match q.comp {
        Comp::None => ws::CompressableQueryUpdate::Uncompressed(qu),
        Comp::Brotli => ws::CompressableQueryUpdate::Brotli(brotli(&bsatn::to_vec(&qu).unwrap()).into()),
        Comp::Gzip => ws::CompressableQueryUpdate::Gzip(gzip(&bsatn::to_vec(&qu).unwrap()).into()),
    }
}

fn build_table(t: &TableSpec) -> ws::TableUpdate<BsatnFormat> {
    let num_rows = t.queries.iter().map(|q| (q.deletes.rows.len() + q.inserts.rows.len()) as u64).sum();
    ws::TableUpdate {
        table_id: TableId(t.id),
        table_name: t.name.as_str().into(),
        num_rows,
        updates: t.queries.iter().map(build_qu).collect::<Vec<_>>().into(),
    }
}

fn build_db(tables: &[TableSpec]) -> ws::DatabaseUpdate<BsatnFormat> {
    ws::DatabaseUpdate { tables: tables.iter().map(build_table).collect() }
}

/// A varied database update: several tables, every layout, every nested compression, empty lists.
fn sample_tables() -> Vec<TableSpec> {
    vec![
        TableSpec {
            id: 4097,
            name: "player".into(),
            queries: vec![
                QuSpec {
                    comp: Comp::None,
                    deletes: fixed(8, vec![row_fixed(1, -5)]),
                    inserts: fixed(8, vec![row_fixed(1, 7), row_fixed(2, i32::MIN), row_fixed(u32::MAX, i32::MAX)]),
                },
                QuSpec { comp: Comp::Brotli, deletes: empty(), inserts: fixed(8, vec![row_fixed(9, 9)]) },
                QuSpec {
                    comp: Comp::Gzip,
                    deletes: offsets(vec![row_var(3, "gone")]),
                    inserts: offsets(vec![row_var(3, ""), row_var(4, "héllo wörld")]),
                },
            ],
        },
        TableSpec { id: 4098, name: "empty_table".into(), queries: vec![] },
        TableSpec {
            id: 4099,
            name: "msg".into(),
            queries: vec![
                QuSpec { comp: Comp::None, deletes: empty(), inserts: offsets(vec![row_var(10, "a"), row_var(11, "bc")]) },
                // An empty fixed-size list (as the builder makes it when no row is pushed).
                QuSpec { comp: Comp::None, deletes: fixed(8, vec![]), inserts: empty() },
                // Zero-length rows in a row-offsets list (repeated offsets).
                QuSpec { comp: Comp::Gzip, deletes: empty(), inserts: offsets(vec![vec![], vec![], b"x".to_vec(), vec![]]) },
                QuSpec { comp: Comp::Brotli, deletes: fixed(8, vec![]), inserts: empty() },
            ],
        },
        TableSpec {
            id: 0,
            name: "".into(),
            queries: vec![QuSpec {
                comp: Comp::None,
                deletes: offsets((0..50).map(|i| row_var(i, &"z".repeat(i as usize))).collect()),
                inserts: fixed(4, (0..200u32).map(|i| i.to_le_bytes().to_vec()).collect()),
            }],
        },
    ]
}

fn ident(seed: u8) -> Identity {
    let mut b = [0u8; 32];
    for (i, x) in b.iter_mut().enumerate() {
        *x = seed.wrapping_add(i as u8).wrapping_mul(31);
    }
    Identity::from_byte_array(b)
}

fn encode(msg: &ws::ServerMessage<BsatnFormat>) -> Vec<u8> {
    bsatn::to_vec(msg).unwrap()
}

fn frame(tag: u8, body: &[u8]) -> Bytes {
    let mut f = vec![tag];
    match tag {
        0 => f.extend_from_slice(body),
        1 => f.extend_from_slice(&brotli(body)),
        2 => f.extend_from_slice(&gzip(body)),
        _ => unreachable!(),
    }
    Bytes::from(f)
}

/// Decodes `body` framed with each compression tag; all three must agree (checked by `check`).
fn decode_all_framings(body: &[u8], check: impl Fn(&ServerMessage)) {
    for tag in [0u8, 1, 2] {
        let (msg, size) = decode_frame_sized(frame(tag, body), LIMITS).unwrap_or_else(|e| panic!("frame tag {tag}: {e}"));
        assert_eq!(size, body.len(), "decompressed size, frame tag {tag}");
        check(&msg);
    }
    // And the unframed entry point.
    check(&decode_message(Bytes::copy_from_slice(body), LIMITS).unwrap());
}

// ------------------------------------------------------------------------------------------------
// Comparing.

fn check_list(got: &RowList, want: &ListSpec, what: &str) {
    assert_eq!(got.len(), want.rows.len(), "{what}: row count");
    assert_eq!(got.is_empty(), want.rows.is_empty(), "{what}: is_empty");
    assert_eq!(got.data_len(), want.rows.iter().map(Vec::len).sum::<usize>(), "{what}: data length");
    for (i, (g, w)) in got.iter().zip(&want.rows).enumerate() {
        assert_eq!(g, &w[..], "{what}: row {i}");
        assert_eq!(got.get(i), &w[..], "{what}: get({i})");
        assert_eq!(&got.data()[got.range(i)], &w[..], "{what}: range({i})");
    }
}

fn check_table_queries(got: &TableUpdate, want: &TableSpec) {
    assert_eq!(got.queries.len(), want.queries.len(), "table {}: query update count", want.name);
    for (i, (g, w)) in got.queries.iter().zip(&want.queries).enumerate() {
        check_list(&g.deletes, &w.deletes, &format!("table {} query {i} deletes", want.name));
        check_list(&g.inserts, &w.inserts, &format!("table {} query {i} inserts", want.name));
    }
    let rows: usize = want.queries.iter().map(|q| q.deletes.rows.len() + q.inserts.rows.len()).sum();
    assert_eq!(got.num_rows(), rows);
}

fn check_db(got: &DatabaseUpdate, want: &[TableSpec]) {
    assert_eq!(got.tables.len(), want.len(), "table count");
    for (g, w) in got.tables.iter().zip(want) {
        assert_eq!(g.table_id, w.id);
        assert_eq!(g.table_name, w.name);
        check_table_queries(g, w);
    }
    assert_eq!(
        got.num_rows(),
        want.iter().flat_map(|t| &t.queries).map(|q| q.deletes.rows.len() + q.inserts.rows.len()).sum::<usize>()
    );
}

// ------------------------------------------------------------------------------------------------
// Every variant, round-tripped through the official encoder.

#[test]
fn initial_subscription() {
    let tables = sample_tables();
    let body = encode(&ws::ServerMessage::InitialSubscription(ws::InitialSubscription {
        database_update: build_db(&tables),
        request_id: 0xDEAD_BEEF,
        total_host_execution_duration: TimeDuration::from_micros(-12345),
    }));
    decode_all_framings(&body, |m| match m {
        ServerMessage::InitialSubscription { update, request_id, host_duration } => {
            assert_eq!(m.kind(), "InitialSubscription");
            check_db(update, &tables);
            assert_eq!(*request_id, 0xDEAD_BEEF);
            assert_eq!(*host_duration, TimeDuration::from_micros(-12345));
        }
        other => panic!("wrong variant {}", other.kind()),
    });
}

#[test]
fn initial_subscription_empty() {
    let body = encode(&ws::ServerMessage::InitialSubscription(ws::InitialSubscription {
        database_update: ws::DatabaseUpdate { tables: vec![] },
        request_id: 0,
        total_host_execution_duration: TimeDuration::from_micros(0),
    }));
    decode_all_framings(&body, |m| match m {
        ServerMessage::InitialSubscription { update, request_id: 0, .. } => assert!(update.tables.is_empty()),
        other => panic!("wrong variant {other:?}"),
    });
}

fn tx_update(status: ws::UpdateStatus<BsatnFormat>, args: &[u8]) -> ws::ServerMessage<BsatnFormat> {
    ws::ServerMessage::TransactionUpdate(ws::TransactionUpdate {
        status,
        timestamp: Timestamp::from_micros_since_unix_epoch(1_717_171_717_171_717),
        caller_identity: ident(7),
        caller_connection_id: ConnectionId::from_u128(0x0011_2233_4455_6677_8899_aabb_ccdd_eeff),
        reducer_call: ws::ReducerCallInfo { reducer_name: "add_player".into(), reducer_id: 3, args: args.into(), request_id: 77 },
        energy_quanta_used: EnergyQuanta { quanta: u128::MAX - 5 },
        total_host_execution_duration: TimeDuration::from_micros(987_654),
    })
}

fn check_tx_common(tu: &stdb_client::protocol::server_message::TransactionUpdate, args: &[u8]) {
    assert_eq!(tu.timestamp, Timestamp::from_micros_since_unix_epoch(1_717_171_717_171_717));
    assert_eq!(tu.caller_identity, ident(7));
    assert_eq!(tu.caller_connection_id, ConnectionId::from_u128(0x0011_2233_4455_6677_8899_aabb_ccdd_eeff));
    assert_eq!(tu.reducer_name, "add_player");
    assert_eq!(tu.reducer_id, 3);
    assert_eq!(&tu.args[..], args);
    assert_eq!(tu.request_id, 77);
    assert_eq!(tu.energy_quanta_used, u128::MAX - 5);
    assert_eq!(tu.host_duration, TimeDuration::from_micros(987_654));
}

#[test]
fn transaction_update_committed() {
    let tables = sample_tables();
    let args = [1u8, 0, 0, 0, b'x', 42, 0, 0, 0];
    let body = encode(&tx_update(ws::UpdateStatus::Committed(build_db(&tables)), &args));
    decode_all_framings(&body, |m| match m {
        ServerMessage::TransactionUpdate(tu) => {
            check_tx_common(tu, &args);
            match &tu.status {
                UpdateStatus::Committed(update) => check_db(update, &tables),
                other => panic!("wrong status {other:?}"),
            }
        }
        other => panic!("wrong variant {}", other.kind()),
    });
}

#[test]
fn transaction_update_committed_empty_and_empty_args() {
    let body = encode(&tx_update(ws::UpdateStatus::Committed(ws::DatabaseUpdate { tables: vec![] }), &[]));
    decode_all_framings(&body, |m| match m {
        ServerMessage::TransactionUpdate(tu) => {
            check_tx_common(tu, &[]);
            assert!(matches!(&tu.status, UpdateStatus::Committed(u) if u.tables.is_empty()));
        }
        other => panic!("wrong variant {}", other.kind()),
    });
}

#[test]
fn transaction_update_failed() {
    let body = encode(&tx_update(ws::UpdateStatus::Failed("boom: ünïcödé ✓".into()), b"\x05\x00\x00\x00hello"));
    decode_all_framings(&body, |m| match m {
        ServerMessage::TransactionUpdate(tu) => {
            check_tx_common(tu, b"\x05\x00\x00\x00hello");
            assert!(matches!(&tu.status, UpdateStatus::Failed(s) if s == "boom: ünïcödé ✓"), "{:?}", tu.status);
        }
        other => panic!("wrong variant {}", other.kind()),
    });
}

#[test]
fn transaction_update_out_of_energy() {
    let body = encode(&tx_update(ws::UpdateStatus::OutOfEnergy, &[9; 300]));
    decode_all_framings(&body, |m| match m {
        ServerMessage::TransactionUpdate(tu) => {
            check_tx_common(tu, &[9; 300]);
            assert!(matches!(tu.status, UpdateStatus::OutOfEnergy));
        }
        other => panic!("wrong variant {}", other.kind()),
    });
}

#[test]
fn transaction_update_light() {
    let tables = sample_tables();
    let body = encode(&ws::ServerMessage::TransactionUpdateLight(ws::TransactionUpdateLight {
        request_id: 123_456,
        update: build_db(&tables),
    }));
    decode_all_framings(&body, |m| match m {
        ServerMessage::TransactionUpdateLight { request_id, update } => {
            assert_eq!(*request_id, 123_456);
            check_db(update, &tables);
        }
        other => panic!("wrong variant {}", other.kind()),
    });
}

#[test]
fn identity_token() {
    let token = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.sig";
    let body = encode(&ws::ServerMessage::IdentityToken(ws::IdentityToken {
        identity: ident(200),
        token: token.into(),
        connection_id: ConnectionId::from_u128(u128::MAX / 3),
    }));
    decode_all_framings(&body, |m| match m {
        ServerMessage::IdentityToken { identity, token: t, connection_id } => {
            assert_eq!(*identity, ident(200));
            assert_eq!(t, token);
            assert_eq!(*connection_id, ConnectionId::from_u128(u128::MAX / 3));
        }
        other => panic!("wrong variant {}", other.kind()),
    });
}

#[test]
fn one_off_query_response_rows() {
    let lists = [
        ("player", fixed(8, vec![row_fixed(1, 2), row_fixed(3, 4)])),
        ("msg", offsets(vec![row_var(1, "hi"), row_var(2, "")])),
        ("none", empty()),
    ];
    let body = encode(&ws::ServerMessage::OneOffQueryResponse(ws::OneOffQueryResponse {
        message_id: vec![0xde, 0xad, 0, 1].into(),
        error: None,
        tables: lists
            .iter()
            .map(|(n, l)| ws::OneOffTable { table_name: (*n).into(), rows: build_list(l) })
            .collect::<Vec<_>>()
            .into(),
        total_host_execution_duration: TimeDuration::from_micros(55),
    }));
    decode_all_framings(&body, |m| match m {
        ServerMessage::OneOffQueryResponse(r) => {
            assert_eq!(&r.message_id[..], &[0xde, 0xad, 0, 1]);
            assert_eq!(r.error, None);
            assert_eq!(r.tables.len(), lists.len());
            for ((name, rows), (want_name, want)) in r.tables.iter().zip(&lists) {
                assert_eq!(name, want_name);
                check_list(rows, want, name);
            }
            assert_eq!(r.host_duration, TimeDuration::from_micros(55));
        }
        other => panic!("wrong variant {}", other.kind()),
    });
}

#[test]
fn one_off_query_response_error() {
    let body = encode(&ws::ServerMessage::OneOffQueryResponse(ws::OneOffQueryResponse {
        message_id: Vec::new().into(),
        error: Some("no such table `x`".into()),
        tables: Vec::new().into(),
        total_host_execution_duration: TimeDuration::from_micros(1),
    }));
    decode_all_framings(&body, |m| match m {
        ServerMessage::OneOffQueryResponse(r) => {
            assert!(r.message_id.is_empty());
            assert_eq!(r.error.as_deref(), Some("no such table `x`"));
            assert!(r.tables.is_empty());
            assert_eq!(r.host_duration, TimeDuration::from_micros(1));
        }
        other => panic!("wrong variant {}", other.kind()),
    });
}

fn subscribe_rows(t: &TableSpec) -> ws::SubscribeRows<BsatnFormat> {
    ws::SubscribeRows { table_id: TableId(t.id), table_name: t.name.as_str().into(), table_rows: build_table(t) }
}

#[test]
fn subscribe_applied_and_unsubscribe_applied() {
    for t in sample_tables() {
        let applied = encode(&ws::ServerMessage::SubscribeApplied(ws::SubscribeApplied {
            request_id: 5,
            total_host_execution_duration_micros: 66,
            query_id: ws::QueryId::new(8),
            rows: subscribe_rows(&t),
        }));
        decode_all_framings(&applied, |m| match m {
            ServerMessage::SubscribeApplied { request_id: 5, query_id: 8, table_name, update } => {
                assert_eq!(table_name, &t.name);
                assert_eq!(update.table_id, t.id);
                check_table_queries(update, &t);
            }
            other => panic!("wrong variant {other:?}"),
        });
        let unapplied = encode(&ws::ServerMessage::UnsubscribeApplied(ws::UnsubscribeApplied {
            request_id: u32::MAX,
            total_host_execution_duration_micros: u64::MAX,
            query_id: ws::QueryId::new(0),
            rows: subscribe_rows(&t),
        }));
        decode_all_framings(&unapplied, |m| match m {
            ServerMessage::UnsubscribeApplied { request_id: u32::MAX, query_id: 0, table_name, update } => {
                assert_eq!(table_name, &t.name);
                assert_eq!(update.table_id, t.id);
                check_table_queries(update, &t);
            }
            other => panic!("wrong variant {other:?}"),
        });
    }
}

#[test]
fn subscription_error_some_and_none() {
    let cases = [
        (Some(2u32), Some(3u32), Some(4u32), "bad query"),
        (None, None, None, ""),
        (Some(0), None, Some(u32::MAX), "x"),
        (None, Some(9), None, "ошибка"),
    ];
    for (request_id, query_id, table_id, error) in cases {
        let body = encode(&ws::ServerMessage::SubscriptionError(ws::SubscriptionError {
            total_host_execution_duration_micros: 1234,
            request_id,
            query_id,
            table_id: table_id.map(TableId),
            error: error.into(),
        }));
        decode_all_framings(&body, |m| match m {
            ServerMessage::SubscriptionError(e) => {
                assert_eq!(e.host_duration_micros, 1234);
                assert_eq!(e.request_id, request_id);
                assert_eq!(e.query_id, query_id);
                assert_eq!(e.table_id, table_id);
                assert_eq!(e.error, error);
            }
            other => panic!("wrong variant {}", other.kind()),
        });
    }
}

#[test]
fn subscribe_multi_applied_and_unsubscribe_multi_applied() {
    let tables = sample_tables();
    let body = encode(&ws::ServerMessage::SubscribeMultiApplied(ws::SubscribeMultiApplied {
        request_id: 41,
        total_host_execution_duration_micros: 4242,
        query_id: ws::QueryId::new(43),
        update: build_db(&tables),
    }));
    decode_all_framings(&body, |m| match m {
        ServerMessage::SubscribeMultiApplied { request_id, query_id, host_duration_micros, update } => {
            assert_eq!((*request_id, *query_id, *host_duration_micros), (41, 43, 4242));
            check_db(update, &tables);
        }
        other => panic!("wrong variant {}", other.kind()),
    });
    let body = encode(&ws::ServerMessage::UnsubscribeMultiApplied(ws::UnsubscribeMultiApplied {
        request_id: 51,
        total_host_execution_duration_micros: 5252,
        query_id: ws::QueryId::new(53),
        update: build_db(&tables[..1]),
    }));
    decode_all_framings(&body, |m| match m {
        ServerMessage::UnsubscribeMultiApplied { request_id, query_id, host_duration_micros, update } => {
            assert_eq!((*request_id, *query_id, *host_duration_micros), (51, 53, 5252));
            check_db(update, &tables[..1]);
        }
        other => panic!("wrong variant {}", other.kind()),
    });
}

/// A compressed query update can be as small as 5 bytes on the wire (tag + length + body), so the
/// decoder's count check must not demand more; here the table update ends the message.
#[test]
fn smallest_compressed_query_updates_at_end_of_message() {
    let t = TableSpec {
        id: 1,
        name: "t".into(),
        queries: vec![QuSpec { comp: Comp::Brotli, deletes: empty(), inserts: empty() }; 3],
    };
    let body = encode(&ws::ServerMessage::SubscribeApplied(ws::SubscribeApplied {
        request_id: 1,
        total_host_execution_duration_micros: 2,
        query_id: ws::QueryId::new(3),
        rows: subscribe_rows(&t),
    }));
    decode_all_framings(&body, |m| match m {
        ServerMessage::SubscribeApplied { update, .. } => check_table_queries(update, &t),
        other => panic!("wrong variant {other:?}"),
    });
}

// ------------------------------------------------------------------------------------------------
// The byte examples of the protocol notes, §7.

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(|c| !c.is_whitespace() && *c != '|').collect();
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

fn le_u32(v: u32) -> Vec<u8> {
    v.to_le_bytes().to_vec()
}

#[test]
fn client_messages_match_section_7() {
    assert_eq!(
        call_reducer("add", &[1, 0, 0, 0, 0x78], 7, CallReducerFlags::FullUpdate),
        hex("00 | 03 00 00 00 61 64 64 | 05 00 00 00 01 00 00 00 78 | 07 00 00 00 | 00")
    );
    assert_eq!(
        call_reducer("add", &[1, 0, 0, 0, 0x78], 7, CallReducerFlags::NoSuccessNotify),
        hex("00 | 03 00 00 00 61 64 64 | 05 00 00 00 01 00 00 00 78 | 07 00 00 00 | 01")
    );
    let mut want = hex("04 | 01 00 00 00 0f 00 00 00");
    want.extend_from_slice(b"SELECT * FROM t");
    want.extend_from_slice(&hex("02 00 00 00 | 05 00 00 00"));
    assert_eq!(subscribe_multi(&["SELECT * FROM t".to_string()], 2, 5), want);
    assert_eq!(unsubscribe_multi(3, 5), hex("06 03 00 00 00 05 00 00 00"));

    // Several queries, and none.
    let mut want = hex("04 02 00 00 00");
    for q in ["a", "bc"] {
        want.extend(le_u32(q.len() as u32));
        want.extend_from_slice(q.as_bytes());
    }
    want.extend(le_u32(u32::MAX));
    want.extend(le_u32(0));
    assert_eq!(subscribe_multi(&["a".into(), "bc".into()], u32::MAX, 0), want);
    assert_eq!(subscribe_multi(&[], 1, 1), hex("04 00000000 01000000 01000000"));

    // OneOffQuery (§3.1): tag 2, message_id bytes, query string.
    let mut want = hex("02 | 03 00 00 00 aa bb cc | 0f 00 00 00");
    want.extend_from_slice(b"SELECT * FROM t");
    assert_eq!(one_off_query(&[0xaa, 0xbb, 0xcc], "SELECT * FROM t"), want);
    assert_eq!(one_off_query(&[], ""), hex("02 00000000 00000000"));
}

#[test]
fn identity_token_matches_section_7() {
    let identity = Identity::from_hex("c200000000000000000000000000000000000000000000000000000000000001").unwrap();
    let connection_id = ConnectionId::from_hex("00112233445566778899aabbccddeeff").unwrap();
    let mut id_bytes = vec![0x01];
    id_bytes.extend([0u8; 30]);
    id_bytes.push(0xc2);
    let cid_bytes = hex("ff ee dd cc bb aa 99 88 77 66 55 44 33 22 11 00");
    let mut want = vec![0x03];
    want.extend(&id_bytes);
    want.extend(hex("03 00 00 00 74 6f 6b"));
    want.extend(&cid_bytes);
    let official = encode(&ws::ServerMessage::IdentityToken(ws::IdentityToken { identity, token: "tok".into(), connection_id }));
    assert_eq!(official, want);

    let mut f = vec![0u8];
    f.extend(&want);
    match decode_frame(f.into(), LIMITS).unwrap() {
        ServerMessage::IdentityToken { identity: i, token, connection_id: c } => {
            assert_eq!(i, identity);
            assert_eq!(i.to_byte_array().to_vec(), id_bytes);
            assert_eq!(token, "tok");
            assert_eq!(c, connection_id);
            assert_eq!(c.as_le_byte_array().to_vec(), cid_bytes);
        }
        other => panic!("wrong variant {}", other.kind()),
    }
}

fn decode_row_list(bytes: &[u8]) -> Result<RowList, DecodeError> {
    let mut r = Reader::new(Bytes::copy_from_slice(bytes));
    let list = RowList::decode(&mut r)?;
    r.finish("test")?;
    Ok(list)
}

#[test]
fn row_lists_match_section_7() {
    let fixed_bytes = hex("00 04 00 | 08 00 00 00 | 01 00 00 00 02 00 00 00");
    let mut b = BsatnRowListBuilder::fixed(4);
    b.push(&1u32.to_le_bytes());
    b.push(&2u32.to_le_bytes());
    assert_eq!(bsatn::to_vec(&b.finish()).unwrap(), fixed_bytes);
    let l = decode_row_list(&fixed_bytes).unwrap();
    assert_eq!(l.iter().collect::<Vec<_>>(), vec![&[1u8, 0, 0, 0][..], &[2, 0, 0, 0]]);

    let offsets_bytes = hex(
        "01 | 02 00 00 00 | 00 00 00 00 00 00 00 00  05 00 00 00 00 00 00 00 | 0b 00 00 00 | 01 00 00 00 61 02 00 00 00 62 63",
    );
    let mut b = BsatnRowListBuilder::row_offsets();
    b.push(&hex("01 00 00 00 61"));
    b.push(&hex("02 00 00 00 62 63"));
    assert_eq!(bsatn::to_vec(&b.finish()).unwrap(), offsets_bytes);
    let l = decode_row_list(&offsets_bytes).unwrap();
    assert_eq!(l.len(), 2);
    assert_eq!(l.get(0), &hex("01 00 00 00 61")[..]);
    assert_eq!(l.get(1), &hex("02 00 00 00 62 63")[..]);

    let empty_bytes = hex("01 00 00 00 00 00 00 00 00");
    assert_eq!(bsatn::to_vec(&<BsatnRowList>::row_offsets()).unwrap(), empty_bytes);
    let l = decode_row_list(&empty_bytes).unwrap();
    assert!(l.is_empty());
    assert_eq!(l.iter().count(), 0);
}

/// The §7 TransactionUpdate layout, written out by hand, with concrete values for the tail.
fn section_7_transaction_update() -> Vec<u8> {
    let mut m = hex("01 | 00 | 01 00 00 00 | 01 10 00 00 | 01 00 00 00 74 | 02 00 00 00 00 00 00 00 | 01 00 00 00 | 00");
    m.extend(hex("01 00000000 00000000")); // deletes: empty list
    m.extend(hex("00 04 00 | 08 00 00 00 | 01 00 00 00 02 00 00 00")); // inserts: fixed list [1, 2]
    m.extend(1_000_000i64.to_le_bytes()); // timestamp
    m.extend(ident(1).to_byte_array()); // caller identity
    m.extend(42u128.to_le_bytes()); // caller connection id
    m.extend(hex("01 00 00 00 72")); // "r"
    m.extend(le_u32(6)); // reducer id
    m.extend(hex("00 00 00 00")); // args
    m.extend(le_u32(9)); // request id
    m.extend(1000u128.to_le_bytes()); // energy
    m.extend(250i64.to_le_bytes()); // duration
    m
}

#[test]
fn transaction_update_matches_section_7() {
    let bytes = section_7_transaction_update();
    let official = encode(&ws::ServerMessage::TransactionUpdate(ws::TransactionUpdate {
        status: ws::UpdateStatus::Committed(build_db(&[TableSpec {
            id: 4097,
            name: "t".into(),
            queries: vec![QuSpec { comp: Comp::None, deletes: empty(), inserts: fixed(4, vec![le_u32(1), le_u32(2)]) }],
        }])),
        timestamp: Timestamp::from_micros_since_unix_epoch(1_000_000),
        caller_identity: ident(1),
        caller_connection_id: ConnectionId::from_u128(42),
        reducer_call: ws::ReducerCallInfo { reducer_name: "r".into(), reducer_id: 6, args: Vec::new().into(), request_id: 9 },
        energy_quanta_used: EnergyQuanta { quanta: 1000 },
        total_host_execution_duration: TimeDuration::from_micros(250),
    }));
    assert_eq!(official, bytes);
    let ServerMessage::TransactionUpdate(tu) = decode_message(bytes.into(), LIMITS).unwrap() else { panic!() };
    let UpdateStatus::Committed(db) = &tu.status else { panic!("{:?}", tu.status) };
    assert_eq!(db.tables.len(), 1);
    assert_eq!((db.tables[0].table_id, db.tables[0].table_name.as_str()), (4097, "t"));
    assert_eq!(db.tables[0].queries.len(), 1);
    assert!(db.tables[0].queries[0].deletes.is_empty());
    assert_eq!(db.tables[0].queries[0].inserts.iter().collect::<Vec<_>>(), vec![&le_u32(1)[..], &le_u32(2)[..]]);
    assert_eq!(tu.timestamp, Timestamp::from_micros_since_unix_epoch(1_000_000));
    assert_eq!(tu.caller_identity, ident(1));
    assert_eq!(tu.caller_connection_id, ConnectionId::from_u128(42));
    assert_eq!((tu.reducer_name.as_str(), tu.reducer_id, tu.request_id), ("r", 6, 9));
    assert!(tu.args.is_empty());
    assert_eq!(tu.energy_quanta_used, 1000);
    assert_eq!(tu.host_duration, TimeDuration::from_micros(250));
}

#[test]
fn failed_status_and_subscription_error_match_section_7() {
    let official = encode(&tx_update(ws::UpdateStatus::Failed("boom".into()), &[]));
    assert!(official.starts_with(&hex("01 | 01 | 04 00 00 00 62 6f 6f 6d")));

    let bytes = hex("07 | 09 00 00 00 00 00 00 00 | 00 02 00 00 00 | 01 | 01 | 01 00 00 00 65");
    let official = encode(&ws::ServerMessage::SubscriptionError(ws::SubscriptionError {
        total_host_execution_duration_micros: 9,
        request_id: Some(2),
        query_id: None,
        table_id: None,
        error: "e".into(),
    }));
    assert_eq!(official, bytes);
    let ServerMessage::SubscriptionError(e) = decode_message(bytes.into(), LIMITS).unwrap() else { panic!() };
    assert_eq!((e.host_duration_micros, e.request_id, e.query_id, e.table_id), (9, Some(2), None, None));
    assert_eq!(e.error, "e");
}

#[test]
fn scalar_examples_match_section_7() {
    assert_eq!(bsatn::to_vec(&Some(5u8)).unwrap(), hex("00 05"));
    assert_eq!(bsatn::to_vec(&None::<u8>).unwrap(), hex("01"));
    assert_eq!(bsatn::to_vec(&1.0f32).unwrap(), hex("00 00 80 3f"));
    assert_eq!(bsatn::to_vec(&true).unwrap(), hex("01"));
    let at = spacetimedb_lib::ScheduleAt::Time(Timestamp::from_micros_since_unix_epoch(1));
    assert_eq!(bsatn::to_vec(&at).unwrap(), hex("01 01 00 00 00 00 00 00 00"));
}

// ------------------------------------------------------------------------------------------------
// Hostile input.

fn err(frame: &[u8]) -> DecodeError {
    match decode_frame(Bytes::copy_from_slice(frame), LIMITS) {
        Ok(m) => panic!("decoded a malformed frame as {m:?}"),
        Err(e) => {
            let _ = e.to_string(); // Display must not panic either
            e
        }
    }
}

fn framed(body: &[u8]) -> Vec<u8> {
    let mut f = vec![0u8];
    f.extend_from_slice(body);
    f
}

/// A few valid encodings, each with all three frame compressions.
fn corpus() -> Vec<Vec<u8>> {
    let tables = sample_tables();
    let small = vec![TableSpec {
        id: 7,
        name: "t".into(),
        queries: vec![
            QuSpec { comp: Comp::None, deletes: fixed(8, vec![row_fixed(1, 1)]), inserts: offsets(vec![row_var(1, "ab")]) },
            QuSpec { comp: Comp::Gzip, deletes: empty(), inserts: fixed(8, vec![row_fixed(2, 2)]) },
            QuSpec { comp: Comp::Brotli, deletes: offsets(vec![row_var(3, "c")]), inserts: empty() },
        ],
    }];
    let bodies = vec![
        encode(&tx_update(ws::UpdateStatus::Committed(build_db(&small)), b"args")),
        encode(&tx_update(ws::UpdateStatus::Failed("no".into()), &[])),
        encode(&tx_update(ws::UpdateStatus::OutOfEnergy, &[1])),
        encode(&ws::ServerMessage::InitialSubscription(ws::InitialSubscription {
            database_update: build_db(&tables[2..3]),
            request_id: 1,
            total_host_execution_duration: TimeDuration::from_micros(1),
        })),
        encode(&ws::ServerMessage::TransactionUpdateLight(ws::TransactionUpdateLight {
            request_id: 2,
            update: build_db(&small),
        })),
        encode(&ws::ServerMessage::IdentityToken(ws::IdentityToken {
            identity: ident(3),
            token: "tok".into(),
            connection_id: ConnectionId::from_u128(5),
        })),
        encode(&ws::ServerMessage::OneOffQueryResponse(ws::OneOffQueryResponse {
            message_id: vec![1, 2].into(),
            error: Some("e".into()),
            tables: vec![ws::OneOffTable { table_name: "t".into(), rows: build_list(&offsets(vec![row_var(1, "x")])) }].into(),
            total_host_execution_duration: TimeDuration::from_micros(3),
        })),
        encode(&ws::ServerMessage::SubscribeApplied(ws::SubscribeApplied {
            request_id: 1,
            total_host_execution_duration_micros: 2,
            query_id: ws::QueryId::new(3),
            rows: subscribe_rows(&small[0]),
        })),
        encode(&ws::ServerMessage::SubscriptionError(ws::SubscriptionError {
            total_host_execution_duration_micros: 1,
            request_id: Some(1),
            query_id: None,
            table_id: Some(TableId(3)),
            error: "bad".into(),
        })),
        encode(&ws::ServerMessage::UnsubscribeMultiApplied(ws::UnsubscribeMultiApplied {
            request_id: 1,
            total_host_execution_duration_micros: 2,
            query_id: ws::QueryId::new(3),
            update: build_db(&small),
        })),
    ];
    let mut out = Vec::new();
    for b in bodies {
        for tag in [0u8, 1, 2] {
            out.push(frame(tag, &b).to_vec());
        }
    }
    out
}

#[test]
fn corpus_is_valid() {
    for f in corpus() {
        decode_frame(f.into(), LIMITS).unwrap();
    }
}

#[test]
fn truncated_at_every_position_is_an_error() {
    for f in corpus() {
        for len in 0..f.len() {
            let e = err(&f[..len]);
            if f[0] == 0 {
                // Uncompressed: the error must say the input ran out.
                assert!(matches!(e.kind, DecodeErrorKind::Truncated { .. }), "len {len}: {e}");
            }
        }
    }
    assert!(matches!(err(&[]).kind, DecodeErrorKind::Truncated { needed: 1, available: 0 }));
}

#[test]
fn trailing_bytes_are_an_error() {
    for f in corpus().into_iter().step_by(3) {
        let mut f = f.clone();
        f.push(0);
        assert!(matches!(err(&f).kind, DecodeErrorKind::TrailingBytes(1)));
        f.extend_from_slice(&[1, 2, 3]);
        assert!(matches!(err(&f).kind, DecodeErrorKind::TrailingBytes(4)));
    }
    // Also after a compressed message body.
    let body = encode(&ws::ServerMessage::IdentityToken(ws::IdentityToken {
        identity: ident(1),
        token: "t".into(),
        connection_id: ConnectionId::from_u128(1),
    }));
    let mut padded = body.clone();
    padded.push(0xaa);
    for tag in [1u8, 2] {
        assert!(matches!(err(&frame(tag, &padded)).kind, DecodeErrorKind::TrailingBytes(1)));
    }
    // And inside a nested compressed query update.
    let qu = ws::QueryUpdate::<BsatnFormat> { deletes: build_list(&empty()), inserts: build_list(&empty()) };
    let mut inner = bsatn::to_vec(&qu).unwrap();
    inner.push(7);
    for nested in
        [ws::CompressableQueryUpdate::Gzip(gzip(&inner).into()), ws::CompressableQueryUpdate::Brotli(brotli(&inner).into())]
    {
        let body = encode(&ws::ServerMessage::TransactionUpdateLight(ws::TransactionUpdateLight {
            request_id: 1,
            update: ws::DatabaseUpdate {
                tables: vec![ws::TableUpdate {
                    table_id: TableId(1),
                    table_name: "t".into(),
                    num_rows: 0,
                    updates: vec![nested].into(),
                }],
            },
        }));
        assert!(matches!(err(&framed(&body)).kind, DecodeErrorKind::TrailingBytes(1)));
    }
}

#[test]
fn unknown_tags_are_errors() {
    // Frame compression tag.
    for tag in [3u8, 4, 0x80, 0xff] {
        assert!(matches!(err(&[tag, 3, 0]).kind, DecodeErrorKind::InvalidTag(t) if t == tag));
    }
    // Message tag.
    for tag in [10u8, 11, 0x7f, 0xff] {
        let e = err(&[0, tag, 0, 0, 0, 0, 0, 0, 0, 0]);
        assert!(matches!(e.kind, DecodeErrorKind::InvalidTag(t) if t == tag), "{e}");
    }
    // Update status tag.
    let mut tx = section_7_transaction_update();
    tx[1] = 3;
    assert!(matches!(err(&framed(&tx)).kind, DecodeErrorKind::InvalidTag(3)));
    // Query update compression tag (index 27 of the §7 message is the Uncompressed tag).
    let mut tx = section_7_transaction_update();
    assert_eq!(tx[27], 0);
    tx[27] = 3;
    assert!(matches!(err(&framed(&tx)).kind, DecodeErrorKind::InvalidTag(3)));
    // Row list layout tag.
    let mut tx = section_7_transaction_update();
    tx[28] = 2;
    assert!(matches!(err(&framed(&tx)).kind, DecodeErrorKind::InvalidTag(2)));
    // Option tag in a SubscriptionError.
    let bad = hex("07 | 09 00 00 00 00 00 00 00 | 02 02 00 00 00 | 01 | 01 | 01 00 00 00 65");
    assert!(matches!(err(&framed(&bad)).kind, DecodeErrorKind::InvalidTag(2)));
    let bad = hex("07 | 09 00 00 00 00 00 00 00 | 01 | 01 | 05 | 01 00 00 00 65");
    assert!(matches!(err(&framed(&bad)).kind, DecodeErrorKind::InvalidTag(5)));
    // Option tag in a OneOffQueryResponse.
    let bad = hex("04 | 00 00 00 00 | 02 | 00 00 00 00 | 00 00 00 00 00 00 00 00");
    assert!(matches!(err(&framed(&bad)).kind, DecodeErrorKind::InvalidTag(2)));
}

#[test]
fn invalid_utf8_is_an_error() {
    // The token of an IdentityToken.
    let mut m = vec![0u8, 3];
    m.extend([1u8; 32]);
    m.extend(hex("03 00 00 00 ff fe 61"));
    m.extend([2u8; 16]);
    assert!(matches!(err(&m).kind, DecodeErrorKind::InvalidUtf8));
    // A lone continuation byte in a reducer name, an overlong encoding in a failure message,
    // a surrogate in a table name.
    let tx = section_7_transaction_update();
    let name_at = tx.len() - (4 + 4 + 4 + 16 + 8) - 1; // the "r" of the reducer name
    assert_eq!(tx[name_at], b'r');
    let mut bad = tx.clone();
    bad[name_at] = 0x80;
    assert!(matches!(err(&framed(&bad)).kind, DecodeErrorKind::InvalidUtf8));
    let failed = hex("01 | 01 | 02 00 00 00 c0 80");
    let mut bad = failed.clone();
    bad.extend_from_slice(&tx[tx.len() - (8 + 32 + 16 + 5 + 4 + 4 + 4 + 16 + 8)..]);
    assert!(matches!(err(&framed(&bad)).kind, DecodeErrorKind::InvalidUtf8));
    let mut bad = tx.clone();
    assert_eq!(&tx[10..15], &hex("01 00 00 00 74")[..]);
    bad[10] = 3; // table name length 3
    bad.splice(14..15, hex("ed a0 80"));
    assert!(matches!(err(&framed(&bad)).kind, DecodeErrorKind::InvalidUtf8));
    // A SubscriptionError message and a one-off table name.
    let bad = hex("07 | 09 00 00 00 00 00 00 00 | 01 | 01 | 01 | 01 00 00 00 ff");
    assert!(matches!(err(&framed(&bad)).kind, DecodeErrorKind::InvalidUtf8));
    let bad = hex("04 | 00 00 00 00 | 01 | 01 00 00 00 | 01 00 00 00 c3 | 01 00000000 00000000 | 00 00 00 00 00 00 00 00");
    assert!(matches!(err(&framed(&bad)).kind, DecodeErrorKind::InvalidUtf8));
}

/// A TransactionUpdateLight with one table and one uncompressed query update whose deletes are
/// `deletes` (raw row-list bytes) and whose inserts are empty.
fn light_with_deletes(deletes: &[u8]) -> Vec<u8> {
    let mut m =
        hex("00 | 02 | 01 00 00 00 | 01 00 00 00 | 01 00 00 00 | 01 00 00 00 74 | 00 00 00 00 00 00 00 00 | 01 00 00 00 | 00");
    m.extend_from_slice(deletes);
    m.extend(hex("01 00000000 00000000"));
    m
}

#[test]
fn light_with_deletes_helper_is_valid() {
    let m = light_with_deletes(&hex("00 04 00 | 08 00 00 00 | 01 00 00 00 02 00 00 00"));
    let ServerMessage::TransactionUpdateLight { update, .. } = decode_frame(m.into(), LIMITS).unwrap() else { panic!() };
    assert_eq!(update.tables[0].queries[0].deletes.len(), 2);
}

#[test]
fn hostile_counts_are_errors_without_allocating() {
    let start = std::time::Instant::now();
    let huge = [0xffu8, 0xff, 0xff, 0xff];
    // Row offsets count.
    let e = err(&light_with_deletes(&hex("01 ff ff ff ff 00 00 00 00")));
    assert!(matches!(e.kind, DecodeErrorKind::Truncated { .. }), "{e}");
    // Row offsets count one more than present (the next fields are then read as an offset).
    let _ = err(&light_with_deletes(&hex("01 02 00 00 00 | 00 00 00 00 00 00 00 00 | 01 00 00 00 | 61")));
    // Row data length.
    let e = err(&light_with_deletes(&hex("00 04 00 ff ff ff ff 01 00 00 00")));
    assert!(matches!(e.kind, DecodeErrorKind::Truncated { .. }), "{e}");
    let e = err(&light_with_deletes(&hex("01 00 00 00 00 ff ff ff ff")));
    assert!(matches!(e.kind, DecodeErrorKind::Truncated { .. }), "{e}");
    // Table count, query update count, one-off table count, message id and string lengths.
    let mut m = hex("00 02 01 00 00 00");
    m.extend(huge);
    assert!(matches!(err(&m).kind, DecodeErrorKind::Truncated { .. }));
    let mut m = hex("00 02 01 00 00 00 | 01 00 00 00 | 01 00 00 00 | 01 00 00 00 74 | 00 00 00 00 00 00 00 00");
    m.extend(huge);
    m.extend([0u8; 64]);
    assert!(matches!(err(&m).kind, DecodeErrorKind::Truncated { .. }));
    let mut m = hex("00 04 | 00 00 00 00 | 01");
    m.extend(huge);
    m.extend([0u8; 64]);
    assert!(matches!(err(&m).kind, DecodeErrorKind::Truncated { .. }));
    let mut m = hex("00 04");
    m.extend(huge);
    assert!(matches!(err(&m).kind, DecodeErrorKind::Truncated { .. }));
    let mut m = hex("00 03");
    m.extend([0u8; 32]);
    m.extend(huge);
    m.extend([0u8; 16]);
    assert!(matches!(err(&m).kind, DecodeErrorKind::Truncated { .. }));
    // A nested compressed query update claiming 4 GiB of compressed bytes.
    let mut m =
        hex("00 | 02 | 01 00 00 00 | 01 00 00 00 | 01 00 00 00 | 01 00 00 00 74 | 00 00 00 00 00 00 00 00 | 01 00 00 00 | 02");
    m.extend(huge);
    m.extend([0u8; 32]);
    assert!(matches!(err(&m).kind, DecodeErrorKind::Truncated { .. }));
    assert!(start.elapsed() < std::time::Duration::from_secs(2), "hostile counts took {:?}", start.elapsed());
}

#[test]
fn invalid_row_lists_are_errors() {
    let invalid = |deletes: &str| {
        let e = err(&light_with_deletes(&hex(deletes)));
        assert!(matches!(e.kind, DecodeErrorKind::InvalidRowList(_)), "{deletes}: {e}");
        e
    };
    // Non-monotonic offsets.
    invalid("01 03 00 00 00 | 00000000 00000000 05000000 00000000 03000000 00000000 | 08 00 00 00 | 0000000000000000");
    // First offset not zero.
    invalid("01 01 00 00 00 | 01000000 00000000 | 02 00 00 00 | 0000");
    // Offset beyond the data.
    invalid("01 02 00 00 00 | 00000000 00000000 09000000 00000000 | 08 00 00 00 | 0000000000000000");
    invalid("01 02 00 00 00 | 00000000 00000000 00000000 00000080 | 08 00 00 00 | 0000000000000000");
    // Row data without offsets.
    invalid("01 00 00 00 00 | 02 00 00 00 | 0000");
    // Fixed row size 0 with data.
    invalid("00 00 00 | 04 00 00 00 | 01020304");
    // Data length not a multiple of the fixed size.
    invalid("00 04 00 | 06 00 00 00 | 010203040506");
    invalid("00 08 00 | 04 00 00 00 | 01020304");
    invalid("00 ff ff | 01 00 00 00 | 01");

    // Boundary cases that are valid.
    let ok = |deletes: &str, rows: &[&[u8]]| {
        let m = light_with_deletes(&hex(deletes));
        let ServerMessage::TransactionUpdateLight { update, .. } = decode_frame(m.into(), LIMITS).unwrap() else { panic!() };
        let got: Vec<&[u8]> = update.tables[0].queries[0].deletes.iter().collect();
        assert_eq!(got, rows, "{deletes}");
    };
    ok("00 00 00 | 00 00 00 00", &[]); // fixed size 0, no data
    ok("00 03 00 | 00 00 00 00", &[]);
    ok("01 02 00 00 00 | 00000000 00000000 03000000 00000000 | 03 00 00 00 | 616263", &[b"abc", b""]); // last offset == len
    ok("01 02 00 00 00 | 00000000 00000000 00000000 00000000 | 02 00 00 00 | 6162", &[b"", b"ab"]);
}

#[test]
fn corrupt_compressed_bodies_are_errors() {
    let body = encode(&tx_update(ws::UpdateStatus::Committed(build_db(&sample_tables())), b"x"));
    for tag in [1u8, 2] {
        let good = frame(tag, &body).to_vec();
        // Garbage, a flipped byte in the middle, the stream cut short, an empty stream.
        let mut garbage = vec![tag];
        garbage.extend((0..200u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8));
        let _ = err(&garbage);
        // A flipped byte: gzip's CRC catches it; brotli has no checksum, so only require no panic.
        let mut flipped = good.clone();
        let mid = flipped.len() / 2;
        flipped[mid] ^= 0x55;
        let flipped_result = decode_frame(flipped.into(), LIMITS);
        if tag == 2 {
            assert!(matches!(flipped_result.unwrap_err().kind, DecodeErrorKind::Decompress(_)));
        }
        let _ = err(&good[..good.len() / 2]);
        let _ = err(&good[..good.len() - 1]);
        let _ = err(&[tag]);
    }
    // Nested: gzip bytes labelled brotli and vice versa, and plain garbage.
    let qu =
        ws::QueryUpdate::<BsatnFormat> { deletes: build_list(&empty()), inserts: build_list(&offsets(vec![row_var(1, "abc")])) };
    let raw = bsatn::to_vec(&qu).unwrap();
    for nested in [
        ws::CompressableQueryUpdate::Brotli(gzip(&raw).into()),
        ws::CompressableQueryUpdate::Gzip(brotli(&raw).into()),
        ws::CompressableQueryUpdate::Gzip(vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff, 1, 2, 3].into()),
        ws::CompressableQueryUpdate::Brotli(vec![0xff; 20].into()),
        ws::CompressableQueryUpdate::Gzip(Vec::new().into()),
        ws::CompressableQueryUpdate::Brotli(gzip(&raw)[..10].to_vec().into()),
    ] {
        let body = encode(&ws::ServerMessage::TransactionUpdateLight(ws::TransactionUpdateLight {
            request_id: 1,
            update: ws::DatabaseUpdate {
                tables: vec![ws::TableUpdate {
                    table_id: TableId(1),
                    table_name: "t".into(),
                    num_rows: 1,
                    updates: vec![nested].into(),
                }],
            },
        }));
        let _ = err(&framed(&body));
    }
}

#[test]
fn decompression_bombs_are_errors() {
    let small = DecodeLimits { max_decompressed_len: 1 << 20 };
    let zeros = vec![0u8; 10 << 20];
    for (tag, packed) in [(1u8, brotli(&zeros)), (2, gzip(&zeros))] {
        assert!(packed.len() < 64 << 10, "the bomb should be small: {}", packed.len());
        let mut f = vec![tag];
        f.extend(&packed);
        let e = decode_frame(f.into(), small).unwrap_err();
        assert!(matches!(e.kind, DecodeErrorKind::Decompress(_)), "{e}");
        // Nested inside a query update.
        let body = encode(&ws::ServerMessage::TransactionUpdateLight(ws::TransactionUpdateLight {
            request_id: 1,
            update: ws::DatabaseUpdate {
                tables: vec![ws::TableUpdate {
                    table_id: TableId(1),
                    table_name: "t".into(),
                    num_rows: 0,
                    updates: vec![if tag == 1 {
                        ws::CompressableQueryUpdate::Brotli(packed.clone().into())
                    } else {
                        ws::CompressableQueryUpdate::Gzip(packed.clone().into())
                    }]
                    .into(),
                }],
            },
        }));
        let e = decode_frame(framed(&body).into(), small).unwrap_err();
        assert!(matches!(e.kind, DecodeErrorKind::Decompress(_)), "{e}");
    }
    // Exactly at the limit decodes; one byte less does not.
    let body = encode(&tx_update(ws::UpdateStatus::Committed(build_db(&sample_tables())), b"x"));
    for tag in [1u8, 2] {
        let at = DecodeLimits { max_decompressed_len: body.len() };
        let (_, size) = decode_frame_sized(frame(tag, &body), at).unwrap();
        assert_eq!(size, body.len());
        let below = DecodeLimits { max_decompressed_len: body.len() - 1 };
        assert!(matches!(decode_frame(frame(tag, &body), below).unwrap_err().kind, DecodeErrorKind::Decompress(_)));
    }
}

// ------------------------------------------------------------------------------------------------
// Fuzzing: mutated valid encodings never panic, and whatever decodes can be walked.

struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn walk_db(db: &DatabaseUpdate) -> usize {
    db.tables.iter().map(walk_table).sum()
}
fn walk_table(t: &TableUpdate) -> usize {
    t.queries
        .iter()
        .map(|q| q.deletes.iter().chain(q.inserts.iter()).map(|r| r.len()).sum::<usize>() + q.deletes.len() + q.inserts.len())
        .sum()
}
fn walk(m: &ServerMessage) -> usize {
    match m {
        ServerMessage::InitialSubscription { update, .. }
        | ServerMessage::TransactionUpdateLight { update, .. }
        | ServerMessage::SubscribeMultiApplied { update, .. }
        | ServerMessage::UnsubscribeMultiApplied { update, .. } => walk_db(update),
        ServerMessage::TransactionUpdate(tu) => match &tu.status {
            UpdateStatus::Committed(db) => walk_db(db),
            _ => tu.args.len(),
        },
        ServerMessage::SubscribeApplied { update, .. } | ServerMessage::UnsubscribeApplied { update, .. } => walk_table(update),
        ServerMessage::OneOffQueryResponse(r) => r.tables.iter().map(|(_, l)| l.iter().count()).sum(),
        ServerMessage::IdentityToken { token, .. } => token.len(),
        ServerMessage::SubscriptionError(e) => e.error.len(),
    }
}

#[test]
fn fuzz_mutated_frames_never_panic() {
    let corpus = corpus();
    let limits = DecodeLimits { max_decompressed_len: 1 << 20 };
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    let (mut ok, mut failed) = (0usize, 0usize);
    for iter in 0..20_000 {
        let mut f = corpus[rng.below(corpus.len())].clone();
        for _ in 0..1 + rng.below(4) {
            if f.is_empty() {
                f.push(0);
            }
            let at = rng.below(f.len());
            match rng.below(8) {
                0 => f[at] ^= 1 << rng.below(8),
                1 => f[at] = rng.next() as u8,
                2 => f.insert(at, rng.next() as u8),
                3 => {
                    f.remove(at);
                }
                4 => f.truncate(at),
                5 => {
                    // Overwrite a 4-byte window with an extreme or small length.
                    let v: u32 = [u32::MAX, 0x8000_0000, 0, 1, 2, 0xffff, rng.next() as u32][rng.below(7)];
                    for (i, b) in v.to_le_bytes().into_iter().enumerate() {
                        if at + i < f.len() {
                            f[at + i] = b;
                        }
                    }
                }
                6 => {
                    // Duplicate a slice.
                    let end = (at + 1 + rng.below(16)).min(f.len());
                    let piece = f[at..end].to_vec();
                    let to = rng.below(f.len() + 1);
                    f.splice(to..to, piece);
                }
                _ => {
                    // Keep the message but change the frame compression tag (skip: body mismatch).
                    f[0] = rng.below(4) as u8;
                }
            }
        }
        let input = f.clone();
        let outcome = std::panic::catch_unwind(move || match decode_frame(Bytes::from(f), limits) {
            Ok(m) => Some(walk(&m)),
            Err(e) => {
                let _ = e.to_string();
                None
            }
        });
        match outcome {
            Ok(Some(_)) => ok += 1,
            Ok(None) => failed += 1,
            Err(_) => panic!("iteration {iter} panicked on input {:02x?}", input),
        }
    }
    // The mutations should exercise both outcomes.
    assert!(ok > 100 && failed > 1000, "ok {ok}, failed {failed}");
}

/// The row list decoder on its own, fed random short byte strings.
#[test]
fn fuzz_row_lists_never_panic() {
    let mut rng = XorShift(12345);
    for _ in 0..20_000 {
        let len = rng.below(48);
        let mut bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        if !bytes.is_empty() {
            bytes[0] = rng.below(3) as u8; // mostly valid layout tags
        }
        if bytes.len() > 5 && rng.below(2) == 0 {
            // Plausible small counts and lengths.
            bytes[1] = rng.below(4) as u8;
            bytes[2..5].fill(0);
        }
        if let Ok(list) = decode_row_list(&bytes) {
            let total: usize = list.iter().map(<[u8]>::len).sum();
            assert!(total <= list.data_len());
            for i in 0..list.len() {
                let r = list.range(i);
                assert!(r.start <= r.end && r.end <= list.data_len());
            }
        }
    }
}
