//! `takehome demo`: the first five minutes, as a new user runs them.

mod support;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use support::tempdir;
use support::web::get;

#[test]
fn the_demo_runs_everything_and_serves_the_reviewer_application() {
    let dir = tempdir();
    let workspace = dir.path().join("demo");
    let mut child = Command::new(env!("CARGO_BIN_EXE_takehome"))
        .args(["demo", "--addr", "127.0.0.1:0", "--dir"])
        .arg(&workspace)
        .current_dir(support::manifest_dir())
        .env_remove("TAKEHOME_WORKSPACE")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut printed = Vec::new();
    let mut links = Vec::new();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    for line in lines.by_ref() {
        let line = line.unwrap();
        if let Some(at) = line.find("http://") {
            let url = line[at..].split_whitespace().next().unwrap().to_string();
            links.push((line.clone(), url));
        }
        if line.starts_with("Ctrl-C") {
            break;
        }
        printed.push(line);
    }
    // Keep reading what the demo prints after the link, so it never writes to a closed pipe.
    std::thread::spawn(move || for _ in lines {});
    let text = printed.join("\n");
    // The first link is the reviewer's (what CI opens); the lead's is printed beside them.
    let link = links
        .first()
        .filter(|(_, url)| url.contains("/r/"))
        .map(|(_, url)| url.clone())
        .unwrap_or_else(|| panic!("no reviewer link first in:\n{text}"));
    let lead = links
        .iter()
        .find(|(_, url)| url.contains("/l/"))
        .map(|(_, url)| url.clone())
        .unwrap_or_else(|| panic!("no lead link in:\n{text}"));
    let example_reviewers: Vec<&String> = links
        .iter()
        .filter(|(line, _)| line.contains("example reviews made by the demo"))
        .map(|(_, url)| url)
        .collect();
    assert_eq!(example_reviewers.len(), 2, "{text}");
    assert!(
        text.contains("recording example reviews made by the demo"),
        "{text}"
    );
    let row = |example: &str| {
        text.lines()
            .find(|l| l.contains(example) && l.starts_with("C-"))
            .unwrap_or_else(|| panic!("no row for {example} in:\n{text}"))
            .to_string()
    };
    for (example, verdict, claims) in [
        ("strong", " ok ", "verified"),
        ("overclaiming", " ok ", "not reproduced"),
        ("misbehaving", "fuel_limit", "not measurable"),
        ("leaky", " ok ", ""),
    ] {
        let row = row(example);
        assert!(row.contains(verdict) && row.contains(claims), "{row}");
        assert!(
            row.trim_end().ends_with("yes"),
            "{example} did not reproduce: {row}"
        );
    }
    assert!(workspace.join("packets/index.html").is_file());
    // The example with leaks shows both of its faults, at their lines; the others none.
    let methodology: Vec<&str> = text
        .lines()
        .filter(|l| l.trim_start().starts_with("methodology:"))
        .collect();
    assert_eq!(
        methodology,
        [
            "           methodology: preprocessing at main.py:31 (StandardScaler.fit_transform)",
            "           methodology: multi_test at main.py:42 (roc_auc_score)",
        ],
        "{text}"
    );
    // The link opens the reviewer's queue with all four candidates.
    let page = get(&link);
    assert_eq!(page.status, 200);
    assert_eq!(
        page.text().matches("class=\"review-link\"").count(),
        4,
        "{}",
        page.text()
    );
    // A reviewer whose reviews the demo submitted still sees the four candidates.
    let page = get(example_reviewers[0]);
    assert_eq!(page.status, 200);
    assert_eq!(page.text().matches("class=\"review-link\"").count(), 4);
    // The lead's page shows similarity, agreement (alpha per criterion with its interval)
    // and leniency for the demo cohort.
    let page = get(&format!("{lead}/cohort/churn"));
    assert_eq!(page.status, 200, "{}", page.text());
    let html = page.text();
    assert!(html.contains("8 submitted review(s)"), "{html}");
    assert!(!html.contains("id=\"no-reviews\""), "{html}");
    let table = |id: &str| {
        let at = html
            .find(&format!("<table id=\"{id}\""))
            .unwrap_or_else(|| panic!("no table {id} in {html}"));
        html[at..at + html[at..].find("</table>").unwrap()].to_string()
    };
    let agreement = table("agreement-table");
    let numbers = |row: &str| {
        row.split("<td>")
            .skip(1)
            .filter(|cell| {
                cell.split('<')
                    .next()
                    .unwrap()
                    .trim()
                    .parse::<f64>()
                    .is_ok()
            })
            .count()
    };
    // Every criterion row has an alpha, and an interval "a to b".
    let rows: Vec<&str> = agreement.split("<tr").skip(2).collect();
    assert!(rows.len() >= 5, "{agreement}");
    for row in &rows {
        assert!(!row.contains("undefined"), "alpha undefined: {row}");
        assert!(row.contains(" to "), "no interval: {row}");
        assert!(numbers(row) >= 1, "{row}");
    }
    let leniency = table("leniency-table");
    for reviewer in ["Sam Reviewer", "Tess Reviewer"] {
        let row = leniency
            .split("<tr>")
            .find(|r| r.contains(reviewer))
            .unwrap_or_else(|| panic!("{reviewer} missing from {leniency}"));
        assert!(numbers(row) >= 2, "no leniency for {reviewer}: {row}");
    }
    let pairs = table("pairs");
    assert_eq!(pairs.matches("class=\"pair-link\"").count(), 6, "{pairs}");
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn the_demo_refuses_a_folder_that_is_in_use() {
    let dir = tempdir();
    std::fs::write(dir.path().join("keep.txt"), "mine").unwrap();
    let out = support::cli(
        dir.path(),
        &["demo", "--no-serve", "--dir", dir.path().to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("not empty") && stderr.contains("--dir"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("keep.txt")).unwrap(),
        "mine"
    );
}

#[test]
fn the_demo_runs_another_shipped_assignment_with_one_candidate_per_example() {
    let dir = tempdir();
    let workspace = dir.path().join("demo");
    let out = Command::new(env!("CARGO_BIN_EXE_takehome"))
        .args([
            "demo",
            "--no-serve",
            "--assignment",
            "orders-ledger",
            "--dir",
        ])
        .arg(&workspace)
        .current_dir(support::manifest_dir())
        .env_remove("TAKEHOME_WORKSPACE")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("issuing orders-ledger to 3 candidates"),
        "{text}"
    );
    for (example, claims) in [
        ("careful", "verified"),
        ("naive-join", "not reproduced"),
        ("drops-orphans", "not reproduced"),
    ] {
        let row = text
            .lines()
            .find(|l| l.starts_with("C-") && l.contains(&format!(" {example} ")))
            .unwrap_or_else(|| panic!("no row for {example} in:\n{text}"));
        assert!(
            row.contains(" ok ") && row.contains("accuracy") && row.contains(claims),
            "{row}"
        );
        assert!(row.trim_end().ends_with("yes"), "{row}");
    }
}

#[test]
fn the_demo_refuses_an_assignment_that_is_not_shipped() {
    let dir = tempdir();
    for name in ["no-such-assignment", "../churn"] {
        let workspace = dir.path().join("demo");
        let out = support::cli(
            dir.path(),
            &[
                "demo",
                "--no-serve",
                "--assignment",
                name,
                "--dir",
                workspace.to_str().unwrap(),
            ],
        );
        assert_eq!(out.status.code(), Some(2));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("no shipped assignment") && stderr.contains(name),
            "{stderr}"
        );
        assert!(!workspace.exists());
    }
}

#[test]
fn a_reader_that_goes_away_ends_the_command_quietly() {
    use std::os::unix::process::ExitStatusExt;
    // `takehome runner list | head -0`: the reader is gone before anything is printed.
    let mut child = Command::new(env!("CARGO_BIN_EXE_takehome"))
        .args(["runner", "list"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("panicked") && !stderr.contains("failed printing"),
        "{stderr}"
    );
    assert!(
        out.status.success() || out.status.signal() == Some(libc::SIGPIPE),
        "{:?}: {stderr}",
        out.status
    );
}
