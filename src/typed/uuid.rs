//! SpacetimeDB 2.x's `Uuid` special type (`{ __uuid__: u128 }`), which the 1.2.0 crates predate.

use spacetimedb_lib as __lib;

/// A UUID, as SpacetimeDB 2.x stores it: one `u128` (big-endian byte order when formatted).
#[derive(__lib::ser::Serialize, __lib::de::Deserialize, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[sats(crate = __lib)]
pub struct Uuid {
    __uuid__: u128,
}

impl Uuid {
    pub const NIL: Uuid = Uuid { __uuid__: 0 };

    pub fn from_u128(value: u128) -> Uuid {
        Uuid { __uuid__: value }
    }

    pub fn as_u128(&self) -> u128 {
        self.__uuid__
    }
}

impl std::fmt::Display for Uuid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let h = format!("{:032x}", self.__uuid__);
        write!(f, "{}-{}-{}-{}-{}", &h[..8], &h[8..12], &h[12..16], &h[16..20], &h[20..])
    }
}

impl std::fmt::Debug for Uuid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Uuid({self})")
    }
}
