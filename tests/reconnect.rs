//! Auto-reconnect against a real server, through a loopback TCP relay the test can cut (a
//! network fault, not a stand-in server): the client comes back as the same identity, renews
//! its subscriptions and reports exactly the rows that changed while it was away.

mod common;

use common::*;
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use stdb_client::{Error, Event, ReconnectPolicy, Status};

fn main() {
    run_tests(
        env!("CARGO_CRATE_NAME"),
        live_tests![
            reconnect_renews_subscriptions_and_reports_exactly_what_changed,
            reconnect_gives_up_after_its_attempts_and_reports_the_disconnect,
            without_reconnect_a_lost_connection_is_a_disconnect,
        ],
    )
}

/// Relays TCP connections to `target`. `cut` kills live ones; while `down`, new ones are dropped.
struct Relay {
    port: u16,
    live: Arc<Mutex<Vec<TcpStream>>>,
    down: Arc<AtomicBool>,
}

impl Relay {
    fn start(target: String) -> Relay {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let live: Arc<Mutex<Vec<TcpStream>>> = Arc::default();
        let down = Arc::new(AtomicBool::new(false));
        let (l, d) = (live.clone(), down.clone());
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { continue };
                if d.load(Ordering::SeqCst) {
                    let _ = client.shutdown(Shutdown::Both);
                    continue;
                }
                let Ok(server) = TcpStream::connect(&target) else { continue };
                l.lock().unwrap().extend([client.try_clone().unwrap(), server.try_clone().unwrap()]);
                pipe(client.try_clone().unwrap(), server.try_clone().unwrap());
                pipe(server, client);
            }
        });
        Relay { port, live, down }
    }

    fn cut(&self) {
        for s in self.live.lock().unwrap().drain(..) {
            let _ = s.shutdown(Shutdown::Both);
        }
    }
}

fn pipe(mut from: TcpStream, mut to: TcpStream) {
    std::thread::spawn(move || {
        let mut buf = [0u8; 16384];
        while let Ok(n) = from.read(&mut buf) {
            if n == 0 || to.write_all(&buf[..n]).is_err() {
                break;
            }
        }
        let _ = to.shutdown(Shutdown::Both);
    });
}

fn fast_policy(max_attempts: u32) -> ReconnectPolicy {
    ReconnectPolicy { max_attempts, initial_delay: Duration::from_millis(50), max_delay: Duration::from_millis(200) }
}

