//! A python-native submission's own packages: its `requirements.txt`, or, without one, the
//! packages its imports name, resolved to binary wheels beside the runner's base wheels
//! (`takehome run`, and intake when the assignment sets `allow_requirements`), recorded
//! with why each was installed; and a run that fails with `version_drift` run again with
//! the older version the diagnostic names. Real runsc, real pip reaching the package index.
//! Needs root, cgroup v1, runsc and the WebAssembly Python runner (evaluate checks it).

mod support;

use std::path::{Path, PathBuf};

use serde_json::Value;
use support::{cli, cli_ok as ok, evaluate_all, evaluation_of as find};

/// Code written for pandas 2: `DataFrame.applymap` is gone in pandas 3.
const PANDAS_2_ONLY: &str = "import pandas as pd\n\
                             frame = pd.DataFrame({'a': [1.5, 2.5]}).applymap(lambda x: x * 2)\n\
                             print('pandas', pd.__version__, 'sum', frame['a'].sum())\n";

/// A project folder holding `files`.
fn project(dir: &Path, name: &str, files: &[(&str, &str)]) -> PathBuf {
    let folder = dir.join(name);
    for (path, text) in files {
        let path = folder.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    folder
}

/// `takehome run PROGRAM --runner python-native --json` with `extra` flags: the record.
fn run_native(root: &Path, program: &Path, extra: &[&str]) -> (Value, String) {
    let mut args = vec![
        "run",
        program.to_str().unwrap(),
        "--runner",
        "python-native",
        "--json",
    ];
    args.extend_from_slice(extra);
    let out = cli(root, &args);
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    let record: Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {stderr}"));
    (record, stderr)
}

/// The record's installed packages: name → (version, asked_by).
fn installed(record: &Value) -> Vec<(String, String, String)> {
    record["runner"]["packages"]
        .as_array()
        .map(|list| {
            list.iter()
                .map(|p| {
                    (
                        p["name"].as_str().unwrap().to_string(),
                        p["version"].as_str().unwrap().to_string(),
                        p["asked_by"].as_str().unwrap().to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn package<'a>(list: &'a [(String, String, String)], name: &str) -> &'a (String, String, String) {
    list.iter()
        .find(|p| p.0 == name)
        .unwrap_or_else(|| panic!("{name} was not installed: {list:?}"))
}

#[test]
fn takehome_run_installs_what_the_imports_or_the_requirements_name_and_records_why() {
    let dir = support::tempdir();
    let root = dir.path();
    // Imports only: statsmodels (not a base wheel) comes with its dependencies; the
    // project's own module, the standard library and seaborn (a base wheel) are not asked
    // for.
    let plots = project(
        root,
        "plots",
        &[
            (
                "main.py",
                "import json, os\nimport statsmodels.api as sm\nimport helpers, seaborn\n\
                 import statsmodels\nprint('statsmodels', statsmodels.__version__, helpers.NAME)\n",
            ),
            ("helpers.py", "NAME = 'local'\n"),
        ],
    );
    let (record, stderr) = run_native(root, &plots.join("main.py"), &[]);
    assert_eq!(record["verdict"], "ok", "{record:#}\n{stderr}");
    let list = installed(&record);
    let statsmodels = package(&list, "statsmodels");
    assert_eq!(statsmodels.2, "import statsmodels.api (main.py:2)");
    assert_eq!(package(&list, "patsy").2, "dependency");
    let asked: Vec<&str> = list.iter().map(|p| p.0.as_str()).collect();
    for not_asked in ["helpers", "json", "seaborn", "numpy", "pandas"] {
        assert!(!asked.contains(&not_asked), "{not_asked}: {list:?}");
    }
    let stdout = record["stdout"]["text"].as_str().unwrap();
    assert!(
        stdout.contains(&format!("statsmodels {} local", statsmodels.1)),
        "{stdout}"
    );

    // A requirements.txt wins over the imports: pandas 2 replaces the base's pandas 3.
    let old = project(
        root,
        "old",
        &[
            ("main.py", PANDAS_2_ONLY),
            ("requirements.txt", "# written in 2024\npandas<3\nnumpy\n"),
        ],
    );
    let (record, stderr) = run_native(root, &old.join("main.py"), &[]);
    assert_eq!(record["verdict"], "ok", "{record:#}\n{stderr}");
    let list = installed(&record);
    let pandas = package(&list, "pandas");
    assert!(pandas.1.starts_with("2."), "{pandas:?}");
    assert_eq!(pandas.2, "requirements.txt:2");
    // numpy is satisfied by the base wheel, so it is not installed again.
    assert!(!list.iter().any(|p| p.0 == "numpy"), "{list:?}");
    let stdout = record["stdout"]["text"].as_str().unwrap();
    assert!(
        stdout.contains(&format!("pandas {} sum 8.0", pandas.1)),
        "{stdout}"
    );

    // Without its packages the same code fails, and the cause is named.
    let (bare, _) = run_native(root, &old.join("main.py"), &["--no-packages"]);
    assert_ne!(bare["verdict"], "ok", "{bare:#}");
    assert!(bare["runner"]["packages"].is_null(), "{bare:#}");
    let drift = bare["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["kind"] == "version_drift")
        .unwrap_or_else(|| panic!("{bare:#}"));
    assert_eq!(drift["detail"], "pandas");

    // What cannot be installed is said, and the run goes on to name the missing module.
    let typo = project(
        root,
        "typo",
        &[("main.py", "import takehome_no_such_package_xyz\n")],
    );
    let (record, stderr) = run_native(root, &typo.join("main.py"), &[]);
    assert!(
        stderr.contains("import takehome_no_such_package_xyz (main.py:1): not installed"),
        "{stderr}"
    );
    assert_ne!(record["verdict"], "ok");
    assert!(
        record["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["kind"] == "missing_module"),
        "{record:#}"
    );
}

const REPORT: &str = "# Churn\n\n## Problem statement\n\nWho churns.\n\n## Literature review\n\n\
                      Breiman (2001).\n\n## Method\n\nA logistic regression.\n\n\
                      ## Experiments and results\n\nSee out/.\n\n## Limitations\n\nSmall data.\n";

/// Scores the churn test set with a logistic regression, after `prelude`.
fn churn_main(prelude: &str) -> String {
    format!(
        "{prelude}\nimport pandas as pd\nfrom sklearn.linear_model import LogisticRegression\n\
         import os\ntrain = pd.read_csv('data/train.csv')\ntest = pd.read_csv('data/test.csv')\n\
         cols = ['tenure_months', 'monthly_charges', 'payment_failures_12m']\n\
         model = LogisticRegression(max_iter=500).fit(train[cols], train['churned'])\n\
         os.makedirs('out', exist_ok=True)\n\
         pd.DataFrame({{'customer_id': test['customer_id'], \
         'churn_probability': model.predict_proba(test[cols])[:, 1].round(6)}})\
         .to_csv('out/predictions.csv', index=False)\n"
    )
}

#[test]
fn intake_keeps_a_submissions_own_wheels_and_version_drift_is_run_again_with_the_older_version() {
    let dir = support::tempdir();
    let root = dir.path();
    ok(root, &["init", "."]);
    let runner = "[runner]\nname = \"python-native\"\nallow_requirements = true";
    let assignment = support::churn_with_runner(root, "churn-own", runner);
    ok(root, &["assignment", "add", assignment.to_str().unwrap()]);

    // Pinned in requirements.txt: intake resolves pandas 2 and keeps its wheel.
    let pinned = project(
        root,
        "pinned",
        &[
            ("main.py", &churn_main(PANDAS_2_ONLY)),
            ("requirements.txt", "pandas>=2,<3\n"),
            ("REPORT.md", REPORT),
        ],
    );
    // No requirements: statsmodels comes from its import; the pandas 2 code fails on
    // pandas 3 and is run again with `pandas<3`.
    let drifted = project(
        root,
        "drifted",
        &[
            (
                "main.py",
                &churn_main(&format!("import statsmodels\n{PANDAS_2_ONLY}")),
            ),
            ("REPORT.md", REPORT),
        ],
    );
    let first = support::issue_and_submit(root, "churn-own", "ada", &pinned);
    let second = support::issue_and_submit(root, "churn-own", "grace", &drifted);
    let results = evaluate_all(root);

    let evaluation = find(&results, &format!("{first}/1"));
    let record = &evaluation["record"];
    assert_eq!(record["verdict"], "ok", "{record:#}");
    assert!(record["fallback_of"].is_null(), "{record:#}");
    let list = installed(record);
    let pandas = package(&list, "pandas");
    assert!(pandas.1.starts_with("2."), "{pandas:?}");
    assert_eq!(pandas.2, "requirements.txt:1");
    assert!(
        evaluation["score"]["value"].as_f64().is_some(),
        "{evaluation:#}"
    );

    let evaluation = find(&results, &format!("{second}/1"));
    let record = &evaluation["record"];
    assert_eq!(record["verdict"], "ok", "{record:#}");
    let list = installed(record);
    assert_eq!(
        package(&list, "statsmodels").2,
        "import statsmodels (main.py:1)"
    );
    assert_eq!(package(&list, "pandas").2, "version_drift: pandas<3");
    let message = record["message"].as_str().unwrap();
    assert!(
        message.contains("run again on python-native with pandas<3"),
        "{message}"
    );
    let earlier = &record["fallback_of"];
    assert_ne!(earlier["verdict"], "ok", "{earlier:#}");
    assert!(
        earlier["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["kind"] == "version_drift" && d["detail"] == "pandas"),
        "{earlier:#}"
    );
    assert!(
        evaluation["score"]["value"].as_f64().is_some(),
        "{evaluation:#}"
    );

    // The packet says which versions ran and why.
    let packets = root.join("packets-out");
    ok(
        root,
        &["packet", &second, "--out", packets.to_str().unwrap()],
    );
    let packet: Value = serde_json::from_str(
        &std::fs::read_to_string(packets.join(format!("{second}-1.json"))).unwrap(),
    )
    .unwrap();
    let sandbox = packet["run"]["sandbox"].as_str().unwrap();
    for part in [
        "runner python-native, with ",
        "(version_drift: pandas<3)",
        "statsmodels ",
        "after a python-native run that failed with code written for an older library",
    ] {
        assert!(sandbox.contains(part), "{part}: {sandbox}");
    }

    // The rerun installs the same stored wheels and gives the same bytes.
    let same = ok(root, &["rerun", &first]);
    assert!(same.contains("yes"), "the rerun differs: {same}");
}

#[test]
fn allow_requirements_is_refused_where_python_native_never_runs() {
    let dir = support::tempdir();
    let root = dir.path();
    ok(root, &["init", "."]);
    let assignment = support::churn_with_runner(
        root,
        "churn-wasm",
        "[runner]\nname = \"python\"\nallow_requirements = true",
    );
    let out = cli(root, &["assignment", "check", assignment.to_str().unwrap()]);
    assert!(!out.status.success());
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(
        text.contains("`runner.allow_requirements = true`: a submission's own packages are installed only by python-native"),
        "{text}"
    );
}
