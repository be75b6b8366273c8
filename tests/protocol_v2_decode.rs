//! The v2/v3 decoder and encoder against the official 2.8.3 wire types, with no server.
//!
//! Every v2 `ServerMessage` variant is built with `spacetimedb-client-api-messages` 2.8.3 (what
//! the 2.8.3 server encodes with), serialized with its BSATN, framed, and decoded by
//! `stdb_client::protocol::v2`; the fields must come back equal. Our client messages go the other
//! way: encoded here, decoded by the official types. Then every truncation, hostile counts and
//! a fuzz loop: errors only, never a panic or a large allocation.

use bytes::Bytes;
use stdb_client::protocol::reader::Reader;
use stdb_client::protocol::server_message::DecodeLimits;
use stdb_client::protocol::v2::{self, ProcedureStatus, ReducerOutcome, ServerMessage, TableUpdateRows};
use stdb_client::protocol::{CallReducerFlags, ClientRequest, Protocol};
use up::websocket::common::{BsatnRowList, QuerySetId, RowSizeHint};
use up::websocket::v2 as ws;
use up_lib::bsatn;

const LIMITS: DecodeLimits = DecodeLimits { max_decompressed_len: 16 << 20 };

fn fixed_rows(size: u16, rows: &[&[u8]]) -> BsatnRowList {
    BsatnRowList::new(RowSizeHint::FixedSize(size), Bytes::from(rows.concat()))
}

fn offset_rows(rows: &[&[u8]]) -> BsatnRowList {
    let mut offsets = Vec::new();
    let mut at = 0u64;
    for r in rows {
        offsets.push(at);
        at += r.len() as u64;
    }
    BsatnRowList::new(RowSizeHint::RowOffsets(offsets.into()), Bytes::from(rows.concat()))
}

fn query_rows() -> ws::QueryRows {
    ws::QueryRows {
        tables: vec![
            ws::SingleTableRows { table: "player".into(), rows: offset_rows(&[b"alice", b"bob", b""]) },
            ws::SingleTableRows { table: "pos".into(), rows: fixed_rows(4, &[&[1, 0, 0, 0], &[2, 0, 0, 0]]) },
        ]
        .into(),
    }
}

fn transaction() -> ws::TransactionUpdate {
    ws::TransactionUpdate {
        query_sets: vec![
            ws::QuerySetUpdate {
                query_set_id: QuerySetId::new(7),
                tables: vec![ws::TableUpdate {
                    table_name: "player".into(),
                    rows: vec![ws::TableUpdateRows::PersistentTable(ws::PersistentTableRows {
                        inserts: offset_rows(&[b"carol"]),
                        deletes: offset_rows(&[b"alice", b"bob"]),
                    })]
                    .into(),
                }]
                .into(),
            },
            ws::QuerySetUpdate {
                query_set_id: QuerySetId::new(8),
                tables: vec![ws::TableUpdate {
                    table_name: "explosion".into(),
                    rows: vec![ws::TableUpdateRows::EventTable(ws::EventTableRows { events: fixed_rows(2, &[&[9, 9]]) })].into(),
                }]
                .into(),
            },
        ]
        .into(),
    }
}

fn identity() -> up_lib::Identity {
    up_lib::Identity::from_byte_array([0xab; 32])
}

