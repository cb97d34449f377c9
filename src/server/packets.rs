//! Packets as the reviewer pages show them, kept while their submission's runs are
//! unchanged: collecting one (code, report, notebooks, de-identification) costs far more than
//! the page around it, and every review page and packet frame needs one.

use std::sync::{Arc, Mutex};

use crate::packet::Packet;
use crate::store::{SubmissionRow, Workspace};

/// Packets kept (each holds the code, report and notebook views of one submission).
const KEPT: usize = 32;

/// One collected packet and, once asked for, its rendered HTML (the packet frame).
struct Kept {
    submission_id: String,
    /// The submission's number of runs when it was collected: runs are only ever added, and
    /// a packet changes only with them (a submission version itself never changes).
    runs: i64,
    packet: Arc<Packet>,
    html: Arc<std::sync::OnceLock<String>>,
}

#[derive(Default)]
pub struct Packets {
    kept: Mutex<Vec<Kept>>,
}

impl Packets {
    /// The packet of `submission`, collected again only when its runs have changed.
    pub async fn get(
        &self,
        workspace: &Workspace,
        submission: &SubmissionRow,
    ) -> anyhow::Result<Arc<Packet>> {
        Ok(self.entry(workspace, submission).await?.0)
    }

    /// The packet of `submission` rendered as the packet frame's HTML.
    pub async fn html(
        &self,
        workspace: &Workspace,
        submission: &SubmissionRow,
    ) -> anyhow::Result<String> {
        let (packet, html) = self.entry(workspace, submission).await?;
        if let Some(html) = html.get() {
            return Ok(html.clone());
        }
        let rendered = crate::packet::render::packet(&packet)?;
        Ok(html.get_or_init(|| rendered).clone())
    }

    async fn entry(
        &self,
        workspace: &Workspace,
        submission: &SubmissionRow,
    ) -> anyhow::Result<(Arc<Packet>, Arc<std::sync::OnceLock<String>>)> {
        let runs = workspace.store.run_count(&submission.id).await?;
        if let Some(kept) = self
            .lock()
            .iter()
            .find(|k| k.submission_id == submission.id && k.runs == runs)
        {
            return Ok((kept.packet.clone(), kept.html.clone()));
        }
        let packet = Arc::new(crate::packet::collect(workspace, submission).await?);
        let html = Arc::new(std::sync::OnceLock::new());
        let mut kept = self.lock();
        kept.retain(|k| k.submission_id != submission.id);
        if kept.len() >= KEPT {
            kept.remove(0);
        }
        kept.push(Kept {
            submission_id: submission.id.clone(),
            runs,
            packet: packet.clone(),
            html: html.clone(),
        });
        Ok((packet, html))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Kept>> {
        // A panic elsewhere while holding the lock leaves a usable list.
        self.kept.lock().unwrap_or_else(|e| e.into_inner())
    }
}
