//! Notebooks end to end through `takehome run NOTEBOOK.ipynb`: notebooks the tests write
//! themselves, run cell by cell by IPython inside the real sandbox on the Python runner.
//! Needs `takehome runner install python` first (`.ci/run` does it).

mod support;

use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use support::expect_verdict;
use takehome::sandbox::{CellStatus, RunRecord, SavedOutput, Verdict};

/// A code cell: its source and the outputs the candidate saved (with their count).
fn code(source: &str) -> Value {
    json!({"cell_type": "code", "metadata": {}, "source": source, "execution_count": null, "outputs": []})
}

fn saved(source: &str, count: u64, outputs: Value) -> Value {
    json!({"cell_type": "code", "metadata": {}, "source": source, "execution_count": count, "outputs": outputs})
}

fn stream(text: &str) -> Value {
    json!({"output_type": "stream", "name": "stdout", "text": text})
}

fn markdown(text: &str) -> Value {
    json!({"cell_type": "markdown", "metadata": {}, "source": text})
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

/// Writes files (notebooks as JSON text) under a new folder.
fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = support::tempdir();
    support::write_files(dir.path(), files);
    dir
}

/// `takehome ARGS` with the user's cache, where the Python runner is installed.
fn takehome(args: &[&std::ffi::OsStr]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_takehome"))
        .args(args)
        .env_remove("RUST_LOG")
        .output()
        .expect("cannot start the takehome binary")
}

/// Runs a notebook through `takehome run --json` and returns its checked record.
fn run(path: &Path, flags: &[&str]) -> RunRecord {
    support::run_python(path, flags)
}

fn cells(record: &RunRecord) -> &[takehome::sandbox::CellRecord] {
    &record
        .notebook
        .as_ref()
        .unwrap_or_else(|| panic!("no notebook in the record: {record:#?}"))
        .cells
}

fn mimes(record: &RunRecord, cell: usize) -> Vec<(String, Vec<String>)> {
    cells(record)[cell]
        .outputs
        .iter()
        .map(|o| (o.output_type.clone(), o.mime.clone()))
        .collect()
}

/// Runs with `--out` and returns the record and the executed notebook.
fn run_kept(path: &Path, flags: &[&str]) -> (RunRecord, Value, tempfile::TempDir) {
    let out = support::tempdir();
    let out_dir = out.path().join("out");
    let mut all = vec!["--out", out_dir.to_str().unwrap()];
    all.extend_from_slice(flags);
    let record = run(path, &all);
    let executed = record
        .notebook
        .as_ref()
        .and_then(|n| n.executed.clone())
        .unwrap_or_else(|| panic!("no executed notebook kept: {record:#?}"));
    let text = std::fs::read_to_string(out_dir.join(&executed)).unwrap();
    (record, serde_json::from_str(&text).unwrap(), out)
}

fn text_of(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Array(lines) => lines.iter().map(|l| l.as_str().unwrap()).collect(),
        other => panic!("not text: {other}"),
    }
}

#[test]
fn last_expression_print_and_display_become_the_cells_outputs() {
    let dir = project(&[(
        "nb.ipynb",
        &notebook(&[
            markdown("# Title"),
            code("x = 6 * 7\nx"),
            code(
                "print('hello')\nfrom IPython.display import display, HTML, Markdown\ndisplay(HTML('<b>bold</b>'))\nMarkdown('*hi*')",
            ),
            code("y = x + 1;"),
        ]),
    )]);
    let (record, executed, _out) = run_kept(&dir.path().join("nb.ipynb"), &[]);
    expect_verdict(&record, Verdict::Ok);
    let all = cells(&record);
    assert_eq!(all.iter().map(|c| c.index).collect::<Vec<_>>(), [1, 2, 3]);
    assert!(
        all.iter()
            .all(|c| c.status == CellStatus::Ok && c.fuel_used > 0)
    );
    assert_eq!(
        mimes(&record, 0),
        [("execute_result".into(), vec!["text/plain".to_string()])]
    );
    assert_eq!(
        mimes(&record, 1),
        [
            ("stream".into(), vec![]),
            (
                "display_data".into(),
                vec!["text/html".to_string(), "text/plain".to_string()]
            ),
            (
                "execute_result".into(),
                vec!["text/markdown".to_string(), "text/plain".to_string()]
            ),
        ]
    );
    assert!(mimes(&record, 2).is_empty(), "a trailing ; shows nothing");
    let cells = executed["cells"].as_array().unwrap();
    assert_eq!(text_of(&cells[1]["outputs"][0]["data"]["text/plain"]), "42");
    assert_eq!(text_of(&cells[2]["outputs"][0]["text"]), "hello\n");
    assert_eq!(
        text_of(&cells[2]["outputs"][1]["data"]["text/html"]),
        "<b>bold</b>"
    );
    assert_eq!(record.stdout.text, "hello\n");
}

