//! Packets as HTML through minijinja templates, autoescaped (`.html` names). Only two values
//! bypass escaping, both marked `|safe` in the templates: the ammonia-sanitised report (and notebook HTML)
//! and the `data:` URIs the packet builds itself from base64 (images, and the `data_uri`
//! filter that makes a data file's download link from its de-identified text).

use minijinja::{Environment, Value, context};
use serde::Serialize;

use super::Packet;

/// Blocks everything but inline styles and `data:` images, so even a sanitiser miss cannot
/// run script or reach the network.
pub const CSP: &str = "default-src 'none'; img-src data:; style-src 'unsafe-inline'";

const PACKET: &str = include_str!("templates/packet.html");
const INDEX: &str = include_str!("templates/index.html");
const STYLE: &str = include_str!("templates/style.css");
const NB_OUTPUT: &str = include_str!("templates/nb_output.html");

fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.add_filter("data_uri", |text: String| {
        format!(
            "data:text/plain;charset=utf-8;base64,{}",
            crate::base::base64(text.as_bytes())
        )
    });
    env.add_template("packet.html", PACKET)
        .expect("packet template parses");
    env.add_template("index.html", INDEX)
        .expect("index template parses");
    // One notebook output, included by the packet (autoescaped too: its name ends in .html).
    env.add_template("nb_output.html", NB_OUTPUT)
        .expect("notebook output template parses");
    env
}

/// One packet page.
pub fn packet(packet: &Packet) -> anyhow::Result<String> {
    let env = environment();
    Ok(env
        .get_template("packet.html")?
        .render(context! { p => to_value(packet)?, csp => CSP, style => STYLE })?)
}

/// One row of the index.
#[derive(Clone, Debug, Serialize)]
pub struct IndexRow {
    pub pseudonym: String,
    pub submission_id: String,
    pub file: String,
    pub verdict: Option<String>,
    pub score: Option<f64>,
    pub score_text: Option<String>,
    /// Every claim's status, joined; empty without claims.
    pub claims: String,
}

/// The sort orders of the index: file name, column title, and the order.
pub const INDEX_ORDERS: &[(&str, &str)] = &[
    ("index.html", "pseudonym"),
    ("index-by-verdict.html", "verdict"),
    ("index-by-score.html", "score"),
    ("index-by-claims.html", "claims"),
];

/// Every sort order of the index as (file name, HTML). No script: each column header links
/// to the page pre-sorted by it.
pub fn index(title: &str, rows: &[IndexRow]) -> anyhow::Result<Vec<(String, String)>> {
    let env = environment();
    let template = env.get_template("index.html")?;
    let mut pages = Vec::new();
    for (file, by) in INDEX_ORDERS {
        let mut sorted = rows.to_vec();
        match *by {
            "verdict" => sorted.sort_by(|a, b| a.verdict.cmp(&b.verdict)),
            // Best score first, unscored last.
            "score" => sorted.sort_by(|a, b| {
                b.score
                    .unwrap_or(f64::NEG_INFINITY)
                    .total_cmp(&a.score.unwrap_or(f64::NEG_INFINITY))
            }),
            "claims" => sorted.sort_by(|a, b| a.claims.cmp(&b.claims)),
            _ => sorted.sort_by(|a, b| a.pseudonym.cmp(&b.pseudonym)),
        }
        let orders: Vec<_> = INDEX_ORDERS
            .iter()
            .map(|(f, name)| context! { file => *f, name => *name })
            .collect();
        let html = template.render(context! {
            title => title, rows => to_value(&sorted)?, by => *by, orders => orders, csp => CSP, style => STYLE,
        })?;
        pages.push((file.to_string(), html));
    }
    Ok(pages)
}

/// A serialisable value as a template value, through `serde_json` (this build of minijinja
/// has no serde support of its own).
/// Any serialisable value as a template value (through JSON).
pub fn to_value<T: Serialize>(value: &T) -> anyhow::Result<Value> {
    Ok(json(serde_json::to_value(value)?))
}

fn json(value: serde_json::Value) -> Value {
    use serde_json::Value as J;
    match value {
        J::Null => Value::from(()),
        J::Bool(b) => Value::from(b),
        J::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => Value::from(i),
            (_, Some(u), _) => Value::from(u),
            (_, _, f) => Value::from(f.unwrap_or(f64::NAN)),
        },
        J::String(s) => Value::from(s),
        J::Array(items) => items.into_iter().map(json).collect(),
        J::Object(map) => Value::from_object(
            map.into_iter()
                .map(|(k, v)| (k, json(v)))
                .collect::<std::collections::BTreeMap<String, Value>>(),
        ),
    }
}
