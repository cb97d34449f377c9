//! The reviewers' pages: their queue, a packet beside its rubric form, the other reviews
//! once their own is submitted, line comments, and the assignment overview and export.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use anyhow::Context;
use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;

use super::{App, Failure, Result, auth};
use crate::assignment::Assignment;
use crate::base::{format_time, now_ms};
use crate::packet::render::to_value;
use crate::review::overview::{self, ExportFormat};
use crate::review::{
    self, CommentError, Recommendation, ReviewState, SaveError, Saved, Scores, Visibility,
};
use crate::store::SubmissionRow;
use crate::store::reviews::ReviewerRow;

pub async fn queue(State(app): State<Arc<App>>, Path(token): Path<String>) -> Result<Response> {
    let me = auth::reviewer(&app, &token).await?;
    let store = &app.workspace.store;
    // A few whole-table reads rather than three queries per candidate: this page is the
    // one every reviewer opens first and comes back to.
    let all_assignments = store.assignments().await?;
    let assignment_ids: HashMap<&str, &str> = all_assignments
        .iter()
        .map(|a| (a.content_hash.as_str(), a.id.as_str()))
        .collect();
    let assignment_of: HashMap<String, String> = store
        .candidates()
        .await?
        .into_iter()
        .filter_map(|c| {
            let id = assignment_ids.get(c.assignment_hash.as_str())?;
            Some((c.pseudonym, id.to_string()))
        })
        .collect();
    let newest: HashMap<String, String> = store
        .newest_submissions()
        .await?
        .into_iter()
        .map(|s| (s.pseudonym, s.id))
        .collect();
    let my_reviews: HashMap<String, ReviewState> = store
        .reviews()
        .await?
        .into_iter()
        .filter(|r| r.reviewer_id == me.id)
        .map(|r| (r.pseudonym, r.state))
        .collect();
    let mut items = Vec::new();
    let mut assignments = std::collections::BTreeSet::new();
    for (reviewer_id, pseudonym) in store.review_assignments().await? {
        if reviewer_id != me.id {
            continue;
        }
        let assignment = assignment_of
            .get(&pseudonym)
            .with_context(|| format!("no candidate {pseudonym} with an assignment"))?;
        assignments.insert(assignment.clone());
        let state = match my_reviews.get(&pseudonym) {
            Some(state) => state.as_str(),
            None => "not started",
        };
        let submission = newest.get(&pseudonym);
        items.push(context! { pseudonym, assignment, submission, state });
    }
    for a in &all_assignments {
        assignments.insert(a.id.clone());
    }
    Ok(app
        .pages
        .render(
            "queue.html",
            context! { reviewer => me.name, items, assignments, base => format!("/r/{token}") },
        )?
        .into_response())
}

/// The candidate's newest submission, if `me` is assigned to review them; else 404.
async fn assigned(app: &App, me: &ReviewerRow, pseudonym: &str) -> Result<SubmissionRow> {
    let store = &app.workspace.store;
    if !store.is_assigned(&me.id, pseudonym).await? {
        return Err(Failure::NotFound);
    }
    store
        .newest_submission(pseudonym)
        .await?
        .ok_or_else(|| Failure::BadRequest(format!("{pseudonym} has not handed anything in yet.")))
}

async fn rubric_of(app: &App, pseudonym: &str) -> Result<Assignment> {
    let row = app.workspace.store.assignment_of(pseudonym).await?;
    Ok(row.decode_manifest()?)
}

pub async fn review(
    State(app): State<Arc<App>>,
    Path((token, pseudonym)): Path<(String, String)>,
) -> Result<Response> {
    let me = auth::reviewer(&app, &token).await?;
    render_review(&app, &me, &token, &pseudonym, Vec::new()).await
}

