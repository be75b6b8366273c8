//! Column and argument types compiled from the module's typespace, and the walks over BSATN bytes
//! that the cache and the reducer calls need: validating a value, finding a column's bytes inside
//! a row, and turning a value into an order-preserving key for btree indexes.

use spacetimedb_sats::{AlgebraicType, Typespace};
use std::ops::Range;

/// A type with every `Ref` resolved to an index into [`TypeTable`], so walks never search by name.
#[derive(Clone, Debug, PartialEq)]
pub enum Ty {
    Bool,
    I8,
    U8,
    I16,
    U16,
    I32,
    U32,
    I64,
    U64,
    I128,
    U128,
    I256,
    U256,
    F32,
    F64,
    String,
    Array(Box<Ty>),
    Product(Vec<Ty>),
    Sum(Vec<Ty>),
    /// A typespace entry, kept indirect so recursive types terminate.
    Ref(u32),
}

/// Deepest nesting a value may have; a hostile or recursive value beyond it is rejected.
const MAX_DEPTH: u32 = 64;

/// The module's types, compiled once at connect.
#[derive(Clone, Debug, Default)]
pub struct TypeTable {
    types: Vec<Ty>,
}

impl TypeTable {
    pub fn new(typespace: &Typespace) -> Result<TypeTable, String> {
        let types = typespace.types.iter().map(|t| compile(t, typespace.types.len())).collect::<Result<_, _>>()?;
        Ok(TypeTable { types })
    }

    pub fn compile(&self, ty: &AlgebraicType) -> Result<Ty, String> {
        compile(ty, self.types.len())
    }

    /// Follows refs until a structural type is reached.
    pub fn resolve<'a>(&'a self, mut ty: &'a Ty) -> &'a Ty {
        let mut hops = 0;
        while let Ty::Ref(r) = ty {
            ty = &self.types[*r as usize];
            hops += 1;
            if hops > self.types.len() {
                break; // a ref cycle without structure; walks reject it by depth
            }
        }
        ty
    }

    /// Checks that `bytes` is exactly one well-formed value of `ty`.
    pub fn validate(&self, ty: &Ty, bytes: &[u8]) -> Result<(), String> {
        let end = self.skip(ty, bytes, 0, 0)?;
        if end != bytes.len() {
            return Err(format!("{} trailing bytes after the value", bytes.len() - end));
        }
        Ok(())
    }

    /// Returns the position just past the value of `ty` starting at `pos`.
    pub fn skip(&self, ty: &Ty, bytes: &[u8], pos: usize, depth: u32) -> Result<usize, String> {
        if depth > MAX_DEPTH {
            return Err("value nested too deeply".into());
        }
        let need = |n: usize| -> Result<usize, String> {
            if bytes.len() - pos.min(bytes.len()) < n {
                Err(format!("truncated: needed {n} bytes at offset {pos}, {} left", bytes.len().saturating_sub(pos)))
            } else {
                Ok(pos + n)
            }
        };
        match ty {
            Ty::Bool => {
                let end = need(1)?;
                match bytes[pos] {
                    0 | 1 => Ok(end),
                    b => Err(format!("invalid bool byte {b} at offset {pos}")),
                }
            }
            Ty::I8 | Ty::U8 => need(1),
            Ty::I16 | Ty::U16 => need(2),
            Ty::I32 | Ty::U32 | Ty::F32 => need(4),
            Ty::I64 | Ty::U64 | Ty::F64 => need(8),
            Ty::I128 | Ty::U128 => need(16),
            Ty::I256 | Ty::U256 => need(32),
            Ty::String => {
                let start = need(4)?;
                let len = u32::from_le_bytes(bytes[pos..start].try_into().unwrap()) as usize;
                let end = start
                    .checked_add(len)
                    .filter(|e| *e <= bytes.len())
                    .ok_or_else(|| format!("truncated string of {len} bytes at offset {pos}"))?;
                std::str::from_utf8(&bytes[start..end]).map_err(|_| format!("invalid UTF-8 in string at offset {pos}"))?;
                Ok(end)
            }
            Ty::Array(elem) => {
                let mut at = need(4)?;
                let n = u32::from_le_bytes(bytes[pos..at].try_into().unwrap()) as usize;
                // Skipping by size is only a validation when every byte pattern is a valid element.
                if let Some(size) = self.fixed_size(elem).filter(|_| self.any_bytes_valid(elem, depth + 1)) {
                    let len = n.checked_mul(size).ok_or("array too large")?;
                    return at
                        .checked_add(len)
                        .filter(|e| *e <= bytes.len())
                        .ok_or_else(|| format!("truncated array of {n} elements at offset {pos}"));
                }
                for _ in 0..n {
                    at = self.skip(elem, bytes, at, depth + 1)?;
                }
                Ok(at)
            }
            Ty::Product(fields) => {
                let mut at = pos;
                for f in fields {
                    at = self.skip(f, bytes, at, depth + 1)?;
                }
                Ok(at)
            }
            Ty::Sum(variants) => {
                let at = need(1)?;
                let tag = bytes[pos];
                let variant = variants.get(tag as usize).ok_or_else(|| format!("invalid sum tag {tag} at offset {pos}"))?;
                self.skip(variant, bytes, at, depth + 1)
            }
            Ty::Ref(r) => self.skip(&self.types[*r as usize], bytes, pos, depth + 1),
        }
    }

