//! Runs each live test once per server: a `harness = false` test binary lists its test
//! functions once ([`live_tests!`]) and [`run`] instantiates each per [`Variant`], reported by
//! libtest as its own line `NAME::v1_2`, `NAME::v2_8` or `NAME::v2_8_m1`.
//!
//! Inside a test, [`publish`] and [`server`] use the variant the test runs under (a
//! thread-local set by the trial), so a test function is written once.
//!
//! When no 2.x server is found, the 2.x instances are reported *ignored* and one line says how
//! to provide one. Instances listed in [`EXPECTED_TO_NEED_V2`] are ignored too (run them with
//! `-- --include-ignored`).

use std::cell::Cell;
use std::sync::{Arc, OnceLock};

use libtest_mimic::{Arguments, Failed, Trial};

use crate::{Database, ModuleSet, Server, ServerKind, HOW_TO_GET_2X};

pub use libtest_mimic;

/// A server and the modules published to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Variant {
    /// The 1.2.0 server with tests/modules (1.2.0 modules).
    V1_2,
    /// The 2.8.3 server with tests/modules-2x (2.8.3 modules).
    V2_8,
    /// The 2.8.3 server with tests/modules (1.2.0 modules: the 2.x host's 1.x ABI).
    V2_8M1,
}

/// 1.2.0 and 2.8.3, each with its own modules: the default for live tests.
pub const BOTH: &[Variant] = &[Variant::V1_2, Variant::V2_8];
/// [`BOTH`] plus 1.2.0 modules on the 2.8.3 server.
pub const ALL: &[Variant] = &[Variant::V1_2, Variant::V2_8, Variant::V2_8M1];
/// A plain test: needs no server, runs once, no suffix.
pub const PLAIN: &[Variant] = &[];
/// Behaviour that exists on 1.2.0 only; each use says why in a comment.
pub const V1_ONLY: &[Variant] = &[Variant::V1_2];

/// `::v2_8` instances that fail today because the client speaks only protocol v1 and a module
/// built with 2.x bindings behaves differently over v1: (test binary, test name, variant, why).
/// They are reported ignored; run them with `-- --include-ignored`. Empty this list as the
/// client learns v2.
pub const EXPECTED_TO_NEED_V2: &[(&str, &str, Variant, &str)] = &[];

impl Variant {
    /// The libtest name suffix.
    pub fn suffix(self) -> &'static str {
        match self {
            Variant::V1_2 => "v1_2",
            Variant::V2_8 => "v2_8",
            Variant::V2_8M1 => "v2_8_m1",
        }
    }

    pub fn server_kind(self) -> ServerKind {
        match self {
            Variant::V1_2 => ServerKind::V1_2,
            Variant::V2_8 | Variant::V2_8M1 => ServerKind::V2_8,
        }
    }

    pub fn modules(self) -> ModuleSet {
        match self {
            Variant::V1_2 | Variant::V2_8M1 => ModuleSet::V1,
            Variant::V2_8 => ModuleSet::V2,
        }
    }
}

thread_local! {
    static CURRENT: Cell<Option<Variant>> = const { Cell::new(None) };
}

/// The variant the running test was instantiated for. Panics outside a live trial's thread
/// (a thread a test spawns itself does not inherit it: pass the variant along with [`with_variant`]).
pub fn current() -> Variant {
    CURRENT.with(|c| c.get()).expect("no test variant on this thread: only live trials (harness::run) have one")
}

/// Runs `f` with `v` as the current variant on this thread.
pub fn with_variant<R>(v: Variant, f: impl FnOnce() -> R) -> R {
    let old = CURRENT.with(|c| c.replace(Some(v)));
    struct Restore(Option<Variant>);
    impl Drop for Restore {
        fn drop(&mut self) {
            CURRENT.with(|c| c.set(self.0));
        }
    }
    let _restore = Restore(old);
    f()
}

/// The shared server of the current variant.
pub fn server() -> &'static Server {
    Server::shared_of(current().server_kind())
}

/// Publishes a fresh copy of `module` from the current variant's module set; panics on error.
pub fn publish(module: &str) -> Database {
    try_publish(module).unwrap_or_else(|e| panic!("publishing {module}: {e}"))
}

