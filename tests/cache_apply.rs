//! The client cache without a server: reference counting, event diffs, primary-key updates,
//! unique and btree indexes (checked against a naive filter + sort), and value validation.

use bytes::Bytes;
use spacetimedb_client_api_messages::websocket::BsatnRowListBuilder;
use spacetimedb_lib::bsatn;
use spacetimedb_lib::db::raw_def::v9::{btree, RawModuleDefV9Builder};
use spacetimedb_sats::{AlgebraicType, ProductType};
use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::Arc;
use stdb_client::cache::{ClientCache, RowId, TableDiff, TableRows};
use stdb_client::protocol::reader::Reader;
use stdb_client::protocol::RowList;
use stdb_client::schema::{Schema, Ty, TypeTable};

// ------------------------------------------------------------------------------------------------
// Schema and rows.

const PLAYER: usize = 0;
const LOG: usize = 1;
// Player columns and indexes.
const P_ID: usize = 0;
const P_SCORE: usize = 1;
const P_NAME: usize = 2;
const BY_SCORE: usize = 0;
const BY_SCORE_NAME: usize = 1;
// Log columns and index.
const L_LEVEL: usize = 0;
const L_TAG: usize = 2;
const BY_LEVEL: usize = 0;

/// `player(id u32 primary key, score i32, name string)` with btree(score) and btree(score, name);
/// `log(level i32, msg string, tag u64 unique)` without a primary key, with btree(level).
fn schema() -> Arc<Schema> {
    let mut b = RawModuleDefV9Builder::new();
    b.build_table_with_new_type(
        "player",
        ProductType::from([("id", AlgebraicType::U32), ("score", AlgebraicType::I32), ("name", AlgebraicType::String)]),
        true,
    )
    .with_primary_key(0u16)
    .with_unique_constraint(0u16)
    .with_index(btree(1u16), "by_score")
    .with_index(btree([1u16, 2u16]), "by_score_name")
    .finish();
    b.build_table_with_new_type(
        "log",
        ProductType::from([("level", AlgebraicType::I32), ("msg", AlgebraicType::String), ("tag", AlgebraicType::U64)]),
        true,
    )
    .with_unique_constraint(2u16)
    .with_index(btree(0u16), "by_level")
    .finish();
    b.add_reducer("add", ProductType::from([("name", AlgebraicType::String)]), None);
    Arc::new(Schema::from_raw(b.finish()).unwrap())
}

#[test]
fn schema_shape() {
    let s = schema();
    let p = s.table("player").unwrap();
    assert_eq!(p.index, PLAYER);
    assert_eq!(p.primary_key, Some(P_ID));
    assert_eq!(p.unique_constraints, vec![vec![P_ID]]);
    assert_eq!(p.btree_indexes.iter().map(|i| i.columns.clone()).collect::<Vec<_>>(), vec![vec![P_SCORE], vec![P_SCORE, P_NAME]]);
    assert_eq!(p.btree_indexes[BY_SCORE_NAME].accessor_name.as_deref(), Some("by_score_name"));
    assert_eq!(p.row_fields, vec![Ty::U32, Ty::I32, Ty::String]);
    let l = s.table("log").unwrap();
    assert_eq!(l.index, LOG);
    assert_eq!(l.primary_key, None);
    assert_eq!(l.unique_constraints, vec![vec![L_TAG]]);
    assert_eq!(l.btree_indexes[BY_LEVEL].columns, vec![L_LEVEL]);
    assert_eq!(s.reducer("add").unwrap().id, 0);
}

fn player(id: u32, score: i32, name: &str) -> Vec<u8> {
    let mut r = id.to_le_bytes().to_vec();
    r.extend(score.to_le_bytes());
    r.extend((name.len() as u32).to_le_bytes());
    r.extend(name.as_bytes());
    r
}

fn log_row(level: i32, msg: &str, tag: u64) -> Vec<u8> {
    let mut r = level.to_le_bytes().to_vec();
    r.extend((msg.len() as u32).to_le_bytes());
    r.extend(msg.as_bytes());
    r.extend(tag.to_le_bytes());
    r
}

fn decode_player(row: &[u8]) -> (u32, i32, String) {
    let id = u32::from_le_bytes(row[0..4].try_into().unwrap());
    let score = i32::from_le_bytes(row[4..8].try_into().unwrap());
    let len = u32::from_le_bytes(row[8..12].try_into().unwrap()) as usize;
    assert_eq!(row.len(), 12 + len);
    (id, score, String::from_utf8(row[12..].to_vec()).unwrap())
}

fn string(s: &str) -> Vec<u8> {
    let mut v = (s.len() as u32).to_le_bytes().to_vec();
    v.extend(s.as_bytes());
    v
}

/// A row list as the server sends it (row offsets), encoded by the official builder and decoded.
fn list(rows: &[Vec<u8>]) -> RowList {
    let mut b = BsatnRowListBuilder::row_offsets();
    for r in rows {
        b.push(r);
    }
    let bytes = bsatn::to_vec(&b.finish()).unwrap();
    let mut reader = Reader::new(bytes.into());
    let l = RowList::decode(&mut reader).unwrap();
    reader.finish("row list").unwrap();
    l
}