#[test]
fn executed_notebook_is_nbformat_4_with_counts_in_order() {
    let dir = project(&[(
        "nb.ipynb",
        &notebook(&[
            saved("a = 1", 7, json!([])),
            markdown("text"),
            saved("a", 3, json!([])),
            code("a + 1"),
        ]),
    )]);
    let (record, executed, _out) = run_kept(&dir.path().join("nb.ipynb"), &[]);
    expect_verdict(&record, Verdict::Ok);
    assert_eq!(executed["nbformat"], 4);
    let counts: Vec<Value> = executed["cells"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["cell_type"] == "code")
        .map(|c| c["execution_count"].clone())
        .collect();
    assert_eq!(counts, [json!(1), json!(2), json!(3)]);
    for cell in executed["cells"].as_array().unwrap() {
        assert!(
            cell["id"].is_string(),
            "nbformat 4.5 cells carry ids: {cell}"
        );
        assert!(cell["source"].is_array());
        if cell["cell_type"] == "code" {
            assert!(cell["outputs"].is_array());
        }
    }
    assert_eq!(executed["cells"][3]["outputs"][0]["execution_count"], 3);
    assert!(record.notebook.as_ref().unwrap().out_of_order);
}

#[test]
fn a_dataframe_shows_as_html_and_an_open_figure_as_png() {
    let dir = project(&[(
        "nb.ipynb",
        &notebook(&[
            code("import pandas as pd\npd.DataFrame({'a': [1, 2], 'b': [3.5, 4.5]})"),
            code(
                "import matplotlib.pyplot as plt\nplt.plot([0, 1, 2], [0, 1, 4])\nplt.title('growth');",
            ),
            code(
                "%matplotlib inline\nfig, ax = plt.subplots()\nax.bar(['x', 'y'], [1, 2])\nplt.show()",
            ),
        ]),
    )]);
    let (record, executed, _out) = run_kept(&dir.path().join("nb.ipynb"), &[]);
    expect_verdict(&record, Verdict::Ok);
    assert_eq!(
        mimes(&record, 0),
        [(
            "execute_result".into(),
            vec!["text/html".to_string(), "text/plain".to_string()]
        )]
    );
    for cell in [1, 2] {
        let outputs = mimes(&record, cell);
        assert!(
            outputs
                .iter()
                .any(|(t, m)| t == "display_data" && m.contains(&"image/png".to_string())),
            "cell {cell}: {outputs:?}"
        );
    }
    let html = text_of(&executed["cells"][0]["outputs"][0]["data"]["text/html"]);
    assert!(html.contains("<table") && html.contains("4.5"), "{html}");
}

