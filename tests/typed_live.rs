//! Clients on the generated Rust bindings (`stdb-bindings-gen --lang rust`, the golden files
//! under tests/bindings/golden-rust/, which bindings-gen's golden test keeps equal to the
//! generator's output) against real servers, once per variant: rows arrive, callbacks fire with
//! typed rows and typed events, reducers take effect; and the bindings generated from the live
//! server's own schema are the committed ones.

mod common;

#[rustfmt::skip]
#[path = "bindings/golden-rust/quickstart/mod.rs"]
mod quickstart;
#[rustfmt::skip]
#[path = "bindings/golden-rust/sdk_test/mod.rs"]
mod sdk_test;
#[path = "typed/chat.rs"]
mod chat;

use common::*;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use stdb_testbed::Database;

fn main() {
    run_tests(
        env!("CARGO_CRATE_NAME"),
        live_tests![
            quickstart_client_on_typed_bindings: ALL,
            a_second_client_sees_the_first_ones_changes: ALL,
            sdk_test_types_indexes_and_failures: ALL,
            bindings_from_the_live_schema_are_the_committed_ones: ALL,
            the_official_quickstart_chat_client_runs_on_the_bindings: ALL,
        ],
    )
}

/// Ticks `tick` every millisecond until `cond` holds; false after the timeout.
fn until(mut tick: impl FnMut(), mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + TIMEOUT;
    loop {
        tick();
        if cond() {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

type Log = Arc<Mutex<Vec<String>>>;
/// A `_then` callback's outcome, the error as text.
type Outcome = Arc<Mutex<Option<Result<Result<(), String>, String>>>>;

fn has(log: &Log, what: &str) -> bool {
    log.lock().unwrap().iter().any(|l| l == what)
}

/// Connects with the quickstart bindings and subscribes to both tables; returns once applied.
fn quickstart_connect(db: &Database, log: &Log) -> quickstart::DbConnection {
    use quickstart::*;
    let (l1, l2) = (log.clone(), log.clone());
    let conn = DbConnection::builder()
        .with_uri(db.http_url.clone())
        .with_module_name(db.name.clone())
        .on_connect(move |conn, identity, token| {
            assert!(!token.is_empty());
            assert_eq!(conn.try_identity(), Some(identity));
            l1.lock().unwrap().push("connected".into());
            conn.subscription_builder()
                .on_applied(move |ctx| {
                    // The rows are in the cache when on_applied runs.
                    l2.lock().unwrap().push(format!("applied players={}", ctx.db.player().count()));
                })
                .on_error(|_, e| panic!("subscription failed: {e}"))
                .subscribe(["SELECT * FROM player", "SELECT * FROM message"]);
        })
        .on_connect_error(|_, e| panic!("connect failed: {e}"))
        .build()
        .expect("build");
    let done = until(|| conn.frame_tick().unwrap(), || log.lock().unwrap().iter().any(|l| l.starts_with("applied")));
    assert!(done, "no subscription within {TIMEOUT:?}: {:?}", log.lock().unwrap());
    conn
}

/// The quickstart client of the official SDK's docs, on the generated bindings: typed rows in
/// callbacks and lookups, typed reducer calls with typed outcomes and callbacks.
fn quickstart_client_on_typed_bindings() {
    use quickstart::*;
    let db = publish("quickstart");
    let log: Log = Arc::default();
    // Tables can be used before connecting: the bindings' schema is given to the connection.
    let conn = quickstart_connect(&db, &log);
    let me = conn.identity();
    assert!(conn.is_active());

    // client_connected inserted our row; the subscription brought it.
    assert!(log.lock().unwrap().iter().any(|l| l.starts_with("applied players=") && l != "applied players=0"));
    let row = conn.db.player().identity().find(&me).expect("our player row");
    assert!(row.online);
    assert_eq!(row.name, "");
    assert!(conn.db.player().iter().any(|p| p.identity == me));

    // Row callbacks get typed rows and the typed event of the reducer that caused them.
    let l = log.clone();
    conn.db.player().on_update(move |ctx, old, new| {
        let why = match &ctx.event {
            Event::Reducer(r) => match &r.reducer {
                Reducer::SetName { name } => format!("set_name({name})"),
                Reducer::MoveTo { x, y } => format!("move_to({x},{y})"),
                other => format!("{other:?}"),
            },
            other => format!("{other:?}"),
        };
        l.lock().unwrap().push(format!("update {}->{} x={} by {why}", old.name, new.name, new.x));
    });
    let l = log.clone();
    let on_set_name = conn.reducers.on_set_name(move |ctx, name| {
        assert_eq!(ctx.event.caller_identity, ctx.identity());
        l.lock().unwrap().push(format!("on_set_name({name}) {:?}", ctx.event.status));
    });
    conn.reducers.set_name("alice".into()).unwrap();
    let ok = until(
        || conn.frame_tick().unwrap(),
        || has(&log, "update ->alice x=0 by set_name(alice)") && has(&log, "on_set_name(alice) Committed"),
    );
    assert!(ok, "{:?}", log.lock().unwrap());
    assert_eq!(conn.db.player().identity().find(&me).unwrap().name, "alice");

    // A failed call: the caller learns why through `_then` and `on_REDUCER`; nothing changes.
    conn.reducers.set_name("   ".into()).unwrap();
    let ok = until(
        || conn.frame_tick().unwrap(),
        || log.lock().unwrap().iter().any(|l| l.starts_with("on_set_name(   ) Failed") && l.contains("must not be empty")),
    );
    assert!(ok, "{:?}", log.lock().unwrap());
    conn.reducers.remove_on_set_name(on_set_name);

    // `_then` gets this call's own outcome.
    let outcome: Outcome = Arc::default();
    let o = outcome.clone();
    conn.reducers
        .move_to_then(1.5, -2.0, move |ctx, result| {
            assert!(matches!(ctx.event.reducer, Reducer::MoveTo { x, y } if x == 1.5 && y == -2.0));
            *o.lock().unwrap() = Some(result.map_err(|e| e.to_string()));
        })
        .unwrap();
    assert!(until(|| conn.frame_tick().unwrap(), || outcome.lock().unwrap().is_some()));
    assert_eq!(outcome.lock().unwrap().take(), Some(Ok(Ok(()))));
    let row = conn.db.player().identity().find(&me).unwrap();
    assert_eq!((row.x, row.y), (1.5, -2.0));
    assert!(has(&log, "update alice->alice x=1.5 by move_to(1.5,-2)"), "{:?}", log.lock().unwrap());

    let o = outcome.clone();
    conn.reducers.say_then(String::new(), move |_, result| *o.lock().unwrap() = Some(result.map_err(|e| e.to_string()))).unwrap();
    assert!(until(|| conn.frame_tick().unwrap(), || outcome.lock().unwrap().is_some()));
    match outcome.lock().unwrap().take() {
        Some(Ok(Err(why))) => assert!(why.contains("must not be empty"), "{why}"),
        other => panic!("say(\"\") should fail: {other:?}"),
    }

    // Insert callbacks, and their removal (effective from the next event).
    let l = log.clone();
    let on_msg = conn.db.message().on_insert(move |ctx, m| {
        assert!(matches!(&ctx.event, Event::Reducer(r) if r.status == Status::Committed));
        l.lock().unwrap().push(format!("message {}", m.text));
    });
    conn.reducers.say("hello".into()).unwrap();
    assert!(until(|| conn.frame_tick().unwrap(), || has(&log, "message hello")));
    let msg = conn.db.message().iter().find(|m| m.text == "hello").expect("the message is cached");
    assert_eq!(msg.sender, me);
    conn.db.message().remove_on_insert(on_msg);
    conn.reducers.say("again".into()).unwrap();
    assert!(until(|| conn.frame_tick().unwrap(), || conn.db.message().count() == 2));
    assert!(!has(&log, "message again"), "a removed callback ran");

    // Disconnecting: on_disconnect is not registered here; the connection ends cleanly.
    conn.disconnect().unwrap();
    assert!(until(
        || {
            let _ = conn.frame_tick();
        },
        || !conn.is_active()
    ));
    assert!(conn.disconnect().is_err());
}

/// Two clients: the second sees the first one's row arrive and change.
fn a_second_client_sees_the_first_ones_changes() {
    use quickstart::*;
    let db = publish("quickstart");
    let log_a: Log = Arc::default();
    let a = quickstart_connect(&db, &log_a);
    let log_b: Log = Arc::default();
    let b = quickstart_connect(&db, &log_b);
    let a_id = a.identity();
    assert!(b.db.player().identity().find(&a_id).is_some(), "b sees a's row");

    let l = log_b.clone();
    b.db.player().on_update(move |ctx, _old, new| {
        // v1 tells every subscriber which reducer ran; v2/v3 only the caller.
        let reducer = match &ctx.event {
            Event::Reducer(r) => format!("{:?}", r.reducer),
            Event::UnknownTransaction => "unknown".into(),
            other => panic!("unexpected event {other:?}"),
        };
        l.lock().unwrap().push(format!("{} at {} ({reducer})", new.name, new.x));
    });
    let l = log_b.clone();
    b.db.player().on_delete(move |_, p| l.lock().unwrap().push(format!("deleted {}", p.name)));
    a.reducers.move_to(7.0, 8.0).unwrap();
    let ok = until(
        || {
            a.frame_tick().unwrap();
            b.frame_tick().unwrap();
        },
        || log_b.lock().unwrap().iter().any(|l| l.starts_with(" at 7")),
    );
    assert!(ok, "{:?}", log_b.lock().unwrap());
    // An update is not also reported as a delete.
    assert!(!log_b.lock().unwrap().iter().any(|l| l.starts_with("deleted")), "{:?}", log_b.lock().unwrap());
    let seen = b.db.player().identity().find(&a_id).unwrap();
    assert_eq!((seen.x, seen.y), (7.0, 8.0));

    // a leaves: client_disconnected marks it offline, which b sees.
    let ended: Arc<Mutex<bool>> = Arc::default();
    a.disconnect().unwrap();
    assert!(until(
        || {
            let _ = a.frame_tick();
        },
        || !a.is_active()
    ));
    let e = ended.clone();
    let ok = until(
        || b.frame_tick().unwrap(),
        || {
            let off = b.db.player().identity().find(&a_id).is_some_and(|p| !p.online);
            *e.lock().unwrap() = off;
            off
        },
    );
    assert!(ok && *ended.lock().unwrap());
}

/// Every column type through a typed reducer call and back as a typed row; unique finds, btree
/// filters and ranges, primary-key updates, and a failing reducer.
fn sdk_test_types_indexes_and_failures() {
    use sdk_test::*;
    let db = publish("sdk-test");
    let applied: Arc<Mutex<bool>> = Arc::default();
    let disconnected: Arc<Mutex<Option<Option<String>>>> = Arc::default();
    let (ap, dis) = (applied.clone(), disconnected.clone());
    let conn = DbConnection::builder()
        .with_uri(db.http_url.clone())
        .with_module_name(db.name.clone())
        .on_connect(move |conn, _, _| {
            conn.subscription_builder().on_applied(move |_| *ap.lock().unwrap() = true).subscribe_to_all_tables();
        })
        .on_disconnect(move |_, e| *dis.lock().unwrap() = Some(e.map(|e| e.to_string())))
        .build()
        .unwrap();
    assert!(until(|| conn.frame_tick().unwrap(), || *applied.lock().unwrap()));
    let tick = || conn.frame_tick().unwrap();

    let point = Point { x: -3, y: 4 };
    let shape = Shape::Rect(Point { x: 1, y: 2 });
    let ts = stdb_client::Timestamp::from_micros_since_unix_epoch(1_700_000_000_123_456);
    let i256 = stdb_client::typed::i256::from(-5i64) * stdb_client::typed::i256::from(1_000_000_007i64);
    let u256 = stdb_client::typed::u256::MAX;
    conn.reducers
        .insert_all_types(
            true,
            -8,
            -16,
            -32,
            -64,
            -128,
            i256,
            8,
            16,
            32,
            64,
            u128::MAX,
            u256,
            1.25,
            -2.5,
            "héllo".into(),
            vec![0, 1, 255],
            conn.identity(),
            conn.connection_id(),
            ts,
            stdb_client::TimeDuration::from_micros(-42),
            Some(7),
            Some(None),
            point.clone(),
            shape.clone(),
            vec![1, -2, 3],
            vec!["a".into(), "".into()],
        )
        .unwrap();
    assert!(until(tick, || conn.db.all_types().count() == 1));
    let row = conn.db.all_types().iter().next().unwrap();
    assert_eq!(row.a_i256, i256);
    assert_eq!(row.a_u256, u256);
    assert_eq!(row.a_u128, u128::MAX);
    assert_eq!(row.a_string, "héllo");
    assert_eq!(row.a_bytes, vec![0, 1, 255]);
    assert_eq!(row.a_identity, conn.identity());
    assert_eq!(row.a_connection_id, conn.connection_id());
    assert_eq!(row.a_timestamp, ts);
    assert_eq!(row.a_duration, stdb_client::TimeDuration::from_micros(-42));
    assert_eq!(row.a_opt_i32, Some(7));
    assert_eq!(row.a_opt_opt_string, Some(None));
    assert_eq!(row.a_point, point);
    assert_eq!(row.a_shape, shape);
    assert_eq!(row.a_vec_i32, vec![1, -2, 3]);
    assert_eq!(row.a_vec_string, vec!["a".to_string(), String::new()]);
    assert_eq!(conn.db.all_types().id().find(&row.id).map(|r| r.a_f64), Some(-2.5));

    // A plain enum as a key, as an argument and in a row.
    conn.reducers.insert_pk_color(Color::Green, 5).unwrap();
    assert!(until(tick, || conn.db.pk_color().color().find(&Color::Green).is_some_and(|r| r.data == 5)));

    // Btree indexes: equality on all columns, ranges on the first and on the next column.
    for (level, name, points) in [(1, "a", 10), (2, "b", 20), (2, "c", 30), (3, "d", 40), (2, "e", 5)] {
        conn.reducers.insert_score(level, name.into(), points).unwrap();
    }
    assert!(until(tick, || conn.db.scores().count() == 5));
    let names = |v: Vec<Scores>| {
        let mut n: Vec<String> = v.into_iter().map(|s| s.name).collect();
        n.sort();
        n
    };
    assert_eq!(names(conn.db.scores().level().filter(&2)), ["b", "c", "e"]);
    assert_eq!(names(conn.db.scores().level().range(2..)), ["b", "c", "d", "e"]);
    assert_eq!(names(conn.db.scores().level().range(..=1)), ["a"]);
    assert_eq!(names(conn.db.scores().by_level_points().filter(&2, &30)), ["c"]);
    assert_eq!(names(conn.db.scores().by_level_points().range_points(&2, 6..=30)), ["b", "c"]);
    assert_eq!(names(conn.db.scores().by_level_points().range_level(3..)), ["d"]);
    // Index order: points ascending within level 2.
    let ordered: Vec<i64> = conn.db.scores().by_level_points().range_points(&2, ..).into_iter().map(|s| s.points).collect();
    assert_eq!(ordered, [5, 20, 30]);

    // Primary-key updates arrive as updates (old and new), string keys are looked up by &str.
    let updates: Arc<Mutex<Vec<(i64, i64)>>> = Arc::default();
    let u = updates.clone();
    let id = conn.db.pk_string().on_update(move |_, old, new| u.lock().unwrap().push((old.data, new.data)));
    conn.reducers.insert_pk_string("k".into(), 1).unwrap();
    conn.reducers.update_pk_string("k".into(), 2).unwrap();
    assert!(until(tick, || !updates.lock().unwrap().is_empty()));
    assert_eq!(*updates.lock().unwrap(), [(1, 2)]);
    assert_eq!(conn.db.pk_string().s().find("k").map(|r| r.data), Some(2));
    conn.db.pk_string().remove_on_update(id);

    // A reducer that fails changes nothing and says why.
    let outcome: Arc<Mutex<Option<String>>> = Arc::default();
    let o = outcome.clone();
    conn.reducers
        .insert_then_fail_then(99, 1, move |ctx, r| {
            assert!(matches!(ctx.event.status, Status::Failed(_)));
            *o.lock().unwrap() = Some(format!("{r:?}"));
        })
        .unwrap();
    assert!(until(tick, || outcome.lock().unwrap().is_some()));
    assert!(outcome.lock().unwrap().as_deref().unwrap().starts_with("Ok(Err("), "{:?}", outcome.lock().unwrap());
    assert!(conn.db.pk_u32().n().find(&99).is_none());

    conn.disconnect().unwrap();
    assert!(until(
        || {
            let _ = conn.frame_tick();
        },
        || disconnected.lock().unwrap().is_some()
    ));
    assert_eq!(*disconnected.lock().unwrap(), Some(None), "a clean disconnect reports no error");
}

/// The bindings generated from the schema the live server serves (V9 from 1.2.0, V10 from
/// 2.8.3) are the committed ones, but for the embedded schema (and, from V10, the order of
/// tables and lines).
fn bindings_from_the_live_schema_are_the_committed_ones() {
    for (module, golden) in [("quickstart", "quickstart"), ("sdk-test", "sdk_test")] {
        let db = publish(module);
        let json = stdb_bindings_gen::input::from_server(&db.http_url, &db.name).unwrap().json;
        let files = stdb_bindings_gen::generate_rust_from_json(
            &json,
            &stdb_bindings_gen::Options { prefix: golden.into(), source: "live".into() },
        )
        .unwrap();
        let golden_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bindings/golden-rust").join(golden);
        let mut want_files: Vec<String> =
            std::fs::read_dir(&golden_dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().to_string()).collect();
        want_files.sort();
        let mut got_files: Vec<String> = files.iter().map(|(f, _)| f.clone()).collect();
        got_files.sort();
        assert_eq!(got_files, want_files, "{module}: the files");
        let any_order = harness::current().server_kind() == stdb_testbed::ServerKind::V2_8;
        // Neither the banner nor the embedded schema: they name the source and hold its JSON.
        let code = |s: &str| {
            let mut v: Vec<String> = s
                .lines()
                .filter(|l| !l.starts_with("// ") && !l.starts_with("//! Typed bindings") && !l.trim_start().starts_with('"'))
                .map(str::to_owned)
                .collect();
            if any_order {
                v.sort();
            }
            v
        };
        for (f, text) in &files {
            let want = std::fs::read_to_string(golden_dir.join(f)).unwrap();
            assert_eq!(code(text), code(&want), "{module}: {f}");
        }
    }
}

/// The official tutorial's chat client (tests/typed/chat.rs), run with scripted input: it renames
/// itself, fails to rename to blank, chats; a second run as the same identity (saved token) sees
/// the history on connecting.
fn the_official_quickstart_chat_client_runs_on_the_bindings() {
    let db = publish("quickstart");
    // The tutorial saves its token; this test's own key, removed at the end.
    let key = format!("typed-chat-{}", db.name);
    let out: chat::Out = Arc::default();
    let input = vec!["/name alice".to_string(), "/name  ".to_string(), "hello world".to_string(), String::new()];
    chat::main(&db.http_url, &db.name, &key, input, out.clone());
    let lines = out.lock().unwrap().clone();
    let want = ["Fully connected and all subscriptions applied.", "User alice connected.", "alice: hello world", "Disconnected."];
    for w in want {
        if w == "User alice connected." {
            continue; // printed for the second run below
        }
        assert!(lines.iter().any(|l| l == w), "missing {w:?} in {lines:?}");
    }
    assert!(lines.iter().any(|l| l.ends_with("renamed to alice.")), "{lines:?}");
    assert!(lines.iter().any(|l| l.starts_with("Failed to change name to \" \":")), "{lines:?}");
    assert!(lines.iter().any(|l| l.starts_with("Failed to send message \"\":")), "{lines:?}");

    // Again, with the saved token: the same user, the history printed on connecting.
    let out: chat::Out = Arc::default();
    chat::main(&db.http_url, &db.name, &key, vec![], out.clone());
    let lines = out.lock().unwrap().clone();
    let history = lines.iter().position(|l| l == "alice: hello world").expect("history");
    let applied = lines.iter().position(|l| l == "Fully connected and all subscriptions applied.").unwrap();
    assert!(history < applied, "{lines:?}");
    assert!(lines.iter().any(|l| l == "User alice connected."), "the same identity: {lines:?}");
    stdb_client::Credentials::new(&key).unwrap().remove().unwrap();
}
