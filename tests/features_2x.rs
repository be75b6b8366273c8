//! What only SpacetimeDB 2.x has, through the Rust API against the real 2.8.3 server and the
//! `features-2x` module (built with spacetimedb 2.8.3): event tables, procedures, views, reducer
//! errors and return values, case-converted and private reducers, and what a v1 connection to
//! the same module can and cannot do. Skipped (reported as ignored) when no 2.x server is found.

mod common;

use common::*;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use stdb_client::{CallReducerFlags, DbConnection, Error, Event, ProcedureOutcome, Protocol, Status};
use stdb_testbed::{Database, ModuleSet, Server, ServerKind};

fn publish_features() -> Database {
    Server::shared_of(ServerKind::V2_8).publish_from(ModuleSet::V2, "features-2x").expect("publishing features-2x")
}

fn add_player(conn: &DbConnection, id: u32, name: &str) {
    assert_eq!(call(conn, "add_player", Args::new().u32(id).str(name)), Status::Committed);
}

fn connects_over_v3_with_a_v10_schema_and_plain_tables_work() {
    let db = publish_features();
    let conn = connect(&db);
    assert_eq!(conn.protocol(), Some(Protocol::V3));
    let schema = conn.schema().unwrap();
    assert_eq!(schema.version(), stdb_client::schema::SchemaVersion::V10);
    assert!(schema.procedure("add_numbers").is_some(), "procedures are in the schema");
    subscribe(&conn, &["SELECT * FROM player"]);
    add_player(&conn, 1, "ada");
    assert!(tick_until(&conn, || conn.table("player").unwrap().count() == 1));
    let rows = Arc::new(Mutex::new(None));
    let r = rows.clone();
    conn.one_off_query("SELECT * FROM player", move |_, res| *r.lock().unwrap() = Some(res.map(|t| t[0].1.len()))).unwrap();
    assert!(tick_until(&conn, || rows.lock().unwrap().is_some()));
    assert_eq!(rows.lock().unwrap().take().unwrap(), Ok(1));
}

fn event_table_rows_reach_callbacks_once_and_are_never_cached() {
    let db = publish_features();
    let conn = connect(&db);
    let other = connect(&db);
    subscribe(&conn, &["SELECT * FROM chat_event"]);
    // Subscribing to everything includes event tables over v2/v3.
    conn.subscription_builder().subscribe_to_all_tables().unwrap();
    other.subscription_builder().subscribe_to_all_tables().unwrap();
    tick_for(&conn, Duration::from_millis(200));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let others_seen = Arc::new(Mutex::new(0));
    let s = seen.clone();
    conn.table("chat_event").unwrap().on_insert(move |ctx, row| {
        let (text, _) = str_at(row, 32);
        s.lock().unwrap().push((text, matches!(ctx.event, Event::Reducer(_))));
    });
    let o = others_seen.clone();
    other.table("chat_event").unwrap().on_insert(move |_, _| *o.lock().unwrap() += 1);
    assert_eq!(call(&conn, "send_chat", Args::new().str("hello")), Status::Committed);
    assert!(tick_all_until(&[&conn, &other], || !seen.lock().unwrap().is_empty() && *others_seen.lock().unwrap() >= 1));
    tick_for(&conn, Duration::from_millis(200));
    // Two subscriptions cover the table, but an event happens once; the caller's comes with the
    // reducer event.
    assert_eq!(*seen.lock().unwrap(), vec![("hello".to_owned(), true)]);
    assert_eq!(*others_seen.lock().unwrap(), 1);
    assert_eq!(conn.table("chat_event").unwrap().count(), 0, "event rows are not cached");
    assert_eq!(other.table("chat_event").unwrap().count(), 0);
    let events = conn.table("chat_event").unwrap();
    for e in [events.find("text", b"").err(), events.btree_scan(0, &[], None).err(), events.on_update(|_, _, _| {}).err()] {
        assert!(matches!(&e, Some(Error::InvalidArgument(m)) if m.contains("event table")), "{e:?}");
    }
}

fn procedures_return_values_and_check_their_arguments() {
    let db = publish_features();
    let conn = connect(&db);
    let out: Arc<Mutex<Option<ProcedureOutcome>>> = Arc::default();
    let o = out.clone();
    conn.call_procedure("add_numbers", Args::new().u32(40).u32(2).bytes(), move |_, r| *o.lock().unwrap() = Some(r)).unwrap();
    assert!(tick_until(&conn, || out.lock().unwrap().is_some()));
    let r = out.lock().unwrap().take().unwrap();
    assert_eq!(r.result.as_deref(), Ok(&42u64.to_le_bytes()[..]));
    assert!(r.host_duration.to_micros() >= 0);
    // A procedure that opens a transaction.
    add_player(&conn, 1, "a");
    add_player(&conn, 2, "b");
    let o = out.clone();
    conn.call_procedure("count_players", &[], move |_, r| *o.lock().unwrap() = Some(r)).unwrap();
    assert!(tick_until(&conn, || out.lock().unwrap().is_some()));
    assert_eq!(out.lock().unwrap().take().unwrap().result.as_deref(), Ok(&2u64.to_le_bytes()[..]));
    // Bad calls are refused before anything is sent.
    assert!(matches!(conn.call_procedure("add_numbers", &[1, 2, 3], |_, _| {}), Err(Error::InvalidArgument(_))));
    assert!(matches!(conn.call_procedure("no_such", &[], |_, _| {}), Err(Error::UnknownProcedure(_))));
    // Over v1 there are no procedures: a clear error.
    let v1 = connect_with(builder(&db).with_protocols(&[Protocol::V1]));
    assert_eq!(v1.protocol(), Some(Protocol::V1));
    match v1.call_procedure("add_numbers", Args::new().u32(1).u32(2).bytes(), |_, _| {}) {
        Err(Error::InvalidState(m)) => assert!(m.contains("v2"), "{m}"),
        other => panic!("{other:?}"),
    }
}