/// One message's rows for one table: each inner vector is one query update's list.
fn apply(cache: &mut ClientCache, table: usize, inserts: &[&[Vec<u8>]], deletes: &[&[Vec<u8>]]) -> TableDiff {
    let rows = TableRows {
        table,
        inserts: inserts.iter().map(|r| list(r)).collect(),
        deletes: deletes.iter().map(|r| list(r)).collect(),
        events: Vec::new(),
    };
    let mut diff = TableDiff::default();
    cache.apply(&rows, true, &mut diff);
    assert_eq!(diff.table, table);
    diff
}

fn sorted(v: &[Bytes]) -> Vec<Vec<u8>> {
    let mut v: Vec<Vec<u8>> = v.iter().map(|b| b.to_vec()).collect();
    v.sort();
    v
}

fn table_rows(cache: &ClientCache, table: usize) -> Vec<Vec<u8>> {
    let mut v: Vec<Vec<u8>> = cache.iter(table).map(<[u8]>::to_vec).collect();
    v.sort();
    let mut shared: Vec<Vec<u8>> = cache.rows(table).map(|b| b.to_vec()).collect();
    shared.sort();
    assert_eq!(v, shared, "iter() and rows() disagree");
    assert_eq!(v.len(), cache.count(table));
    v
}

// ------------------------------------------------------------------------------------------------
// Reference counting and diffs.

#[test]
fn same_row_in_two_queries_is_counted_twice() {
    let mut cache = ClientCache::new(schema());
    let a = player(1, 10, "a");
    let d = apply(&mut cache, PLAYER, &[std::slice::from_ref(&a), std::slice::from_ref(&a)], &[]);
    assert_eq!(sorted(&d.inserts), vec![a.clone()]);
    assert!(d.deletes.is_empty() && d.updates.is_empty());
    assert_eq!(cache.count(PLAYER), 1);

    let d = apply(&mut cache, PLAYER, &[], &[std::slice::from_ref(&a)]);
    assert!(d.is_empty(), "{d:?}");
    assert_eq!(cache.count(PLAYER), 1);
    assert!(cache.contains(PLAYER, &a));

    let d = apply(&mut cache, PLAYER, &[], &[std::slice::from_ref(&a)]);
    assert_eq!(sorted(&d.deletes), vec![a.clone()]);
    assert!(d.inserts.is_empty() && d.updates.is_empty());
    assert_eq!(cache.count(PLAYER), 0);
    assert!(!cache.contains(PLAYER, &a));
    assert_eq!(cache.stats.missing_deletes, 0);
    assert_eq!((cache.stats.rows_inserted, cache.stats.rows_deleted), (1, 1));
}

#[test]
fn same_row_across_messages_is_counted() {
    let mut cache = ClientCache::new(schema());
    let a = player(1, 10, "a");
    assert_eq!(apply(&mut cache, PLAYER, &[std::slice::from_ref(&a)], &[]).inserts.len(), 1);
    assert!(apply(&mut cache, PLAYER, &[std::slice::from_ref(&a)], &[]).is_empty());
    assert!(apply(&mut cache, PLAYER, &[std::slice::from_ref(&a)], &[std::slice::from_ref(&a)]).is_empty());
    assert!(apply(&mut cache, PLAYER, &[], &[std::slice::from_ref(&a)]).is_empty());
    assert_eq!(apply(&mut cache, PLAYER, &[], &[std::slice::from_ref(&a)]).deletes.len(), 1);
    assert_eq!(cache.count(PLAYER), 0);
}

#[test]
fn insert_and_delete_of_a_new_row_in_one_message_cancel_out() {
    let mut cache = ClientCache::new(schema());
    let keep = player(1, 1, "keep");
    apply(&mut cache, PLAYER, &[std::slice::from_ref(&keep)], &[]);
    let b = player(2, 2, "b");
    let d = apply(&mut cache, PLAYER, &[&[b.clone(), player(3, 3, "c")]], &[std::slice::from_ref(&b)]);
    assert!(d.deletes.is_empty() && d.updates.is_empty(), "{d:?}");
    assert_eq!(sorted(&d.inserts), vec![player(3, 3, "c")]);
    assert!(!cache.contains(PLAYER, &b));
    assert_eq!(cache.count(PLAYER), 2);
    assert_eq!(cache.stats.rows_inserted, 2);

    // Alone in its message: no event at all.
    let e = player(4, 4, "e");
    let d = apply(&mut cache, PLAYER, &[std::slice::from_ref(&e)], &[std::slice::from_ref(&e)]);
    assert!(d.is_empty(), "{d:?}");
    assert!(!cache.contains(PLAYER, &e));
    // Inserted by two queries and deleted by one: it stays, and it is an insert.
    let d = apply(&mut cache, PLAYER, &[std::slice::from_ref(&e), std::slice::from_ref(&e)], &[std::slice::from_ref(&e)]);
    assert_eq!(sorted(&d.inserts), vec![e.clone()]);
    assert!(d.deletes.is_empty());
    assert!(cache.contains(PLAYER, &e));
    assert_eq!(apply(&mut cache, PLAYER, &[], &[std::slice::from_ref(&e)]).deletes.len(), 1);
    // The unique index (built after all this) sees exactly the live rows.
    assert_eq!(cache.find_unique(PLAYER, P_ID, &2u32.to_le_bytes()).unwrap(), None);
    assert_eq!(cache.find_unique(PLAYER, P_ID, &4u32.to_le_bytes()).unwrap(), None);
    assert_eq!(cache.find_unique(PLAYER, P_ID, &3u32.to_le_bytes()).unwrap().map(|r| r.to_vec()), Some(player(3, 3, "c")));
    assert_eq!(table_rows(&cache, PLAYER), vec![player(1, 1, "keep"), player(3, 3, "c")]);
}

