//! Property tests of the generated codecs against spacetimedb-sats 1.2.0, through a C program
//! (tests/bindings/harness/roundtrip.c) built with AddressSanitizer + UBSan.
//!
//! For every type the module uses (and every builtin): a few hundred random values, built from
//! the schema's types with a seeded PRNG, are BSATN-encoded in Rust; the C side decodes each,
//! re-encodes it (must be byte-identical) and formats it; Rust decodes the C bytes with
//! `spacetimedb_sats::bsatn::decode` and compares with the original value. The special types'
//! and wide integers' text must match SpacetimeDB's Display. Then hostile input: every truncation
//! of valid encodings must fail, and random or mutated bytes must either fail or be accepted
//! exactly as sats accepts them — with no sanitizer report.

mod common;

use common::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use spacetimedb_lib::{ConnectionId, Identity, TimeDuration, Timestamp};
use spacetimedb_sats::{i256, u256, AlgebraicType, AlgebraicValue, ArrayValue, ProductValue, SumValue};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use stdb_bindings_gen::model::{Ty, BUILTINS};
use stdb_bindings_gen::Module;

const VALUES_PER_TYPE: usize = 300;

struct Entry {
    label: String,
    ty: Ty,
    alg: AlgebraicType,
}

/// Generates `schema`'s code in codec-only mode and builds the harness; returns the model, the
/// harness entries (index = position) and the executable.
fn build(schema: &str, dir: &Path) -> (Module, Vec<Entry>, PathBuf) {
    let prefix = "rt";
    let raw = load(schema);
    let out = gen(schema, prefix);
    write(&out, dir);
    let m = stdb_bindings_gen::build_model(&raw, prefix).unwrap();
    let mut entries = Vec::new();
    for (t, _) in BUILTINS {
        entries.push(Entry { label: m.stem_of(t), ty: t.clone(), alg: m.algebraic_type(t) });
    }
    for t in &m.order {
        entries.push(Entry { label: m.stem_of(t), ty: t.clone(), alg: m.algebraic_type(t) });
    }
    let inc: String = entries.iter().map(|e| format!("T({}, {})\n", m.fstem(&e.ty), m.c_type(&e.ty))).collect();
    std::fs::write(dir.join("types.inc"), inc).unwrap();
    let exe = dir.join("roundtrip");
    let mut cmd = Command::new("cc");
    cmd.args(CFLAGS).args(SANITIZE);
    cmd.arg(format!("-D{}_CODEC_ONLY", prefix.to_uppercase()));
    cmd.arg(format!("-DGEN_HEADER=\"{prefix}.h\""));
    cmd.arg(format!("-DGEN_BUFFER={prefix}_buffer")).arg(format!("-DGEN_BUFFER_FREE={prefix}_buffer_free"));
    cmd.arg("-I").arg(dir).arg("-I").arg(root().join("include"));
    cmd.arg(root().join("tests/bindings/harness/roundtrip.c")).arg(dir.join(format!("{prefix}.c")));
    cmd.arg("-o").arg(&exe);
    run_cc(cmd, "compiling the round-trip harness");
    (m, entries, exe)
}

enum Reply {
    Ok { bytes: Vec<u8>, text: String },
    Err(i32),
}

