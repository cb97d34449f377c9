//! The hiring lead's pages: per assignment, similarity between submissions (ranked list,
//! histogram, side-by-side view), agreement between reviewers and their leniency, and the
//! same as JSON. Only a lead's link opens them; reviewers never see any of it.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use minijinja::context;

use super::{App, Failure, Result, auth};
use crate::cohort::{self, Cohort};
use crate::packet::render::to_value;

/// Pairs listed on the cohort page (the JSON has them all).
const LISTED_PAIRS: usize = 50;

pub async fn home(State(app): State<Arc<App>>, Path(token): Path<String>) -> Result<Response> {
    let me = auth::lead(&app, &token).await?;
    let mut assignments: Vec<String> = app
        .workspace
        .store
        .assignments()
        .await?
        .into_iter()
        .map(|a| a.id)
        .collect();
    assignments.dedup();
    Ok(app
        .pages
        .render(
            "lead.html",
            context! { lead => me.name, assignments, base => format!("/l/{token}") },
        )?
        .into_response())
}

async fn view(app: &App, assignment: &str) -> Result<Arc<Cohort>> {
    if app.workspace.store.assignment(assignment).await?.is_none() {
        return Err(Failure::NotFound);
    }
    Ok(app.cohorts.get(&app.workspace, assignment).await?)
}

pub async fn page(
    State(app): State<Arc<App>>,
    Path((token, assignment)): Path<(String, String)>,
) -> Result<Response> {
    auth::lead(&app, &token).await?;
    let view = view(&app, &assignment).await?;
    let pairs: Vec<minijinja::Value> = view
        .similarity
        .pairs
        .iter()
        .take(LISTED_PAIRS)
        .map(|p| {
            context! {
                left => &p.left, right => &p.right, public => p.public,
                similarity => format!("{:.2}", p.similarity),
                longest => p.longest_fragment, shared => p.shared_fingerprints,
                overlap => format!("{}/{} and {}/{}", p.overlap_left, p.tokens_left, p.overlap_right, p.tokens_right),
            }
        })
        .collect();
    let bins = cohort::similarity::histogram(&view.similarity.pairs);
    let tallest = bins.iter().map(|b| b.2).max().unwrap_or(1).max(1);
    let bars: Vec<minijinja::Value> = bins
        .iter()
        .enumerate()
        .map(|(i, (low, high, count))| {
            let h = 110 * count / tallest;
            context! {
                x => 10 + i * 44, w => 40, y => 120 - h, h, count,
                low => format!("{low:.1}"), label => format!("{low:.1} to {high:.1}"),
            }
        })
        .collect();
    let agreement = alpha_chart(&view);
    let leniency = leniency_chart(&view);
    let rows = crate::review::overview::rows(
        &app.workspace,
        &assignment,
        &crate::review::Visibility::everything(),
    )
    .await?;
    // Every candidate who handed something in has an interview sheet.
    let sheets: Vec<String> = rows
        .iter()
        .filter(|r| r.submission_id.is_some())
        .map(|r| r.pseudonym.clone())
        .collect();
    // Scores nothing in the sandbox reproduced, so the lead weighs them knowingly.
    let unreproduced: Vec<minijinja::Value> = rows
        .iter()
        .filter(|r| r.score_basis.is_some_and(|b| !b.is_run()))
    .map(|r| {
        context! {
            pseudonym => r.pseudonym.clone(), submission => r.submission_id.clone(),
            score => r.score.map(|v| format!("{} {v:.4}", r.metric.clone().unwrap_or_default())),
            basis => r.score_basis.map(|b| b.as_str()), reason => r.not_run_reason.clone(),
        }
    })
    .collect();
    Ok(app
        .pages
        .render(
            "cohort.html",
            context! {
                assignment, base => format!("/l/{token}"),
                view => to_value(&*view)?, pairs, bars,
                more_pairs => view.similarity.pairs.len().saturating_sub(LISTED_PAIRS),
                agreement, leniency, unreproduced, sheets,
            },
        )?
        .into_response())
}