/// One of each message the 2.8.3 server sends, in the official types.
fn all_messages() -> Vec<ws::ServerMessage> {
    vec![
        ws::ServerMessage::InitialConnection(ws::InitialConnection {
            identity: identity(),
            connection_id: up_lib::ConnectionId::from_u128(0x1234_5678_9abc),
            token: "a.jwt.token".into(),
        }),
        ws::ServerMessage::SubscribeApplied(ws::SubscribeApplied {
            request_id: 3,
            query_set_id: QuerySetId::new(4),
            rows: query_rows(),
        }),
        ws::ServerMessage::UnsubscribeApplied(ws::UnsubscribeApplied {
            request_id: 5,
            query_set_id: QuerySetId::new(4),
            rows: Some(query_rows()),
        }),
        ws::ServerMessage::UnsubscribeApplied(ws::UnsubscribeApplied {
            request_id: 6,
            query_set_id: QuerySetId::new(2),
            rows: None,
        }),
        ws::ServerMessage::SubscriptionError(ws::SubscriptionError {
            request_id: Some(9),
            query_set_id: QuerySetId::new(4),
            error: "no such table".into(),
        }),
        ws::ServerMessage::SubscriptionError(ws::SubscriptionError {
            request_id: None,
            query_set_id: QuerySetId::new(1),
            error: "re-evaluation failed".into(),
        }),
        ws::ServerMessage::TransactionUpdate(transaction()),
        ws::ServerMessage::OneOffQueryResult(ws::OneOffQueryResult { request_id: 11, result: Ok(query_rows()) }),
        ws::ServerMessage::OneOffQueryResult(ws::OneOffQueryResult { request_id: 12, result: Err("bad sql".into()) }),
        ws::ServerMessage::ReducerResult(ws::ReducerResult {
            request_id: 13,
            timestamp: up_lib::Timestamp::from_micros_since_unix_epoch(1_700_000_000_000_000),
            result: ws::ReducerOutcome::Ok(ws::ReducerOk {
                ret_value: Bytes::from_static(&[1, 2]),
                transaction_update: transaction(),
            }),
        }),
        ws::ServerMessage::ReducerResult(ws::ReducerResult {
            request_id: 14,
            timestamp: up_lib::Timestamp::from_micros_since_unix_epoch(5),
            result: ws::ReducerOutcome::OkEmpty,
        }),
        ws::ServerMessage::ReducerResult(ws::ReducerResult {
            request_id: 15,
            timestamp: up_lib::Timestamp::from_micros_since_unix_epoch(6),
            result: ws::ReducerOutcome::Err(Bytes::from(bsatn::to_vec(&"nope".to_string()).unwrap())),
        }),
        ws::ServerMessage::ReducerResult(ws::ReducerResult {
            request_id: 16,
            timestamp: up_lib::Timestamp::from_micros_since_unix_epoch(7),
            result: ws::ReducerOutcome::InternalError("panicked".into()),
        }),
        ws::ServerMessage::ProcedureResult(ws::ProcedureResult {
            status: ws::ProcedureStatus::Returned(Bytes::from_static(&[42, 0, 0, 0])),
            timestamp: up_lib::Timestamp::from_micros_since_unix_epoch(8),
            total_host_execution_duration: up_lib::TimeDuration::from_micros(1234),
            request_id: 17,
        }),
        ws::ServerMessage::ProcedureResult(ws::ProcedureResult {
            status: ws::ProcedureStatus::InternalError("procedure panicked".into()),
            timestamp: up_lib::Timestamp::from_micros_since_unix_epoch(9),
            total_host_execution_duration: up_lib::TimeDuration::from_micros(1),
            request_id: 18,
        }),
    ]
}

fn rows_of(list: &stdb_client::protocol::RowList) -> Vec<Vec<u8>> {
    list.iter().map(<[u8]>::to_vec).collect()
}

fn query_rows_text(rows: &v2::QueryRows) -> Vec<(String, Vec<Vec<u8>>)> {
    rows.tables.iter().map(|(name, list)| (name.clone(), rows_of(list))).collect()
}

fn expected_query_rows() -> Vec<(String, Vec<Vec<u8>>)> {
    vec![
        ("player".into(), vec![b"alice".to_vec(), b"bob".to_vec(), vec![]]),
        ("pos".into(), vec![vec![1, 0, 0, 0], vec![2, 0, 0, 0]]),
    ]
}