#[test]
fn shell_escapes_and_installs_are_visible_no_ops() {
    let dir = project(&[(
        "nb.ipynb",
        &notebook(&[
            code("!pip install lightgbm\n%pip install xgboost\nfiles = !ls\nprint('after', files)"),
            code("%%bash\necho hi"),
            code("%time total = sum(range(100))\n%timeit sum(range(10))\ntotal"),
            code("%%capture captured\nprint('hidden')"),
            code("captured.stdout"),
        ]),
    )]);
    let (record, executed, _out) = run_kept(&dir.path().join("nb.ipynb"), &[]);
    expect_verdict(&record, Verdict::Ok);
    let cells = executed["cells"].as_array().unwrap();
    let stderr = text_of(&cells[0]["outputs"][0]["text"]);
    assert_eq!(cells[0]["outputs"][0]["name"], "stderr");
    for skipped in ["`!pip install lightgbm`", "`%pip install xgboost`", "`!ls`"] {
        assert!(stderr.contains(&format!("skipped {skipped}")), "{stderr}");
    }
    assert_eq!(text_of(&cells[0]["outputs"][1]["text"]), "after []\n");
    assert!(text_of(&cells[1]["outputs"][0]["text"]).contains("skipped `%%bash`"));
    let timed = text_of(&cells[2]["outputs"][0]["text"]);
    assert!(
        timed.contains("Wall time") && timed.contains("run once"),
        "{timed}"
    );
    assert_eq!(
        text_of(&cells[2]["outputs"][1]["data"]["text/plain"]),
        "4950"
    );
    assert_eq!(cells[3]["outputs"], json!([]));
    assert_eq!(
        text_of(&cells[4]["outputs"][0]["data"]["text/plain"]),
        "'hidden\\n'"
    );
}

#[test]
fn an_error_cell_is_recorded_and_the_cells_after_it_still_run() {
    let dir = project(&[(
        "nb.ipynb",
        &notebook(&[
            code("def f(x):\n    return 1 / x"),
            code("f(0)"),
            code("print('still running')"),
            json!({"cell_type": "code", "metadata": {"tags": ["raises-exception"]}, "source": "raise KeyError('expected')", "execution_count": null, "outputs": []}),
        ]),
    )]);
    let (record, executed, _out) = run_kept(&dir.path().join("nb.ipynb"), &[]);
    expect_verdict(&record, Verdict::Exit);
    assert_eq!(record.exit_code, Some(1));
    assert!(
        record.message.contains("cell 1") && record.message.contains("ZeroDivisionError"),
        "{}",
        record.message
    );
    let all = cells(&record);
    let statuses: Vec<CellStatus> = all.iter().map(|c| c.status).collect();
    assert_eq!(
        statuses,
        [
            CellStatus::Ok,
            CellStatus::Error,
            CellStatus::Ok,
            CellStatus::Error
        ]
    );
    let error = all[1].error.as_ref().unwrap();
    assert_eq!(
        (error.ename.as_str(), error.evalue.as_str()),
        ("ZeroDivisionError", "division by zero")
    );
    let traceback: Vec<String> = executed["cells"][1]["outputs"][0]["traceback"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap().to_string())
        .collect();
    let traceback = traceback.join("\n");
    assert!(traceback.contains("return 1 / x"), "{traceback}");
    assert!(
        !traceback.contains("\u{1b}["),
        "no colour codes: {traceback}"
    );
    assert!(!traceback.contains("interactiveshell.py"), "{traceback}");
}

#[test]
fn only_cells_tagged_raises_exception_may_raise_in_an_ok_run() {
    let dir = project(&[(
        "nb.ipynb",
        &notebook(&[
            json!({"cell_type": "code", "metadata": {"tags": ["raises-exception"]}, "source": "raise KeyError('expected')", "execution_count": null, "outputs": []}),
            code("print('fine')"),
        ]),
    )]);
    let record = run(&dir.path().join("nb.ipynb"), &[]);
    expect_verdict(&record, Verdict::Ok);
    assert_eq!(cells(&record)[0].status, CellStatus::Error);
}

