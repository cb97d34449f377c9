//! `takehome lead` and `takehome cohort`: the hiring lead's view from the command line.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};

use super::{WorkspaceOptions, usage};
use crate::base::now_ms;
use crate::cohort::{self, Cohort};
use crate::issue::identity;
use crate::store::cohort::LeadRow;

/// Add and list hiring leads, who see the cohort view (similarity, agreement, leniency)
/// of every assignment through a secret link; reviewers never see it.
#[derive(Args, Debug)]
pub struct LeadArgs {
    #[command(subcommand)]
    command: LeadCommand,
}

#[derive(Subcommand, Debug)]
enum LeadCommand {
    /// Add a lead and print their secret link (shown once; only its hash is kept).
    Add {
        /// The lead's name.
        name: String,
    },
    /// List the leads.
    List,
    /// Replace a lead's link with a new one (the old one stops working).
    Relink {
        /// The lead's name.
        name: String,
    },
}

pub async fn lead(args: LeadArgs, options: &WorkspaceOptions) -> anyhow::Result<ExitCode> {
    let workspace = options.open().await?;
    let store = &workspace.store;
    match args.command {
        LeadCommand::Add { name } => {
            let name = name.trim().to_string();
            if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
                return Err(usage(
                    "the lead's name must be 1 to 100 printable characters",
                ));
            }
            if store.lead(&name).await?.is_some() {
                return Err(usage(format!(
                    "there is already a lead `{name}`: `takehome lead relink \"{name}\"` prints a new link"
                )));
            }
            let token = identity::token();
            store
                .add_lead(&LeadRow {
                    id: format!("L-{}", hex::encode(rand::random::<[u8; 4]>())),
                    name: name.clone(),
                    token_hash: identity::token_hash(&token),
                    added_at: now_ms(),
                })
                .await?;
            println!("added lead {name}");
            println!(
                "link  {}/l/{token}  (shown once: send it to {name})",
                workspace.public_url()
            );
        }
        LeadCommand::List => {
            let leads = store.leads().await?;
            if leads.is_empty() {
                println!("no leads yet: takehome lead add NAME");
            }
            for l in leads {
                println!("{}", l.name);
            }
        }
        LeadCommand::Relink { name } => {
            let lead = store
                .lead(&name)
                .await?
                .ok_or_else(|| usage(format!("no lead `{name}`: see `takehome lead list`")))?;
            let token = identity::token();
            store
                .set_lead_token(&lead.id, &identity::token_hash(&token))
                .await?;
            println!(
                "link  {}/l/{token}  (the old link no longer works)",
                workspace.public_url()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Print an assignment's cohort view: similarity between submissions (a lead to check,
/// never a verdict), agreement between reviewers per rubric criterion (Krippendorff's
/// alpha), and each reviewer's leniency.
#[derive(Args, Debug)]
pub struct CohortArgs {
    /// The assignment id.
    assignment: String,
    /// How to print the view.
    #[arg(long, value_enum, default_value_t = CohortFormat::Text)]
    format: CohortFormat,
    /// Also compare every submission with the known public solutions in this folder (each
    /// sub-folder, and each .py or .ipynb file directly in it, is one solution).
    #[arg(long, value_name = "DIR")]
    against: Option<PathBuf>,
    /// Pairs listed in the text form.
    #[arg(long, default_value_t = 10, value_name = "N")]
    top: usize,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum CohortFormat {
    /// A table for people.
    Text,
    /// The whole view as JSON.
    Json,
}

pub async fn cohort(args: CohortArgs, options: &WorkspaceOptions) -> anyhow::Result<ExitCode> {
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
    let public = match &args.against {
        Some(dir) => cohort::public_documents(dir).map_err(|e| usage(format!("{e:#}")))?,
        None => Vec::new(),
    };
    let view = cohort::cohort(&workspace, &args.assignment, public).await?;
    match args.format {
        CohortFormat::Json => println!("{}", serde_json::to_string_pretty(&view)?),
        CohortFormat::Text => print!("{}", text(&view, args.top)),
    }
    Ok(ExitCode::SUCCESS)
}

fn fixed(value: Option<f64>, digits: usize) -> String {
    value.map_or("–".into(), |v| format!("{v:.digits$}"))
}

/// The cohort view as plain text.
fn text(view: &Cohort, top: usize) -> String {
    let mut out = format!(
        "{}: {} submission(s), {} submitted review(s)\n\n",
        view.assignment, view.submissions, view.reviews
    );
    out += "Agreement (Krippendorff's alpha, ordinal; below 0.667 is flagged)\n";
    let line = |name: &str, e: &cohort::agreement::Estimate| {
        let interval = e
            .interval
            .map_or("–".into(), |(lo, hi)| format!("{lo:.3} to {hi:.3}"));
        format!(
            "  {name:<36} alpha {:>6}  95% {interval:<16} pairable {:>3}{}\n",
            fixed(e.alpha, 3),
            e.pairable,
            if e.low {
                "  LOW: rewrite the level descriptors"
            } else {
                ""
            }
        )
    };
    for c in &view.agreement.criteria {
        out += &line(&c.title, &c.ordinal);
    }
    out += &line("weighted total (interval)", &view.agreement.weighted_total);
    out += "\nLeniency (mean deviation from the other reviewers, in levels; negative is harsh)\n";
    if view.leniency.is_empty() {
        out += "  no submitted reviews yet\n";
    }
    for r in &view.leniency {
        let l = &r.leniency;
        out += &format!(
            "  {:<24} {:>6} ± {:<6} over {} review(s){}\n",
            r.name,
            fixed(l.mean, 2),
            fixed(l.standard_error, 2),
            l.reviews,
            match l.flag {
                Some(cohort::leniency::Tendency::Harsh) => "  HARSH",
                Some(cohort::leniency::Tendency::Lenient) => "  LENIENT",
                None => "",
            }
        );
    }
    out += &format!(
        "\nSimilarity, most similar first ({} pair(s))\n  {}\n",
        view.similarity.pairs.len(),
        cohort::SIMILARITY_NOTE
    );
    for p in view.similarity.pairs.iter().take(top) {
        out += &format!(
            "  {:<10} {:<20} similarity {:.2}  longest {} tokens  overlap {}/{} and {}/{} tokens\n",
            p.left,
            p.right,
            p.similarity,
            p.longest_fragment,
            p.overlap_left,
            p.tokens_left,
            p.overlap_right,
            p.tokens_right
        );
    }
    out
}
