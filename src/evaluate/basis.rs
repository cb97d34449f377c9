//! Where a score comes from: the run, model inference, or the predictions as handed in; and
//! why the code did not produce the scored output when the score is not the run's.

use std::path::Path;

use super::claims::{ClaimCheck, ClaimStatus};
use super::model::ModelCheck;
use super::scoring::ScoreOutcome;
use crate::base::FileRef;
use crate::base::closed::closed_set;
use crate::record::{DiagnosticKind, RunRecord, Verdict};
use crate::store::Blobs;

closed_set! {
    /// What the score was computed from. The strings are part of the interface.
    pub enum ScoreBasis("a score basis") {
        /// The output the entry point wrote in the sandbox.
        Run = "run",
        /// The handed-in model, run on the preprocessed public test inputs.
        ModelInference = "model inference",
        /// The output file as the candidate handed it in: nothing reproduced it.
        HandedIn = "as handed in, not reproduced",
    }
}

impl ScoreBasis {
    /// For serde: evaluations stored before bases existed were scored from the run.
    pub fn run() -> Self {
        ScoreBasis::Run
    }

    pub fn is_run(&self) -> bool {
        *self == ScoreBasis::Run
    }

    /// A claim within tolerance of a score from this basis: `verified` only for the run.
    pub fn within_tolerance(self) -> ClaimStatus {
        match self {
            ScoreBasis::Run => ClaimStatus::Verified,
            ScoreBasis::ModelInference => ClaimStatus::VerifiedByModel,
            ScoreBasis::HandedIn => ClaimStatus::ConsistentWithHandedIn,
        }
    }
}

/// Restates the verdict of claims checked against a score from `basis`.
pub fn restate(claims: &mut [ClaimCheck], basis: ScoreBasis) {
    for claim in claims {
        if claim.status == ClaimStatus::Verified {
            claim.status = basis.within_tolerance();
        }
    }
}

/// The submission's own copy of the scored output file, if it handed one in.
pub fn handed_in<'a>(files: &'a [FileRef], output: &str) -> Option<&'a FileRef> {
    files.iter().find(|f| f.path == output)
}

/// Why the run did not give the score: the verdict and message, and the modules it could not
/// import (`missing_module: torch`).
pub fn not_run_reason(record: &RunRecord, run_score: &ScoreOutcome) -> String {
    let mut reason = match record.verdict {
        Verdict::Ok => run_score
            .error()
            .unwrap_or("the run gave no score")
            .to_string(),
        verdict => format!("the entry point ended with {verdict}: {}", record.message),
    };
    let missing: Vec<&str> = record
        .diagnostics
        .iter()
        .filter(|d| d.kind == DiagnosticKind::MissingModule)
        .map(|d| d.detail.as_str())
        .collect();
    if !missing.is_empty() {
        reason.push_str(&format!(" (missing_module: {})", missing.join(", ")));
    }
    reason
}

/// The score an evaluation shows, what it was computed from, and why not from the run.
pub struct Judged {
    pub score: ScoreOutcome,
    pub basis: ScoreBasis,
    pub not_run_reason: Option<String>,
}

/// Picks the score: the run's when it has one; else the handed-in model's; else the
/// handed-in output file's (staged alone in a folder and scored by `score_from`); else the
/// run's failure.
pub fn judge(
    run_score: ScoreOutcome,
    model: Option<&ModelCheck>,
    record: &RunRecord,
    blobs: &Blobs,
    files: &[FileRef],
    output: &str,
    score_from: &dyn Fn(&Path) -> ScoreOutcome,
) -> anyhow::Result<Judged> {
    if run_score.score().is_some() {
        return Ok(Judged {
            score: run_score,
            basis: ScoreBasis::Run,
            not_run_reason: None,
        });
    }
    let reason = Some(not_run_reason(record, &run_score));
    if let Some(score) = model
        .and_then(|m| m.score.as_ref())
        .filter(|s| s.score().is_some())
    {
        return Ok(Judged {
            score: score.clone(),
            basis: ScoreBasis::ModelInference,
            not_run_reason: reason,
        });
    }
    let Some(file) = handed_in(files, output) else {
        return Ok(Judged {
            score: run_score,
            basis: ScoreBasis::Run,
            not_run_reason: None,
        });
    };
    let staged = tempfile::tempdir()?;
    super::materialize(
        blobs,
        &[(file.path.clone(), file.sha256.clone())],
        staged.path(),
    )?;
    Ok(Judged {
        score: score_from(staged.path()),
        basis: ScoreBasis::HandedIn,
        not_run_reason: reason,
    })
}