#[test]
fn saved_outputs_are_compared_with_the_rerun() {
    let dir = project(&[(
        "nb.ipynb",
        &notebook(&[
            saved("print(0.1 + 0.2)", 1, json!([stream("0.3\n")])),
            saved("print('seven')", 2, json!([stream("eight\n")])),
            code("print('never saved')"),
            saved(
                "class A: pass\nA()",
                3,
                json!([{"output_type": "execute_result", "execution_count": 3, "metadata": {},
                        "data": {"text/plain": ["<__main__.A at 0x7f00deadbeef>"]}}]),
            ),
        ]),
    )]);
    let record = run(&dir.path().join("nb.ipynb"), &[]);
    expect_verdict(&record, Verdict::Ok);
    let found: Vec<SavedOutput> = cells(&record).iter().map(|c| c.saved_output).collect();
    assert_eq!(
        found,
        [
            SavedOutput::Same,
            SavedOutput::Differs,
            SavedOutput::None,
            SavedOutput::Same
        ]
    );
    assert!(!record.notebook.as_ref().unwrap().out_of_order);
}

#[test]
fn saved_execution_counts_that_go_back_are_out_of_order() {
    let dir = project(&[(
        "nb.ipynb",
        &notebook(&[saved("a = 1", 5, json!([])), saved("b = 2", 2, json!([]))]),
    )]);
    let record = run(&dir.path().join("nb.ipynb"), &[]);
    expect_verdict(&record, Verdict::Ok);
    assert!(record.notebook.as_ref().unwrap().out_of_order);
}

#[test]
fn the_same_notebook_twice_gives_identical_records() {
    let dir = project(&[(
        "nb.ipynb",
        &notebook(&[
            code(
                "import random, numpy as np, time\nprint(random.random(), np.random.rand(), time.time())",
            ),
            code("import matplotlib.pyplot as plt\nplt.plot([1, 2, 3])"),
            code("{'b', 'a', 'c'}"),
        ]),
    )]);
    let path = dir.path().join("nb.ipynb");
    let (first, first_nb, _a) = run_kept(&path, &["--seed", "3"]);
    let (second, second_nb, _b) = run_kept(&path, &["--seed", "3"]);
    expect_verdict(&first, Verdict::Ok);
    assert_eq!(first.reproducible_part(), second.reproducible_part());
    assert_eq!(first_nb, second_nb);
}

#[test]
fn a_notebook_writes_a_file_next_to_itself_and_reads_it_back() {
    let dir = project(&[(
        "nb.ipynb",
        &notebook(&[
            code("import os\nprint(os.getcwd())"),
            code("open('out/note.txt', 'w').write('kept')"),
            code("print(open('out/note.txt').read())"),
        ]),
    )]);
    let (record, _, out) = run_kept(&dir.path().join("nb.ipynb"), &[]);
    expect_verdict(&record, Verdict::Ok);
    assert_eq!(record.stdout.text, "/work\nkept\n");
    assert_eq!(
        // --out receives every output at its path from the project's top.
        std::fs::read_to_string(out.path().join("out/out/note.txt")).unwrap(),
        "kept"
    );
}

#[test]
fn an_infinite_loop_in_a_cell_stops_the_run_and_skips_the_rest() {
    let dir = project(&[(
        "nb.ipynb",
        &notebook(&[
            code("print('first')"),
            code("while True:\n    pass"),
            code("print('never')"),
        ]),
    )]);
    let (record, executed, _out) =
        run_kept(&dir.path().join("nb.ipynb"), &["--fuel", "20000000000"]);
    expect_verdict(&record, Verdict::FuelLimit);
    let statuses: Vec<CellStatus> = cells(&record).iter().map(|c| c.status).collect();
    assert_eq!(
        statuses,
        [CellStatus::Ok, CellStatus::Error, CellStatus::Skipped]
    );
    assert_eq!(
        cells(&record)[1].error.as_ref().unwrap().ename,
        "fuel_limit"
    );
    assert_eq!(
        text_of(&executed["cells"][0]["outputs"][0]["text"]),
        "first\n"
    );
    assert_eq!(executed["cells"][2]["execution_count"], Value::Null);
}

