//! The Rust core against a real SpacetimeDB 1.2.0 server: connecting, connect errors,
//! compression, reducers and their events, light mode, run modes and disconnecting.

mod common;

use common::*;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use stdb_client::{CallReducerFlags, Compression, ConnectErrorKind, Credentials, DbConnection, Error, Event, Status};

fn main() {
    run_tests(
        env!("CARGO_CRATE_NAME"),
        live_tests![
            connect_reports_identity_and_token: ALL,
            on_connect_receives_identity_token_and_connection_id: ALL,
            saved_token_reconnects_as_the_same_identity: ALL,
            connect_error_refused_port: PLAIN,
            connect_error_dns_failure: PLAIN,
            connect_error_unknown_database_is_404_at_schema_fetch_and_at_upgrade: ALL,
            connect_error_bad_token: ALL,
            connect_error_timeout_when_the_server_never_answers: PLAIN,
            connect_error_tls_against_a_plaintext_server: ALL,
            invalid_builder_settings_fail_at_build: PLAIN,
            all_three_compressions_deliver_the_same_rows: ALL,
            reducer_success_event_carries_everything: ALL,
            failed_reducer_reaches_the_caller_and_changes_nothing: ALL,
            call_then_gets_each_calls_own_outcome_once: ALL,
            call_then_is_told_when_no_result_can_come: ALL,
            bad_calls_are_rejected_before_anything_is_sent: ALL,
            no_success_notify_suppresses_only_success_without_subscription: ALL,
            caller_is_notified_without_any_subscription: ALL,
            // Not on ::v2_8: a module built with 2.x bindings hides reducer name and arguments from
            // every client but the caller (full v1 clients get TransactionUpdateLight too), and v2
            // has neither light mode nor reducer info for others. Still run on 1.2.0 modules there.
            light_mode_other_clients_see_unknown_transactions: &[Variant::V1_2, Variant::V2_8M1],
            two_connections_in_one_process_are_independent: ALL,
            a_thousand_connections_in_one_process_on_a_few_threads: BOTH,
            run_threaded_runs_callbacks_on_its_own_thread: ALL,
            every_round_trip_is_counted: ALL,
            disconnect_is_clean_and_later_calls_fail: ALL,
            ticking_from_a_callback_is_refused_not_deadlocked: ALL,
            frame_budget_limits_messages_per_tick: ALL,
            run_async_returns_ok_after_disconnect: ALL,
            a_message_over_the_size_limit_ends_the_connection_with_an_error: ALL,
            schema_check_accepts_the_servers_schema_and_rejects_a_changed_one: ALL,
        ],
    )
}

fn connect_reports_identity_and_token() {
    let db = publish("sdk-test");
    let conn = connect(&db);
    let identity = conn.identity().unwrap();
    assert!(identity.to_hex().starts_with("c200"), "locally minted identities start with c200: {}", identity.to_hex());
    assert!(!conn.token().unwrap().is_empty());
    assert!(conn.is_active());
}

fn on_connect_receives_identity_token_and_connection_id() {
    let db = publish("sdk-test");
    let seen = Arc::new(Mutex::new(None));
    let s = seen.clone();
    let conn = builder(&db)
        .on_connect(move |c, identity, token, cid| {
            *s.lock().unwrap() = Some((identity, token.to_owned(), cid, c.connection_id()))
        })
        .build()
        .unwrap();
    assert!(tick_until(&conn, || seen.lock().unwrap().is_some()));
    let (identity, token, cid, own) = seen.lock().unwrap().take().unwrap();
    assert_eq!(identity, conn.identity().unwrap());
    assert_eq!(Some(token), conn.token());
    assert_eq!(cid, own, "the server echoes the connection id we chose");
}

fn saved_token_reconnects_as_the_same_identity() {
    let db = publish("sdk-test");
    let dir = tempfile::tempdir().unwrap();
    std::env::set_var("STDB_CLIENT_CONFIG_DIR", dir.path());
    let creds = Credentials::new("reauth-test").unwrap();
    let first = connect(&db);
    let identity = first.identity().unwrap();
    creds.save(&first.token().unwrap()).unwrap();
    first.disconnect().unwrap();

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(creds.path()).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "token files are private");
    }
    let token = creds.load().unwrap().expect("saved token");
    let second = connect_with(builder(&db).with_token(Some(token)));
    assert_eq!(second.identity().unwrap(), identity);
    let anonymous = connect(&db);
    assert_ne!(anonymous.identity().unwrap(), identity);
}

