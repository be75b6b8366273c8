//! Canonical names of 2.x modules: V10 lists definitions under their source names; the server
//! uses the name from the `ExplicitNames` section when there is one, else the source name
//! converted by the module's case-conversion policy (snake_case unless the module says none).

use std::collections::HashMap;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CasePolicy {
    /// Names are used as written.
    None,
    /// The 2.x default: `levelUp` → `level_up`, `add_u64` → `add_u_64`.
    #[default]
    SnakeCase,
}

impl CasePolicy {
    pub fn convert(self, name: &str) -> String {
        use convert_case::{Case, Casing};
        match self {
            CasePolicy::None => name.to_owned(),
            CasePolicy::SnakeCase => name.to_case(Case::Snake),
        }
    }
}

/// The `ExplicitNames` section: source name → canonical name, per kind of definition.
#[derive(Default)]
pub(crate) struct ExplicitNames {
    pub tables: HashMap<String, String>,
    pub functions: HashMap<String, String>,
    pub indexes: HashMap<String, String>,
}

impl ExplicitNames {
    pub fn table(&self, source: &str, policy: CasePolicy) -> String {
        self.tables.get(source).cloned().unwrap_or_else(|| policy.convert(source))
    }

    pub fn function(&self, source: &str, policy: CasePolicy) -> String {
        self.functions.get(source).cloned().unwrap_or_else(|| policy.convert(source))
    }

    /// Index names are generated from the table and column names and are not converted.
    pub fn index(&self, source: &str) -> String {
        self.indexes.get(source).cloned().unwrap_or_else(|| source.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snake_case_splits_words_and_digits_as_the_server_does() {
        let p = CasePolicy::SnakeCase;
        assert_eq!(p.convert("levelUp"), "level_up");
        assert_eq!(p.convert("add_u64"), "add_u_64");
        assert_eq!(p.convert("already_snake"), "already_snake");
        assert_eq!(CasePolicy::None.convert("levelUp"), "levelUp");
    }
}
