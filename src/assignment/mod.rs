//! Assignments: the folder format of `assignments/README.md` as types, and its validation.
//!
//! Plain data and checks; the only I/O is reading the folder. Metric names come from
//! [`crate::score::Metric`]; runner limits are an overlay on the runner's defaults.

mod add;
mod check;
mod format;
mod hash;
mod manifest;
mod packages;
mod problem;
mod read;
mod read_runner;
mod report;
mod runner_kind;
mod walk;

pub use add::{Added, PinPackages, WHEELS_UNDER, add, pinned_wheels};
pub use check::{ASSIGNMENT_TOML, check};
pub use format::{Assignment, Criterion, Deliverables, Level, LimitsOverlay, RunnerSpec, Scoring};
pub use hash::{content_files, content_hash};
pub use manifest::{ModelSpec, SUBMISSION_TOML, SubmissionManifest, load_manifest, parse_manifest};
pub use packages::{PackageTarget, Pin, normalize as normalize_package};
pub use problem::{Problem, position};
pub use report::{markdown_headings, report_sections, sections_in};
pub use runner_kind::RunnerKind;
