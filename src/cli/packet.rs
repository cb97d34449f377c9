//! `takehome packet`: write blind review packets.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use super::WorkspaceOptions;
use crate::packet::{self, render};

/// Write a blind review packet for a submission version: one self-contained HTML page
/// (report, code, run, outputs, score, claims, reproducibility, rubric; no script, no
/// network) and its JSON twin, named PSEUDONYM-SEQ. Only the pseudonym identifies the
/// candidate: names, emails, user names and home folders are replaced by it and secrets are
/// masked; what was replaced where is printed here, for you, and never put in a packet.
/// With --all, every candidate's newest version plus index.html.
#[derive(Args, Debug)]
pub struct PacketArgs {
    #[command(flatten)]
    selection: super::workspace::Selection,
    /// Where to write [default: WORKSPACE/packets].
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
}

pub async fn execute(args: PacketArgs, options: &WorkspaceOptions) -> anyhow::Result<ExitCode> {
    let workspace = options.open().await?;
    let targets = args.selection.resolve(&workspace).await?;
    let out = args.out.unwrap_or_else(|| workspace.root.join("packets"));
    write(&workspace, &targets, &out, args.selection.all).await?;
    Ok(ExitCode::SUCCESS)
}

/// Writes the packets of `targets` into `out`, with the index pages when `index`.
pub(super) async fn write(
    workspace: &crate::store::Workspace,
    targets: &[crate::store::SubmissionRow],
    out: &std::path::Path,
    index: bool,
) -> anyhow::Result<()> {
    std::fs::create_dir_all(out)?;
    let mut rows = Vec::new();
    for submission in targets {
        let (packet, redactions) = packet::collect_with_redactions(workspace, submission).await?;
        let stem = format!("{}-{}", submission.pseudonym, submission.seq);
        let html = render::packet(&packet)?;
        std::fs::write(out.join(format!("{stem}.html")), html)?;
        std::fs::write(
            out.join(format!("{stem}.json")),
            serde_json::to_string_pretty(&packet)?,
        )?;
        println!(
            "{}: {}",
            submission.id,
            out.join(format!("{stem}.html")).display()
        );
        // For the hiring lead only: what de-identification replaced (never in the packet).
        if !redactions.is_empty() {
            println!("  redacted from this packet (for you, not the reviewers):");
            for r in &redactions {
                println!("    {}: {} ({}×)", r.location, r.what, r.count);
            }
        }
        let run = packet.run.as_ref();
        rows.push(render::IndexRow {
            pseudonym: packet.pseudonym.clone(),
            submission_id: packet.submission_id.clone(),
            file: format!("{stem}.html"),
            verdict: run.map(|r| r.verdict.to_string()),
            score: run.and_then(|r| r.score.score()),
            // A score nothing reproduced says so wherever it is listed.
            score_text: run.and_then(|r| {
                let text = r.score_text.clone()?;
                Some(match r.score_basis {
                    crate::evaluate::ScoreBasis::Run => text,
                    basis => format!("{text} ({basis})"),
                })
            }),
            claims: run
                .map(|r| {
                    r.claims
                        .iter()
                        .map(|c| format!("{}: {}", c.check.metric, c.check.status.as_str()))
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .unwrap_or_default(),
        });
    }
    if index {
        for (file, html) in render::index("all submissions", &rows)? {
            std::fs::write(out.join(file), html)?;
        }
        println!("index: {}", out.join("index.html").display());
    }
    Ok(())
}
