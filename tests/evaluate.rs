//! Evaluation of every example submission through the CLI: the run in the real sandbox,
//! the score against hidden data, and the claims. Needs the Python runner (`.ci/run`).

mod support;

use std::process::Command;

use serde_json::Value;
use support::{
    cli as takehome, cli_ok as ok, copy_tree, evaluate_all, evaluation_of as find, repo,
};

const BIN: &str = env!("CARGO_BIN_EXE_takehome");

/// A workspace with one candidate per example submission of `assignment`, each submitted.
fn workspace_with_examples(assignment: &str) -> (tempfile::TempDir, Vec<(String, String)>) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    ok(root, &["init", "."]);
    ok(
        root,
        &[
            "assignment",
            "add",
            repo(&format!("assignments/{assignment}")).to_str().unwrap(),
        ],
    );
    let mut submitted = Vec::new();
    for example in ["strong", "overclaiming", "misbehaving"] {
        let out = ok(
            root,
            &[
                "issue",
                assignment,
                "--candidate",
                &format!("{example} <{example}@example.org>"),
            ],
        );
        let pseudonym = support::issued_pseudonym(&out);
        ok(
            root,
            &[
                "submit",
                &pseudonym,
                repo(&format!("assignments/{assignment}/examples/{example}"))
                    .to_str()
                    .unwrap(),
            ],
        );
        submitted.push((example.to_string(), format!("{pseudonym}/1")));
    }
    (dir, submitted)
}

/// A workspace with churn issued to one candidate who submitted `main_py`; returns the
/// workspace and the pseudonym.
fn workspace_with_script(main_py: &str, claims: &str) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    ok(root, &["init", "."]);
    ok(
        root,
        &[
            "assignment",
            "add",
            repo("assignments/churn").to_str().unwrap(),
        ],
    );
    let out = ok(
        root,
        &[
            "issue",
            "churn",
            "--candidate",
            "Script Writer <script@example.org>",
        ],
    );
    let pseudonym = support::issued_pseudonym(&out);
    let submission = tempfile::tempdir().unwrap();
    std::fs::write(submission.path().join("main.py"), main_py).unwrap();
    std::fs::write(submission.path().join("REPORT.md"), "## Method\n").unwrap();
    std::fs::write(
        submission.path().join("submission.toml"),
        format!("runner = \"python\"\nentry = \"main.py\"\nreport = \"REPORT.md\"\n{claims}"),
    )
    .unwrap();
    ok(
        root,
        &["submit", &pseudonym, submission.path().to_str().unwrap()],
    );
    (dir, pseudonym)
}

fn claim(evaluation: &Value) -> &Value {
    &evaluation["claims"][0]
}

#[test]
fn churn_examples_strong_verified_overclaiming_not_reproduced_misbehaving_stopped() {
    let (dir, submitted) = workspace_with_examples("churn");
    let results = evaluate_all(dir.path());
    let strong = find(&results, &submitted[0].1);
    assert_eq!(
        strong["record"]["verdict"], "ok",
        "{}",
        strong["record"]["stderr"]["text"]
    );
    assert_eq!(claim(strong)["status"], "verified", "{strong}");
    assert!(strong["score"]["value"].as_f64().unwrap() > 0.8);
    assert!(
        strong["outputs"]
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o["path"] == "out/predictions.csv")
    );
    assert_eq!(strong["provenance"]["runner"], "python");

    let overclaiming = find(&results, &submitted[1].1);
    assert_eq!(claim(overclaiming)["status"], "not reproduced");
    assert_eq!(claim(overclaiming)["claimed"], 0.91);
    let measured = claim(overclaiming)["measured"].as_f64().unwrap();
    assert!((0.6..0.8).contains(&measured), "{measured}");

    let misbehaving = find(&results, &submitted[2].1);
    let verdict = misbehaving["record"]["verdict"].as_str().unwrap();
    assert!(matches!(verdict, "fuel_limit" | "time_limit"), "{verdict}");
    assert_eq!(claim(misbehaving)["status"], "not measurable");

    let listed: Vec<Value> =
        serde_json::from_str(&ok(dir.path(), &["candidates", "--json"])).unwrap();
    assert!(
        listed.iter().all(|c| c["status"] == "evaluated"),
        "{listed:?}"
    );
    let table = ok(dir.path(), &["evaluate", &submitted[0].1]);
    assert!(
        table.contains("roc_auc verified (claimed 0.861, measured 0.86"),
        "{table}"
    );
}

