{{ banner }}

use super::__sdk::{self, __lib};
#[allow(unused_imports)]
use super::*;

/// The module's type `{{ display }}`.
#[derive(__lib::ser::Serialize, __lib::de::Deserialize, Clone, PartialEq, Debug)]
#[sats(crate = __lib)]
pub struct {{ name }} {
{%- for f in fields %}
    /// `{{ f.name }}`
    pub {{ f.ident }}: {{ f.ty }},
{%- endfor %}
}

impl __sdk::InModule for {{ name }} {
    type Module = super::RemoteModule;
}
