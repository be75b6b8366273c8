//! The quickstart chat client as the official Rust SDK's documentation writes it ("Rust client
//! quickstart": `connect_to_db`, `register_callbacks`, `subscribe_to_tables`, `run_threaded`,
//! `user_input_loop`), compiled against the bindings generated for this project's quickstart
//! module. The changes the differences force, each marked `DIFF:` (listed in bindings-gen/README.md):
//! - the module's tables and reducers are `player`/`message` and `set_name`/`say` (the official
//!   tutorial's are `user`/`message` and `set_name`/`send_message`): renamed, same shapes;
//! - `spacetimedb_sdk::{credentials, DbContext, Error, Event, Identity, Status, Table,
//!   TableWithPrimaryKey}` come from `module_bindings` / `stdb_client`;
//! - the host, database and credentials key are parameters, and input lines and printed lines go
//!   through `io` so a test can drive it (the tutorial reads stdin and prints).

use super::quickstart::*;
use std::sync::{Arc, Mutex};

/// What the tutorial prints, kept for the test (DIFF: `println!` goes through here).
pub type Out = Arc<Mutex<Vec<String>>>;

fn say(out: &Out, line: String) {
    println!("{line}");
    out.lock().unwrap().push(line);
}

pub fn main(host: &str, db_name: &str, creds_key: &str, input: Vec<String>, out: Out) {
    // Connect to the database
    let ctx = connect_to_db(host, db_name, creds_key, out.clone());

    // Register callbacks to run in response to database events.
    register_callbacks(&ctx, out.clone());

    // Subscribe to SQL queries in order to construct a local partial replica of the database.
    subscribe_to_tables(&ctx, out.clone());

    // Spawn a thread, where the connection will process messages and invoke callbacks.
    let thread = ctx.run_threaded();

    // Handle CLI input
    user_input_loop(&ctx, input, &out);

    // DIFF: the tutorial loops on stdin forever; here the input ends, so we disconnect.
    ctx.disconnect().unwrap();
    thread.join().unwrap();
}

fn creds_store(key: &str) -> stdb_client::Credentials {
    stdb_client::Credentials::new(key).unwrap()
}

/// Load credentials from a file and connect to the database.
fn connect_to_db(host: &str, db_name: &str, creds_key: &str, out: Out) -> DbConnection {
    let key = creds_key.to_string();
    let (o1, o2) = (out.clone(), out);
    DbConnection::builder()
        // Register our `on_connect` callback, which will save our auth token.
        .on_connect(move |ctx, identity, token| on_connected(ctx, identity, token, &key))
        // Register our `on_connect_error` callback, which will print a message, then exit the process.
        .on_connect_error(move |ctx, err| on_connect_error(ctx, err, &o1))
        // Our `on_disconnect` callback, which will print a message, then exit the process.
        .on_disconnect(move |ctx, err| on_disconnected(ctx, err, &o2))
        // If the user has previously connected, we'll have saved a token in the `on_connect` callback.
        // In that case, we'll load it and pass it to `with_token`,
        // so we can re-authenticate as the same `Identity`.
        .with_token(creds_store(creds_key).load().expect("Error loading credentials"))
        // Set the database name we chose when we called `spacetime publish`.
        .with_module_name(db_name)
        // Set the URI of the SpacetimeDB host that's running our database.
        .with_uri(host)
        // Finalize configuration and connect!
        .build()
        .expect("Failed to connect")
}

/// Our `on_connect` callback: save our credentials to a file.
fn on_connected(_ctx: &DbConnection, _identity: Identity, token: &str, key: &str) {
    if let Err(e) = creds_store(key).save(token) {
        eprintln!("Failed to save credentials: {e:?}");
    }
}

/// Our `on_connect_error` callback: print the error, then exit the process.
fn on_connect_error(_ctx: &ErrorContext, err: stdb_client::Error, out: &Out) {
    say(out, format!("Connection error: {err:?}"));
    // DIFF: the tutorial exits the process; a test cannot.
}

/// Our `on_disconnect` callback: print a note, then exit the process.
fn on_disconnected(_ctx: &ErrorContext, err: Option<stdb_client::Error>, out: &Out) {
    if let Some(err) = err {
        say(out, format!("Disconnected: {err}"));
    } else {
        say(out, "Disconnected.".to_string());
    }
}

