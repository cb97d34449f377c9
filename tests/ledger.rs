//! The orders-ledger assignment end to end: its examples run in the real sandbox, its
//! scoring program (Python, in the sandbox too) compares each ledger with the hidden truth,
//! and evaluate and the packet show the rows lost, invented and duplicated it found. Needs
//! the Python runner (`.ci/run`).

mod support;

use std::collections::BTreeMap;

use serde_json::Value;
use support::{cli as takehome, cli_ok as ok, copy_tree, repo};

const ASSIGNMENT: &str = "assignments/orders-ledger";

/// The hidden truth as line id → (month, segment).
fn truth() -> BTreeMap<String, (String, String)> {
    let text = std::fs::read_to_string(repo(&format!("{ASSIGNMENT}/hidden/ledger.csv"))).unwrap();
    text.lines()
        .skip(1)
        .map(|line| {
            let cells: Vec<&str> = line.split(',').collect();
            (
                cells[0].to_string(),
                (cells[1].to_string(), cells[2].to_string()),
            )
        })
        .collect()
}

/// The careful example with deliberate mistakes on top: its last line dropped, its second
/// line written twice, its first line given another segment, and two invented rows.
fn sloppy_submission() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&repo(&format!("{ASSIGNMENT}/examples/careful")), dir.path());
    std::fs::write(
        dir.path().join("main.py"),
        "import pandas as pd\n\
         from ledger import build\n\
         ledger = build({})\n\
         ledger.loc[0, 'segment'] = 'enterprise' if ledger.loc[0, 'segment'] != 'enterprise' else 'smb'\n\
         extra = pd.DataFrame({'line_id': ['L999999', ''], 'month': ['2024-01', '2024-02'], 'segment': ['smb', 'smb'], 'net_revenue_eur': [10.0, 20.0]})\n\
         ledger = pd.concat([ledger.iloc[:-1], ledger.iloc[[1]], extra])\n\
         ledger.to_csv('out/ledger.csv', index=False, float_format='%.2f')\n",
    )
    .unwrap();
    dir
}

/// A workspace with orders-ledger issued once per example (and the sloppy submission), all
/// submitted and evaluated; returns the workspace, example → submission id, and the results.
fn evaluated() -> (tempfile::TempDir, BTreeMap<String, String>, Vec<Value>) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    ok(root, &["init", "."]);
    ok(
        root,
        &["assignment", "check", repo(ASSIGNMENT).to_str().unwrap()],
    );
    ok(
        root,
        &["assignment", "add", repo(ASSIGNMENT).to_str().unwrap()],
    );
    let sloppy = sloppy_submission();
    let mut submitted = BTreeMap::new();
    for example in ["careful", "naive-join", "drops-orphans", "sloppy"] {
        let out = ok(
            root,
            &[
                "issue",
                "orders-ledger",
                "--candidate",
                &format!("{example} <{example}@example.org>"),
            ],
        );
        let pseudonym = support::issued_pseudonym(&out);
        let folder = match example {
            "sloppy" => sloppy.path().to_path_buf(),
            _ => repo(&format!("{ASSIGNMENT}/examples/{example}")),
        };
        ok(root, &["submit", &pseudonym, folder.to_str().unwrap()]);
        submitted.insert(example.to_string(), format!("{pseudonym}/1"));
    }
    let out = takehome(root, &["evaluate", "--all", "--jobs", "2", "--json"]);
    let results: Vec<Value> = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    (dir, submitted, results)
}

fn evaluation<'a>(results: &'a [Value], id: &str) -> &'a Value {
    let evaluation = &results
        .iter()
        .find(|r| r["submission"] == id)
        .unwrap_or_else(|| panic!("no {id} in {results:?}"))["evaluation"];
    assert_eq!(
        evaluation["record"]["verdict"], "ok",
        "{}",
        evaluation["record"]["stderr"]["text"]
    );
    evaluation
}

