//! The candidate portal: brief, deadline, bundle, upload, and the smoke run of each upload.
//! A candidate sees only their own things, and never hidden data or scores.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::multipart::MultipartError;
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use minijinja::context;
use serde::Serialize;
use tokio::io::AsyncWriteExt;

use super::{App, Failure, Result, auth};
use crate::assignment::Assignment;
use crate::base::{format_time, now_ms};
use crate::evaluate::SmokeRun;
use crate::packet::render::to_value;
use crate::queue::{self, JobOptions};
use crate::store::RunPurpose;
use crate::store::queue::JobState;
use crate::submission::intake::{self, Outcome, Validation};

/// Lines of stderr a candidate sees of their smoke run.

pub async fn portal(State(app): State<Arc<App>>, Path(token): Path<String>) -> Result<Response> {
    let candidate = auth::candidate(&app, &token).await?;
    let store = &app.workspace.store;
    let row = store.assignment_of(&candidate.pseudonym).await?;
    let assignment: Assignment = row.decode_manifest()?;
    let files = row.decode_files()?;
    let brief = match files.iter().find(|f| f.path == "brief.md") {
        Some(file) => crate::packet::markdown::render(&String::from_utf8_lossy(
            &app.workspace.blobs.get(&file.sha256)?,
        )),
        None => String::new(),
    };
    let mut submissions = Vec::new();
    let mut pending = false;
    for s in store.submissions(Some(&candidate.pseudonym)).await? {
        let smoke = smoke_view(&app, &s.id, &assignment).await?;
        pending |= smoke.queued.is_some_and(|state| !state.is_settled());
        let validation: Validation = s.decode_validation()?;
        submissions.push(context! {
            seq => s.seq,
            received => format_time(s.received_at),
            late => s.late,
            same_as => s.same_as,
            warnings => validation.warnings,
            smoke => to_value(&smoke)?,
        });
    }
    submissions.reverse();
    let now = now_ms();
    let page = app.pages.render(
        "candidate.html",
        context! {
            title => row.title,
            pseudonym => candidate.pseudonym.clone(),
            due => format_time(candidate.due_at),
            overdue => now > candidate.due_at,
            time_left => time_left(candidate.due_at - now),
            base => format!("/c/{token}"),
            bundle_name => bundle_name(&row.id, &candidate.pseudonym),
            max_upload => crate::base::limits::Bytes(app.max_upload).to_string(),
            csrf => auth::csrf_token(&app, &token),
            submissions => submissions,
            brief => brief,
            refresh => pending.then_some(3),
        },
    )?;
    Ok(page.into_response())
}

/// What a candidate may see of the run of one upload: its queue state, and once it ran, the
/// smoke run (`evaluate::SmokeRun`).
#[derive(Serialize)]
struct SmokeView {
    /// The queue state as shown: a job state, or `not queued`.
    state: String,
    #[serde(skip)]
    queued: Option<JobState>,
    #[serde(flatten)]
    run: SmokeRun,
}

async fn smoke_view(app: &App, submission_id: &str, assignment: &Assignment) -> Result<SmokeView> {
    let store = &app.workspace.store;
    // The upload's evaluation: reruns of it are the reviewers' business.
    let Some(job) = store
        .latest_job(submission_id, RunPurpose::Evaluate)
        .await?
    else {
        let (state, queued, run) = ("not queued".into(), None, SmokeRun::default());
        return Ok(SmokeView { state, queued, run });
    };
    let run = match &job.run_id {
        Some(id) => store.run(id).await?,
        None => None,
    };
    let run = match run {
        Some(run) => SmokeRun::of(&run.decode_evaluation()?, assignment),
        None => SmokeRun::default(),
    };
    let (state, queued) = (job.state.as_str().into(), Some(job.state));
    Ok(SmokeView { state, queued, run })
}

fn time_left(ms: i64) -> String {
    let text = |ms: i64| {
        let minutes = ms / 60_000;
        let (days, hours, minutes) = (minutes / 1440, minutes / 60 % 24, minutes % 60);
        match (days, hours) {
            (0, 0) => format!("{minutes} min"),
            (0, _) => format!("{hours} h {minutes} min"),
            _ => format!("{days} d {hours} h"),
        }
    };
    if ms >= 0 {
        format!("{} left", text(ms))
    } else {
        format!("closed {} ago", text(-ms))
    }
}

fn bundle_name(assignment: &str, pseudonym: &str) -> String {
    format!("{assignment}-{pseudonym}.zip")
}

