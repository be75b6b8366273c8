//! The client cache and subscriptions against a real server: overlapping subscriptions,
//! unsubscribing, updates, unique and btree lookups checked against the server's own SQL,
//! one-off queries, RLS and parameterized queries.

mod common;

use common::*;
use std::collections::{BTreeMap, BTreeSet};
use std::ops::Bound;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use stdb_client::{DbConnection, Event, Status, SubscriptionState};

fn main() {
    run_tests(
        env!("CARGO_CRATE_NAME"),
        live_tests![
            overlapping_subscriptions_fire_one_callback_per_row_and_unsubscribe_removes_only_uncovered_rows: ALL,
            updates_only_for_primary_key_tables: ALL,
            subscribe_then_cancel_before_applied: ALL,
            subscription_error_fires_on_error_and_never_on_applied: ALL,
            ten_subscriptions_come_and_go_in_any_order_with_exact_counts: ALL,
            large_subscription_equals_select_star_over_http: ALL,
            unique_find_and_btree_ranges_match_sql: ALL,
            one_off_queries_return_rows_or_errors_without_touching_the_cache: ALL,
            subscribe_to_all_tables_covers_every_public_table: ALL,
            row_level_security_and_parameterized_queries_follow_the_server: ALL,
            join_rows_with_multiplicity_stay_until_the_last_copy_goes: ALL,
        ],
    )
}

/// Counts row callbacks per primary key (the first u32 of a `pk_u32` row).
#[derive(Default)]
struct Tally {
    inserts: BTreeMap<u32, usize>,
    deletes: BTreeMap<u32, usize>,
    updates: BTreeMap<u32, usize>,
}

fn tally(conn: &DbConnection, table: &str) -> Arc<Mutex<Tally>> {
    let t = Arc::new(Mutex::new(Tally::default()));
    let h = conn.table(table).unwrap();
    let (a, b, c) = (t.clone(), t.clone(), t.clone());
    h.on_insert(move |_, row| *a.lock().unwrap().inserts.entry(u32_at(row, 0)).or_default() += 1);
    h.on_delete(move |_, row| *b.lock().unwrap().deletes.entry(u32_at(row, 0)).or_default() += 1).unwrap();
    // Tables without a primary key refuse update callbacks; their updates arrive as delete + insert.
    let _ = h.on_update(move |_, old, new| {
        assert_eq!(u32_at(old, 0), u32_at(new, 0));
        *c.lock().unwrap().updates.entry(u32_at(new, 0)).or_default() += 1;
    });
    t
}

fn keys(conn: &DbConnection, table: &str) -> BTreeSet<u32> {
    conn.table(table).unwrap().rows().iter().map(|r| u32_at(r, 0)).collect()
}

fn overlapping_subscriptions_fire_one_callback_per_row_and_unsubscribe_removes_only_uncovered_rows() {
    let db = publish("sdk-test");
    let conn = connect(&db);
    assert_eq!(call(&conn, "insert_many", Args::new().u32(0).u32(20)), Status::Committed);
    let t = tally(&conn, "pk_u32");
    let low = subscribe(&conn, &["SELECT * FROM pk_u32 WHERE n < 10"]);
    let high = subscribe(&conn, &["SELECT * FROM pk_u32 WHERE n >= 5"]);
    assert_eq!(conn.table("pk_u32").unwrap().count(), 20);
    {
        let t = t.lock().unwrap();
        assert_eq!(t.inserts.len(), 20);
        assert!(t.inserts.values().all(|&n| n == 1), "exactly one insert per row: {:?}", t.inserts);
    }
    // A change to a row both queries cover: one update, not two.
    assert_eq!(call(&conn, "update_pk_u32", Args::new().u32(7).i32(70)), Status::Committed);
    assert_eq!(t.lock().unwrap().updates.get(&7), Some(&1));
    assert!(t.lock().unwrap().deletes.is_empty());

    let done = Arc::new(AtomicUsize::new(0));
    let d = done.clone();
    low.unsubscribe_then(move |_| {
        d.fetch_add(1, Ordering::SeqCst);
    })
    .unwrap();
    assert_eq!(low.state(), SubscriptionState::Unsubscribing);
    assert!(tick_until(&conn, || done.load(Ordering::SeqCst) == 1));
    assert!(low.is_ended());
    assert!(high.is_active());
    assert_eq!(keys(&conn, "pk_u32"), (5..20).collect(), "rows 5..9 stay: the other query still covers them");
    assert_eq!(t.lock().unwrap().deletes.keys().copied().collect::<Vec<_>>(), (0..5).collect::<Vec<_>>());
    high.unsubscribe().unwrap();
    assert!(tick_until(&conn, || conn.table("pk_u32").unwrap().count() == 0));
    assert!(t.lock().unwrap().deletes.values().all(|&n| n == 1));
}