/// The scoring program's detail `name` of an evaluation: its count and examples.
fn detail(evaluation: &Value, name: &str) -> (u64, Vec<String>) {
    let details = evaluation["score"]["details"]
        .as_array()
        .unwrap_or_else(|| panic!("no details in {}", evaluation["score"]));
    let found = details
        .iter()
        .find(|d| d["name"] == name)
        .unwrap_or_else(|| panic!("no {name:?} in {details:?}"));
    let examples = found["examples"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_str().unwrap().to_string())
        .collect();
    (found["count"].as_u64().unwrap(), examples)
}

fn claim_status(evaluation: &Value) -> &str {
    evaluation["claims"][0]["status"].as_str().unwrap()
}

#[test]
fn orders_ledger_examples_are_scored_line_by_line_naming_rows_lost_invented_and_duplicated() {
    let truth = truth();
    let (dir, submitted, results) = evaluated();
    let root = dir.path();

    // careful: every truth line exactly once and right, so its claim of 1.0 verifies.
    let careful = evaluation(&results, &submitted["careful"]);
    assert_eq!(careful["score"]["value"], 1.0, "{}", careful["score"]);
    assert_eq!(claim_status(careful), "verified");
    for name in [
        "rows lost",
        "rows invented",
        "rows duplicated",
        "rows with wrong values",
    ] {
        assert_eq!(detail(careful, name), (0, Vec::new()), "{name}");
    }

    // naive-join: nothing lost or invented, but lines multiplied by one-to-many joins.
    let naive = evaluation(&results, &submitted["naive-join"]);
    assert_eq!(claim_status(naive), "not reproduced");
    assert_eq!(detail(naive, "rows lost").0, 0);
    assert_eq!(detail(naive, "rows invented").0, 0);
    let (duplicated, examples) = detail(naive, "rows duplicated");
    assert!(duplicated > 100, "{duplicated}");
    assert_eq!(examples.len(), 5);
    for example in &examples {
        let (id, times) = example.split_once(" x").unwrap();
        assert!(truth.contains_key(id), "{example}");
        assert!(times.parse::<u32>().unwrap() >= 2, "{example}");
    }
    assert!(detail(naive, "monthly cells off").0 > 0);
    // Each truth line is right only when it appears once: the value counts exactly those.
    let value = naive["score"]["value"].as_f64().unwrap();
    assert!(
        value < 1.0 - duplicated as f64 / 2.0 / truth.len() as f64 + 1e-9,
        "{value}"
    );

    // drops-orphans: duplicates handled, but every `unknown` line lost.
    let drops = evaluation(&results, &submitted["drops-orphans"]);
    assert_eq!(claim_status(drops), "not reproduced");
    let unknown = truth.values().filter(|(_, s)| s == "unknown").count() as u64;
    let (lost, examples) = detail(drops, "rows lost");
    assert_eq!(lost, unknown);
    assert!(
        examples.iter().all(|id| truth[id].1 == "unknown"),
        "{examples:?}"
    );
    assert_eq!(detail(drops, "rows duplicated").0, 0);
    assert_eq!(detail(drops, "rows invented").0, 0);
    let value = drops["score"]["value"].as_f64().unwrap();
    assert!(
        (value - (1.0 - unknown as f64 / truth.len() as f64)).abs() < 1e-6,
        "{value}"
    );

    // sloppy: each kind of mistake counted once, with its key.
    let sloppy = evaluation(&results, &submitted["sloppy"]);
    let last = truth.keys().next_back().unwrap().clone();
    let second = truth.keys().nth(1).unwrap().clone();
    let first = truth.keys().next().unwrap().clone();
    assert_eq!(detail(sloppy, "rows lost"), (1, vec![last]));
    assert_eq!(
        detail(sloppy, "rows invented"),
        (2, vec!["L999999".to_string(), "(blank)".to_string()])
    );
    assert_eq!(
        detail(sloppy, "rows duplicated"),
        (1, vec![format!("{second} x2")])
    );
    let (wrong, examples) = detail(sloppy, "rows with wrong values");
    assert_eq!(wrong, 1);
    assert!(
        examples[0].starts_with(&format!("{first}: ")),
        "{examples:?}"
    );
    let value = sloppy["score"]["value"].as_f64().unwrap();
    let expected = (truth.len() - 3) as f64 / truth.len() as f64;
    assert!((value - expected).abs() < 1e-6, "{value} vs {expected}");

    // evaluate's table and the packet show the same findings to a person.
    let table = ok(root, &["evaluate", &submitted["naive-join"]]);
    assert!(
        table.contains(&format!(
            "rows duplicated: {duplicated} (e.g. {}",
            examples_of(naive)
        )),
        "{table}"
    );
    let pseudonym = submitted["drops-orphans"].split('/').next().unwrap();
    let out = root.join("packets");
    ok(root, &["packet", pseudonym, "--out", out.to_str().unwrap()]);
    let html = std::fs::read_to_string(out.join(format!("{pseudonym}-1.html"))).unwrap();
    assert!(html.contains("What the scoring program found"), "{html}");
    let (_, lost_examples) = detail(drops, "rows lost");
    let row = html
        .lines()
        .find(|l| l.contains("<td>rows lost</td>"))
        .unwrap_or_else(|| panic!("no rows lost row in the packet"));
    assert!(row.contains(&format!("<td>{unknown}</td>")), "{row}");
    assert!(
        lost_examples.iter().all(|id| row.contains(id.as_str())),
        "{row}"
    );
    let json: Value = serde_json::from_str(
        &std::fs::read_to_string(out.join(format!("{pseudonym}-1.json"))).unwrap(),
    )
    .unwrap();
    assert_eq!(json["run"]["score"]["details"], drops["score"]["details"]);
}

