//! 2.x-only module features, for the client's 2.x support and schema parser (built against
//! spacetimedb 2.8.3; does not exist for 1.x). Keeps 2.x's default case-conversion policy
//! (snake_case), so `levelUp` below is called `level_up` on the wire.
use spacetimedb::{
    procedure, reducer, table, view, AnonymousViewContext, Identity, ProcedureContext, Query, ReducerContext, ScheduleAt,
    Table, Timestamp, Uuid, ViewContext,
};

/// An ordinary public table with a primary key.
#[table(accessor = player, public)]
pub struct Player {
    #[primary_key]
    id: u32,
    #[index(btree)]
    owner: Identity,
    name: String,
    #[index(btree)]
    level: u32,
}

/// Column defaults (`#[default(...)]`): V9 lists them in misc_exports, V10 in the table.
#[table(accessor = settings, public)]
pub struct Settings {
    #[primary_key]
    #[auto_inc]
    id: u64,
    key: String,
    #[default(7)]
    volume: u32,
    #[default(true)]
    enabled: bool,
}

/// An event table: rows reach subscribers of the transaction that inserted them and are never stored.
#[table(accessor = chat_event, public, event)]
pub struct ChatEvent {
    from: Identity,
    text: String,
}

/// A UUID column.
#[table(accessor = tagged, public)]
pub struct Tagged {
    #[primary_key]
    tag: Uuid,
    note: String,
}

/// A scheduled table; its reducer is private (clients cannot call it).
#[table(accessor = timer, scheduled(on_timer))]
pub struct Timer {
    #[primary_key]
    #[auto_inc]
    scheduled_id: u64,
    scheduled_at: ScheduleAt,
}

#[reducer]
pub fn add_player(ctx: &ReducerContext, id: u32, name: String) {
    ctx.db.player().insert(Player { id, owner: ctx.sender(), name, level: 1 });
}

/// Written in camelCase: the server calls it `level_up` (snake_case policy).
#[allow(non_snake_case)]
#[reducer]
pub fn levelUp(ctx: &ReducerContext, id: u32) -> Result<(), String> {
    let Some(p) = ctx.db.player().id().find(id) else {
        return Err(format!("no player {id}"));
    };
    ctx.db.player().id().update(Player { level: p.level + 1, ..p });
    Ok(())
}

/// A reducer returning `Result<(), String>`: the error text reaches the caller.
#[reducer]
pub fn rename_player(ctx: &ReducerContext, id: u32, name: String) -> Result<(), String> {
    if name.is_empty() {
        return Err("name must not be empty".into());
    }
    let p = ctx.db.player().id().find(id).ok_or_else(|| format!("no player {id}"))?;
    ctx.db.player().id().update(Player { name, ..p });
    Ok(())
}

#[reducer]
pub fn add_setting(ctx: &ReducerContext, key: String, volume: u32) {
    ctx.db.settings().insert(Settings { id: 0, key, volume, enabled: true });
}

#[reducer]
pub fn send_chat(ctx: &ReducerContext, text: String) {
    ctx.db.chat_event().insert(ChatEvent { from: ctx.sender(), text });
}

#[reducer]
pub fn add_tagged(ctx: &ReducerContext, note: String) -> Result<(), String> {
    let tag = ctx.new_uuid_v4().map_err(|e| e.to_string())?;
    ctx.db.tagged().insert(Tagged { tag, note });
    Ok(())
}

#[reducer]
pub fn start_timer(ctx: &ReducerContext, at: Timestamp) {
    ctx.db.timer().insert(Timer { scheduled_id: 0, scheduled_at: ScheduleAt::Time(at) });
}

/// Private: only the scheduler calls it.
#[reducer]
pub fn on_timer(ctx: &ReducerContext, _timer: Timer) {
    ctx.db.chat_event().insert(ChatEvent { from: ctx.database_identity(), text: "timer".into() });
}

/// A lifecycle reducer: private in V10 (2.8.3 has no other way to declare a private reducer).
#[reducer(client_connected)]
pub fn on_connect(_ctx: &ReducerContext) {}

/// A procedure returning a value.
#[procedure]
pub fn add_numbers(_ctx: &mut ProcedureContext, a: u32, b: u32) -> u64 {
    a as u64 + b as u64
}

/// A procedure that writes in a transaction and returns the row count.
#[procedure]
pub fn count_players(ctx: &mut ProcedureContext) -> u64 {
    ctx.with_tx(|tx| tx.db.player().count())
}

/// An anonymous view (same rows for every client).
#[view(accessor = high_level_players, public)]
pub fn high_level_players(ctx: &AnonymousViewContext) -> Vec<Player> {
    ctx.db.player().level().filter(2u32..).collect()
}

/// A per-sender view.
#[view(accessor = my_players, public)]
pub fn my_players(ctx: &ViewContext) -> Vec<Player> {
    ctx.db.player().owner().filter(ctx.sender()).collect()
}

/// A view over a table with a primary key (a query view: V10 gives its primary key).
#[view(accessor = all_players, public)]
pub fn all_players(ctx: &ViewContext) -> impl Query<Player> {
    ctx.from.player()
}
