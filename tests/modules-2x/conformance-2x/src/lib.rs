//! The 2.x-only behaviours of the official 2.x SDK test list (event tables, procedures, views,
//! UUIDs), for the C conformance programs in tests/conformance/ (`// conformance-module:
//! conformance-2x`). Built against spacetimedb 2.8.3 only: none of this exists for 1.x.
use spacetimedb::{
    duration, procedure, reducer, table, view, AnonymousViewContext, Identity, ProcedureContext, Query,
    ReducerContext, ScheduleAt, SpacetimeType, Table, Timestamp, TxContext, Uuid, ViewContext,
};

// ---- event tables ---------------------------------------------------------------------------

#[table(accessor = test_event, public, event)]
pub struct TestEvent {
    name: String,
    value: u64,
}

#[reducer]
pub fn emit_test_event(ctx: &ReducerContext, name: String, value: u64) {
    ctx.db.test_event().insert(TestEvent { name, value });
}

#[reducer]
pub fn emit_multiple_test_events(ctx: &ReducerContext) {
    for (name, value) in [("a", 1), ("b", 2), ("c", 3)] {
        ctx.db.test_event().insert(TestEvent { name: name.into(), value });
    }
}

/// Changes nothing: a transaction to observe after one that emitted events.
#[reducer]
pub fn noop(_ctx: &ReducerContext) {}

// ---- procedures -----------------------------------------------------------------------------

#[derive(SpacetimeType)]
pub struct ReturnStruct {
    a: u32,
    b: String,
}

#[derive(SpacetimeType)]
pub enum ReturnEnum {
    A(u32),
    B(String),
}

#[procedure]
pub fn return_primitive(_ctx: &mut ProcedureContext, lhs: u32, rhs: u32) -> u32 {
    lhs + rhs
}

#[procedure]
pub fn return_struct(_ctx: &mut ProcedureContext, a: u32, b: String) -> ReturnStruct {
    ReturnStruct { a, b }
}

#[procedure]
pub fn return_enum_a(_ctx: &mut ProcedureContext, a: u32) -> ReturnEnum {
    ReturnEnum::A(a)
}

#[procedure]
pub fn return_enum_b(_ctx: &mut ProcedureContext, b: String) -> ReturnEnum {
    ReturnEnum::B(b)
}

#[procedure]
pub fn will_panic(_ctx: &mut ProcedureContext) {
    panic!("this procedure panics on purpose")
}

/// An HTTP request from a procedure to the server's own schema route.
#[procedure]
pub fn read_my_schema(ctx: &mut ProcedureContext, server_url: String) -> String {
    let me = ctx.database_identity();
    match ctx.http.get(format!("{server_url}/v1/database/{me}/schema?version=9")) {
        Ok(response) => response.into_body().into_string_lossy(),
        Err(e) => format!("request failed: {e}"),
    }
}

/// An HTTP request that cannot succeed: the error comes back as the return value.
#[procedure]
pub fn invalid_request(ctx: &mut ProcedureContext) -> String {
    match ctx.http.get("http://foo.invalid/") {
        Ok(_) => panic!("a response from http://foo.invalid/"),
        Err(e) => e.to_string(),
    }
}

#[table(accessor = my_table, public)]
pub struct MyTable {
    field: ReturnStruct,
}

fn insert_magic(tx: &TxContext) {
    tx.db.my_table().insert(MyTable { field: ReturnStruct { a: 42, b: "magic".into() } });
}

#[procedure]
pub fn insert_with_tx_commit(ctx: &mut ProcedureContext) {
    ctx.with_tx(insert_magic);
    let rows = ctx.with_tx(|tx| tx.db.my_table().count());
    assert_eq!(rows, 1);
}

#[procedure]
pub fn insert_with_tx_rollback(ctx: &mut ProcedureContext) {
    let _: Result<(), u32> = ctx.try_with_tx(|tx| {
        insert_magic(tx);
        Err(24)
    });
    let rows = ctx.with_tx(|tx| tx.db.my_table().count());
    assert_eq!(rows, 0);
}