fn updates_only_for_primary_key_tables() {
    let db = publish("sdk-test");
    let conn = connect(&db);
    subscribe(&conn, &["SELECT * FROM pk_u32", "SELECT * FROM unique_u32"]);
    assert!(conn.table("unique_u32").unwrap().on_update(|_, _, _| {}).is_err(), "no on_update without a primary key");
    let pk = tally(&conn, "pk_u32");
    let uq = tally(&conn, "unique_u32");
    call(&conn, "insert_pk_u32", Args::new().u32(1).i32(10));
    call(&conn, "update_pk_u32", Args::new().u32(1).i32(11));
    call(&conn, "insert_unique_u32", Args::new().u32(1).i32(10));
    call(&conn, "delete_unique_u32", Args::new().u32(1));
    call(&conn, "delete_pk_u32", Args::new().u32(1));
    let pk = pk.lock().unwrap();
    assert_eq!((pk.inserts.get(&1), pk.updates.get(&1), pk.deletes.get(&1)), (Some(&1), Some(&1), Some(&1)));
    let uq = uq.lock().unwrap();
    assert_eq!((uq.inserts.get(&1), uq.updates.get(&1), uq.deletes.get(&1)), (Some(&1), None, Some(&1)));
}

fn subscribe_then_cancel_before_applied() {
    let db = publish("sdk-test");
    let conn = connect(&db);
    call(&conn, "insert_many", Args::new().u32(0).u32(10));
    let applied = Arc::new(AtomicUsize::new(0));
    let a = applied.clone();
    let handle = conn
        .subscription_builder()
        .on_applied(move |_| {
            a.fetch_add(1, Ordering::SeqCst);
        })
        .subscribe(&["SELECT * FROM pk_u32"])
        .unwrap();
    assert_eq!(handle.state(), SubscriptionState::Pending);
    handle.unsubscribe().unwrap();
    assert!(tick_until(&conn, || handle.is_ended()));
    tick_for(&conn, Duration::from_millis(200));
    assert_eq!(applied.load(Ordering::SeqCst), 0, "on_applied never runs for a cancelled subscription");
    assert_eq!(conn.table("pk_u32").unwrap().count(), 0);
    assert!(handle.unsubscribe().is_err());
}

fn subscription_error_fires_on_error_and_never_on_applied() {
    let db = publish("sdk-test");
    let conn = connect(&db);
    let outcome = Arc::new(Mutex::new(Vec::new()));
    let (a, e) = (outcome.clone(), outcome.clone());
    let handle = conn
        .subscription_builder()
        .on_applied(move |_| a.lock().unwrap().push("applied".to_owned()))
        .on_error(move |ctx, msg| {
            assert!(matches!(ctx.event, Event::SubscribeError(_)));
            e.lock().unwrap().push(format!("error: {msg}"))
        })
        .subscribe(&["SELECT * FROM no_such_table"])
        .unwrap();
    assert!(tick_until(&conn, || !outcome.lock().unwrap().is_empty()));
    tick_for(&conn, Duration::from_millis(100));
    let outcome = outcome.lock().unwrap();
    assert_eq!(outcome.len(), 1);
    assert!(outcome[0].starts_with("error: "), "{outcome:?}");
    assert!(handle.is_ended());
    assert!(conn.is_active(), "a subscription error with a query id does not end the connection");
}