/// Runs the harness on `(entry index, bytes)` requests; one reply each.
fn run(exe: &Path, requests: &[(usize, Vec<u8>)]) -> Vec<Reply> {
    let mut child = Command::new(exe)
        .env("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")
        .env("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let input: String =
        requests.iter().map(|(i, b)| format!("{i} {}\n", if b.is_empty() { "-".to_string() } else { hex(b) })).collect();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(input.as_bytes());
    });
    let stdout = BufReader::new(child.stdout.take().unwrap());
    let lines: Vec<String> = stdout.lines().map(|l| l.unwrap()).collect();
    writer.join().unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && stderr.trim().is_empty(), "harness failed ({}):\n{stderr}", out.status);
    assert_eq!(lines.len(), requests.len(), "one reply per request");
    lines
        .iter()
        .zip(requests)
        .map(|(l, (i, b))| {
            let parts: Vec<&str> = l.split(' ').collect();
            match parts[0] {
                "OK" => Reply::Ok { bytes: unhex(parts[1]), text: String::from_utf8(unhex(parts[2])).unwrap() },
                "ERR" => Reply::Err(parts[1].parse().unwrap()),
                _ => panic!("harness invariant broken for entry {i}, input {}: {l}", hex(b)),
            }
        })
        .collect()
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn unhex(s: &str) -> Vec<u8> {
    if s == "-" {
        return vec![];
    }
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

// ---- random values ----------------------------------------------------------------------------

fn edge<T: Copy>(rng: &mut StdRng, edges: &[T], random: T) -> T {
    if rng.gen_bool(0.3) {
        edges[rng.gen_range(0..edges.len())]
    } else {
        random
    }
}

fn gen_string(rng: &mut StdRng) -> String {
    const CHARS: &[char] =
        &['a', 'Z', '0', ' ', '"', '\\', '\n', '\t', '\0', '\u{7f}', 'é', 'ß', '日', '本', '😀', '\u{10ffff}', '?'];
    let n = rng.gen_range(0..12);
    (0..n).map(|_| CHARS[rng.gen_range(0..CHARS.len())]).collect()
}

fn gen_i128(rng: &mut StdRng) -> i128 {
    let r: i128 = rng.gen();
    edge(rng, &[0, 1, -1, i128::MIN, i128::MAX, i64::MIN as i128, u64::MAX as i128], r)
}

fn gen_u128(rng: &mut StdRng) -> u128 {
    let r: u128 = rng.gen();
    edge(rng, &[0, 1, u128::MAX, u64::MAX as u128, 10u128.pow(19), 10u128.pow(38)], r)
}

fn gen_value(rng: &mut StdRng, ty: &AlgebraicType, depth: u32) -> AlgebraicValue {
    match ty {
        AlgebraicType::Sum(s) => {
            let tag = rng.gen_range(0..s.variants.len());
            AlgebraicValue::Sum(SumValue::new(tag as u8, gen_value(rng, &s.variants[tag].algebraic_type, depth + 1)))
        }
        AlgebraicType::Product(p) => {
            let v: Vec<AlgebraicValue> = p.elements.iter().map(|e| gen_value(rng, &e.algebraic_type, depth + 1)).collect();
            AlgebraicValue::Product(ProductValue::from(v))
        }
        AlgebraicType::Array(a) => {
            let n = if depth > 4 { rng.gen_range(0..2) } else { rng.gen_range(0..6) };
            let vals: Vec<AlgebraicValue> = (0..n).map(|_| gen_value(rng, &a.elem_ty, depth + 1)).collect();
            AlgebraicValue::Array(to_array(&a.elem_ty, vals))
        }
        AlgebraicType::String => AlgebraicValue::String(gen_string(rng).into()),
        AlgebraicType::Bool => AlgebraicValue::Bool(rng.gen()),
        AlgebraicType::I8 => AlgebraicValue::I8({
            let r = rng.gen();
            edge(rng, &[0, -1, i8::MIN, i8::MAX], r)
        }),
        AlgebraicType::U8 => AlgebraicValue::U8(rng.gen()),
        AlgebraicType::I16 => AlgebraicValue::I16({
            let r = rng.gen();
            edge(rng, &[0, -1, i16::MIN, i16::MAX], r)
        }),
        AlgebraicType::U16 => AlgebraicValue::U16({
            let r = rng.gen();
            edge(rng, &[0, u16::MAX], r)
        }),
        AlgebraicType::I32 => AlgebraicValue::I32({
            let r = rng.gen();
            edge(rng, &[0, -1, i32::MIN, i32::MAX], r)
        }),
        AlgebraicType::U32 => AlgebraicValue::U32({
            let r = rng.gen();
            edge(rng, &[0, u32::MAX], r)
        }),
        AlgebraicType::I64 => AlgebraicValue::I64({
            let r = rng.gen();
            edge(
                rng,
                &[0, -1, 1, i64::MIN, i64::MAX, 999_999, -1_000_000, 1_000, 1_700_000_000_123_456, -62_135_596_800_000_000],
                r,
            )
        }),
        AlgebraicType::U64 => AlgebraicValue::U64({
            let r = rng.gen();
            edge(rng, &[0, u64::MAX], r)
        }),
        AlgebraicType::I128 => AlgebraicValue::I128(gen_i128(rng).into()),
        AlgebraicType::U128 => AlgebraicValue::U128(gen_u128(rng).into()),
        AlgebraicType::I256 => {
            let v = i256::from_words(gen_i128(rng), gen_i128(rng));
            let v = edge(rng, &[i256::MIN, i256::MAX, i256::ZERO, i256::ONE, -i256::ONE], v);
            AlgebraicValue::I256(Box::new(v))
        }
        AlgebraicType::U256 => {
            let v = u256::from_words(gen_u128(rng), gen_u128(rng));
            let v = edge(rng, &[u256::MIN, u256::MAX, u256::ONE], v);
            AlgebraicValue::U256(Box::new(v))
        }
        AlgebraicType::F32 => {
            let r = f32::from_bits(rng.gen());
            AlgebraicValue::F32(edge(rng, &[0.0, -0.0, 1.5, f32::NAN, f32::INFINITY, f32::MIN_POSITIVE, 0.1], r).into())
        }
        AlgebraicType::F64 => {
            let r = f64::from_bits(rng.gen());
            AlgebraicValue::F64(edge(rng, &[0.0, -0.0, 1.5, f64::NAN, f64::NEG_INFINITY, 1e300, 0.1], r).into())
        }
        AlgebraicType::Ref(_) => panic!("types are inlined"),
    }
}

fn to_array(elem: &AlgebraicType, vals: Vec<AlgebraicValue>) -> ArrayValue {
    macro_rules! arr {
        ($v:ident, $map:expr) => {
            ArrayValue::$v(
                vals.into_iter()
                    .map(|v| match v {
                        AlgebraicValue::$v(x) => $map(x),
                        _ => unreachable!(),
                    })
                    .collect(),
            )
        };
    }
    match elem {
        AlgebraicType::Bool => arr!(Bool, |x| x),
        AlgebraicType::I8 => arr!(I8, |x| x),
        AlgebraicType::U8 => arr!(U8, |x| x),
        AlgebraicType::I16 => arr!(I16, |x| x),
        AlgebraicType::U16 => arr!(U16, |x| x),
        AlgebraicType::I32 => arr!(I32, |x| x),
        AlgebraicType::U32 => arr!(U32, |x| x),
        AlgebraicType::I64 => arr!(I64, |x| x),
        AlgebraicType::U64 => arr!(U64, |x| x),
        AlgebraicType::I128 => arr!(I128, |x: spacetimedb_sats::algebraic_value::Packed<i128>| x.0),
        AlgebraicType::U128 => arr!(U128, |x: spacetimedb_sats::algebraic_value::Packed<u128>| x.0),
        AlgebraicType::I256 => arr!(I256, |x: Box<i256>| *x),
        AlgebraicType::U256 => arr!(U256, |x: Box<u256>| *x),
        AlgebraicType::F32 => arr!(F32, |x| x),
        AlgebraicType::F64 => arr!(F64, |x| x),
        AlgebraicType::String => arr!(String, |x| x),
        AlgebraicType::Product(_) => arr!(Product, |x| x),
        AlgebraicType::Sum(_) => arr!(Sum, |x| x),
        AlgebraicType::Array(_) => arr!(Array, |x| x),
        AlgebraicType::Ref(_) => panic!("types are inlined"),
    }
}

fn encode(v: &AlgebraicValue) -> Vec<u8> {
    spacetimedb_sats::bsatn::to_vec(v).unwrap()
}

/// sats' decode of exactly these bytes.
fn sats_decode(ty: &AlgebraicType, bytes: &[u8]) -> Option<AlgebraicValue> {
    let mut r = bytes;
    match spacetimedb_sats::bsatn::decode(ty, &mut r) {
        Ok(v) if r.is_empty() => Some(v),
        _ => None,
    }
}

fn single(v: &AlgebraicValue) -> &AlgebraicValue {
    match v {
        AlgebraicValue::Product(p) => &p.elements[0],
        other => panic!("not a newtype: {other:?}"),
    }
}

/// SpacetimeDB's Display of the value, for the types whose text the generated code must match.
/// `Err(())` means Rust cannot print it (the C text is then checked separately).
fn expected_text(ty: &Ty, v: &AlgebraicValue) -> Option<Result<String, ()>> {
    Some(Ok(match (ty, v) {
        (Ty::Bool, AlgebraicValue::Bool(x)) => x.to_string(),
        (Ty::I8, AlgebraicValue::I8(x)) => x.to_string(),
        (Ty::U8, AlgebraicValue::U8(x)) => x.to_string(),
        (Ty::I16, AlgebraicValue::I16(x)) => x.to_string(),
        (Ty::U16, AlgebraicValue::U16(x)) => x.to_string(),
        (Ty::I32, AlgebraicValue::I32(x)) => x.to_string(),
        (Ty::U32, AlgebraicValue::U32(x)) => x.to_string(),
        (Ty::I64, AlgebraicValue::I64(x)) => x.to_string(),
        (Ty::U64, AlgebraicValue::U64(x)) => x.to_string(),
        (Ty::I128, AlgebraicValue::I128(x)) => {
            let x = x.0;
            x.to_string()
        }
        (Ty::U128, AlgebraicValue::U128(x)) => {
            let x = x.0;
            x.to_string()
        }
        (Ty::I256, AlgebraicValue::I256(x)) => x.to_string(),
        (Ty::U256, AlgebraicValue::U256(x)) => x.to_string(),
        (Ty::Identity, v) => match single(v) {
            AlgebraicValue::U256(x) => Identity::from_u256(**x).to_string(),
            _ => unreachable!(),
        },
        (Ty::ConnectionId, v) => match single(v) {
            AlgebraicValue::U128(x) => ConnectionId::from_u128(x.0).to_hex().to_string(),
            _ => unreachable!(),
        },
        (Ty::Timestamp, v) => match single(v) {
            AlgebraicValue::I64(x) => return Some(Timestamp::from_micros_since_unix_epoch(*x).to_rfc3339().map_err(|_| ())),
            _ => unreachable!(),
        },
        (Ty::TimeDuration, v) => match single(v) {
            // Rust's Display overflows on i64::MIN (`abs`); the C prints it correctly.
            AlgebraicValue::I64(x) if *x == i64::MIN => return None,
            AlgebraicValue::I64(x) => TimeDuration::from_micros(*x).to_string(),
            _ => unreachable!(),
        },
        _ => return None,
    }))
}

fn roundtrip(schema: &str, seed: u64) {
    if skip_without("cc") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (_m, entries, exe) = build(schema, dir.path());
    let mut rng = StdRng::seed_from_u64(seed);

    // 1. Random valid values.
    let mut values = Vec::new();
    let mut requests = Vec::new();
    for (i, e) in entries.iter().enumerate() {
        let n = if e.ty == Ty::Unit { 3 } else { VALUES_PER_TYPE };
        for _ in 0..n {
            let v = gen_value(&mut rng, &e.alg, 0);
            requests.push((i, encode(&v)));
            values.push(v);
        }
    }
    let replies = run(&exe, &requests);
    let mut checked_text = 0;
    for (((i, bytes), v), reply) in requests.iter().zip(&values).zip(&replies) {
        let e = &entries[*i];
        match reply {
            Reply::Err(code) => panic!("{}: the C decoder rejected a valid value (code {code}): {v:?} = {}", e.label, hex(bytes)),
            Reply::Ok { bytes: c_bytes, text } => {
                assert_eq!(c_bytes, bytes, "{}: C re-encoding differs for {v:?}", e.label);
                let back =
                    sats_decode(&e.alg, c_bytes).unwrap_or_else(|| panic!("{}: sats cannot decode the C encoding", e.label));
                assert_eq!(&back, v, "{}: value changed through C", e.label);
                match expected_text(&e.ty, v) {
                    Some(Ok(want)) => {
                        assert_eq!(text, &want, "{}: text differs from SpacetimeDB's Display for {v:?}", e.label);
                        checked_text += 1;
                    }
                    Some(Err(())) => {
                        assert!(text.starts_with("<timestamp "), "{}: out-of-range timestamp printed as {text}", e.label)
                    }
                    None => assert!(!text.is_empty()),
                }
            }
        }
    }
    assert!(checked_text > 1000, "texts compared with SpacetimeDB's Display: {checked_text}");

    // 2. Hostile input: truncations must fail; random and mutated bytes must fail or round-trip.
    let mut requests = Vec::new();
    let mut truncated = Vec::new();
    for (i, bytes) in requests_from(&entries, &mut rng) {
        let cuts: Vec<usize> =
            if bytes.len() <= 48 { (0..bytes.len()).collect() } else { (0..16).map(|_| rng.gen_range(0..bytes.len())).collect() };
        for cut in cuts {
            requests.push((i, bytes[..cut].to_vec()));
            truncated.push(true);
        }
        for _ in 0..12 {
            let mut b = bytes.clone();
            match rng.gen_range(0..4) {
                0 if !b.is_empty() => {
                    let p = rng.gen_range(0..b.len());
                    b[p] ^= 1 << rng.gen_range(0..8);
                }
                1 if !b.is_empty() => {
                    let p = rng.gen_range(0..b.len());
                    b[p] = rng.gen();
                }
                2 => {
                    let p = rng.gen_range(0..=b.len());
                    b.insert(p, rng.gen());
                }
                _ => {
                    let n = rng.gen_range(0..40);
                    b = (0..n).map(|_| rng.gen()).collect();
                    // Often a huge array/string length up front.
                    if rng.gen_bool(0.3) && b.len() >= 5 {
                        b[1..5].copy_from_slice(&[0xff, 0xff, 0xff, 0x7f]);
                    }
                }
            }
            requests.push((i, b));
            truncated.push(false);
        }
    }
    let replies = run(&exe, &requests);
    let (mut rejected, mut accepted) = (0, 0);
    for (((i, bytes), trunc), reply) in requests.iter().zip(&truncated).zip(&replies) {
        let e = &entries[*i];
        match reply {
            Reply::Err(code) => {
                assert_eq!(*code, 100, "{}: hostile input must give RT_ERR_DECODE", e.label);
                rejected += 1;
            }
            Reply::Ok { bytes: c_bytes, .. } => {
                assert!(!trunc, "{}: a truncated encoding was accepted: {}", e.label, hex(bytes));
                assert_eq!(c_bytes, bytes, "{}: accepted bytes must re-encode identically", e.label);
                assert!(sats_decode(&e.alg, bytes).is_some(), "{}: C accepted bytes sats rejects: {}", e.label, hex(bytes));
                accepted += 1;
            }
        }
    }
    eprintln!(
        "{schema}: {} valid values, {rejected} hostile inputs rejected, {accepted} mutated inputs accepted (valid)",
        values.len()
    );
}

/// A few valid encodings per entry, to truncate and mutate.
fn requests_from(entries: &[Entry], rng: &mut StdRng) -> Vec<(usize, Vec<u8>)> {
    let mut v = Vec::new();
    for (i, e) in entries.iter().enumerate() {
        for _ in 0..8 {
            v.push((i, encode(&gen_value(rng, &e.alg, 0))));
        }
    }
    v
}

#[test]
fn sdk_test_types_round_trip_with_spacetimedb_sats() {
    roundtrip("sdk-test", 0x5eed_0001);
}

#[test]
fn quickstart_types_round_trip_with_spacetimedb_sats() {
    roundtrip("quickstart", 0x5eed_0002);
}

#[test]
fn wide_integer_parsing() {
    if skip_without("cc") {
        return;
    }
    // from_string is checked through a tiny program: parse, format, compare.
    let dir = tempfile::tempdir().unwrap();
    let out = gen("quickstart", "wp");
    write(&out, dir.path());
    let prog = r#"
#include "wp.h"
#include <stdio.h>
#include <string.h>
#define CHECK(T, s, ok) do { wp_##T v; char buf[100]; int32_t rc = wp_##T##_from_string(s, strlen(s), &v); \
    if ((rc == 0) != ok) { printf("parse %s %s: rc %d\n", #T, s, (int)rc); return 1; } \
    if (ok) { wp_##T##_format(&v, buf, sizeof buf); if (strcmp(buf, s[0] == '+' ? s + 1 : s)) { printf("%s -> %s\n", s, buf); return 1; } } } while (0)
int main(void) {
    CHECK(u128, "0", 1);
    CHECK(u128, "340282366920938463463374607431768211455", 1);
    CHECK(u128, "340282366920938463463374607431768211456", 0);
    CHECK(u128, "-1", 0);
    CHECK(u128, "", 0);
    CHECK(u128, "12a", 0);
    CHECK(i128, "-170141183460469231731687303715884105728", 1);
    CHECK(i128, "-170141183460469231731687303715884105729", 0);
    CHECK(i128, "170141183460469231731687303715884105727", 1);
    CHECK(i128, "170141183460469231731687303715884105728", 0);
    CHECK(i128, "+42", 1);
    CHECK(u256, "115792089237316195423570985008687907853269984665640564039457584007913129639935", 1);
    CHECK(u256, "115792089237316195423570985008687907853269984665640564039457584007913129639936", 0);
    CHECK(i256, "-57896044618658097711785492504343953926634992332820282019728792003956564819968", 1);
    CHECK(i256, "57896044618658097711785492504343953926634992332820282019728792003956564819968", 0);
    CHECK(i256, "-1", 1);
    {
        wp_i128 a = wp_i128_from_i64(-5);
        char buf[64];
        wp_i128_format(&a, buf, sizeof buf);
        if (strcmp(buf, "-5")) return 1;
    }
    puts("ok");
    return 0;
}
"#;
    std::fs::write(dir.path().join("main.c"), prog).unwrap();
    let exe = dir.path().join("wp");
    let mut cmd = Command::new("cc");
    cmd.args(CFLAGS).args(SANITIZE).arg("-DWP_CODEC_ONLY").arg("-I").arg(dir.path()).arg("-I").arg(root().join("include"));
    cmd.arg(dir.path().join("main.c")).arg(dir.path().join("wp.c")).arg("-o").arg(&exe);
    run_cc(cmd, "compiling the parse test");
    let out = Command::new(&exe).output().unwrap();
    assert!(out.status.success(), "{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
}

/// A made-up schema full of awkward names and shapes: keywords, collisions with generated names,
/// an anonymous struct, an empty struct, `Vec<()>`, nested options of nested arrays.
#[test]
fn tricky_types_round_trip_with_spacetimedb_sats() {
    roundtrip("tricky", 0x5eed_0003);
}