#[test]
fn delete_and_insert_with_equal_primary_key_is_one_update() {
    let mut cache = ClientCache::new(schema());
    let old = player(1, 10, "alice");
    let other = player(2, 20, "bob");
    apply(&mut cache, PLAYER, &[&[old.clone(), other.clone()]], &[]);
    // Build the unique index before the update, so that it has to follow.
    assert!(cache.find_unique(PLAYER, P_ID, &1u32.to_le_bytes()).unwrap().is_some());

    let new = player(1, 11, "alice");
    let d = apply(&mut cache, PLAYER, &[std::slice::from_ref(&new)], &[std::slice::from_ref(&old)]);
    assert!(d.inserts.is_empty() && d.deletes.is_empty(), "{d:?}");
    assert_eq!(d.updates.len(), 1);
    assert_eq!((d.updates[0].0.to_vec(), d.updates[0].1.to_vec()), (old.clone(), new.clone()));
    assert_eq!(cache.find_unique(PLAYER, P_ID, &1u32.to_le_bytes()).unwrap().map(|r| r.to_vec()), Some(new.clone()));
    assert_eq!(cache.count(PLAYER), 2);

    // Mixed: an update (delete and insert in different query updates), a plain insert and a
    // plain delete in one message.
    let newer = player(1, 12, "alice2");
    let carol = player(3, 30, "carol");
    let d = apply(
        &mut cache,
        PLAYER,
        &[std::slice::from_ref(&carol), std::slice::from_ref(&newer)],
        &[std::slice::from_ref(&other), std::slice::from_ref(&new)],
    );
    assert_eq!(sorted(&d.inserts), vec![carol.clone()]);
    assert_eq!(sorted(&d.deletes), vec![other.clone()]);
    assert_eq!(d.updates.len(), 1);
    assert_eq!((d.updates[0].0.to_vec(), d.updates[0].1.to_vec()), (new, newer.clone()));
    assert_eq!(table_rows(&cache, PLAYER), vec![newer, carol]);
    assert_eq!(cache.find_unique(PLAYER, P_ID, &2u32.to_le_bytes()).unwrap(), None);

    // A byte-identical delete and insert of a cached row is no change at all.
    let carol = player(3, 30, "carol");
    assert!(apply(&mut cache, PLAYER, &[std::slice::from_ref(&carol)], &[std::slice::from_ref(&carol)]).is_empty());
    assert!(cache.contains(PLAYER, &carol));
}

#[test]
fn table_without_primary_key_never_produces_updates() {
    let mut cache = ClientCache::new(schema());
    let a = log_row(1, "x", 100);
    apply(&mut cache, LOG, &[std::slice::from_ref(&a)], &[]);
    // Same level and message, new tag; and same everything but the message.
    let b = log_row(1, "x", 101);
    let d = apply(&mut cache, LOG, &[std::slice::from_ref(&b)], &[std::slice::from_ref(&a)]);
    assert!(d.updates.is_empty());
    assert_eq!(sorted(&d.inserts), vec![b.clone()]);
    assert_eq!(sorted(&d.deletes), vec![a.clone()]);
    let c = log_row(1, "y", 101);
    let d = apply(&mut cache, LOG, &[std::slice::from_ref(&c)], &[std::slice::from_ref(&b)]);
    assert!(d.updates.is_empty());
    assert_eq!((d.inserts.len(), d.deletes.len()), (1, 1));
    assert_eq!(table_rows(&cache, LOG), vec![c]);
}

#[test]
fn delete_of_an_absent_row_is_counted_not_fatal() {
    let mut cache = ClientCache::new(schema());
    let a = player(1, 1, "a");
    let d = apply(&mut cache, PLAYER, &[], &[std::slice::from_ref(&a)]);
    assert!(d.is_empty());
    assert_eq!(cache.stats.missing_deletes, 1);
    apply(&mut cache, PLAYER, &[std::slice::from_ref(&a)], &[]);
    let d = apply(&mut cache, PLAYER, &[], &[&[a.clone(), a.clone()]]);
    assert_eq!(sorted(&d.deletes), vec![a.clone()]);
    assert_eq!(cache.stats.missing_deletes, 2);
    // Garbage that is not even a row of the table.
    let d = apply(&mut cache, PLAYER, &[], &[&[vec![1, 2, 3], vec![]]]);
    assert!(d.is_empty());
    assert_eq!(cache.stats.missing_deletes, 4);
    assert_eq!(cache.count(PLAYER), 0);
}

#[test]
fn apply_without_collecting_changes_the_cache_only() {
    let mut cache = ClientCache::new(schema());
    let rows = TableRows {
        table: PLAYER,
        inserts: vec![list(&[player(1, 1, "a"), player(2, 2, "b")])],
        deletes: vec![],
        events: vec![],
    };
    let mut diff = TableDiff::default();
    cache.apply(&rows, false, &mut diff);
    assert!(diff.is_empty());
    assert_eq!(cache.count(PLAYER), 2);
}

