//! Notebooks in nbformat 4, read and written with serde: cells, outputs, MIME bundles. Unknown
//! keys are kept as they were.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::MAX_NOTEBOOK_BYTES;
use crate::record::CellOutput;

/// Text that nbformat stores either as one string or as a list of lines.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Text(pub String);

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Either {
            One(String),
            Lines(Vec<String>),
        }
        Ok(Text(match Either::deserialize(d)? {
            Either::One(s) => s,
            Either::Lines(lines) => lines.concat(),
        }))
    }
}

impl Serialize for Text {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.split_inclusive('\n'))
    }
}

/// A notebook in nbformat 4. Unknown top-level keys are kept as they were.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Notebook {
    pub nbformat: u32,
    pub nbformat_minor: u32,
    #[serde(default)]
    pub metadata: Map<String, Value>,
    pub cells: Vec<Cell>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "cell_type", rename_all = "lowercase")]
pub enum Cell {
    Code {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<String>,
        #[serde(default)]
        metadata: Map<String, Value>,
        source: Text,
        #[serde(default)]
        execution_count: Option<u64>,
        #[serde(default)]
        outputs: Vec<Output>,
    },
    Markdown {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<String>,
        #[serde(default)]
        metadata: Map<String, Value>,
        source: Text,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        attachments: Option<Value>,
    },
    Raw {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<String>,
        #[serde(default)]
        metadata: Map<String, Value>,
        source: Text,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        attachments: Option<Value>,
    },
}

impl Cell {
    pub fn source(&self) -> &str {
        match self {
            Cell::Code { source, .. }
            | Cell::Markdown { source, .. }
            | Cell::Raw { source, .. } => &source.0,
        }
    }

    pub(super) fn tags(&self) -> Vec<String> {
        let metadata = match self {
            Cell::Code { metadata, .. }
            | Cell::Markdown { metadata, .. }
            | Cell::Raw { metadata, .. } => metadata,
        };
        metadata
            .get("tags")
            .and_then(Value::as_array)
            .map(|tags| {
                tags.iter()
                    .filter_map(|t| t.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// A MIME bundle: type → data (text as a string or list of lines, JSON as it is).
pub type Bundle = BTreeMap<String, Value>;

/// One output of a code cell.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "output_type", rename_all = "snake_case")]
pub enum Output {
    Stream {
        name: String,
        text: Text,
    },
    DisplayData {
        #[serde(default)]
        data: Bundle,
        #[serde(default)]
        metadata: Map<String, Value>,
    },
    ExecuteResult {
        #[serde(default)]
        execution_count: Option<u64>,
        #[serde(default)]
        data: Bundle,
        #[serde(default)]
        metadata: Map<String, Value>,
    },
    Error {
        ename: String,
        evalue: String,
        #[serde(default)]
        traceback: Vec<String>,
    },
}

impl Output {
    pub fn output_type(&self) -> &'static str {
        match self {
            Output::Stream { .. } => "stream",
            Output::DisplayData { .. } => "display_data",
            Output::ExecuteResult { .. } => "execute_result",
            Output::Error { .. } => "error",
        }
    }

    pub fn data(&self) -> Option<&Bundle> {
        match self {
            Output::DisplayData { data, .. } | Output::ExecuteResult { data, .. } => Some(data),
            _ => None,
        }
    }

    pub(super) fn summary(&self) -> CellOutput {
        CellOutput {
            output_type: self.output_type().to_string(),
            mime: self
                .data()
                .map(|d| d.keys().cloned().collect())
                .unwrap_or_default(),
        }
    }
}

/// The text of a MIME value stored as a string or as a list of lines.
pub fn mime_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Array(lines) => lines
            .iter()
            .map(|l| l.as_str())
            .collect::<Option<Vec<_>>>()
            .map(|l| l.concat()),
        _ => None,
    }
}

/// Reads a notebook, refusing anything that is not nbformat 4 with a message naming the file.
pub fn read(path: &Path) -> anyhow::Result<Notebook> {
    let size = std::fs::metadata(path)
        .with_context(|| format!("cannot open {}", path.display()))?
        .len();
    if size > MAX_NOTEBOOK_BYTES {
        bail!(
            "{}: {size} bytes is larger than the {} accepted for a notebook",
            path.display(),
            crate::sandbox::Bytes(MAX_NOTEBOOK_BYTES)
        );
    }
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    parse(&bytes).with_context(|| format!("{} is not a notebook we can run", path.display()))
}

/// Parses notebook bytes (nbformat 4 only).
pub fn parse(bytes: &[u8]) -> anyhow::Result<Notebook> {
    let value: Value = serde_json::from_slice(bytes).context("not JSON")?;
    match value.get("nbformat").and_then(Value::as_u64) {
        Some(4) => {}
        Some(other) => bail!(
            "nbformat {other}: only nbformat 4 is supported (open and save it in a current Jupyter to upgrade it)"
        ),
        None => bail!("no `nbformat` number: this JSON is not a Jupyter notebook"),
    }
    serde_json::from_value(value).context("not valid nbformat 4")
}

/// The notebook as nbformat 4 JSON, one-space indent as Jupyter writes it.
pub fn to_json(notebook: &Notebook) -> String {
    let mut buf = Vec::new();
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b" ");
    let mut serializer = serde_json::Serializer::with_formatter(&mut buf, formatter);
    notebook
        .serialize(&mut serializer)
        .expect("notebooks serialise");
    buf.push(b'\n');
    String::from_utf8(buf).expect("serde_json writes UTF-8")
}
