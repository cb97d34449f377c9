//! Saved outputs against the rerun, cell by cell: each differing cell gets a kind (`display`,
//! `warnings`, `numbers`, `content`), a summary and a likely cause, and the packet counts the
//! cells by kind. Notebooks written by the tests, run in the real sandbox on the Python runner
//! (`.ci/run` installs it).

mod support;

use std::path::Path;

use serde_json::{Value, json};
use support::{cli_ok as ok, repo};
use takehome::record::{Cause, DifferenceKind, RunRecord, SavedOutput};

fn code(source: &str, count: u64, outputs: Value) -> Value {
    json!({"cell_type": "code", "metadata": {}, "source": source, "execution_count": count, "outputs": outputs})
}

fn stdout(text: &str) -> Value {
    json!({"output_type": "stream", "name": "stdout", "text": text})
}

fn stderr(text: &str) -> Value {
    json!({"output_type": "stream", "name": "stderr", "text": text})
}

fn notebook(cells: &[Value]) -> String {
    serde_json::to_string_pretty(&json!({
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
        "cells": cells,
    }))
    .unwrap()
}

const WIDE_FRAME: &str = "import pandas as pd\n\
    df = pd.DataFrame([list(range(1, 10)), list(range(10, 19))], columns=[f'column_{c}' for c in 'abcdefghi'])\n\
    print(df)";

/// The same frame as a terminal prints it (middle columns elided), not as Jupyter does.
const WIDE_FRAME_IN_A_TERMINAL: &str = "   column_a  column_b  ...  column_h  column_i\n0         1         2  ...         8         9\n1        10        11  ...        17        18\n\n[2 rows x 9 columns]\n";

const WARNING: &str = "C:\\Users\\ana\\AppData\\Local\\Temp\\ipykernel_16036\\509899133.py:1: FutureWarning: The default of observed=False is deprecated\n  print('mean', 3)\n";

#[test]
fn each_differing_cell_is_classified_with_its_likely_cause() {
    let dir = support::tempdir();
    let cells = [
        // Saved out of order: the second cell ran first, before `x` was 1.
        code("x = 1", 2, json!([])),
        code("print(x + 1)", 1, json!([stdout("5\n")])),
        code("print('hello')", 3, json!([stdout("hello\n")])),
        code(WIDE_FRAME, 4, json!([stdout(WIDE_FRAME_IN_A_TERMINAL)])),
        code(
            "print('mean', 3)",
            5,
            json!([stderr(WARNING), stdout("mean 3\n")]),
        ),
        code(
            "from sklearn.datasets import make_classification\n\
             from sklearn.ensemble import RandomForestClassifier\n\
             X, y = make_classification(n_samples=200, random_state=0)\n\
             model = RandomForestClassifier(n_estimators=5).fit(X[:150], y[:150])",
            6,
            json!([]),
        ),
        // 50 rows: an accuracy of 0.01 cannot come out of the rerun.
        code(
            "print(f'accuracy {(model.predict(X[150:]) == y[150:]).mean():.2f}')",
            7,
            json!([stdout("accuracy 0.01\n")]),
        ),
        code("print(['a', 'b'])", 8, json!([stdout("['a', 'b', 'c']\n")])),
    ];
    let path = dir.path().join("analysis.ipynb");
    std::fs::write(&path, notebook(&cells)).unwrap();
    let out = dir.path().join("out");
    let record: RunRecord = support::run_python(&path, &["--out", out.to_str().unwrap()]);
    let nb = record.notebook.as_ref().expect("a notebook record");
    let cell = |index: usize| nb.cells.iter().find(|c| c.index == index).unwrap();
    let difference = |index: usize| {
        cell(index)
            .difference
            .clone()
            .unwrap_or_else(|| panic!("cell {index} has no difference: {:?}", cell(index)))
    };

    let out_of_order = difference(1);
    assert_eq!(
        out_of_order.kind,
        DifferenceKind::Numbers,
        "{}",
        out_of_order.summary
    );
    assert_eq!(
        out_of_order.cause,
        Some(Cause::OutOfOrder),
        "{}",
        out_of_order.summary
    );

    assert_eq!(cell(2).saved_output, SavedOutput::Same);
    assert_eq!(cell(2).difference, None);

    let display = difference(3);
    assert_eq!(display.kind, DifferenceKind::Display, "{}", display.summary);
    assert_eq!(display.cause, None);

    let warnings = difference(4);
    assert_eq!(
        warnings.kind,
        DifferenceKind::Warnings,
        "{}",
        warnings.summary
    );
    assert!(
        warnings.summary.contains("FutureWarning"),
        "{}",
        warnings.summary
    );
    assert_eq!(warnings.cause, Some(Cause::LibraryVersion));

    let numbers = difference(6);
    assert_eq!(numbers.kind, DifferenceKind::Numbers, "{}", numbers.summary);
    assert_eq!(numbers.cause, Some(Cause::UnseededRandomness));
    assert!(
        numbers
            .summary
            .contains("RandomForestClassifier (line 4) in cell 5"),
        "{}",
        numbers.summary
    );
    let change = numbers.numbers.expect("how far the numbers moved");
    assert!(
        change.first.starts_with("accuracy 0.01 → "),
        "{}",
        change.first
    );
    assert!(change.largest_absolute > 0.5, "{change:?}");

    let content = difference(7);
    assert_eq!(content.kind, DifferenceKind::Content, "{}", content.summary);
    assert_eq!(
        content.cause, None,
        "a content change is not blamed on the random forest"
    );

    assert_eq!(
        takehome::runner::notebook::reproducibility_line(nb),
        "1 same, 1 display, 1 warnings (library version), 2 numbers (out of order, unseeded randomness), 1 content, 2 with nothing saved"
    );

    // The frame is printed as a Jupyter kernel prints it: wrapped at 80 columns, every
    // column shown, where a terminal would elide the middle ones.
    let executed: Value = serde_json::from_str(
        &std::fs::read_to_string(out.join("executed/analysis.ipynb")).unwrap(),
    )
    .unwrap();
    let printed = executed["cells"][3]["outputs"][0]["text"]
        .as_str()
        .map(str::to_string)
        .unwrap_or_else(|| {
            executed["cells"][3]["outputs"][0]["text"]
                .as_array()
                .unwrap()
                .iter()
                .map(|l| l.as_str().unwrap())
                .collect()
        });
    assert!(
        printed.contains(" \\\n"),
        "wrapped like Jupyter:\n{printed}"
    );
    assert!(!printed.contains("..."), "no column elided:\n{printed}");
    assert!(printed.contains("column_e"), "{printed}");
}