#[test]
fn fixed_size_row_lists_apply_too() {
    // A table whose rows happen to be fixed-size for this test: player rows with an empty name.
    let mut cache = ClientCache::new(schema());
    let rows: Vec<u8> = (0..10u32).flat_map(|i| player(i, i as i32 - 5, "")).collect();
    let list = RowList::from_fixed(Bytes::from(rows), 12);
    let mut diff = TableDiff::default();
    cache.apply(&TableRows { table: PLAYER, inserts: vec![list], deletes: vec![], events: vec![] }, true, &mut diff);
    assert_eq!(diff.inserts.len(), 10);
    assert_eq!(cache.count(PLAYER), 10);
    assert!(cache.contains(PLAYER, &player(7, 2, "")));
}

// ------------------------------------------------------------------------------------------------
// Unique index.

#[test]
fn find_unique_by_value_and_type_errors() {
    let mut cache = ClientCache::new(schema());
    apply(&mut cache, PLAYER, &[&[player(1, 1, "a"), player(u32::MAX, -1, "max")]], &[]);
    apply(&mut cache, LOG, &[&[log_row(1, "m", 7), log_row(2, "n", u64::MAX)]], &[]);
    let found = |c: &mut ClientCache, t, col, v: &[u8]| c.find_unique(t, col, v).unwrap().map(|r| r.to_vec());
    assert_eq!(found(&mut cache, PLAYER, P_ID, &1u32.to_le_bytes()), Some(player(1, 1, "a")));
    assert_eq!(found(&mut cache, PLAYER, P_ID, &u32::MAX.to_le_bytes()), Some(player(u32::MAX, -1, "max")));
    assert_eq!(found(&mut cache, PLAYER, P_ID, &2u32.to_le_bytes()), None);
    assert_eq!(found(&mut cache, LOG, L_TAG, &u64::MAX.to_le_bytes()), Some(log_row(2, "n", u64::MAX)));
    assert_eq!(found(&mut cache, LOG, L_TAG, &8u64.to_le_bytes()), None);

    // Wrong-typed bytes: too short, too long, a u64 for a u32, a u32 for a u64.
    for bad in [&[1u8, 0, 0][..], &[1, 0, 0, 0, 0], &1u64.to_le_bytes(), &[]] {
        assert!(cache.find_unique(PLAYER, P_ID, bad).is_err(), "{bad:?}");
    }
    assert!(cache.find_unique(LOG, L_TAG, &7u32.to_le_bytes()).is_err());
    // Columns without a unique constraint.
    assert!(cache.find_unique(PLAYER, P_SCORE, &1i32.to_le_bytes()).is_err());
    assert!(cache.find_unique(PLAYER, P_NAME, &string("a")).is_err());
    assert!(cache.find_unique(LOG, L_LEVEL, &1i32.to_le_bytes()).is_err());

    // Maintained after the build.
    apply(&mut cache, PLAYER, &[&[player(2, 2, "b")]], &[&[player(1, 1, "a")]]);
    assert_eq!(found(&mut cache, PLAYER, P_ID, &1u32.to_le_bytes()), None);
    assert_eq!(found(&mut cache, PLAYER, P_ID, &2u32.to_le_bytes()), Some(player(2, 2, "b")));
    apply(&mut cache, LOG, &[], &[&[log_row(1, "m", 7)]]);
    assert_eq!(found(&mut cache, LOG, L_TAG, &7u64.to_le_bytes()), None);
}

// ------------------------------------------------------------------------------------------------
// Btree indexes against a naive filter + sort.

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
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn score(&mut self) -> i32 {
        // Mostly small values around zero (many duplicates), sometimes extremes.
        match self.below(20) {
            0 => i32::MIN + self.below(3) as i32,
            1 => i32::MAX - self.below(3) as i32,
            _ => self.below(41) as i32 - 20,
        }
    }
    fn name(&mut self) -> String {
        const NAMES: &[&str] = &["", "a", "aa", "ab", "b", "B", "ba", "z", "\0", "a\0", "a\0b", "é", "ü", "~", "ÿ", "日本"];
        NAMES[self.below(NAMES.len() as u64) as usize].to_string()
    }
}

/// id → (score, name, how many query copies of the row the cache holds).
type Model = BTreeMap<u32, (i32, String, u32)>;

fn scan(
    cache: &mut ClientCache,
    index: usize,
    prefix: &[&[u8]],
    range: Option<stdb_client::cache::KeyRange>,
) -> Vec<(u32, i32, String)> {
    let mut ids: Vec<RowId> = Vec::new();
    cache.btree_scan(PLAYER, index, prefix, range, &mut ids).unwrap();
    ids.iter().map(|&id| decode_player(&cache.row(PLAYER, id))).collect()
}

fn in_bounds<T: Ord>(v: &T, lo: &Bound<T>, hi: &Bound<T>) -> bool {
    let above = match lo {
        Bound::Included(l) => v >= l,
        Bound::Excluded(l) => v > l,
        Bound::Unbounded => true,
    };
    let below = match hi {
        Bound::Included(h) => v <= h,
        Bound::Excluded(h) => v < h,
        Bound::Unbounded => true,
    };
    above && below
}