async fn render_review(
    app: &App,
    me: &ReviewerRow,
    token: &str,
    pseudonym: &str,
    errors: Vec<String>,
) -> Result<Response> {
    let submission = assigned(app, me, pseudonym).await?;
    let assignment = rubric_of(app, pseudonym).await?;
    let store = &app.workspace.store;
    let mine = store.review(&me.id, pseudonym).await?;
    let submitted = mine
        .as_ref()
        .is_some_and(|r| r.state == ReviewState::Submitted);
    let names = store.reviewer_names().await?;
    let visibility = Visibility::load(store, &me.id).await?;
    let reviews = store.reviews().await?;
    let shown = visibility.submitted(pseudonym, &reviews);
    let scores: Vec<Scores> = shown
        .iter()
        .map(|row| Scores::of(row))
        .collect::<anyhow::Result<_>>()?;
    let others: Vec<minijinja::Value> = shown
        .iter()
        .zip(&scores)
        .map(|(row, s)| {
            Ok(context! {
                name => names.get(&row.reviewer_id).cloned().unwrap_or_default(),
                levels => to_value(&s.levels)?,
                comments => to_value(&s.comments)?,
                recommendation => s.recommendation.map(Recommendation::as_str),
                total => s.weighted_total(&assignment.rubric).map(|t| format!("{t:.2}")),
            })
        })
        .collect::<anyhow::Result<_>>()?;
    let disagreements = review::disagreements(&assignment.rubric, &scores);
    let packet = app.packets.get(&app.workspace, &submission).await?;
    let code: BTreeMap<&str, &Vec<String>> = packet
        .code
        .iter()
        .map(|f| (f.path.as_str(), &f.lines))
        .collect();
    let comments: Vec<minijinja::Value> = store
        .line_comments(&submission.id)
        .await?
        .into_iter()
        .filter(|c| visibility.sees_comment(pseudonym, &c.reviewer_id))
        .map(|c| {
            let line = code
                .get(c.path.as_str())
                .and_then(|lines| lines.get((c.line - 1).max(0) as usize))
                .cloned();
            context! {
                path => c.path, line => c.line, body => c.body, code => line,
                author => names.get(&c.reviewer_id).cloned().unwrap_or_default(),
            }
        })
        .collect();
    let mine_scores = mine
        .as_ref()
        .map(Scores::of)
        .transpose()?
        .unwrap_or_default();
    // An incomplete submit is shown again with what is missing.
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = app.pages.render(
        "review.html",
        context! {
            wide => true,
            base => format!("/r/{token}"),
            pseudonym, submission_id => submission.id,
            csrf => auth::csrf_token(app, token),
            rubric => to_value(&assignment.rubric)?,
            recommendations => Recommendation::ALL.iter().map(|r| r.as_str()).collect::<Vec<_>>(),
            mine => to_value(&mine_scores)?,
            draft => mine.is_some(),
            updated_at => mine.as_ref().map(|r| format_time(r.updated_at)),
            submitted,
            submitted_at => mine.as_ref().and_then(|r| r.submitted_at).map(format_time),
            others, disagreements, comments, errors,
            files => code.keys().map(|k| k.to_string()).collect::<Vec<_>>(),
            methodology => to_value(&packet.methodology)?,
        },
    )?;
    Ok((status, page).into_response())
}

/// Saves the rubric form as a draft, or submits it when every criterion has a level and a
/// comment and a recommendation is chosen; an incomplete submit is kept as a draft.
pub async fn save(
    State(app): State<Arc<App>>,
    Path((token, pseudonym)): Path<(String, String)>,
    headers: HeaderMap,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response> {
    let me = auth::reviewer(&app, &token).await?;
    let field = |name: &str| form_field(&fields, name);
    // Who first: a reviewer not assigned gets the same 404 with or without a valid form.
    let submission = assigned(&app, &me, &pseudonym).await?;
    auth::check_form(&app, &token, &headers, field("csrf"))?;
    let assignment = rubric_of(&app, &pseudonym).await?;
    let entry = review::Entry {
        reviewer_id: me.id.clone(),
        pseudonym: pseudonym.clone(),
        submission_id: submission.id.clone(),
        scores: parse_scores(&fields)?,
        submit: field("action") == Some("submit"),
    };
    let saved = review::save(&app.workspace.store, &assignment.rubric, entry, now_ms()).await;
    match saved {
        Ok(Saved::Incomplete(missing)) => {
            render_review(&app, &me, &token, &pseudonym, missing).await
        }
        Ok(Saved::Draft | Saved::Submitted) => {
            Ok(Redirect::to(&format!("/r/{token}/review/{pseudonym}")).into_response())
        }
        Err(SaveError::Store(error)) => Err(Failure::Internal(error)),
        Err(refused) => Err(Failure::BadRequest(refused.to_string())),
    }
}

/// The first value of form field `name`.
fn form_field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// The rubric fields of a form, as entered: `level.ID` (a number), `comment.ID` and
/// `recommendation`. A level that is not a number or an unknown recommendation is a 400;
/// `review::save` checks the rest against the rubric.
fn parse_scores(fields: &[(String, String)]) -> Result<Scores> {
    let mut scores = Scores::default();
    for (name, value) in fields {
        if let Some(id) = name.strip_prefix("level.") {
            let level = value.parse::<u8>().map_err(|_| {
                Failure::BadRequest(format!(
                    "`{name}` = `{value}` is not a level 1 to 4 of a criterion of this rubric."
                ))
            })?;
            scores.levels.insert(id.to_string(), level);
        } else if let Some(id) = name.strip_prefix("comment.") {
            scores.comments.insert(id.to_string(), value.clone());
        } else if name == "recommendation" {
            let recommendation = value.parse::<Recommendation>().map_err(|_| {
                let all: Vec<&str> = Recommendation::ALL.iter().map(|r| r.as_str()).collect();
                Failure::BadRequest(format!(
                    "`{value}` is not a recommendation: choose one of {}.",
                    all.join(", ")
                ))
            })?;
            scores.recommendation = Some(recommendation);
        }
    }
    Ok(scores)
}

/// The packet, in a sandboxed frame: no script and a unique origin even if a sanitiser
/// ever let something through. (No `frame-ancestors` here: a sandboxed page's origin is
/// opaque, so `'self'` would match nothing and Chromium would show an empty frame;
/// `X-Frame-Options: SAMEORIGIN` keeps other sites from framing it.)
pub async fn packet(
    State(app): State<Arc<App>>,
    Path((token, pseudonym)): Path<(String, String)>,
) -> Result<Response> {
    let me = auth::reviewer(&app, &token).await?;
    let submission = assigned(&app, &me, &pseudonym).await?;
    let html = app.packets.html(&app.workspace, &submission).await?;
    let mut response = ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response();
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'",
        ),
    );
    Ok(response)
}

