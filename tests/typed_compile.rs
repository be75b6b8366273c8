//! The Rust bindings generated for the test schemas (the golden files of
//! `bindings-gen/tests/golden.rs`) compile, warning-free under clippy, and their types encode as
//! the module's schema says.

#[rustfmt::skip]
#[path = "bindings/golden-rust/quickstart/mod.rs"]
mod quickstart;
#[rustfmt::skip]
#[path = "bindings/golden-rust/sdk_test/mod.rs"]
mod sdk_test;
#[rustfmt::skip]
#[path = "bindings/golden-rust/tricky/mod.rs"]
mod tricky;
#[rustfmt::skip]
#[path = "bindings/golden-rust/features_2x/mod.rs"]
mod features_2x;
#[rustfmt::skip]
#[path = "bindings/golden-rust/bench/mod.rs"]
mod bench_bindings;

use stdb_client::schema::Schema;
use stdb_client::typed::{Reducer as _, SpacetimeModule};

/// Encodes a reducer call with the generated types, checks the bytes against the parameter types
/// of the schema the bindings embed (the core's own BSATN walker), and decodes them back.
fn check<M: SpacetimeModule>(call: M::Reducer)
where
    M::Reducer: PartialEq,
{
    let schema = Schema::from_json(M::SCHEMA_JSON).unwrap();
    let name = call.reducer_name();
    let bytes = call.args_bsatn().unwrap();
    let def = schema.reducer(name).unwrap_or_else(|| panic!("`{name}` is not in the embedded schema"));
    schema.types.validate(&def.params, &bytes).unwrap_or_else(|e| panic!("`{name}`: {e}"));
    assert_eq!(M::Reducer::try_from_bsatn(name, &bytes), Some(call), "`{name}` round trip");
    // Arguments that do not decode, and unknown reducers, are not made up.
    assert_eq!(M::Reducer::try_from_bsatn(name, &[0xff]), None);
    assert_eq!(M::Reducer::try_from_bsatn("no_such_reducer", &bytes), None);
}

#[test]
fn every_column_type_encodes_as_the_schema_says() {
    use sdk_test::*;
    use stdb_client::typed::{i256, u256};
    check::<RemoteModule>(Reducer::InsertAllTypes {
        a_bool: true,
        a_i8: -1,
        a_i16: -2,
        a_i32: -3,
        a_i64: -4,
        a_i128: i128::MIN,
        a_i256: i256::MIN,
        a_u8: 1,
        a_u16: 2,
        a_u32: 3,
        a_u64: u64::MAX,
        a_u128: u128::MAX,
        a_u256: u256::MAX,
        a_f32: 0.5,
        a_f64: -0.25,
        a_string: "ünïcode".into(),
        a_bytes: vec![0, 255],
        a_identity: Identity::from_u256(u256::from(7u64)),
        a_connection_id: ConnectionId::from_u128(9),
        a_timestamp: Timestamp::from_micros_since_unix_epoch(-1),
        a_duration: TimeDuration::from_micros(3),
        a_opt_i32: None,
        a_opt_opt_string: Some(Some("x".into())),
        a_point: Point { x: 1, y: -1 },
        a_shape: Shape::Named("n".into()),
        a_vec_i32: vec![1, 2],
        a_vec_string: vec!["a".into()],
    });
    check::<RemoteModule>(Reducer::InsertColored { color: Color::Blue, label: "l".into() });
    check::<RemoteModule>(Reducer::NoOp);
    check::<RemoteModule>(Reducer::InsertScore { level: 1, name: "s".into(), points: -5 });
}

#[test]
fn v10_and_awkward_schemas_encode_too() {
    check::<quickstart::RemoteModule>(quickstart::Reducer::MoveTo { x: 1.0, y: 2.0 });
    let schema = Schema::from_json(<features_2x::RemoteModule as SpacetimeModule>::SCHEMA_JSON).unwrap();
    assert!(schema.table("chat_event").is_some_and(|t| t.is_event), "the V10 schema is embedded as served");
    let names: Vec<&str> = schema.reducers.iter().map(|r| r.name.as_str()).collect();
    assert!(names.contains(&"level_up"), "{names:?}");
    let _ = tricky::Reducer::OnX;
}