/// Horizontal position, in a chart 300 wide, of `value` on a scale from `lo` to `hi`.
fn x_of(value: f64, lo: f64, hi: f64) -> i64 {
    (20.0 + 280.0 * ((value.clamp(lo, hi) - lo) / (hi - lo))).round() as i64
}

/// One row per criterion (and the weighted total): alpha as a dot, its interval as a line,
/// on a scale from −0.5 to 1 with the 0.667 threshold marked.
fn alpha_chart(view: &Cohort) -> minijinja::Value {
    let (lo, hi) = (-0.5, 1.0);
    let mut rows: Vec<(&str, &cohort::agreement::Estimate)> = view
        .agreement
        .criteria
        .iter()
        .map(|c| (c.title.as_str(), &c.ordinal))
        .collect();
    rows.push(("Weighted total", &view.agreement.weighted_total));
    let rows: Vec<minijinja::Value> = rows
        .into_iter()
        .enumerate()
        .map(|(i, (name, e))| {
            context! {
                name, y => 20 + i * 22,
                dot => e.alpha.map(|a| x_of(a, lo, hi)),
                from => e.interval.map(|(a, _)| x_of(a, lo, hi)),
                to => e.interval.map(|(_, b)| x_of(b, lo, hi)),
                low => e.low,
                label => e.alpha.map_or("undefined".into(), |a| format!("{a:.3}")),
            }
        })
        .collect();
    let height = 30 + rows.len() * 22;
    context! {
        rows, height, threshold => x_of(cohort::agreement::TENTATIVE, lo, hi),
        zero => x_of(0.0, lo, hi), one => x_of(1.0, lo, hi),
    }
}

/// One row per reviewer: the mean deviation as a bar from zero, ±1.96 standard errors as
/// a line, on a scale from −2 to +2 levels.
fn leniency_chart(view: &Cohort) -> minijinja::Value {
    let (lo, hi) = (-2.0, 2.0);
    let zero = x_of(0.0, lo, hi);
    let rows: Vec<minijinja::Value> = view
        .leniency
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let l = &r.leniency;
            let end = l.mean.map(|m| x_of(m, lo, hi));
            let whisker = l
                .mean
                .zip(l.standard_error)
                .map(|(m, se)| (x_of(m - 1.96 * se, lo, hi), x_of(m + 1.96 * se, lo, hi)));
            context! {
                name => &r.name, y => 20 + i * 22,
                x => end.map(|e| e.min(zero)), w => end.map(|e| (e - zero).abs()),
                from => whisker.map(|w| w.0), to => whisker.map(|w| w.1),
                harsh => l.mean.is_some_and(|m| m < 0.0),
                flagged => l.flag.is_some(),
            }
        })
        .collect();
    let height = 30 + rows.len() * 22;
    context! { rows, height, zero, left => x_of(lo, lo, hi), right => x_of(hi, lo, hi) }
}

pub async fn pair(
    State(app): State<Arc<App>>,
    Path((token, assignment, left, right)): Path<(String, String, String, String)>,
) -> Result<Response> {
    auth::lead(&app, &token).await?;
    if app.workspace.store.assignment(&assignment).await?.is_none() {
        return Err(Failure::NotFound);
    }
    let Some((pair, sides)) =
        cohort::side_by_side(&app.workspace, &assignment, &left, &right).await?
    else {
        return Err(Failure::NotFound);
    };
    Ok(app
        .pages
        .render(
            "pair.html",
            context! {
                wide => true, assignment, base => format!("/l/{token}"),
                note => cohort::SIMILARITY_NOTE,
                pair => to_value(&pair)?,
                similarity => format!("{:.2}", pair.similarity),
                sides => to_value(&sides)?,
            },
        )?
        .into_response())
}

pub async fn export(
    State(app): State<Arc<App>>,
    Path((token, file)): Path<(String, String)>,
) -> Result<Response> {
    auth::lead(&app, &token).await?;
    let Some(assignment) = file.strip_suffix(".json") else {
        return Err(Failure::NotFound);
    };
    let view = view(&app, assignment).await?;
    let body = serde_json::to_string_pretty(&*view).map_err(anyhow::Error::from)?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/json".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"cohort-{assignment}.json\""),
            ),
        ],
        body,
    )
        .into_response())
}
