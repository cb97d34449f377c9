//! `takehome demo`: the whole workflow on a shipped example, in a fresh workspace.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;

use super::{WorkspaceOptions, usage};
use crate::issue::identity;
use crate::queue::{self, JobOptions};
use crate::review;
use crate::sandbox::{Sandbox, default_cache_dir};
use crate::store::Workspace;

/// Show takehome doing its job, end to end, in a fresh demo workspace.
///
/// Issues the churn example assignment to three candidates, takes in their example
/// submissions (strong, over-claiming, misbehaving), runs them all in the sandbox, scores
/// them, checks their claims, reruns them to prove they reproduce, writes the blind review
/// packets, adds two reviewers, and serves the reviewer application. Installs the Python
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
}

const DEFAULT_ADDR: &str = "127.0.0.1:8080";

/// The shipped example submissions the demo candidates hand in.
const CANDIDATES: [(&str, &str); 3] = [
    ("Ada Example <ada@example.org>", "strong"),
    ("Ben Example <ben@example.org>", "overclaiming"),
    ("Cleo Example <cleo@example.org>", "misbehaving"),
];

/// The shipped assignments: beside the current folder (a clone), else where this binary
/// was built from.
fn assignments_dir() -> anyhow::Result<PathBuf> {
    let candidates = [
        PathBuf::from("assignments"),
        Path::new(env!("CARGO_MANIFEST_DIR")).join("assignments"),
    ];
    candidates
        .into_iter()
        .find(|dir| dir.join("churn/assignment.toml").is_file())
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
    let churn = assignments_dir()?.join("churn");
    let sandbox = Sandbox::new(Some(default_cache_dir()))?;
    step("checking the Python runner");
    super::runner::ensure_python_off_runtime(&sandbox, true).await?;

    step(&format!("creating a workspace in {}", args.dir.display()));
    let workspace = Workspace::init(&args.dir).await?;
    let parsed = crate::assignment::check(&churn).map_err(|problems| {
        anyhow::anyhow!("{} problem(s) in {}", problems.len(), churn.display())
    })?;
    super::workspace::add_assignment(&workspace, &churn, &parsed).await?;

    step("issuing churn to three candidates and taking in their submissions");
    let row = workspace
        .store
        .assignment("churn")
        .await?
        .expect("just added");
    let mut submissions = Vec::new();
    for (who, example) in CANDIDATES {
        let (name, email) = identity::parse_candidate(who).map_err(anyhow::Error::msg)?;
        let now = crate::issue::now_ms();
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
        let folder = churn.join("examples").join(example);
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

    step("adding two reviewers and assigning each submission to both");
    let mut links = Vec::new();
    for name in ["Rita Reviewer", "Sam Reviewer"] {
        let (reviewer, token) = review::new_reviewer(name);
        workspace.store.add_reviewer(&reviewer).await?;
        let id = reviewer.id;
        let pairs: Vec<(String, String)> = submissions
            .iter()
            .map(|(p, _, _)| (id.clone(), p.clone()))
            .collect();
        workspace
            .store
            .assign_reviews(&pairs, crate::issue::now_ms())
            .await?;
        links.push((name, token));
    }

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
                e.score.value.map_or("not scored".into(), |v| {
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
    }
    println!("\npackets: {}", packets.join("index.html").display());
    if args.no_serve {
        // The links are shown only now (tokens are stored hashed): print them for later.
        println!(
            "\nthe reviewer application: `takehome serve --workspace {}`, then open a reviewer's link:",
            workspace.root.display()
        );
        for (name, token) in &links {
            println!("  {name:<14} {}/r/{token}", workspace.public_url());
        }
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
        println!("  {name:<14} {base}/r/{token}");
    }
    println!("Ctrl-C stops it.");
    tokio::select! {
        result = crate::server::serve(app, listener) => result?,
        _ = tokio::signal::ctrl_c() => {}
    }
    Ok(ExitCode::SUCCESS)
}

fn step(what: &str) {
    println!("==> {what}");
}