fn connect_error(b: stdb_client::DbConnectionBuilder) -> Error {
    let out = Arc::new(Mutex::new(None));
    let (o1, o2) = (out.clone(), out.clone());
    let conn = b
        .with_connect_timeout(Duration::from_secs(3))
        .on_connect(move |_, _, _, _| *o1.lock().unwrap() = Some(None))
        .on_connect_error(move |_, e| *o2.lock().unwrap() = Some(Some(e.clone())))
        .build()
        .unwrap();
    assert!(tick_until(&conn, || out.lock().unwrap().is_some()), "no connect outcome");
    let err = out.lock().unwrap().take().unwrap().expect("expected a connect error, but it connected");
    assert!(!conn.is_active(), "a failed connection is not active");
    assert_eq!(conn.frame_tick(), Err(Error::Disconnected));
    err
}

fn kind(e: &Error) -> ConnectErrorKind {
    match e {
        Error::Connect { kind, .. } => kind.clone(),
        other => panic!("not a connect error: {other}"),
    }
}

fn sdk_test_schema(db: &stdb_testbed::Database) -> Arc<stdb_client::schema::Schema> {
    stdb_client::schema::Schema::from_json(&db.schema_json().unwrap()).unwrap()
}

fn connect_error_refused_port() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let e = connect_error(DbConnection::builder().with_uri(format!("http://127.0.0.1:{port}")).with_module_name("x"));
    assert_eq!(kind(&e), ConnectErrorKind::Refused, "{e}");
    assert!(e.to_string().contains("refused"), "{e}");
}

fn connect_error_dns_failure() {
    let e = connect_error(DbConnection::builder().with_uri("http://no-such-host.invalid:3000").with_module_name("x"));
    assert_eq!(kind(&e), ConnectErrorKind::Dns, "{e}");
}

fn connect_error_unknown_database_is_404_at_schema_fetch_and_at_upgrade() {
    let db = publish("sdk-test");
    let schema = sdk_test_schema(&db);
    let e = connect_error(DbConnection::builder().with_uri(db.http_url.clone()).with_module_name("no-such-database"));
    assert_eq!(kind(&e), ConnectErrorKind::HttpStatus(404), "{e}");
    assert!(e.to_string().contains("no-such-database"), "{e}");
    // With a schema given, nothing is fetched: the 404 comes from the WebSocket upgrade.
    let e = connect_error(
        DbConnection::builder().with_uri(db.http_url.clone()).with_module_name("no-such-database").with_schema(schema),
    );
    assert_eq!(kind(&e), ConnectErrorKind::HttpStatus(404), "{e}");
}

fn connect_error_bad_token() {
    let db = publish("sdk-test");
    let schema = sdk_test_schema(&db);
    for with_schema in [false, true] {
        let mut b = builder(&db).with_token(Some("not-a-jwt"));
        if with_schema {
            b = b.with_schema(schema.clone());
        }
        let e = connect_error(b);
        match kind(&e) {
            ConnectErrorKind::HttpStatus(s) => assert!(s == 400 || s == 401, "{e}"),
            _ => panic!("expected an HTTP status, got {e}"),
        }
    }
}

fn connect_error_timeout_when_the_server_never_answers() {
    // A listener that accepts and then says nothing.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let _keep = std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in listener.incoming().take(4) {
            held.push(s);
        }
        std::thread::sleep(Duration::from_secs(10));
    });
    let e = connect_error(
        DbConnection::builder()
            .with_uri(format!("http://127.0.0.1:{port}"))
            .with_module_name("x")
            .with_connect_timeout(Duration::from_millis(500)),
    );
    assert_eq!(kind(&e), ConnectErrorKind::Timeout, "{e}");
}

fn connect_error_tls_against_a_plaintext_server() {
    let db = publish("sdk-test");
    let schema = sdk_test_schema(&db);
    let wss = db.http_url.replace("http://", "wss://");
    let e = connect_error(DbConnection::builder().with_uri(wss).with_module_name(db.name.clone()).with_schema(schema));
    assert_eq!(kind(&e), ConnectErrorKind::Tls, "{e}");
}

fn invalid_builder_settings_fail_at_build() {
    assert!(matches!(DbConnection::builder().with_module_name("x").build(), Err(Error::InvalidState(_))));
    assert!(matches!(DbConnection::builder().with_uri("ftp://h").with_module_name("x").build(), Err(Error::InvalidArgument(_))));
    assert!(matches!(
        DbConnection::builder().with_uri("http://h").with_module_name("bad name").build(),
        Err(Error::InvalidArgument(_))
    ));
}

