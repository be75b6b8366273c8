//! Flow control against real servers: the queue's byte limit while the host does not tick
//! (backpressure, nothing lost), and budgeted ticks that pace a large message across frames
//! (order and completeness; the time bound itself is measured by `benches/frame_budget.rs`).

mod common;

use common::*;
use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use stdb_client::{CallReducerFlags, DbConnection, Metrics, TableHandle};

fn main() {
    run_tests(
        env!("CARGO_CRATE_NAME"),
        live_tests![
            a_host_that_does_not_tick_keeps_the_queue_at_its_byte_limit_and_loses_no_row: ALL,
            budgeted_ticks_spread_a_large_message_in_order_and_never_show_it_half_applied: ALL,
            a_large_initial_subscription_under_budgeted_ticks_is_whole_before_on_applied: ALL,
            plain_frame_tick_applies_a_large_message_and_all_its_callbacks_at_once: ALL,
        ],
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

/// What the callbacks saw, in the order they ran.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Seen {
    /// A call's own callback, with the table's row count at that moment.
    Then(u64, usize),
    Insert(u64),
    Update(u64),
    Applied(usize),
}

type Log = Arc<Mutex<Vec<Seen>>>;

/// The row count a callback for this row must see (the count its message leaves).
type Expect = Arc<dyn Fn(Seen) -> usize + Send + Sync>;

/// Records inserts and updates of `small`, and checks from inside each callback that the cache
/// already holds the whole message (`expect` gives the row count each callback must see).
fn record(small: &TableHandle, expect: Expect) -> (Log, Arc<Mutex<Vec<String>>>) {
    let log: Log = Arc::default();
    let wrong: Arc<Mutex<Vec<String>>> = Arc::default();
    let (l, w, e, t) = (log.clone(), wrong.clone(), expect.clone(), small.clone());
    small.on_insert(move |_, row| {
        let seen = Seen::Insert(u64_at(row, 0));
        l.lock().unwrap().push(seen);
        let (have, want) = (t.count(), e(seen));
        if have != want {
            w.lock().unwrap().push(format!("an insert callback saw {have} rows, not {want}"));
        }
    });
    let (l, w, e, t) = (log.clone(), wrong.clone(), expect, small.clone());
    small
        .on_update(move |_, old, new| {
            assert_eq!(u64_at(old, 0), u64_at(new, 0));
            let seen = Seen::Update(u64_at(new, 0));
            l.lock().unwrap().push(seen);
            let (have, want) = (t.count(), e(seen));
            if have != want {
                w.lock().unwrap().push(format!("an update callback saw {have} rows, not {want}"));
            }
        })
        .unwrap();
    (log, wrong)
}

/// Ticks with a 1 ms budget until `done`; checks after every tick that the host sees `small`
/// either before or after a message, never between (`allowed` row counts). Returns the number of
/// ticks that ran at least one callback.
fn budgeted_until(conn: &DbConnection, small: &TableHandle, allowed: &[usize], log: &Log, done: impl Fn() -> bool) -> usize {
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut ticks_with_callbacks = 0;
    while !done() {
        let before = log.lock().unwrap().len();
        conn.frame_tick_budget(usize::MAX, Some(Duration::from_millis(1))).unwrap();
        if log.lock().unwrap().len() > before {
            ticks_with_callbacks += 1;
        }
        let count = small.count();
        assert!(allowed.contains(&count), "between ticks the host saw {count} rows, a message half-applied");
        assert!(Instant::now() < deadline, "not done in time: {} callbacks", log.lock().unwrap().len());
        std::thread::sleep(Duration::from_micros(200));
    }
    ticks_with_callbacks
}

/// A 100 000-row insert, a 100 000-row update and a 10-row insert, called back to back, arrive
/// while the host ticks with a 1 ms budget. The host never sees a message half-applied; every
/// callback sees the cache exactly as its message left it; a message's callbacks are spread over
/// many ticks, its call's own callback runs first, and they all run before the next message's —
/// in the same order as for a connection that applies each message in one plain `frame_tick`.
fn budgeted_ticks_spread_a_large_message_in_order_and_never_show_it_half_applied() {
    const N: u64 = 100_000;
    let db = publish("bench");
    let paced = connect(&db);
    let plain = connect(&db);
    subscribe_all(&paced, &["SELECT * FROM small"]);
    subscribe_all(&plain, &["SELECT * FROM small"]);
    let paced_small = paced.table("small").unwrap();
    let plain_small = plain.table("small").unwrap();
    // The first two messages leave N rows, the third N + 10.
    let expect: Expect = Arc::new(|s| match s {
        Seen::Insert(id) if id >= N => N as usize + 10,
        _ => N as usize,
    });
    let (log, wrong) = record(&paced_small, expect.clone());
    let (plain_log, plain_wrong) = record(&plain_small, expect);

    let then = |at: u64| {
        let (l, t) = (log.clone(), paced_small.clone());
        move |_: &stdb_client::EventContext, r: Result<&stdb_client::ReducerEvent, &str>| {
            assert!(r.is_ok_and(|r| r.status == stdb_client::Status::Committed), "{:?}", r.map(|r| r.status.clone()));
            l.lock().unwrap().push(Seen::Then(at, t.count()));
        }
    };
    let call = |reducer: &str, args: Args, at: u64| {
        paced.call_reducer_then(reducer, args.bytes(), CallReducerFlags::FullUpdate, then(at)).unwrap();
    };
    call("insert_small", Args::new().i64(0).u32(N as u32), 1);
    call("update_small", Args::new().i64(0).u32(N as u32).i64(1), 2);
    call("insert_small", Args::new().i64(N as i64).u32(10), 3);

    let total = 3 + 2 * N as usize + 10;
    let l = log.clone();
    let ticks =
        budgeted_until(&paced, &paced_small, &[0, N as usize, N as usize + 10], &log, move || l.lock().unwrap().len() >= total);
    // The plain connection, one frame_tick per message.
    let pl = plain_log.clone();
    assert!(tick_until_for(&plain, Duration::from_secs(60), &mut || pl.lock().unwrap().len() >= 2 * N as usize + 10));

    let log = log.lock().unwrap().clone();
    assert!(wrong.lock().unwrap().is_empty(), "{:?}", &wrong.lock().unwrap()[..1]);
    assert!(plain_wrong.lock().unwrap().is_empty(), "{:?}", &plain_wrong.lock().unwrap()[..1]);
    assert_eq!(log.len(), total, "every callback once");
    // The call's own callback first (with the message applied), then its rows, message by message.
    let n = N as usize;
    assert_eq!(log[0], Seen::Then(1, n));
    assert!(log[1..=n].iter().all(|s| matches!(s, Seen::Insert(_))), "the insert's rows follow its call's callback");
    assert_eq!(log[n + 1], Seen::Then(2, n));
    assert!(log[n + 2..2 * n + 2].iter().all(|s| matches!(s, Seen::Update(_))));
    assert_eq!(log[2 * n + 2], Seen::Then(3, n + 10));
    let rows: Vec<Seen> = log.iter().copied().filter(|s| !matches!(s, Seen::Then(..))).collect();
    assert_eq!(rows, *plain_log.lock().unwrap(), "the same callbacks in the same order as plain ticks");
    let ids: HashSet<u64> = rows[..n].iter().map(|s| if let Seen::Insert(id) = s { *id } else { u64::MAX }).collect();
    assert_eq!(ids, (0..N).collect::<HashSet<_>>());
    // 200 000 callbacks cannot run in one millisecond: the budget held inside the messages.
    assert!(ticks > 10, "the callbacks ran in {ticks} ticks");
    assert_eq!(paced_small.count(), n + 10);
    eprintln!("{} callbacks in {ticks} budgeted ticks", log.len());
}

/// A 100 000-row initial subscription applied by 1 ms budgeted ticks: the table goes from empty to
/// full in one step, every insert callback sees it full, and `on_applied` runs after them all.
fn a_large_initial_subscription_under_budgeted_ticks_is_whole_before_on_applied() {
    const N: usize = 100_000;
    let db = publish("bench");
    let writer = connect(&db);
    for b in 0..5u64 {
        insert_small(&writer, b * 20_000, 20_000);
    }
    while server_count(&db, "small") < N as u64 {
        std::thread::sleep(Duration::from_millis(20));
    }
    let conn = connect(&db);
    let small = conn.table("small").unwrap();
    let (log, wrong) = record(&small, Arc::new(|_| N));
    let l = log.clone();
    let t = small.clone();
    conn.subscription_builder()
        .on_applied(move |_| l.lock().unwrap().push(Seen::Applied(t.count())))
        .subscribe(&["SELECT * FROM small"])
        .unwrap();
    let l = log.clone();
    let ticks = budgeted_until(&conn, &small, &[0, N], &log, move || {
        l.lock().unwrap().last().is_some_and(|s| matches!(s, Seen::Applied(_)))
    });
    let log = log.lock().unwrap();
    assert!(wrong.lock().unwrap().is_empty(), "{:?}", &wrong.lock().unwrap()[..1]);
    assert_eq!(log.len(), N + 1);
    assert_eq!(log[N], Seen::Applied(N), "on_applied after every row callback");
    let ids: HashSet<u64> = log[..N].iter().map(|s| if let Seen::Insert(id) = s { *id } else { u64::MAX }).collect();
    assert_eq!(ids.len(), N);
    assert!(ticks > 5, "the callbacks ran in {ticks} ticks");
}

/// Without a budget, one `frame_tick` applies a 100 000-row message and runs all its callbacks.
fn plain_frame_tick_applies_a_large_message_and_all_its_callbacks_at_once() {
    const N: usize = 100_000;
    let db = publish("bench");
    let conn = connect(&db);
    subscribe_all(&conn, &["SELECT * FROM small"]);
    let small = conn.table("small").unwrap();
    let (log, wrong) = record(&small, Arc::new(|_| N));
    insert_small(&conn, 0, N as u32);
    let received = conn.metrics().messages_applied;
    let deadline = Instant::now() + TIMEOUT;
    while conn.metrics().queue_depth == 0 {
        assert!(Instant::now() < deadline, "the transaction never arrived");
        std::thread::sleep(Duration::from_millis(1));
    }
    conn.frame_tick().unwrap();
    assert!(conn.metrics().messages_applied > received);
    assert_eq!(small.count(), N);
    assert_eq!(log.lock().unwrap().len(), N, "every callback in the one tick");
    assert!(wrong.lock().unwrap().is_empty());
}