fn views_are_subscribed_and_cached_like_tables() {
    let db = publish_features();
    let conn = connect(&db);
    let stranger = connect(&db);
    subscribe(&conn, &["SELECT * FROM high_level_players", "SELECT * FROM my_players"]);
    subscribe(&stranger, &["SELECT * FROM my_players"]);
    add_player(&conn, 1, "mine");
    add_player(&conn, 2, "also mine");
    assert_eq!(call(&conn, "level_up", Args::new().u32(2)), Status::Committed);
    // Anonymous view: players of level 2 and above; per-sender view: the caller's own players.
    assert!(tick_until(&conn, || conn.table("high_level_players").unwrap().count() == 1
        && conn.table("my_players").unwrap().count() == 2));
    tick_for(&stranger, Duration::from_millis(300));
    assert_eq!(stranger.table("my_players").unwrap().count(), 0, "a per-sender view is per sender");
    let row = conn.table("high_level_players").unwrap().rows().into_iter().next().unwrap();
    assert_eq!(u32_at(&row, 0), 2);
}

fn reducer_errors_names_and_visibility() {
    let db = publish_features();
    let conn = connect(&db);
    add_player(&conn, 1, "x");
    // Result<(), String> errors reach the caller as their text.
    assert_eq!(call(&conn, "rename_player", Args::new().u32(1).str("")), Status::Failed("name must not be empty".into()));
    assert_eq!(call(&conn, "level_up", Args::new().u32(9)), Status::Failed("no player 9".into()));
    // `levelUp` in the source is `level_up` on the wire.
    let schema = conn.schema().unwrap();
    assert_eq!(schema.reducer("level_up").unwrap().accessor, "levelUp");
    assert!(matches!(conn.call_reducer("levelUp", &[], CallReducerFlags::FullUpdate), Err(Error::UnknownReducer(_))));
    // Private and lifecycle reducers are not offered to clients.
    for private in ["on_timer", "on_connect"] {
        match conn.call_reducer(private, &[], CallReducerFlags::FullUpdate) {
            Err(Error::InvalidArgument(m)) => assert!(m.contains(private), "{m}"),
            other => panic!("{private}: {other:?}"),
        }
    }
    // A committed call carries the reducer's return value (`()`: no bytes).
    let ret = Arc::new(Mutex::new(None));
    let r = ret.clone();
    conn.on_reducer("add_player", move |_, e| *r.lock().unwrap() = Some(e.return_value.clone())).unwrap();
    add_player(&conn, 3, "z");
    assert!(tick_until(&conn, || ret.lock().unwrap().is_some()));
    assert_eq!(ret.lock().unwrap().take().unwrap().as_deref(), Some(&[][..]));
}

fn a_v1_connection_subscribes_to_everything_but_event_tables() {
    let db = publish_features();
    let conn = connect_with(builder(&db).with_protocols(&[Protocol::V1]));
    let applied = Arc::new(Mutex::new(false));
    let a = applied.clone();
    conn.subscription_builder()
        .on_applied(move |_| *a.lock().unwrap() = true)
        .on_error(|_, e| panic!("subscribe_to_all_tables over v1: {e}"))
        .subscribe_to_all_tables()
        .unwrap();
    assert!(tick_until(&conn, || *applied.lock().unwrap()));
    add_player(&conn, 1, "v1");
    assert!(tick_until(&conn, || conn.table("player").unwrap().count() == 1));
}

fn main() {
    let args = libtest_mimic::Arguments::from_args();
    let missing = ServerKind::V2_8.binary().err();
    if let Some(e) = &missing {
        eprintln!("\n*** 2.x tests SKIPPED: no SpacetimeDB 2.x server ({e}) ***\n");
    }
    let cases: [(&str, fn()); 6] = [
        ("connects_over_v3_with_a_v10_schema_and_plain_tables_work", connects_over_v3_with_a_v10_schema_and_plain_tables_work),
        (
            "event_table_rows_reach_callbacks_once_and_are_never_cached",
            event_table_rows_reach_callbacks_once_and_are_never_cached,
        ),
        ("procedures_return_values_and_check_their_arguments", procedures_return_values_and_check_their_arguments),
        ("views_are_subscribed_and_cached_like_tables", views_are_subscribed_and_cached_like_tables),
        ("reducer_errors_names_and_visibility", reducer_errors_names_and_visibility),
        ("a_v1_connection_subscribes_to_everything_but_event_tables", a_v1_connection_subscribes_to_everything_but_event_tables),
    ];
    let trials = cases
        .into_iter()
        .map(|(name, f)| {
            libtest_mimic::Trial::test(format!("{name}::v2_8"), move || {
                f();
                Ok(())
            })
            .with_ignored_flag(missing.is_some())
        })
        .collect();
    libtest_mimic::run(&args, trials).exit();
}