/// The benchmark's official-SDK client code (bench/runner/src/official_client.rs, written for
/// `spacetimedb-sdk` 1.2.0) compiled against the typed bindings of the bench module, with the
/// same `use` lines as bench/runner/src/typed.rs; what it needs from the benchmark harness is
/// stood in for by `harness` (same signatures as bench/runner/src/{main,sys,raw,game}.rs). The
/// bench workspace builds it for real (scripts/bench); this keeps it compiling with the crate.
mod bench_typed {
    mod harness {
        use std::time::Duration;
        pub type Res<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;
        pub const TIMEOUT: Duration = Duration::from_secs(600);
        #[derive(Clone, Debug, Default)]
        pub struct Args {
            pub url: String,
            pub db: String,
            pub table: String,
            pub comp: String,
            pub mode: String,
            pub n: usize,
            pub warmup: usize,
            pub batches: u32,
            pub batch: u32,
            pub conns: usize,
            pub run: u32,
        }
        #[derive(Default)]
        pub struct Out(pub Vec<(String, f64)>);
        impl Out {
            pub fn put(&mut self, k: &str, v: f64) {
                self.0.push((k.to_owned(), v));
            }
        }
        pub fn put_percentiles(out: &mut Out, samples: &mut [f64]) {
            out.put("samples", samples.len() as f64);
        }
        pub mod sys {
            pub fn trim() {}
            pub fn rss() -> u64 {
                0
            }
            pub fn peak_rss() -> u64 {
                0
            }
            pub fn live_bytes() -> i64 {
                0
            }
            pub fn alloc_counting() -> bool {
                false
            }
            pub fn threads() -> usize {
                0
            }
        }
        pub mod raw {
            pub fn observer(_: &super::Args) -> super::Res<std::sync::mpsc::Receiver<std::time::Instant>> {
                Err("no observer here".into())
            }
        }
        pub mod game {
            use super::Res;
            pub struct Recorder;
            impl Recorder {
                pub fn update(&self, _conn: usize, _id: u64, _c: u64) {}
            }
            // Built by the workload, read by the benchmark's game driver (not here).
            #[allow(dead_code)]
            pub struct Side {
                pub send: Box<dyn Fn(usize, u64, u64) -> Res<()> + Send + Sync>,
                pub tick0: Option<Box<dyn FnMut() -> Res<()>>>,
            }
        }
    }

    // The `use` lines of bench/runner/src/typed.rs.
    use harness::{game, put_percentiles, raw, sys, Args, Out, Res, TIMEOUT};
    use std::sync::atomic::{AtomicU64, Ordering::SeqCst};
    use std::sync::mpsc::channel;
    use std::sync::Arc;
    use std::time::{Duration, Instant};
    use stdb_client::typed::{Compression, DbContext, Status, Table, TableWithPrimaryKey};

    // (typed.rs declares the bindings here; a path inside an inline module would be resolved
    // under tests/bench_typed/, so they are declared at the top of this file.)
    use super::bench_bindings as bindings;
    use bindings::*;

    include!("../bench/runner/src/official_client.rs");

    /// The workloads the benchmark runs, with the signatures it calls them through.
    #[test]
    fn the_official_clients_workloads_compile_against_the_typed_bindings() {
        type Workload = fn(&Args, &mut Out) -> Res<()>;
        let workloads: [(&str, Workload); 5] = [("sub", sub), ("upd", upd), ("rtt", rtt), ("tick", tick), ("scale", scale)];
        type Game = fn(&Args, &[u64], bool, Arc<game::Recorder>) -> Res<game::Side>;
        let _game: Game = game;
        // Nothing listens on port 1: connecting fails with an error, not a panic or a hang.
        let a = Args { url: "http://127.0.0.1:1".into(), db: "bench".into(), comp: "none".into(), ..Args::default() };
        for (name, w) in workloads.into_iter().filter(|(n, _)| *n == "sub") {
            assert!(w(&a, &mut Out::default()).is_err(), "{name} against a closed port");
        }
    }
}
