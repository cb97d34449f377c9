//! Reading `assignment.toml`'s `[runner]` table: the runner, its packages, its fallback and
//! whether a submission may bring its own packages, and `[runner.limits]`.

use std::collections::HashMap;

use super::RunnerKind;
use super::format::{LimitsOverlay, RunnerSpec};
use super::packages::Pin;
use super::problem::{Doc, position};
use super::walk::Value;
use crate::base::limits::{Bytes, parse_duration};

pub(super) fn runner(doc: &mut Doc, value: &Value) -> Option<RunnerSpec> {
    let mut t = value.table(doc)?;
    let name = t
        .required(doc, "name")
        .and_then(|v| v.parse(doc, |s| s.parse::<RunnerKind>()));
    let limits = match t.optional("limits") {
        Some(v) => limits(doc, &v),
        None => Some(LimitsOverlay::default()),
    };
    let packages = match t.optional("packages") {
        Some(v) => packages(doc, &v, name),
        None => Some(Vec::new()),
    };
    let fallback = match t.optional("fallback") {
        Some(v) => fallback(doc, &v, name),
        None => Some(None),
    };
    let allow_requirements = match t.optional("allow_requirements") {
        Some(v) => allow_requirements(doc, &v, name, fallback.flatten()),
        None => Some(false),
    };
    t.finish(doc);
    Some(RunnerSpec {
        name: name?,
        limits: limits?,
        packages: packages?,
        fallback: fallback?,
        allow_requirements: allow_requirements?,
    })
}

/// `runner.fallback`: `python-native`, for a WebAssembly Python runner.
fn fallback(
    doc: &mut Doc,
    value: &Value,
    runner: Option<RunnerKind>,
) -> Option<Option<RunnerKind>> {
    let kind = value.parse(doc, |s| s.parse::<RunnerKind>())?;
    let python = matches!(runner, Some(RunnerKind::Python | RunnerKind::PythonPlain));
    if kind != RunnerKind::PythonNative || !python {
        doc.at(
            &value.span(),
            format!(
                "`runner.fallback = \"{kind}\"`: the only fallback is \"python-native\", for \
                 the python and python-plain runners"
            ),
        );
        return None;
    }
    Some(Some(kind))
}

/// `runner.allow_requirements`: a boolean, `true` only where python-native runs.
fn allow_requirements(
    doc: &mut Doc,
    value: &Value,
    runner: Option<RunnerKind>,
    fallback: Option<RunnerKind>,
) -> Option<bool> {
    let allowed = value.boolean(doc)?;
    let native = Some(RunnerKind::PythonNative);
    if allowed && runner != native && fallback != native {
        doc.at(
            &value.span(),
            "`runner.allow_requirements = true`: a submission's own packages are installed \
             only by python-native; set `name` or `fallback` to \"python-native\"",
        );
        return None;
    }
    Some(allowed)
}

/// `runner.packages`: exact pins, each package once, on a Python runner.
fn packages(doc: &mut Doc, value: &Value, runner: Option<RunnerKind>) -> Option<Vec<String>> {
    let items = value.strings(doc)?;
    if runner == Some(RunnerKind::Wasi) && !items.is_empty() {
        doc.at(
            &value.span(),
            "`runner.packages` are Python packages: the wasi runner cannot import them",
        );
        return None;
    }
    let mut ok = true;
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (i, item) in items.iter().enumerate() {
        match item.value.parse::<Pin>() {
            Ok(pin) => {
                let line = position(doc.text, item.span.start).0;
                if let Some(first) = seen.get(&pin.normalized()).copied() {
                    doc.at(
                        &item.span,
                        format!(
                            "`runner.packages[{i}]`: `{}` is listed twice (first at line {first})",
                            pin.name
                        ),
                    );
                    ok = false;
                } else {
                    seen.insert(pin.normalized(), line);
                }
            }
            Err(e) => {
                doc.at(&item.span, format!("`runner.packages[{i}]`: {e}"));
                ok = false;
            }
        }
    }
    ok.then(|| items.into_iter().map(|s| s.value).collect())
}

/// A value that must not be zero (`wall = "0s"`).
pub(super) fn nonzero(text: &str, zero: bool) -> Result<(), String> {
    if zero {
        Err(format!("`{text}` must be greater than zero"))
    } else {
        Ok(())
    }
}

fn limits(doc: &mut Doc, value: &Value) -> Option<LimitsOverlay> {
    let mut t = value.table(doc)?;
    let mut ok = true;
    // A present key that fails to read makes the whole overlay invalid.
    fn keep<T>(ok: &mut bool, v: Option<T>) -> Option<T> {
        *ok &= v.is_some();
        v
    }
    let count = |doc: &mut Doc, v: Value, min| v.integer_in(doc, min, i64::MAX).map(|n| n as u64);
    let overlay = LimitsOverlay {
        fuel: t
            .optional("fuel")
            .and_then(|v| keep(&mut ok, count(doc, v, 1))),
        wall: t.optional("wall").and_then(|v| {
            keep(
                &mut ok,
                v.parse(doc, |s| {
                    parse_duration(s).and_then(|d| nonzero(s, d.is_zero()).map(|_| d))
                }),
            )
        }),
        memory: t
            .optional("memory")
            .and_then(|v| keep(&mut ok, size(doc, &v, true))),
        stdout: t
            .optional("stdout")
            .and_then(|v| keep(&mut ok, size(doc, &v, false))),
        stderr: t
            .optional("stderr")
            .and_then(|v| keep(&mut ok, size(doc, &v, false))),
        out_bytes: t
            .optional("out_bytes")
            .and_then(|v| keep(&mut ok, size(doc, &v, false))),
        out_files: t
            .optional("out_files")
            .and_then(|v| keep(&mut ok, count(doc, v, 0))),
    };
    t.finish(doc);
    ok.then_some(overlay)
}

/// A size: a string with a unit (`"2GiB"`) or a plain number of bytes.
fn size(doc: &mut Doc, value: &Value, positive: bool) -> Option<Bytes> {
    let bytes = if value.value.get_ref().is_integer() {
        Bytes(value.integer_in(doc, 0, i64::MAX)? as u64)
    } else {
        value.parse(doc, |s| s.parse::<Bytes>())?
    };
    if positive && bytes.0 == 0 {
        doc.at(
            &value.span(),
            format!("`{}` must be greater than zero", value.key),
        );
        return None;
    }
    Some(bytes)
}