/// Compares a scan with the naive answer: the same rows, in index order (ties in any order).
fn same_in_order(
    got: Vec<(u32, i32, String)>,
    model: &Model,
    keep: impl Fn(i32, &str) -> bool,
    key: impl Fn(&(u32, i32, String)) -> (i32, Vec<u8>),
    what: &str,
) {
    let mut want: Vec<(u32, i32, String)> =
        model.iter().filter(|(_, (s, n, _))| keep(*s, n)).map(|(&id, (s, n, _))| (id, *s, n.clone())).collect();
    want.sort_by_key(|r| key(r));
    let got_keys: Vec<_> = got.iter().map(&key).collect();
    let want_keys: Vec<_> = want.iter().map(&key).collect();
    assert_eq!(got_keys, want_keys, "{what}: keys in order");
    let mut got_sorted = got.clone();
    got_sorted.sort();
    want.sort();
    assert_eq!(got_sorted, want, "{what}: rows");
}

fn bound_of<T: Clone>(kind: u64, v: &T) -> Bound<T> {
    match kind {
        0 => Bound::Included(v.clone()),
        1 => Bound::Excluded(v.clone()),
        _ => Bound::Unbounded,
    }
}

fn as_bytes_bound(b: &Bound<Vec<u8>>) -> Bound<&[u8]> {
    match b {
        Bound::Included(v) => Bound::Included(v.as_slice()),
        Bound::Excluded(v) => Bound::Excluded(v.as_slice()),
        Bound::Unbounded => Bound::Unbounded,
    }
}

fn check_queries(cache: &mut ClientCache, model: &Model, rng: &mut XorShift, rounds: usize) {
    assert_eq!(cache.count(PLAYER), model.len());
    let by_score = |r: &(u32, i32, String)| (r.1, Vec::new());
    let by_score_name = |r: &(u32, i32, String)| (r.1, r.2.as_bytes().to_vec());

    // Everything, both ways of asking.
    same_in_order(scan(cache, BY_SCORE, &[], None), model, |_, _| true, by_score, "all by score");
    same_in_order(
        scan(cache, BY_SCORE_NAME, &[], Some((Bound::Unbounded, Bound::Unbounded))),
        model,
        |_, _| true,
        by_score_name,
        "all by score, name",
    );

    for _ in 0..rounds {
        // Exact match on the single-column index, and as a prefix of the two-column one.
        let v = rng.score();
        let vb = v.to_le_bytes();
        same_in_order(scan(cache, BY_SCORE, &[&vb], None), model, |s, _| s == v, by_score, "score = v");
        same_in_order(scan(cache, BY_SCORE_NAME, &[&vb], None), model, |s, _| s == v, by_score_name, "prefix score = v");
        // Exact match on both columns.
        let n = rng.name();
        let nb = string(&n);
        same_in_order(
            scan(cache, BY_SCORE_NAME, &[&vb, &nb], None),
            model,
            |s, name| s == v && name == n,
            by_score_name,
            "score = v, name = n",
        );

        // A range on score, on both indexes.
        let (lo, hi) = (rng.score(), rng.score());
        let (lk, hk) = (rng.below(3), rng.below(3));
        let (lo_b, hi_b) = (bound_of(lk, &lo.to_le_bytes().to_vec()), bound_of(hk, &hi.to_le_bytes().to_vec()));
        let (lo_v, hi_v) = (bound_of(lk, &lo), bound_of(hk, &hi));
        let what = format!("score in {lo_v:?}..{hi_v:?}");
        for (index, key) in [(BY_SCORE, &by_score as &dyn Fn(&_) -> _), (BY_SCORE_NAME, &by_score_name)] {
            same_in_order(
                scan(cache, index, &[], Some((as_bytes_bound(&lo_b), as_bytes_bound(&hi_b)))),
                model,
                |s, _| in_bounds(&s, &lo_v, &hi_v),
                key,
                &what,
            );
        }

        // A range on name under a score prefix (strings order bytewise).
        let (lo, hi) = (rng.name(), rng.name());
        let (lk, hk) = (rng.below(3), rng.below(3));
        let (lo_b, hi_b) = (bound_of(lk, &string(&lo)), bound_of(hk, &string(&hi)));
        let (lo_v, hi_v) = (bound_of(lk, &lo.as_bytes().to_vec()), bound_of(hk, &hi.as_bytes().to_vec()));
        same_in_order(
            scan(cache, BY_SCORE_NAME, &[&vb], Some((as_bytes_bound(&lo_b), as_bytes_bound(&hi_b)))),
            model,
            |s, name| s == v && in_bounds(&name.as_bytes().to_vec(), &lo_v, &hi_v),
            by_score_name,
            &format!("score = {v}, name in {lo_v:?}..{hi_v:?}"),
        );
    }
}

