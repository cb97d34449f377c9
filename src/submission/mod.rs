//! Intake: safely unpacks a candidate's hostile upload (folder, .zip or .tar.gz) into a fresh
//! folder, reads or infers its manifest, and records the version.

pub mod archive;
pub mod infer;
pub mod intake;
pub mod packages;