fn reconnect_renews_subscriptions_and_reports_exactly_what_changed() {
    let db = publish("sdk-test");
    let owner = connect(&db);
    for n in 1..=3 {
        call(&owner, "insert_pk_u32", Args::new().u32(n).i32(n as i32));
    }
    let relay = Relay::start(db.http_url.trim_start_matches("http://").to_owned());
    let reconnects = Arc::new(AtomicUsize::new(0));
    let r = reconnects.clone();
    let disconnected = Arc::new(AtomicBool::new(false));
    let d = disconnected.clone();
    let client = connect_with(
        builder(&db)
            .with_uri(format!("http://127.0.0.1:{}", relay.port))
            .with_reconnect(fast_policy(50))
            .on_reconnect(move |_, _, _| {
                r.fetch_add(1, Ordering::SeqCst);
            })
            .on_disconnect(move |_, _| d.store(true, Ordering::SeqCst)),
    );
    let identity = client.identity().unwrap();
    let first_cid = client.connection_id();
    let sub = subscribe(&client, &["SELECT * FROM pk_u32"]);
    assert_eq!(client.table("pk_u32").unwrap().count(), 3);

    // Record every row callback with its event.
    type Log = Arc<Mutex<Vec<(&'static str, u32, i32, String)>>>;
    let log: Log = Arc::default();
    let t = client.table("pk_u32").unwrap();
    let (a, b, c) = (log.clone(), log.clone(), log.clone());
    let kind = |e: &Event| format!("{e:?}").split(['(', ' ']).next().unwrap().to_owned();
    t.on_insert(move |ctx, row| a.lock().unwrap().push(("insert", u32_at(row, 0), i32_at(row, 4), kind(ctx.event))));
    t.on_delete(move |ctx, row| b.lock().unwrap().push(("delete", u32_at(row, 0), i32_at(row, 4), kind(ctx.event)))).unwrap();
    t.on_update(move |ctx, _, new| c.lock().unwrap().push(("update", u32_at(new, 0), i32_at(new, 4), kind(ctx.event)))).unwrap();

    // Take the network down, change things while the client is away, bring it back.
    relay.down.store(true, Ordering::SeqCst);
    relay.cut();
    assert!(tick_until(&client, || client.call_reducer("no_op", &[], stdb_client::CallReducerFlags::FullUpdate)
        == Err(Error::Disconnected)));
    call(&owner, "delete_pk_u32", Args::new().u32(2));
    call(&owner, "update_pk_u32", Args::new().u32(3).i32(30));
    call(&owner, "insert_pk_u32", Args::new().u32(4).i32(4));
    tick_for(&client, Duration::from_millis(200));
    assert!(log.lock().unwrap().is_empty(), "nothing arrives while away");
    assert_eq!(client.table("pk_u32").unwrap().count(), 3, "the cache keeps its last known state meanwhile");
    relay.down.store(false, Ordering::SeqCst);

    assert!(tick_until(&client, || reconnects.load(Ordering::SeqCst) == 1), "reconnected and reconciled");
    assert!(!disconnected.load(Ordering::SeqCst), "a recovered loss is not a disconnect");
    let mut seen = log.lock().unwrap().clone();
    seen.sort();
    assert_eq!(
        seen,
        vec![
            ("delete", 2, 2, "Reconnected".to_owned()),
            ("insert", 4, 4, "Reconnected".to_owned()),
            ("update", 3, 30, "Reconnected".to_owned()),
        ]
    );
    let rows: BTreeMap<u32, i32> = t.rows().iter().map(|r| (u32_at(r, 0), i32_at(r, 4))).collect();
    assert_eq!(rows, BTreeMap::from([(1, 1), (3, 30), (4, 4)]));
    assert_eq!(client.identity().unwrap(), identity, "same identity after reconnecting");
    assert_ne!(client.connection_id(), first_cid, "a new connection id");
    assert!(sub.is_active());

    // Live updates flow again, as ordinary reducer events.
    log.lock().unwrap().clear();
    assert_eq!(call(&client, "insert_pk_u32", Args::new().u32(5).i32(5)), Status::Committed);
    assert_eq!(log.lock().unwrap().clone(), vec![("insert", 5, 5, "Reducer".to_owned())]);
}

fn reconnect_gives_up_after_its_attempts_and_reports_the_disconnect() {
    let db = publish("sdk-test");
    let relay = Relay::start(db.http_url.trim_start_matches("http://").to_owned());
    let reason = Arc::new(Mutex::new(None));
    let r = reason.clone();
    let client = connect_with(
        builder(&db)
            .with_uri(format!("http://127.0.0.1:{}", relay.port))
            .with_reconnect(fast_policy(2))
            .on_disconnect(move |_, e| *r.lock().unwrap() = Some(e.cloned())),
    );
    relay.down.store(true, Ordering::SeqCst);
    relay.cut();
    assert!(tick_until(&client, || reason.lock().unwrap().is_some()));
    assert!(reason.lock().unwrap().clone().unwrap().is_some(), "the last error is reported");
    assert!(!client.is_active());
}

fn without_reconnect_a_lost_connection_is_a_disconnect() {
    let db = publish("sdk-test");
    let relay = Relay::start(db.http_url.trim_start_matches("http://").to_owned());
    let reason = Arc::new(Mutex::new(None));
    let r = reason.clone();
    let client = connect_with(
        builder(&db)
            .with_uri(format!("http://127.0.0.1:{}", relay.port))
            .on_disconnect(move |_, e| *r.lock().unwrap() = Some(e.cloned())),
    );
    relay.cut();
    assert!(tick_until(&client, || reason.lock().unwrap().is_some()));
    assert!(matches!(reason.lock().unwrap().clone().unwrap(), Some(Error::ConnectionLost(_))));
}
