//! python-native with real binary wheels: LightGBM and XGBoost fits in gVisor, reruns
//! identical to the bit, and notebooks recorded cell by cell as on the WebAssembly tier.
//! Needs root, cgroup v1 and runsc; the first run builds the environment from wheels (about
//! 90 MB downloaded once into the suite's cache).

mod support;

use takehome::sandbox::{CellStatus, RunRecord, Verdict};

const FIT: &str = r#"
import hashlib
import numpy as np
import lightgbm as lgb
import xgboost as xgb

rng = np.random.default_rng(0)
X = rng.normal(size=(2000, 10))
y = (X[:, 0] + 0.5 * X[:, 1] ** 2 + rng.normal(scale=0.3, size=2000) > 0.5).astype(int)
lgbm = lgb.LGBMClassifier(n_estimators=50, n_jobs=1, random_state=0, verbose=-1).fit(X, y)
boost = xgb.XGBClassifier(n_estimators=50, n_jobs=1, random_state=0, tree_method="hist").fit(X, y)
p = np.round(lgbm.predict_proba(X)[:, 1] + boost.predict_proba(X)[:, 1], 12)
np.savetxt("out/predictions.csv", p, fmt="%.12f")
print("accuracy", ((p > 1.0) == y).mean())
print("hash", hashlib.sha256(p.tobytes()).hexdigest())
"#;

fn run(dir: &std::path::Path, file: &str, text: &str) -> RunRecord {
    let path = dir.join(file);
    std::fs::write(&path, text).unwrap();
    support::run(&path, &["--runner", "python-native", "--wall", "300s"])
}

#[test]
fn lightgbm_and_xgboost_fit_and_rerun_bit_identically() {
    let dir = support::tempdir();
    let first = run(dir.path(), "fit.py", FIT);
    support::expect_verdict(&first, Verdict::Ok);
    let accuracy: f64 = first
        .stdout
        .text
        .lines()
        .find_map(|l| l.strip_prefix("accuracy "))
        .and_then(|a| a.trim().parse().ok())
        .unwrap_or_else(|| panic!("no accuracy in {}", first.stdout.text));
    assert!(accuracy > 0.8, "{}", first.stdout.text);
    assert!(
        first.diagnostics.is_empty(),
        "the libraries' own probes are not the program's: {:?}",
        first.diagnostics
    );
    let second = run(dir.path(), "fit.py", FIT);
    support::expect_verdict(&second, Verdict::Ok);
    assert_eq!(
        first.stdout.sha256, second.stdout.sha256,
        "{}\n{}",
        first.stdout.text, second.stdout.text
    );
    let predictions = |r: &RunRecord| {
        r.outputs
            .iter()
            .find(|o| o.path == "out/predictions.csv")
            .and_then(|o| o.sha256.clone())
            .unwrap_or_else(|| panic!("no predictions in {:?}", r.outputs))
    };
    assert_eq!(predictions(&first), predictions(&second));
    assert_eq!(first.reproducible_part(), second.reproducible_part());
}

#[test]
fn a_notebook_runs_cell_by_cell_with_the_same_record_shape() {
    let dir = support::tempdir();
    let notebook = serde_json::json!({
        "nbformat": 4, "nbformat_minor": 5, "metadata": {},
        "cells": [
            {"cell_type": "markdown", "metadata": {}, "source": ["# A fit"]},
            {"cell_type": "code", "metadata": {}, "execution_count": 1, "outputs": [],
             "source": ["import lightgbm, pandas as pd\n", "df = pd.DataFrame({'a': [1, 2, 3]})\n", "df.a.sum()"]},
            {"cell_type": "code", "metadata": {}, "execution_count": 2, "outputs": [],
             "source": ["print('lightgbm', lightgbm.__version__)"]},
            {"cell_type": "code", "metadata": {}, "execution_count": 3, "outputs": [],
             "source": ["1 / 0"]},
        ]
    });
    let record = run(dir.path(), "fit.ipynb", &notebook.to_string());
    support::expect_verdict(&record, Verdict::Exit);
    let cells = &record.notebook.as_ref().expect("a notebook record").cells;
    let statuses: Vec<(usize, CellStatus)> = cells.iter().map(|c| (c.index, c.status)).collect();
    assert_eq!(
        statuses,
        [
            (1, CellStatus::Ok),
            (2, CellStatus::Ok),
            (3, CellStatus::Error)
        ],
        "{record:#?}"
    );
    assert_eq!(cells[0].outputs[0].output_type, "execute_result");
    assert_eq!(cells[2].error.as_ref().unwrap().ename, "ZeroDivisionError");
    assert!(
        record.stdout.text.contains("lightgbm 4.7.0"),
        "{}",
        record.stdout.text
    );
}

