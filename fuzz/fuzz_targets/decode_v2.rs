//! v2/v3 server messages. Input: one byte choosing the protocol (even: v2, one message a frame;
//! odd: v3, one or more), then one binary WebSocket frame (compression tag, then BSATN). Checks
//! that decoding never panics, that a frame valid as v2 decodes as the same single message as v3,
//! and that every row list yields rows inside its buffer.
#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use stdb_client::protocol::v2::{self, ReducerOutcome, ServerMessage, TableUpdateRows, TransactionUpdate};
use stdb_client::protocol::{DecodeLimits, RowList};

const LIMITS: DecodeLimits = DecodeLimits { max_decompressed_len: 1 << 20 };

fn check_rows(l: &RowList) {
    let mut total = 0;
    for (i, row) in l.iter().enumerate() {
        let r = l.range(i);
        assert!(r.start <= r.end && r.end <= l.data_len(), "row {i} outside its buffer");
        assert_eq!(row, &l.data()[r]);
        total += row.len();
    }
    assert_eq!(l.iter().count(), l.len());
    assert!(total <= l.data_len(), "rows hold more bytes than their buffer");
}

fn check_update(u: &TransactionUpdate) {
    for set in &u.query_sets {
        for t in &set.tables {
            for rows in &t.rows {
                match rows {
                    TableUpdateRows::PersistentTable { inserts, deletes } => {
                        check_rows(inserts);
                        check_rows(deletes);
                    }
                    TableUpdateRows::EventTable { events } => check_rows(events),
                }
            }
        }
    }
}

fn check(m: &ServerMessage) {
    let _ = m.kind();
    match m {
        ServerMessage::SubscribeApplied { rows, .. } | ServerMessage::OneOffQueryResult { result: Ok(rows), .. } => {
            rows.tables.iter().for_each(|(_, l)| check_rows(l))
        }
        ServerMessage::UnsubscribeApplied { rows: Some(rows), .. } => rows.tables.iter().for_each(|(_, l)| check_rows(l)),
        ServerMessage::TransactionUpdate(u)
        | ServerMessage::ReducerResult { outcome: ReducerOutcome::Ok { update: u, .. }, .. } => check_update(u),
        _ => {}
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, frame)) = data.split_first() else { return };
    let frame = Bytes::copy_from_slice(frame);
    let several = mode % 2 == 1;
    let Ok((messages, plain_len)) = v2::decode_frame(frame.clone(), LIMITS, several) else { return };
    assert!(plain_len <= LIMITS.max_decompressed_len);
    assert!(!messages.is_empty());
    assert!(several || messages.len() == 1);
    messages.iter().for_each(check);
    if !several {
        let (v3, len) = v2::decode_frame(frame, LIMITS, true).expect("a valid v2 frame is a valid v3 frame");
        assert_eq!(len, plain_len);
        assert_eq!(format!("{messages:?}"), format!("{v3:?}"));
    }
});
