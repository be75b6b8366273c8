//! The conformance module: the families of tables and reducers the official SDK test suite
//! exercises (one_*, vec_*, option_*, unique_*, pk_*, a wide table, a table of tables, btree
//! indexes on enums, a scheduled table, row-level security), written for this project.
//! Tables are stamped out by macros so every type gets the same treatment.

use spacetimedb::sats::{i256, u256};
use spacetimedb::{
    client_visibility_filter, reducer, table, ConnectionId, Filter, Identity, ReducerContext, ScheduleAt, SpacetimeType,
    Table, TimeDuration, Timestamp,
};

#[derive(SpacetimeType, Clone, Copy, Debug, PartialEq, Eq)]
pub enum SimpleEnum {
    Zero,
    One,
    Two,
}

#[derive(SpacetimeType, Clone, Debug, PartialEq)]
pub enum EnumWithPayload {
    U8(u8),
    I32(i32),
    Str(String),
    Identity(Identity),
    Bytes(Vec<u8>),
    Ints(Vec<i32>),
    Simple(SimpleEnum),
    Unit,
}

#[derive(SpacetimeType, Clone, Debug, PartialEq)]
pub struct UnitStruct {}

#[derive(SpacetimeType, Clone, Debug, PartialEq)]
pub struct ByteStruct {
    b: u8,
}

#[derive(SpacetimeType, Clone, Debug, PartialEq)]
pub struct EveryPrimitiveStruct {
    a: u8,
    b: u16,
    c: u32,
    d: u64,
    e: u128,
    f: u256,
    g: i8,
    h: i16,
    i: i32,
    j: i64,
    k: i128,
    l: i256,
    m: bool,
    n: f32,
    o: f64,
    p: String,
    q: Identity,
    r: ConnectionId,
    s: Timestamp,
    t: TimeDuration,
}

#[derive(SpacetimeType, Clone, Debug, PartialEq)]
pub struct EveryVecStruct {
    a: Vec<u8>,
    b: Vec<u16>,
    c: Vec<u32>,
    d: Vec<u64>,
    e: Vec<u128>,
    f: Vec<u256>,
    g: Vec<i8>,
    h: Vec<i16>,
    i: Vec<i32>,
    j: Vec<i64>,
    k: Vec<i128>,
    l: Vec<i256>,
    m: Vec<bool>,
    n: Vec<f32>,
    o: Vec<f64>,
    p: Vec<String>,
    q: Vec<Identity>,
    r: Vec<ConnectionId>,
    s: Vec<Timestamp>,
    t: Vec<TimeDuration>,
}

/// `one_T { v: T }` with `insert_one_T(v)`: one table per type.
macro_rules! one {
    // 2.x: `#[table]` declares a `_table_name` parameter with the accessor's span and uses it
    // with its own; `paste` gives the accessor the attribute's hygiene (else: "cannot find
    // `_table_name`"). Field names come from the invocation (`[k data]`).
    ([$v:ident] $($table:ident $row:ident $insert:ident : $ty:ty;)*) => {$(
        paste::paste! {
            #[table(accessor = [<$table:lower>], public)]
            pub struct $row {
                $v: $ty,
            }
        }

        #[reducer]
        pub fn $insert(ctx: &ReducerContext, $v: $ty) {
            ctx.db.$table().insert($row { $v });
        }
    )*};
}