/// Like [`publish`], returning the error.
pub fn try_publish(module: &str) -> Result<Database, crate::TestbedError> {
    let v = current();
    Server::shared_of(v.server_kind()).publish_from(v.modules(), module)
}

/// Whether a 2.x server is available (a binary, or STDB_TEST_SERVER_2X); checked once.
pub fn have_2x() -> bool {
    static HAVE: OnceLock<bool> = OnceLock::new();
    *HAVE.get_or_init(|| std::env::var_os("STDB_TEST_SERVER_2X").is_some() || ServerKind::V2_8.binary().is_ok())
}

type Body = Arc<dyn Fn() -> Result<(), Failed> + Send + Sync>;

/// One test function and the variants it runs under (none: a plain test without a server).
pub struct Live {
    name: String,
    body: Body,
    variants: &'static [Variant],
}

impl Live {
    /// A test function run under [`BOTH`] unless [`Live::variants`] says otherwise.
    pub fn new(name: impl Into<String>, f: fn()) -> Live {
        Live::with_result(name, move || {
            f();
            Ok(())
        })
    }

    /// A test body that reports failure as `Err` (like libtest-mimic's), run under [`BOTH`].
    pub fn with_result(name: impl Into<String>, f: impl Fn() -> Result<(), Failed> + Send + Sync + 'static) -> Live {
        Live { name: name.into(), body: Arc::new(f), variants: BOTH }
    }

    /// Runs under these variants. An empty slice makes a plain test (no suffix, no server).
    pub fn variants(mut self, variants: &'static [Variant]) -> Live {
        self.variants = variants;
        self
    }

    /// A test that needs no server: one instance, no suffix.
    pub fn plain(self) -> Live {
        self.variants(&[])
    }
}

/// Lists test functions for [`run`]: `live_tests![a, b: ALL, c: V1_ONLY, d: PLAIN]` (no
/// variants given: [`BOTH`]).
#[macro_export]
macro_rules! live_tests {
    (@one $name:ident) => { $crate::harness::Live::new(stringify!($name), $name) };
    (@one $name:ident : $v:expr) => { $crate::harness::Live::new(stringify!($name), $name).variants($v) };
    ($($name:ident $(: $v:expr)?),* $(,)?) => { vec![$($crate::live_tests!(@one $name $(: $v)?)),*] };
}

/// Instantiates `tests` per variant (see the module docs). `binary` names the test binary for
/// [`EXPECTED_TO_NEED_V2`] (pass `env!("CARGO_CRATE_NAME")`).
pub fn trials(binary: &str, tests: Vec<Live>) -> Vec<Trial> {
    let mut out = Vec::new();
    for t in tests {
        if t.variants.is_empty() {
            let body = t.body.clone();
            out.push(Trial::test(t.name.clone(), move || body()));
            continue;
        }
        for &v in t.variants {
            let body = t.body.clone();
            let mut trial = Trial::test(format!("{}::{}", t.name, v.suffix()), move || with_variant(v, || body()));
            let needs_v2 = EXPECTED_TO_NEED_V2.iter().any(|&(b, n, ev, _)| b == binary && n == t.name && ev == v);
            if needs_v2 || (v.server_kind() == ServerKind::V2_8 && !have_2x()) {
                trial = trial.with_ignored_flag(true);
            }
            out.push(trial);
        }
    }
    out
}

/// Runs the trials with libtest's command line and exits. Says once, loudly, when the 2.x
/// instances are skipped for lack of a server.
pub fn run(trials: Vec<Trial>) -> ! {
    run_with_args(Arguments::from_args(), trials)
}

/// [`run`] with arguments the caller has adjusted (e.g. a default number of test threads).
pub fn run_with_args(args: Arguments, trials: Vec<Trial>) -> ! {
    if !args.list && !have_2x() {
        eprintln!("!!! stdb-testbed: no SpacetimeDB 2.x server: the ::v2_8 tests are skipped; {HOW_TO_GET_2X}");
    }
    libtest_mimic::run(&args, trials).exit()
}

/// [`trials`] and [`run`] in one call.
pub fn main(binary: &str, tests: Vec<Live>) -> ! {
    run(trials(binary, tests))
}
