//! `takehome backup`, `verify` and `restore` on SQLite and PostgreSQL: a backup opens as a
//! workspace and exports what the original did; one taken while a worker evaluates and
//! candidates upload holds only whole submissions and runs; a corrupted or missing blob is
//! found by `verify`, naming the blob and the row.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use sqlx::Connection;
use support::backend::{Backend, Database, block_on};
use support::web::{Part, Server, csrf_of, get, issue_churn, post_multipart, zip_folder};
use support::{cli, cli_ok, repo, tempdir};

on_both_backends! {
    a_backup_opens_as_a_workspace_and_exports_what_the_original_does => quiet_backup,
    a_backup_taken_while_a_worker_evaluates_and_uploads_arrive_holds_only_whole_records => busy_backup,
    verify_names_the_corrupted_and_the_missing_blob_and_the_rows_that_need_them => corrupted_copy,
}

/// A workspace with the churn assignment, two evaluated submissions and a reviewer.
fn evaluated(root: &Path) -> Vec<(String, String)> {
    let candidates = issue_churn(root, 2);
    for ((pseudonym, _), example) in candidates.iter().zip(["strong", "overclaiming"]) {
        let folder = repo(&format!("assignments/churn/examples/{example}"));
        cli_ok(root, &["submit", pseudonym, folder.to_str().unwrap()]);
    }
    cli_ok(root, &["evaluate", "--all", "--jobs", "2"]);
    cli_ok(root, &["reviewer", "add", "Ann"]);
    cli_ok(root, &["assign", "churn", "--reviewers", "1"]);
    candidates
}

fn export(root: &Path, workspace: Option<&Path>) -> String {
    let mut args = Vec::new();
    if let Some(dir) = workspace {
        args.extend(["--workspace", dir.to_str().unwrap()]);
    }
    args.extend(["export", "churn", "--format", "json"]);
    cli_ok(root, &args)
}

fn verify(root: &Path, workspace: &Path) -> (bool, String) {
    let out = cli(
        root,
        &["--workspace", workspace.to_str().unwrap(), "verify"],
    );
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

fn quiet_backup(backend: Backend) {
    let dir = tempdir();
    let root = dir.path();
    let _db = Database::workspace(backend, root);
    evaluated(root);
    let scratch = tempdir();
    let copy = scratch.path().join("backup");
    let out = cli_ok(root, &["backup", copy.to_str().unwrap()]);
    assert!(out.contains("no problems"), "{out}");
    let (ok, checked) = verify(root, &copy);
    assert!(ok, "{checked}");
    assert!(
        checked.contains("2 submissions") && checked.contains("1 assignments"),
        "{checked}"
    );
    // The copy is a SQLite workspace of its own, whatever the original's database.
    let settings = std::fs::read_to_string(copy.join("takehome.toml")).unwrap();
    assert!(!settings.contains("database_url"), "{settings}");
    assert!(copy.join("takehome.db").is_file());
    assert_eq!(export(root, Some(&copy)), export(root, None));
    // The live workspace checks out too.
    let (ok, checked) = verify(root, root);
    assert!(ok, "{checked}");
    // A folder that already holds files is never overwritten.
    let again = cli(root, &["backup", copy.to_str().unwrap()]);
    assert!(!again.status.success());
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("already holds files"),
        "{again:?}"
    );
    if backend == Backend::Postgres {
        // Back into a new PostgreSQL database: the same export, and it verifies.
        let elsewhere = tempdir();
        let restored = Database::workspace(Backend::Postgres, elsewhere.path());
        let out = cli_ok(
            elsewhere.path(),
            &["restore", copy.to_str().unwrap(), "--to", &restored.url],
        );
        assert!(out.contains("2 submissions"), "{out}");
        assert_eq!(export(elsewhere.path(), None), export(root, None));
        let (ok, checked) = verify(elsewhere.path(), elsewhere.path());
        assert!(ok, "{checked}");
        // Never over a database that holds a workspace already.
        let twice = cli(
            elsewhere.path(),
            &["restore", copy.to_str().unwrap(), "--to", &restored.url],
        );
        assert_eq!(twice.status.code(), Some(2), "{twice:?}");
    }
}

/// Each row of `sql` (one text column) in the database at `url`.
fn rows(url: &str, sql: &str) -> BTreeSet<String> {
    let (url, sql) = (url.to_string(), sql.to_string());
    block_on(async move {
        sqlx::any::install_default_drivers();
        let mut connection = sqlx::AnyConnection::connect(&url).await.unwrap();
        sqlx::query_as::<_, (String,)>(sqlx::AssertSqlSafe(sql))
            .fetch_all(&mut connection)
            .await
            .unwrap()
            .into_iter()
            .map(|(row,)| row)
            .collect()
    })
}

