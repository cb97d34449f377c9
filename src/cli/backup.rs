//! `takehome backup`, `verify` and `restore`: copies of a workspace that can be checked and
//! put back.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;

use super::{WorkspaceOptions, usage};
use crate::store::Workspace;
use crate::store::verify::Verified;

/// Write a consistent copy of the workspace into DIR while `serve` and workers keep
/// working: the database as of one moment (SQLite: VACUUM INTO; PostgreSQL: one
/// repeatable-read snapshot copied into SQLite) and every blob its rows name, re-hashed as
/// copied. The copy is itself a SQLite workspace (`takehome --workspace DIR ...` opens it),
/// is verified before it is put in place, and holds secrets (token hashes, the CSRF key):
/// keep it as safe as the workspace.
#[derive(Args, Debug)]
pub struct BackupArgs {
    /// A new or empty folder.
    dir: PathBuf,
}

/// Check a workspace or a backup: re-hash every blob and check that every row naming a
/// blob (assignment and submission files, candidate bundles, kept run outputs) finds it
/// whole and of the recorded size. Prints what it checked; exits 1 naming each problem.
#[derive(Args, Debug)]
pub struct VerifyArgs {}

/// Put a backup of a PostgreSQL workspace back into a new, empty PostgreSQL database: every
/// row and blob in one transaction, after verifying the backup. (A backup of a SQLite
/// workspace needs no command: stop the services and move its folder into place.)
#[derive(Args, Debug)]
pub struct RestoreArgs {
    /// The backup folder.
    backup: PathBuf,
    /// The empty PostgreSQL database to fill (postgres://...).
    #[arg(long, value_name = "URL")]
    to: String,
}

pub async fn backup(args: BackupArgs, options: &WorkspaceOptions) -> anyhow::Result<ExitCode> {
    let workspace = options.open().await?;
    let taken = workspace
        .backup(&args.dir)
        .await
        .with_context(|| format!("backup of {} failed", workspace.root.display()))?;
    println!(
        "backed up {} to {}",
        workspace.root.display(),
        taken.folder.display()
    );
    print_checked(&taken.verified);
    println!(
        "open it with `takehome --workspace {} ...`; check it again any time with `takehome --workspace {} verify`",
        taken.folder.display(),
        taken.folder.display()
    );
    Ok(ExitCode::SUCCESS)
}

pub async fn verify(_args: VerifyArgs, options: &WorkspaceOptions) -> anyhow::Result<ExitCode> {
    let workspace = options.open().await?;
    let verified = workspace.verify().await?;
    println!("verified {}", workspace.root.display());
    print_checked(&verified);
    if verified.problems.is_empty() {
        return Ok(ExitCode::SUCCESS);
    }
    for problem in &verified.problems {
        println!("problem: {problem}");
    }
    println!("{} problem(s) found", verified.problems.len());
    Ok(ExitCode::from(1))
}

pub async fn restore(args: RestoreArgs) -> anyhow::Result<ExitCode> {
    let backup = Workspace::open(&args.backup, None).await.map_err(|e| {
        usage(format!(
            "{} is not a backup folder: {e:#}",
            args.backup.display()
        ))
    })?;
    let (rows, blobs) = backup
        .restore_into(&args.to)
        .await
        .map_err(|e| usage(format!("{e:#}")))?;
    let rows: Vec<String> = rows.iter().map(|(t, n)| format!("{n} {t}")).collect();
    println!("restored {} into {}", args.backup.display(), args.to);
    println!("rows: {}", rows.join(", "));
    println!("blobs: {blobs}");
    println!("point takehome.toml's database_url at it, then check it with `takehome verify`");
    Ok(ExitCode::SUCCESS)
}

fn print_checked(verified: &Verified) {
    println!(
        "blobs: {} re-hashed ({})",
        verified.blobs,
        crate::base::limits::Bytes(verified.blob_bytes)
    );
    let rows: Vec<String> = verified
        .rows
        .iter()
        .map(|(table, n)| format!("{n} {table}"))
        .collect();
    println!(
        "rows naming blobs: {}; {} blob references checked",
        rows.join(", "),
        verified.references
    );
    if verified.problems.is_empty() {
        println!("no problems");
    }
}