fn all_three_compressions_deliver_the_same_rows() {
    let db = publish("sdk-test");
    let owner = connect(&db);
    // Enough rows that the initial subscription exceeds the 1 KiB compression threshold.
    assert_eq!(call(&owner, "insert_many", Args::new().u32(0).u32(2000)), Status::Committed);
    let mut all = Vec::new();
    for c in [Compression::None, Compression::Gzip, Compression::Brotli] {
        let conn = connect_with(builder(&db).with_compression(c));
        subscribe(&conn, &["SELECT * FROM pk_u32"]);
        let t = conn.table("pk_u32").unwrap();
        assert_eq!(t.count(), 2000, "{c:?}");
        let mut rows: Vec<Vec<u8>> = t.rows().iter().map(|r| r.to_vec()).collect();
        rows.sort();
        let m = conn.metrics();
        if c == Compression::None {
            // Each uncompressed frame is its message plus the one-byte compression tag.
            assert_eq!(m.bytes_received - m.bytes_decompressed, m.messages_received, "{m:?}");
        } else {
            assert!(m.bytes_decompressed > m.bytes_received * 2, "{c:?} should compress: {m:?}");
        }
        all.push(rows);
    }
    assert_eq!(all[0], all[1]);
    assert_eq!(all[0], all[2]);
}

fn reducer_success_event_carries_everything() {
    let db = publish("sdk-test");
    let conn = connect(&db);
    subscribe(&conn, &["SELECT * FROM pk_u32"]);
    let events = Arc::new(Mutex::new(Vec::new()));
    let e = events.clone();
    conn.on_reducer("insert_pk_u32", move |ctx, r| e.lock().unwrap().push((r.clone(), matches!(ctx.event, Event::Reducer(_)))))
        .unwrap();
    let any = Arc::new(AtomicUsize::new(0));
    let a = any.clone();
    conn.on_any_reducer(move |_, _| {
        a.fetch_add(1, Ordering::SeqCst);
    });
    let inserted = Arc::new(Mutex::new(Vec::new()));
    let ins = inserted.clone();
    conn.table("pk_u32").unwrap().on_insert(move |ctx, row| {
        ins.lock().unwrap().push((row.to_vec(), ctx.event.reducer_event().map(|r| r.reducer_name.clone())))
    });
    let args = Args::new().u32(7).i32(-3);
    let before = std::time::SystemTime::now();
    let request_id = conn.call_reducer("insert_pk_u32", args.bytes(), CallReducerFlags::FullUpdate).unwrap();
    assert!(tick_until(&conn, || !events.lock().unwrap().is_empty()));
    let (r, is_reducer_event) = events.lock().unwrap()[0].clone();
    assert!(is_reducer_event);
    assert_eq!(r.status, Status::Committed);
    assert_eq!(r.reducer_name, "insert_pk_u32");
    let schema = conn.schema().unwrap();
    assert_eq!(r.reducer_id, schema.reducer("insert_pk_u32").unwrap().id);
    assert_eq!(&r.args[..], args.bytes());
    assert_eq!(r.request_id, request_id);
    assert_eq!(r.caller_identity, conn.identity().unwrap());
    assert_eq!(r.caller_connection_id, Some(conn.connection_id()));
    let ts = r.timestamp.to_system_time();
    assert!(ts + Duration::from_secs(5) > before && ts < std::time::SystemTime::now() + Duration::from_secs(5));
    if conn.protocol().unwrap().is_v2() {
        // v2 carries no energy or host duration, but the return value (`()`: no bytes).
        assert!(r.energy_consumed.is_none());
        assert_eq!(r.return_value.as_deref(), Some(&[][..]));
    } else {
        assert!(r.energy_consumed.is_some());
        assert!(r.return_value.is_none());
    }
    assert_eq!(any.load(Ordering::SeqCst), 1);
    let inserted = inserted.lock().unwrap();
    assert_eq!(inserted.len(), 1);
    assert_eq!(inserted[0].0, [7u32.to_le_bytes(), (-3i32).to_le_bytes()].concat());
    assert_eq!(inserted[0].1.as_deref(), Some("insert_pk_u32"), "row callbacks see the reducer event");
    assert!(conn.metrics().reducer_round_trips >= 1);
}

fn failed_reducer_reaches_the_caller_and_changes_nothing() {
    let db = publish("sdk-test");
    let conn = connect(&db);
    subscribe(&conn, &["SELECT * FROM pk_u32"]);
    let inserts = Arc::new(AtomicUsize::new(0));
    let i = inserts.clone();
    conn.table("pk_u32").unwrap().on_insert(move |_, _| {
        i.fetch_add(1, Ordering::SeqCst);
    });
    assert_eq!(call(&conn, "fail", Args::new().str("boom")), Status::Failed("boom".into()));
    // insert_then_fail inserts a row and then returns Err: the insert is rolled back.
    match call(&conn, "insert_then_fail", Args::new().u32(1).i32(1)) {
        Status::Failed(_) => {}
        other => panic!("expected failure, got {other:?}"),
    }
    tick_for(&conn, Duration::from_millis(200));
    assert_eq!(conn.table("pk_u32").unwrap().count(), 0);
    assert_eq!(inserts.load(Ordering::SeqCst), 0);
}