fn ten_subscriptions_come_and_go_in_any_order_with_exact_counts() {
    let db = publish("sdk-test");
    let conn = connect(&db);
    call(&conn, "insert_many", Args::new().u32(0).u32(100));
    let t = tally(&conn, "pk_u32");
    // Subscription i covers n in [10*i, 10*i + 25): overlapping neighbours.
    let range = |i: u32| (10 * i)..(10 * i + 25).min(100);
    let mut subs: Vec<Option<stdb_client::SubscriptionHandle>> = (0..10)
        .map(|i| {
            let r = range(i);
            Some(subscribe(&conn, &[&format!("SELECT * FROM pk_u32 WHERE n >= {} AND n < {}", r.start, r.end)]))
        })
        .collect();
    assert_eq!(conn.table("pk_u32").unwrap().count(), 100);
    assert!(t.lock().unwrap().inserts.values().all(|&n| n == 1));
    // Remove in a fixed pseudo-random order, checking the exact expected set after each.
    let order = [3usize, 7, 0, 9, 5, 1, 8, 2, 6, 4];
    let mut live: BTreeSet<usize> = (0..10).collect();
    for i in order {
        let h = subs[i].take().unwrap();
        let done = Arc::new(AtomicUsize::new(0));
        let d = done.clone();
        h.unsubscribe_then(move |_| {
            d.fetch_add(1, Ordering::SeqCst);
        })
        .unwrap();
        assert!(tick_until(&conn, || done.load(Ordering::SeqCst) == 1));
        live.remove(&i);
        let expected: BTreeSet<u32> = live.iter().flat_map(|&j| range(j as u32)).collect();
        assert_eq!(keys(&conn, "pk_u32"), expected, "after removing subscription {i}");
    }
    let t = t.lock().unwrap();
    assert!(t.deletes.values().all(|&n| n == 1), "each row deleted exactly once");
    assert_eq!(t.deletes.len(), 100);
}

/// Rows of `SELECT *` over HTTP, as JSON arrays.
fn sql_rows(db: &stdb_testbed::Database, query: &str) -> Vec<serde_json::Value> {
    let v = db.sql(query).unwrap();
    v[0]["rows"].as_array().unwrap().clone()
}

fn large_subscription_equals_select_star_over_http() {
    let db = publish("sdk-test");
    let conn = connect(&db);
    for chunk in 0..10 {
        assert_eq!(call(&conn, "insert_many", Args::new().u32(chunk * 10_000).u32(10_000)), Status::Committed);
    }
    subscribe(&conn, &["SELECT * FROM pk_u32"]);
    let ours: BTreeMap<u32, i32> = conn.table("pk_u32").unwrap().rows().iter().map(|r| (u32_at(r, 0), i32_at(r, 4))).collect();
    let theirs: BTreeMap<u32, i32> = sql_rows(&db, "SELECT * FROM pk_u32")
        .iter()
        .map(|r| (r[0].as_u64().unwrap() as u32, r[1].as_i64().unwrap() as i32))
        .collect();
    assert_eq!(ours.len(), 100_000);
    assert_eq!(ours, theirs);
}

fn score_row(r: &[u8]) -> (u64, u32, String, i64) {
    let (name, end) = str_at(r, 12);
    (u64_at(r, 0), u32_at(r, 8), name, i64_at(r, end))
}

