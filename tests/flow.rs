//! Flow control against real servers: the queue's byte limit while the host does not tick
//! (backpressure, nothing lost), and budgeted ticks that pace a large message across frames
//! (order and completeness; the time bound itself is measured by `benches/frame_budget.rs`).

mod common;

use common::*;
use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use stdb_client::{CallReducerFlags, DbConnection, Metrics};

fn main() {
    run_tests(
        env!("CARGO_CRATE_NAME"),
        live_tests![a_host_that_does_not_tick_keeps_the_queue_at_its_byte_limit_and_loses_no_row: ALL,],
    )
}

/// Rows of the bench module's `small` table: 41 bytes of BSATN, `id` first.
const SMALL_ROW: usize = 41;

fn server_count(db: &stdb_testbed::Database, table: &str) -> u64 {
    let rows = db.sql_rows(&format!("SELECT COUNT(*) AS n FROM {table}")).expect("count over HTTP");
    rows.first().and_then(|r| r.get(0).or_else(|| r.get("n"))).and_then(|v| v.as_u64()).expect("a count")
}

fn subscribe_all(conn: &DbConnection, queries: &[&str]) {
    let applied = Arc::new(AtomicUsize::new(0));
    let a = applied.clone();
    conn.subscription_builder()
        .on_applied(move |_| {
            a.fetch_add(1, Ordering::SeqCst);
        })
        .subscribe(queries)
        .unwrap();
    assert!(tick_until(conn, || applied.load(Ordering::SeqCst) == 1), "subscription not applied");
}

fn insert_small(conn: &DbConnection, start: u64, count: u32) {
    let args = Args::new().i64(start as i64).u32(count);
    conn.call_reducer("insert_small", args.bytes(), CallReducerFlags::FullUpdate).unwrap();
}

/// 100 000 rows arrive in 50 transactions (about 4 MB decoded) while the host does not tick for
/// several seconds. With a 256 KiB limit the connection stops reading: the queue never holds more
/// than the limit plus the one message that reached it, and once ticking resumes every row is
/// in the cache and the queue is empty.
fn a_host_that_does_not_tick_keeps_the_queue_at_its_byte_limit_and_loses_no_row() {
    const LIMIT: u64 = 256 << 10;
    const BATCH: u32 = 2_000;
    const BATCHES: u64 = 50;
    const TOTAL: u64 = BATCH as u64 * BATCHES;
    let db = publish("bench");
    let conn = connect_with(builder(&db).with_max_queued_bytes(LIMIT));
    subscribe_all(&conn, &["SELECT * FROM small"]);
    let before = conn.metrics();
    assert_eq!(before.queued_bytes, 0, "an idle, ticked connection queues nothing");

    // From here the host does not tick. Calls are still sent (from this thread).
    for b in 0..BATCHES {
        insert_small(&conn, b * BATCH as u64, BATCH);
    }
    let mut peak_sampled = 0u64;
    let mut sample = |m: &Metrics| peak_sampled = peak_sampled.max(m.queued_bytes);
    let deadline = Instant::now() + Duration::from_secs(60);
    while server_count(&db, "small") < TOTAL {
        sample(&conn.metrics());
        assert!(Instant::now() < deadline, "the server did not commit the inserts");
        std::thread::sleep(Duration::from_millis(20));
    }
    // Everything is committed on the server; keep not ticking for a few seconds more, so the
    // server has had every chance to push it all at us.
    let still = Instant::now();
    while still.elapsed() < Duration::from_secs(4) {
        sample(&conn.metrics());
        std::thread::sleep(Duration::from_millis(10));
    }
    let paused = conn.metrics();
    sample(&paused);

    // A frame is decoded whole: the most the queue may hold is the limit plus the frame that
    // reached it (a 2 000-row transaction is 82 000 bytes of rows; a v3 frame may batch several).
    let all_rows = TOTAL * SMALL_ROW as u64;
    assert!(paused.read_pauses >= 1, "reading never paused: {paused:?}");
    assert!(paused.largest_frame_bytes >= BATCH as u64 * SMALL_ROW as u64, "{paused:?}");
    assert!(
        paused.queued_bytes_peak <= LIMIT + paused.largest_frame_bytes,
        "queued {} bytes, over the limit {LIMIT} + one frame {}",
        paused.queued_bytes_peak,
        paused.largest_frame_bytes
    );
    assert!(peak_sampled <= paused.queued_bytes_peak);
    assert!(
        paused.bytes_decompressed - before.bytes_decompressed < all_rows / 2,
        "the client read {} bytes while not ticking (the rows alone are {all_rows})",
        paused.bytes_decompressed - before.bytes_decompressed
    );
    assert!(paused.queued_bytes >= LIMIT, "the queue filled to the limit: {paused:?}");

    // Ticking again: reading resumes and every row arrives.
    let small = conn.table("small").unwrap();
    assert!(
        tick_until_for(&conn, Duration::from_secs(60), &mut || small.count() as u64 == TOTAL),
        "{} of {TOTAL} rows after resuming",
        small.count()
    );
    let ids: HashSet<u64> = small.rows().iter().map(|r| u64_at(r, 0)).collect();
    assert_eq!(ids, (0..TOTAL).collect::<HashSet<u64>>(), "every row, once");
    let after = conn.metrics();
    eprintln!(
        "limit {LIMIT}: peak queued {} bytes, largest frame {}, {} read pauses, {} bytes read while not ticking (of {all_rows} row bytes)",
        after.queued_bytes_peak,
        after.largest_frame_bytes,
        after.read_pauses,
        paused.bytes_decompressed - before.bytes_decompressed
    );
    assert_eq!(after.queued_bytes, 0, "{after:?}");
    assert!(after.queued_bytes_peak <= LIMIT + after.largest_frame_bytes, "{after:?}");
    assert!(after.queued_bytes_peak < all_rows / 2, "{after:?}");
    assert!(conn.is_active());
}
