//! Benchmark module for bench/ (scripts/bench): the same tables and reducers are used by
//! stdb-client and by the official Rust SDK, so both clients see identical server work.
//!
//! - `small`: a fixed-size row, 41 bytes of BSATN (4 × u64, 2 × f32, u8).
//! - `big`: a row with a string, an array of strings and an array of u32 (≈ 110 bytes of BSATN).
//!
//! Row contents depend only on the id (and on a "generation" for updates), so any client can
//! check what it cached.
use spacetimedb::{reducer, table, ReducerContext, Table};

#[table(accessor = small, public)]
pub struct Small {
    #[primary_key]
    id: u64,
    a: u64,
    b: u64,
    c: u64,
    x: f32,
    y: f32,
    flag: u8,
}

#[table(accessor = big, public)]
pub struct Big {
    #[primary_key]
    id: u64,
    name: String,
    tags: Vec<String>,
    values: Vec<u32>,
}

fn small_row(id: u64, generation: u64) -> Small {
    Small {
        id,
        a: id ^ generation,
        b: id.wrapping_mul(31),
        c: generation,
        x: id as f32,
        y: 1.5 + generation as f32,
        flag: (id & 1) as u8,
    }
}

fn big_row(id: u64) -> Big {
    Big {
        id,
        name: format!("player-{id:010}"),
        tags: vec!["red".into(), format!("team-{}", id % 16), "bench".into()],
        values: (0..8).map(|k| (id as u32).wrapping_mul(k + 1)).collect(),
    }
}

/// Inserts `small` rows `start .. start + count` (generation 0).
#[reducer]
pub fn insert_small(ctx: &ReducerContext, start: u64, count: u32) {
    let small = ctx.db.small();
    for id in start..start + count as u64 {
        small.insert(small_row(id, 0));
    }
}

/// Rewrites `small` rows `start .. start + count` (which must exist) with generation `generation`:
/// each client sees one update per row.
#[reducer]
pub fn update_small(ctx: &ReducerContext, start: u64, count: u32, generation: u64) {
    let by_id = ctx.db.small().id();
    for id in start..start + count as u64 {
        by_id.update(small_row(id, generation));
    }
}

/// Deletes `small` rows `start .. start + count` (missing ones are skipped).
#[reducer]
pub fn delete_small(ctx: &ReducerContext, start: u64, count: u32) {
    let by_id = ctx.db.small().id();
    for id in start..start + count as u64 {
        by_id.delete(id);
    }
}

/// Inserts `big` rows `start .. start + count`.
#[reducer]
pub fn insert_big(ctx: &ReducerContext, start: u64, count: u32) {
    let big = ctx.db.big();
    for id in start..start + count as u64 {
        big.insert(big_row(id));
    }
}

/// Deletes `big` rows `start .. start + count` (missing ones are skipped).
#[reducer]
pub fn delete_big(ctx: &ReducerContext, start: u64, count: u32) {
    let by_id = ctx.db.big().id();
    for id in start..start + count as u64 {
        by_id.delete(id);
    }
}

/// Does nothing: a reducer round trip with an empty transaction.
#[reducer]
pub fn ping(_ctx: &ReducerContext) {}

// Names on the wire exactly as written (as with 1.x): 2.x would otherwise convert them to
// snake_case (`add_u64` -> `add_u_64`).
#[spacetimedb::settings]
const CASE_CONVERSION_POLICY: spacetimedb::CaseConversionPolicy = spacetimedb::CaseConversionPolicy::None;