fn check_transaction(tu: &v2::TransactionUpdate) {
    assert_eq!(tu.query_sets.len(), 2);
    assert_eq!(tu.query_sets[0].query_set_id, 7);
    assert_eq!(tu.query_sets[0].tables[0].table_name, "player");
    match &tu.query_sets[0].tables[0].rows[0] {
        TableUpdateRows::PersistentTable { inserts, deletes } => {
            assert_eq!(rows_of(inserts), vec![b"carol".to_vec()]);
            assert_eq!(rows_of(deletes), vec![b"alice".to_vec(), b"bob".to_vec()]);
        }
        other => panic!("{other:?}"),
    }
    match &tu.query_sets[1].tables[0].rows[0] {
        TableUpdateRows::EventTable { events } => assert_eq!(rows_of(events), vec![vec![9, 9]]),
        other => panic!("{other:?}"),
    }
}

/// Checks that `ours` is `theirs`, field for field.
fn check(ours: &ServerMessage, theirs: &ws::ServerMessage) {
    match (ours, theirs) {
        (ServerMessage::InitialConnection { identity, connection_id, token }, ws::ServerMessage::InitialConnection(t)) => {
            assert_eq!(identity.to_byte_array(), t.identity.to_byte_array());
            assert_eq!(connection_id.to_u128(), t.connection_id.to_u128());
            assert_eq!(token.as_str(), &*t.token);
        }
        (ServerMessage::SubscribeApplied { request_id, query_set_id, rows }, ws::ServerMessage::SubscribeApplied(t)) => {
            assert_eq!((*request_id, *query_set_id), (t.request_id, t.query_set_id.id));
            assert_eq!(query_rows_text(rows), expected_query_rows());
        }
        (ServerMessage::UnsubscribeApplied { request_id, query_set_id, rows }, ws::ServerMessage::UnsubscribeApplied(t)) => {
            assert_eq!((*request_id, *query_set_id), (t.request_id, t.query_set_id.id));
            assert_eq!(rows.as_ref().map(query_rows_text), t.rows.as_ref().map(|_| expected_query_rows()));
        }
        (ServerMessage::SubscriptionError { request_id, query_set_id, error }, ws::ServerMessage::SubscriptionError(t)) => {
            assert_eq!((*request_id, *query_set_id, error.as_str()), (t.request_id, t.query_set_id.id, &*t.error));
        }
        (ServerMessage::TransactionUpdate(tu), ws::ServerMessage::TransactionUpdate(_)) => check_transaction(tu),
        (ServerMessage::OneOffQueryResult { request_id, result }, ws::ServerMessage::OneOffQueryResult(t)) => {
            assert_eq!(*request_id, t.request_id);
            match (result, &t.result) {
                (Ok(rows), Ok(_)) => assert_eq!(query_rows_text(rows), expected_query_rows()),
                (Err(e), Err(te)) => assert_eq!(e.as_str(), &**te),
                other => panic!("{other:?}"),
            }
        }
        (ServerMessage::ReducerResult { request_id, timestamp, outcome }, ws::ServerMessage::ReducerResult(t)) => {
            assert_eq!(*request_id, t.request_id);
            assert_eq!(timestamp.to_micros_since_unix_epoch(), t.timestamp.to_micros_since_unix_epoch());
            match (outcome, &t.result) {
                (ReducerOutcome::Ok { ret_value, update }, ws::ReducerOutcome::Ok(ok)) => {
                    assert_eq!(ret_value, &ok.ret_value);
                    check_transaction(update);
                }
                (ReducerOutcome::OkEmpty, ws::ReducerOutcome::OkEmpty) => {}
                (ReducerOutcome::Err(e), ws::ReducerOutcome::Err(te)) => assert_eq!(e, te),
                (ReducerOutcome::InternalError(e), ws::ReducerOutcome::InternalError(te)) => assert_eq!(e.as_str(), &**te),
                other => panic!("{other:?}"),
            }
        }
        (
            ServerMessage::ProcedureResult { request_id, timestamp, host_duration, status },
            ws::ServerMessage::ProcedureResult(t),
        ) => {
            assert_eq!(*request_id, t.request_id);
            assert_eq!(timestamp.to_micros_since_unix_epoch(), t.timestamp.to_micros_since_unix_epoch());
            assert_eq!(host_duration.to_micros(), t.total_host_execution_duration.to_micros());
            match (status, &t.status) {
                (ProcedureStatus::Returned(b), ws::ProcedureStatus::Returned(tb)) => assert_eq!(b, tb),
                (ProcedureStatus::InternalError(e), ws::ProcedureStatus::InternalError(te)) => assert_eq!(e.as_str(), &**te),
                other => panic!("{other:?}"),
            }
        }
        (ours, theirs) => panic!("decoded {} for {theirs:?}", ours.kind()),
    }
}