fn random_message(rng: &mut XorShift, model: &mut Model, next_id: &mut u32) -> (Vec<Vec<u8>>, Vec<Vec<u8>>) {
    let (mut inserts, mut deletes) = (Vec::new(), Vec::new());
    for _ in 0..1 + rng.below(30) {
        match rng.below(3) {
            0 => {
                let (id, s, n) = (*next_id, rng.score(), rng.name());
                *next_id += 1 + rng.below(3) as u32;
                inserts.push(player(id, s, &n));
                model.insert(id, (s, n, 1));
            }
            1 if !model.is_empty() => {
                let id = *model.keys().nth(rng.below(model.len() as u64) as usize).unwrap();
                if inserts.iter().chain(&deletes).any(|r| decode_player(r).0 == id) {
                    continue;
                }
                let (s, n, refs) = model.remove(&id).unwrap();
                for _ in 0..refs {
                    deletes.push(player(id, s, &n)); // once per query copy
                }
            }
            _ if !model.is_empty() => {
                // An update of an existing row.
                let id = *model.keys().nth(rng.below(model.len() as u64) as usize).unwrap();
                if inserts.iter().chain(&deletes).any(|r| decode_player(r).0 == id) {
                    continue;
                }
                let (s, n, refs) = model[&id].clone();
                let (s2, n2) = (rng.score(), rng.name());
                if (s, &n) == (s2, &n2) {
                    continue;
                }
                for _ in 0..refs {
                    deletes.push(player(id, s, &n));
                }
                inserts.push(player(id, s2, &n2));
                model.insert(id, (s2, n2, 1));
            }
            _ => {}
        }
    }
    (inserts, deletes)
}

#[test]
fn btree_scans_match_a_naive_filter_and_sort() {
    let mut rng = XorShift(0x2545_F491_4F6C_DD1D);
    let mut cache = ClientCache::new(schema());
    let mut model = Model::new();
    let mut next_id = 0u32;
    // A few hundred rows, arriving in two overlapping queries (so each is counted twice for some).
    let mut rows = Vec::new();
    for _ in 0..400 {
        let (id, s, n) = (next_id, rng.score(), rng.name());
        next_id += 1;
        rows.push(player(id, s, &n));
        model.insert(id, (s, n, 1 + u32::from(id % 3 == 0)));
    }
    let overlap: Vec<Vec<u8>> = rows.iter().step_by(3).cloned().collect();
    let d = apply(&mut cache, PLAYER, &[&rows, &overlap], &[]);
    assert_eq!(d.inserts.len(), 400);

    // Indexes are built by the first query, then maintained through later messages.
    check_queries(&mut cache, &model, &mut rng, 60);
    for round in 0..40 {
        let (inserts, deletes) = random_message(&mut rng, &mut model, &mut next_id);
        let d = apply(&mut cache, PLAYER, &[&inserts], &[&deletes]);
        assert!(d.inserts.len() + d.deletes.len() + d.updates.len() <= inserts.len() + deletes.len());
        if round % 4 == 0 {
            check_queries(&mut cache, &model, &mut rng, 10);
        }
    }
    // The overlapping copies still hold their rows: dropping one copy changes nothing.
    let still: Vec<Vec<u8>> = overlap.iter().filter(|r| cache.contains(PLAYER, r)).cloned().collect();
    assert!(!still.is_empty());
    assert!(apply(&mut cache, PLAYER, &[], &[&still]).is_empty());
    for r in &still {
        model.get_mut(&decode_player(r).0).unwrap().2 -= 1;
    }
    check_queries(&mut cache, &model, &mut rng, 20);
    // And the unique index agrees with the model for every id ever used.
    for id in 0..next_id {
        let got = cache.find_unique(PLAYER, P_ID, &id.to_le_bytes()).unwrap().map(|r| decode_player(&r));
        assert_eq!(got, model.get(&id).map(|(s, n, _)| (id, *s, n.clone())), "id {id}");
    }
}