fn examples_of(evaluation: &Value) -> String {
    detail(evaluation, "rows duplicated").1.join("; ")
}

#[test]
fn a_ledger_without_the_required_columns_gets_a_score_error_naming_them() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    ok(root, &["init", "."]);
    ok(
        root,
        &["assignment", "add", repo(ASSIGNMENT).to_str().unwrap()],
    );
    let out = ok(
        root,
        &[
            "issue",
            "orders-ledger",
            "--candidate",
            "Wrong <wrong@example.org>",
        ],
    );
    let pseudonym = support::issued_pseudonym(&out);
    let submission = tempfile::tempdir().unwrap();
    support::write_files(
        submission.path(),
        &[
            (
                "main.py",
                "open('out/ledger.csv', 'w').write('line_id,revenue\\nL000001,1.0\\n')\n",
            ),
            ("REPORT.md", "## Summary\n"),
            (
                "submission.toml",
                "runner = \"python\"\nentry = \"main.py\"\nreport = \"REPORT.md\"\n[claims]\naccuracy = 1.0\n",
            ),
        ],
    );
    ok(
        root,
        &["submit", &pseudonym, submission.path().to_str().unwrap()],
    );
    let out = takehome(root, &["evaluate", &pseudonym, "--json"]);
    let results: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    let evaluation = &results[0]["evaluation"];
    let error = evaluation["score"]["error"]
        .as_str()
        .unwrap_or_else(|| panic!("expected a score error: {}", evaluation["score"]));
    assert!(
        error.contains("out/ledger.csv lacks the column(s) month, segment, net_revenue_eur"),
        "{error}"
    );
    assert_eq!(claim_status(evaluation), "not measurable");
}

/// A WASI module printing `line` and a newline to stdout.
fn printing_wat(line: &str) -> String {
    let text = format!("{line}\n");
    let escaped: String = text.bytes().map(|b| format!("\\{b:02x}")).collect();
    format!(
        r#"(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 64) "{escaped}")
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 64))
    (i32.store (i32.const 4) (i32.const {len}))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))
"#,
        len = text.len()
    )
}