/// `call_reducer_then`: each call's callback runs once, with that call's own outcome (a success,
/// a reducer error, a rejected call), after the per-reducer callbacks and with the cache updated.
fn call_then_gets_each_calls_own_outcome_once() {
    let db = publish("sdk-test");
    let conn = connect(&db);
    subscribe(&conn, &["SELECT * FROM pk_u32"]);
    let log = Arc::new(Mutex::new(Vec::<String>::new()));
    let l = log.clone();
    conn.on_reducer("insert_pk_u32", move |_, _| l.lock().unwrap().push("on_reducer".into())).unwrap();
    let outcomes = Arc::new(Mutex::new(Vec::<(u32, Status, Option<u64>)>::new()));
    let then = |tag: u32| {
        let (o, l) = (outcomes.clone(), log.clone());
        move |ctx: &stdb_client::EventContext, r: Result<&stdb_client::ReducerEvent, &str>| {
            let r = r.expect("a result");
            l.lock().unwrap().push(format!("then {tag}"));
            let rows = ctx.conn.table("pk_u32").map(|t| t.count() as u64).ok();
            o.lock().unwrap().push((tag, r.status.clone(), rows));
        }
    };
    let id1 = conn
        .call_reducer_then("insert_pk_u32", Args::new().u32(1).i32(10).bytes(), CallReducerFlags::FullUpdate, then(1))
        .unwrap();
    let id2 = conn.call_reducer_then("fail", Args::new().str("nope").bytes(), CallReducerFlags::FullUpdate, then(2)).unwrap();
    let id3 = conn
        .call_reducer_then("insert_pk_u32", Args::new().u32(2).i32(20).bytes(), CallReducerFlags::FullUpdate, then(3))
        .unwrap();
    assert!(id1 < id2 && id2 < id3);
    assert!(tick_until(&conn, || outcomes.lock().unwrap().len() == 3));
    tick_for(&conn, Duration::from_millis(200));
    let mut got = outcomes.lock().unwrap().clone();
    got.sort_by_key(|o| o.0);
    assert_eq!(got.len(), 3, "each callback exactly once: {got:?}");
    assert_eq!(got[0].1, Status::Committed);
    assert_eq!(got[1].1, Status::Failed("nope".into()));
    assert_eq!(got[2].1, Status::Committed);
    // The cache holds the call's rows when its callback runs.
    assert!(got[0].2.unwrap() >= 1 && got[2].2.unwrap() == 2, "{got:?}");
    let log = log.lock().unwrap().clone();
    let first = log.iter().position(|e| e == "then 1").unwrap();
    assert_eq!(log[first - 1], "on_reducer", "per-reducer callbacks run first: {log:?}");
    // A call refused before sending never runs its callback.
    let never = Arc::new(AtomicUsize::new(0));
    let n = never.clone();
    let refused = conn.call_reducer_then("insert_pk_u32", b"\x01", CallReducerFlags::FullUpdate, move |_, _| {
        n.fetch_add(1, Ordering::SeqCst);
    });
    assert!(matches!(refused, Err(Error::InvalidArgument(_))), "{refused:?}");
    if conn.protocol().unwrap().is_v2() {
        // On v2 the flag is the server's business; the call is still answered.
        let o = outcomes.clone();
        conn.call_reducer_then(
            "insert_pk_u32",
            Args::new().u32(3).i32(30).bytes(),
            CallReducerFlags::NoSuccessNotify,
            move |_, r| {
                o.lock().unwrap().push((4, r.unwrap().status.clone(), None));
            },
        )
        .unwrap();
        assert!(tick_until(&conn, || outcomes.lock().unwrap().len() == 4));
    } else {
        let r = conn.call_reducer_then(
            "insert_pk_u32",
            Args::new().u32(3).i32(30).bytes(),
            CallReducerFlags::NoSuccessNotify,
            |_, _| {},
        );
        assert!(matches!(r, Err(Error::InvalidArgument(_))), "v1 would never report success: {r:?}");
    }
    tick_for(&conn, Duration::from_millis(100));
    assert_eq!(never.load(Ordering::SeqCst), 0);
}

