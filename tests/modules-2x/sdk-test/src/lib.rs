//! Module for stdb-client's own tests. Every table and reducer here exists to exercise
//! one client feature; names are stable because tests refer to them.
use spacetimedb::sats::{i256, u256};
use spacetimedb::{
    client_visibility_filter, reducer, table, ConnectionId, Filter, Identity, ReducerContext,
    ScheduleAt, SpacetimeType, Table, TimeDuration, Timestamp,
};

// ---------------------------------------------------------------------------
// Primary-key and unique tables: inserts, updates (delete+insert pairs) and deletes.

#[table(accessor = pk_u32, public)]
pub struct PkU32 {
    #[primary_key]
    n: u32,
    data: i32,
}

#[reducer]
pub fn insert_pk_u32(ctx: &ReducerContext, n: u32, data: i32) {
    ctx.db.pk_u32().insert(PkU32 { n, data });
}

#[reducer]
pub fn update_pk_u32(ctx: &ReducerContext, n: u32, data: i32) -> Result<(), String> {
    if ctx.db.pk_u32().n().find(n).is_none() {
        return Err(format!("no pk_u32 row with n = {n}"));
    }
    ctx.db.pk_u32().n().update(PkU32 { n, data });
    Ok(())
}

#[reducer]
pub fn delete_pk_u32(ctx: &ReducerContext, n: u32) -> Result<(), String> {
    if ctx.db.pk_u32().n().delete(n) {
        Ok(())
    } else {
        Err(format!("no pk_u32 row with n = {n}"))
    }
}

/// Bulk insert, for large transaction updates and compression.
#[reducer]
pub fn insert_many(ctx: &ReducerContext, start: u32, count: u32) {
    for n in start..start.saturating_add(count) {
        ctx.db.pk_u32().insert(PkU32 { n, data: n as i32 });
    }
}

#[reducer]
pub fn delete_all_pk_u32(ctx: &ReducerContext) {
    for row in ctx.db.pk_u32().iter() {
        ctx.db.pk_u32().n().delete(row.n);
    }
}

/// Inserts and then fails: the insert must be rolled back and never reach clients.
#[reducer]
pub fn insert_then_fail(ctx: &ReducerContext, n: u32, data: i32) -> Result<(), String> {
    ctx.db.pk_u32().insert(PkU32 { n, data });
    Err(format!("insert_then_fail({n})"))
}

#[table(accessor = pk_string, public)]
pub struct PkString {
    #[primary_key]
    s: String,
    data: i64,
}

#[reducer]
pub fn insert_pk_string(ctx: &ReducerContext, s: String, data: i64) {
    ctx.db.pk_string().insert(PkString { s, data });
}

#[reducer]
pub fn update_pk_string(ctx: &ReducerContext, s: String, data: i64) {
    ctx.db.pk_string().s().update(PkString { s, data });
}

#[reducer]
pub fn delete_pk_string(ctx: &ReducerContext, s: String) {
    ctx.db.pk_string().s().delete(s);
}

#[table(accessor = unique_u32, public)]
pub struct UniqueU32 {
    #[unique]
    n: u32,
    data: i32,
}

/// Errors (instead of panicking) on a duplicate, so the client sees a clean failure message.
#[reducer]
pub fn insert_unique_u32(ctx: &ReducerContext, n: u32, data: i32) -> Result<(), String> {
    ctx.db
        .unique_u32()
        .try_insert(UniqueU32 { n, data })
        .map(|_| ())
        .map_err(|e| format!("insert_unique_u32({n}): {e}"))
}

#[reducer]
pub fn delete_unique_u32(ctx: &ReducerContext, n: u32) {
    ctx.db.unique_u32().n().delete(n);
}

// ---------------------------------------------------------------------------
// Indexes: single-column and multi-column btree.

#[table(accessor = scores, public, index(accessor = by_level_points, btree(columns = [level, points])))]
pub struct Scores {
    #[primary_key]
    #[auto_inc]
    id: u64,
    #[index(btree)]
    level: u32,
    name: String,
    points: i64,
}

#[reducer]
pub fn insert_score(ctx: &ReducerContext, level: u32, name: String, points: i64) {
    ctx.db.scores().insert(Scores {
        id: 0,
        level,
        name,
        points,
    });
}

#[reducer]
pub fn delete_scores_at_level(ctx: &ReducerContext, level: u32) {
    ctx.db.scores().level().delete(level);
}

// ---------------------------------------------------------------------------
// C-like enums as an indexed column and as a primary key.

#[derive(SpacetimeType, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Color {
    Red,
    Green,
    Blue,
}

#[table(accessor = colored, public)]
pub struct Colored {
    #[primary_key]
    #[auto_inc]
    id: u64,
    #[index(btree)]
    color: Color,
    label: String,
}

#[reducer]
pub fn insert_colored(ctx: &ReducerContext, color: Color, label: String) {
    ctx.db.colored().insert(Colored {
        id: 0,
        color,
        label,
    });
}

