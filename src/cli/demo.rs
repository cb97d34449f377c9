//! `takehome demo`: the whole workflow on a shipped example, in a fresh workspace.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;

use super::{WorkspaceOptions, usage};
use crate::issue::identity;
use crate::queue::{self, JobOptions};
use crate::review;
use crate::sandbox::Sandbox;
use crate::store::Workspace;

/// Show takehome doing its job, end to end, in a fresh demo workspace.
///
/// Issues an example assignment (churn unless --assignment says otherwise) to one candidate
/// per example submission (for churn: strong, over-claiming, misbehaving, leaky), runs them all in
/// the sandbox, scores them, checks their claims, reruns them to prove they reproduce, writes
/// the blind review packets, adds three reviewers (two of whom submit example reviews made
/// by the demo) and a hiring lead, and serves the reviewer application. Installs the Python
/// runner first if it is missing.
#[derive(Args, Debug)]
pub struct DemoArgs {
    /// Where to make the demo workspace (must not exist yet, or be empty).
    #[arg(long, default_value = "takehome-demo", value_name = "DIR")]
    dir: PathBuf,
    /// Stop after printing the summary instead of serving the reviewer application.
    #[arg(long)]
    no_serve: bool,
    /// Address the reviewer application listens on [default: 127.0.0.1:8080, or a free port
    /// when 8080 is taken].
    #[arg(long, value_name = "HOST:PORT")]
    addr: Option<SocketAddr>,
    /// Which shipped assignment to demonstrate (a folder under assignments/).
    #[arg(long, default_value = "churn", value_name = "NAME")]
    assignment: String,
}

const DEFAULT_ADDR: &str = "127.0.0.1:8080";

/// The demo's reviewers: the first is left for the user; the others submit example reviews.
const REVIEWERS: [&str; 3] = ["Rita Reviewer", "Sam Reviewer", "Tess Reviewer"];
const EXAMPLE_REVIEWERS: [&str; 2] = [REVIEWERS[1], REVIEWERS[2]];
/// Printed beside the links of reviewers whose reviews the demo made.
const EXAMPLE_NOTE: &str = "(submitted example reviews made by the demo)";

/// Who hands in the examples, in order.
const CANDIDATES: [&str; 6] = [
    "Ada Example <ada@example.org>",
    "Ben Example <ben@example.org>",
    "Cleo Example <cleo@example.org>",
    "Dev Example <dev@example.org>",
    "Eve Example <eve@example.org>",
    "Finn Example <finn@example.org>",
];

/// Examples named here come first, in this order; any others follow alphabetically.
const EXAMPLE_ORDER: [&str; 4] = ["strong", "overclaiming", "misbehaving", "leaky"];

/// The example submissions of an assignment folder, paired with the candidates handing them in.
fn examples(assignment: &Path) -> anyhow::Result<Vec<(&'static str, String)>> {
    let folder = assignment.join("examples");
    let mut names = Vec::new();
    for entry in std::fs::read_dir(&folder)
        .with_context(|| format!("cannot list the examples in {}", folder.display()))?
    {
        let entry = entry?;
        if entry.file_type()?.is_dir() {
            names.push(entry.file_name().to_string_lossy().into_owned());
        }
    }
    names.sort_by_key(|n| {
        let rank = EXAMPLE_ORDER.iter().position(|e| e == n);
        (rank.unwrap_or(EXAMPLE_ORDER.len()), n.clone())
    });
    if names.is_empty() || names.len() > CANDIDATES.len() {
        return Err(usage(format!(
            "{} holds {} example submissions; the demo takes 1 to {}",
            folder.display(),
            names.len(),
            CANDIDATES.len()
        )));
    }
    Ok(CANDIDATES.into_iter().zip(names).collect())
}

/// The shipped assignments: beside the current folder (a clone), else where this binary
/// was built from.
fn assignments_dir(name: &str) -> anyhow::Result<PathBuf> {
    let candidates = [
        PathBuf::from("assignments"),
        Path::new(env!("CARGO_MANIFEST_DIR")).join("assignments"),
    ];
    candidates
        .into_iter()
        .find(|dir| dir.join("churn/assignment.toml").is_file())
        .map(|dir| dir.join(name))
        .ok_or_else(|| {
            usage("the shipped example assignments are not here: run the demo from a clone of takehome")
        })
}

