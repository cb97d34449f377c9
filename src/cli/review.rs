//! `takehome reviewer`, `assign` and `export`: the grading side from the command line.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};

use super::{WorkspaceOptions, usage};
use crate::base::now_ms;
use crate::issue::identity;
use crate::review;
use crate::review::overview::{self, ExportFormat};
use crate::store::Workspace;
use crate::store::reviews::ReviewerRow;

/// Add and list reviewers, mark conflicts of interest, and replace lost links.
#[derive(Args, Debug)]
pub struct ReviewerArgs {
    #[command(subcommand)]
    command: ReviewerCommand,
}

#[derive(Subcommand, Debug)]
enum ReviewerCommand {
    /// Add a reviewer and print their secret link (shown once; only its hash is kept).
    Add {
        /// The reviewer's name, as other reviewers see it.
        name: String,
    },
    /// List the reviewers with their assigned and submitted reviews.
    List,
    /// Mark a reviewer as conflicted with a candidate: `assign` never pairs them.
    Conflict {
        /// The reviewer's name.
        reviewer: String,
        /// The candidate: pseudonym, name or email.
        candidate: String,
    },
    /// Replace a reviewer's link with a new one (the old one stops working).
    Relink {
        /// The reviewer's name.
        name: String,
    },
}

pub async fn reviewer(args: ReviewerArgs, options: &WorkspaceOptions) -> anyhow::Result<ExitCode> {
    let workspace = options.open().await?;
    let store = &workspace.store;
    match args.command {
        ReviewerCommand::Add { name } => {
            let (reviewer, token) = match review::add_reviewer(store, &name).await {
                Ok(added) => added,
                Err(review::ReviewerError::Store(error)) => return Err(error),
                Err(refused) => return Err(usage(refused.to_string())),
            };
            let name = reviewer.name;
            println!("added reviewer {name}");
            println!(
                "link  {}/r/{token}  (shown once: send it to {name})",
                workspace.public_url()
            );
        }
        ReviewerCommand::List => {
            let assigned = store.review_assignments().await?;
            let reviews = store.reviews().await?;
            let reviewers = store.reviewers().await?;
            if reviewers.is_empty() {
                println!("no reviewers yet: takehome reviewer add NAME");
            }
            for r in reviewers {
                let n = assigned.iter().filter(|(id, _)| id == &r.id).count();
                let done = reviews
                    .iter()
                    .filter(|v| v.reviewer_id == r.id && v.state == review::ReviewState::Submitted)
                    .count();
                println!("{:<24} {done}/{n} reviews submitted", r.name);
            }
        }
        ReviewerCommand::Conflict {
            reviewer,
            candidate,
        } => {
            let r = find_reviewer(&workspace, &reviewer).await?;
            let c = store.candidate(&candidate).await?.ok_or_else(|| {
                usage(format!(
                    "no candidate `{candidate}`: see `takehome candidates`"
                ))
            })?;
            if store.is_assigned(&r.id, &c.pseudonym).await? {
                return Err(usage(format!(
                    "{} is already assigned to review {}; a conflict must be marked before `takehome assign`",
                    r.name, c.pseudonym
                )));
            }
            store.add_conflict(&r.id, &c.pseudonym).await?;
            println!("{} will never be assigned {}", r.name, c.pseudonym);
        }
        ReviewerCommand::Relink { name } => {
            let r = find_reviewer(&workspace, &name).await?;
            let token = identity::token();
            store
                .set_reviewer_token(&r.id, &identity::token_hash(&token))
                .await?;
            println!(
                "link  {}/r/{token}  (the old link no longer works)",
                workspace.public_url()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn find_reviewer(workspace: &Workspace, name: &str) -> anyhow::Result<ReviewerRow> {
    workspace.store.reviewer(name).await?.ok_or_else(|| {
        usage(format!(
            "no reviewer `{name}`: see `takehome reviewer list`"
        ))
    })
}

/// Spread an assignment's submissions over the reviewers: each candidate who handed
/// something in gets N reviewers, loads stay even, conflicts are never assigned, and
/// existing assignments are kept (run it again after new submissions arrive).
#[derive(Args, Debug)]
pub struct AssignArgs {
    /// The assignment id.
    assignment: String,
    /// Reviewers per candidate.
    #[arg(long, value_name = "N")]
    reviewers: usize,
}

pub async fn assign(args: AssignArgs, options: &WorkspaceOptions) -> anyhow::Result<ExitCode> {
    if args.reviewers == 0 {
        return Err(usage("--reviewers must be at least 1"));
    }
    let workspace = options.open().await?;
    let assigned =
        match review::assign(&workspace, &args.assignment, args.reviewers, now_ms()).await {
            Ok(assigned) => assigned,
            Err(review::AssignError::Store(error)) => return Err(error),
            Err(refused) => return Err(usage(refused.to_string())),
        };
    println!("{} new review assignment(s)", assigned.new.len());
    for (pseudonym, names) in &assigned.reviewers {
        println!("{pseudonym:<10} {}", names.join(", "));
    }
    Ok(ExitCode::SUCCESS)
}

/// Export an assignment's overview (verdict, score, claims, review progress, weighted
/// total, recommendations, disagreements per candidate) as CSV or JSON.
#[derive(Args, Debug)]
pub struct ExportArgs {
    /// The assignment id.
    assignment: String,
    /// csv or json.
    #[arg(long, value_enum, default_value_t = ExportFormat::Csv)]
    format: ExportFormat,
    /// Write to this file instead of stdout.
    #[arg(long, short, value_name = "FILE")]
    out: Option<PathBuf>,
}

pub async fn export(args: ExportArgs, options: &WorkspaceOptions) -> anyhow::Result<ExitCode> {
    let workspace = options.open().await?;
    if workspace
        .store
        .assignment(&args.assignment)
        .await?
        .is_none()
    {
        return Err(usage(format!(
            "no assignment `{}`: see `takehome assignment list`",
            args.assignment
        )));
    }
    let rows = overview::rows(
        &workspace,
        &args.assignment,
        &review::Visibility::everything(),
    )
    .await?;
    let mut text = args.format.write(&rows)?;
    if args.format == ExportFormat::Json {
        text.push('\n');
    }
    match args.out {
        Some(path) => {
            crate::base::write_atomically(&path, || Ok(text.as_bytes().to_vec()))?;
            eprintln!("wrote {} rows to {}", rows.len(), path.display());
        }
        None => print!("{text}"),
    }
    Ok(ExitCode::SUCCESS)
}