fn script_submission(dir: &Path) -> PathBuf {
    let folder = dir.join("script");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(folder.join("main.py"), "print('uploaded')\n").unwrap();
    std::fs::write(folder.join("REPORT.md"), "# Method\n\nA script.\n").unwrap();
    std::fs::write(
        folder.join("submission.toml"),
        "runner = \"python\"\nentry = \"main.py\"\nreport = \"REPORT.md\"\n",
    )
    .unwrap();
    folder
}

fn upload(server: &Server, token: &str, zip: &[u8]) {
    let page = get(&server.url(&format!("/c/{token}"))).text();
    let reply = post_multipart(
        &server.url(&format!("/c/{token}/upload")),
        &[
            Part::Text("csrf", &csrf_of(&page)),
            Part::File("archive", "s.zip", zip),
        ],
    );
    assert_eq!(reply.status, 200, "{}", reply.text());
}

fn done_jobs(root: &Path) -> u64 {
    let status: Value = serde_json::from_str(&cli_ok(root, &["status", "--json"])).unwrap();
    status["done"].as_u64().unwrap()
}

fn wait_until(limit: Duration, what: &str, done: impl Fn() -> bool) {
    let deadline = Instant::now() + limit;
    while !done() {
        assert!(Instant::now() < deadline, "never happened: {what}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn worker(root: &Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_takehome"))
        .args(["worker", "--jobs", "1", "--name", "w1"])
        .current_dir(root)
        .env_remove("TAKEHOME_WORKSPACE")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

fn busy_backup(backend: Backend) {
    let dir = tempdir();
    let root = dir.path();
    let db = Database::workspace(backend, root);
    let candidates = issue_churn(root, 3);
    let server = Server::start(root, &["--no-worker"]);
    let mut w = worker(root);
    let scratch = tempdir();
    let zip = zip_folder(&script_submission(scratch.path()));
    // The first candidate is settled before the backup: its export row must be identical.
    upload(&server, &candidates[0].1, &zip);
    wait_until(Duration::from_secs(300), "the first evaluation", || {
        done_jobs(root) == 1
    });
    let copy = scratch.path().join("backup");
    std::thread::scope(|scope| {
        let uploads = scope.spawn(|| {
            for _ in 0..3 {
                for (_, token) in &candidates[1..] {
                    upload(&server, token, &zip);
                }
            }
        });
        // The backup runs while the others upload and the worker evaluates.
        let out = cli_ok(root, &["backup", copy.to_str().unwrap()]);
        assert!(out.contains("no problems"), "{out}");
        uploads.join().unwrap();
    });
    wait_until(Duration::from_secs(600), "every evaluation", || {
        done_jobs(root) == 7
    });
    w.kill().unwrap();
    w.wait().unwrap();

    let (ok, checked) = verify(root, &copy);
    assert!(ok, "{checked}");
    let copy_url = format!("sqlite://{}", copy.join("takehome.db").display());
    let count = |url: &str, table: &str| rows(url, &format!("SELECT id FROM {table}")).len();
    // How far the backup fell inside the activity (shown with --nocapture).
    eprintln!(
        "the backup holds {} of {} submissions and {} of {} runs",
        count(&copy_url, "submissions"),
        count(&db.url, "submissions"),
        count(&copy_url, "runs"),
        count(&db.url, "runs")
    );
    // Every submission and run of the copy is, byte for byte, one of the original's.
    for sql in [
        "SELECT id || '|' || content_hash || '|' || files || '|' || validation FROM submissions",
        "SELECT id || '|' || evaluation || '|' || COALESCE(job_id, '-') FROM runs",
    ] {
        let (copied, original) = (rows(&copy_url, sql), rows(&db.url, sql));
        assert!(!copied.is_empty());
        let extra: Vec<&String> = copied.difference(&original).collect();
        assert!(extra.is_empty(), "not in the original: {extra:?}");
    }
    // A run and the job it finished were recorded together: never one without the other.
    let finished = "SELECT j.id FROM jobs j JOIN runs r ON r.id = j.run_id AND r.job_id = j.id WHERE j.state = 'done'";
    let done = "SELECT id FROM jobs WHERE state = 'done'";
    let with_job = "SELECT job_id FROM runs WHERE job_id IS NOT NULL";
    assert_eq!(rows(&copy_url, finished), rows(&copy_url, done));
    assert_eq!(rows(&copy_url, finished), rows(&copy_url, with_job));
    // Export rows of candidates whose versions and runs the copy holds in full are equal.
    let per_candidate = |url: &str| -> BTreeMap<String, BTreeSet<String>> {
        let mut map: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for row in rows(
            url,
            "SELECT s.pseudonym || '|' || s.id || '|' || COALESCE(r.id, '-') FROM submissions s LEFT JOIN runs r ON r.submission_id = s.id",
        ) {
            let (pseudonym, rest) = row.split_once('|').unwrap();
            map.entry(pseudonym.to_string())
                .or_default()
                .insert(rest.to_string());
        }
        map
    };
    let (copied, original) = (per_candidate(&copy_url), per_candidate(&db.url));
    let by_pseudonym = |text: &str| -> BTreeMap<String, Value> {
        let rows: Vec<Value> = serde_json::from_str(text).unwrap();
        rows.into_iter()
            .map(|r| (r["pseudonym"].as_str().unwrap().to_string(), r))
            .collect()
    };
    let copy_export = by_pseudonym(&export(root, Some(&copy)));
    let original_export = by_pseudonym(&export(root, None));
    assert_eq!(
        copy_export.keys().collect::<Vec<_>>(),
        original_export.keys().collect::<Vec<_>>()
    );
    let mut compared = Vec::new();
    for (pseudonym, row) in &copy_export {
        if copied.get(pseudonym) == original.get(pseudonym) {
            assert_eq!(row, &original_export[pseudonym], "{pseudonym}");
            compared.push(pseudonym.clone());
        }
    }
    assert!(
        compared.contains(&candidates[0].0),
        "the settled candidate was not compared: {compared:?}"
    );
}

fn corrupted_copy(backend: Backend) {
    let dir = tempdir();
    let root = dir.path();
    let db = Database::workspace(backend, root);
    let candidates = evaluated(root);
    let scratch = tempdir();
    let copy = scratch.path().join("backup");
    cli_ok(root, &["backup", copy.to_str().unwrap()]);
    let copy_url = format!("sqlite://{}", copy.join("takehome.db").display());
    let files: Vec<Value> = serde_json::from_str(
        rows(
            &copy_url,
            &format!(
                "SELECT files FROM submissions WHERE id = '{}/1'",
                candidates[0].0
            ),
        )
        .first()
        .unwrap(),
    )
    .unwrap();
    let pick = |name: &str| {
        let file = files
            .iter()
            .find(|f| f["path"].as_str().unwrap().ends_with(name))
            .unwrap_or_else(|| panic!("no {name} in {files:?}"));
        (
            file["path"].as_str().unwrap().to_string(),
            file["sha256"].as_str().unwrap().to_string(),
        )
    };
    let blob = |sha: &str| copy.join("blobs").join(&sha[..2]).join(&sha[2..]);
    let (damaged_path, damaged) = pick("submission.toml");
    let mut bytes = std::fs::read(blob(&damaged)).unwrap();
    bytes[0] ^= 0x20;
    std::fs::write(blob(&damaged), bytes).unwrap();
    let (lost_path, lost) = pick("REPORT.md");
    std::fs::remove_file(blob(&lost)).unwrap();

    let (ok, found) = verify(root, &copy);
    assert!(!ok, "{found}");
    let submission = format!("submission {}/1", candidates[0].0);
    assert!(
        found.contains(&format!("blob {damaged}")) && found.contains("hashes to"),
        "{found}"
    );
    assert!(
        found.contains(&format!(
            "{submission} file {damaged_path} names blob {damaged}"
        )),
        "{found}"
    );
    assert!(
        found.contains(&format!(
            "{submission} file {lost_path} names blob {lost}, which is missing"
        )),
        "{found}"
    );
    assert!(found.contains("problem(s) found"), "{found}");
    // The original is untouched and checks out.
    let (ok, checked) = verify(root, root);
    assert!(ok, "{checked}");
    if backend == Backend::Postgres {
        // On PostgreSQL the blobs live in the database: damage there is found too.
        let url = db.url.clone();
        let sha = damaged.clone();
        block_on(async move {
            let mut connection = sqlx::PgConnection::connect(&url).await.unwrap();
            sqlx::query("UPDATE blobs SET bytes = $1 WHERE sha256 = $2")
                .bind(b"tampered".to_vec())
                .bind(&sha)
                .execute(&mut connection)
                .await
                .unwrap();
        });
        let (ok, found) = verify(root, root);
        assert!(!ok, "{found}");
        assert!(
            found.contains(&format!(
                "{submission} file {damaged_path} names blob {damaged}"
            )),
            "{found}"
        );
    }
}
