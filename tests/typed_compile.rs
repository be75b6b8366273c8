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
