//! The methodology tracer (issue #27) end to end: the programs in tests/methodology/, one
//! per finding kind and a clean twin for each, run through `takehome run --json` in the real
//! sandbox with the real scikit-learn; notebooks as well as scripts; and the python-native
//! tier when runsc is here. Needs `takehome runner install python` first (`.ci/run` does it).

mod support;

use std::path::{Path, PathBuf};

use serde_json::json;
use takehome::record::{FindingKind, Methodology, Severity};
use takehome::sandbox::{RunRecord, Verdict};

/// A fresh copy of tests/methodology/ (the programs and their shared data module).
fn programs() -> tempfile::TempDir {
    let dir = support::tempdir();
    let source = support::manifest_dir().join("tests/methodology");
    for entry in std::fs::read_dir(&source).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, dir.path().join(path.file_name().unwrap())).unwrap();
    }
    dir
}

fn run(dir: &Path, program: &str, flags: &[&str]) -> RunRecord {
    let record = support::run_python(&dir.join(program), flags);
    support::expect_verdict(&record, Verdict::Ok);
    record
}

fn methodology(record: &RunRecord) -> &Methodology {
    record
        .methodology
        .as_ref()
        .unwrap_or_else(|| panic!("no methodology in the record: {record:#?}"))
}

/// The 1-based line of `program` holding `text`.
fn line_of(program: &Path, text: &str) -> u64 {
    let source = std::fs::read_to_string(program).unwrap();
    source
        .lines()
        .position(|l| l.contains(text))
        .unwrap_or_else(|| panic!("{text:?} is not in {}", program.display())) as u64
        + 1
}

/// Runs the leaking program and its clean twin: the first has exactly one finding, of
/// `kind`, at the line holding `at`; the second none.
fn leak_and_clean_twin(kind: FindingKind, estimator: &str, at: &str) {
    let dir = programs();
    let leak = format!("{}_leak.py", kind.as_str());
    let record = run(dir.path(), &leak, &[]);
    let found = methodology(&record);
    assert_eq!(found.findings.len(), 1, "{:#?}", found.findings);
    let finding = &found.findings[0];
    assert_eq!(finding.kind, kind);
    assert_eq!(finding.severity, Severity::Finding, "{finding:#?}");
    assert_eq!(finding.estimator, estimator);
    assert_eq!(finding.location.file, leak);
    assert_eq!(finding.location.line, line_of(&dir.path().join(&leak), at));
    assert!(!finding.evidence.is_empty());
    assert!(!finding.rows.is_empty());
    let clean = run(dir.path(), &format!("{}_clean.py", kind.as_str()), &[]);
    let quiet = methodology(&clean);
    assert!(quiet.calls > 0, "the clean twin was traced: {quiet:?}");
    assert!(quiet.findings.is_empty(), "{:#?}", quiet.findings);
}

#[test]
fn a_scaler_fitted_before_the_split_is_preprocessing_and_a_pipeline_is_clean() {
    leak_and_clean_twin(
        FindingKind::Preprocessing,
        "StandardScaler.fit_transform",
        "StandardScaler().fit_transform(X)",
    );
}

#[test]
fn oversampling_before_the_split_is_overlap_and_after_it_is_clean() {
    leak_and_clean_twin(
        FindingKind::Overlap,
        "DecisionTreeClassifier.fit",
        "tree = ",
    );
}

#[test]
fn choosing_among_models_on_the_test_split_is_multi_test_and_one_final_score_is_clean() {
    leak_and_clean_twin(FindingKind::MultiTest, "accuracy_score", "accuracy_score(");
}

#[test]
fn a_feature_copied_from_the_label_is_target_and_a_strong_feature_is_clean() {
    leak_and_clean_twin(
        FindingKind::Target,
        "LogisticRegression.fit",
        ".fit(X_train",
    );
}

#[test]
fn the_preprocessing_evidence_says_what_was_seen() {
    let dir = programs();
    let record = run(dir.path(), "preprocessing_leak.py", &[]);
    let finding = &methodology(&record).findings[0];
    assert_eq!(finding.rows["fitted"], 1000);
    assert_eq!(finding.rows["evaluated"], 200);
    assert_eq!(finding.rows["leaked"], 200);
    assert!(
        finding.evidence.starts_with(
            "StandardScaler.fit_transform at preprocessing_leak.py:10 saw 1,000 rows; 200 of them"
        ),
        "{}",
        finding.evidence
    );
    let json = serde_json::to_value(finding).unwrap();
    let mut keys: Vec<&str> = json
        .as_object()
        .unwrap()
        .keys()
        .map(|k| k.as_str())
        .collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "estimator",
            "evidence",
            "kind",
            "location",
            "rows",
            "severity"
        ]
    );
}

