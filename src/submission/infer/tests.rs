use super::*;

fn assignment(runner: &str, entry: &str, report: &str) -> Assignment {
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assignments/churn/assignment.toml"),
    )
    .unwrap();
    let mut a: Assignment = toml::from_str(&text).unwrap();
    a.runner.name = runner.parse().unwrap();
    a.deliverables.entry = vec![entry.into()];
    a.deliverables.report = report.into();
    a
}

fn churn() -> Assignment {
    assignment("python", "main.py", "REPORT.md")
}

fn infer_files(files: &[&str], a: &Assignment) -> Result<Inferred, String> {
    let files: Vec<String> = files.iter().map(|f| f.to_string()).collect();
    infer(&files, a)
}

/// (files, entry, report) inferred for the churn assignment (main.py, REPORT.md).
#[test]
fn each_rule_picks_the_expected_files() {
    let cases: &[(&[&str], &[&str], &[&str])] = &[
        (
            &["main.py", "REPORT.md", "train.py"],
            &["main.py"],
            &["REPORT.md"],
        ),
        (
            &["run.py", "train.py", "report.md"],
            &["run.py"],
            &["report.md"],
        ),
        (
            &["train.py", "Readme.md", "utils.py"],
            &["train.py"],
            &["Readme.md"],
        ),
        (
            &["src/main.py", "src/model.py", "slides.pdf"],
            &["src/main.py"],
            &["slides.pdf"],
        ),
        (
            &["analysis.py", "notes.txt", "requirements.txt"],
            &["analysis.py"],
            &["notes.txt"],
        ),
        (
            &["solution.ipynb", "requirements.txt"],
            &["solution.ipynb"],
            &["solution.ipynb"],
        ),
        (
            &[
                "notebooks/02_model.ipynb",
                "notebooks/01_eda.ipynb",
                ".ipynb_checkpoints/x.ipynb",
            ],
            &["notebooks/01_eda.ipynb", "notebooks/02_model.ipynb"],
            &["notebooks/01_eda.ipynb", "notebooks/02_model.ipynb"],
        ),
        (
            &["main.py", "eda.ipynb", "docs/a.pdf", "b.pdf"],
            &["main.py"],
            &["b.pdf"],
        ),
        (&["main.py"], &["main.py"], &[]),
    ];
    for (files, entry, report) in cases {
        let inferred = infer_files(files, &churn()).unwrap_or_else(|e| panic!("{files:?}: {e}"));
        assert_eq!(inferred.manifest.entry, *entry, "{files:?}");
        assert_eq!(inferred.manifest.report, *report, "{files:?}");
        assert_eq!(inferred.manifest.runner, RunnerKind::Python);
        assert_eq!(
            inferred.warnings.is_empty(),
            !report.is_empty(),
            "{files:?}"
        );
    }
}

#[test]
fn an_assignment_with_several_entry_points_gets_them_all_in_its_order() {
    let mut a = churn();
    a.deliverables.entry = vec!["nb/02_model.ipynb".into(), "nb/01_eda.ipynb".into()];
    let files = [
        "nb/01_eda.ipynb",
        "nb/02_model.ipynb",
        "main.py",
        "REPORT.md",
    ];
    let inferred = infer_files(&files, &a).unwrap();
    assert_eq!(
        inferred.manifest.entry,
        ["nb/02_model.ipynb", "nb/01_eda.ipynb"]
    );
    assert!(differences(&inferred.manifest, &a.deliverables).is_empty());
    // One of them missing: the usual rules choose, and the difference is named.
    let inferred = infer_files(&files[1..], &a).unwrap();
    assert_eq!(inferred.manifest.entry, ["nb/02_model.ipynb"]);
    let named = differences(&inferred.manifest, &a.deliverables);
    assert!(
        named
            .iter()
            .any(|d| d.contains("nb/02_model.ipynb, then nb/01_eda.ipynb")),
        "{named:?}"
    );
}

#[test]
fn a_notebook_deliverable_prefers_notebooks_over_scripts() {
    let a = assignment("python", "analysis.ipynb", "REPORT.md");
    let inferred = infer_files(&["main.py", "eda.ipynb"], &a).unwrap();
    assert_eq!(inferred.manifest.entry, ["eda.ipynb"]);
    let inferred = infer_files(&["main.py", "eda.ipynb"], &churn()).unwrap();
    assert_eq!(inferred.manifest.entry, ["main.py"]);
}

#[test]
fn ambiguous_entry_is_rejected_with_the_lines_that_settle_it() {
    let error = infer_files(&["model.py", "features.py", "README.md"], &churn()).unwrap_err();
    assert!(
        error.contains("2 Python scripts at the top: features.py, model.py"),
        "{error}"
    );
    assert!(error.contains("runner = \"python\"\nentry = \"features.py\"  # or another of: model.py\nreport = \"README.md\""), "{error}");
    let error = infer_files(&["a.pdf", "b.pdf", "main.py"], &churn()).unwrap_err();
    assert!(error.contains("2 PDF files: a.pdf, b.pdf"), "{error}");
    assert!(
        error.contains("report = \"a.pdf\"  # or another of: b.pdf"),
        "{error}"
    );
    let error = infer_files(&["data.csv", "REPORT.md"], &churn()).unwrap_err();
    assert!(
        error.contains("no Python script and no notebook"),
        "{error}"
    );
    assert!(error.contains("entry = \"main.py\""), "{error}");
}

#[test]
fn wasi_entries_are_modules() {
    let a = assignment("wasi", "main.wasm", "REPORT.md");
    let inferred = infer_files(&["solver.wat", "REPORT.md", "main.py"], &a).unwrap();
    assert_eq!(inferred.manifest.entry, ["solver.wat"]);
    assert_eq!(inferred.manifest.runner, RunnerKind::Wasi);
    assert!(infer_files(&["a.wasm", "b.wasm"], &a).is_err());
}

#[test]
fn differences_from_the_deliverables_are_named() {
    let d = &churn().deliverables;
    let inferred = infer_files(&["solution.ipynb", "slides.pdf"], &churn()).unwrap();
    let warnings = differences(&inferred.manifest, d);
    assert_eq!(
        warnings,
        [
            "the assignment asks for the entry point main.py; this submission hands in solution.ipynb (a notebook) instead",
            "the assignment asks for the report REPORT.md; this submission hands in slides.pdf (a PDF) instead",
        ]
    );
    let inferred = infer_files(&["main.py", "REPORT.md"], &churn()).unwrap();
    assert!(differences(&inferred.manifest, d).is_empty());
}
