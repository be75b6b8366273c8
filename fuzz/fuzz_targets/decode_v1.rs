//! v1 server messages: one binary WebSocket frame (compression tag, then the BSATN
//! `ServerMessage`) through the library's decoder. Checks that decoding never panics, that an
//! uncompressed frame decodes the same with and without the frame layer, and that every row list
//! yields rows inside the frame.
#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use stdb_client::protocol::server_message::{self, DatabaseUpdate, ServerMessage, UpdateStatus};
use stdb_client::protocol::{DecodeLimits, RowList};

/// Small enough that a compressed bomb is cut off quickly.
const LIMITS: DecodeLimits = DecodeLimits { max_decompressed_len: 1 << 20 };

/// Every row of a list lies inside its buffer, rows do not overlap, and they cover at most the
/// buffer (a nested query update may be compressed on its own, so the buffer is not the frame).
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

fn check_update(u: &DatabaseUpdate) {
    for t in &u.tables {
        for q in &t.queries {
            check_rows(&q.inserts);
            check_rows(&q.deletes);
        }
        assert_eq!(t.num_rows(), t.queries.iter().map(|q| q.inserts.len() + q.deletes.len()).sum::<usize>());
    }
}

fuzz_target!(|data: &[u8]| {
    let frame = Bytes::copy_from_slice(data);
    let Ok((msg, plain_len)) = server_message::decode_frame_sized(frame.clone(), LIMITS) else { return };
    assert!(plain_len <= LIMITS.max_decompressed_len);
    let _ = msg.kind();
    match &msg {
        ServerMessage::InitialSubscription { update, .. }
        | ServerMessage::TransactionUpdateLight { update, .. }
        | ServerMessage::SubscribeMultiApplied { update, .. }
        | ServerMessage::UnsubscribeMultiApplied { update, .. } => {
            check_update(update);
        }
        ServerMessage::TransactionUpdate(tu) => {
            if let UpdateStatus::Committed(u) = &tu.status {
                check_update(u);
            }
        }
        ServerMessage::OneOffQueryResponse(r) => r.tables.iter().for_each(|(_, l)| check_rows(l)),
        _ => {}
    }
    if data[0] == server_message::TAG_NONE {
        let again = server_message::decode_message(frame.slice(1..), LIMITS).expect("the body decodes alone");
        assert_eq!(format!("{msg:?}"), format!("{again:?}"));
    }
});
