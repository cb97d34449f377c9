//! Crash points: `kill -9` at seeded random moments during `takehome submit`, `takehome
//! evaluate`, a reviewer's submit over HTTP (the `serve` process is killed) and a worker's
//! run and record step, on SQLite and on PostgreSQL. After every kill the workspace is
//! consistent (every accepted submission intact, every blob hashing to its name, no result
//! recorded twice or half, no review half-submitted), and rerunning the command completes
//! the work.
//!
//! CI runs one point per command and backend. All of them:
//! `TAKEHOME_CRASH_POINTS=100 cargo test --test crash_points -- --ignored --nocapture`
//! (`TAKEHOME_CRASH_SEED` changes the moments).

mod support;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rand::{RngExt, SeedableRng};
use sha2::{Digest, Sha256};
use support::backend::{Backend, Database};
use support::web::{Body, csrf_of, get, issue_churn, link_token, request, rubric_fields};
use support::{cli_ok, tempdir};
use takehome::evaluate::Evaluation;
use takehome::store::Workspace;
use takehome::store::reviews::ReviewState;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Step {
    Submit,
    Evaluate,
    ReviewSubmit,
    WorkerRecord,
}

const STEPS: [Step; 4] = [
    Step::Submit,
    Step::Evaluate,
    Step::ReviewSubmit,
    Step::WorkerRecord,
];
const BACKENDS: [Backend; 2] = [Backend::Sqlite, Backend::Postgres];

/// One point per step and backend, as CI runs them.
macro_rules! sample {
    ($($module:ident($backend:ident): $($name:ident => $step:ident),*;)*) => {
        $(mod $module { $(
            #[test]
            fn $name() {
                let backend = super::Backend::$backend;
                let step = super::Step::$step;
                eprintln!("{}", super::series(backend, step, 1, super::seed() ^ step as u64));
            }
        )* })*
    };
}

sample! {
    sqlite(Sqlite): submit => Submit, evaluate => Evaluate, review_submit => ReviewSubmit, worker_record => WorkerRecord;
    postgres(Postgres): submit => Submit, evaluate => Evaluate, review_submit => ReviewSubmit, worker_record => WorkerRecord;
}

