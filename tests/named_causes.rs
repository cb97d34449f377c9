//! Failures of real work say why: scripts exported from notebooks run in the notebook's
//! shell (their `%pip install X` names X), files opened from C code that were never
//! committed are named, and code written for an older library gets `version_drift` with the
//! library, the version it was written for and the change. Real sandbox, real Python
//! (`.ci/run` installs the runner).

mod support;

use takehome::record::{DiagnosticKind, RunRecord, Verdict};

fn run_files(files: &[(&str, &str)], entry: &str) -> RunRecord {
    let dir = support::tempdir();
    support::write_files(dir.path(), files);
    support::run_python(&dir.path().join(entry), &[])
}

fn diagnostic(record: &RunRecord, kind: DiagnosticKind) -> Option<&takehome::record::Diagnostic> {
    record.diagnostics.iter().find(|d| d.kind == kind)
}

#[test]
fn a_notebook_export_runs_in_the_shell_and_names_what_it_pip_installs() {
    let exported = "#!/usr/bin/env python\n# coding: utf-8\n\n# In[1]:\n\n\n\
        get_ipython().run_line_magic('pip', 'install xgboost==2.1.0')\n\
        get_ipython().run_line_magic('matplotlib', 'inline')\n\n\n# In[2]:\n\n\n\
        print('before the import')\nimport xgboost\n";
    let record = run_files(&[("analysis.py", exported)], "analysis.py");
    assert_eq!(record.verdict, Verdict::Exit, "{}", record.stderr.text);
    assert!(
        !record.stderr.text.contains("NameError"),
        "{}",
        record.stderr.text
    );
    assert!(record.stdout.text.contains("before the import"));
    let missing = diagnostic(&record, DiagnosticKind::MissingModule).expect("xgboost named");
    assert_eq!(missing.detail, "xgboost");

    let fine = "# In[1]:\nget_ipython().run_line_magic('time', 'x = 6 * 7')\nprint(x)\nimport sys\nsys.exit(0)\n";
    let record = run_files(&[("ok.py", fine)], "ok.py");
    assert_eq!(record.verdict, Verdict::Ok, "{}", record.stderr.text);
    assert!(record.stdout.text.contains("42"), "{}", record.stdout.text);
}

#[test]
fn a_database_never_committed_is_named_as_a_missing_file() {
    let script = "import sqlite3\nimport pandas as pd\n\
        connection = sqlite3.connect('analysis.db')\n\
        print(pd.read_sql('SELECT * FROM customers', connection))\n";
    let record = run_files(&[("query.py", script)], "query.py");
    assert_eq!(record.verdict, Verdict::Exit, "{}", record.stderr.text);
    let missing = diagnostic(&record, DiagnosticKind::MissingFile).unwrap_or_else(|| {
        panic!(
            "no missing_file: {:?}\n{}",
            record.diagnostics, record.stderr.text
        )
    });
    assert_eq!(missing.detail, "analysis.db");
    assert!(
        missing.message.contains("created it empty"),
        "{}",
        missing.message
    );
}

#[test]
fn code_written_for_older_libraries_names_the_library_and_the_change() {
    let script = "import pandas as pd\n\
        df = pd.DataFrame({'city': ['Oslo', 'Rome'], 'rain': [1.0, 2.0]})\n\
        print(df.std())\n";
    let record = run_files(&[("stats.py", script)], "stats.py");
    assert_eq!(record.verdict, Verdict::Exit, "{}", record.stderr.text);
    let drift = diagnostic(&record, DiagnosticKind::VersionDrift).unwrap_or_else(|| {
        panic!(
            "no version_drift: {:?}\n{}",
            record.diagnostics, record.stderr.text
        )
    });
    assert_eq!(drift.detail, "pandas");
    assert!(drift.message.contains("pandas <3"), "{}", drift.message);

    let notebook = serde_json::json!({
        "nbformat": 4, "nbformat_minor": 5, "metadata": {},
        "cells": [
            {"cell_type": "code", "metadata": {}, "execution_count": 1, "outputs": [],
             "source": "import numpy as np\nx = np.float(3)"},
            {"cell_type": "code", "metadata": {}, "execution_count": 2, "outputs": [],
             "source": "import pandas as pd\npd.DataFrame({'a': [1]}).applymap(str)"},
        ]
    });
    let record = run_files(&[("old.ipynb", &notebook.to_string())], "old.ipynb");
    let libraries: Vec<&str> = record
        .diagnostics
        .iter()
        .filter(|d| d.kind == DiagnosticKind::VersionDrift)
        .map(|d| d.detail.as_str())
        .collect();
    assert_eq!(libraries, ["numpy", "pandas"], "{:?}", record.diagnostics);
    let pandas = record
        .diagnostics
        .iter()
        .find(|d| d.detail == "pandas")
        .unwrap();
    assert!(
        pandas.message.contains("old.ipynb cell 1") && pandas.message.contains("DataFrame.map"),
        "{}",
        pandas.message
    );
}

#[test]
fn a_notebook_importing_a_compiled_package_names_it() {
    let notebook = serde_json::json!({
        "nbformat": 4, "nbformat_minor": 5, "metadata": {},
        "cells": [
            {"cell_type": "code", "metadata": {}, "execution_count": 1, "outputs": [],
             "source": "!pip install lightgbm\nimport lightgbm"},
        ]
    });
    let record = run_files(&[("model.ipynb", &notebook.to_string())], "model.ipynb");
    let missing = diagnostic(&record, DiagnosticKind::MissingModule)
        .unwrap_or_else(|| panic!("no missing_module: {:?}", record.diagnostics));
    assert_eq!(missing.detail, "lightgbm");
}