/// A call whose answer can no longer come (the connection ended first) still gets its callback,
/// once, with the reason.
fn call_then_is_told_when_no_result_can_come() {
    let db = publish("sdk-test");
    let conn = connect(&db);
    let outcome = Arc::new(Mutex::new(Vec::<Result<Status, String>>::new()));
    let o = outcome.clone();
    conn.call_reducer_then("insert_pk_u32", Args::new().u32(1).i32(1).bytes(), CallReducerFlags::FullUpdate, move |_, r| {
        o.lock().unwrap().push(r.map(|r| r.status.clone()).map_err(str::to_owned));
    })
    .unwrap();
    // Disconnect before ticking: the answer may or may not have been queued before the close.
    conn.disconnect().unwrap();
    assert!(tick_until(&conn, || !outcome.lock().unwrap().is_empty()));
    tick_for(&conn, Duration::from_millis(100));
    let got = outcome.lock().unwrap().clone();
    assert_eq!(got.len(), 1, "{got:?}");
    match &got[0] {
        Ok(status) => assert_eq!(*status, Status::Committed),
        Err(why) => assert!(why.contains("connection ended"), "{why}"),
    }
}

fn bad_calls_are_rejected_before_anything_is_sent() {
    let db = publish("sdk-test");
    let conn = connect(&db);
    let sent = conn.metrics().reducer_calls;
    assert!(matches!(conn.call_reducer("no_such_reducer", &[], CallReducerFlags::FullUpdate), Err(Error::UnknownReducer(_))));
    // insert_pk_u32(n: u32, data: i32) needs 8 bytes.
    for bad in [&[1u8, 2, 3][..], &[0u8; 9][..], &[][..]] {
        assert!(matches!(conn.call_reducer("insert_pk_u32", bad, CallReducerFlags::FullUpdate), Err(Error::InvalidArgument(_))));
    }
    // fail(message: String) with invalid UTF-8.
    let bad_utf8 = [2u8, 0, 0, 0, 0xff, 0xfe];
    assert!(matches!(conn.call_reducer("fail", &bad_utf8, CallReducerFlags::FullUpdate), Err(Error::InvalidArgument(_))));
    assert!(matches!(
        conn.call_reducer("client_connected", &[], CallReducerFlags::FullUpdate),
        Err(Error::InvalidArgument(_)) | Err(Error::UnknownReducer(_))
    ));
    assert_eq!(conn.metrics().reducer_calls, sent, "nothing was sent");
    assert!(matches!(conn.on_reducer("no_such_reducer", |_, _| {}), Err(Error::UnknownReducer(_))));
}

fn no_success_notify_suppresses_only_success_without_subscription() {
    let db = publish("sdk-test");
    let conn = connect(&db);
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = seen.clone();
    conn.on_any_reducer(move |_, r| s.lock().unwrap().push((r.reducer_name.clone(), r.status.clone())));
    conn.call_reducer("no_op", &[], CallReducerFlags::NoSuccessNotify).unwrap();
    conn.call_reducer("fail", Args::new().str("nope").bytes(), CallReducerFlags::NoSuccessNotify).unwrap();
    conn.call_reducer("no_op", &[], CallReducerFlags::FullUpdate).unwrap();
    assert!(tick_until(&conn, || !seen.lock().unwrap().is_empty()));
    tick_for(&conn, Duration::from_millis(300));
    let seen = seen.lock().unwrap();
    if conn.protocol().unwrap().is_v2() {
        // v2 has no NoSuccessNotify: the flag is a no-op and the caller hears of every call.
        let all = vec![
            ("no_op".to_owned(), Status::Committed),
            ("fail".to_owned(), Status::Failed("nope".into())),
            ("no_op".to_owned(), Status::Committed),
        ];
        assert_eq!(*seen, all);
    } else {
        // The 1.x server drops failures of NoSuccessNotify calls too (protocol notes §4.4).
        assert_eq!(*seen, vec![("no_op".to_owned(), Status::Committed)], "only the FullUpdate no_op is reported: {seen:?}");
    }
}

fn caller_is_notified_without_any_subscription() {
    let db = publish("sdk-test");
    let conn = connect(&db);
    assert_eq!(call(&conn, "insert_pk_u32", Args::new().u32(1).i32(2)), Status::Committed);
}