fn unique_find_and_btree_ranges_match_sql() {
    let db = publish("sdk-test");
    let conn = connect(&db);
    subscribe(&conn, &["SELECT * FROM scores", "SELECT * FROM unique_u32"]);
    let names = ["ann", "bob", "cid", "dee", "eve"];
    for i in 0..60u32 {
        let level = (i * 7) % 10;
        let points = (i as i64 * 37) % 50 - 25; // negatives too
        conn.call_reducer(
            "insert_score",
            Args::new().u32(level).str(names[(i % 5) as usize]).i64(points).bytes(),
            stdb_client::CallReducerFlags::FullUpdate,
        )
        .unwrap();
    }
    for n in [3u32, 30, 300] {
        conn.call_reducer(
            "insert_unique_u32",
            Args::new().u32(n).i32(n as i32 * 2).bytes(),
            stdb_client::CallReducerFlags::FullUpdate,
        )
        .unwrap();
    }
    let scores = conn.table("scores").unwrap();
    assert!(tick_until(&conn, || scores.count() == 60 && conn.table("unique_u32").unwrap().count() == 3));

    // Unique find.
    let uq = conn.table("unique_u32").unwrap();
    let row = uq.find("n", &30u32.to_le_bytes()).unwrap().expect("found");
    assert_eq!(i32_at(&row, 4), 60);
    assert!(uq.find("n", &31u32.to_le_bytes()).unwrap().is_none());
    assert!(uq.find("n", &[1, 2]).is_err(), "wrong-sized value");
    assert!(uq.find("data", &1i32.to_le_bytes()).is_err(), "not a unique column");

    let schema = conn.schema().unwrap();
    let def = schema.table("scores").unwrap();
    let by_level = def.btree_indexes.iter().position(|i| i.columns == [1]).expect("level index");
    let by_level_points = def.btree_indexes.iter().position(|i| i.columns == [1, 3]).expect("(level, points) index");
    assert_eq!(scores.btree_index("by_level_points").unwrap(), by_level_points);

    let ids = |rows: Vec<bytes::Bytes>| -> Vec<u64> { rows.iter().map(|r| score_row(r).0).collect() };
    let sql_ids = |q: &str| -> BTreeSet<u64> { sql_rows(&db, q).iter().map(|r| r[0].as_u64().unwrap()).collect() };

    // Exact match on one column.
    let got = scores.btree_scan(by_level, &[&4u32.to_le_bytes()], None).unwrap();
    assert_eq!(ids(got.clone()).into_iter().collect::<BTreeSet<_>>(), sql_ids("SELECT * FROM scores WHERE level = 4"));
    // Ranges with each kind of bound.
    let l3 = 3u32.to_le_bytes();
    let l7 = 7u32.to_le_bytes();
    let cases: Vec<(stdb_client::cache::KeyRange, &str)> = vec![
        ((Bound::Included(&l3[..]), Bound::Excluded(&l7[..])), "level >= 3 AND level < 7"),
        ((Bound::Excluded(&l3[..]), Bound::Included(&l7[..])), "level > 3 AND level <= 7"),
        ((Bound::Unbounded, Bound::Included(&l3[..])), "level <= 3"),
        ((Bound::Excluded(&l7[..]), Bound::Unbounded), "level > 7"),
    ];
    for (range, cond) in cases {
        let rows = scores.btree_scan(by_level, &[], Some(range)).unwrap();
        let levels: Vec<u32> = rows.iter().map(|r| score_row(r).1).collect();
        assert!(levels.windows(2).all(|w| w[0] <= w[1]), "index order for {cond}: {levels:?}");
        assert_eq!(
            ids(rows).into_iter().collect::<BTreeSet<_>>(),
            sql_ids(&format!("SELECT * FROM scores WHERE {cond}")),
            "{cond}"
        );
    }
    // Prefix of the two-column index, then a range on the second (signed) column.
    let lo = (-10i64).to_le_bytes();
    let hi = 10i64.to_le_bytes();
    let rows =
        scores.btree_scan(by_level_points, &[&l3[..]], Some((Bound::Included(&lo[..]), Bound::Excluded(&hi[..])))).unwrap();
    let points: Vec<i64> = rows.iter().map(|r| score_row(r).3).collect();
    assert!(points.windows(2).all(|w| w[0] <= w[1]), "signed order: {points:?}");
    assert_eq!(
        ids(rows).into_iter().collect::<BTreeSet<_>>(),
        sql_ids("SELECT * FROM scores WHERE level = 3 AND points >= -10 AND points < 10")
    );
    // The index is maintained after it was built.
    call(&conn, "delete_scores_at_level", Args::new().u32(3));
    assert!(scores.btree_scan(by_level_points, &[&l3[..]], None).unwrap().is_empty());
    assert!(scores.btree_scan(by_level, &[&[1u8][..]], None).is_err(), "wrong-sized key");
}

