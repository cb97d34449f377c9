//! `serve` and `worker` stopped with SIGTERM, as `systemctl stop` does, on SQLite and
//! PostgreSQL: a run in progress is finished and recorded within the grace period or handed
//! back to the queue for another worker, and an upload in flight is answered and stored
//! whole. Every wait is for a condition, with generous bounds.

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use support::backend::{Backend, Database};
use support::web::{Body, Part, csrf_of, get, issue_churn, zip_folder};
use support::{cli, cli_ok, script_submission, tempdir};

on_both_backends! {
    a_worker_stopped_mid_run_without_grace_hands_the_job_back_for_another => handed_back,
    a_worker_stopped_mid_run_with_grace_finishes_and_records_the_run => finished_in_grace,
    a_server_stopped_mid_upload_answers_it_and_stores_it_whole => upload_in_flight,
}

/// A run of many seconds: still running when the worker is told to stop, however loaded
/// the machine (it only has to outlast one `status` call).
const SLOW: &str = "x = 0\nfor i in range(20_000_000):\n    x += i * i\nprint(x)\n";
/// A run that never ends within the test: only a hand-back can free its job.
const ENDLESS: &str = "x = 0\nwhile True:\n    x += 1\n";

fn worker(root: &Path, args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_takehome"))
        .arg("worker")
        .args(args)
        .current_dir(root)
        .env_remove("TAKEHOME_WORKSPACE")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

fn sigterm(child: &Child) {
    // SAFETY: kill(2) on our own child's pid.
    let done = unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) };
    assert_eq!(done, 0, "cannot signal {}", child.id());
}