fn light_mode_other_clients_see_unknown_transactions() {
    let db = publish("sdk-test");
    let caller = connect(&db);
    let light = connect_with(builder(&db).with_light_mode(true));
    let full = connect(&db);
    subscribe(&light, &["SELECT * FROM pk_u32"]);
    subscribe(&full, &["SELECT * FROM pk_u32"]);
    let light_events = Arc::new(Mutex::new(Vec::new()));
    let full_events = Arc::new(Mutex::new(Vec::new()));
    let (l, f) = (light_events.clone(), full_events.clone());
    light.table("pk_u32").unwrap().on_insert(move |ctx, _| l.lock().unwrap().push(ctx.event.clone()));
    full.table("pk_u32").unwrap().on_insert(move |ctx, _| f.lock().unwrap().push(ctx.event.clone()));
    let light_reducer_cbs = Arc::new(AtomicUsize::new(0));
    let lr = light_reducer_cbs.clone();
    light.on_any_reducer(move |_, _| {
        lr.fetch_add(1, Ordering::SeqCst);
    });
    caller.call_reducer("insert_pk_u32", Args::new().u32(5).i32(5).bytes(), CallReducerFlags::FullUpdate).unwrap();
    assert!(tick_all_until(&[&caller, &light, &full], || !light_events.lock().unwrap().is_empty()
        && !full_events.lock().unwrap().is_empty()));
    assert!(matches!(light_events.lock().unwrap()[0], Event::UnknownTransaction(None)), "light clients get no reducer metadata");
    match (&full_events.lock().unwrap()[0], full.protocol().unwrap().is_v2()) {
        (Event::Reducer(r), false) => assert_eq!(r.caller_identity, caller.identity().unwrap()),
        // v2 tells only the caller which reducer ran: everyone else is "light".
        (Event::UnknownTransaction(None), true) => {}
        (other, v2) => panic!("unexpected event for a full client (v2: {v2}): {other:?}"),
    }
    assert_eq!(light_reducer_cbs.load(Ordering::SeqCst), 0, "no reducer callback without reducer metadata");
}

fn two_connections_in_one_process_are_independent() {
    let db = publish("sdk-test");
    let a = connect(&db);
    let b = connect(&db);
    assert_ne!(a.connection_id(), b.connection_id());
    assert_ne!(a.identity().unwrap(), b.identity().unwrap());
    subscribe(&a, &["SELECT * FROM pk_u32"]);
    assert_eq!(call(&b, "insert_pk_u32", Args::new().u32(9).i32(9)), Status::Committed);
    assert!(tick_until(&a, || a.table("pk_u32").unwrap().count() == 1));
    assert_eq!(b.table("pk_u32").unwrap().count(), 0, "b never subscribed");
}

