//! Reading a spanned TOML document key by key, recording every problem with its place.

use std::ops::Range;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::problem::Doc;

/// Byte range in the TOML text.
pub(crate) type Span = Range<usize>;

/// A value with the span it came from.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct At<T> {
    pub value: T,
    pub span: Span,
}

/// A table being read: keys asked for are known; the rest are reported by [`Table::finish`].
pub(crate) struct Table<'t, 'i> {
    /// Dotted prefix for keys in messages (`scoring.`), empty at the top level.
    prefix: String,
    /// How the table is named in messages (`[scoring]`, `the top level`).
    name: String,
    table: &'t DeTable<'i>,
    span: Span,
    known: Vec<&'static str>,
}

/// A value found under a key.
pub(crate) struct Value<'t, 'i> {
    /// Full dotted key, for messages (`rubric[0].weight`).
    pub key: String,
    pub key_span: Span,
    pub value: &'t Spanned<DeValue<'i>>,
}

impl<'t, 'i> Table<'t, 'i> {
    /// The document's top-level table.
    pub fn root(doc: &'t Spanned<DeTable<'i>>) -> Table<'t, 'i> {
        // The root's span is 0..0, which places "missing key" problems at line 1, column 1.
        Table::new(String::new(), "the top level".into(), doc.get_ref(), 0..0)
    }

    fn new(prefix: String, name: String, table: &'t DeTable<'i>, span: Span) -> Table<'t, 'i> {
        Table {
            prefix,
            name,
            table,
            span,
            known: Vec::new(),
        }
    }

    /// Where the table starts (its `[header]`), for problems with the table as a whole.
    pub fn span(&self) -> Span {
        self.span.clone()
    }

    /// The value of `key`, if present.
    pub fn optional(&mut self, key: &'static str) -> Option<Value<'t, 'i>> {
        self.known.push(key);
        let (k, value) = self.table.iter().find(|(k, _)| k.get_ref() == key)?;
        Some(Value {
            key: format!("{}{key}", self.prefix),
            key_span: k.span(),
            value,
        })
    }

    /// The value of `key`; if absent, a problem at the table's start.
    pub fn required(&mut self, doc: &mut Doc, key: &'static str) -> Option<Value<'t, 'i>> {
        let value = self.optional(key);
        if value.is_none() {
            doc.at(
                &self.span,
                format!(
                    "missing required key `{}{key}` in {}",
                    self.prefix, self.name
                ),
            );
        }
        value
    }

    /// Reports every key that was never asked for, at the key.
    pub fn finish(self, doc: &mut Doc) {
        for (k, _) in self.table.iter() {
            if !self.known.contains(&k.get_ref().as_ref()) {
                doc.at(
                    &k.span(),
                    format!(
                        "unknown key `{}{}` in {} (expected one of: {})",
                        self.prefix,
                        k.get_ref(),
                        self.name,
                        self.known.join(", ")
                    ),
                );
            }
        }
    }
}

impl<'t, 'i> Value<'t, 'i> {
    pub fn span(&self) -> Span {
        self.value.span()
    }

    fn wrong_type(&self, doc: &mut Doc, expected: &str) {
        let found = self.value.get_ref().type_str();
        doc.at(
            &self.span(),
            format!("`{}` must be {expected}, found {found}", self.key),
        );
    }

    /// A string.
    pub fn string(&self, doc: &mut Doc) -> Option<At<String>> {
        match self.value.get_ref() {
            DeValue::String(s) => Some(At {
                value: s.to_string(),
                span: self.span(),
            }),
            _ => {
                self.wrong_type(doc, "a string");
                None
            }
        }
    }

    /// A non-empty string.
    pub fn text(&self, doc: &mut Doc) -> Option<At<String>> {
        let text = self.string(doc)?;
        if text.value.trim().is_empty() {
            doc.at(&text.span, format!("`{}` must not be empty", self.key));
            return None;
        }
        Some(text)
    }