one! {
    [v]
    one_u8 OneU8 insert_one_u8: u8;
    one_u16 OneU16 insert_one_u16: u16;
    one_u32 OneU32 insert_one_u32: u32;
    one_u64 OneU64 insert_one_u64: u64;
    one_u128 OneU128 insert_one_u128: u128;
    one_u256 OneU256 insert_one_u256: u256;
    one_i8 OneI8 insert_one_i8: i8;
    one_i16 OneI16 insert_one_i16: i16;
    one_i32 OneI32 insert_one_i32: i32;
    one_i64 OneI64 insert_one_i64: i64;
    one_i128 OneI128 insert_one_i128: i128;
    one_i256 OneI256 insert_one_i256: i256;
    one_bool OneBool insert_one_bool: bool;
    one_f32 OneF32 insert_one_f32: f32;
    one_f64 OneF64 insert_one_f64: f64;
    one_string OneString insert_one_string: String;
    one_identity OneIdentity insert_one_identity: Identity;
    one_connection_id OneConnectionId insert_one_connection_id: ConnectionId;
    one_timestamp OneTimestamp insert_one_timestamp: Timestamp;
    one_time_duration OneTimeDuration insert_one_time_duration: TimeDuration;
    one_simple_enum OneSimpleEnum insert_one_simple_enum: SimpleEnum;
    one_enum_with_payload OneEnumWithPayload insert_one_enum_with_payload: EnumWithPayload;
    one_unit_struct OneUnitStruct insert_one_unit_struct: UnitStruct;
    one_byte_struct OneByteStruct insert_one_byte_struct: ByteStruct;
    one_every_primitive_struct OneEveryPrimitiveStruct insert_one_every_primitive_struct: EveryPrimitiveStruct;
    one_every_vec_struct OneEveryVecStruct insert_one_every_vec_struct: EveryVecStruct;

    vec_u8 VecU8 insert_vec_u8: Vec<u8>;
    vec_u16 VecU16 insert_vec_u16: Vec<u16>;
    vec_u32 VecU32 insert_vec_u32: Vec<u32>;
    vec_u64 VecU64 insert_vec_u64: Vec<u64>;
    vec_u128 VecU128 insert_vec_u128: Vec<u128>;
    vec_u256 VecU256 insert_vec_u256: Vec<u256>;
    vec_i8 VecI8 insert_vec_i8: Vec<i8>;
    vec_i16 VecI16 insert_vec_i16: Vec<i16>;
    vec_i32 VecI32 insert_vec_i32: Vec<i32>;
    vec_i64 VecI64 insert_vec_i64: Vec<i64>;
    vec_i128 VecI128 insert_vec_i128: Vec<i128>;
    vec_i256 VecI256 insert_vec_i256: Vec<i256>;
    vec_bool VecBool insert_vec_bool: Vec<bool>;
    vec_f32 VecF32 insert_vec_f32: Vec<f32>;
    vec_f64 VecF64 insert_vec_f64: Vec<f64>;
    vec_string VecString insert_vec_string: Vec<String>;
    vec_identity VecIdentity insert_vec_identity: Vec<Identity>;
    vec_connection_id VecConnectionId insert_vec_connection_id: Vec<ConnectionId>;
    vec_timestamp VecTimestamp insert_vec_timestamp: Vec<Timestamp>;
    vec_time_duration VecTimeDuration insert_vec_time_duration: Vec<TimeDuration>;
    vec_simple_enum VecSimpleEnum insert_vec_simple_enum: Vec<SimpleEnum>;
    vec_enum_with_payload VecEnumWithPayload insert_vec_enum_with_payload: Vec<EnumWithPayload>;
    vec_unit_struct VecUnitStruct insert_vec_unit_struct: Vec<UnitStruct>;
    vec_byte_struct VecByteStruct insert_vec_byte_struct: Vec<ByteStruct>;
    vec_every_primitive_struct VecEveryPrimitiveStruct insert_vec_every_primitive_struct: Vec<EveryPrimitiveStruct>;
    vec_every_vec_struct VecEveryVecStruct insert_vec_every_vec_struct: Vec<EveryVecStruct>;

    option_i32 OptionI32 insert_option_i32: Option<i32>;
    option_string OptionString insert_option_string: Option<String>;
    option_identity OptionIdentity insert_option_identity: Option<Identity>;
    option_simple_enum OptionSimpleEnum insert_option_simple_enum: Option<SimpleEnum>;
    option_every_primitive_struct OptionEveryPrimitiveStruct insert_option_every_primitive_struct: Option<EveryPrimitiveStruct>;
    option_vec_option_i32 OptionVecOptionI32 insert_option_vec_option_i32: Option<Vec<Option<i32>>>;
    option_option_i32 OptionOptionI32 insert_option_option_i32: Option<Option<i32>>;
}