fn code_cell(source: &str) -> serde_json::Value {
    serde_json::json!({"cell_type": "code", "metadata": {}, "source": source,
                       "execution_count": null, "outputs": []})
}

fn notebook_text(cells: &[serde_json::Value]) -> String {
    serde_json::json!({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": cells})
        .to_string()
}

/// `--then` on python-native: several entries in order in one sandbox and one working copy,
/// one record with a line per entry, as on the WebAssembly tier; a limit in the middle one
/// stops the sequence and skips the rest.
#[test]
fn several_entries_run_in_order_in_one_sandbox_with_one_record() {
    let dir = support::tempdir();
    support::write_files(
        dir.path(),
        &[
            (
                "a.ipynb",
                &notebook_text(&[
                    code_cell("x = 1\nimport lightgbm\nopen('a.txt', 'w').write('a')"),
                    code_cell("1 / 0"),
                ]),
            ),
            ("b.py", "print(open('a.txt').read())\nraise SystemExit(3)\n"),
            (
                "c.ipynb",
                &notebook_text(&[code_cell("print('x' in globals())")]),
            ),
            (
                "spin.ipynb",
                &notebook_text(&[
                    code_cell("print('spinning')"),
                    code_cell("while True:\n    pass"),
                ]),
            ),
        ],
    );
    let path = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    let record = support::run(
        std::path::Path::new(&path("a.ipynb")),
        &[
            "--runner",
            "python-native",
            "--then",
            &path("b.py"),
            "--then",
            &path("c.ipynb"),
            "--wall",
            "300s",
        ],
    );
    support::expect_verdict(&record, Verdict::Exit);
    assert!(
        record
            .message
            .starts_with("entry 1 of 3 (a.ipynb): cell 1 (In [2]) raised ZeroDivisionError"),
        "{}",
        record.message
    );
    let statuses: Vec<(&str, CellStatus, Option<i32>)> = record
        .entries
        .iter()
        .map(|e| (e.path.as_str(), e.status, e.exit_code))
        .collect();
    assert_eq!(
        statuses,
        [
            ("a.ipynb", CellStatus::Error, Some(1)),
            ("b.py", CellStatus::Error, Some(3)),
            ("c.ipynb", CellStatus::Ok, Some(0)),
        ],
        "{record:#?}"
    );
    assert!(
        record.stdout.text.starts_with("a\n"),
        "{}",
        record.stdout.text
    );
    // The third notebook starts from a fresh namespace.
    assert!(
        record.stdout.text.contains("False") && !record.stdout.text.contains("True"),
        "{}",
        record.stdout.text
    );
    assert_eq!(record.isolation, takehome::record::Isolation::Gvisor);

    // A wall-clock limit in the middle entry stops the sequence; the last is skipped.
    let record = support::run(
        std::path::Path::new(&path("b.py")),
        &[
            "--runner",
            "python-native",
            "--then",
            &path("spin.ipynb"),
            "--then",
            &path("c.ipynb"),
            "--wall",
            "8s",
        ],
    );
    support::expect_verdict(&record, Verdict::TimeLimit);
    assert!(
        record.message.contains("entry 2 of 3 (spin.ipynb)"),
        "{}",
        record.message
    );
    let statuses: Vec<CellStatus> = record.entries.iter().map(|e| e.status).collect();
    assert_eq!(
        statuses,
        [CellStatus::Error, CellStatus::Error, CellStatus::Skipped],
        "{record:#?}"
    );
}
