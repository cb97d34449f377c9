//! Stored JSON columns, decoded with one error policy: a value that does not decode is an
//! error naming the row and the column (never a silent default). Each row type has one
//! accessor per JSON column, `decode_<column>`; where the column's type belongs to a stage
//! above the store (an assignment, a manifest, an evaluation, a validation, job options), the
//! accessor is generic and the caller names the type: the store knows only its own rows.

use anyhow::Context;
use serde::de::DeserializeOwned;

use super::queue::JobRow;
use super::reviews::ReviewRow;
use super::{AssignmentRow, RunRow, SubmissionRow};

pub use crate::base::FileRef;

/// Decodes column `column` of the row described by `what`.
pub(crate) fn decode<T: DeserializeOwned>(
    what: &str,
    column: &str,
    text: &str,
) -> anyhow::Result<T> {
    serde_json::from_str(text).with_context(|| {
        format!("{what}: the stored `{column}` is not what this version of takehome reads")
    })
}

impl AssignmentRow {
    fn what(&self) -> String {
        format!("assignment {} revision {}", self.id, self.revision)
    }

    /// The parsed `assignment.toml` (`assignment::Assignment`).
    pub fn decode_manifest<T: DeserializeOwned>(&self) -> anyhow::Result<T> {
        decode(&self.what(), "manifest", &self.manifest)
    }

    /// Every file of the version, kept as blobs.
    pub fn decode_files(&self) -> anyhow::Result<Vec<FileRef>> {
        decode(&self.what(), "files", &self.files)
    }
}

impl SubmissionRow {
    fn what(&self) -> String {
        format!("submission {}", self.id)
    }

    /// Every file of the version, kept as blobs.
    pub fn decode_files(&self) -> anyhow::Result<Vec<FileRef>> {
        decode(&self.what(), "files", &self.files)
    }

    /// Its `submission.toml` (`assignment::SubmissionManifest`).
    pub fn decode_manifest<T: DeserializeOwned>(&self) -> anyhow::Result<T> {
        decode(&self.what(), "manifest", &self.manifest)
    }

    /// What intake found (`submission::intake::Validation`).
    pub fn decode_validation<T: DeserializeOwned>(&self) -> anyhow::Result<T> {
        decode(&self.what(), "validation", &self.validation)
    }
}

impl RunRow {
    /// The evaluation (`evaluate::Evaluation`).
    pub fn decode_evaluation<T: DeserializeOwned>(&self) -> anyhow::Result<T> {
        decode(&format!("run {}", self.id), "evaluation", &self.evaluation)
    }
}

impl JobRow {
    /// How to run (`queue::JobOptions`).
    pub fn decode_options<T: DeserializeOwned>(&self) -> anyhow::Result<T> {
        decode(&format!("job {}", self.id), "options", &self.options)
    }
}

impl ReviewRow {
    fn what(&self) -> String {
        format!("the review of {} by {}", self.pseudonym, self.reviewer_id)
    }

    /// Criterion id → level.
    pub fn decode_levels(&self) -> anyhow::Result<std::collections::BTreeMap<String, u8>> {
        decode(&self.what(), "levels", &self.levels)
    }

    /// Criterion id → comment.
    pub fn decode_comments(&self) -> anyhow::Result<std::collections::BTreeMap<String, String>> {
        decode(&self.what(), "comments", &self.comments)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_column_that_does_not_decode_names_its_row() {
        let run = RunRow {
            id: "C-7F3K/2#1".into(),
            submission_id: "C-7F3K/2".into(),
            purpose: super::super::RunPurpose::Evaluate,
            evaluation: "{not json".into(),
            created_at: 0,
        };
        let error = run.decode_evaluation::<serde_json::Value>().unwrap_err();
        assert_eq!(
            error.to_string(),
            "run C-7F3K/2#1: the stored `evaluation` is not what this version of takehome reads"
        );
    }

    #[test]
    fn file_lists_round_trip() {
        let files = vec![FileRef {
            path: "data/train.csv".into(),
            bytes: 3,
            sha256: "ab".repeat(32),
        }];
        let row = SubmissionRow {
            id: "C-1/1".into(),
            pseudonym: "C-1".into(),
            seq: 1,
            content_hash: String::new(),
            files: serde_json::to_string(&files).unwrap(),
            manifest: String::new(),
            validation: String::new(),
            received_at: 0,
            late: false,
            same_as: None,
        };
        assert_eq!(row.decode_files().unwrap(), files);
        assert!(
            row.decode_manifest::<serde_json::Value>()
                .unwrap_err()
                .to_string()
                .starts_with("submission C-1/1: the stored `manifest`")
        );
    }
}
