//! Schemas as real servers serve them (fixtures fetched from the 1.2.0 and 2.8.3 servers of the
//! test bed), and what a newer server could add.

use stdb_schema::{Lifecycle, ModuleDef, SchemaVersion};

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

/// A comparable summary of what clients use: tables with keys and indexes, reducers with params.
fn summary(def: &ModuleDef) -> Vec<String> {
    let mut out: Vec<String> = def
        .tables
        .iter()
        .map(|t| {
            let mut ix: Vec<String> = t.indexes.iter().map(|i| format!("{:?}/{:?}", i.accessor_name, i.algorithm)).collect();
            ix.sort();
            let row = format!("{:?}", def.typespace[t.product_type_ref as usize]);
            format!("table {} pk={:?} public={} ix={ix:?} row={row} sched={:?}", t.name, t.primary_key, t.is_public, t.schedule)
        })
        .chain(def.reducers.iter().map(|r| format!("reducer {} {:?} {:?}", r.name, r.params, r.lifecycle)))
        .collect();
    out.sort();
    out
}

#[test]
fn the_same_module_reads_the_same_from_v9_and_v10_on_both_servers() {
    let v9_old = ModuleDef::from_json(&fixture("sdk-test.1_2-server.v9.json")).unwrap();
    let v9_new = ModuleDef::from_json(&fixture("sdk-test.2_8-server.v9.json")).unwrap();
    let v10 = ModuleDef::from_json(&fixture("sdk-test.2_8-server.v10.json")).unwrap();
    assert_eq!(v9_old.version, SchemaVersion::V9);
    assert_eq!(v10.version, SchemaVersion::V10);
    assert!(v9_old.tables.len() > 10, "sdk-test has many tables");
    assert_eq!(summary(&v9_old), summary(&v9_new));
    assert_eq!(summary(&v9_old), summary(&v10));
    assert_eq!(v9_old.row_level_security, v10.row_level_security);
    assert!(v10.ignored.is_empty(), "nothing unknown in a 2.8.3 schema: {:?}", v10.ignored);
    let tick = v10.tables.iter().find(|t| t.name == "tick_schedule").expect("scheduled table");
    assert_eq!(tick.schedule.as_ref().map(|s| s.function.as_str()), Some("tick"));
}

#[test]
fn a_newer_servers_additions_are_skipped_and_noted() {
    let mut v: serde_json::Value = serde_json::from_str(&fixture("sdk-test.2_8-server.v10.json")).unwrap();
    let sections = v["sections"].as_array_mut().unwrap();
    sections.push(serde_json::json!({"Teleporters": [{"anything": 1}]}));
    let tables = sections.iter_mut().find_map(|s| s.get_mut("Tables")).unwrap();
    tables[0]["indexes"].as_array_mut().unwrap().push(serde_json::json!({
        "source_name": {"some": "x_idx_quantum"}, "accessor_name": {"none": []}, "algorithm": {"Quantum": [0]}
    }));
    tables[0]["a_field_from_the_future"] = serde_json::json!(true);
    let def = ModuleDef::from_value(&v).unwrap();
    assert_eq!(def.ignored.len(), 2, "{:?}", def.ignored);
    assert!(def.ignored.iter().any(|n| n.contains("Teleporters")));
    assert!(def.ignored.iter().any(|n| n.contains("Quantum")));
}

#[test]
fn v9_misc_exports_of_newer_servers_are_read() {
    let mut v: serde_json::Value = serde_json::from_str(&fixture("sdk-test.2_8-server.v9.json")).unwrap();
    let table = v["tables"][0]["name"].as_str().unwrap().to_owned();
    v["misc_exports"] = serde_json::json!([
        {"Procedure": {"name": "roll_dice", "params": {"elements": [{"name": {"some": "sides"}, "algebraic_type": {"U32": []}}]}, "return_type": {"U32": []}}},
        {"View": {"name": "my_view", "index": 0, "is_public": true, "is_anonymous": false, "params": {"elements": []},
                  "return_type": {"Array": {"Ref": 0}}}},
        {"ColumnDefaultValue": {"table": table, "col_id": 1, "value": "2a00"}},
        {"SomethingNew": {}}
    ]);
    let def = ModuleDef::from_value(&v).unwrap();
    assert_eq!(def.procedures.len(), 1);
    assert_eq!(def.procedures[0].name, "roll_dice");
    assert_eq!(def.views[0].row_type_ref, Some(0));
    assert!(!def.views[0].is_anonymous);
    assert_eq!(def.tables[0].default_values, vec![(1, vec![0x2a, 0])]);
    assert_eq!(def.ignored, vec!["misc export `SomethingNew`".to_owned()]);
}