pub async fn execute(args: DemoArgs, _options: &WorkspaceOptions) -> anyhow::Result<ExitCode> {
    if args.dir.exists() && std::fs::read_dir(&args.dir)?.next().is_some() {
        return Err(usage(format!(
            "{} already exists and is not empty: remove it, or pick another folder with --dir",
            args.dir.display()
        )));
    }
    let valid = !args.assignment.is_empty()
        && args
            .assignment
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    let chosen = assignments_dir(&args.assignment)?;
    if !valid || !chosen.join("assignment.toml").is_file() {
        return Err(usage(format!(
            "there is no shipped assignment {:?} (the folders under assignments/ are the choices)",
            args.assignment
        )));
    }
    let candidates = examples(&chosen)?;
    let sandbox = Sandbox::new(Some(crate::base::cache_dir()))?;
    step("checking the Python runner");
    super::runner::ensure_python_off_runtime(&sandbox, true).await?;

    step(&format!("creating a workspace in {}", args.dir.display()));
    let workspace = Workspace::init(&args.dir).await?;
    let parsed = crate::assignment::check(&chosen).map_err(|problems| {
        anyhow::anyhow!("{} problem(s) in {}", problems.len(), chosen.display())
    })?;
    super::workspace::add_assignment(&workspace, &chosen, &parsed).await?;

    step(&format!(
        "issuing {} to {} candidates and taking in their submissions",
        parsed.id,
        candidates.len()
    ));
    let row = workspace
        .store
        .assignment(&parsed.id)
        .await?
        .expect("just added");
    let mut submissions = Vec::new();
    for (who, example) in &candidates {
        let (name, email) = identity::parse_candidate(who).map_err(anyhow::Error::msg)?;
        let now = crate::base::now_ms();
        let due = now + parsed.time_allowed.as_millis() as i64;
        let issued = crate::issue::issue(
            &workspace.store,
            &workspace.blobs,
            &row,
            &name,
            &email,
            due,
            now,
        )
        .await?;
        let folder = chosen.join("examples").join(example);
        let example = example.as_str();
        let submitted =
            super::workspace::take_in(&workspace, &issued.candidate, &parsed, &folder).await?;
        println!(
            "  {name:<14} {}  {example:<13} submitted as {}",
            issued.candidate.pseudonym, submitted.id
        );
        submissions.push((issued.candidate.pseudonym.clone(), example, submitted));
    }

    step("running every submission in the sandbox, scoring it and checking its claims");
    let targets: Vec<_> = submissions.iter().map(|(_, _, s)| s.clone()).collect();
    let (batch, jobs) = queue::enqueue(
        &workspace.store,
        &targets,
        JobOptions::default(),
        queue::PRIORITY_BATCH,
    )
    .await?;
    let slots = queue::default_slots();
    let results = super::evaluate::work_through(
        &workspace,
        &targets,
        &batch,
        jobs.len(),
        sandbox.clone(),
        slots,
    )
    .await?;

    step("rerunning every submission to prove it reproduces");
    let spinner = indicatif::ProgressBar::new_spinner()
        .with_message(format!("rerunning {} submissions", targets.len()));
    spinner.enable_steady_tick(std::time::Duration::from_millis(120));
    let reruns = futures::future::join_all(
        targets
            .iter()
            .map(|s| super::rerun::rerun_one(&workspace, &sandbox, s)),
    )
    .await;
    spinner.finish_and_clear();

    step("writing the blind review packets");
    let packets = workspace.root.join("packets");
    super::packet::write(&workspace, &targets, &packets, true).await?;

    step("adding three reviewers and assigning each submission to all three");
    let mut links = Vec::new();
    let mut ids = Vec::new();
    for name in REVIEWERS {
        let (reviewer, token) = review::new_reviewer(name);
        workspace.store.add_reviewer(&reviewer).await?;
        let id = reviewer.id;
        let pairs: Vec<(String, String)> = submissions
            .iter()
            .map(|(p, _, _)| (id.clone(), p.clone()))
            .collect();
        workspace
            .store
            .assign_reviews(&pairs, crate::base::now_ms())
            .await?;
        links.push((name, token));
        ids.push(id);
    }
    step(&format!(
        "recording example reviews made by the demo: {} submit a review of every candidate \
         (levels made up from each run's outcome, a little apart), so that the lead's page has \
         agreement and leniency to show; {}'s reviews are left to you",
        EXAMPLE_REVIEWERS.join(" and "),
        REVIEWERS[0]
    ));
    for (number, ((pseudonym, _, submitted), (_, result))) in
        submissions.iter().zip(&results).enumerate()
    {
        let base = match result {
            Ok(e) => review::examples::base_level(
                e.record.verdict == crate::sandbox::Verdict::Ok,
                !e.claims.is_empty() && e.claims.iter().all(|c| c.status.as_str() == "verified"),
            ),
            Err(_) => 1,
        };
        for (reviewer, id) in ids.iter().skip(1).enumerate() {
            let entry = review::Entry {
                reviewer_id: id.clone(),
                pseudonym: pseudonym.clone(),
                submission_id: submitted.id.clone(),
                scores: review::examples::scores(&parsed.rubric, base, reviewer, number),
                submit: true,
            };
            let saved = review::save(
                &workspace.store,
                &parsed.rubric,
                entry,
                crate::base::now_ms(),
            )
            .await
            .map_err(anyhow::Error::from)?;
            anyhow::ensure!(
                saved == review::Saved::Submitted,
                "the demo's example review of {pseudonym} was not submitted: {saved:?}"
            );
        }
    }
    let lead_token = crate::issue::identity::token();
    workspace
        .store
        .add_lead(&crate::store::cohort::LeadRow {
            id: "L-demo".into(),
            name: "Lee Lead".into(),
            token_hash: crate::issue::identity::token_hash(&lead_token),
            added_at: crate::base::now_ms(),
        })
        .await?;

    println!();
    println!(
        "{:<10} {:<13} {:<14} {:<16} {:<28} reproducible",
        "candidate", "example", "verdict", "score", "claims"
    );
    for (((pseudonym, example, _), (_, result)), rerun) in
        submissions.iter().zip(&results).zip(&reruns)
    {
        let (verdict, score, claims) = match result {
            Ok(e) => (
                e.record.verdict.as_str().to_string(),
                e.score.score().map_or("not scored".into(), |v| {
                    format!("{} {v:.3}", e.score.metric)
                }),
                e.claims
                    .iter()
                    .map(|c| c.status.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
            Err(e) => ("error".into(), "-".into(), format!("{e:#}")),
        };
        let reproducible = match rerun {
            Ok(c) if c.reproducible => "yes".to_string(),
            Ok(_) => "NO".to_string(),
            Err(e) => format!("error: {e:#}"),
        };
        println!(
            "{pseudonym:<10} {example:<13} {verdict:<14} {score:<16} {claims:<28} {reproducible}"
        );
        // What the methodology tracer saw: leads for the interview.
        if let Ok(e) = result {
            for finding in e.record.methodology.iter().flat_map(|m| &m.findings) {
                println!(
                    "{:<10} methodology: {} at {} ({})",
                    "",
                    finding.kind.as_str(),
                    finding.location.shown(),
                    finding.estimator
                );
            }
        }
    }
    println!("\npackets: {}", packets.join("index.html").display());
    if args.no_serve {
        // The links are shown only now (tokens are stored hashed): print them for later.
        println!(
            "\nthe reviewer application: `takehome serve --workspace {}`, then open a reviewer's link:",
            workspace.root.display()
        );
        for (name, token) in &links {
            println!(
                "  {name:<14} {}/r/{token}{}",
                workspace.public_url(),
                note_for(name)
            );
        }
        println!(
            "the hiring lead's cohort view (similarity, agreement, leniency, interview sheets):\n  {:<14} {}/l/{lead_token}",
            "Lee Lead",
            workspace.public_url()
        );
        return Ok(ExitCode::SUCCESS);
    }
    let app = crate::server::App::new(workspace, 64 << 20).await?;
    let listener = match args.addr {
        Some(addr) => crate::server::listen(addr)
            .await
            .map_err(|e| usage(format!("{e:#}; pick another with --addr")))?,
        // A new user's first command should not fail because something else has port 8080.
        None => match crate::server::listen(DEFAULT_ADDR.parse()?).await {
            Ok(listener) => listener,
            Err(e) => {
                eprintln!("{e:#}; serving on a free port instead");
                crate::server::listen("127.0.0.1:0".parse()?).await?
            }
        },
    };
    let base = format!("http://{}", listener.local_addr()?);
    println!("\nthe reviewer application is up; open a reviewer's link:");
    for (name, token) in &links {
        println!("  {name:<14} {base}/r/{token}{}", note_for(name));
    }
    println!(
        "the hiring lead's cohort view (similarity, agreement, leniency, interview sheets):\n  {:<14} {base}/l/{lead_token}",
        "Lee Lead"
    );
    println!("Ctrl-C stops it.");
    tokio::select! {
        result = crate::server::serve(app, listener) => result?,
        _ = tokio::signal::ctrl_c() => {}
    }
    Ok(ExitCode::SUCCESS)
}

fn note_for(reviewer: &str) -> String {
    if EXAMPLE_REVIEWERS.contains(&reviewer) {
        format!("  {EXAMPLE_NOTE}")
    } else {
        String::new()
    }
}

fn step(what: &str) {
    println!("==> {what}");
}