pub async fn bundle(State(app): State<Arc<App>>, Path(token): Path<String>) -> Result<Response> {
    let candidate = auth::candidate(&app, &token).await?;
    let row = app
        .workspace
        .store
        .assignment_of(&candidate.pseudonym)
        .await?;
    let bytes = app.workspace.blobs.get(&candidate.bundle_sha256)?;
    let disposition = format!(
        "attachment; filename=\"{}\"",
        bundle_name(&row.id, &candidate.pseudonym)
    );
    Ok((
        [
            (header::CONTENT_TYPE, "application/zip".to_string()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        Body::from(bytes),
    )
        .into_response())
}

/// Takes an upload: checks the CSRF field, streams the file to disk under the size cap,
/// takes it in, and queues its run. Over the cap: 413, and nothing is kept.
pub async fn upload(
    State(app): State<Arc<App>>,
    Path(token): Path<String>,
    headers: HeaderMap,
    mut multipart: Multipart,
) -> Result<Response> {
    let candidate = auth::candidate(&app, &token).await?;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > app.max_upload + super::DRAIN_BYTES) {
        return Err(Failure::TooLarge(app.max_upload));
    }
    let intake = intake::Intake::for_workspace(&app.workspace)?;
    let too_large = |e: MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            Failure::TooLarge(app.max_upload)
        } else {
            Failure::BadRequest(format!(
                "The upload was cut off or malformed: {}",
                e.body_text()
            ))
        }
    };
    let mut form_checked = false;
    let mut upload: Option<tempfile::NamedTempFile> = None;
    while let Some(mut field) = multipart.next_field().await.map_err(too_large)? {
        match field.name() {
            Some("csrf") => {
                let mut given = Vec::new();
                while let Some(chunk) = field.chunk().await.map_err(too_large)? {
                    given.extend_from_slice(&chunk);
                    if given.len() > 256 {
                        return Err(Failure::Forbidden);
                    }
                }
                let given = String::from_utf8_lossy(&given);
                auth::check_form(&app, &token, &headers, Some(&given))?;
                form_checked = true;
            }
            Some("archive") if upload.is_none() => {
                // The form puts the CSRF field first: no byte is written for a forged form.
                if !form_checked {
                    return Err(Failure::Forbidden);
                }
                let file = tempfile::NamedTempFile::new_in(&intake.scratch)
                    .map_err(anyhow::Error::from)?;
                let mut out =
                    tokio::fs::File::from_std(file.reopen().map_err(anyhow::Error::from)?);
                let mut written = 0u64;
                while let Some(chunk) = field.chunk().await.map_err(too_large)? {
                    written += chunk.len() as u64;
                    if written > app.max_upload {
                        drop((out, file));
                        while let Ok(Some(_)) = field.chunk().await {}
                        drop(field);
                        return Err(drain(multipart, app.max_upload).await);
                    }
                    out.write_all(&chunk).await.map_err(anyhow::Error::from)?;
                }
                out.flush().await.map_err(anyhow::Error::from)?;
                upload = Some(file);
            }
            _ => {}
        }
    }
    if !form_checked {
        return Err(Failure::Forbidden);
    }
    let Some(upload) = upload else {
        return Err(Failure::BadRequest(
            "Choose a .zip or .tar.gz file to upload.".into(),
        ));
    };
    let row = app
        .workspace
        .store
        .assignment_of(&candidate.pseudonym)
        .await?;
    let assignment: Assignment = row.decode_manifest()?;
    let outcome = intake::submit(&intake, &candidate, &assignment, upload.path(), now_ms()).await?;
    drop(upload);
    let base = format!("/c/{token}");
    match outcome {
        Outcome::Accepted { row, validation } => {
            queue::enqueue(
                &app.workspace.store,
                std::slice::from_ref(&row),
                JobOptions::default(),
                queue::PRIORITY_UPLOAD,
            )
            .await?;
            let files = row.decode_files()?.len();
            let page = app.pages.render(
                "upload.html",
                context! {
                    accepted => true, seq => row.seq, files, late => row.late,
                    sections => validation.sections, warnings => validation.warnings,
                    inferred => validation.inferred, base,
                },
            )?;
            Ok(page.into_response())
        }
        Outcome::Rejected { validation } => {
            let page = app.pages.render(
                "upload.html",
                context! { accepted => false, errors => validation.errors, base },
            )?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

/// Reads and discards the rest of an upload that is over the cap (up to the body limit),
/// so that the client, still sending, gets the 413 instead of a reset connection.
async fn drain(mut multipart: Multipart, cap: u64) -> Failure {
    while let Ok(Some(mut field)) = multipart.next_field().await {
        while let Ok(Some(_)) = field.chunk().await {}
    }
    Failure::TooLarge(cap)
}

#[cfg(test)]
mod tests {
    #[test]
    fn time_left_reads_naturally() {
        assert_eq!(super::time_left(90_000), "1 min left");
        assert_eq!(super::time_left(3 * 86_400_000 + 3_600_000), "3 d 1 h left");
        assert_eq!(super::time_left(-7_200_000), "closed 2 h 0 min ago");
    }
}