/// `unique_K { #[unique] k: K, data: i32 }` with insert, update (by k) and delete.
macro_rules! unique {
    // 2.x: `#[table]` declares a `_table_name` parameter with the accessor's span and uses it
    // with its own; `paste` gives the accessor the attribute's hygiene (else: "cannot find
    // `_table_name`"). Field names come from the invocation (`[k data]`).
    ([$k:ident $data:ident] $($table:ident $row:ident $insert:ident $update:ident $delete:ident : $ty:ty;)*) => {$(
        paste::paste! {
            #[table(accessor = [<$table:lower>], public)]
            pub struct $row {
                #[unique]
                $k: $ty,
                $data: i32,
            }
        }

        #[reducer]
        pub fn $insert(ctx: &ReducerContext, $k: $ty, $data: i32) {
            ctx.db.$table().insert($row { $k, $data });
        }

        // 2.x has `update` on primary keys only; 1.x's unique-column update was this same
        // delete + insert in one transaction, and failed when no row had the key.
        #[reducer]
        pub fn $update(ctx: &ReducerContext, $k: $ty, $data: i32) {
            assert!(ctx.db.$table().$k().delete(&$k), "update on a missing row");
            ctx.db.$table().insert($row { $k, $data });
        }

        #[reducer]
        pub fn $delete(ctx: &ReducerContext, $k: $ty) {
            ctx.db.$table().$k().delete(&$k);
        }
    )*};
}

unique! {
    [k data]
    unique_u8 UniqueU8 insert_unique_u8 update_unique_u8 delete_unique_u8: u8;
    unique_u16 UniqueU16 insert_unique_u16 update_unique_u16 delete_unique_u16: u16;
    unique_u32 UniqueU32 insert_unique_u32 update_unique_u32 delete_unique_u32: u32;
    unique_u64 UniqueU64 insert_unique_u64 update_unique_u64 delete_unique_u64: u64;
    unique_u128 UniqueU128 insert_unique_u128 update_unique_u128 delete_unique_u128: u128;
    unique_u256 UniqueU256 insert_unique_u256 update_unique_u256 delete_unique_u256: u256;
    unique_i8 UniqueI8 insert_unique_i8 update_unique_i8 delete_unique_i8: i8;
    unique_i16 UniqueI16 insert_unique_i16 update_unique_i16 delete_unique_i16: i16;
    unique_i32 UniqueI32 insert_unique_i32 update_unique_i32 delete_unique_i32: i32;
    unique_i64 UniqueI64 insert_unique_i64 update_unique_i64 delete_unique_i64: i64;
    unique_i128 UniqueI128 insert_unique_i128 update_unique_i128 delete_unique_i128: i128;
    unique_i256 UniqueI256 insert_unique_i256 update_unique_i256 delete_unique_i256: i256;
    unique_bool UniqueBool insert_unique_bool update_unique_bool delete_unique_bool: bool;
    unique_string UniqueString insert_unique_string update_unique_string delete_unique_string: String;
    unique_identity UniqueIdentity insert_unique_identity update_unique_identity delete_unique_identity: Identity;
    unique_connection_id UniqueConnectionId insert_unique_connection_id update_unique_connection_id delete_unique_connection_id: ConnectionId;
}

/// `pk_K { #[primary_key] k: K, data: i32 }` with insert, update (by k) and delete.
macro_rules! pk {
    // 2.x: `#[table]` declares a `_table_name` parameter with the accessor's span and uses it
    // with its own; `paste` gives the accessor the attribute's hygiene (else: "cannot find
    // `_table_name`"). Field names come from the invocation (`[k data]`).
    ([$k:ident $data:ident] $($table:ident $row:ident $insert:ident $update:ident $delete:ident : $ty:ty;)*) => {$(
        paste::paste! {
            #[table(accessor = [<$table:lower>], public)]
            pub struct $row {
                #[primary_key]
                $k: $ty,
                $data: i32,
            }
        }

        #[reducer]
        pub fn $insert(ctx: &ReducerContext, $k: $ty, $data: i32) {
            ctx.db.$table().insert($row { $k, $data });
        }

        #[reducer]
        pub fn $update(ctx: &ReducerContext, $k: $ty, $data: i32) {
            ctx.db.$table().$k().update($row { $k, $data });
        }

        #[reducer]
        pub fn $delete(ctx: &ReducerContext, $k: $ty) {
            ctx.db.$table().$k().delete(&$k);
        }
    )*};
}