#[reducer]
pub fn delete_colored_by_color(ctx: &ReducerContext, color: Color) {
    ctx.db.colored().color().delete(color);
}

#[table(accessor = pk_color, public)]
pub struct PkColor {
    #[primary_key]
    color: Color,
    data: i32,
}

#[reducer]
pub fn insert_pk_color(ctx: &ReducerContext, color: Color, data: i32) {
    ctx.db.pk_color().insert(PkColor { color, data });
}

#[reducer]
pub fn update_pk_color(ctx: &ReducerContext, color: Color, data: i32) {
    ctx.db.pk_color().color().update(PkColor { color, data });
}

#[reducer]
pub fn delete_pk_color(ctx: &ReducerContext, color: Color) {
    ctx.db.pk_color().color().delete(color);
}

// ---------------------------------------------------------------------------
// Every type the client must encode and decode.

#[derive(SpacetimeType, Clone, Debug, PartialEq)]
pub struct Point {
    x: i32,
    y: i32,
}

/// A sum type with unit, primitive, struct and string payloads.
#[derive(SpacetimeType, Clone, Debug, PartialEq)]
pub enum Shape {
    Empty,
    Circle(f32),
    Rect(Point),
    Named(String),
}

#[table(accessor = all_types, public)]
pub struct AllTypes {
    #[primary_key]
    #[auto_inc]
    id: u64,
    a_bool: bool,
    a_i8: i8,
    a_i16: i16,
    a_i32: i32,
    a_i64: i64,
    a_i128: i128,
    a_i256: i256,
    a_u8: u8,
    a_u16: u16,
    a_u32: u32,
    a_u64: u64,
    a_u128: u128,
    a_u256: u256,
    a_f32: f32,
    a_f64: f64,
    a_string: String,
    a_bytes: Vec<u8>,
    a_identity: Identity,
    a_connection_id: ConnectionId,
    a_timestamp: Timestamp,
    a_duration: TimeDuration,
    a_opt_i32: Option<i32>,
    a_opt_opt_string: Option<Option<String>>,
    a_point: Point,
    a_shape: Shape,
    a_vec_i32: Vec<i32>,
    a_vec_string: Vec<String>,
}

#[allow(clippy::too_many_arguments)]
#[reducer]
pub fn insert_all_types(
    ctx: &ReducerContext,
    a_bool: bool,
    a_i8: i8,
    a_i16: i16,
    a_i32: i32,
    a_i64: i64,
    a_i128: i128,
    a_i256: i256,
    a_u8: u8,
    a_u16: u16,
    a_u32: u32,
    a_u64: u64,
    a_u128: u128,
    a_u256: u256,
    a_f32: f32,
    a_f64: f64,
    a_string: String,
    a_bytes: Vec<u8>,
    a_identity: Identity,
    a_connection_id: ConnectionId,
    a_timestamp: Timestamp,
    a_duration: TimeDuration,
    a_opt_i32: Option<i32>,
    a_opt_opt_string: Option<Option<String>>,
    a_point: Point,
    a_shape: Shape,
    a_vec_i32: Vec<i32>,
    a_vec_string: Vec<String>,
) {
    ctx.db.all_types().insert(AllTypes {
        id: 0,
        a_bool,
        a_i8,
        a_i16,
        a_i32,
        a_i64,
        a_i128,
        a_i256,
        a_u8,
        a_u16,
        a_u32,
        a_u64,
        a_u128,
        a_u256,
        a_f32,
        a_f64,
        a_string,
        a_bytes,
        a_identity,
        a_connection_id,
        a_timestamp,
        a_duration,
        a_opt_i32,
        a_opt_opt_string,
        a_point,
        a_shape,
        a_vec_i32,
        a_vec_string,
    });
}

// ---------------------------------------------------------------------------
// Failures and no-ops.

#[reducer]
pub fn fail(_ctx: &ReducerContext, message: String) -> Result<(), String> {
    Err(message)
}

/// A panic is reported differently from an Err by the host; tests cover both.
#[reducer]
pub fn panic_now(_ctx: &ReducerContext, message: String) {
    panic!("{message}");
}

/// Commits an empty transaction.
#[reducer]
pub fn no_op(_ctx: &ReducerContext) {}

// ---------------------------------------------------------------------------
// Caller metadata as seen by the module.

#[table(accessor = caller, public)]
pub struct Caller {
    #[primary_key]
    #[auto_inc]
    id: u64,
    identity: Identity,
    connection_id: Option<ConnectionId>,
    timestamp: Timestamp,
}

#[reducer]
pub fn insert_caller(ctx: &ReducerContext) {
    ctx.db.caller().insert(Caller {
        id: 0,
        identity: ctx.sender(),
        connection_id: ctx.connection_id(),
        timestamp: ctx.timestamp,
    });
}

// ---------------------------------------------------------------------------
// Two tables to join in subscription queries.

#[table(accessor = player_loc, public)]
pub struct PlayerLoc {
    #[primary_key]
    id: u32,
    x: i32,
}

