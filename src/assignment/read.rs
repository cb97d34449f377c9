//! Reading `assignment.toml` into an [`Assignment`], recording every problem on the way.

use std::collections::HashMap;

use toml::Spanned;
use toml::de::DeTable;

use super::format::{Assignment, Criterion, Deliverables, Level, Scoring};
use super::problem::{Doc, position};
use super::read_runner::nonzero;
use super::walk::{At, Table, Value, relative_path};
use crate::base::limits::parse_duration;
use crate::score::Metric;

/// What the folder checks need from `[scoring]`, as far as it could be read.
#[derive(Default)]
pub(crate) struct ScoringRefs {
    pub metric: Option<Metric>,
    /// `k`, when it is valid.
    pub k: Option<At<u32>>,
    /// Whether `k` is present exactly when the metric needs it.
    pub k_fits: bool,
    pub truth: Option<At<String>>,
    pub id_column: Option<At<String>>,
    pub target_column: Option<At<String>>,
    pub program: Option<At<String>>,
}

/// The assignment (when every key read cleanly) and the scoring references.
pub(crate) struct Draft {
    pub assignment: Option<Assignment>,
    pub scoring: ScoringRefs,
}

/// Reads the whole document; `folder` is the folder's name, which `id` must equal.
pub(crate) fn read(doc: &mut Doc, root: &Spanned<DeTable>, folder: Option<&str>) -> Draft {
    let mut top = Table::root(root);
    let id = top
        .required(doc, "id")
        .and_then(|v| v.text(doc))
        .filter(|id| check_id(doc, id, folder));
    let title = top.required(doc, "title").and_then(|v| v.text(doc));
    let version = top
        .required(doc, "version")
        .and_then(|v| v.parse(doc, check_version));
    let level = top
        .required(doc, "level")
        .and_then(|v| v.parse(doc, parse_level));
    let time_allowed = top.required(doc, "time_allowed").and_then(|v| {
        v.parse(doc, |s| {
            parse_duration(s).and_then(|d| nonzero(s, d.is_zero()).map(|_| d))
        })
    });
    let runner =
        required_table(&mut top, doc, "runner").and_then(|v| super::read_runner::runner(doc, &v));
    let deliverables =
        required_table(&mut top, doc, "deliverables").and_then(|v| deliverables(doc, &v));
    let outputs = deliverables.as_ref().map(|d| d.outputs.as_slice());
    let (scoring, refs) = match required_table(&mut top, doc, "scoring") {
        Some(v) => scoring(doc, &v, outputs),
        None => (None, ScoringRefs::default()),
    };
    let rubric = match top.optional("rubric") {
        Some(v) => rubric(doc, &v),
        None => {
            doc.at(&top.span(), "missing the [[rubric]] criteria");
            None
        }
    };
    top.finish(doc);
    let assignment = (|| {
        Some(Assignment {
            id: id?.value,
            title: title?.value,
            version: version?,
            level: level?,
            time_allowed: time_allowed?,
            runner: runner?,
            deliverables: deliverables?,
            scoring: scoring?,
            rubric: rubric?,
        })
    })();
    Draft {
        assignment,
        scoring: refs,
    }
}

fn required_table<'t, 'i>(
    top: &mut Table<'t, 'i>,
    doc: &mut Doc,
    key: &'static str,
) -> Option<Value<'t, 'i>> {
    let value = top.optional(key);
    if value.is_none() {
        doc.at(&top.span(), format!("missing required table [{key}]"));
    }
    value
}