#[test]
fn sensor_examples_strong_verified_overclaiming_not_reproduced_misbehaving_disk_limit() {
    let (dir, submitted) = workspace_with_examples("sensor-anomalies");
    let results = evaluate_all(dir.path());
    let strong = find(&results, &submitted[0].1);
    assert_eq!(
        strong["record"]["verdict"], "ok",
        "{}",
        strong["record"]["stderr"]["text"]
    );
    assert_eq!(claim(strong)["status"], "verified", "{strong}");
    let overclaiming = find(&results, &submitted[1].1);
    assert_eq!(claim(overclaiming)["status"], "not reproduced");
    assert_eq!(claim(overclaiming)["claimed"], 0.9);
    let misbehaving = find(&results, &submitted[2].1);
    assert_eq!(
        misbehaving["record"]["verdict"], "disk_limit",
        "{}",
        misbehaving["record"]["message"]
    );
    // It tried to read the hidden labels and the host's files, and could not.
    let stdout = misbehaving["record"]["stdout"]["text"].as_str().unwrap();
    assert!(!stdout.contains("root:x:0:0"), "{stdout}");
}

#[test]
fn malformed_predictions_give_a_scoring_error_naming_the_problem() {
    let (dir, pseudonym) = workspace_with_script(
        "import pandas as pd\n\
         test = pd.read_csv('data/test.csv')\n\
         pd.DataFrame({'customer_id': test['customer_id'][:-3], 'churn_probability': float('nan')}).to_csv('out/predictions.csv', index=False)\n",
        "[claims]\nroc_auc = 0.8\n",
    );
    let root = dir.path();
    let out = takehome(root, &["evaluate", &pseudonym, "--json"]);
    let results: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    let evaluation = &results[0]["evaluation"];
    assert_eq!(
        evaluation["record"]["verdict"], "ok",
        "{}",
        evaluation["record"]["stderr"]["text"]
    );
    let error = evaluation["score"]["error"].as_str().unwrap();
    assert!(error.contains("out/predictions.csv"), "{error}");
    assert!(
        error.contains("lacks 3") || error.contains("NaN") || error.contains("not finite"),
        "{error}"
    );
    assert_eq!(claim(evaluation)["status"], "not measurable");
}

