//! Cohort views as the lead's pages show them, kept while their inputs are unchanged:
//! computing one (similarity over every submission, bootstrap intervals of agreement) costs
//! far more than the page around it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::cohort::{self, Cohort};
use crate::store::{CohortInputs, Workspace};

/// One computed cohort and the inputs it was computed from.
struct Kept {
    inputs: CohortInputs,
    cohort: Arc<Cohort>,
}

/// The newest cohort of each assignment.
#[derive(Default)]
pub struct Cohorts {
    kept: Mutex<HashMap<String, Kept>>,
}

impl Cohorts {
    /// The cohort of `assignment`, computed again only when an assignment version, a
    /// submission or a submitted review has been added since (all are only ever added).
    pub async fn get(
        &self,
        workspace: &Workspace,
        assignment: &str,
    ) -> anyhow::Result<Arc<Cohort>> {
        let inputs = workspace.store.cohort_inputs().await?;
        if let Some(kept) = self.lock().get(assignment)
            && kept.inputs == inputs
        {
            return Ok(kept.cohort.clone());
        }
        let computed = Arc::new(cohort::cohort(workspace, assignment, Vec::new()).await?);
        self.lock().insert(
            assignment.to_string(),
            Kept {
                inputs,
                cohort: computed.clone(),
            },
        );
        Ok(computed)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Kept>> {
        // A panic while holding the lock leaves a consistent map: use it.
        self.kept.lock().unwrap_or_else(|e| e.into_inner())
    }
}
