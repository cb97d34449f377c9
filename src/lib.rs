//! takehome: a grading harness for open-ended research take-home assignments.
//!
//! Data flows one way: assignment → issue → submission → run → score → packet → review.
//! `sandbox` is the only module that touches wasmtime, `store` the only one that touches the
//! database and the blobs; `cli` and `server` are thin edges over the stages. `queue` carries
//! runs between machines.

pub mod assignment;
pub mod base;
pub mod bench;
pub mod cli;
pub mod cohort;
pub mod evaluate;
pub mod gvisor;
pub mod issue;
pub mod packet;
pub mod queue;
pub mod record;
pub mod report;
pub mod review;
pub mod runner;
pub mod sandbox;
pub mod score;
pub mod server;
pub mod store;
pub mod submission;
