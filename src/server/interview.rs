//! The interview sheet's two doors: a reviewer's, once their own review of the candidate is
//! submitted (with the line comments they may see), and the lead's (with every comment and
//! the similarity hits of the cohort view).

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use minijinja::context;

use super::{App, Failure, Result, auth};
use crate::packet::render::to_value;
use crate::review::interview::{self, SimilarityHit};
use crate::review::{ReviewState, Visibility};
use crate::store::SubmissionRow;
use crate::store::reviews::LineCommentRow;

/// Pairs below this similarity are not put to the candidate: a few shared lines are the
/// obvious way to call a library more often than not.
const SIMILARITY_TO_ASK: f64 = 0.3;
/// At most this many similarity topics per sheet, the most similar first.
const SIMILAR_LISTED: usize = 3;

pub async fn for_reviewer(
    State(app): State<Arc<App>>,
    Path((token, pseudonym)): Path<(String, String)>,
) -> Result<Response> {
    let me = auth::reviewer(&app, &token).await?;
    let store = &app.workspace.store;
    // Only a reviewer assigned to the candidate who has submitted: the same 404 for anyone
    // else, so a draft cannot be steered by what others wrote.
    let submitted = store
        .review(&me.id, &pseudonym)
        .await?
        .is_some_and(|r| r.state == ReviewState::Submitted);
    if !submitted || !store.is_assigned(&me.id, &pseudonym).await? {
        return Err(Failure::NotFound);
    }
    let submission = newest(&app, &pseudonym).await?;
    let visibility = Visibility::load(store, &me.id).await?;
    let comments = comments(&app, &submission, |author| {
        visibility.sees_comment(&pseudonym, author)
    })
    .await?;
    render(&app, &submission, &comments, &[], format!("/r/{token}")).await
}

pub async fn for_lead(
    State(app): State<Arc<App>>,
    Path((token, pseudonym)): Path<(String, String)>,
) -> Result<Response> {
    auth::lead(&app, &token).await?;
    let store = &app.workspace.store;
    if !store
        .candidates()
        .await?
        .iter()
        .any(|c| c.pseudonym == pseudonym)
    {
        return Err(Failure::NotFound);
    }
    let submission = newest(&app, &pseudonym).await?;
    let assignment = store.assignment_of(&pseudonym).await?.id;
    let cohort = app.cohorts.get(&app.workspace, &assignment).await?;
    let mut similar: Vec<SimilarityHit> = cohort
        .similarity
        .pairs
        .iter()
        .filter(|p| p.similarity >= SIMILARITY_TO_ASK && p.longest_fragment > 0)
        .filter_map(|p| {
            let ours_left = p.left == pseudonym;
            if !ours_left && p.right != pseudonym {
                return None;
            }
            let span = p.fragments.first().map(|f| {
                let s = if ours_left { &f.left } else { &f.right };
                (s.file.clone(), s.first_line, s.last_line)
            });
            Some(SimilarityHit {
                other: if ours_left { &p.right } else { &p.left }.clone(),
                public: p.public,
                similarity: p.similarity,
                longest_fragment: p.longest_fragment,
                span,
            })
        })
        .collect();
    similar.sort_by(|a, b| b.similarity.total_cmp(&a.similarity));
    similar.truncate(SIMILAR_LISTED);
    let comments = comments(&app, &submission, |_| true).await?;
    render(
        &app,
        &submission,
        &comments,
        &similar,
        format!("/l/{token}"),
    )
    .await
}

async fn newest(app: &App, pseudonym: &str) -> Result<SubmissionRow> {
    app.workspace
        .store
        .newest_submission(pseudonym)
        .await?
        .ok_or_else(|| Failure::BadRequest(format!("{pseudonym} has not handed anything in yet.")))
}

/// The line comments on `submission` whose author `shown` lets through, with their names.
async fn comments(
    app: &App,
    submission: &SubmissionRow,
    shown: impl Fn(&str) -> bool,
) -> Result<Vec<(LineCommentRow, String)>> {
    let store = &app.workspace.store;
    let names = store.reviewer_names().await?;
    Ok(store
        .line_comments(&submission.id)
        .await?
        .into_iter()
        .filter(|c| shown(&c.reviewer_id))
        .map(|c| {
            let name = names.get(&c.reviewer_id).cloned().unwrap_or_default();
            (c, name)
        })
        .collect())
}

async fn render(
    app: &App,
    submission: &SubmissionRow,
    comments: &[(LineCommentRow, String)],
    similar: &[SimilarityHit],
    base: String,
) -> Result<Response> {
    let packet = app.packets.get(&app.workspace, submission).await?;
    let sheet = interview::sheet(&packet, comments, similar);
    // The reviewer's packet links open the listing at the line; the lead has no packet page.
    let packet_link = base
        .starts_with("/r/")
        .then(|| format!("{base}/packet/{}", sheet.pseudonym));
    Ok(app
        .pages
        .render(
            "interview.html",
            context! { sheet => to_value(&sheet)?, base, packet_link },
        )?
        .into_response())
}