    /// Whether every byte string of the type's (fixed) size is a valid value: no bool bytes or sum
    /// tags to check.
    fn any_bytes_valid(&self, ty: &Ty, depth: u32) -> bool {
        if depth > MAX_DEPTH {
            return false;
        }
        match ty {
            Ty::Bool | Ty::String | Ty::Array(_) | Ty::Sum(_) => false,
            Ty::Product(fields) => fields.iter().all(|f| self.any_bytes_valid(f, depth + 1)),
            Ty::Ref(r) => self.any_bytes_valid(&self.types[*r as usize], depth + 1),
            _ => true,
        }
    }

    /// The BSATN size of `ty` when every value has the same size.
    pub fn fixed_size(&self, ty: &Ty) -> Option<usize> {
        self.fixed_size_at(ty, 0)
    }

    fn fixed_size_at(&self, ty: &Ty, depth: u32) -> Option<usize> {
        if depth > MAX_DEPTH {
            return None;
        }
        match ty {
            Ty::Bool | Ty::I8 | Ty::U8 => Some(1),
            Ty::I16 | Ty::U16 => Some(2),
            Ty::I32 | Ty::U32 | Ty::F32 => Some(4),
            Ty::I64 | Ty::U64 | Ty::F64 => Some(8),
            Ty::I128 | Ty::U128 => Some(16),
            Ty::I256 | Ty::U256 => Some(32),
            Ty::String | Ty::Array(_) => None,
            Ty::Product(fields) => fields.iter().try_fold(0, |acc, f| Some(acc + self.fixed_size_at(f, depth + 1)?)),
            Ty::Sum(variants) => {
                // Fixed only when every payload has the same size (e.g. C-like enums).
                let mut size = None;
                for v in variants {
                    let s = self.fixed_size_at(v, depth + 1)?;
                    if size.is_some_and(|prev| prev != s) {
                        return None;
                    }
                    size = Some(s);
                }
                Some(1 + size.unwrap_or(0))
            }
            Ty::Ref(r) => self.fixed_size_at(&self.types[*r as usize], depth + 1),
        }
    }

    /// Appends an order-preserving encoding of the value at `bytes[pos..]` to `out`, so that byte
    /// order of encodings equals SpacetimeDB's order of values; returns the end of the value.
    ///
    /// Integers become big-endian (sign bit flipped), floats use the usual sign-flip trick with
    /// -0.0 folded into +0.0, strings and arrays are made prefix-free (escaped zero bytes and a
    /// terminator; a continuation byte per element), sums start with their tag and products
    /// concatenate their fields. Every encoding is prefix-free, so encodings of column tuples
    /// compare like the tuples and a column prefix is a byte prefix.
    pub fn order_key(&self, ty: &Ty, bytes: &[u8], pos: usize, out: &mut Vec<u8>, depth: u32) -> Result<usize, String> {
        if depth > MAX_DEPTH {
            return Err("value nested too deeply".into());
        }
        let end = self.skip(self.resolve(ty), bytes, pos, depth)?;
        let v = &bytes[pos..end];
        let be_flipped = |out: &mut Vec<u8>, signed: bool| {
            let start = out.len();
            out.extend(v.iter().rev());
            if signed {
                out[start] ^= 0x80;
            }
        };
        match self.resolve(ty) {
            Ty::Bool | Ty::U8 | Ty::U16 | Ty::U32 | Ty::U64 | Ty::U128 | Ty::U256 => be_flipped(out, false),
            Ty::I8 | Ty::I16 | Ty::I32 | Ty::I64 | Ty::I128 | Ty::I256 => be_flipped(out, true),
            Ty::F32 => {
                let f = f32::from_le_bytes(v.try_into().unwrap());
                let bits = if f == 0.0 {
                    0
                } else if f.is_nan() {
                    f32::NAN.to_bits()
                } else {
                    f.to_bits()
                };
                let key = if bits >> 31 == 1 { !bits } else { bits | (1 << 31) };
                out.extend_from_slice(&key.to_be_bytes());
            }
            Ty::F64 => {
                let f = f64::from_le_bytes(v.try_into().unwrap());
                let bits = if f == 0.0 {
                    0
                } else if f.is_nan() {
                    f64::NAN.to_bits()
                } else {
                    f.to_bits()
                };
                let key = if bits >> 63 == 1 { !bits } else { bits | (1 << 63) };
                out.extend_from_slice(&key.to_be_bytes());
            }
            Ty::String => {
                for &b in &v[4..] {
                    out.push(b);
                    if b == 0 {
                        out.push(0xff);
                    }
                }
                out.extend_from_slice(&[0, 0]);
            }
            Ty::Array(elem) => {
                let n = u32::from_le_bytes(v[..4].try_into().unwrap()) as usize;
                let mut at = pos + 4;
                for _ in 0..n {
                    out.push(1);
                    at = self.order_key(elem, bytes, at, out, depth + 1)?;
                }
                out.push(0);
            }
            Ty::Product(fields) => {
                let mut at = pos;
                for f in fields {
                    at = self.order_key(f, bytes, at, out, depth + 1)?;
                }
            }
            Ty::Sum(variants) => {
                let tag = bytes[pos];
                out.push(tag);
                self.order_key(&variants[tag as usize], bytes, pos + 1, out, depth + 1)?;
            }
            Ty::Ref(_) => return Err("unresolvable type reference cycle".into()),
        }
        Ok(end)
    }