/// Waits for `child` to exit by itself; fails unless it exits 0. Returns its stdout.
fn exits_cleanly(mut child: Child, limit: Duration) -> String {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut out = String::new();
            if let Some(mut stdout) = child.stdout.take() {
                stdout.read_to_string(&mut out).unwrap();
            }
            assert!(status.success(), "exited with {status}: {out}");
            return out;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("did not stop within {limit:?} of SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn status(root: &Path) -> Value {
    serde_json::from_str(&cli_ok(root, &["status", "--json"])).unwrap()
}

fn wait_for_status(root: &Path, limit: Duration, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + limit;
    loop {
        let now = status(root);
        if done(&now) {
            return now;
        }
        assert!(Instant::now() < deadline, "queue never got there: {now:#}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// `n` jobs running `main_py`, waiting in the workspace `root`.
fn slow_jobs(root: &Path, n: usize, main_py: &str) {
    let scratch = tempdir();
    let folder = script_submission(scratch.path(), main_py);
    for (pseudonym, _) in issue_churn(root, n) {
        cli_ok(root, &["submit", &pseudonym, folder.to_str().unwrap()]);
    }
    cli_ok(root, &["evaluate", "--all", "--no-wait"]);
}

fn handed_back(backend: Backend) {
    let dir = tempdir();
    let root = dir.path();
    let db = Database::workspace(backend, root);
    slow_jobs(root, 1, ENDLESS);
    // A long lease: only the hand-back, not a lapsed lease, can free the job in time.
    let a = worker(
        root,
        &[
            "--jobs",
            "1",
            "--lease",
            "1h",
            "--stop-grace",
            "0s",
            "--name",
            "A",
        ],
    );
    wait_for_status(root, Duration::from_secs(120), |s| s["running"] == 1);
    sigterm(&a);
    let out = exits_cleanly(a, Duration::from_secs(60));
    assert!(out.contains("back in the queue"), "{out}");
    let job = &status(root)["jobs"][0];
    assert_eq!(job["state"], "waiting", "{job:#}");
    assert_eq!(job["worker"], Value::Null, "{job:#}");
    assert_eq!(
        job["attempts"], 0,
        "a hand-back is not a lost attempt: {job:#}"
    );
    assert_eq!(db.count("SELECT COUNT(*) FROM runs"), 0);
    // The next worker claims it at once, without waiting for A's hour-long lease.
    let mut b = worker(root, &["--jobs", "1", "--name", "B"]);
    let queue = wait_for_status(root, Duration::from_secs(120), |s| {
        s["running"] == 1 && s["jobs"][0]["worker"] == "B/1"
    });
    b.kill().unwrap();
    b.wait().unwrap();
    assert_eq!(queue["jobs"][0]["attempts"], 1, "{queue:#}");
}

fn finished_in_grace(backend: Backend) {
    let dir = tempdir();
    let root = dir.path();
    let db = Database::workspace(backend, root);
    slow_jobs(root, 2, SLOW);
    let a = worker(root, &["--jobs", "1", "--stop-grace", "10m", "--name", "A"]);
    wait_for_status(root, Duration::from_secs(120), |s| s["running"] == 1);
    sigterm(&a);
    let out = exits_cleanly(a, Duration::from_secs(600));
    assert!(out.contains(": recorded "), "{out}");
    let queue = status(root);
    let jobs = queue["jobs"].as_array().unwrap();
    let done: Vec<&Value> = jobs.iter().filter(|j| j["state"] == "done").collect();
    assert_eq!(done.len(), 1, "{queue:#}");
    assert_eq!(done[0]["worker"], "A/1");
    // Told to stop, it claimed nothing more: the second job was never touched.
    let waiting: Vec<&Value> = jobs.iter().filter(|j| j["state"] == "waiting").collect();
    assert_eq!(waiting.len(), 1, "{queue:#}");
    assert_eq!(waiting[0]["attempts"], 0, "{queue:#}");
    assert_eq!(db.count("SELECT COUNT(*) FROM runs"), 1);
    assert_eq!(
        db.count("SELECT COUNT(*) FROM jobs j JOIN runs r ON r.id = j.run_id AND r.job_id = j.id"),
        1
    );
}

fn upload_in_flight(backend: Backend) {
    let dir = tempdir();
    let root = dir.path();
    let db = Database::workspace(backend, root);
    let (_, token) = issue_churn(root, 1).remove(0);
    let mut server = Command::new(env!("CARGO_BIN_EXE_takehome"))
        .args([
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--no-worker",
            "--stop-grace",
            "10m",
        ])
        .current_dir(root)
        .env_remove("TAKEHOME_WORKSPACE")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(server.stdout.take().unwrap()).lines();
    let first = stdout.next().unwrap().unwrap();
    let base = first.strip_prefix("serving on ").unwrap().to_string();
    std::thread::spawn(move || for _ in stdout {});
    let mut stderr = BufReader::new(server.stderr.take().unwrap()).lines();

    let page = get(&format!("{base}/c/{token}")).text();
    let scratch = tempdir();
    let zip = zip_folder(&script_submission(scratch.path(), "print('handed in')\n"));
    let Body::Raw {
        content_type,
        bytes,
    } = Body::multipart(&[
        Part::Text("csrf", &csrf_of(&page)),
        Part::File("archive", "s.zip", &zip),
    ])
    else {
        unreachable!()
    };
    let host = base.trim_start_matches("http://");
    let mut connection = std::net::TcpStream::connect(host).unwrap();
    write!(
        connection,
        "POST /c/{token}/upload HTTP/1.1\r\nHost: {host}\r\nContent-Type: {content_type}\r\n\
         Content-Length: {}\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n",
        bytes.len()
    )
    .unwrap();
    // `100 Continue` comes once the handler reads the body: the request is in flight.
    let mut interim = Vec::new();
    let mut byte = [0u8; 1];
    while !interim.ends_with(b"\r\n\r\n") {
        connection.read_exact(&mut byte).unwrap();
        interim.push(byte[0]);
    }
    let interim = String::from_utf8_lossy(&interim).into_owned();
    assert!(interim.starts_with("HTTP/1.1 100"), "{interim}");
    let half = bytes.len() / 2;
    connection.write_all(&bytes[..half]).unwrap();
    connection.flush().unwrap();
    sigterm(&server);
    let told = stderr
        .by_ref()
        .map(Result::unwrap)
        .find(|line| line.starts_with("SIGTERM: stopping"));
    assert!(told.is_some(), "serve never acknowledged SIGTERM");
    connection.write_all(&bytes[half..]).unwrap();
    let mut answer = String::new();
    connection.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    std::thread::spawn(move || for _ in stderr {});
    exits_cleanly(server, Duration::from_secs(120));
    // Stored whole: the version row, its files' blobs, and its queued evaluation.
    assert_eq!(db.count("SELECT COUNT(*) FROM submissions"), 1);
    assert_eq!(db.count("SELECT COUNT(*) FROM jobs"), 1);
    let verify = cli(root, &["verify"]);
    let text = String::from_utf8_lossy(&verify.stdout);
    assert!(verify.status.success(), "{text}");
    assert!(text.contains("1 submissions"), "{text}");
}