#[test]
fn a_scoring_programs_details_reach_the_record_the_evaluate_table_and_the_packet() {
    // A WASI copy of orders-ledger, so the path is checked without Python: the candidate's
    // module does nothing, the scoring program prints a result object with details.
    let copy = tempfile::tempdir().unwrap();
    let folder = copy.path().join("orders-ledger");
    copy_tree(&repo(ASSIGNMENT), &folder);
    std::fs::remove_dir_all(folder.join("examples")).unwrap();
    let toml = std::fs::read_to_string(folder.join("assignment.toml"))
        .unwrap()
        .replace("name = \"python\"", "name = \"wasi\"")
        .replace("entry = \"main.py\"", "entry = \"main.wat\"")
        .replace("scoring/score.py", "scoring/score.wat");
    std::fs::write(folder.join("assignment.toml"), toml).unwrap();
    let result = r#"{"value": 0.25, "details": [{"name": "rows lost", "count": 7, "examples": ["L000001", "<b>L2</b>"]}, {"name": "rows duplicated", "count": 0}]}"#;
    std::fs::write(folder.join("scoring/score.wat"), printing_wat(result)).unwrap();

    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    ok(root, &["init", "."]);
    ok(root, &["assignment", "add", folder.to_str().unwrap()]);
    let out = ok(
        root,
        &[
            "issue",
            "orders-ledger",
            "--candidate",
            "Wasm <wasm@example.org>",
        ],
    );
    let pseudonym = support::issued_pseudonym(&out);
    let submission = tempfile::tempdir().unwrap();
    support::write_files(
        submission.path(),
        &[
            (
                "main.wat",
                "(module (memory (export \"memory\") 1) (func (export \"_start\")))",
            ),
            ("REPORT.md", "## Summary\n"),
            (
                "submission.toml",
                "runner = \"wasi\"\nentry = \"main.wat\"\nreport = \"REPORT.md\"\n[claims]\naccuracy = 1.0\n",
            ),
        ],
    );
    ok(
        root,
        &["submit", &pseudonym, submission.path().to_str().unwrap()],
    );

    let out = takehome(root, &["evaluate", &pseudonym, "--json"]);
    let results: Vec<Value> = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    let evaluation = evaluation(&results, &format!("{pseudonym}/1"));
    assert_eq!(
        evaluation["score"]["value"], 0.25,
        "{}",
        evaluation["score"]
    );
    assert_eq!(
        detail(evaluation, "rows lost"),
        (7, vec!["L000001".into(), "<b>L2</b>".into()])
    );
    assert_eq!(detail(evaluation, "rows duplicated"), (0, Vec::new()));
    assert_eq!(claim_status(evaluation), "not reproduced");

    let table = ok(root, &["evaluate", &pseudonym]);
    assert!(
        table.contains("rows lost: 7 (e.g. L000001; <b>L2</b>)"),
        "{table}"
    );
    assert!(table.contains("rows duplicated: 0\n"), "{table}");

    let packets = root.join("packets");
    ok(
        root,
        &["packet", &pseudonym, "--out", packets.to_str().unwrap()],
    );
    let html = std::fs::read_to_string(packets.join(format!("{pseudonym}-1.html"))).unwrap();
    let row = html
        .lines()
        .find(|l| l.contains("<td>rows lost</td>"))
        .unwrap_or_else(|| panic!("no rows lost row in the packet:\n{html}"));
    assert!(
        row.contains("<td>7</td>")
            && row.contains("<code>L000001</code>; <code>&lt;b&gt;L2&lt;&#x2f;b&gt;</code>"),
        "{row}"
    );

    // The review page shows the same packet to an assigned reviewer.
    let out = ok(root, &["reviewer", "add", "Rita Reviewer"]);
    let token = support::web::link_token(&out, "/r/");
    ok(root, &["assign", "orders-ledger", "--reviewers", "1"]);
    let server = support::web::Server::start(root, &[]);
    let page = support::web::get(&server.url(&format!("/r/{token}/packet/{pseudonym}")));
    assert_eq!(page.status, 200);
    assert!(page.text().contains(row), "{}", page.text());
}