#[test]
fn btree_orders_negative_numbers_and_strings() {
    let mut cache = ClientCache::new(schema());
    let rows = vec![
        player(1, 3, "b"),
        player(2, -5, "a"),
        player(3, 0, "é"),
        player(4, -1, "z"),
        player(5, i32::MIN, ""),
        player(6, i32::MAX, "x"),
        player(7, 3, "a"),
        player(8, 3, "B"),
        player(9, 3, "ab"),
        player(10, 3, "a\0"),
        player(11, 3, "ü"),
    ];
    apply(&mut cache, PLAYER, &[&rows], &[]);
    let ids = |v: Vec<(u32, i32, String)>| v.into_iter().map(|r| r.0).collect::<Vec<_>>();
    let scores = |v: Vec<(u32, i32, String)>| v.into_iter().map(|r| r.1).collect::<Vec<_>>();
    assert_eq!(scores(scan(&mut cache, BY_SCORE, &[], None)), vec![i32::MIN, -5, -1, 0, 3, 3, 3, 3, 3, 3, i32::MAX]);
    // -5 < 3: a range from -5 up to 3 exclusive.
    let (m5, p3) = ((-5i32).to_le_bytes(), 3i32.to_le_bytes());
    assert_eq!(ids(scan(&mut cache, BY_SCORE, &[], Some((Bound::Included(&m5), Bound::Excluded(&p3))))), vec![2, 4, 3]);
    assert_eq!(ids(scan(&mut cache, BY_SCORE, &[], Some((Bound::Excluded(&m5), Bound::Included(&p3))))).len(), 8);
    assert_eq!(ids(scan(&mut cache, BY_SCORE, &[], Some((Bound::Unbounded, Bound::Excluded(&m5))))), vec![5]);
    assert_eq!(ids(scan(&mut cache, BY_SCORE, &[], Some((Bound::Excluded(&p3), Bound::Unbounded)))), vec![6]);
    // Empty and inverted ranges are empty, not a panic.
    assert!(scan(&mut cache, BY_SCORE, &[], Some((Bound::Excluded(&p3), Bound::Excluded(&p3)))).is_empty());
    assert!(scan(&mut cache, BY_SCORE, &[], Some((Bound::Included(&p3), Bound::Excluded(&p3)))).is_empty());
    assert!(scan(&mut cache, BY_SCORE, &[], Some((Bound::Included(&p3), Bound::Included(&m5)))).is_empty());
    assert_eq!(scan(&mut cache, BY_SCORE, &[], Some((Bound::Included(&p3), Bound::Included(&p3)))).len(), 6);
    let (max, min) = (i32::MAX.to_le_bytes(), i32::MIN.to_le_bytes());
    assert!(scan(&mut cache, BY_SCORE, &[], Some((Bound::Excluded(&max), Bound::Unbounded))).is_empty());
    assert!(scan(&mut cache, BY_SCORE, &[], Some((Bound::Unbounded, Bound::Excluded(&min)))).is_empty());
    assert_eq!(ids(scan(&mut cache, BY_SCORE, &[], Some((Bound::Included(&max), Bound::Included(&max))))), vec![6]);
    // Names under score 3, bytewise: "B" < "a" < "a\0" < "ab" < "b" < "ü".
    assert_eq!(ids(scan(&mut cache, BY_SCORE_NAME, &[&p3], None)), vec![8, 7, 10, 9, 1, 11]);
    let (a, b) = (string("a"), string("b"));
    assert_eq!(ids(scan(&mut cache, BY_SCORE_NAME, &[&p3], Some((Bound::Included(&a), Bound::Excluded(&b))))), vec![7, 10, 9]);
    assert_eq!(ids(scan(&mut cache, BY_SCORE_NAME, &[&p3], Some((Bound::Excluded(&a), Bound::Included(&b))))), vec![10, 9, 1]);
    assert_eq!(ids(scan(&mut cache, BY_SCORE_NAME, &[&p3, &a], None)), vec![7]);
    assert!(scan(&mut cache, BY_SCORE_NAME, &[&m5, &b], None).is_empty());
    // The whole two-column index in order.
    let all = scan(&mut cache, BY_SCORE_NAME, &[], None);
    let keys: Vec<(i32, Vec<u8>)> = all.iter().map(|r| (r.1, r.2.as_bytes().to_vec())).collect();
    let mut want = keys.clone();
    want.sort();
    assert_eq!(keys, want);
}

#[test]
fn btree_scan_rejects_bad_queries() {
    let mut cache = ClientCache::new(schema());
    apply(&mut cache, PLAYER, &[&[player(1, 1, "a")]], &[]);
    let mut out = Vec::new();
    let one = 1i32.to_le_bytes();
    let a = string("a");
    // Unknown index, too many columns, wrong-typed prefix or bound.
    assert!(cache.btree_scan(PLAYER, 2, &[], None, &mut out).is_err());
    assert!(cache.btree_scan(PLAYER, BY_SCORE, &[&one], Some((Bound::Unbounded, Bound::Unbounded)), &mut out).is_err());
    assert!(cache.btree_scan(PLAYER, BY_SCORE_NAME, &[&one, &a], Some((Bound::Unbounded, Bound::Unbounded)), &mut out).is_err());
    assert!(cache.btree_scan(PLAYER, BY_SCORE_NAME, &[&one, &a, &a], None, &mut out).is_err());
    assert!(cache.btree_scan(PLAYER, BY_SCORE, &[&one[..3]], None, &mut out).is_err());
    assert!(cache.btree_scan(PLAYER, BY_SCORE, &[&a], None, &mut out).is_err());
    assert!(cache.btree_scan(PLAYER, BY_SCORE_NAME, &[&one[..], &[1u8, 0, 0, 0, 0xff][..]], None, &mut out).is_err());
    assert!(cache.btree_scan(PLAYER, BY_SCORE, &[], Some((Bound::Included(&[1u8][..]), Bound::Unbounded)), &mut out).is_err());
    assert!(cache
        .btree_scan(PLAYER, BY_SCORE_NAME, &[&one], Some((Bound::Unbounded, Bound::Excluded(&one[..]))), &mut out)
        .is_err());
    assert!(out.is_empty());
    // The non-pk table's index works the same way.
    apply(&mut cache, LOG, &[&[log_row(-3, "x", 1), log_row(2, "y", 2), log_row(-3, "z", 3)]], &[]);
    cache.btree_scan(LOG, BY_LEVEL, &[&(-3i32).to_le_bytes()], None, &mut out).unwrap();
    assert_eq!(out.len(), 2);
}

// ------------------------------------------------------------------------------------------------
// Value validation.