/// The many-connections case: 1000 connections built in one process and ticked by one thread
/// all connect, on the library's few runtime threads (not a thread per connection), and each
/// is independently usable.
fn a_thousand_connections_in_one_process_on_a_few_threads() {
    const N: usize = 1000;
    let open_files = std::fs::read_to_string("/proc/self/limits")
        .ok()
        .and_then(|l| l.lines().find(|l| l.starts_with("Max open files"))?.split_whitespace().nth(3)?.parse::<usize>().ok());
    assert!(open_files.is_none_or(|n| n >= 2 * N), "this test needs {} open files: raise `ulimit -n`", 2 * N);
    let db = publish("sdk-test");
    let schema = sdk_test_schema(&db);
    let connected = Arc::new(AtomicUsize::new(0));
    let failed = Arc::new(Mutex::new(Vec::<String>::new()));
    let threads_before = thread_count();
    let conns: Vec<DbConnection> = (0..N)
        .map(|_| {
            let (c, f) = (connected.clone(), failed.clone());
            builder(&db)
                .with_schema(schema.clone())
                .on_connect(move |_, _, _, _| {
                    c.fetch_add(1, Ordering::SeqCst);
                })
                .on_connect_error(move |_, e| f.lock().unwrap().push(e.to_string()))
                .build()
                .unwrap()
        })
        .collect();
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    while connected.load(Ordering::SeqCst) + failed.lock().unwrap().len() < N && std::time::Instant::now() < deadline {
        for c in &conns {
            c.frame_tick().unwrap();
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    assert_eq!(failed.lock().unwrap().clone(), Vec::<String>::new());
    assert_eq!(connected.load(Ordering::SeqCst), N);
    // The shared runtime's workers (and its blocking pool, idle here: no schema fetch) serve them all.
    let added = thread_count().saturating_sub(threads_before);
    assert!(added < 32, "{added} threads for {N} connections");
    let ids: std::collections::HashSet<_> = conns.iter().map(|c| c.connection_id()).collect();
    assert_eq!(ids.len(), N, "every connection has its own id");
    // The last one still works end to end.
    assert_eq!(call(&conns[N - 1], "insert_pk_u32", Args::new().u32(1).i32(1)), Status::Committed);
}

/// Threads of this process (Linux).
fn thread_count() -> usize {
    std::fs::read_dir("/proc/self/task").map(|d| d.count()).unwrap_or(0)
}

fn run_threaded_runs_callbacks_on_its_own_thread() {
    let db = publish("sdk-test");
    let conn = connect(&db);
    subscribe(&conn, &["SELECT * FROM pk_u32"]);
    let threads = Arc::new(Mutex::new(Vec::new()));
    let t = threads.clone();
    conn.table("pk_u32").unwrap().on_insert(move |_, _| t.lock().unwrap().push(std::thread::current().id()));
    let handle = conn.run_threaded().expect("run_threaded");
    // One tick thread per connection: a second call is refused.
    assert!(matches!(conn.run_threaded(), Err(Error::InvalidState(_))), "a second run_threaded must fail");
    // While another thread ticks, this one may not.
    std::thread::sleep(Duration::from_millis(50));
    conn.call_reducer("insert_pk_u32", Args::new().u32(1).i32(1).bytes(), CallReducerFlags::FullUpdate).unwrap();
    let deadline = std::time::Instant::now() + TIMEOUT;
    while threads.lock().unwrap().is_empty() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(threads.lock().unwrap().len(), 1);
    assert_ne!(threads.lock().unwrap()[0], std::thread::current().id());
    conn.disconnect().unwrap();
    handle.join().expect("the tick thread ends without panicking");
    assert!(!conn.is_active());
}

fn disconnect_is_clean_and_later_calls_fail() {
    let db = publish("sdk-test");
    let reason = Arc::new(Mutex::new(None));
    let r = reason.clone();
    let conn = connect_with(builder(&db).on_disconnect(move |_, e| *r.lock().unwrap() = Some(e.cloned())));
    conn.disconnect().unwrap();
    assert_eq!(conn.disconnect(), Err(Error::Disconnected), "a second disconnect is an error");
    assert!(tick_until(&conn, || reason.lock().unwrap().is_some()));
    assert_eq!(reason.lock().unwrap().clone().unwrap(), None, "a requested disconnect carries no error");
    assert!(!conn.is_active());
    assert_eq!(conn.frame_tick(), Err(Error::Disconnected));
    assert_eq!(conn.call_reducer("no_op", &[], CallReducerFlags::FullUpdate), Err(Error::Disconnected));
    assert!(conn.subscription_builder().subscribe(&["SELECT * FROM pk_u32"]).is_err());
}

fn ticking_from_a_callback_is_refused_not_deadlocked() {
    let db = publish("sdk-test");
    let conn = connect(&db);
    let result = Arc::new(Mutex::new(None));
    let r = result.clone();
    conn.on_reducer("no_op", move |ctx, _| *r.lock().unwrap() = Some(ctx.conn.frame_tick())).unwrap();
    conn.call_reducer("no_op", &[], CallReducerFlags::FullUpdate).unwrap();
    assert!(tick_until(&conn, || result.lock().unwrap().is_some()));
    assert_eq!(result.lock().unwrap().take().unwrap(), Err(Error::Reentrant));
}

fn frame_budget_limits_messages_per_tick() {
    let db = publish("sdk-test");
    let conn = connect(&db);
    subscribe(&conn, &["SELECT * FROM pk_u32"]);
    for i in 0..5 {
        conn.call_reducer("insert_pk_u32", Args::new().u32(i).i32(0).bytes(), CallReducerFlags::FullUpdate).unwrap();
    }
    // Wait until all five results are queued, then drain two at a time.
    let deadline = std::time::Instant::now() + TIMEOUT;
    while conn.metrics().queue_depth < 5 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    let report = conn.frame_tick_budget(2, None).unwrap();
    assert_eq!(report.processed, 2);
    assert_eq!(report.remaining, 3);
    assert_eq!(conn.table("pk_u32").unwrap().count(), 2);
    conn.frame_tick().unwrap();
    assert_eq!(conn.table("pk_u32").unwrap().count(), 5);
}

fn run_async_returns_ok_after_disconnect() {
    let db = publish("sdk-test");
    let conn = connect(&db);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let c = conn.clone();
    rt.block_on(async move {
        let runner = c.clone();
        let task = tokio::spawn(async move { runner.run_async().await });
        tokio::time::sleep(Duration::from_millis(50)).await;
        c.disconnect().unwrap();
        let result = tokio::time::timeout(Duration::from_secs(10), task).await.expect("run_async ends").unwrap();
        assert_eq!(result, Ok(()));
    });
}

fn a_message_over_the_size_limit_ends_the_connection_with_an_error() {
    let db = publish("sdk-test");
    let owner = connect(&db);
    // Rows of random-ish bytes compress poorly, so the initial subscription exceeds 64 KiB.
    for n in 0..8 {
        assert_eq!(call(&owner, "insert_blob", Args::new().u32(n).u32(16 * 1024)), Status::Committed);
    }
    let reason = Arc::new(Mutex::new(None));
    let r = reason.clone();
    let conn = connect_with(
        builder(&db)
            .with_compression(Compression::None)
            .with_max_message_size(64 * 1024)
            .on_disconnect(move |_, e| *r.lock().unwrap() = Some(e.cloned())),
    );
    conn.subscription_builder().subscribe(&["SELECT * FROM blob"]).unwrap();
    assert!(tick_until(&conn, || reason.lock().unwrap().is_some()));
    let err = reason.lock().unwrap().clone().unwrap().expect("an error");
    assert!(matches!(err, Error::ConnectionLost(_)), "{err}");
    assert!(err.to_string().to_lowercase().contains("too long") || err.to_string().contains("limit"), "{err}");
    assert_eq!(conn.table("blob").unwrap().count(), 0, "nothing from the oversized message was applied");
}

fn schema_check_accepts_the_servers_schema_and_rejects_a_changed_one() {
    let db = publish("sdk-test");
    let json = db.schema_json().unwrap();
    let schema = stdb_client::schema::Schema::from_json(&json).unwrap();
    connect_with(builder(&db).with_schema(schema).with_schema_check(true));
    // The same schema with pk_u32's `data` column turned from I32 into I64: what an old client
    // would hold after the module changed under it.
    let mut v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let tables = v["tables"].as_array().unwrap().clone();
    let pk = tables.iter().find(|t| t["name"] == "pk_u32").unwrap();
    let r = pk["product_type_ref"].as_u64().unwrap() as usize;
    let elements = v["typespace"]["types"][r]["Product"]["elements"].as_array_mut().unwrap();
    let data = elements.iter_mut().find(|e| e["name"]["some"] == "data").unwrap();
    data["algebraic_type"] = serde_json::json!({"I64": []});
    let stale = stdb_client::schema::Schema::from_json(&v.to_string()).unwrap();
    let e = connect_error(builder(&db).with_schema(stale).with_schema_check(true));
    assert_eq!(kind(&e), ConnectErrorKind::Schema, "{e}");
    assert!(e.to_string().contains("pk_u32"), "{e}");
}

#[test]
fn the_newest_protocol_both_sides_speak_is_chosen() {
    use stdb_client::protocol::Protocol;
    use stdb_client::schema::SchemaVersion;
    let db = publish("sdk-test");
    let conn = connect(&db);
    // Only 2.x servers serve V10 schemas, and they speak v3.
    let server_2x = conn.schema().unwrap().version() == SchemaVersion::V10;
    assert_eq!(conn.protocol(), Some(if server_2x { Protocol::V3 } else { Protocol::V1 }));
    for offer in [[Protocol::V1], [Protocol::V2]] {
        let b = builder(&db).with_protocols(&offer);
        if !server_2x && offer[0] == Protocol::V2 {
            // A 1.x server cannot speak v2: the connect fails with a clear error.
            let err = Arc::new(Mutex::new(None));
            let e = err.clone();
            let c = b.on_connect_error(move |_, error| *e.lock().unwrap() = Some(error.to_string())).build().unwrap();
            assert!(tick_until(&c, || err.lock().unwrap().is_some()));
            continue;
        }
        let c = connect_with(b);
        assert_eq!(c.protocol(), Some(offer[0]));
        // Every request kind works in the chosen protocol.
        subscribe(&c, &["SELECT * FROM pk_u32"]);
        assert_eq!(call(&c, "insert_pk_u32", Args::new().u32(9).i32(9)), Status::Committed);
        assert!(tick_until(&c, || c.table("pk_u32").unwrap().count() == 1));
        let rows = Arc::new(Mutex::new(None));
        let r = rows.clone();
        c.one_off_query("SELECT * FROM pk_u32", move |_, res| *r.lock().unwrap() = Some(res.map(|t| t[0].1.len()))).unwrap();
        assert!(tick_until(&c, || rows.lock().unwrap().is_some()));
        assert_eq!(rows.lock().unwrap().take().unwrap(), Ok(1));
        call(&c, "delete_all_pk_u32", Args::new());
    }
}

/// Every committed call is counted as a round trip, even when the reply is applied (by another
/// thread's tick) before `call_reducer` returns: the call is recorded as pending before it is sent.
fn every_round_trip_is_counted() {
    let db = publish("sdk-test");
    let conn = connect(&db);
    let handle = conn.run_threaded().expect("run_threaded");
    for _ in 0..300 {
        conn.call_reducer("no_op", &[], CallReducerFlags::FullUpdate).unwrap();
    }
    let deadline = std::time::Instant::now() + TIMEOUT;
    while conn.metrics().reducer_round_trips < 300 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    std::thread::sleep(Duration::from_millis(200));
    let m = conn.metrics();
    assert_eq!(m.reducer_calls, 300);
    assert_eq!(m.reducer_round_trips, 300, "{m:?}");
    conn.disconnect().unwrap();
    handle.join().unwrap();
}