    /// Byte range of top-level field `col` in a row whose fields have the types `row`.
    pub fn field_range(&self, row: &[Ty], bytes: &[u8], col: usize) -> Result<Range<usize>, String> {
        let mut at = 0;
        for f in &row[..col] {
            at = self.skip(f, bytes, at, 1)?;
        }
        let end = self.skip(&row[col], bytes, at, 1)?;
        Ok(at..end)
    }
}

fn compile(ty: &AlgebraicType, n_types: usize) -> Result<Ty, String> {
    Ok(match ty {
        AlgebraicType::Ref(r) => {
            if r.idx() >= n_types {
                return Err(format!("type reference {} is outside the typespace of {n_types} types", r.idx()));
            }
            Ty::Ref(r.idx() as u32)
        }
        AlgebraicType::Sum(s) => {
            Ty::Sum(s.variants.iter().map(|v| compile(&v.algebraic_type, n_types)).collect::<Result<_, _>>()?)
        }
        AlgebraicType::Product(p) => {
            Ty::Product(p.elements.iter().map(|e| compile(&e.algebraic_type, n_types)).collect::<Result<_, _>>()?)
        }
        AlgebraicType::Array(a) => Ty::Array(Box::new(compile(&a.elem_ty, n_types)?)),
        AlgebraicType::String => Ty::String,
        AlgebraicType::Bool => Ty::Bool,
        AlgebraicType::I8 => Ty::I8,
        AlgebraicType::U8 => Ty::U8,
        AlgebraicType::I16 => Ty::I16,
        AlgebraicType::U16 => Ty::U16,
        AlgebraicType::I32 => Ty::I32,
        AlgebraicType::U32 => Ty::U32,
        AlgebraicType::I64 => Ty::I64,
        AlgebraicType::U64 => Ty::U64,
        AlgebraicType::I128 => Ty::I128,
        AlgebraicType::U128 => Ty::U128,
        AlgebraicType::I256 => Ty::I256,
        AlgebraicType::U256 => Ty::U256,
        AlgebraicType::F32 => Ty::F32,
        AlgebraicType::F64 => Ty::F64,
    })
}

/// Whether `a` (in `ta`) and `b` (in `tb`) describe the same BSATN layout, following refs in
/// each typespace. Names do not matter to the bytes, so only structure is compared.
pub fn same_layout(ta: &TypeTable, a: &Ty, tb: &TypeTable, b: &Ty) -> bool {
    fn go(ta: &TypeTable, a: &Ty, tb: &TypeTable, b: &Ty, depth: u32) -> bool {
        if depth > MAX_DEPTH {
            return true; // recursive types: equal so far, equal enough
        }
        match (ta.resolve(a), tb.resolve(b)) {
            (Ty::Array(x), Ty::Array(y)) => go(ta, x, tb, y, depth + 1),
            (Ty::Product(xs), Ty::Product(ys)) | (Ty::Sum(xs), Ty::Sum(ys)) => {
                xs.len() == ys.len() && xs.iter().zip(ys).all(|(x, y)| go(ta, x, tb, y, depth + 1))
            }
            // Same-kind composites were handled above; leaves match by kind.
            (x, y) => std::mem::discriminant(x) == std::mem::discriminant(y),
        }
    }
    go(ta, a, tb, b, 0)
}

/// The smallest byte string greater than every string that starts with `prefix`
/// (`None` when no such string exists, i.e. the prefix is all 0xff).
pub fn prefix_successor(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut out = prefix.to_vec();
    while let Some(last) = out.pop() {
        if last != 0xff {
            out.push(last + 1);
            return Some(out);
        }
    }
    None
}