#[test]
fn a_memory_hog_in_a_cell_is_a_memory_limit() {
    let dir = project(&[(
        "nb.ipynb",
        &notebook(&[
            code("print('first')"),
            code("hog = []\nwhile True:\n    hog.append(bytearray(50_000_000))"),
            code("print('never')"),
        ]),
    )]);
    let record = run(&dir.path().join("nb.ipynb"), &["--memory", "1GiB"]);
    expect_verdict(&record, Verdict::MemoryLimit);
    let statuses: Vec<CellStatus> = cells(&record).iter().map(|c| c.status).collect();
    assert_eq!(
        statuses,
        [CellStatus::Ok, CellStatus::Error, CellStatus::Skipped]
    );
}

#[test]
fn a_file_that_is_not_a_notebook_is_refused_with_its_name() {
    let dir = project(&[
        ("text.ipynb", "this is not json"),
        ("old.ipynb", r#"{"nbformat": 3, "worksheets": []}"#),
    ]);
    for (name, expected) in [("text.ipynb", "not JSON"), ("old.ipynb", "only nbformat 4")] {
        let path: PathBuf = dir.path().join(name);
        let output = takehome(&["run".as_ref(), path.as_os_str()]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success());
        assert!(
            stderr.contains(name) && stderr.contains(expected),
            "{stderr}"
        );
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

/// A churn workspace with one submission of `folder`; returns the root and the pseudonym.
fn submitted(folder: &Path) -> (tempfile::TempDir, String) {
    let dir = support::tempdir();
    let root = dir.path();
    support::cli_ok(root, &["init", "."]);
    support::cli_ok(
        root,
        &[
            "assignment",
            "add",
            support::repo("assignments/churn").to_str().unwrap(),
        ],
    );
    let out = support::cli_ok(
        root,
        &["issue", "churn", "--candidate", "Nia <nia@example.org>"],
    );
    let pseudonym = support::issued_pseudonym(&out);
    support::cli_ok(root, &["submit", &pseudonym, folder.to_str().unwrap()]);
    (dir, pseudonym)
}

#[test]
fn a_packet_shows_a_notebook_as_a_notebook_with_hostile_outputs_inert() {
    let hostile = json!([
        {"output_type": "display_data", "metadata": {},
         "data": {"text/html": "<table><tr><td onmouseover=\"alert(1)\">cell</td></tr></table><script>alert('html')</script>",
                  "application/javascript": "alert('js')",
                  "text/plain": "table"}},
        {"output_type": "display_data", "metadata": {},
         "data": {"application/vnd.jupyter.widget-view+json": {"model_id": "abc"}, "application/javascript": "alert('widget')"}},
        {"output_type": "error", "ename": "ValueError", "evalue": "bad",
         "traceback": ["\u{1b}[0;31mValueError\u{1b}[0m: <b>bad</b>"]}
    ]);
    let dir = project(&[
        (
            "analysis.ipynb",
            &notebook(&[
                markdown(
                    "# Approach\n\nGradient boosting on *tenure*.\n\n<script>alert('md')</script>",
                ),
                saved("show()", 4, hostile),
                saved("x = 1\ny = 2", 2, json!([])),
            ]),
        ),
        (
            "submission.toml",
            "runner = \"python\"\nentry = \"analysis.ipynb\"\nreport = \"analysis.ipynb\"\n",
        ),
    ]);
    let (workspace, pseudonym) = submitted(dir.path());
    let root = workspace.path();
    let out = root.join("review");
    support::cli_ok(
        root,
        &["packet", &pseudonym, "--out", out.to_str().unwrap()],
    );
    let html = std::fs::read_to_string(out.join(format!("{pseudonym}-1.html"))).unwrap();
    let packet: Value = serde_json::from_str(
        &std::fs::read_to_string(out.join(format!("{pseudonym}-1.json"))).unwrap(),
    )
    .unwrap();
    for bad in ["<script", "alert(", "onmouseover", "\u{1b}["] {
        assert!(!html.contains(bad), "{bad} reached the page");
    }
    assert!(html.contains("<td>cell</td>"), "the table is kept");
    assert!(
        html.contains("ValueError: &lt;b&gt;bad"),
        "the traceback is text"
    );
    assert!(
        html.contains("vnd.jupyter.widget-view+json"),
        "the widget is named"
    );
    assert!(html.contains("Out of order"), "out-of-order is flagged");
    assert!(html.contains("In [4]") && html.contains("<h1>Approach</h1>"));
    let notebook = &packet["notebooks"][0];
    assert_eq!(notebook["path"], "analysis.ipynb");
    assert_eq!(notebook["out_of_order"], true);
    assert_eq!(
        packet["report"]["present"], true,
        "the notebook's markdown is the report"
    );
    assert!(
        packet["report"]["markdown"]
            .as_str()
            .unwrap()
            .contains("Gradient boosting")
    );
}

#[test]
fn a_notebook_submission_is_evaluated_rerun_and_reviewed_as_a_notebook() {
    let dir = project(&[
        (
            "analysis.ipynb",
            &notebook(&[
                markdown("# Churn\n\nA constant baseline."),
                saved(
                    "import pandas as pd\ntest = pd.read_csv('data/test.csv')\nlen(test) > 0",
                    1,
                    json!([{"output_type": "execute_result", "execution_count": 1, "metadata": {},
                            "data": {"text/plain": "False"}}]),
                ),
                saved(
                    "pd.DataFrame({'customer_id': test['customer_id'], 'churn_probability': 0.5})\\\n    .to_csv('out/predictions.csv', index=False)\nprint('written')",
                    2,
                    json!([stream("written\n")]),
                ),
            ]),
        ),
        (
            "submission.toml",
            "runner = \"python\"\nentry = \"analysis.ipynb\"\nreport = \"analysis.ipynb\"\n",
        ),
    ]);
    let (workspace, pseudonym) = submitted(dir.path());
    let root = workspace.path();
    support::cli_ok(root, &["evaluate", &pseudonym]);
    support::cli_ok(root, &["rerun", &pseudonym]);
    let out = root.join("review");
    support::cli_ok(
        root,
        &["packet", &pseudonym, "--out", out.to_str().unwrap()],
    );
    let html = std::fs::read_to_string(out.join(format!("{pseudonym}-1.html"))).unwrap();
    let packet: Value = serde_json::from_str(
        &std::fs::read_to_string(out.join(format!("{pseudonym}-1.json"))).unwrap(),
    )
    .unwrap();
    assert_eq!(packet["run"]["verdict"], "ok", "{:#}", packet["run"]);
    assert!(
        packet["run"]["score_text"].is_string(),
        "{:#}",
        packet["run"]
    );
    assert_eq!(
        packet["reproducibility"]["reproducible"], true,
        "{:#}",
        packet["reproducibility"]
    );
    let notebook = &packet["notebooks"][0];
    assert_eq!(notebook["rerun"], true);
    let cells = notebook["cells"].as_array().unwrap();
    // The saved `False` differs from the rerun's `True`: both are shown.
    assert!(cells[1]["rerun_outputs"].is_array(), "{:#}", cells[1]);
    assert!(cells[2]["rerun_outputs"].is_null(), "{:#}", cells[2]);
    assert_eq!(cells[1]["status"], "ok");
    assert!(html.contains("Saved by the candidate") && html.contains("Rerun"));
}

#[test]
fn a_nested_notebook_runs_from_its_own_folder_and_writes_beside_itself() {
    let dir = project(&[
        (
            "notebooks/analysis.ipynb",
            &notebook(&[
                code(
                    // The assignment's data is its own mount at /work/data: `..` must reach it.
                    "import os, pandas as pd\nprint(os.getcwd())\n\
                     test = pd.read_csv('../data/test.csv')",
                ),
                code("open('notes.txt', 'w').write('beside the notebook')"),
                code(
                    "print(open('notes.txt').read())\npd.DataFrame({'customer_id': test['customer_id'], 'churn_probability': 0.5}).to_csv('../out/predictions.csv', index=False)",
                ),
            ]),
        ),
        (
            "submission.toml",
            "runner = \"python\"\nentry = \"notebooks/analysis.ipynb\"\nreport = \"notebooks/analysis.ipynb\"\n",
        ),
    ]);
    let (workspace, pseudonym) = submitted(dir.path());
    let root = workspace.path();
    support::cli_ok(root, &["evaluate", &pseudonym]);
    let out = root.join("review");
    support::cli_ok(
        root,
        &["packet", &pseudonym, "--out", out.to_str().unwrap()],
    );
    let packet: Value = serde_json::from_str(
        &std::fs::read_to_string(out.join(format!("{pseudonym}-1.json"))).unwrap(),
    )
    .unwrap();
    let run = &packet["run"];
    assert_eq!(run["verdict"], "ok", "{run:#}");
    assert_eq!(
        run["stdout"], "/work/notebooks\nbeside the notebook\n",
        "{run:#}"
    );
    assert!(run["score_text"].is_string(), "{run:#}");
    let kept: Vec<&str> = run["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["path"].as_str().unwrap())
        .collect();
    assert!(
        kept.contains(&"executed/notebooks/analysis.ipynb"),
        "{kept:?}"
    );
}

#[test]
fn entries_run_in_order_in_one_working_copy_through_evaluate_and_the_packet() {
    let dir = project(&[
        (
            "notebooks/01_eda.ipynb",
            &notebook(&[
                markdown("# EDA\n\nWrites the cleaned test set for the model."),
                code(
                    "import pandas as pd\ntest = pd.read_csv('../data/test.csv')\n\
                     eda_only = 'a variable of the first notebook'\n\
                     test[['customer_id']].to_csv('clean.csv', index=False)\nprint('eda', len(test))",
                ),
            ]),
        ),
        (
            "steps/check.py",
            "import pandas as pd\nrows = len(pd.read_csv('../notebooks/clean.csv'))\n\
             open('checked.txt', 'w').write(str(rows))\nprint('checked', rows)\n",
        ),
        (
            "notebooks/02_model.ipynb",
            &notebook(&[
                markdown("# Model"),
                code(
                    "import os, pandas as pd\nclean = pd.read_csv('clean.csv')\n\
                     checked = int(open('../steps/checked.txt').read())\n\
                     assert checked == len(clean), (checked, len(clean))\n\
                     print('fresh namespace', 'eda_only' not in globals(), os.getcwd())",
                ),
                code(
                    "pd.DataFrame({'customer_id': clean['customer_id'], 'churn_probability': 0.5})\\\n    .to_csv('../out/predictions.csv', index=False)\nlen(clean)",
                ),
            ]),
        ),
        (
            "submission.toml",
            "runner = \"python\"\n\
             entry = [\"notebooks/01_eda.ipynb\", \"steps/check.py\", \"notebooks/02_model.ipynb\"]\n\
             report = [\"notebooks/01_eda.ipynb\", \"notebooks/02_model.ipynb\"]\n",
        ),
    ]);
    let (workspace, pseudonym) = submitted(dir.path());
    let root = workspace.path();
    support::cli_ok(root, &["evaluate", &pseudonym]);
    support::cli_ok(root, &["rerun", &pseudonym]);
    let out = root.join("review");
    support::cli_ok(
        root,
        &["packet", &pseudonym, "--out", out.to_str().unwrap()],
    );
    let packet: Value = serde_json::from_str(
        &std::fs::read_to_string(out.join(format!("{pseudonym}-1.json"))).unwrap(),
    )
    .unwrap();
    let run = &packet["run"];
    assert_eq!(run["verdict"], "ok", "{run:#}");
    let stdout = run["stdout"].as_str().unwrap();
    let (eda, check, model) = (
        stdout.find("eda ").unwrap(),
        stdout.find("checked ").unwrap(),
        stdout.find("fresh namespace True /work/notebooks").unwrap(),
    );
    assert!(eda < check && check < model, "{stdout}");
    assert!(run["score_text"].is_string(), "not scored: {run:#}");
    assert_eq!(
        packet["reproducibility"]["reproducible"], true,
        "{:#}",
        packet["reproducibility"]
    );
    let kept: Vec<&str> = run["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["path"].as_str().unwrap())
        .collect();
    for path in [
        "executed/notebooks/01_eda.ipynb",
        "executed/notebooks/02_model.ipynb",
        "notebooks/clean.csv",
        "steps/checked.txt",
        "out/predictions.csv",
    ] {
        assert!(kept.contains(&path), "{path} is not an output: {kept:?}");
    }
    // Both notebooks are shown as notebooks, each with its rerun's outputs.
    let notebooks = packet["notebooks"].as_array().unwrap();
    let paths: Vec<&str> = notebooks
        .iter()
        .map(|n| n["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        paths,
        ["notebooks/01_eda.ipynb", "notebooks/02_model.ipynb"]
    );
    for notebook in notebooks {
        assert_eq!(notebook["rerun"], true, "{notebook:#}");
        let code = notebook["cells"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["kind"] == "code")
            .collect::<Vec<_>>();
        assert!(
            code.iter()
                .all(|c| c["status"] == "ok" && c["rerun_outputs"].is_array()),
            "{notebook:#}"
        );
    }
}

/// `takehome run FIRST --then ...`: the combined record.
fn run_entries(first: &Path, then: &[&Path], flags: &[&str]) -> RunRecord {
    let mut all: Vec<&str> = Vec::new();
    for path in then {
        all.extend(["--then", path.to_str().unwrap()]);
    }
    all.extend_from_slice(flags);
    run(first, &all)
}

#[test]
fn one_record_covers_every_entry_and_a_limit_stops_the_whole_sequence() {
    let dir = project(&[
        (
            "a.ipynb",
            &notebook(&[code("x = 1\nopen('a.txt', 'w').write('a')"), code("1 / 0")]),
        ),
        ("b.py", "print(open('a.txt').read())\nraise SystemExit(3)\n"),
        ("c.ipynb", &notebook(&[code("'x' in globals()")])),
        (
            "spin.ipynb",
            &notebook(&[
                code("print('spinning')"),
                code("while True:\n    pass"),
                code("print('never')"),
            ]),
        ),
    ]);
    let path = |name: &str| dir.path().join(name);
    // Every entry runs; the verdict names the first that failed; each has its own line.
    let record = run_entries(&path("a.ipynb"), &[&path("b.py"), &path("c.ipynb")], &[]);
    expect_verdict(&record, Verdict::Exit);
    assert_eq!(record.exit_code, Some(1));
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
        ]
    );
    assert!(
        record.stdout.text.starts_with("a\n"),
        "{}",
        record.stdout.text
    );
    // The third notebook starts from a fresh namespace: `x` of the first is gone.
    let third = record.entries[2].notebook.as_ref().unwrap();
    assert_eq!(third.cells[0].status, CellStatus::Ok);
    assert_eq!(record.notebook.as_ref().unwrap().path, "a.ipynb");
    assert_eq!(record.notebooks().len(), 2);

    // A limit in the middle entry stops the sequence: the entries after it are skipped.
    let record = run_entries(
        &path("a.ipynb"),
        &[&path("spin.ipynb"), &path("c.ipynb")],
        &["--fuel", "20000000000"],
    );
    expect_verdict(&record, Verdict::FuelLimit);
    assert!(
        record.message.contains("entry 2 of 3 (spin.ipynb)"),
        "{}",
        record.message
    );
    let statuses: Vec<CellStatus> = record.entries.iter().map(|e| e.status).collect();
    assert_eq!(
        statuses,
        [CellStatus::Error, CellStatus::Error, CellStatus::Skipped]
    );
    let spin = record.entries[1].notebook.as_ref().unwrap();
    let cells: Vec<CellStatus> = spin.cells.iter().map(|c| c.status).collect();
    assert_eq!(
        cells,
        [CellStatus::Ok, CellStatus::Error, CellStatus::Skipped]
    );
    assert_eq!(spin.cells[1].error.as_ref().unwrap().ename, "fuel_limit");
    let last = record.entries[2].notebook.as_ref().unwrap();
    assert!(last.cells.iter().all(|c| c.status == CellStatus::Skipped));
}