/// Register all the callbacks our app will use to respond to database events.
fn register_callbacks(ctx: &DbConnection, out: Out) {
    // When a new user joins, print a notification.
    let o = out.clone();
    ctx.db.player().on_insert(move |ctx, user| on_user_inserted(ctx, user, &o));

    // When a user's status changes, print a notification.
    let o = out.clone();
    ctx.db.player().on_update(move |ctx, old, new| on_user_updated(ctx, old, new, &o));

    // When a new message is received, print it.
    let o = out.clone();
    ctx.db.message().on_insert(move |ctx, message| on_message_inserted(ctx, message, &o));

    // When we fail to set our name, print a warning.
    let o = out.clone();
    ctx.reducers.on_set_name(move |ctx, name| on_name_set(ctx, name, &o));

    // When we fail to send a message, print a warning.
    ctx.reducers.on_say(move |ctx, text| on_message_sent(ctx, text, &out));
}

fn user_name_or_identity(user: &Player) -> String {
    // DIFF: the module's `name` is a `String` ("" when unset), the tutorial's an `Option<String>`.
    if user.name.is_empty() {
        user.identity.to_hex().to_string()
    } else {
        user.name.clone()
    }
}

/// Our `User::on_insert` callback: if the user is online, print a notification.
fn on_user_inserted(_ctx: &EventContext, user: &Player, out: &Out) {
    if user.online {
        say(out, format!("User {} connected.", user_name_or_identity(user)));
    }
}

/// Our `User::on_update` callback:
/// print a notification about name and status changes.
fn on_user_updated(_ctx: &EventContext, old: &Player, new: &Player, out: &Out) {
    if old.name != new.name {
        say(out, format!("User {} renamed to {}.", user_name_or_identity(old), user_name_or_identity(new)));
    }
    if old.online && !new.online {
        say(out, format!("User {} disconnected.", user_name_or_identity(new)));
    }
    if !old.online && new.online {
        say(out, format!("User {} connected.", user_name_or_identity(new)));
    }
}

/// Our `Message::on_insert` callback: print new messages.
fn on_message_inserted(ctx: &EventContext, message: &Message, out: &Out) {
    if let Event::Reducer(_) = ctx.event {
        print_message(ctx, message, out)
    }
}

fn print_message(ctx: &impl RemoteDbContext, message: &Message, out: &Out) {
    let sender = ctx
        .db()
        .player()
        .identity()
        .find(&message.sender.clone())
        .map(|u| user_name_or_identity(&u))
        .unwrap_or_else(|| "unknown".to_string());
    say(out, format!("{}: {}", sender, message.text));
}

/// Our `on_subscription_applied` callback:
/// sort all past messages and print them in timestamp order.
fn on_sub_applied(ctx: &SubscriptionEventContext, out: &Out) {
    let mut messages = ctx.db.message().iter().collect::<Vec<_>>();
    messages.sort_by_key(|m| m.sent);
    for message in messages {
        print_message(ctx, &message, out);
    }
    say(out, "Fully connected and all subscriptions applied.".to_string());
    say(out, "Use /name to set your name, or type a message!".to_string());
}

/// Or `on_error` callback:
/// print the error, then exit the process.
fn on_sub_error(_ctx: &ErrorContext, err: stdb_client::Error, out: &Out) {
    say(out, format!("Subscription failed: {err}"));
}

/// Our `on_set_name` callback: print a warning if the reducer failed.
fn on_name_set(ctx: &ReducerEventContext, name: &String, out: &Out) {
    if let Status::Failed(err) = &ctx.event.status {
        say(out, format!("Failed to change name to {name:?}: {err}"));
    }
}

/// Our `on_send_message` callback: print a warning if the reducer failed.
fn on_message_sent(ctx: &ReducerEventContext, text: &String, out: &Out) {
    if let Status::Failed(err) = &ctx.event.status {
        say(out, format!("Failed to send message {text:?}: {err}"));
    }
}

/// Register subscriptions for all rows of both tables.
fn subscribe_to_tables(ctx: &DbConnection, out: Out) {
    let o = out.clone();
    ctx.subscription_builder()
        .on_applied(move |ctx| on_sub_applied(ctx, &o))
        .on_error(move |ctx, err| on_sub_error(ctx, err, &out))
        .subscribe(["SELECT * FROM player", "SELECT * FROM message"]);
}

/// Read each line of standard input, and either set our name or send a message as appropriate.
fn user_input_loop(ctx: &DbConnection, input: Vec<String>, out: &Out) {
    // DIFF: a person starts typing once the client says it is connected; so does this loop.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !out.lock().unwrap().iter().any(|l| l.starts_with("Fully connected")) && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    for line in input {
        if let Some(name) = line.strip_prefix("/name ") {
            ctx.reducers.set_name(name.to_string()).unwrap();
        } else {
            ctx.reducers.say(line).unwrap();
        }
        // DIFF: a person types slower than this loop; give each line time to be answered.
        std::thread::sleep(std::time::Duration::from_millis(300));
    }
}
