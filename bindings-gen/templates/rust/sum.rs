{{ banner }}

use super::__sdk::{self, __lib};
#[allow(unused_imports)]
use super::*;

/// The module's type `{{ display }}`.
{%- if plain %}
#[derive(__lib::ser::Serialize, __lib::de::Deserialize, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
{%- else %}
#[derive(__lib::ser::Serialize, __lib::de::Deserialize, Clone, PartialEq, Debug)]
#[allow(clippy::large_enum_variant)]
{%- endif %}
#[sats(crate = __lib)]
pub enum {{ name }} {
{%- for v in variants %}
    /// `{{ v.name }}`
{%- match v.payload %}
{%- when Some with (p) %}
    {{ v.ident }}({{ p }}),
{%- when None %}
    {{ v.ident }},
{%- endmatch %}
{%- endfor %}
}

impl __sdk::InModule for {{ name }} {
    type Module = super::RemoteModule;
}