/// Schedules `scheduled_proc` one second from now.
#[reducer]
pub fn schedule_proc(ctx: &ReducerContext) {
    ctx.db.scheduled_proc_table().insert(ScheduledProcTable {
        scheduled_id: 0,
        scheduled_at: duration!("1000ms").into(),
        reducer_ts: ctx.timestamp,
        x: 42,
        y: 24,
    });
}

#[table(accessor = scheduled_proc_table, scheduled(scheduled_proc))]
pub struct ScheduledProcTable {
    #[primary_key]
    #[auto_inc]
    scheduled_id: u64,
    scheduled_at: ScheduleAt,
    reducer_ts: Timestamp,
    x: u8,
    y: u8,
}

#[procedure]
pub fn scheduled_proc(ctx: &mut ProcedureContext, data: ScheduledProcTable) {
    let procedure_ts = ctx.timestamp;
    ctx.with_tx(|tx| {
        tx.db.proc_inserts_into().insert(ProcInsertsInto { reducer_ts: data.reducer_ts, procedure_ts, x: data.x, y: data.y });
    });
}

#[table(accessor = proc_inserts_into, public)]
pub struct ProcInsertsInto {
    reducer_ts: Timestamp,
    procedure_ts: Timestamp,
    x: u8,
    y: u8,
}

// ---- UUIDs ------------------------------------------------------------------------------------

#[table(accessor = sorted_uuid, public)]
pub struct SortedUuid {
    u: Uuid,
    data: u8,
}

/// 1000 v7 UUIDs in one transaction, in increasing order.
#[procedure]
pub fn sorted_uuids_insert(ctx: &mut ProcedureContext) {
    ctx.with_tx(|tx| {
        for _ in 0..1000 {
            let u = tx.new_uuid_v7().expect("a v7 uuid");
            tx.db.sorted_uuid().insert(SortedUuid { u, data: 0 });
        }
    })
}

#[table(accessor = pk_uuid, public)]
pub struct PkUuid {
    #[primary_key]
    u: Uuid,
    data: i32,
}

#[reducer]
pub fn insert_pk_uuid(ctx: &ReducerContext, u: Uuid, data: i32) {
    ctx.db.pk_uuid().insert(PkUuid { u, data });
}

#[reducer]
pub fn update_pk_uuid(ctx: &ReducerContext, u: Uuid, data: i32) {
    ctx.db.pk_uuid().u().update(PkUuid { u, data });
}

#[reducer]
pub fn delete_pk_uuid(ctx: &ReducerContext, u: Uuid) {
    ctx.db.pk_uuid().u().delete(u);
}

#[table(accessor = one_uuid, public)]
pub struct OneUuid {
    u: Uuid,
}

/// Inserts a UUID the module generates (v4: random; v7: time-ordered).
#[reducer]
pub fn insert_call_uuid_v4(ctx: &ReducerContext) -> Result<(), String> {
    let u = ctx.new_uuid_v4().map_err(|e| e.to_string())?;
    ctx.db.one_uuid().insert(OneUuid { u });
    Ok(())
}

#[reducer]
pub fn insert_call_uuid_v7(ctx: &ReducerContext) -> Result<(), String> {
    let u = ctx.new_uuid_v7().map_err(|e| e.to_string())?;
    ctx.db.one_uuid().insert(OneUuid { u });
    Ok(())
}

// ---- views ------------------------------------------------------------------------------------

#[table(accessor = player, public)]
pub struct Player {
    #[primary_key]
    #[auto_inc]
    entity_id: u64,
    #[unique]
    identity: Identity,
}

#[table(accessor = player_level, public)]
pub struct PlayerLevel {
    #[unique]
    entity_id: u64,
    #[index(btree)]
    level: u64,
}