fn one_off_queries_return_rows_or_errors_without_touching_the_cache() {
    let db = publish("sdk-test");
    let conn = connect(&db);
    call(&conn, "insert_many", Args::new().u32(0).u32(25));
    let result = Arc::new(Mutex::new(None));
    let r = result.clone();
    conn.one_off_query("SELECT * FROM pk_u32 WHERE n < 10", move |_, res| {
        *r.lock().unwrap() = Some(res.map(|tables| {
            tables
                .iter()
                .map(|(name, rows)| (name.clone(), rows.iter().map(|row| u32_at(row, 0)).collect::<BTreeSet<_>>()))
                .collect::<Vec<_>>()
        }))
    })
    .unwrap();
    assert!(tick_until(&conn, || result.lock().unwrap().is_some()));
    let tables = result.lock().unwrap().take().unwrap().expect("rows");
    assert_eq!(tables, vec![("pk_u32".to_owned(), (0..10).collect())]);
    assert_eq!(conn.table("pk_u32").unwrap().count(), 0, "one-off queries do not fill the cache");

    let r = result.clone();
    conn.one_off_query("SELECT * FROM no_such_table", move |_, res| *r.lock().unwrap() = Some(res.map(|_| Vec::new()))).unwrap();
    assert!(tick_until(&conn, || result.lock().unwrap().is_some()));
    assert!(result.lock().unwrap().take().unwrap().is_err());
}

fn subscribe_to_all_tables_covers_every_public_table() {
    let db = publish("sdk-test");
    let conn = connect(&db);
    call(&conn, "insert_pk_u32", Args::new().u32(1).i32(1));
    call(&conn, "insert_player_tag", Args::new().u32(1).str("x"));
    let applied = Arc::new(AtomicUsize::new(0));
    let a = applied.clone();
    conn.subscription_builder()
        .on_applied(move |_| {
            a.fetch_add(1, Ordering::SeqCst);
        })
        .subscribe_to_all_tables()
        .unwrap();
    assert!(tick_until(&conn, || applied.load(Ordering::SeqCst) == 1));
    assert_eq!(conn.table("pk_u32").unwrap().count(), 1);
    assert_eq!(conn.table("player_tag").unwrap().count(), 1);
}

fn row_level_security_and_parameterized_queries_follow_the_server() {
    let db = publish("sdk-test");
    let alice = connect(&db);
    let bob = connect(&db);
    call(&alice, "insert_my_row", Args::new().str("alice's"));
    call(&bob, "insert_my_row", Args::new().str("bob's"));
    subscribe(&alice, &["SELECT * FROM my_rows"]);
    let rows = alice.table("my_rows").unwrap().rows();
    assert_eq!(rows.len(), 1, "RLS hides bob's row from alice");
    assert_eq!(&rows[0][8..40], &alice.identity().unwrap().to_byte_array()[..]);
    // A parameterized query over a table without RLS: caller rows of the subscriber only.
    call(&alice, "insert_caller", Args::new());
    call(&bob, "insert_caller", Args::new());
    subscribe(&bob, &["SELECT * FROM caller WHERE identity = :sender"]);
    let rows = bob.table("caller").unwrap().rows();
    assert_eq!(rows.len(), 1);
    assert_eq!(&rows[0][8..40], &bob.identity().unwrap().to_byte_array()[..]);
}

fn join_rows_with_multiplicity_stay_until_the_last_copy_goes() {
    let db = publish("sdk-test");
    let conn = connect(&db);
    call(&conn, "insert_join_left", Args::new().u32(1).u32(5));
    call(&conn, "insert_join_right", Args::new().u32(10).u32(5));
    call(&conn, "insert_join_right", Args::new().u32(11).u32(5));
    let t = tally(&conn, "join_left");
    subscribe(&conn, &["SELECT join_left.* FROM join_left JOIN join_right ON join_left.key = join_right.key"]);
    assert_eq!(conn.table("join_left").unwrap().count(), 1, "a bag of two copies is one cached row");
    assert_eq!(t.lock().unwrap().inserts.get(&1), Some(&1));
    // One copy goes: the row stays, no callback.
    call(&conn, "delete_join_right", Args::new().u32(10));
    tick_for(&conn, Duration::from_millis(100));
    assert_eq!(conn.table("join_left").unwrap().count(), 1);
    assert!(t.lock().unwrap().deletes.is_empty(), "the row is still matched once");
    // The last copy goes: now it is deleted, once.
    call(&conn, "delete_join_right", Args::new().u32(11));
    assert!(tick_until(&conn, || conn.table("join_left").unwrap().count() == 0));
    assert_eq!(t.lock().unwrap().deletes.get(&1), Some(&1));
    assert_eq!(conn.metrics().missing_deletes, 0);
}