pk! {
    [k data]
    pk_u8 PkU8 insert_pk_u8 update_pk_u8 delete_pk_u8: u8;
    pk_u16 PkU16 insert_pk_u16 update_pk_u16 delete_pk_u16: u16;
    pk_u32 PkU32 insert_pk_u32 update_pk_u32 delete_pk_u32: u32;
    pk_u64 PkU64 insert_pk_u64 update_pk_u64 delete_pk_u64: u64;
    pk_u128 PkU128 insert_pk_u128 update_pk_u128 delete_pk_u128: u128;
    pk_u256 PkU256 insert_pk_u256 update_pk_u256 delete_pk_u256: u256;
    pk_i8 PkI8 insert_pk_i8 update_pk_i8 delete_pk_i8: i8;
    pk_i16 PkI16 insert_pk_i16 update_pk_i16 delete_pk_i16: i16;
    pk_i32 PkI32 insert_pk_i32 update_pk_i32 delete_pk_i32: i32;
    pk_i64 PkI64 insert_pk_i64 update_pk_i64 delete_pk_i64: i64;
    pk_i128 PkI128 insert_pk_i128 update_pk_i128 delete_pk_i128: i128;
    pk_i256 PkI256 insert_pk_i256 update_pk_i256 delete_pk_i256: i256;
    pk_bool PkBool insert_pk_bool update_pk_bool delete_pk_bool: bool;
    pk_string PkString insert_pk_string update_pk_string delete_pk_string: String;
    pk_identity PkIdentity insert_pk_identity update_pk_identity delete_pk_identity: Identity;
    pk_connection_id PkConnectionId insert_pk_connection_id update_pk_connection_id delete_pk_connection_id: ConnectionId;
    pk_simple_enum PkSimpleEnum insert_pk_simple_enum update_pk_simple_enum delete_pk_simple_enum: SimpleEnum;
}

// ---------------------------------------------------------------------------
// A btree index on an enum column.

#[table(accessor = indexed_simple_enum, public)]
pub struct IndexedSimpleEnum {
    #[index(btree)]
    n: SimpleEnum,
}

#[reducer]
pub fn insert_into_indexed_simple_enum(ctx: &ReducerContext, n: SimpleEnum) {
    ctx.db.indexed_simple_enum().insert(IndexedSimpleEnum { n });
}

#[reducer]
pub fn update_indexed_simple_enum(ctx: &ReducerContext, a: SimpleEnum, b: SimpleEnum) {
    if ctx.db.indexed_simple_enum().n().filter(&a).next().is_some() {
        ctx.db.indexed_simple_enum().n().delete(&a);
        ctx.db.indexed_simple_enum().insert(IndexedSimpleEnum { n: b });
    }
}

// ---------------------------------------------------------------------------
// A wide table whose reducer takes 22 mixed arguments.

#[table(accessor = large_table, public)]
pub struct LargeTable {
    a: u8,
    b: u16,
    c: u32,
    d: u64,
    e: u128,
    f: u256,
    g: i8,
    h: i16,
    i: i32,
    j: i64,
    k: i128,
    l: i256,
    m: bool,
    n: f32,
    o: f64,
    p: String,
    q: SimpleEnum,
    r: EnumWithPayload,
    s: UnitStruct,
    t: ByteStruct,
    u: EveryPrimitiveStruct,
    v: EveryVecStruct,
}

#[allow(clippy::too_many_arguments)]
#[reducer]
pub fn insert_large_table(
    ctx: &ReducerContext,
    a: u8,
    b: u16,
    c: u32,
    d: u64,
    e: u128,
    f: u256,
    g: i8,
    h: i16,
    i: i32,
    j: i64,
    k: i128,
    l: i256,
    m: bool,
    n: f32,
    o: f64,
    p: String,
    q: SimpleEnum,
    r: EnumWithPayload,
    s: UnitStruct,
    t: ByteStruct,
    u: EveryPrimitiveStruct,
    v: EveryVecStruct,
) {
    ctx.db.large_table().insert(LargeTable { a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p, q, r, s, t, u, v });
}

#[allow(clippy::too_many_arguments)]
#[reducer]
pub fn delete_large_table(
    ctx: &ReducerContext,
    a: u8,
    b: u16,
    c: u32,
    d: u64,
    e: u128,
    f: u256,
    g: i8,
    h: i16,
    i: i32,
    j: i64,
    k: i128,
    l: i256,
    m: bool,
    n: f32,
    o: f64,
    p: String,
    q: SimpleEnum,
    r: EnumWithPayload,
    s: UnitStruct,
    t: ByteStruct,
    u: EveryPrimitiveStruct,
    v: EveryVecStruct,
) {
    ctx.db.large_table().delete(LargeTable { a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p, q, r, s, t, u, v });
}

// ---------------------------------------------------------------------------
// A table whose columns are other tables' row types.

#[table(accessor = table_holds_table, public)]
pub struct TableHoldsTable {
    a: OneU8,
    b: VecU8,
}