#[table(accessor = player_tag, public)]
pub struct PlayerTag {
    #[primary_key]
    id: u32,
    tag: String,
}

#[reducer]
pub fn insert_player_loc(ctx: &ReducerContext, id: u32, x: i32) {
    ctx.db.player_loc().insert(PlayerLoc { id, x });
}

#[reducer]
pub fn delete_player_loc(ctx: &ReducerContext, id: u32) {
    ctx.db.player_loc().id().delete(id);
}

#[reducer]
pub fn insert_player_tag(ctx: &ReducerContext, id: u32, tag: String) {
    ctx.db.player_tag().insert(PlayerTag { id, tag });
}

#[reducer]
pub fn delete_player_tag(ctx: &ReducerContext, id: u32) {
    ctx.db.player_tag().id().delete(id);
}

// ---------------------------------------------------------------------------
// Row-level security: each client sees only its own rows.

#[table(accessor = my_rows, public)]
pub struct MyRows {
    #[primary_key]
    #[auto_inc]
    id: u64,
    owner: Identity,
    text: String,
}

#[client_visibility_filter]
const MY_ROWS_ONLY_OWNER: Filter = Filter::Sql("SELECT * FROM my_rows WHERE owner = :sender");

#[reducer]
pub fn insert_my_row(ctx: &ReducerContext, text: String) {
    ctx.db.my_rows().insert(MyRows {
        id: 0,
        owner: ctx.sender(),
        text,
    });
}

// ---------------------------------------------------------------------------
// Scheduled reducer: `schedule_tick` arranges one call of `tick`, which logs to `tick_log`.

#[table(accessor = tick_schedule, scheduled(tick))]
pub struct TickSchedule {
    #[primary_key]
    #[auto_inc]
    scheduled_id: u64,
    scheduled_at: ScheduleAt,
    note: String,
}

#[table(accessor = tick_log, public)]
pub struct TickLog {
    #[primary_key]
    #[auto_inc]
    id: u64,
    note: String,
    ran_at: Timestamp,
}

#[reducer]
pub fn schedule_tick(ctx: &ReducerContext, delay_micros: i64, note: String) {
    let at = ctx.timestamp + TimeDuration::from_micros(delay_micros);
    ctx.db.tick_schedule().insert(TickSchedule {
        scheduled_id: 0,
        scheduled_at: at.into(),
        note,
    });
}

#[reducer]
pub fn tick(ctx: &ReducerContext, arg: TickSchedule) -> Result<(), String> {
    // Only the scheduler may run this (a client calling it would fake a tick).
    if ctx.sender() != ctx.database_identity() {
        return Err("tick may only be called by the scheduler".into());
    }
    ctx.db.tick_log().insert(TickLog {
        id: 0,
        note: arg.note,
        ran_at: ctx.timestamp,
    });
    Ok(())
}

// ---------------------------------------------------------------------------
// A private table: not visible to non-owner clients, not subscribable by them.

#[table(accessor = secret)]
pub struct Secret {
    #[primary_key]
    id: u32,
    data: String,
}

#[reducer]
pub fn insert_secret(ctx: &ReducerContext, id: u32, data: String) {
    ctx.db.secret().insert(Secret { id, data });
}

// ---------------------------------------------------------------------------
// Large rows, to force compressed server messages.

#[table(accessor = blob, public)]
pub struct Blob {
    #[primary_key]
    n: u32,
    data: Vec<u8>,
}

/// Inserts a row of `size` bytes (a repeating pattern, so it compresses well).
#[reducer]
pub fn insert_blob(ctx: &ReducerContext, n: u32, size: u32) {
    let data = (0..size).map(|i| (i % 251) as u8).collect();
    ctx.db.blob().insert(Blob { n, data });
}

// ---------------------------------------------------------------------------
// Two tables joined on a non-unique key, for bag semantics: a left row matching two right rows
// appears twice in the join's results.

#[table(accessor = join_left, public)]
pub struct JoinLeft {
    #[primary_key]
    id: u32,
    #[index(btree)]
    key: u32,
}

#[table(accessor = join_right, public)]
pub struct JoinRight {
    #[primary_key]
    id: u32,
    #[index(btree)]
    key: u32,
}

#[reducer]
pub fn insert_join_left(ctx: &ReducerContext, id: u32, key: u32) {
    ctx.db.join_left().insert(JoinLeft { id, key });
}

#[reducer]
pub fn insert_join_right(ctx: &ReducerContext, id: u32, key: u32) {
    ctx.db.join_right().insert(JoinRight { id, key });
}

#[reducer]
pub fn delete_join_right(ctx: &ReducerContext, id: u32) {
    ctx.db.join_right().id().delete(id);
}

// Names on the wire exactly as written (as with 1.x): 2.x would otherwise convert them to
// snake_case (`add_u64` -> `add_u_64`).
#[spacetimedb::settings]
const CASE_CONVERSION_POLICY: spacetimedb::CaseConversionPolicy = spacetimedb::CaseConversionPolicy::None;