fn frame(tag: u8, body: &[u8]) -> Bytes {
    let mut f = vec![tag];
    match tag {
        0 => f.extend_from_slice(body),
        1 => {
            let mut w = brotli::CompressorWriter::new(&mut f, 4096, 5, 22);
            std::io::Write::write_all(&mut w, body).unwrap();
        }
        _ => {
            let mut w = flate2::write::GzEncoder::new(&mut f, flate2::Compression::default());
            std::io::Write::write_all(&mut w, body).unwrap();
            w.finish().unwrap();
        }
    }
    Bytes::from(f)
}

#[test]
fn every_server_message_decodes_as_the_official_types_encode_it() {
    for msg in all_messages() {
        let body = bsatn::to_vec(&msg).unwrap();
        for tag in [0u8, 1, 2] {
            let (decoded, len) = v2::decode_frame(frame(tag, &body), LIMITS, false).unwrap();
            assert_eq!(len, body.len());
            assert_eq!(decoded.len(), 1);
            check(&decoded[0], &msg);
        }
    }
}

#[test]
fn a_v3_frame_carries_several_messages_in_order() {
    let msgs = all_messages();
    let body: Vec<u8> = msgs.iter().flat_map(|m| bsatn::to_vec(m).unwrap()).collect();
    for tag in [0u8, 2] {
        let (decoded, _) = v2::decode_frame(frame(tag, &body), LIMITS, true).unwrap();
        assert_eq!(decoded.len(), msgs.len());
        for (ours, theirs) in decoded.iter().zip(&msgs) {
            check(ours, theirs);
        }
    }
    // The same bytes as one v2 message: the rest is trailing garbage, an error.
    assert!(v2::decode_frame(frame(0, &body), LIMITS, false).is_err());
}

#[test]
fn every_truncation_is_an_error_never_a_panic() {
    for msg in all_messages() {
        let body = bsatn::to_vec(&msg).unwrap();
        for cut in 0..body.len() {
            let r = v2::decode_frame(frame(0, &body[..cut]), LIMITS, true);
            assert!(r.is_err(), "{} cut at {cut} of {} decoded", msg_kind(&msg), body.len());
        }
        // One extra byte is an error for v2, and for v3 a truncated second message.
        let mut longer = body.clone();
        longer.push(0);
        assert!(v2::decode_frame(frame(0, &longer), LIMITS, false).is_err());
        assert!(v2::decode_frame(frame(0, &longer), LIMITS, true).is_err());
    }
}

fn msg_kind(m: &ws::ServerMessage) -> String {
    format!("{m:?}").chars().take(40).collect()
}

#[test]
fn hostile_counts_and_tags_are_errors_without_large_allocations() {
    // A TransactionUpdate claiming 2^32-1 query sets, in a 6-byte message.
    let huge = [4u8, 0xff, 0xff, 0xff, 0xff, 0];
    assert!(v2::decode_message(&mut Reader::new(Bytes::copy_from_slice(&huge))).is_err());
    // A SubscribeApplied whose row list claims 2^32-1 offsets.
    let mut m = vec![1u8, 1, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, b't', 1];
    m.extend_from_slice(&u32::MAX.to_le_bytes());
    assert!(v2::decode_message(&mut Reader::new(Bytes::from(m))).is_err());
    // Unknown message, outcome and row-kind tags.
    for bad in [&[8u8][..], &[6, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9], &[7, 5]] {
        assert!(v2::decode_message(&mut Reader::new(Bytes::copy_from_slice(bad))).is_err(), "{bad:?}");
    }
    // A frame with an unknown compression tag, and an empty frame.
    assert!(v2::decode_frame(Bytes::from_static(&[7, 0]), LIMITS, true).is_err());
    assert!(v2::decode_frame(Bytes::new(), LIMITS, true).is_err());
    // A gzip bomb past the decompression limit.
    let zeros = vec![0u8; 1 << 20];
    let small = DecodeLimits { max_decompressed_len: 64 << 10 };
    assert!(v2::decode_frame(frame(2, &zeros), small, true).is_err());
}

