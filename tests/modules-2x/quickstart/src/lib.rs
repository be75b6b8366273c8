//! A tiny multiplayer "game" used by the demo: players with a name and a position,
//! plus a chat log. Small on purpose; every reducer touches one table.
use spacetimedb::{reducer, table, Identity, ReducerContext, Table, Timestamp};

#[table(accessor = player, public)]
pub struct Player {
    #[primary_key]
    identity: Identity,
    name: String,
    x: f32,
    y: f32,
    online: bool,
}

#[table(accessor = message, public)]
pub struct Message {
    sender: Identity,
    sent: Timestamp,
    text: String,
}

/// Returns the caller's row, which `client_connected` always creates.
fn caller(ctx: &ReducerContext) -> Result<Player, String> {
    ctx.db
        .player()
        .identity()
        .find(ctx.sender())
        .ok_or_else(|| "unknown player: connect first".to_string())
}

#[reducer]
pub fn set_name(ctx: &ReducerContext, name: String) -> Result<(), String> {
    let name = name.trim().to_string();
    if name.is_empty() {
        return Err("name must not be empty".into());
    }
    let player = caller(ctx)?;
    ctx.db.player().identity().update(Player { name, ..player });
    Ok(())
}

#[reducer]
pub fn move_to(ctx: &ReducerContext, x: f32, y: f32) -> Result<(), String> {
    let player = caller(ctx)?;
    ctx.db.player().identity().update(Player { x, y, ..player });
    Ok(())
}

#[reducer]
pub fn say(ctx: &ReducerContext, text: String) -> Result<(), String> {
    if text.is_empty() {
        return Err("message must not be empty".into());
    }
    ctx.db.message().insert(Message {
        sender: ctx.sender(),
        sent: ctx.timestamp,
        text,
    });
    Ok(())
}

#[reducer(client_connected)]
pub fn client_connected(ctx: &ReducerContext) {
    match ctx.db.player().identity().find(ctx.sender()) {
        Some(player) => {
            ctx.db.player().identity().update(Player {
                online: true,
                ..player
            });
        }
        None => {
            ctx.db.player().insert(Player {
                identity: ctx.sender(),
                name: String::new(),
                x: 0.0,
                y: 0.0,
                online: true,
            });
        }
    }
}

#[reducer(client_disconnected)]
pub fn client_disconnected(ctx: &ReducerContext) {
    if let Some(player) = ctx.db.player().identity().find(ctx.sender()) {
        ctx.db.player().identity().update(Player {
            online: false,
            ..player
        });
    }
}

// Names on the wire exactly as written (as with 1.x): 2.x would otherwise convert them to
// snake_case (`add_u64` -> `add_u_64`).
#[spacetimedb::settings]
const CASE_CONVERSION_POLICY: spacetimedb::CaseConversionPolicy = spacetimedb::CaseConversionPolicy::None;