#[reducer]
pub fn insert_table_holds_table(ctx: &ReducerContext, a: OneU8, b: VecU8) {
    ctx.db.table_holds_table().insert(TableHoldsTable { a, b });
}

// ---------------------------------------------------------------------------
// Caller metadata, failures, no-ops.

#[table(accessor = one_caller, public)]
pub struct OneCaller {
    identity: Identity,
    connection_id: Option<ConnectionId>,
    timestamp: Timestamp,
}

#[reducer]
pub fn insert_caller_identity(ctx: &ReducerContext) {
    ctx.db.one_caller().insert(OneCaller { identity: ctx.sender(), connection_id: ctx.connection_id(), timestamp: ctx.timestamp });
}

#[reducer]
pub fn fail_with(_ctx: &ReducerContext, message: String) -> Result<(), String> {
    Err(message)
}

#[reducer]
pub fn no_op_succeeds(_ctx: &ReducerContext) {}

// ---------------------------------------------------------------------------
// A scheduled reducer.

#[table(accessor = scheduled_ticks, scheduled(send_scheduled_tick))]
pub struct ScheduledTicks {
    #[primary_key]
    #[auto_inc]
    scheduled_id: u64,
    scheduled_at: ScheduleAt,
    text: String,
}

#[table(accessor = tick_results, public)]
pub struct TickResults {
    text: String,
    caller: Identity,
}

#[reducer]
pub fn schedule_tick_in(ctx: &ReducerContext, micros: i64, text: String) {
    let at = ctx.timestamp + TimeDuration::from_micros(micros);
    ctx.db.scheduled_ticks().insert(ScheduledTicks { scheduled_id: 0, scheduled_at: ScheduleAt::Time(at), text });
}

#[reducer]
pub fn send_scheduled_tick(ctx: &ReducerContext, tick: ScheduledTicks) {
    ctx.db.tick_results().insert(TickResults { text: tick.text, caller: ctx.sender() });
}

// ---------------------------------------------------------------------------
// Row-level security: each client sees only its own user row.

#[table(accessor = users, public)]
pub struct Users {
    #[primary_key]
    identity: Identity,
    name: String,
}

#[client_visibility_filter]
const USERS_ONLY_SELF: Filter = Filter::Sql("SELECT * FROM users WHERE identity = :sender");

#[reducer]
pub fn insert_user(ctx: &ReducerContext, name: String) {
    ctx.db.users().insert(Users { identity: ctx.sender(), name });
}

// ---------------------------------------------------------------------------
// Added for the C conformance suite (tests/conformance): a non-unique btree index (bag semantics
// in joins, range queries checked against SQL), and the server's own Display text of every
// primitive (what the generated formatters must reproduce).

#[table(accessor = btree_u32, public)]
pub struct BtreeU32 {
    #[index(btree)]
    n: u32,
    data: i32,
}

#[reducer]
pub fn insert_btree_u32(ctx: &ReducerContext, n: u32, data: i32) {
    ctx.db.btree_u32().insert(BtreeU32 { n, data });
}

#[reducer]
pub fn delete_btree_u32(ctx: &ReducerContext, n: u32, data: i32) {
    ctx.db.btree_u32().delete(BtreeU32 { n, data });
}

/// Writes each field of `s` as the module formats it with `Display` into one `vec_string` row, in
/// field order (a..t).
#[reducer]
pub fn insert_primitives_as_strings(ctx: &ReducerContext, s: EveryPrimitiveStruct) {
    let v = vec![
        s.a.to_string(),
        s.b.to_string(),
        s.c.to_string(),
        s.d.to_string(),
        s.e.to_string(),
        s.f.to_string(),
        s.g.to_string(),
        s.h.to_string(),
        s.i.to_string(),
        s.j.to_string(),
        s.k.to_string(),
        s.l.to_string(),
        s.m.to_string(),
        s.n.to_string(),
        s.o.to_string(),
        s.p.to_string(),
        s.q.to_string(),
        s.r.to_string(),
        s.s.to_string(),
        s.t.to_string(),
    ];
    ctx.db.vec_string().insert(VecString { v });
}

// Names on the wire exactly as written (as with 1.x): 2.x would otherwise convert them to
// snake_case (`add_u64` -> `add_u_64`).
#[spacetimedb::settings]
const CASE_CONVERSION_POLICY: spacetimedb::CaseConversionPolicy = spacetimedb::CaseConversionPolicy::None;