#[test]
fn fuzzed_frames_never_panic() {
    let seeds: Vec<Vec<u8>> = all_messages().iter().map(|m| bsatn::to_vec(m).unwrap()).collect();
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for i in 0..20_000 {
        let mut bytes = seeds[i % seeds.len()].clone();
        for _ in 0..1 + next() % 4 {
            let at = (next() as usize) % bytes.len().max(1);
            match next() % 3 {
                0 if !bytes.is_empty() => bytes[at] = next() as u8,
                1 => bytes.insert(at.min(bytes.len()), next() as u8),
                _ if !bytes.is_empty() => {
                    bytes.remove(at);
                }
                _ => {}
            }
        }
        let _ = v2::decode_frame(frame(0, &bytes), LIMITS, i % 2 == 0);
    }
}

#[test]
fn client_messages_decode_as_the_official_types() {
    let decode = |r: ClientRequest| -> ws::ClientMessage {
        let bytes = r.encode(Protocol::V2).unwrap();
        assert_eq!(bytes, r.encode(Protocol::V3).unwrap(), "v3 sends the same bytes per message");
        bsatn::from_slice(&bytes).unwrap()
    };
    let queries = vec!["SELECT * FROM player".to_owned(), "SELECT * FROM pos WHERE x > 3".to_owned()];
    match decode(ClientRequest::Subscribe { request_id: 1, query_id: 2, queries: queries.clone() }) {
        ws::ClientMessage::Subscribe(s) => {
            assert_eq!((s.request_id, s.query_set_id.id), (1, 2));
            assert_eq!(s.query_strings.iter().map(|q| q.to_string()).collect::<Vec<_>>(), queries);
        }
        _ => panic!("not a Subscribe"),
    }
    match decode(ClientRequest::Unsubscribe { request_id: 3, query_id: 2 }) {
        ws::ClientMessage::Unsubscribe(u) => {
            assert_eq!((u.request_id, u.query_set_id.id), (3, 2));
            assert!(u.flags == ws::UnsubscribeFlags::SendDroppedRows, "the cache needs the dropped rows");
        }
        _ => panic!("not an Unsubscribe"),
    }
    match decode(ClientRequest::OneOffQuery { request_id: 4, query: "SELECT 1".into() }) {
        ws::ClientMessage::OneOffQuery(q) => assert_eq!((q.request_id, &*q.query_string), (4, "SELECT 1")),
        _ => panic!("not a OneOffQuery"),
    }
    let args = Bytes::from_static(&[7, 0, 0, 0]);
    let call = ClientRequest::CallReducer {
        request_id: 5,
        reducer: "move_to".into(),
        args: args.clone(),
        flags: CallReducerFlags::NoSuccessNotify,
    };
    match decode(call) {
        ws::ClientMessage::CallReducer(c) => {
            assert_eq!((c.request_id, &*c.reducer, &c.args), (5, "move_to", &args));
            assert!(c.flags == ws::CallReducerFlags::Default, "v2 has no NoSuccessNotify");
        }
        _ => panic!("not a CallReducer"),
    }
    let proc = ClientRequest::CallProcedure { request_id: 6, procedure: "roll".into(), args: args.clone() };
    match decode(proc.clone()) {
        ws::ClientMessage::CallProcedure(c) => assert_eq!((c.request_id, &*c.procedure, &c.args), (6, "roll", &args)),
        _ => panic!("not a CallProcedure"),
    }
    assert!(proc.encode(Protocol::V1).unwrap_err().contains("v2"), "procedures cannot be sent over v1");
}