#[test]
fn the_tracer_is_invisible_to_the_program() {
    let dir = support::tempdir();
    support::write_files(
        dir.path(),
        &[(
            "main.py",
            "import sys, importlib.util\n\
             import sklearn, pandas\n\
             from sklearn.linear_model import LogisticRegression\n\
             print(importlib.util.find_spec('_takehome_method') is None)\n\
             print(any('takehome' in name for name in sys.modules if name != '_takehome'))\n\
             print(any('takehome' in str(p) for p in sys.path))\n\
             print(LogisticRegression.fit.__name__, LogisticRegression.fit.__module__)\n\
             import inspect\n\
             print(list(inspect.signature(LogisticRegression.fit).parameters))\n",
        )],
    );
    let record = run(dir.path(), "main.py", &[]);
    assert_eq!(
        support::lines(&record),
        [
            "True",
            "False",
            "False",
            "fit sklearn.linear_model._logistic",
            "['self', 'X', 'y', 'sample_weight']",
        ],
        "{}",
        record.stderr.text
    );
}

#[test]
fn a_program_without_scikit_learn_or_pandas_has_no_methodology() {
    let dir = support::tempdir();
    support::write_files(dir.path(), &[("main.py", "print(sum(range(10)))\n")]);
    let record = run(dir.path(), "main.py", &[]);
    assert_eq!(record.methodology, None);
}

fn notebook(cells: &[&str]) -> String {
    let cells: Vec<_> = cells
        .iter()
        .map(|source| {
            json!({"cell_type": "code", "metadata": {}, "source": source,
                   "execution_count": null, "outputs": []})
        })
        .collect();
    serde_json::to_string_pretty(&json!({
        "nbformat": 4, "nbformat_minor": 5,
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
        "cells": cells,
    }))
    .unwrap()
}

const NOTEBOOK_SETUP: &str = "import pandas as pd\n\
    from sklearn.preprocessing import StandardScaler\n\
    from sklearn.pipeline import make_pipeline\n\
    from sklearn.model_selection import train_test_split\n\
    from sklearn.linear_model import LogisticRegression\n\
    from shared import churn\n\
    df = churn()\n\
    X = pd.get_dummies(df.drop(columns=['churn']), dtype=float)\n\
    y = df['churn']";

fn notebook_project(cells: &[&str]) -> (tempfile::TempDir, PathBuf) {
    let dir = programs();
    let path = dir.path().join("analysis.ipynb");
    std::fs::write(&path, notebook(cells)).unwrap();
    (dir, path)
}

#[test]
fn a_notebook_leak_is_located_by_cell_and_line() {
    let (dir, path) = notebook_project(&[
        NOTEBOOK_SETUP,
        "# scale everything first\nscaler = StandardScaler()\nX_all = scaler.fit_transform(X)",
        "X_train, X_test, y_train, y_test = train_test_split(X_all, y, random_state=0)\n\
         model = LogisticRegression().fit(X_train, y_train)",
        "model.score(X_test, y_test)",
    ]);
    let record = support::run_python(&path, &[]);
    support::expect_verdict(&record, Verdict::Ok);
    let found = methodology(&record);
    assert_eq!(found.findings.len(), 1, "{:#?}", found.findings);
    let finding = &found.findings[0];
    assert_eq!(finding.kind, FindingKind::Preprocessing);
    assert_eq!(finding.location.file, "analysis.ipynb");
    assert_eq!(finding.location.cell, Some(1));
    assert_eq!(finding.location.line, 3);
    assert!(
        finding.evidence.contains("analysis.ipynb cell 3 line 1"),
        "the scoring cell is named: {}",
        finding.evidence
    );
    drop(dir);
}

#[test]
fn a_notebook_with_the_scaler_in_a_pipeline_is_clean() {
    let (_dir, path) = notebook_project(&[
        NOTEBOOK_SETUP,
        "X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)\n\
         model = make_pipeline(StandardScaler(), LogisticRegression()).fit(X_train, y_train)",
        "model.score(X_test, y_test)",
    ]);
    let record = support::run_python(&path, &[]);
    support::expect_verdict(&record, Verdict::Ok);
    let found = methodology(&record);
    assert!(found.calls > 0);
    assert!(found.findings.is_empty(), "{:#?}", found.findings);
}