/// All the points: `TAKEHOME_CRASH_POINTS` (default 100) spread evenly over the four steps
/// and both backends.
#[test]
#[ignore = "long: run with --ignored (see the module doc)"]
fn all_crash_points() {
    let total: usize = std::env::var("TAKEHOME_CRASH_POINTS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(100);
    let series_count = STEPS.len() * BACKENDS.len();
    let mut summaries = Vec::new();
    for (i, (backend, step)) in BACKENDS
        .iter()
        .flat_map(|b| STEPS.iter().map(move |s| (*b, *s)))
        .enumerate()
    {
        let points = total / series_count + usize::from(i < total % series_count);
        summaries.push(series(backend, step, points, seed() ^ (i as u64 + 1) << 16));
    }
    eprintln!("\n{total} crash points, all consistent and completed on rerun:");
    for summary in summaries {
        eprintln!("  {summary}");
    }
}

fn seed() -> u64 {
    std::env::var("TAKEHOME_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(18)
}

fn takehome(root: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_takehome"));
    command
        .current_dir(root)
        .env_remove("TAKEHOME_WORKSPACE")
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    command
}

/// Starts `command`, waits `delay`, then kills it with SIGKILL; whether it had finished.
fn kill_after(mut command: Command, delay: Duration) -> bool {
    let mut child = command.spawn().expect("cannot start takehome");
    kill_child_after(&mut child, delay)
}

fn kill_child_after(child: &mut Child, delay: Duration) -> bool {
    let deadline = Instant::now() + delay;
    while Instant::now() < deadline {
        if child.try_wait().unwrap().is_some() {
            return true;
        }
        std::thread::sleep(Duration::from_micros(500).min(deadline - Instant::now()));
    }
    let finished = child.try_wait().unwrap().is_some();
    let _ = child.kill(); // SIGKILL
    child.wait().unwrap();
    finished
}

/// Runs `command` to the end; panics unless it succeeds.
fn complete(mut command: Command, what: &str) -> Duration {
    let started = Instant::now();
    let out = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{what} failed after a crash: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    started.elapsed()
}

/// A Python submission for churn with `files` extra files of 16 KiB, all distinct for `tag`
/// (so that each submit writes new blobs).
fn submission(dir: &Path, tag: &str, files: usize) -> PathBuf {
    let folder = dir.join(format!("submission-{tag}"));
    std::fs::create_dir_all(folder.join("notes")).unwrap();
    std::fs::write(
        folder.join("main.py"),
        "import os\nos.makedirs('out', exist_ok=True)\nwith open('out/predictions.csv', 'w') as f:\n    f.write('customer_id,churn_probability\\n')\nprint('done')\n",
    )
    .unwrap();
    std::fs::write(folder.join("REPORT.md"), format!("# Method\n\n{tag}\n")).unwrap();
    std::fs::write(
        folder.join("submission.toml"),
        "runner = \"python\"\nentry = \"main.py\"\nreport = \"REPORT.md\"\n",
    )
    .unwrap();
    for i in 0..files {
        let line = format!("{tag} note {i}\n");
        std::fs::write(
            folder.join(format!("notes/{i}.txt")),
            line.repeat(16384 / line.len()),
        )
        .unwrap();
    }
    folder
}

/// One series: a fresh workspace on `backend`, the step run once to the end (to learn how
/// long it takes), then `points` kills at random moments, each followed by the checks and a
/// rerun that must complete the work.
fn series(backend: Backend, step: Step, points: usize, seed: u64) -> String {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let dir = tempdir();
    let root = dir.path();
    let db = Database::workspace(backend, root);
    let scratch = tempdir();
    let candidates = issue_churn(root, 1);
    let pseudonym = candidates[0].0.clone();
    let mut outcomes = std::collections::BTreeMap::<&str, usize>::new();
    match step {
        Step::Submit => {
            let submit = |tag: &str| {
                let folder = submission(scratch.path(), tag, 40);
                let mut command = takehome(root);
                command.args(["submit", &pseudonym, folder.to_str().unwrap()]);
                command
            };
            let full = complete(submit("first"), "submit");
            for point in 0..points {
                let versions = check(root, &db).submissions;
                let delay = full.mul_f64(rng.random_range(0.0..1.2));
                let tag = format!("p{point}");
                kill_after(submit(&tag), delay);
                let after = check(root, &db).submissions;
                *outcomes
                    .entry(if after > versions {
                        "recorded before the kill"
                    } else {
                        "not recorded"
                    })
                    .or_default() += 1;
                complete(submit(&tag), "submit");
                let rerun = check(root, &db).submissions;
                assert_eq!(rerun, after + 1, "the rerun did not record the version");
            }
        }
        Step::Evaluate => {
            cli_ok(
                root,
                &[
                    "submit",
                    &pseudonym,
                    submission(scratch.path(), "e", 2).to_str().unwrap(),
                ],
            );
            let evaluate = || {
                let mut command = takehome(root);
                command.args(["evaluate", "--all", "--jobs", "1"]);
                command
            };
            let full = complete(evaluate(), "evaluate");
            for _ in 0..points {
                let before = check(root, &db).evaluations;
                let delay = full.mul_f64(rng.random_range(0.0..1.1));
                kill_after(evaluate(), delay);
                let after = check(root, &db).evaluations;
                *outcomes
                    .entry(if after > before {
                        "recorded before the kill"
                    } else {
                        "not recorded"
                    })
                    .or_default() += 1;
                complete(evaluate(), "evaluate");
                assert!(check(root, &db).evaluations > after);
            }
            // The killed commands' own jobs are left to workers: once their leases run out a
            // worker runs them, each recorded once.
            let mut command = takehome(root);
            command.args(["worker", "--drain", "--jobs", "1"]);
            complete(command, "worker --drain");
            let end = check(root, &db);
            assert_eq!(end.unsettled, 0);
        }
        Step::ReviewSubmit => {
            cli_ok(
                root,
                &[
                    "submit",
                    &pseudonym,
                    submission(scratch.path(), "r", 2).to_str().unwrap(),
                ],
            );
            let mut full = None;
            for point in 0..=points {
                let name = format!("Reviewer {point}");
                let token = link_token(&cli_ok(root, &["reviewer", "add", &name]), "/r/");
                cli_ok(
                    root,
                    &["assign", "churn", "--reviewers", &(point + 1).to_string()],
                );
                let server = Serve::start(root);
                let url = server.url(&format!("/r/{token}/review/{pseudonym}"));
                let csrf = csrf_of(&get(&url).text());
                let mut fields = vec![
                    ("csrf".to_string(), csrf),
                    ("action".to_string(), "submit".to_string()),
                ];
                fields.extend(rubric_fields("3", &format!("crash point {point}"), "yes"));
                let form = Body::Form(fields);
                let Some(full) = full else {
                    let started = Instant::now();
                    assert_eq!(request("POST", &url, &form).status, 303);
                    full = Some(started.elapsed());
                    continue;
                };
                let delay = full.mul_f64(rng.random_range(0.0..1.5));
                let (sent_url, sent_form) = (url.clone(), form.clone());
                let post = std::thread::spawn(move || {
                    support::web::try_request("POST", &sent_url, &sent_form)
                });
                let mut server = server;
                kill_child_after(&mut server.child, delay);
                let answered = post.join().unwrap();
                let state = check(root, &db).review_of(&name);
                *outcomes
                    .entry(match (state, answered) {
                        (Some(ReviewState::Submitted), Some(_)) => "submitted and answered",
                        (Some(ReviewState::Submitted), None) => "submitted, answer lost",
                        (_, Some(_)) => "answered before the save (impossible)",
                        (_, None) => "not saved",
                    })
                    .or_default() += 1;
                // The reviewer reloads and submits again: done, or already final.
                let server = Serve::start(root);
                let url = server.url(&format!("/r/{token}/review/{pseudonym}"));
                let again = request("POST", &url, &form).status;
                assert!(
                    again == 303 || again == 400,
                    "resubmitting answered {again}"
                );
                drop(server);
                assert_eq!(
                    check(root, &db).review_of(&name),
                    Some(ReviewState::Submitted)
                );
            }
        }
        Step::WorkerRecord => {
            cli_ok(
                root,
                &[
                    "submit",
                    &pseudonym,
                    submission(scratch.path(), "w", 2).to_str().unwrap(),
                ],
            );
            let worker = || {
                let mut command = takehome(root);
                command.args(["worker", "--drain", "--jobs", "1", "--lease", "1s"]);
                command
            };
            cli_ok(root, &["evaluate", "--all", "--no-wait"]);
            let full = complete(worker(), "worker");
            for _ in 0..points {
                cli_ok(root, &["evaluate", "--all", "--no-wait"]);
                let before = check(root, &db).evaluations;
                // Most of a worker's time is its run; the record step is at the end.
                let delay = full.mul_f64(rng.random_range(0.5..1.1));
                kill_after(worker(), delay);
                let after = check(root, &db);
                *outcomes
                    .entry(if after.evaluations > before {
                        "recorded before the kill"
                    } else if after.running > 0 {
                        "killed while running"
                    } else {
                        "killed before claiming"
                    })
                    .or_default() += 1;
                complete(worker(), "worker --drain");
                let end = check(root, &db);
                assert_eq!((end.evaluations, end.unsettled), (before + 1, 0));
            }
        }
    }
    let outcomes: Vec<String> = outcomes.iter().map(|(k, n)| format!("{n} {k}")).collect();
    format!(
        "{backend:?} {step:?}: {points} point(s): {}; {} temporary entries left in the workspace",
        outcomes.join(", "),
        temporaries(root)
    )
}

/// `takehome serve --no-worker` on a free port, killed when dropped.
struct Serve {
    child: Child,
    base: String,
}

impl Serve {
    fn start(root: &Path) -> Serve {
        let mut command = takehome(root);
        command
            .args(["serve", "--addr", "127.0.0.1:0", "--no-worker"])
            .stdout(Stdio::piped());
        let mut child = command.spawn().unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let first = lines.next().expect("serve printed nothing").unwrap();
        let base = first
            .strip_prefix("serving on ")
            .expect("serving on")
            .to_string();
        std::thread::spawn(move || for _ in lines {});
        Serve { child, base }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Entries left in the workspace's scratch folders (`tmp/`, `blobs/tmp/`): not part of its
/// state, but what a killed command leaves behind.
fn temporaries(root: &Path) -> usize {
    ["tmp", "blobs/tmp"]
        .iter()
        .map(|d| std::fs::read_dir(root.join(d)).map_or(0, |e| e.count()))
        .sum()
}

/// What the checks found: counts for the series to compare.
struct State {
    submissions: usize,
    evaluations: usize,
    running: usize,
    unsettled: usize,
    reviews: Vec<(String, ReviewState)>,
}

impl State {
    fn review_of(&self, reviewer: &str) -> Option<ReviewState> {
        self.reviews
            .iter()
            .find(|(r, _)| r == reviewer)
            .map(|(_, s)| *s)
    }
}

fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Every invariant a crash must not break; panics with what broke.
fn check(root: &Path, db: &Database) -> State {
    // Every blob file hashes to its name (temporary files under blobs/tmp are not blobs).
    let blobs = root.join("blobs");
    for head in std::fs::read_dir(&blobs).unwrap() {
        let head = head.unwrap().path();
        if head.file_name().unwrap() == "tmp" {
            continue;
        }
        for file in std::fs::read_dir(&head).unwrap() {
            let path = file.unwrap().path();
            let name = format!(
                "{}{}",
                head.file_name().unwrap().to_str().unwrap(),
                path.file_name().unwrap().to_str().unwrap()
            );
            assert_eq!(
                sha256(&std::fs::read(&path).unwrap()),
                name,
                "corrupt blob {}",
                path.display()
            );
        }
    }
    if db.backend == Backend::Postgres {
        for (name, bytes) in db.blobs() {
            assert_eq!(sha256(&bytes), name, "corrupt blob {name} in the database");
        }
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let state = runtime.block_on(async {
        let workspace = Workspace::open(root, None)
            .await
            .expect("the workspace no longer opens");
        let store = &workspace.store;
        let mut submissions = 0;
        let mut evaluations = 0;
        for submission in store.submissions(None).await.unwrap() {
            submissions += 1;
            let files = submission.decode_files().unwrap();
            for file in &files {
                let bytes = workspace
                    .blobs
                    .get(&file.sha256)
                    .unwrap_or_else(|e| panic!("{}: {}: {e:#}", submission.id, file.path));
                assert_eq!(
                    sha256(&bytes),
                    file.sha256,
                    "{}: {}",
                    submission.id,
                    file.path
                );
            }
            assert_eq!(
                takehome::submission::archive::sha256_tree(&files),
                submission.content_hash
            );
            for purpose in takehome::store::RunPurpose::ALL {
                for run in store.runs_of(&submission.id, *purpose).await.unwrap() {
                    let evaluation: Evaluation = run
                        .decode_evaluation()
                        .unwrap_or_else(|e| panic!("run {} is half recorded: {e:#}", run.id));
                    for output in &evaluation.outputs {
                        let bytes = workspace.blobs.get(&output.sha256).unwrap();
                        assert_eq!(
                            sha256(&bytes),
                            output.sha256,
                            "run {}: {}",
                            run.id,
                            output.path
                        );
                    }
                    evaluations += 1;
                }
            }
        }
        // Each version numbered 1, 2, 3, ... without a gap.
        for candidate in store.candidates().await.unwrap() {
            let seqs: Vec<i64> = store
                .submissions(Some(&candidate.pseudonym))
                .await
                .unwrap()
                .iter()
                .map(|s| s.seq)
                .collect();
            assert_eq!(seqs, (1..=seqs.len() as i64).collect::<Vec<_>>());
        }
        let jobs = store.jobs(None).await.unwrap();
        let running = jobs
            .iter()
            .filter(|j| j.state == takehome::store::queue::JobState::Running)
            .count();
        let unsettled = jobs.iter().filter(|j| !j.state.is_settled()).count();
        let names: std::collections::HashMap<String, String> = store
            .reviewers()
            .await
            .unwrap()
            .into_iter()
            .map(|r| (r.id, r.name))
            .collect();
        let mut reviews = Vec::new();
        for review in store.reviews().await.unwrap() {
            if review.state == ReviewState::Submitted {
                let levels: std::collections::BTreeMap<String, u8> =
                    serde_json::from_str(&review.levels).unwrap();
                assert_eq!(levels.len(), 5, "a half-submitted review: {review:?}");
                assert!(
                    review.recommendation.is_some() && review.submitted_at.is_some(),
                    "{review:?}"
                );
            }
            reviews.push((names[&review.reviewer_id].clone(), review.state));
        }
        workspace.store.close().await;
        State {
            submissions,
            evaluations,
            running,
            unsettled,
            reviews,
        }
    });
    // A job is done exactly when its one run is recorded, and a run belongs to a done job.
    assert_eq!(db.count("SELECT COUNT(*) FROM jobs j WHERE j.state = 'done' AND NOT EXISTS (SELECT 1 FROM runs r WHERE r.id = j.run_id AND r.job_id = j.id)"), 0, "a done job without its run");
    assert_eq!(db.count("SELECT COUNT(*) FROM runs r WHERE r.job_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.id = r.job_id AND j.state = 'done' AND j.run_id = r.id)"), 0, "a run whose job is not done");
    state
}

/// What a killed `submit` leaves in the scratch folders is removed by a later one once it is
/// a day old; anything fresher (a write in progress elsewhere) is left alone.
#[test]
fn a_later_submit_removes_what_a_killed_one_left() {
    let dir = tempdir();
    let root = dir.path();
    cli_ok(root, &["init"]);
    let (pseudonym, _) = issue_churn(root, 1).remove(0);
    let two_days_ago = std::time::SystemTime::now() - Duration::from_secs(2 * 86_400);
    let age = |path: &Path| {
        std::fs::File::open(path)
            .unwrap()
            .set_modified(two_days_ago)
            .unwrap()
    };
    let left_upload = root.join("tmp/.tmpKILLED");
    std::fs::create_dir_all(left_upload.join("notebooks")).unwrap();
    std::fs::write(left_upload.join("notebooks/a.py"), "x").unwrap();
    age(&left_upload);
    let left_blob = root.join("blobs/tmp/.tmpHALF");
    std::fs::write(&left_blob, "half a blob").unwrap();
    age(&left_blob);
    let fresh = root.join("blobs/tmp/.tmpWRITING");
    std::fs::write(&fresh, "being written").unwrap();
    let scratch = tempdir();
    let folder = submission(scratch.path(), "after", 1);
    cli_ok(root, &["submit", &pseudonym, folder.to_str().unwrap()]);
    assert!(!left_upload.exists() && !left_blob.exists());
    assert!(fresh.exists());
}