/// Adds a comment on one line of one of the candidate's code files.
pub async fn comment(
    State(app): State<Arc<App>>,
    Path((token, pseudonym)): Path<(String, String)>,
    headers: HeaderMap,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response> {
    let me = auth::reviewer(&app, &token).await?;
    let field = |name: &str| form_field(&fields, name);
    // Who first: a reviewer not assigned gets the same 404 with or without a valid form.
    let submission = assigned(&app, &me, &pseudonym).await?;
    auth::check_form(&app, &token, &headers, field("csrf"))?;
    let packet = app.packets.get(&app.workspace, &submission).await?;
    let code: Vec<(&str, usize)> = packet
        .code
        .iter()
        .map(|f| (f.path.as_str(), f.lines.len()))
        .collect();
    let comment = review::LineComment {
        reviewer_id: &me.id,
        submission_id: &submission.id,
        path: field("path").unwrap_or_default(),
        line: field("line").unwrap_or_default(),
        body: field("body").unwrap_or_default(),
    };
    match review::add_line_comment(&app.workspace.store, &code, comment, now_ms()).await {
        Ok(()) => {}
        Err(CommentError::Store(error)) => return Err(Failure::Internal(error)),
        Err(refused) => return Err(Failure::BadRequest(refused.to_string())),
    }
    Ok(Redirect::to(&format!("/r/{token}/review/{pseudonym}")).into_response())
}

async fn overview_rows(
    app: &App,
    me: &ReviewerRow,
    assignment: &str,
) -> Result<Vec<overview::OverviewRow>> {
    if app.workspace.store.assignment(assignment).await?.is_none() {
        return Err(Failure::NotFound);
    }
    let visibility = Visibility::load(&app.workspace.store, &me.id).await?;
    Ok(overview::rows(&app.workspace, assignment, &visibility).await?)
}

pub async fn overview(
    State(app): State<Arc<App>>,
    Path((token, assignment)): Path<(String, String)>,
) -> Result<Response> {
    let me = auth::reviewer(&app, &token).await?;
    let rows = overview_rows(&app, &me, &assignment).await?;
    let scores: Vec<f64> = rows.iter().filter_map(|r| r.score).collect();
    let bins = overview::histogram(&scores, 10);
    let tallest = bins.iter().map(|b| b.2).max().unwrap_or(1).max(1);
    let bars: Vec<minijinja::Value> = bins
        .iter()
        .enumerate()
        .map(|(i, (low, high, count))| {
            let h = 110 * count / tallest;
            context! {
                x => 10 + i * 44, w => 40, y => 120 - h, h, count,
                low => format!("{low:.2}"), label => format!("{low:.3} to {high:.3}"),
            }
        })
        .collect();
    Ok(app
        .pages
        .render(
            "overview.html",
            context! {
                assignment, rows => to_value(&rows)?, bars, chart_width => 10 + bins.len() * 44,
                base => format!("/r/{token}"),
            },
        )?
        .into_response())
}

pub async fn export(
    State(app): State<Arc<App>>,
    Path((token, file)): Path<(String, String)>,
) -> Result<Response> {
    let me = auth::reviewer(&app, &token).await?;
    let Some((assignment, format)) = file
        .rsplit_once('.')
        .and_then(|(stem, ext)| Some((stem, ext.parse::<ExportFormat>().ok()?)))
    else {
        return Err(Failure::NotFound);
    };
    let rows = overview_rows(&app, &me, assignment).await?;
    let (body, content_type) = (format.write(&rows)?, format.content_type());
    let disposition = format!("attachment; filename=\"{file}\"");
    Ok((
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        body,
    )
        .into_response())
}
