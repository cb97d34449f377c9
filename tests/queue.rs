//! The work queue and workers on both backends, SQLite and a real PostgreSQL server: the
//! whole CLI workflow, two workers draining fifty runs exactly once, a worker killed with -9
//! mid-run, a run that keeps losing its worker, and uploads arriving while workers run.

mod support;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use support::backend::{Backend, Database, block_on};
use support::web::{Part, Server, csrf_of, get, issue_churn, post_multipart, zip_folder};
use support::{cli_ok, repo, script_submission, tempdir};
use takehome::store::{RunPurpose, Store};

on_both_backends! {
    the_whole_workflow_runs_through_the_queue => whole_workflow,
    two_workers_drain_fifty_runs_each_recorded_once => two_workers_drain_fifty,
    a_worker_killed_mid_run_loses_its_run_to_another => killed_worker,
    a_run_that_keeps_losing_its_worker_is_failed_with_the_reason => failing_run,
    uploads_arrive_while_workers_run => uploads_while_working,
}

fn worker(root: &Path, args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_takehome"))
        .arg("worker")
        .args(args)
        .current_dir(root)
        .env_remove("TAKEHOME_WORKSPACE")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

fn wait(mut child: Child, limit: Duration) {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "worker exited with {status}");
            return;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("a worker did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn status(root: &Path) -> Value {
    serde_json::from_str(&cli_ok(root, &["status", "--json"])).unwrap()
}

/// Polls `takehome status` until `done(status)` holds.
fn wait_for_status(root: &Path, limit: Duration, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + limit;
    loop {
        let now = status(root);
        if done(&now) {
            return now;
        }
        assert!(
            Instant::now() < deadline,
            "queue never reached the state: {now:#}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn whole_workflow(backend: Backend) {
    let dir = tempdir();
    let root = dir.path();
    let db = Database::workspace(backend, root);
    let candidates = issue_churn(root, 2);
    for ((pseudonym, _), example) in candidates.iter().zip(["strong", "overclaiming"]) {
        let folder = repo(&format!("assignments/churn/examples/{example}"));
        cli_ok(root, &["submit", pseudonym, folder.to_str().unwrap()]);
    }
    let out = cli_ok(root, &["evaluate", "--all", "--jobs", "2", "--json"]);
    let results: Vec<Value> = serde_json::from_str(&out).unwrap();
    let status_of = |pseudonym: &str| {
        let result = results
            .iter()
            .find(|r| r["submission"] == format!("{pseudonym}/1"))
            .unwrap_or_else(|| panic!("no result for {pseudonym}: {out}"));
        result["evaluation"]["claims"][0]["status"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(status_of(&candidates[0].0), "verified");
    assert_eq!(status_of(&candidates[1].0), "not reproduced");
    let queue = status(root);
    assert_eq!(
        (queue["done"].as_u64(), queue["waiting"].as_u64()),
        (Some(2), Some(0))
    );
    let rerun = cli_ok(root, &["rerun", &candidates[0].0]);
    assert!(rerun.contains("reproducible"), "{rerun}");
    if backend == Backend::Postgres {
        // Blobs live in the database: the local copies are only a cache.
        std::fs::remove_dir_all(root.join("blobs")).unwrap();
        assert!(db.count("SELECT COUNT(*) FROM blobs") > 10);
    }
    cli_ok(root, &["packet", "--all"]);
    let packet =
        std::fs::read_to_string(root.join(format!("packets/{}-1.html", candidates[0].0))).unwrap();
    assert!(packet.contains("verified"));
    cli_ok(root, &["reviewer", "add", "Ann"]);
    cli_ok(root, &["assign", "churn", "--reviewers", "1"]);
    let csv = cli_ok(root, &["export", "churn"]);
    assert_eq!(csv.lines().count(), 3, "{csv}");
    assert_eq!(csv.matches(",ok,roc_auc,0.").count(), 2, "{csv}");
    assert_eq!(db.count("SELECT COUNT(*) FROM runs"), 3);
    // A second evaluation: the newest of a submission's runs is the one pages show.
    cli_ok(root, &["evaluate", &candidates[0].0, "--jobs", "1"]);
    let id = format!("{}/1", candidates[0].0);
    // One runtime for every call: the store's connections belong to the one that opened it.
    let (evaluations, latest, rerun) = block_on(async {
        let store = Store::open(&db.url).await.unwrap();
        (
            store.runs_of(&id, RunPurpose::Evaluate).await.unwrap(),
            store.latest_run(&id, RunPurpose::Evaluate).await.unwrap(),
            store.latest_run(&id, RunPurpose::Rerun).await.unwrap(),
        )
    });
    assert_eq!(evaluations.len(), 2);
    let latest = latest.unwrap();
    assert_eq!(latest.id, evaluations[1].id);
    assert_ne!(latest.id, evaluations[0].id);
    assert!(rerun.is_some_and(|r| r.id != latest.id));
}

fn two_workers_drain_fifty(backend: Backend) {
    let dir = tempdir();
    let root = dir.path();
    let db = Database::workspace(backend, root);
    let scratch = tempdir();
    let folder = script_submission(scratch.path(), "print('hello from the queue')\n");
    for (pseudonym, _) in issue_churn(root, 10) {
        cli_ok(root, &["submit", &pseudonym, folder.to_str().unwrap()]);
    }
    for _ in 0..5 {
        let out = cli_ok(root, &["evaluate", "--all", "--no-wait"]);
        assert!(out.contains("queued 10 evaluation(s)"), "{out}");
    }
    assert_eq!(status(root)["waiting"], 50);
    // On PostgreSQL the second worker needs no workspace folder at all: only the database.
    let elsewhere = tempdir();
    let (second_root, mut second_args) = match backend {
        Backend::Sqlite => (root, vec![]),
        Backend::Postgres => (elsewhere.path(), vec!["--db", db.url.as_str()]),
    };
    second_args.extend(["--drain", "--jobs", "1", "--name", "w2"]);
    let w1 = worker(root, &["--drain", "--jobs", "1", "--name", "w1"]);
    let w2 = worker(second_root, &second_args);
    wait(w1, Duration::from_secs(300));
    wait(w2, Duration::from_secs(300));
    let queue = status(root);
    assert_eq!(
        (queue["done"].as_u64(), queue["failed"].as_u64()),
        (Some(50), Some(0)),
        "{queue:#}"
    );
    let jobs = queue["jobs"].as_array().unwrap();
    for name in ["w1/1", "w2/1"] {
        assert!(
            jobs.iter().any(|j| j["worker"] == name),
            "{name} ran nothing"
        );
    }
    assert_eq!(db.count("SELECT COUNT(*) FROM runs"), 50);
    assert_eq!(db.count("SELECT COUNT(DISTINCT job_id) FROM runs"), 50);
    assert_eq!(
        db.count("SELECT COUNT(*) FROM jobs j JOIN runs r ON r.id = j.run_id AND r.job_id = j.id"),
        50
    );
}

/// A run of a few seconds: long enough to kill its worker in the middle of it.
const SLOW: &str = "x = 0\nfor i in range(6_000_000):\n    x += i * i\nprint(x)\n";

/// One slow job, claimed by worker A, which is then killed with -9 mid-run.
fn killed_mid_run(root: &Path) {
    let scratch = tempdir();
    let folder = script_submission(scratch.path(), SLOW);
    let (pseudonym, _) = issue_churn(root, 1).remove(0);
    cli_ok(root, &["submit", &pseudonym, folder.to_str().unwrap()]);
    cli_ok(root, &["evaluate", "--all", "--no-wait"]);
    let mut a = worker(root, &["--jobs", "1", "--lease", "2s", "--name", "A"]);
    wait_for_status(root, Duration::from_secs(60), |s| s["running"] == 1);
    std::thread::sleep(Duration::from_millis(300));
    a.kill().unwrap(); // SIGKILL: no chance to clean up
    a.wait().unwrap();
    let queue = status(root);
    assert_eq!(
        queue["running"], 1,
        "the killed worker's run should still look running"
    );
    assert_eq!(queue["jobs"][0]["worker"], "A/1");
}

fn killed_worker(backend: Backend) {
    let dir = tempdir();
    let root = dir.path();
    let db = Database::workspace(backend, root);
    killed_mid_run(root);
    wait(
        worker(
            root,
            &["--drain", "--jobs", "1", "--lease", "2s", "--name", "B"],
        ),
        Duration::from_secs(120),
    );
    let job = &status(root)["jobs"][0];
    assert_eq!(job["state"], "done", "{job:#}");
    assert_eq!(job["worker"], "B/1");
    assert_eq!(job["attempts"], 2);
    assert_eq!(db.count("SELECT COUNT(*) FROM runs"), 1);
}

fn failing_run(backend: Backend) {
    let dir = tempdir();
    let root = dir.path();
    let db = Database::workspace(backend, root);
    killed_mid_run(root);
    let b = worker(
        root,
        &[
            "--drain",
            "--max-attempts",
            "1",
            "--lease",
            "2s",
            "--name",
            "B",
        ],
    );
    wait(b, Duration::from_secs(60));
    let job = &status(root)["jobs"][0];
    assert_eq!(job["state"], "failed", "{job:#}");
    let error = job["error"].as_str().unwrap();
    assert!(
        error.contains("stopped renewing the lease 1 times (last: A/1)"),
        "{error}"
    );
    assert_eq!(db.count("SELECT COUNT(*) FROM runs"), 0);
    let text = cli_ok(root, &["status"]);
    assert!(
        text.contains("failed 1") && text.contains("not retried"),
        "{text}"
    );
}

fn uploads_while_working(backend: Backend) {
    let dir = tempdir();
    let root = dir.path();
    let db = Database::workspace(backend, root);
    let candidates = issue_churn(root, 4);
    let server = Server::start(root, &["--no-worker"]);
    let workers = [
        worker(root, &["--jobs", "1", "--name", "w1"]),
        worker(root, &["--jobs", "1", "--name", "w2"]),
    ];
    let scratch = tempdir();
    let zip = zip_folder(&script_submission(scratch.path(), "print('uploaded')\n"));
    std::thread::scope(|scope| {
        for (_, token) in &candidates {
            let (server, zip) = (&server, &zip);
            scope.spawn(move || {
                for _ in 0..2 {
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
            });
        }
    });
    let queue = wait_for_status(root, Duration::from_secs(300), |s| s["done"] == 8);
    assert_eq!(queue["failed"], 0);
    for mut w in workers {
        w.kill().unwrap();
        w.wait().unwrap();
    }
    assert_eq!(db.count("SELECT COUNT(*) FROM submissions"), 8);
    assert_eq!(db.count("SELECT COUNT(*) FROM runs"), 8);
    // Every candidate's page shows the smoke result of both versions.
    for (_, token) in &candidates {
        let page = get(&server.url(&format!("/c/{token}"))).text();
        assert_eq!(
            page.matches("verdict <strong class=\"verdict\">ok</strong>")
                .count(),
            2,
            "{page}"
        );
    }
}