/// A workspace where the churn example with two classic faults was handed in and
/// evaluated: its folder and the candidate's pseudonym.
fn leaky_workspace() -> (tempfile::TempDir, String) {
    let dir = support::tempdir();
    let root = dir.path();
    let ok = |args: &[&str]| support::cli_ok(root, args);
    ok(&["init", "."]);
    ok(&[
        "assignment",
        "add",
        support::repo("assignments/churn").to_str().unwrap(),
    ]);
    let out = ok(&[
        "issue",
        "churn",
        "--candidate",
        "Lea Leak <lea@example.org>",
    ]);
    let pseudonym = support::issued_pseudonym(&out);
    let example = support::repo("assignments/churn/examples/leaky");
    ok(&["submit", &pseudonym, example.to_str().unwrap()]);
    let table = ok(&["evaluate", &pseudonym]);
    assert!(
        table.contains("methodology: preprocessing at main.py:31")
            && table.contains("methodology: multi_test at main.py:42"),
        "{table}"
    );
    (dir, pseudonym)
}

/// The churn example with two classic faults, end to end: evaluate stores the findings,
/// the rerun reproduces them, the packet's Methodology section links each to its line, and
/// the export has a column per kind.
#[test]
fn the_leaky_churn_example_shows_both_faults_in_the_packet_and_the_export() {
    let (dir, pseudonym) = leaky_workspace();
    let root = dir.path();
    let ok = |args: &[&str]| support::cli_ok(root, args);
    let rerun = ok(&["rerun", &pseudonym]);
    assert!(!rerun.contains("not reproduced"), "{rerun}");
    let packets = root.join("packets");
    ok(&["packet", &pseudonym, "--out", packets.to_str().unwrap()]);
    let html = std::fs::read_to_string(packets.join(format!("{pseudonym}-1.html"))).unwrap();
    let json: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(packets.join(format!("{pseudonym}-1.json"))).unwrap(),
    )
    .unwrap();
    let findings = json["methodology"]["findings"].as_array().unwrap();
    let kinds: Vec<&str> = findings
        .iter()
        .map(|f| f["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["preprocessing", "multi_test"], "{findings:#?}");
    assert!(html.contains("<h2 id=\"methodology\">Methodology</h2>"));
    for (finding, line) in findings.iter().zip([31, 42]) {
        let anchor = finding["anchor"].as_str().unwrap();
        assert!(anchor.ends_with(&format!("-L{line}")), "{anchor}");
        assert!(
            html.contains(&format!("href=\"#{anchor}\">main.py:{line}</a>")),
            "link"
        );
        assert!(
            html.contains(&format!("<tr id=\"{anchor}\">")),
            "target line"
        );
    }
    assert!(html.contains("a lead for the interview, not a verdict"));
    let csv = ok(&["export", "churn", "--format", "csv"]);
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let row: Vec<&str> = lines.next().unwrap().split(',').collect();
    let column = |name: &str| {
        let at = header
            .iter()
            .position(|h| *h == name)
            .unwrap_or_else(|| panic!("{csv}"));
        row[at]
    };
    assert_eq!(column("methodology_preprocessing"), "main.py:31");
    assert_eq!(column("methodology_multi_test"), "main.py:42");
    assert_eq!(column("methodology_overlap"), "");
    assert_eq!(column("methodology_target"), "");
}

#[test]
fn the_clean_churn_examples_have_no_finding() {
    for example in ["strong", "overclaiming"] {
        let folder = support::repo(&format!("assignments/churn/examples/{example}"));
        let data = format!("data={}", support::repo("assignments/churn/data").display());
        let record = support::run_python(&folder.join("main.py"), &["--mount", &data]);
        support::expect_verdict(&record, Verdict::Ok);
        let found = methodology(&record);
        assert!(found.calls > 0, "{example}");
        assert!(
            found.findings.is_empty(),
            "{example}: {:#?}",
            found.findings
        );
    }
}

/// The interview sheet of the leaky example: closed to its reviewer until their review is
/// submitted, then both findings at their lines with the candidate's code and a question,
/// and the reviewer's line comment; the lead's sheet, from the cohort page, has them too.
#[test]
fn the_interview_sheet_puts_both_faults_at_their_lines_with_a_question() {
    use support::web::{Server, csrf_of, get, link_token, post_form, rubric_fields};
    let (dir, pseudonym) = leaky_workspace();
    let root = dir.path();
    let ok = |args: &[&str]| support::cli_ok(root, args);
    let out = ok(&["issue", "churn", "--candidate", "Otto <otto@example.org>"]);
    let overclaimer = support::issued_pseudonym(&out);
    let example = support::repo("assignments/churn/examples/overclaiming");
    ok(&["submit", &overclaimer, example.to_str().unwrap()]);
    ok(&["evaluate", &overclaimer]);
    let rita = link_token(&ok(&["reviewer", "add", "Rita"]), "/r/");
    ok(&["assign", "churn", "--reviewers", "1"]);
    let lead = link_token(&ok(&["lead", "add", "Lee"]), "/l/");
    let code =
        std::fs::read_to_string(support::repo("assignments/churn/examples/leaky/main.py")).unwrap();
    let line = |n: usize| code.lines().nth(n - 1).unwrap().to_string();
    let server = Server::start(root, &["--no-worker"]);
    let review = server.url(&format!("/r/{rita}/review/{pseudonym}"));
    let sheet_url = server.url(&format!("/r/{rita}/interview/{pseudonym}"));
    assert_eq!(
        get(&sheet_url).status,
        404,
        "a draft must not open the sheet"
    );
    let page = get(&review).text();
    assert!(!page.contains("interview-link"), "{page}");
    let csrf = csrf_of(&page);
    let comment = post_form(
        &server.url(&format!("/r/{rita}/comment/{pseudonym}")),
        &[
            ("csrf", &csrf),
            ("path", "main.py"),
            ("line", "42"),
            ("body", "Why the best of the three on test?"),
        ],
        None,
    );
    assert_eq!(comment.status, 303, "{}", comment.text());
    let mut form: Vec<(String, String)> = vec![
        ("csrf".into(), csrf.clone()),
        ("action".into(), "submit".into()),
    ];
    form.extend(rubric_fields("2", "sheet", "no"));
    let fields: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert_eq!(post_form(&review, &fields, None).status, 303);
    // Links as the browser reads them (minijinja writes `/` as `&#x2f;`).
    let unescaped = |html: String| html.replace("&#x2f;", "/");
    let page = unescaped(get(&review).text());
    assert!(
        page.contains(&format!("href=\"/r/{rita}/interview/{pseudonym}\"")),
        "{page}"
    );
    let sheet = get(&sheet_url);
    assert_eq!(sheet.status, 200);
    let sheet = sheet.text();
    // minijinja's HTML escaping, for the candidate's lines as the sheet quotes them.
    let escaped = |text: &str| {
        text.replace('&', "&amp;")
            .replace('"', "&quot;")
            .replace('\'', "&#x27;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('/', "&#x2f;")
    };
    for (title, at) in [
        ("Preprocessing fitted on evaluation rows", 31),
        ("Test set used to choose", 42),
    ] {
        assert!(
            sheet.contains(&format!("<h2>{title}")),
            "no {title}: {sheet}"
        );
        let link = format!("#file-1-L{at}\">main.py:{at}</a>");
        assert!(sheet.contains(&link), "no link to main.py:{at}: {sheet}");
        assert!(
            sheet.contains(&format!("<pre class=\"line\">{}</pre>", escaped(&line(at)))),
            "main.py:{at} not quoted: {sheet}"
        );
    }
    assert_eq!(
        sheet.matches("class=\"topic methodology\"").count(),
        2,
        "{sheet}"
    );
    assert!(
        sheet.contains("Why the best of the three on test?"),
        "{sheet}"
    );
    assert!(
        sheet.matches("<strong>Ask:</strong>").count() >= 3,
        "{sheet}"
    );
    let cohort = unescaped(get(&server.url(&format!("/l/{lead}/cohort/churn"))).text());
    let lead_sheet = format!("/l/{lead}/interview/{pseudonym}");
    assert!(
        cohort.contains(&format!("href=\"{lead_sheet}\"")),
        "{cohort}"
    );
    let sheet = get(&server.url(&lead_sheet)).text();
    assert_eq!(
        sheet.matches("class=\"topic methodology\"").count(),
        2,
        "{sheet}"
    );
    assert!(
        sheet.contains("main.py:31") && sheet.contains("main.py:42"),
        "{sheet}"
    );
    assert!(
        sheet.contains("Why the best of the three on test?"),
        "{sheet}"
    );
    // The overclaiming example: its decisive claim is the topic, and no methodology.
    let sheet = get(&server.url(&format!("/l/{lead}/interview/{overclaimer}"))).text();
    assert!(
        sheet.contains("<h2>roc_auc claim not reproduced</h2>"),
        "{sheet}"
    );
    assert!(!sheet.contains("topic methodology"), "{sheet}");
}