/// Whether `text` is lowercase ASCII letters, digits and `-`.
fn is_slug(text: &str) -> bool {
    !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

fn check_id(doc: &mut Doc, id: &At<String>, folder: Option<&str>) -> bool {
    let mut ok = true;
    if !is_slug(&id.value) {
        doc.at(
            &id.span,
            format!(
                "`id` is `{}`: use only lowercase letters, digits and `-`",
                id.value
            ),
        );
        ok = false;
    }
    if let Some(folder) = folder.filter(|f| *f != id.value) {
        doc.at(
            &id.span,
            format!(
                "`id` is `{}` but the folder is named `{folder}`: they must be equal",
                id.value
            ),
        );
        ok = false;
    }
    ok
}

fn check_version(text: &str) -> Result<String, String> {
    let parts: Vec<&str> = text.split('.').collect();
    let number = |p: &&str| {
        !p.is_empty()
            && p.bytes().all(|b| b.is_ascii_digit())
            && (p.len() == 1 || !p.starts_with('0'))
    };
    if parts.len() == 3 && parts.iter().all(number) {
        Ok(text.to_string())
    } else {
        Err(format!(
            "`{text}` is not a version: expected MAJOR.MINOR.PATCH such as 1.0.0"
        ))
    }
}

fn parse_level(text: &str) -> Result<Level, String> {
    [Level::Junior, Level::Mid]
        .into_iter()
        .find(|l| l.name() == text)
        .ok_or_else(|| format!("`{text}` is not a level: use \"junior\" or \"mid\""))
}

fn deliverables(doc: &mut Doc, value: &Value) -> Option<Deliverables> {
    let mut t = value.table(doc)?;
    let path = |doc: &mut Doc, t: &mut Table, key: &'static str| {
        let v = t.required(doc, key)?;
        let text = v.text(doc)?;
        relative_path(doc, &v.key, &text).then_some(text.value)
    };
    let report = path(doc, &mut t, "report");
    let sections = t.required(doc, "sections").and_then(|v| {
        let items = v.strings(doc)?;
        let empty: Vec<_> = items.iter().filter(|s| s.value.trim().is_empty()).collect();
        for s in &empty {
            doc.at(&s.span, format!("`{}` has an empty section title", v.key));
        }
        empty
            .is_empty()
            .then(|| items.into_iter().map(|s| s.value).collect())
    });
    let entry = t.required(doc, "entry").and_then(|v| {
        let items = v.one_or_many(doc)?;
        // Count rather than `all`, so that every bad path is reported.
        let bad = items
            .iter()
            .filter(|s| !relative_path(doc, &v.key, s))
            .count();
        (bad == 0).then(|| items.into_iter().map(|s| s.value).collect())
    });
    let outputs = t.required(doc, "outputs").and_then(|v| {
        let items = v.strings(doc)?;
        // Count rather than `all`, so that every bad path is reported.
        let bad = items
            .iter()
            .filter(|s| !relative_path(doc, &v.key, s))
            .count();
        (bad == 0).then(|| items.into_iter().map(|s| s.value).collect())
    });
    let pdf_page_images = match t.optional("pdf_page_images") {
        Some(v) => v.boolean(doc),
        None => Some(true),
    };
    t.finish(doc);
    Some(Deliverables {
        report: report?,
        sections: sections?,
        entry: entry?,
        outputs: outputs?,
        pdf_page_images: pdf_page_images?,
    })
}

fn scoring(
    doc: &mut Doc,
    value: &Value,
    outputs: Option<&[String]>,
) -> (Option<Scoring>, ScoringRefs) {
    let Some(mut t) = value.table(doc) else {
        return (None, ScoringRefs::default());
    };
    let text = |doc: &mut Doc, t: &mut Table, key| t.required(doc, key).and_then(|v| v.text(doc));
    let metric = t
        .required(doc, "metric")
        .and_then(|v| v.parse(doc, |s| s.parse::<Metric>()));
    let output = t.required(doc, "output").and_then(|v| {
        let output = v.text(doc)?;
        if !relative_path(doc, &v.key, &output) {
            return None;
        }
        if let Some(outputs) = outputs.filter(|o| !o.contains(&output.value)) {
            let listed = outputs
                .iter()
                .map(|o| format!("`{o}`"))
                .collect::<Vec<_>>()
                .join(", ");
            doc.at(
                &output.span,
                format!(
                    "`scoring.output` `{}` is not among `deliverables.outputs` ({listed})",
                    output.value
                ),
            );
            return None;
        }
        Some(output.value)
    });
    let truth = t.required(doc, "truth").and_then(|v| {
        let truth = v.text(doc)?;
        if !relative_path(doc, &v.key, &truth) {
            return None;
        }
        let mut parts = truth.value.split('/');
        if parts.next() != Some("hidden") || parts.next().is_none() {
            doc.at(
                &truth.span,
                format!(
                    "`scoring.truth` must be a file under hidden/, found `{}`",
                    truth.value
                ),
            );
            return None;
        }
        Some(truth)
    });
    let id_column = text(doc, &mut t, "id_column");
    let target_column = text(doc, &mut t, "target_column");
    let prediction_column = text(doc, &mut t, "prediction_column");
    let k_value = t.optional("k");
    let k = k_value.as_ref().and_then(|v| {
        let k = v.integer_in(doc, 1, u32::MAX.into())?;
        Some(At {
            value: k as u32,
            span: v.span(),
        })
    });
    let k_fits = match (metric, &k_value) {
        (Some(m), None) if m.needs_k() => {
            doc.at(
                &t.span(),
                format!("missing required key `scoring.k` in [scoring]: {m} needs k"),
            );
            false
        }
        (Some(m), Some(v)) if !m.needs_k() => {
            doc.at(
                &v.key_span,
                format!("`scoring.k` is only allowed with precision_at_k, not {m}"),
            );
            false
        }
        (Some(_), k_value) => k_value.is_none() || k.is_some(),
        (None, _) => false,
    };
    let tolerance = t.required(doc, "tolerance").and_then(|v| {
        let tolerance = v.float(doc)?;
        if tolerance < 0.0 {
            doc.at(
                &v.span(),
                format!("`scoring.tolerance` must be at least 0, found {tolerance}"),
            );
            return None;
        }
        Some(tolerance)
    });
    let program = t.optional("program").and_then(|v| {
        let program = v.text(doc)?;
        if !relative_path(doc, &v.key, &program) {
            return None;
        }
        let supported = [".py", ".wasm", ".wat"].iter().any(|ext| program.value.ends_with(ext));
        if !program.value.starts_with("scoring/") || !supported {
            doc.at(
                &program.span,
                format!("`scoring.program` must be a .py, .wasm or .wat file under scoring/, found `{}`", program.value),
            );
            return None;
        }
        Some(program)
    });
    let program_ok = program.is_some() || t.optional("program").is_none();
    t.finish(doc);
    let scoring = (|| {
        Some(Scoring {
            metric: metric?,
            output: output?,
            truth: truth.clone()?.value,
            id_column: id_column.clone()?.value,
            target_column: target_column.clone()?.value,
            prediction_column: prediction_column?.value,
            k: k_fits.then(|| k.as_ref().map(|k| k.value))?,
            tolerance: tolerance?,
            program: program_ok.then(|| program.as_ref().map(|p| p.value.clone()))?,
        })
    })();
    (
        scoring,
        ScoringRefs {
            metric,
            k,
            k_fits,
            truth,
            id_column,
            target_column,
            program,
        },
    )
}