#[test]
fn validate_accepts_well_formed_values() {
    let t = TypeTable::default();
    t.validate(&Ty::Bool, &[0]).unwrap();
    t.validate(&Ty::Bool, &[1]).unwrap();
    t.validate(&Ty::U32, &[1, 2, 3, 4]).unwrap();
    t.validate(&Ty::I256, &[0xff; 32]).unwrap();
    t.validate(&Ty::F64, &1.5f64.to_le_bytes()).unwrap();
    t.validate(&Ty::String, &string("")).unwrap();
    t.validate(&Ty::String, &string("héllo")).unwrap();
    let row = Ty::Product(vec![Ty::U32, Ty::I32, Ty::String]);
    t.validate(&row, &player(1, -1, "x")).unwrap();
    let option_u8 = Ty::Sum(vec![Ty::U8, Ty::Product(vec![])]);
    t.validate(&option_u8, &[0, 5]).unwrap();
    t.validate(&option_u8, &[1]).unwrap();
    let arr = Ty::Array(Box::new(Ty::String));
    let mut v = 2u32.to_le_bytes().to_vec();
    v.extend(string("a"));
    v.extend(string("bc"));
    t.validate(&arr, &v).unwrap();
    t.validate(&Ty::Array(Box::new(Ty::U16)), &[2, 0, 0, 0, 1, 0, 2, 0]).unwrap();
    t.validate(&Ty::Array(Box::new(Ty::Bool)), &[2, 0, 0, 0, 1, 0]).unwrap();
    // Through the schema's typespace (the player row type is a Ref).
    let s = schema();
    let p = s.table("player").unwrap();
    s.types.validate(&Ty::Product(p.row_fields.clone()), &player(5, 5, "five")).unwrap();
    s.types.validate(&s.reducer("add").unwrap().params, &string("arg")).unwrap();
}

#[test]
fn validate_rejects_malformed_values() {
    let t = TypeTable::default();
    let rejects = |ty: &Ty, bytes: &[u8], what: &str| {
        let e = t.validate(ty, bytes);
        assert!(e.is_err(), "{what}: accepted {bytes:02x?}");
    };
    // Bad bool bytes.
    rejects(&Ty::Bool, &[2], "bool 2");
    rejects(&Ty::Bool, &[0xff], "bool ff");
    rejects(&Ty::Product(vec![Ty::U8, Ty::Bool]), &[0, 7], "bool field");
    // Invalid UTF-8.
    rejects(&Ty::String, &[2, 0, 0, 0, 0xc3, 0x28], "bad continuation");
    rejects(&Ty::String, &[1, 0, 0, 0, 0x80], "lone continuation");
    rejects(&Ty::String, &[3, 0, 0, 0, 0xed, 0xa0, 0x80], "surrogate");
    rejects(&Ty::String, &[2, 0, 0, 0, 0xc0, 0x80], "overlong");
    // Truncated values.
    rejects(&Ty::U32, &[1, 2, 3], "short u32");
    rejects(&Ty::U128, &[0; 15], "short u128");
    rejects(&Ty::Bool, &[], "empty bool");
    rejects(&Ty::String, &[5, 0, 0, 0, b'a'], "short string");
    rejects(&Ty::String, &[0xff, 0xff, 0xff, 0xff], "huge string length");
    rejects(&Ty::String, &[1, 0], "short length");
    rejects(&Ty::Array(Box::new(Ty::U64)), &[0xff, 0xff, 0xff, 0xff, 0], "huge fixed-size array");
    rejects(&Ty::Array(Box::new(Ty::String)), &[0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0], "huge array of strings");
    rejects(&Ty::Product(vec![Ty::U32, Ty::String]), &player(1, 2, "")[..7], "short row");
    // Bad sum tags.
    let option_u8 = Ty::Sum(vec![Ty::U8, Ty::Product(vec![])]);
    rejects(&option_u8, &[2], "tag 2");
    rejects(&option_u8, &[0xff, 0], "tag ff");
    rejects(&option_u8, &[0], "some without payload");
    rejects(&Ty::Sum(vec![]), &[0], "empty sum");
    // Trailing bytes.
    rejects(&Ty::U32, &[1, 2, 3, 4, 5], "u32 + 1");
    rejects(&option_u8, &[1, 0], "none + 1");
    rejects(&Ty::String, &[1, 0, 0, 0, b'a', b'b'], "string + 1");
    rejects(&Ty::Product(vec![]), &[0], "unit + 1");
    // Invalid elements inside arrays of fixed-size types.
    rejects(&Ty::Array(Box::new(Ty::Bool)), &[2, 0, 0, 0, 1, 2], "array of bool");
    rejects(&Ty::Array(Box::new(Ty::Sum(vec![Ty::Product(vec![]), Ty::Product(vec![])]))), &[1, 0, 0, 0, 5], "array of enum");
    // Through the schema: a player row with a bad name.
    let s = schema();
    let p = s.table("player").unwrap();
    let mut bad = player(1, 1, "ab");
    *bad.last_mut().unwrap() = 0xff;
    assert!(s.types.validate(&Ty::Product(p.row_fields.clone()), &bad).is_err());
}

#[test]
fn validate_rejects_deep_nesting() {
    // A recursive type: `list = Sum { nil: (), cons: (u8, list) }` given 1000 levels.
    let mut ts = spacetimedb_sats::Typespace::new(vec![]);
    let r = ts.add(AlgebraicType::unit());
    ts[r] = AlgebraicType::sum([
        ("nil", AlgebraicType::unit()),
        ("cons", AlgebraicType::product([AlgebraicType::U8, AlgebraicType::Ref(r)])),
    ]);
    let t = TypeTable::new(&ts).unwrap();
    let ty = t.compile(&AlgebraicType::Ref(r)).unwrap();
    t.validate(&ty, &[1, 9, 1, 9, 0]).unwrap();
    let mut deep = Vec::new();
    for _ in 0..1000 {
        deep.extend([1, 9]);
    }
    deep.push(0);
    assert!(t.validate(&ty, &deep).is_err());
}