    /// A string turned into `T` by `parse`, whose error message is reported at the value.
    pub fn parse<T>(
        &self,
        doc: &mut Doc,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<T> {
        let text = self.string(doc)?;
        parse(&text.value)
            .map_err(|e| doc.at(&text.span, format!("`{}`: {e}", self.key)))
            .ok()
    }

    /// An integer.
    pub fn integer(&self, doc: &mut Doc) -> Option<i64> {
        match self.value.get_ref() {
            DeValue::Integer(i) => {
                let n = i64::from_str_radix(i.as_str(), i.radix()).ok();
                if n.is_none() {
                    doc.at(&self.span(), format!("`{}` is too large", self.key));
                }
                n
            }
            _ => {
                self.wrong_type(doc, "an integer");
                None
            }
        }
    }

    /// An integer in `min..=max`.
    pub fn integer_in(&self, doc: &mut Doc, min: i64, max: i64) -> Option<i64> {
        let n = self.integer(doc)?;
        if n < min {
            doc.at(
                &self.span(),
                format!("`{}` must be at least {min}, found {n}", self.key),
            );
            return None;
        }
        if n > max {
            doc.at(
                &self.span(),
                format!("`{}` must be at most {max}, found {n}", self.key),
            );
            return None;
        }
        Some(n)
    }

    /// A boolean.
    pub fn boolean(&self, doc: &mut Doc) -> Option<bool> {
        match self.value.get_ref() {
            DeValue::Boolean(b) => Some(*b),
            _ => {
                self.wrong_type(doc, "true or false");
                None
            }
        }
    }

    /// A finite float; an integer is accepted too (`tolerance = 0`).
    pub fn float(&self, doc: &mut Doc) -> Option<f64> {
        let value = match self.value.get_ref() {
            DeValue::Float(f) => f.as_str().parse::<f64>().ok(),
            DeValue::Integer(i) => i64::from_str_radix(i.as_str(), i.radix())
                .ok()
                .map(|n| n as f64),
            _ => {
                self.wrong_type(doc, "a number");
                return None;
            }
        };
        match value {
            Some(v) if v.is_finite() => Some(v),
            _ => {
                doc.at(
                    &self.span(),
                    format!("`{}` must be a finite number", self.key),
                );
                None
            }
        }
    }

    /// An array of strings; each non-string element is reported at the element.
    pub fn strings(&self, doc: &mut Doc) -> Option<Vec<At<String>>> {
        let DeValue::Array(items) = self.value.get_ref() else {
            self.wrong_type(doc, "an array of strings");
            return None;
        };
        let mut out = Vec::new();
        let mut ok = true;
        for (i, item) in items.iter().enumerate() {
            match item.get_ref() {
                DeValue::String(s) => out.push(At {
                    value: s.to_string(),
                    span: item.span(),
                }),
                other => {
                    let found = other.type_str();
                    doc.at(
                        &item.span(),
                        format!("`{}[{i}]` must be a string, found {found}", self.key),
                    );
                    ok = false;
                }
            }
        }
        ok.then_some(out)
    }

    /// One string or a non-empty array of strings (`entry = "main.py"` or
    /// `entry = ["a.ipynb", "b.ipynb"]`); each must be non-empty.
    pub fn one_or_many(&self, doc: &mut Doc) -> Option<Vec<At<String>>> {
        let items = match self.value.get_ref() {
            DeValue::String(_) => vec![self.string(doc)?],
            DeValue::Array(_) => self.strings(doc)?,
            _ => {
                self.wrong_type(doc, "a string or an array of strings");
                return None;
            }
        };
        if items.is_empty() {
            doc.at(
                &self.span(),
                format!("`{}` must name at least one file", self.key),
            );
            return None;
        }
        let empty = items.iter().filter(|s| s.value.trim().is_empty()).count();
        for item in items.iter().filter(|s| s.value.trim().is_empty()) {
            doc.at(&item.span, format!("`{}` must not be empty", self.key));
        }
        (empty == 0).then_some(items)
    }

    /// A table, read with `[key]` as its name.
    pub fn table(&self, doc: &mut Doc) -> Option<Table<'t, 'i>> {
        match self.value.get_ref() {
            DeValue::Table(t) => Some(Table::new(
                format!("{}.", self.key),
                format!("[{}]", self.key),
                t,
                self.span(),
            )),
            _ => {
                self.wrong_type(doc, "a table");
                None
            }
        }
    }

    /// An array of tables (`[[key]]`), each named `key[i]` (0-based) in messages.
    pub fn tables(&self, doc: &mut Doc) -> Option<Vec<Table<'t, 'i>>> {
        let DeValue::Array(items) = self.value.get_ref() else {
            self.wrong_type(doc, &format!("an array of tables ([[{}]])", self.key));
            return None;
        };
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            match item.get_ref() {
                DeValue::Table(t) => {
                    let key = format!("{}[{i}]", self.key);
                    out.push(Table::new(format!("{key}."), key, t, item.span()));
                }
                other => {
                    let found = other.type_str();
                    doc.at(
                        &item.span(),
                        format!("`{}[{i}]` must be a table, found {found}", self.key),
                    );
                }
            }
        }
        Some(out)
    }
}

/// Parses `text` as TOML, recording every syntax error. `None` if there was any.
pub(crate) fn parse<'i>(doc: &mut Doc, text: &'i str) -> Option<Spanned<DeTable<'i>>> {
    let (table, errors) = DeTable::parse_recoverable(text);
    for error in &errors {
        let span = error.span().unwrap_or(0..0);
        let mut message = format!("TOML syntax: {}", error.message().trim());
        // Quote what the error points at (e.g. which key is duplicated) when it is short.
        if let Some(found) = text
            .get(span.clone())
            .filter(|t| !t.is_empty() && t.len() <= 40 && !t.contains('\n'))
        {
            message.push_str(&format!(" (at `{found}`)"));
        }
        doc.at(&span, message);
    }
    errors.is_empty().then_some(table)
}

/// Checks that `path` is a relative path that stays inside its folder.
pub(crate) fn relative_path(doc: &mut Doc, key: &str, path: &At<String>) -> bool {
    let p = std::path::Path::new(&path.value);
    let inside = !path.value.is_empty()
        && !path.value.contains('\\')
        && p.components()
            .all(|c| matches!(c, std::path::Component::Normal(_)));
    if !inside {
        doc.at(
            &path.span,
            format!("`{key}` must be a relative path inside the folder (no `/` start, `.` or `..`), found `{}`", path.value),
        );
    }
    inside
}
