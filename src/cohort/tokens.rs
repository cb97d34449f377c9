//! Python code as normalised tokens, for the similarity: parsed with tree-sitter's Python
//! grammar (error-tolerant, so broken code still yields tokens), identifiers and literals
//! replaced by placeholders, comments dropped. Notebooks contribute their code cells.

use serde::Serialize;

/// Files larger than this are not tokenised (a generated or data file, not code).
pub const MAX_SOURCE_BYTES: usize = 2 << 20;

/// One token: its normalised kind and where it is in the source text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Token {
    /// Hash of the normalised text: `ID` for any identifier, `LIT` for any literal, the
    /// keyword or operator itself otherwise.
    pub kind: u64,
    /// 1-based line in the source text.
    pub line: u32,
}

/// Whether a submission file is code the similarity reads.
pub fn is_code(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    lower.ends_with(".py") || lower.ends_with(".ipynb")
}

/// The code of a file as text: a script as it is, a notebook's code cells one after
/// another, each after a `# In[n]` line. `None` for a notebook that is not valid JSON.
pub fn code_text(path: &str, bytes: &[u8]) -> Option<String> {
    if path.to_ascii_lowercase().ends_with(".ipynb") {
        notebook_code(bytes)
    } else {
        Some(String::from_utf8_lossy(bytes).into_owned())
    }
}

/// A notebook's code cells (nbformat 4: `cells[].cell_type == "code"`, `source` a string
/// or a list of strings).
fn notebook_code(bytes: &[u8]) -> Option<String> {
    let notebook: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    let mut text = String::new();
    for (n, cell) in notebook
        .get("cells")?
        .as_array()?
        .iter()
        .filter(|c| c.get("cell_type").and_then(|t| t.as_str()) == Some("code"))
        .enumerate()
    {
        text.push_str(&format!("# In[{}]\n", n + 1));
        match cell.get("source") {
            Some(serde_json::Value::String(s)) => text.push_str(s),
            Some(serde_json::Value::Array(parts)) => {
                for part in parts.iter().filter_map(|p| p.as_str()) {
                    text.push_str(part);
                }
            }
            _ => {}
        }
        if !text.ends_with('\n') {
            text.push('\n');
        }
    }
    Some(text)
}

/// The normalised tokens of Python `source`. Empty for a source over
/// [`MAX_SOURCE_BYTES`] or one the parser gives up on.
pub fn python_tokens(source: &str) -> Vec<Token> {
    if source.len() > MAX_SOURCE_BYTES {
        return Vec::new();
    }
    let Some(tree) = crate::base::python_syntax::parse_python(source) else {
        return Vec::new();
    };
    let mut tokens = Vec::new();
    let mut cursor = tree.walk();
    // Depth-first over the tree; leaves (and literals, taken whole) are the tokens.
    'walk: loop {
        let node = cursor.node();
        let literal = matches!(
            node.kind(),
            "string" | "concatenated_string" | "integer" | "float" | "true" | "false" | "none"
        );
        let leaf = literal || node.child_count() == 0;
        if leaf {
            let text = match node.kind() {
                "comment" | "line_continuation" => None,
                _ if literal => Some("LIT"),
                "identifier" => Some("ID"),
                // Zero-width tokens the parser inserts to recover from errors.
                _ if node.start_byte() == node.end_byte() => None,
                kind => Some(kind),
            };
            if let Some(text) = text {
                tokens.push(Token {
                    kind: fnv1a(text.as_bytes()),
                    line: node.start_position().row as u32 + 1,
                });
            }
        } else if cursor.goto_first_child() {
            continue;
        }
        while !cursor.goto_next_sibling() {
            if !cursor.goto_parent() {
                break 'walk;
            }
        }
    }
    tokens
}

/// FNV-1a: a fixed hash, so fingerprints are the same on every machine and run.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(source: &str) -> Vec<u64> {
        python_tokens(source).iter().map(|t| t.kind).collect()
    }

    #[test]
    fn renamed_identifiers_changed_literals_and_comments_tokenise_the_same() {
        let a = "def total(xs):\n    # add them up\n    return sum(xs) + 1\n";
        let b = "def add_all(values):\n    return sum(values) + 42  # answer\n";
        assert_eq!(kinds(a), kinds(b));
        assert_ne!(kinds(a), kinds("def total(xs):\n    return sum(xs) - 1\n"));
        let tokens = python_tokens(a);
        assert_eq!(tokens.len(), 13, "{tokens:?}");
        assert_eq!(tokens.last().unwrap().line, 3);
    }

    #[test]
    fn strings_of_any_form_are_one_literal() {
        assert_eq!(
            kinds("x = f'{a} and {b}'\n"),
            kinds("x = \"\"\"a\nlong\ndocstring\"\"\"\n")
        );
        assert_eq!(kinds("x = 'a' 'b'\n"), kinds("x = 3.5\n"));
    }

    #[test]
    fn broken_code_still_gives_tokens() {
        let tokens = python_tokens("def broken(:\n    return )\nx = [1, 2\n");
        assert!(tokens.len() > 5, "{tokens:?}");
    }

    #[test]
    fn a_notebook_contributes_its_code_cells_only() {
        let notebook = serde_json::json!({
            "nbformat": 4, "nbformat_minor": 5, "metadata": {},
            "cells": [
                {"cell_type": "markdown", "metadata": {}, "source": ["# Title\n", "prose"]},
                {"cell_type": "code", "metadata": {}, "source": ["import math\n", "x = 1"], "outputs": []},
                {"cell_type": "code", "metadata": {}, "source": "print(x)", "outputs": []},
            ]
        });
        let text = code_text("analysis.ipynb", notebook.to_string().as_bytes()).unwrap();
        assert_eq!(text, "# In[1]\nimport math\nx = 1\n# In[2]\nprint(x)\n");
        assert!(code_text("bad.ipynb", b"{not json").is_none());
        assert!(is_code("a/B.PY") && is_code("n.ipynb") && !is_code("REPORT.md"));
    }
}
