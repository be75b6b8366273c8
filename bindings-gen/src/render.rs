//! Rendering helpers shared by the modules that build templates.

/// Makes an enum whose variants each hold a template (the kinds of one construct: an array's,
/// option's, product's… definition) render as the template it holds.
macro_rules! display_by_kind {
    ($name:ident { $($kind:ident),* }) => {
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                match self {
                    $($name::$kind(t) => t.fmt(f),)*
                }
            }
        }
    };
}
pub(crate) use display_by_kind;

/// Renders a template, with the error as text.
pub fn render(t: &impl askama::Template) -> Result<String, String> {
    t.render().map_err(|e| format!("rendering a template: {e}"))
}