#[test]
fn seeds_and_scripts_leave_no_cause_or_change() {
    let dir = support::tempdir();
    let cells = [
        code(
            "import numpy as np\n\
             np.random.seed(0)\n\
             from sklearn.ensemble import RandomForestClassifier\n\
             X = np.random.rand(60, 3); y = (X[:, 0] > 0.5).astype(int)\n\
             model = RandomForestClassifier(n_estimators=3).fit(X, y)",
            1,
            json!([]),
        ),
        code(
            "print(f'score {model.score(X, y) - 5:.2f}')",
            2,
            json!([stdout("score 0.00\n")]),
        ),
    ];
    let path = dir.path().join("seeded.ipynb");
    std::fs::write(&path, notebook(&cells)).unwrap();
    let record = support::run_python(&path, &[]);
    let nb = record.notebook.as_ref().unwrap();
    let d = nb.cells[1].difference.clone().expect("the score differs");
    assert_eq!(d.kind, DifferenceKind::Numbers, "{}", d.summary);
    assert_eq!(d.cause, None, "the generator was seeded: {}", d.summary);

    // A script keeps plain `python` behaviour: a wide frame is fitted to the console.
    let script = dir.path().join("wide.py");
    std::fs::write(&script, WIDE_FRAME).unwrap();
    let record = support::run_python(&script, &[]);
    assert!(record.stdout.text.contains("..."), "{}", record.stdout.text);
}

/// A notebook submission to churn whose saved outputs differ from the rerun only in layout
/// and warnings.
fn display_and_warnings_submission(folder: &Path) {
    let cells = [
        code(
            "import pandas as pd\ntest = pd.read_csv('data/test.csv')",
            1,
            json!([]),
        ),
        code(WIDE_FRAME, 2, json!([stdout(WIDE_FRAME_IN_A_TERMINAL)])),
        code(
            "print('mean', 3)",
            3,
            json!([stderr(WARNING), stdout("mean 3\n")]),
        ),
        code(
            "pd.DataFrame({'customer_id': test['customer_id'], 'churn_probability': 0.5}).to_csv('out/predictions.csv', index=False)\nprint('written')",
            4,
            json!([stdout("written\n")]),
        ),
    ];
    support::write_files(
        folder,
        &[
            ("analysis.ipynb", &notebook(&cells)),
            ("REPORT.md", "# Churn\n\nA constant baseline.\n"),
            (
                "submission.toml",
                "runner = \"python\"\nentry = \"analysis.ipynb\"\nreport = \"REPORT.md\"\n",
            ),
        ],
    );
}

#[test]
fn a_packet_of_display_and_warning_differences_says_so_and_folds_them() {
    let dir = support::tempdir();
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
    let folder = support::tempdir();
    display_and_warnings_submission(folder.path());
    let issued = ok(
        root,
        &[
            "issue",
            "churn",
            "--candidate",
            "Ada Lovelace <ada@example.org>",
        ],
    );
    let pseudonym = support::issued_pseudonym(&issued);
    ok(
        root,
        &["submit", &pseudonym, folder.path().to_str().unwrap()],
    );
    ok(root, &["evaluate", &pseudonym]);
    let out = root.join("review");
    ok(
        root,
        &["packet", &pseudonym, "--out", out.to_str().unwrap()],
    );
    let html = std::fs::read_to_string(out.join(format!("{pseudonym}-1.html"))).unwrap();
    assert!(
        html.contains("analysis.ipynb, saved outputs against the rerun: 1 same, 1 display, 1 warnings (library version), 1 with nothing saved"),
        "the reproducibility line counts the cells by kind: {}",
        html.lines().filter(|l| l.contains("saved outputs against")).collect::<Vec<_>>().join("\n")
    );
    assert!(!html.contains("difference kind-content") && !html.contains("difference kind-numbers"));
    for kind in ["display", "warnings"] {
        let tag = format!("<details class=\"difference kind-{kind}\">");
        assert!(html.contains(&tag), "{kind} differences are folded: {tag}");
    }
}
