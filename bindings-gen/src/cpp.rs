//! The header-only C++17 wrapper.
use crate::model::Module;
use crate::Options;

pub fn wrapper(m: &Module, opts: &Options) -> String {
    crate::banner(m, opts, &format!("{}.hpp", m.prefix), "C++17 wrapper")
}