#[test]
fn rerun_reproduces_a_deterministic_run_and_catches_a_real_clock_one_with_a_diff() {
    let (dir, pseudonym) = workspace_with_script(
        "import time, random\nimport pandas as pd\n\
         test = pd.read_csv('data/test.csv')\n\
         random.seed(time.time_ns())\n\
         scores = [round(random.random(), 6) for _ in range(len(test))]\n\
         pd.DataFrame({'customer_id': test['customer_id'], 'churn_probability': scores}).to_csv('out/predictions.csv', index=False)\n\
         print('started at', time.time())\n",
        "",
    );
    let root = dir.path();
    ok(root, &["evaluate", &pseudonym]);
    let same = ok(root, &["rerun", &pseudonym]);
    assert!(same.contains("yes"), "{same}");

    ok(root, &["evaluate", &pseudonym, "--real-clock"]);
    let out = takehome(root, &["rerun", &pseudonym, "--json"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    let comparison = &report[0]["comparison"];
    assert_eq!(comparison["reproducible"], false);
    let differences = comparison["differences"].as_array().unwrap();
    let detail = |what: &str| {
        differences
            .iter()
            .find(|d| d["what"] == what)
            .map(|d| d["detail"].as_str().unwrap().to_string())
    };
    let stdout = detail("stdout").expect("stdout differs");
    assert!(
        stdout.contains("-started at") && stdout.contains("+started at"),
        "{stdout}"
    );
    let predictions = detail("out/predictions.csv").expect("predictions differ");
    assert!(
        predictions.contains("churn_probability:") && predictions.contains("→"),
        "{predictions}"
    );
}

#[test]
fn a_scoring_program_runs_in_the_sandbox_with_hidden_files_and_agrees_with_the_builtin_metric() {
    let copy = tempfile::tempdir().unwrap();
    let folder = copy.path().join("churn");
    copy_tree(&repo("assignments/churn"), &folder);
    std::fs::remove_dir_all(folder.join("examples")).unwrap();
    std::fs::create_dir_all(folder.join("scoring")).unwrap();
    std::fs::write(
        folder.join("scoring/score.py"),
        "import pandas as pd\n\
         from sklearn.metrics import roc_auc_score\n\
         truth = pd.read_csv('hidden/test_labels.csv')\n\
         predictions = pd.read_csv('outputs/predictions.csv')\n\
         joined = truth.merge(predictions, on='customer_id')\n\
         print('rows', len(joined))\n\
         print(roc_auc_score(joined['churned'], joined['churn_probability']))\n",
    )
    .unwrap();
    let toml = std::fs::read_to_string(folder.join("assignment.toml")).unwrap();
    let toml = toml.replacen(
        "tolerance = 0.02\n",
        "tolerance = 0.02\nprogram = \"scoring/score.py\"\n",
        1,
    );
    std::fs::write(folder.join("assignment.toml"), toml).unwrap();

    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    ok(root, &["init", "."]);
    ok(root, &["assignment", "check", folder.to_str().unwrap()]);
    ok(root, &["assignment", "add", folder.to_str().unwrap()]);
    let out = ok(
        root,
        &[
            "issue",
            "churn",
            "--candidate",
            "Strong <strong@example.org>",
        ],
    );
    let pseudonym = support::issued_pseudonym(&out);
    ok(
        root,
        &[
            "submit",
            &pseudonym,
            repo("assignments/churn/examples/strong").to_str().unwrap(),
        ],
    );
    let results = evaluate_all(root);
    let evaluation = &results[0]["evaluation"];
    let value = evaluation["score"]["value"]
        .as_f64()
        .unwrap_or_else(|| panic!("{}", evaluation["score"]));
    assert!((value - 0.8608).abs() < 1e-3, "{value}");
    assert_eq!(claim(evaluation)["status"], "verified");
}

#[test]
fn a_scoring_program_outside_scoring_or_missing_is_reported_at_its_line() {
    let copy = tempfile::tempdir().unwrap();
    let folder = copy.path().join("churn");
    copy_tree(&repo("assignments/churn"), &folder);
    let original = std::fs::read_to_string(folder.join("assignment.toml")).unwrap();
    let line = original
        .lines()
        .position(|l| l == "tolerance = 0.02")
        .unwrap()
        + 2;
    for (program, expected) in [
        (
            "hidden/steal.py",
            "must be a .py, .wasm or .wat file under scoring/",
        ),
        ("scoring/absent.py", "which does not exist"),
    ] {
        let toml = original.replacen(
            "tolerance = 0.02\n",
            &format!("tolerance = 0.02\nprogram = \"{program}\"\n"),
            1,
        );
        std::fs::write(folder.join("assignment.toml"), toml).unwrap();
        let out = Command::new(BIN)
            .args(["assignment", "check"])
            .arg(&folder)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert!(
            stderr.contains(&format!("assignment.toml:{line}:")) && stderr.contains(expected),
            "{stderr}"
        );
    }
}

#[test]
fn what_could_not_run_is_explained_in_the_packet() {
    let (dir, pseudonym) = workspace_with_script(
        "import pandas as pd\n\
         try:\n    open('C:/Users/someone/data/train.csv')\nexcept OSError:\n    pass\n\
         import torch\n",
        "",
    );
    let root = dir.path();
    let out = takehome(root, &["evaluate", &pseudonym, "--json"]);
    let results: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(results[0]["evaluation"]["record"]["verdict"], "exit");
    let packets = root.join("packets-out");
    ok(
        root,
        &["packet", &pseudonym, "--out", packets.to_str().unwrap()],
    );
    let packet: Value = serde_json::from_str(
        &std::fs::read_to_string(packets.join(format!("{pseudonym}-1.json"))).unwrap(),
    )
    .unwrap();
    let lines: Vec<&str> = packet["run"]["diagnostics"]
        .as_array()
        .unwrap_or_else(|| panic!("no diagnostics in {:#}", packet["run"]))
        .iter()
        .map(|d| d.as_str().unwrap())
        .collect();
    assert!(
        lines
            .iter()
            .any(|l| l.contains("torch") && l.contains("compiled code")),
        "{lines:?}"
    );
    assert!(lines.iter().any(|l| l.contains("train.csv")), "{lines:?}");
    let html = std::fs::read_to_string(packets.join(format!("{pseudonym}-1.html"))).unwrap();
    assert!(
        html.contains("What could not run"),
        "no diagnostics section"
    );
}