#[test]
fn v10_names_come_from_explicit_names_then_the_case_policy() {
    let mut v: serde_json::Value = serde_json::from_str(&fixture("sdk-test.2_8-server.v10.json")).unwrap();
    let sections = v["sections"].as_array_mut().unwrap();
    // Drop the explicit names: every name is then the snake_case of its source name.
    sections.retain(|s| s.get("ExplicitNames").is_none());
    let reducers = sections.iter_mut().find_map(|s| s.get_mut("Reducers")).unwrap();
    reducers[0]["source_name"] = "levelUpNow".into();
    reducers[1]["visibility"] = serde_json::json!({"Private": []});
    sections
        .push(serde_json::json!({"LifeCycleReducers": [{"lifecycle_spec": {"OnConnect": []}, "function_name": "level_up_now"}]}));
    let def = ModuleDef::from_value(&v).unwrap();
    let r = &def.reducers[0];
    assert_eq!((r.name.as_str(), r.accessor.as_str()), ("level_up_now", "levelUpNow"));
    assert_eq!(r.lifecycle, Some(Lifecycle::OnConnect));
    assert!(!r.client_callable && !def.reducers[1].client_callable && def.reducers[2].client_callable);
    assert_eq!(def.reducers[2].err_return_type, Some(stdb_schema::AlgebraicType::String));
}

#[test]
fn malformed_schemas_fail_with_the_path() {
    let e = ModuleDef::from_json(r#"{"sections": [{"Tables": [{"source_name": 3}]}]}"#).unwrap_err();
    assert!(e.contains("Tables[0].source_name"), "{e}");
    let e = ModuleDef::from_json(r#"{"V8BackCompat": {}}"#).unwrap_err();
    assert!(e.contains("V8"), "{e}");
    assert!(ModuleDef::from_json("[1]").is_err());
    let ok = ModuleDef::from_json(r#"{"sections": []}"#).unwrap();
    assert!(ok.tables.is_empty());
}

#[test]
fn a_2x_module_with_every_feature_reads_fully_from_v10() {
    let def = ModuleDef::from_json(&fixture("features-2x.v10.json")).unwrap();
    assert!(def.ignored.is_empty(), "{:?}", def.ignored);
    let event = def.table("chat_event").expect("event table");
    assert!(event.is_event);
    assert!(!def.table("player").unwrap().is_event);
    assert_eq!(def.table("settings").unwrap().default_values, vec![(2, vec![7, 0, 0, 0]), (3, vec![1])]);
    let level_up = def.reducer("level_up").expect("canonical name");
    assert_eq!(level_up.accessor, "levelUp");
    assert!(level_up.client_callable);
    let on_connect = def.reducer("on_connect").unwrap();
    assert_eq!(on_connect.lifecycle, Some(Lifecycle::OnConnect));
    assert!(!on_connect.client_callable && !def.reducer("on_timer").unwrap().client_callable);
    assert_eq!(def.procedure("add_numbers").unwrap().return_type, stdb_schema::AlgebraicType::U64);
    assert_eq!(def.table("timer").unwrap().schedule.as_ref().unwrap().function, "on_timer");
    let player_row = def.table("player").unwrap().product_type_ref;
    for (name, anonymous) in [("all_players", false), ("high_level_players", true), ("my_players", false)] {
        let v = def.view(name).unwrap_or_else(|| panic!("view {name}"));
        assert_eq!(v.row_type_ref, Some(player_row), "{name}: rows are players");
        assert_eq!(v.is_anonymous, anonymous, "{name}");
    }
}

#[test]
fn v9_of_a_2x_module_holds_the_same_tables_and_reducers_without_the_2x_flags() {
    let v9 = ModuleDef::from_json(&fixture("features-2x.v9.json")).unwrap();
    let v10 = ModuleDef::from_json(&fixture("features-2x.v10.json")).unwrap();
    assert!(v9.ignored.is_empty(), "{:?}", v9.ignored);
    assert_eq!(summary(&v9), summary(&v10));
    assert_eq!(v9.procedures.len(), v10.procedures.len());
    assert_eq!(v9.views.len(), v10.views.len());
    assert!(!v9.table("chat_event").unwrap().is_event, "V9 cannot say");
    assert_eq!(v9.reducer("level_up").unwrap().accessor, "level_up", "V9 has canonical names only");
}
