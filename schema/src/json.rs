//! Reading SATS-JSON values by hand: products are objects, sums are one-key objects
//! (`{"Variant": payload}`), options are `{"some": v}` / `{"none": []}`. Every error names the
//! path it was found at, so a schema that does not parse says where.

use serde_json::Value;
use spacetimedb_sats::{AlgebraicType, ProductType};

pub(crate) type Result<T> = std::result::Result<T, String>;

/// A JSON object with the path it sits at, for error messages.
#[derive(Clone)]
pub(crate) struct Obj<'a> {
    pub path: String,
    map: &'a serde_json::Map<String, Value>,
}

pub(crate) fn obj<'a>(v: &'a Value, path: &str) -> Result<Obj<'a>> {
    v.as_object().map(|map| Obj { path: path.to_owned(), map }).ok_or_else(|| format!("{path}: expected an object"))
}

impl<'a> Obj<'a> {
    pub fn get(&self, field: &str) -> Result<&'a Value> {
        self.map.get(field).ok_or_else(|| format!("{}: missing field `{field}`", self.path))
    }

    pub fn opt(&self, field: &str) -> Option<&'a Value> {
        self.map.get(field)
    }

    pub fn str(&self, field: &str) -> Result<String> {
        as_str(self.get(field)?, &format!("{}.{field}", self.path))
    }

    pub fn u32(&self, field: &str) -> Result<u32> {
        as_u32(self.get(field)?, &format!("{}.{field}", self.path))
    }

    pub fn bool(&self, field: &str) -> Result<bool> {
        self.get(field)?.as_bool().ok_or_else(|| format!("{}.{field}: expected a boolean", self.path))
    }

    pub fn array(&self, field: &str) -> Result<&'a [Value]> {
        as_array(self.get(field)?, &format!("{}.{field}", self.path))
    }

    /// An `Option<String>` field (absent counts as none).
    pub fn opt_str(&self, field: &str) -> Result<Option<String>> {
        match self.opt(field) {
            None => Ok(None),
            Some(v) => option(v, &format!("{}.{field}", self.path))?.map(|s| as_str(s, field)).transpose(),
        }
    }

    pub fn cols(&self, field: &str) -> Result<Vec<u16>> {
        col_list(self.get(field)?, &format!("{}.{field}", self.path))
    }

    pub fn ty(&self, field: &str) -> Result<AlgebraicType> {
        algebraic_type(self.get(field)?, &format!("{}.{field}", self.path))
    }

    pub fn product(&self, field: &str) -> Result<ProductType> {
        let path = format!("{}.{field}", self.path);
        serde_json::from_value::<spacetimedb_sats::serde::SerdeWrapper<ProductType>>(self.get(field)?.clone())
            .map(|w| w.0)
            .map_err(|e| format!("{path}: not a product type: {e}"))
    }
}

pub(crate) fn as_str(v: &Value, path: &str) -> Result<String> {
    v.as_str().map(str::to_owned).ok_or_else(|| format!("{path}: expected a string"))
}

pub(crate) fn as_u32(v: &Value, path: &str) -> Result<u32> {
    v.as_u64().and_then(|n| u32::try_from(n).ok()).ok_or_else(|| format!("{path}: expected a 32-bit unsigned integer"))
}

pub(crate) fn as_array<'a>(v: &'a Value, path: &str) -> Result<&'a [Value]> {
    v.as_array().map(Vec::as_slice).ok_or_else(|| format!("{path}: expected an array"))
}

/// A sum value: its variant name and payload.
pub(crate) fn variant<'a>(v: &'a Value, path: &str) -> Result<(&'a str, &'a Value)> {
    match v.as_object() {
        Some(m) if m.len() == 1 => {
            let (k, v) = m.iter().next().expect("one entry");
            Ok((k.as_str(), v))
        }
        _ => Err(format!("{path}: expected a sum value (an object with one key)")),
    }
}

pub(crate) fn option<'a>(v: &'a Value, path: &str) -> Result<Option<&'a Value>> {
    match variant(v, path)? {
        ("some", inner) => Ok(Some(inner)),
        ("none", _) => Ok(None),
        (other, _) => Err(format!("{path}: expected an option, found variant `{other}`")),
    }
}

pub(crate) fn col_list(v: &Value, path: &str) -> Result<Vec<u16>> {
    as_array(v, path)?
        .iter()
        .map(|c| c.as_u64().and_then(|n| u16::try_from(n).ok()).ok_or_else(|| format!("{path}: expected column numbers")))
        .collect()
}

pub(crate) fn col(v: &Value, path: &str) -> Result<u16> {
    v.as_u64().and_then(|n| u16::try_from(n).ok()).ok_or_else(|| format!("{path}: expected a column number"))
}

pub(crate) fn algebraic_type(v: &Value, path: &str) -> Result<AlgebraicType> {
    serde_json::from_value::<spacetimedb_sats::serde::SerdeWrapper<AlgebraicType>>(v.clone())
        .map(|w| w.0)
        .map_err(|e| format!("{path}: not an algebraic type: {e}"))
}

/// SATS-JSON byte strings are hex.
pub(crate) fn hex_bytes(v: &Value, path: &str) -> Result<Vec<u8>> {
    let s = v.as_str().ok_or_else(|| format!("{path}: expected a hex byte string"))?;
    if s.len() % 2 != 0 {
        return Err(format!("{path}: odd-length hex byte string"));
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).map_err(|_| format!("{path}: invalid hex byte string")))
        .collect()
}
