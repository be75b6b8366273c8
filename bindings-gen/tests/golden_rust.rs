//! Golden files pin the Rust bindings (`--lang rust`) for the project's test schemas, V9 and V10
//! (`tests/bindings/golden-rust/NAME/`, one directory per schema, as the CLI writes them). The
//! core crate's `tests/typed_compile.rs` compiles these very files (clippy with -D warnings in
//! the workspace check), and `tests/typed_live.rs` runs clients on them against real servers.
//! Rewrite with UPDATE_GOLDEN=1 after an intended change and review the diff.

mod common;

use common::*;
use std::path::PathBuf;
use std::process::Command;
use stdb_bindings_gen::{generate_rust_from_json, Options};

/// (schema file, golden directory).
const SCHEMAS: &[(&str, &str)] = &[
    ("tests/bindings/schemas/quickstart.schema.json", "quickstart"),
    ("tests/bindings/schemas/sdk-test.schema.json", "sdk_test"),
    ("tests/bindings/schemas/tricky.schema.json", "tricky"),
    ("tests/fixtures/schemas/features-2x.v10.json", "features_2x"),
    // The bench module (the schema bench-codegen takes from the 1.2.0 server): the bench
    // runner's typed client (bench/runner/src/typed.rs) is built on these.
    ("bench/official-bindings/schema.json", "bench"),
];

fn gen_rust(schema: &str, prefix: &str) -> Vec<(String, String)> {
    let path = root().join(schema);
    let json = std::fs::read_to_string(&path).unwrap();
    let file = path.file_name().unwrap().to_string_lossy().to_string();
    generate_rust_from_json(&json, &Options { prefix: prefix.into(), source: format!("schema file {file}") }).unwrap()
}

fn golden_dir(name: &str) -> PathBuf {
    root().join("tests/bindings/golden-rust").join(name)
}

#[test]
fn rust_bindings_match_golden_files() {
    let update = std::env::var_os("UPDATE_GOLDEN").is_some_and(|v| v == "1");
    let mut stale = Vec::new();
    for (schema, name) in SCHEMAS {
        let files = gen_rust(schema, name);
        let dir = golden_dir(name);
        if update {
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).unwrap();
            for (f, text) in &files {
                std::fs::write(dir.join(f), text).unwrap();
            }
            continue;
        }
        let mut on_disk: Vec<String> =
            std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().to_string()).collect();
        on_disk.sort();
        let mut want: Vec<String> = files.iter().map(|(f, _)| f.clone()).collect();
        want.sort();
        if on_disk != want {
            stale.push(format!("{}: files {on_disk:?}, generated {want:?}", dir.display()));
            continue;
        }
        for (f, text) in &files {
            let golden = std::fs::read_to_string(dir.join(f)).unwrap();
            if &golden != text {
                let line = golden.lines().zip(text.lines()).position(|(a, b)| a != b).unwrap_or(0);
                stale.push(format!(
                    "{}/{f} differs from line {}:\n  golden:    {}\n  generated: {}",
                    dir.display(),
                    line + 1,
                    golden.lines().nth(line).unwrap_or("<end>"),
                    text.lines().nth(line).unwrap_or("<end>")
                ));
            }
        }
    }
    assert!(
        stale.is_empty(),
        "{}\n\nIf the change is intended, rerun with UPDATE_GOLDEN=1 and review the diff.",
        stale.join("\n\n")
    );
}

#[test]
fn rust_output_is_deterministic_and_shaped_like_the_official_bindings() {
    for (schema, name) in SCHEMAS {
        assert_eq!(gen_rust(schema, name), gen_rust(schema, name), "{schema}: two runs differ");
    }
    let files = gen_rust(SCHEMAS[0].0, "quickstart");
    let file = |n: &str| &files.iter().find(|(f, _)| f == n).unwrap_or_else(|| panic!("no {n}")).1;
    assert_eq!(files[0].0, "mod.rs");
    let names: Vec<&str> = files.iter().map(|(f, _)| f.as_str()).collect();
    for n in ["player_type.rs", "player_table.rs", "message_table.rs", "move_to_reducer.rs", "say_reducer.rs"] {
        assert!(names.contains(&n), "{names:?} lacks {n}");
    }
    let m = file("mod.rs");
    for needle in [
        "pub enum Reducer {",
        "MoveTo {",
        "pub struct DbConnection {",
        "pub db: RemoteTables,",
        "pub reducers: RemoteReducers,",
        "pub struct EventContext {",
        "pub event: __sdk::Event<Reducer>,",
        "impl __sdk::DbContext for EventContext",
        "Lifecycle reducers (not callable by clients, so not generated): client_connected, client_disconnected",
    ] {
        assert!(m.contains(needle), "mod.rs lacks {needle}");
    }
    let player = file("player_table.rs");
    assert!(player.contains("fn player(&self) -> PlayerTableHandle<'_>;"));
    assert!(player.contains("impl<'ctx> __sdk::TableWithPrimaryKey for PlayerTableHandle<'ctx>"));
    assert!(player.contains("pub fn identity(&self) -> PlayerIdentityUnique<'ctx>"));
    assert!(player.contains("pub fn find(&self, col_val: &__sdk::Identity) -> Option<Player>"));
    // No primary key: no updates.
    assert!(!file("message_table.rs").contains("TableWithPrimaryKey"));
    let mv = file("move_to_reducer.rs");
    assert!(mv.contains("pub trait move_to {"));
    assert!(mv.contains("fn move_to(&self, x: f32, y: f32) -> __sdk::Result<()>;"));
    assert!(mv.contains("callback: impl FnMut(&super::ReducerEventContext, &f32, &f32) + Send + 'static,"));
    // The lifecycle reducers are not callable.
    assert!(!names.contains(&"client_connected_reducer.rs"));

    // Btree indexes get filter and range; event tables (2.x) only insert callbacks.
    let sdk = gen_rust(SCHEMAS[1].0, "sdk_test");
    let scores = &sdk.iter().find(|(f, _)| f == "scores_table.rs").unwrap().1;
    assert!(scores.contains("pub fn filter(&self"), "{scores}");
    assert!(scores.contains("pub fn range"), "{scores}");
    let f2x = gen_rust(SCHEMAS[3].0, "features_2x");
    let chat = &f2x.iter().find(|(f, _)| f == "chat_event_table.rs").unwrap().1;
    assert!(chat.contains("impl<'ctx> __sdk::EventTable for ChatEventTableHandle<'ctx>"));
    assert!(!chat.contains("fn count("));
    assert!(f2x.iter().any(|(f, _)| f == "level_up_reducer.rs"), "the wire name of `levelUp`");
}

#[test]
fn cli_writes_the_rust_files() {
    let dir = tempfile::tempdir().unwrap();
    let st = Command::new(env!("CARGO_BIN_EXE_stdb-bindings-gen"))
        .args(["--lang", "rust", "--schema"])
        .arg(root().join(SCHEMAS[0].0))
        .arg("--out-dir")
        .arg(dir.path())
        .status()
        .unwrap();
    assert!(st.success());
    for (f, text) in gen_rust(SCHEMAS[0].0, "quickstart") {
        assert_eq!(std::fs::read_to_string(dir.path().join(&f)).unwrap(), text, "{f}");
    }
    // C stays the default.
    let st = Command::new(env!("CARGO_BIN_EXE_stdb-bindings-gen"))
        .arg("--schema")
        .arg(root().join(SCHEMAS[0].0))
        .arg("--out-dir")
        .arg(dir.path())
        .status()
        .unwrap();
    assert!(st.success());
    assert!(dir.path().join("quickstart.h").is_file());
}
