//! Client-side cache cost without a server: applying an initial subscription of N fixed-size rows
//! (41 bytes each), applying it again as overlapping duplicates, deleting it, and the bookkeeping
//! bytes per cached row. Run with `cargo bench --bench cache_apply`.
//! End-to-end comparisons with the official SDK live in bench/ (scripts/bench).

use bytes::Bytes;
use std::time::{Duration, Instant};
use stdb_client::cache::{ClientCache, TableDiff, TableRows};
use stdb_client::protocol::RowList;
use stdb_client::schema::Schema;

const SCHEMA: &str = r#"{"typespace":{"types":[{"Product":{"elements":[
 {"name":{"some":"id"},"algebraic_type":{"U64":[]}},{"name":{"some":"a"},"algebraic_type":{"U64":[]}},
 {"name":{"some":"b"},"algebraic_type":{"U64":[]}},{"name":{"some":"c"},"algebraic_type":{"U64":[]}},
 {"name":{"some":"x"},"algebraic_type":{"F32":[]}},{"name":{"some":"y"},"algebraic_type":{"F32":[]}},
 {"name":{"some":"flag"},"algebraic_type":{"U8":[]}}]}}]},
"tables":[{"name":"small","product_type_ref":0,"primary_key":[0],"indexes":[],"constraints":[],"sequences":[],
"schedule":{"none":[]},"table_type":{"User":[]},"table_access":{"Public":[]}}],
"reducers":[],"types":[],"misc_exports":[],"row_level_security":[]}"#;

const ROW: usize = 41;

fn rows(n: usize, seed: u64) -> RowList {
    let mut data = Vec::with_capacity(n * ROW);
    for i in 0..n as u64 {
        data.extend_from_slice(&i.to_le_bytes());
        data.extend_from_slice(&(i ^ seed).to_le_bytes());
        data.extend_from_slice(&i.wrapping_mul(31).to_le_bytes());
        data.extend_from_slice(&seed.to_le_bytes());
        data.extend_from_slice(&(i as f32).to_le_bytes());
        data.extend_from_slice(&1.5f32.to_le_bytes());
        data.push(1);
    }
    RowList::from_fixed(Bytes::from(data), ROW)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let schema = Schema::from_json(SCHEMA).unwrap();
    println!(
        "{:>9} {:>14} {:>14} {:>14} {:>12} {:>12}",
        "rows", "insert ns/row", "dup ns/row", "delete ns/row", "overhead B/row", "+callbacks"
    );
    for n in [10_000usize, 100_000, 1_000_000] {
        let list = rows(n, 7);
        let runs = if n >= 1_000_000 { 5 } else { 9 };
        let (mut ins, mut dup, mut del, mut with_cb) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let mut overhead = 0;
        for _ in 0..runs {
            let mut cache = ClientCache::new(schema.clone());
            let mut diff = TableDiff::default();
            let insert = TableRows { table: 0, inserts: vec![list.clone()], deletes: vec![], events: vec![] };
            let t = Instant::now();
            cache.apply(&insert, false, &mut diff);
            ins.push(t.elapsed());
            assert_eq!(cache.count(0), n);
            overhead = cache.overhead_bytes();
            let t = Instant::now();
            cache.apply(&insert, false, &mut diff); // the same rows again: reference counts only
            dup.push(t.elapsed());
            let delete = TableRows { table: 0, inserts: vec![], deletes: vec![list.clone(), list.clone()], events: vec![] };
            let t = Instant::now();
            cache.apply(&delete, false, &mut diff);
            del.push(t.elapsed());
            assert_eq!(cache.count(0), 0);
            // With row callbacks registered the diff is collected too.
            let mut cache = ClientCache::new(schema.clone());
            let mut diff = TableDiff::default();
            let t = Instant::now();
            cache.apply(&insert, true, &mut diff);
            with_cb.push(t.elapsed());
            assert_eq!(diff.inserts.len(), n);
        }
        let per = |d: Duration| d.as_nanos() as f64 / n as f64;
        println!(
            "{:>9} {:>14.1} {:>14.1} {:>14.1} {:>12.1} {:>12.1}",
            n,
            per(median(ins)),
            per(median(dup)),
            per(median(del)),
            overhead as f64 / n as f64,
            per(median(with_cb))
        );
    }
}
