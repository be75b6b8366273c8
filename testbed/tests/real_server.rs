//! These run against a real spacetimedb-standalone (scripts/setup builds it), once per server
//! (`::v1_2`, `::v2_8`; see stdb_testbed::harness).

use stdb_testbed::harness::{self, Variant};
use stdb_testbed::{live_tests, Server, TestbedError};

fn main() {
    harness::main(
        env!("CARGO_CRATE_NAME"),
        live_tests![
            publish_sdk_test_and_query_it,
            schema_names_tables_and_reducers,
            failing_reducer_reports_530_with_message,
            other_modules_publish,
            owned_server_starts_and_stops,
            rls_and_private_tables_over_sql,
            // Module features that exist only with 2.x bindings.
            features_2x_schema_v10: &[Variant::V2_8],
            one_x_module_on_the_2x_server: &[Variant::V2_8M1],
        ],
    )
}

fn publish_sdk_test_and_query_it() {
    let server = harness::server();
    let db = server.publish("sdk-test").expect("publish sdk-test");
    assert_eq!(db.identity_hex.len(), 64, "database identity: {}", db.identity_hex);

    // Empty table: one statement result, no rows, schema names the columns.
    let v = db.sql("SELECT * FROM pk_u32").expect("sql");
    let results = v.as_array().expect("SQL answer is an array");
    assert_eq!(results.len(), 1, "{v}");
    assert_eq!(results[0]["rows"], serde_json::json!([]), "{v}");
    let cols: Vec<&str> =
        results[0]["schema"]["elements"].as_array().unwrap().iter().map(|e| e["name"]["some"].as_str().unwrap()).collect();
    assert_eq!(cols, ["n", "data"]);

    db.call_reducer_http("insert_pk_u32", "[7, -3]").expect("insert_pk_u32");
    db.call_reducer_http("insert_many", "[100, 3]").expect("insert_many");
    let mut rows = db.sql_rows("SELECT * FROM pk_u32").unwrap();
    rows.sort_by_key(|r| r[0].as_u64());
    assert_eq!(serde_json::Value::from(rows), serde_json::json!([[7, -3], [100, 100], [101, 101], [102, 102]]));
}

fn schema_names_tables_and_reducers() {
    let db = harness::server().publish("sdk-test").expect("publish sdk-test");
    let text = db.schema_json().expect("schema");
    let schema: serde_json::Value = serde_json::from_str(&text).expect("schema is JSON");
    let tables: Vec<&str> = schema["tables"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
    for t in ["pk_u32", "unique_u32", "scores", "all_types", "my_rows", "secret", "tick_schedule"] {
        assert!(tables.contains(&t), "table {t} missing from {tables:?}");
    }
    let reducers: Vec<&str> = schema["reducers"].as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap()).collect();
    for r in ["insert_pk_u32", "fail", "no_op", "insert_many", "insert_caller"] {
        assert!(reducers.contains(&r), "reducer {r} missing from {reducers:?}");
    }
    assert_eq!(schema["row_level_security"][0]["sql"], "SELECT * FROM my_rows WHERE owner = :sender");
}

fn failing_reducer_reports_530_with_message() {
    let db = harness::server().publish("sdk-test").expect("publish sdk-test");
    let err = db.call_reducer_http("fail", r#"["boom"]"#).unwrap_err();
    assert_eq!(err.http_status(), Some(530), "{err}");
    assert!(matches!(&err, TestbedError::Http { body, .. } if body == "boom"), "{err}");
    // Unknown reducer: 404.
    let err = db.call_reducer_http("no_such_reducer", "[]").unwrap_err();
    assert_eq!(err.http_status(), Some(404), "{err}");
}

fn other_modules_publish() {
    let server = harness::server();
    for m in ["quickstart", "connect-disconnect"] {
        let db = server.publish(m).unwrap_or_else(|e| panic!("{e}"));
        assert!(db.name.starts_with(m), "{}", db.name);
    }
    let (identity, token) = server.new_identity().unwrap();
    assert!(identity.starts_with("c200"), "{identity}");
    assert!(!token.is_empty());
}

fn owned_server_starts_and_stops() {
    let server = Server::start_of(harness::current().server_kind()).expect("start");
    let url = server.http_url().to_string();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    server.new_identity().expect("identity");
    let log = server.log_path().unwrap().to_path_buf();
    assert!(log.is_file());
    drop(server);
    // Dropped: the port no longer answers and the temp dir is gone.
    assert!(Server::external(&url).new_identity().is_err());
    assert!(!log.exists());
}

fn rls_and_private_tables_over_sql() {
    let server = harness::server();
    let db = server.publish("sdk-test").expect("publish sdk-test");
    let (_, other) = server.new_identity().unwrap();
    db.call_reducer_http("insert_my_row", r#"["owner row"]"#).unwrap();
    db.call_reducer_http_as(&other, "insert_my_row", r#"["other row"]"#).unwrap();
    // The owner bypasses the RLS filter; anyone else sees only their own rows.
    assert_eq!(db.sql_rows("SELECT text FROM my_rows").unwrap().len(), 2);
    let v = db.sql_as(Some(&other), "SELECT text FROM my_rows").unwrap();
    assert_eq!(v[0]["rows"], serde_json::json!([["other row"]]));
    // A private table does not exist for non-owners (400), but does for the owner.
    let err = db.sql_as(Some(&other), "SELECT * FROM secret").unwrap_err();
    assert_eq!(err.http_status(), Some(400), "{err}");
    db.sql("SELECT * FROM secret").expect("owner reads private table");
}

fn features_2x_schema_v10() {
    let db = harness::publish("features-2x");
    let v10: serde_json::Value = serde_json::from_str(&db.schema_json_version(10).expect("schema v10")).unwrap();
    let sections = v10["sections"].as_array().expect("V10 has sections");
    let section = |name: &str| sections.iter().find_map(|s| s.get(name)).unwrap_or_else(|| panic!("no {name} in {v10}"));
    let event: Vec<&str> = section("Tables")
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["is_event"] == serde_json::json!(true))
        .map(|t| t["source_name"].as_str().unwrap())
        .collect();
    assert_eq!(event, ["chat_event"], "event tables");
    // Snake-case policy: the camelCase reducer is called level_up; its source name stays.
    let names = &section("ExplicitNames")["entries"];
    let level_up = names.as_array().unwrap().iter().find_map(|e| e.get("Function").filter(|f| f["source_name"] == "levelUp"));
    assert_eq!(level_up.map(|f| &f["canonical_name"]), Some(&serde_json::json!("level_up")), "{names}");
    db.call_reducer_http("add_player", r#"[1, "a"]"#).expect("add_player");
    db.call_reducer_http("level_up", "[1]").expect("level_up (converted name)");
    assert_eq!(db.call_reducer_http("levelUp", "[1]").unwrap_err().http_status(), Some(404));
    assert_eq!(db.sql_rows("SELECT level FROM player").unwrap(), [serde_json::json!([2])]);
}

fn one_x_module_on_the_2x_server() {
    assert_eq!(harness::server().kind(), stdb_testbed::ServerKind::V2_8);
    let db = harness::publish("sdk-test");
    db.call_reducer_http("insert_pk_u32", "[7, -3]").expect("insert_pk_u32 (1.x name, no conversion)");
    assert_eq!(db.sql_rows("SELECT * FROM pk_u32").unwrap(), [serde_json::json!([7, -3])]);
}