fn rubric(doc: &mut Doc, value: &Value) -> Option<Vec<Criterion>> {
    let tables = value.tables(doc)?;
    let Some(first_span) = tables.first().map(|t| t.span()) else {
        doc.at(&value.span(), "[[rubric]] must have at least one criterion");
        return None;
    };
    let mut criteria = Vec::new();
    let mut all_ok = true;
    let mut weights = Some(0.0);
    let mut seen: HashMap<String, usize> = HashMap::new();
    for mut t in tables {
        let id = t
            .required(doc, "id")
            .and_then(|v| v.text(doc))
            .filter(|id| {
                if !is_slug(&id.value) {
                    doc.at(
                        &id.span,
                        format!(
                            "criterion id `{}`: use only lowercase letters, digits and `-`",
                            id.value
                        ),
                    );
                    return false;
                }
                if let Some(first) = seen.get(&id.value) {
                    doc.at(
                        &id.span,
                        format!(
                            "duplicate criterion id `{}` (first at line {first})",
                            id.value
                        ),
                    );
                    return false;
                }
                seen.insert(id.value.clone(), position(doc.text, id.span.start).0);
                true
            });
        let title = t.required(doc, "title").and_then(|v| v.text(doc));
        let weight = t.required(doc, "weight").and_then(|v| {
            let w = v.float(doc)?;
            if !(w > 0.0 && w <= 1.0) {
                doc.at(
                    &v.span(),
                    format!("`{}` must be in (0, 1], found {w}", v.key),
                );
                return None;
            }
            Some(w)
        });
        weights = weights.zip(weight).map(|(sum, w)| sum + w);
        let levels = t.required(doc, "levels").and_then(|v| {
            let items = v.strings(doc)?;
            let count = items.len();
            let levels: Result<[String; 4], _> = items
                .into_iter()
                .map(|s| s.value)
                .collect::<Vec<_>>()
                .try_into();
            if levels.is_err() {
                doc.at(
                    &v.span(),
                    format!(
                        "`{}` must have exactly 4 levels (scores 1 to 4), found {count}",
                        v.key
                    ),
                );
            }
            levels.ok()
        });
        t.finish(doc);
        match (id, title, weight, levels) {
            (Some(id), Some(title), Some(weight), Some(levels)) => criteria.push(Criterion {
                id: id.value,
                title: title.value,
                weight,
                levels,
            }),
            _ => all_ok = false,
        }
    }
    // The sum is only meaningful when every weight is a valid number.
    if let Some(sum) = weights.filter(|sum| (sum - 1.0f64).abs() > 1e-6) {
        doc.at(
            &first_span,
            format!(
                "rubric weights sum to {}, expected 1.0 (within 1e-6)",
                round(sum)
            ),
        );
        all_ok = false;
    }
    all_ok.then_some(criteria)
}

/// `x` with at most 9 decimals and no trailing zeros, so 0.9500000000000001 reads 0.95.
fn round(x: f64) -> String {
    let text = format!("{x:.9}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}
