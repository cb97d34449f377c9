//! Python source as a syntax tree: tree-sitter's Python grammar, which keeps going over
//! broken code (a notebook's magic lines, a half-written cell) and marks it as errors.

/// The syntax tree of `source`; `None` only when the parser gives up.
pub fn parse_python(source: &str) -> Option<tree_sitter::Tree> {
    let mut parser = tree_sitter::Parser::new();
    parser
        .set_language(&tree_sitter_python::LANGUAGE.into())
        .ok()?;
    parser.parse(source, None)
}
