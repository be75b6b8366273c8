//! Decode + cache apply: what the library does with a frame from the socket to the cache.
//! Input: a byte choosing the protocol (0 v1, 1 v2, 2 v3; modulo 3), a byte choosing the schema
//! (`fuzz/schemas/`, captured with the frames: sdk-test on 1.2.0, on 2.8.3, and the 1.x-built
//! module on 2.8.3; modulo 3), then one binary frame. The frame is decoded and resolved against the
//! schema as the transport does (`decode_frame_rows`), and each message's tables are applied to two
//! caches: in place (`ClientCache::apply`, a plain tick) and through a staged copy
//! (`stage_table` + `apply_detached` + `install_table`, a budgeted tick's path). Checks that
//! nothing panics, that both paths agree row for row and diff for diff, and then exercises every
//! unique and btree index over the resulting rows (index builds walk row bytes by the schema's
//! types, bytes that came straight from the frame).
#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use std::ops::Bound;
use std::sync::{Arc, OnceLock};
use stdb_client::cache::{apply_detached, CacheStats, ClientCache, TableDiff};
use stdb_client::protocol::{DecodeLimits, Protocol};
use stdb_client::schema::Schema;

const LIMITS: DecodeLimits = DecodeLimits { max_decompressed_len: 1 << 20 };

fn schemas() -> &'static [Arc<Schema>] {
    static S: OnceLock<Vec<Arc<Schema>>> = OnceLock::new();
    S.get_or_init(|| {
        [
            include_str!("../schemas/sdk-test.v1_2.json"),
            include_str!("../schemas/sdk-test.v2_8.json"),
            include_str!("../schemas/sdk-test-1x.v2_8.json"),
        ]
        .iter()
        .map(|json| Schema::from_json(json).expect("a captured schema parses"))
        .collect()
    })
}

fn sorted(v: impl Iterator<Item = Bytes>) -> Vec<Bytes> {
    let mut v: Vec<Bytes> = v.collect();
    v.sort();
    v
}

fn same_diff(a: &TableDiff, b: &TableDiff) {
    assert_eq!(a.table, b.table);
    assert_eq!(sorted(a.inserts.iter().cloned()), sorted(b.inserts.iter().cloned()));
    assert_eq!(sorted(a.deletes.iter().cloned()), sorted(b.deletes.iter().cloned()));
    let mut ua = a.updates.clone();
    let mut ub = b.updates.clone();
    ua.sort();
    ub.sort();
    assert_eq!(ua, ub);
}

fuzz_target!(|data: &[u8]| {
    let [p, s, frame @ ..] = data else { return };
    let protocol = [Protocol::V1, Protocol::V2, Protocol::V3][*p as usize % 3];
    let schema = &schemas()[*s as usize % 3];
    let Ok(messages) = stdb_client::connection::decode_frame_rows(Bytes::copy_from_slice(frame), protocol, LIMITS, schema) else {
        return;
    };
    let mut plain = ClientCache::new(schema.clone());
    let mut staged = ClientCache::new(schema.clone());
    for tables in &messages {
        for rows in tables {
            assert!(rows.table < schema.tables.len());
            let mut d1 = TableDiff::default();
            plain.apply(rows, true, &mut d1);
            let (mut copy, may_collect) = staged.stage_table(rows.table);
            let mut d2 = TableDiff::default();
            let mut stats = CacheStats::default();
            apply_detached(schema, &mut copy, rows, may_collect, &mut d2, &mut stats);
            drop(staged.install_table(rows.table, copy, stats));
            same_diff(&d1, &d2);
        }
    }
    assert_eq!(plain.stats.rows_inserted, staged.stats.rows_inserted);
    assert_eq!(plain.stats.rows_deleted, staged.stats.rows_deleted);
    assert_eq!(plain.stats.missing_deletes, staged.stats.missing_deletes);
    for (t, def) in schema.tables.iter().enumerate() {
        assert_eq!(plain.count(t), plain.iter(t).count());
        assert_eq!(sorted(plain.rows(t)), sorted(staged.rows(t)));
        let rows: Vec<Bytes> = plain.rows(t).take(64).collect();
        for row in &rows {
            assert!(plain.contains(t, row));
        }
        let types = &schema.types;
        for constraint in &def.unique_constraints {
            let &[col] = constraint.as_slice() else { continue };
            for row in &rows {
                let Ok(range) = types.field_range(&def.row_fields, row, col) else { continue };
                // A hostile frame may repeat a unique value or carry an ill-typed row: only the
                // lookup's soundness is checked, not which row it finds.
                if let Ok(Some(found)) = plain.find_unique(t, col, &row[range.clone()]) {
                    let again = types.field_range(&def.row_fields, &found, col).expect("an indexed row has the column");
                    assert_eq!(&found[again], &row[range]);
                }
            }
        }
        for (i, ix) in def.btree_indexes.iter().enumerate() {
            let Some(&first) = ix.columns.first() else { continue };
            let mut out = Vec::new();
            for row in rows.iter().take(8) {
                let Ok(range) = types.field_range(&def.row_fields, row, first) else { continue };
                let value = &row[range];
                out.clear();
                let _ = plain.btree_scan(t, i, &[value], None, &mut out);
                let bounds = (Bound::Included(value), Bound::Unbounded);
                out.clear();
                let _ = plain.btree_scan(t, i, &[], Some(bounds), &mut out);
            }
        }
    }
});
