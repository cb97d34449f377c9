//! Issuing: candidates, pseudonyms, tokens, deadlines and the bundle each candidate gets.

pub mod bundle;
pub mod identity;

use std::time::{SystemTime, UNIX_EPOCH};

use crate::assignment::Assignment;
use crate::base::closed::closed_set;
use crate::store::{AssignmentRow, Blobs, CandidateRow, RunPurpose, Store};

closed_set! {
    /// Where a candidate is, by their newest submission version.
    pub enum Status("a candidate status") {
        /// Issued; nothing handed in yet.
        Issued = "issued",
        /// Handed in on time, not evaluated yet.
        Submitted = "submitted",
        /// Handed in after the deadline, not evaluated yet.
        Late = "late",
        /// The newest version has an evaluation.
        Evaluated = "evaluated",
    }
}

/// A candidate's progress: their status, whether the newest version is late, and how many
/// versions they handed in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Progress {
    pub status: Status,
    pub late: bool,
    pub versions: usize,
}

/// The progress of `candidate`.
pub async fn progress(store: &Store, candidate: &CandidateRow) -> anyhow::Result<Progress> {
    let versions = store.submissions(Some(&candidate.pseudonym)).await?;
    let Some(newest) = versions.last() else {
        return Ok(Progress {
            status: Status::Issued,
            late: false,
            versions: 0,
        });
    };
    let evaluated = store
        .latest_run(&newest.id, RunPurpose::Evaluate)
        .await?
        .is_some();
    let status = if evaluated {
        Status::Evaluated
    } else if newest.late {
        Status::Late
    } else {
        Status::Submitted
    };
    Ok(Progress {
        status,
        late: newest.late,
        versions: versions.len(),
    })
}

/// What `takehome issue` hands back: the only time the token is ever shown.
pub struct Issued {
    pub candidate: CandidateRow,
    pub token: String,
    pub bundle: Vec<u8>,
}

/// When the work is due: a duration from now (`7d`, `36h`), or a date (`2026-12-01`) or
/// date and time (`2026-12-01T17:00:00Z`) in UTC.
pub fn parse_due(text: &str, now_ms: i64) -> Result<i64, String> {
    if let Ok(duration) = humantime::parse_duration(text.trim()) {
        return Ok(now_ms + duration.as_millis() as i64);
    }
    if let Ok(when) = humantime::parse_rfc3339_weak(text.trim()) {
        return Ok(millis(when));
    }
    if let Ok(when) = humantime::parse_rfc3339_weak(&format!("{}T23:59:59Z", text.trim())) {
        return Ok(millis(when));
    }
    Err(format!(
        "--due `{text}` is neither a duration (7d, 36h) nor a date (2026-12-01, 2026-12-01T17:00:00Z)"
    ))
}

fn millis(when: SystemTime) -> i64 {
    when.duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis() as i64
}

/// Issues `assignment` to a candidate: a fresh pseudonym and token, a deadline, a bundle.
pub async fn issue(
    store: &Store,
    blobs: &Blobs,
    row: &AssignmentRow,
    name: &str,
    email: &str,
    due_ms: i64,
    now: i64,
) -> anyhow::Result<Issued> {
    let assignment: Assignment = row.decode_manifest()?;
    let mut pseudonym = identity::pseudonym(4);
    let mut tries = 0;
    while store.pseudonym_taken(&pseudonym).await? {
        tries += 1;
        pseudonym = identity::pseudonym(4 + tries / 8);
    }
    let token = identity::token();
    let bundle = bundle::build(blobs, row, &assignment, &pseudonym, due_ms)?;
    let bundle_sha256 = blobs.put(&bundle)?;
    let candidate = CandidateRow {
        pseudonym,
        name: name.to_string(),
        email: email.to_string(),
        assignment_hash: row.content_hash.clone(),
        token_hash: identity::token_hash(&token),
        issued_at: now,
        due_at: due_ms,
        bundle_sha256,
    };
    store.add_candidate(&candidate).await?;
    Ok(Issued {
        candidate,
        token,
        bundle,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candidate_statuses_round_trip_through_their_strings() {
        crate::base::closed::assert_round_trip(Status::ALL, Status::as_str);
    }

    #[test]
    fn due_accepts_durations_and_dates() {
        let now = 1_700_000_000_000;
        assert_eq!(parse_due("7d", now).unwrap(), now + 7 * 86_400_000);
        assert_eq!(parse_due("2026-12-01", now).unwrap(), 1_796_169_599_000);
        assert_eq!(
            parse_due("2026-12-01T17:00:00Z", now).unwrap(),
            1_796_144_400_000
        );
        assert!(
            parse_due("next tuesday", now)
                .unwrap_err()
                .contains("next tuesday")
        );
    }
}
