//! Workspace commands: `init`, `assignment`, `issue`, `candidates`, `submit`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Subcommand};

use super::{WorkspaceOptions, usage};
use crate::assignment;
use crate::issue::{self, identity};
use crate::store::{AssignmentRow, Workspace};
use crate::submission::intake::{self, Outcome};

/// Create a workspace: takehome.toml, a SQLite database and a blob store.
#[derive(Args, Debug)]
pub struct InitArgs {
    /// Where [default: the current folder].
    dir: Option<PathBuf>,
}

pub async fn init(args: InitArgs) -> anyhow::Result<ExitCode> {
    let dir = args.dir.unwrap_or_else(|| PathBuf::from("."));
    let workspace = Workspace::init(&dir)
        .await
        .map_err(|e| usage(format!("{e:#}")))?;
    println!(
        "created a takehome workspace in {}",
        workspace.root.display()
    );
    println!("next: takehome assignment add assignments/churn");
    Ok(ExitCode::SUCCESS)
}

/// Check, add and list assignments.
#[derive(Args, Debug)]
pub struct AssignmentArgs {
    #[command(subcommand)]
    command: AssignmentCommand,
}

#[derive(Subcommand, Debug)]
enum AssignmentCommand {
    /// Validate an assignment folder; print every problem with file, line and column.
    Check {
        /// The assignment folder.
        dir: PathBuf,
    },
    /// Store an immutable, hashed version of an assignment folder in the workspace.
    /// Adding a changed folder again makes a new version; issued candidates keep theirs.
    Add {
        /// The assignment folder.
        dir: PathBuf,
    },
    /// List the assignment versions in the workspace.
    List,
}