#[table(accessor = player_location)]
pub struct PlayerLocation {
    #[primary_key]
    entity_id: u64,
    #[index(btree)]
    active: bool,
    x: i32,
    y: i32,
}

#[derive(SpacetimeType)]
pub struct PlayerAndLevel {
    entity_id: u64,
    identity: Identity,
    level: u64,
}

#[reducer]
pub fn insert_player(ctx: &ReducerContext, identity: Identity, level: u64) {
    let p = ctx.db.player().insert(Player { entity_id: 0, identity });
    ctx.db.player_level().insert(PlayerLevel { entity_id: p.entity_id, level });
}

#[reducer]
pub fn delete_player(ctx: &ReducerContext, identity: Identity) {
    if let Some(p) = ctx.db.player().identity().find(identity) {
        ctx.db.player().entity_id().delete(p.entity_id);
        ctx.db.player_level().entity_id().delete(p.entity_id);
    }
}

/// Moves the caller's player (created at the origin on first move) by (dx, dy).
#[reducer]
pub fn move_player(ctx: &ReducerContext, dx: i32, dy: i32) {
    let me = ctx
        .db
        .player()
        .identity()
        .find(ctx.sender())
        .unwrap_or_else(|| ctx.db.player().insert(Player { entity_id: 0, identity: ctx.sender() }));
    match ctx.db.player_location().entity_id().find(me.entity_id) {
        Some(loc) => {
            ctx.db.player_location().entity_id().update(PlayerLocation { x: loc.x + dx, y: loc.y + dy, ..loc });
        }
        None => {
            ctx.db.player_location().insert(PlayerLocation { entity_id: me.entity_id, active: true, x: dx, y: dy });
        }
    }
}

/// Per sender: the caller's own player, if any.
#[view(accessor = my_player, public)]
pub fn my_player(ctx: &ViewContext) -> Option<Player> {
    ctx.db.player().identity().find(ctx.sender())
}

/// Per sender, a type that is no table's row.
#[view(accessor = my_player_and_level, public)]
pub fn my_player_and_level(ctx: &ViewContext) -> Option<PlayerAndLevel> {
    let p = ctx.db.player().identity().find(ctx.sender())?;
    let l = ctx.db.player_level().entity_id().find(p.entity_id)?;
    Some(PlayerAndLevel { entity_id: p.entity_id, identity: p.identity, level: l.level })
}

/// Anonymous: the same rows for every client.
#[view(accessor = players_at_level_0, public)]
pub fn players_at_level_0(ctx: &AnonymousViewContext) -> Vec<Player> {
    ctx.db.player_level().level().filter(0u64).filter_map(|l| ctx.db.player().entity_id().find(l.entity_id)).collect()
}

/// Per sender, over a private table: the other active players within 5 of the caller.
#[view(accessor = nearby_players, public)]
pub fn nearby_players(ctx: &ViewContext) -> Vec<PlayerLocation> {
    let Some(me) = ctx.db.player().identity().find(ctx.sender()) else { return Vec::new() };
    let Some(here) = ctx.db.player_location().entity_id().find(me.entity_id) else { return Vec::new() };
    ctx.db
        .player_location()
        .active()
        .filter(true)
        .filter(|l| l.entity_id != here.entity_id && (l.x - here.x).abs() < 5 && (l.y - here.y).abs() < 5)
        .collect()
}

#[table(accessor = score, public)]
pub struct Score {
    #[primary_key]
    id: u32,
    points: u32,
}

#[reducer]
pub fn set_score(ctx: &ReducerContext, id: u32, points: u32) {
    if ctx.db.score().id().find(id).is_some() {
        ctx.db.score().id().update(Score { id, points });
    } else {
        ctx.db.score().insert(Score { id, points });
    }
}

/// A query view over a table with a primary key: V10 gives the view that key, so clients see
/// updates, not delete + insert.
#[view(accessor = all_scores, public)]
pub fn all_scores(ctx: &ViewContext) -> impl Query<Score> {
    ctx.from.score()
}
