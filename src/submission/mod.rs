//! Intake: safely unpacks a candidate's hostile upload (folder, .zip or .tar.gz) into a fresh folder.

pub mod archive;
pub mod intake;