pub async fn assignment(
    args: AssignmentArgs,
    options: &WorkspaceOptions,
) -> anyhow::Result<ExitCode> {
    match args.command {
        AssignmentCommand::Check { dir } => match check(&dir) {
            Ok(a) => {
                println!(
                    "{}: ok ({} {} v{}, {} rubric criteria)",
                    dir.display(),
                    a.id,
                    a.level.name(),
                    a.version,
                    a.rubric.len()
                );
                Ok(ExitCode::SUCCESS)
            }
            Err(code) => Ok(code),
        },
        AssignmentCommand::Add { dir } => {
            let parsed = match check(&dir) {
                Ok(parsed) => parsed,
                Err(code) => return Ok(code),
            };
            let workspace = options.open().await?;
            let (row, added) = add_assignment(&workspace, &dir, &parsed).await?;
            let verb = if added { "added" } else { "already present:" };
            println!(
                "{verb} {} revision {} (version {}, content {})",
                row.id,
                row.revision,
                row.version,
                &row.content_hash[..12]
            );
            Ok(ExitCode::SUCCESS)
        }
        AssignmentCommand::List => {
            let workspace = options.open().await?;
            let rows = workspace.store.assignments().await?;
            if rows.is_empty() {
                println!("no assignments yet: takehome assignment add DIR");
            }
            for row in rows {
                println!(
                    "{:<20} rev {:<3} v{:<8} {}  {}",
                    row.id,
                    row.revision,
                    row.version,
                    &row.content_hash[..12],
                    row.title
                );
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Adds a checked assignment folder, pinning its packages, and prints each pinned wheel.
pub(super) async fn add_assignment(
    workspace: &Workspace,
    dir: &Path,
    parsed: &assignment::Assignment,
) -> anyhow::Result<(AssignmentRow, bool)> {
    let added = assignment::add(workspace, dir, parsed, crate::runner::site::pin).await?;
    for file in &added.pinned {
        let wheel = file.path.trim_start_matches(assignment::WHEELS_UNDER);
        println!("pinned {wheel} (sha256 {})", file.sha256);
    }
    Ok((added.row, added.added))
}

/// Runs the checker, printing problems; `Err` carries the exit status for a failed check.
fn check(dir: &Path) -> Result<assignment::Assignment, ExitCode> {
    if !dir.is_dir() {
        eprintln!("error: {} is not a folder", dir.display());
        return Err(ExitCode::from(2));
    }
    assignment::check(dir).map_err(|problems| {
        for problem in &problems {
            eprintln!("{problem}");
        }
        eprintln!("{} problem(s) in {}", problems.len(), dir.display());
        ExitCode::from(1)
    })
}

/// Issue an assignment to a candidate: a pseudonym, a secret token, a deadline and a bundle.
#[derive(Args, Debug)]
pub struct IssueArgs {
    /// The assignment id (its newest version) or a content hash.
    assignment: String,
    /// The candidate, as "NAME <EMAIL>".
    #[arg(long, value_name = "NAME <EMAIL>")]
    candidate: String,
    /// When it is due: a duration from now (7d, 36h) or a UTC date (2026-12-01,
    /// 2026-12-01T17:00:00Z) [default: the assignment's time_allowed].
    #[arg(long, value_name = "DURATION|DATE")]
    due: Option<String>,
    /// Where to write the candidate's bundle [default: WORKSPACE/bundles/PSEUDONYM.zip].
    #[arg(long, value_name = "FILE")]
    bundle: Option<PathBuf>,
}

pub async fn issue(args: IssueArgs, options: &WorkspaceOptions) -> anyhow::Result<ExitCode> {
    let (name, email) = identity::parse_candidate(&args.candidate).map_err(usage)?;
    let workspace = options.open().await?;
    let row = find_assignment(&workspace, &args.assignment).await?;
    let parsed: assignment::Assignment = row.decode_manifest()?;
    let now = crate::base::now_ms();
    let due = match &args.due {
        Some(text) => issue::parse_due(text, now).map_err(usage)?,
        None => now + parsed.time_allowed.as_millis() as i64,
    };
    let issued = issue::issue(
        &workspace.store,
        &workspace.blobs,
        &row,
        &name,
        &email,
        due,
        now,
    )
    .await?;
    let path = args.bundle.unwrap_or_else(|| {
        workspace
            .root
            .join("bundles")
            .join(format!("{}.zip", issued.candidate.pseudonym))
    });
    crate::base::write_atomically(&path, || Ok(issued.bundle.clone()))?;
    println!(
        "issued {} v{} to {name} as {}",
        row.id, row.version, issued.candidate.pseudonym
    );
    println!("due      {}", crate::base::format_time(due));
    println!("bundle   {}", path.display());
    println!(
        "link     {}/c/{}  (shown once: send it to the candidate; `takehome serve` serves it)",
        workspace.public_url(),
        issued.token
    );
    Ok(ExitCode::SUCCESS)
}

/// Which submissions a command acts on.
#[derive(Args, Debug)]
pub struct Selection {
    /// A submission version (C-7F3K/2) or a candidate (their newest version).
    #[arg(required_unless_present = "all", conflicts_with = "all")]
    pub submission: Option<String>,
    /// Every candidate's newest version.
    #[arg(long)]
    pub all: bool,
}

impl Selection {
    pub async fn resolve(
        &self,
        workspace: &Workspace,
    ) -> anyhow::Result<Vec<crate::store::SubmissionRow>> {
        select_submissions(workspace, self.submission.as_deref(), self.all).await
    }
}

/// The submissions a command acts on: one (a version id or a candidate's newest), or with
/// `all` every candidate's newest version.
async fn select_submissions(
    workspace: &Workspace,
    one: Option<&str>,
    all: bool,
) -> anyhow::Result<Vec<crate::store::SubmissionRow>> {
    if all {
        let newest = workspace.store.newest_submissions().await?;
        if newest.is_empty() {
            return Err(usage("no submissions yet: takehome submit CANDIDATE PATH"));
        }
        return Ok(newest);
    }
    let key = one.unwrap_or_default();
    match workspace.store.submission(key).await? {
        Some(row) => Ok(vec![row]),
        None => Err(usage(format!(
            "no submission `{key}`: give a version like C-7F3K/2 or a candidate's pseudonym (see `takehome candidates`)"
        ))),
    }
}

async fn find_assignment(workspace: &Workspace, id: &str) -> anyhow::Result<AssignmentRow> {
    workspace.store.assignment(id).await?.ok_or_else(|| {
        usage(format!("no assignment `{id}` in this workspace: see `takehome assignment list`, or add it with `takehome assignment add DIR`"))
    })
}

/// List every candidate with their status: issued, submitted, late or evaluated (of their
/// newest version).
#[derive(Args, Debug)]
pub struct CandidatesArgs {
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

pub async fn candidates(
    args: CandidatesArgs,
    options: &WorkspaceOptions,
) -> anyhow::Result<ExitCode> {
    let workspace = options.open().await?;
    let mut listed = Vec::new();
    for candidate in workspace.store.candidates().await? {
        let progress = issue::progress(&workspace.store, &candidate).await?;
        listed.push(serde_json::json!({
            "pseudonym": candidate.pseudonym,
            "name": candidate.name,
            "email": candidate.email,
            "status": progress.status,
            "late": progress.late,
            "versions": progress.versions,
            "due": crate::base::format_time(candidate.due_at),
        }));
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&listed)?);
    } else if listed.is_empty() {
        println!("no candidates yet: takehome issue ASSIGNMENT --candidate \"NAME <EMAIL>\"");
    } else {
        println!(
            "{:<10} {:<10} {:>8}  {:<21} name",
            "pseudonym", "status", "versions", "due"
        );
        for c in &listed {
            println!(
                "{:<10} {:<10} {:>8}  {:<21} {} <{}>",
                c["pseudonym"].as_str().unwrap_or(""),
                c["status"].as_str().unwrap_or(""),
                c["versions"].as_u64().unwrap_or(0),
                c["due"].as_str().unwrap_or(""),
                c["name"].as_str().unwrap_or(""),
                c["email"].as_str().unwrap_or("")
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Take in a submission (a folder, .zip or .tar.gz) for a candidate. Every accepted version
/// is kept; a late one is marked late; identical content is recognised. Exits non-zero when
/// the upload is rejected.
#[derive(Args, Debug)]
pub struct SubmitArgs {
    /// The candidate: pseudonym (C-XXXX), name or email.
    candidate: String,
    /// The submission: a folder, .zip or .tar.gz.
    path: PathBuf,
}

pub async fn submit(args: SubmitArgs, options: &WorkspaceOptions) -> anyhow::Result<ExitCode> {
    if !args.path.exists() {
        return Err(usage(format!(
            "{}: no such file or folder",
            args.path.display()
        )));
    }
    let workspace = options.open().await?;
    let candidate = workspace
        .store
        .candidate(&args.candidate)
        .await?
        .ok_or_else(|| {
            usage(format!(
                "no candidate `{}`: see `takehome candidates`",
                args.candidate
            ))
        })?;
    let row = find_assignment(&workspace, &candidate.assignment_hash).await?;
    let parsed: assignment::Assignment = row.decode_manifest()?;
    let outcome = intake_at(&workspace, &candidate, &parsed, &args.path).await?;
    match outcome {
        Outcome::Accepted { row, validation } => {
            println!(
                "accepted {} for {} ({} files, content {})",
                row.id,
                candidate.pseudonym,
                row.decode_files()?.len(),
                &row.content_hash[..12]
            );
            if row.late {
                println!(
                    "late: received after the deadline {}",
                    crate::base::format_time(candidate.due_at)
                );
            }
            if let Some(same) = &row.same_as {
                println!("identical content to {same}");
            }
            if !validation.inferred.is_empty() {
                println!("no submission.toml: intake inferred");
                for line in &validation.inferred {
                    println!("  {line}");
                }
            }
            for (section, present) in &validation.sections {
                println!("  [{}] {section}", if *present { "x" } else { " " });
            }
            for warning in &validation.warnings {
                println!("warning: {warning}");
            }
            Ok(ExitCode::SUCCESS)
        }
        Outcome::Rejected { validation } => {
            eprintln!("rejected: nothing was stored");
            for error in &validation.errors {
                eprintln!("error: {error}");
            }
            Ok(ExitCode::from(1))
        }
    }
}

/// Takes in `source` for `candidate` with the workspace's scratch folder and default caps.
async fn intake_at(
    workspace: &Workspace,
    candidate: &crate::store::CandidateRow,
    parsed: &assignment::Assignment,
    source: &Path,
) -> anyhow::Result<Outcome> {
    let intake = intake::Intake::for_workspace(workspace)?;
    intake::submit(&intake, candidate, parsed, source, crate::base::now_ms()).await
}

/// Takes in a submission that must be accepted (a shipped example); its version row.
pub(super) async fn take_in(
    workspace: &Workspace,
    candidate: &crate::store::CandidateRow,
    parsed: &assignment::Assignment,
    source: &Path,
) -> anyhow::Result<crate::store::SubmissionRow> {
    match intake_at(workspace, candidate, parsed, source).await? {
        Outcome::Accepted { row, .. } => Ok(row),
        Outcome::Rejected { validation } => Err(anyhow::anyhow!(
            "{} was rejected: {}",
            source.display(),
            validation.errors.join("; ")
        )),
    }
}
