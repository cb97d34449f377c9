//! Extra pure-Python packages an assignment allows (`[runner] packages`), and what bundles
//! tell candidates they can import. The tests that fetch wheels reach the package index
//! through pip; the one that runs code needs the Python runner (`.ci/run` installs it).

mod support;

use std::io::Read;
use std::path::{Path, PathBuf};

use support::{cli, cli_ok, copy_tree, repo};

/// A copy of the churn assignment (without examples) under `dir`, with `edit` applied to
/// its `assignment.toml`.
fn churn_copy(dir: &Path, edit: impl Fn(String) -> String) -> PathBuf {
    let folder = dir.join("churn");
    copy_tree(&repo("assignments/churn"), &folder);
    std::fs::remove_dir_all(folder.join("examples")).unwrap();
    let toml = folder.join("assignment.toml");
    let text = std::fs::read_to_string(&toml).unwrap();
    std::fs::write(&toml, edit(text)).unwrap();
    folder
}

/// Adds `packages` under `[runner]`.
fn with_packages(packages: &str) -> impl Fn(String) -> String {
    let line = format!("[runner]\nname = \"python\"\npackages = {packages}\n");
    move |text: String| text.replacen("[runner]\nname = \"python\"\n", &line, 1)
}

fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    cli_ok(dir.path(), &["init", "."]);
    dir
}

/// Issues `assignment` and returns the bundle's SUBMITTING.md.
fn submitting_md(root: &Path, assignment: &str) -> String {
    let out = cli_ok(
        root,
        &[
            "issue",
            assignment,
            "--candidate",
            "Ada Lovelace <ada@example.org>",
        ],
    );
    let pseudonym = support::issued_pseudonym(&out);
    let bundle = root.join(format!("bundles/{pseudonym}.zip"));
    let mut archive = zip::ZipArchive::new(std::fs::File::open(bundle).unwrap()).unwrap();
    let name = archive
        .file_names()
        .map(|n| n.unwrap().into_owned())
        .find(|n| n.ends_with("/SUBMITTING.md"))
        .unwrap();
    let mut text = String::new();
    archive
        .by_name(&name)
        .unwrap()
        .read_to_string(&mut text)
        .unwrap();
    text
}

fn output(out: &std::process::Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn package_pins_that_are_not_exact_are_named_with_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let folder = churn_copy(
        dir.path(),
        with_packages(
            "[\n  \"kneed>=0.8\",\n  \"kneed==0.8.5\",\n  \"Kneed==0.8.5\",\n  \"imbalanced-learn\",\n]",
        ),
    );
    let out = cli(
        dir.path(),
        &["assignment", "check", folder.to_str().unwrap()],
    );
    let (_, stderr) = output(&out);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let toml = folder.join("assignment.toml").display().to_string();
    for expected in [
        format!(
            "{toml}:10:3: `runner.packages[0]`: `kneed>=0.8` is not an exact pin: write NAME==VERSION"
        ),
        format!("{toml}:12:3: `runner.packages[2]`: `Kneed` is listed twice (first at line 11)"),
        format!("{toml}:13:3: `runner.packages[3]`: `imbalanced-learn` is not an exact pin"),
    ] {
        assert!(stderr.contains(&expected), "{expected}\nnot in:\n{stderr}");
    }
    assert!(stderr.contains("3 problem(s)"), "{stderr}");

    let wasi = churn_copy(dir.path().join("w").as_path(), |text| {
        text.replacen(
            "[runner]\nname = \"python\"\n",
            "[runner]\nname = \"wasi\"\npackages = [\"kneed==0.8.5\"]\n",
            1,
        )
    });
    let (_, stderr) = output(&cli(
        dir.path(),
        &["assignment", "check", wasi.to_str().unwrap()],
    ));
    assert!(
        stderr.contains(
            ":9:12: `runner.packages` are Python packages: the wasi runner cannot import them"
        ),
        "{stderr}"
    );
}

#[test]
fn submitting_md_lists_what_the_python_runner_can_import() {
    let root = workspace();
    let folder = churn_copy(root.path(), |t| t);
    cli_ok(
        root.path(),
        &["assignment", "add", folder.to_str().unwrap()],
    );
    let text = submitting_md(root.path(), "churn");
    assert!(text.contains("## What your code can import"), "{text}");
    for line in [
        "- numpy 2.5.2\n",
        "- pandas 3.0.6\n",
        "- scikit-learn 1.9.1\n",
        "- statsmodels 0.15.0\n",
        "- ipython ",
    ] {
        assert!(text.contains(line), "{line:?} not in:\n{text}");
    }
    // C libraries compiled into the interpreter are not importable packages.
    for absent in ["- zlib", "- openblas", "- pybind11", "- python 3.15"] {
        assert!(!text.contains(absent), "{absent:?} in:\n{text}");
    }
    assert!(text.contains("CPython 3.15"), "{text}");
    assert!(text.contains("2GiB of memory"), "{text}");
}

#[test]
fn submitting_md_for_a_wasi_assignment_states_the_wasi_runner_and_its_limits() {
    let root = workspace();
    let folder = churn_copy(root.path(), |text| {
        let start = text.find("[runner.limits]").unwrap();
        let end = text.find("[deliverables]").unwrap();
        let text = format!("{}{}", &text[..start], &text[end..]);
        text.replacen("name = \"python\"", "name = \"wasi\"", 1)
            .replacen("entry = \"main.py\"", "entry = \"main.wasm\"", 1)
    });
    cli_ok(
        root.path(),
        &["assignment", "add", folder.to_str().unwrap()],
    );
    let text = submitting_md(root.path(), "churn");
    assert!(text.contains("runs on the `wasi` runner"), "{text}");
    assert!(
        text.contains("Limits: 10s of wall time, 256MiB of memory, 10000000000 fuel (instructions), 64MiB and 1000 files"),
        "{text}"
    );
    assert!(
        text.contains("takehome run main.wasm --mount /data=data"),
        "{text}"
    );
    for python in [
        "CPython",
        "python main",
        "What your code can import",
        "2GiB",
    ] {
        assert!(!text.contains(python), "{python:?} in:\n{text}");
    }
}

#[test]
fn a_package_with_only_compiled_wheels_is_refused_naming_it() {
    let root = workspace();
    let folder = churn_copy(root.path(), with_packages("[\"msgpack==1.1.0\"]"));
    let out = cli(
        root.path(),
        &["assignment", "add", folder.to_str().unwrap()],
    );
    let (stdout, stderr) = output(&out);
    assert!(!out.status.success(), "{stdout}{stderr}");
    assert!(stderr.contains("msgpack==1.1.0"), "{stderr}");
    assert!(stderr.contains("compiled"), "{stderr}");
    assert!(cli_ok(root.path(), &["assignment", "list"]).contains("no assignments yet"));
}

/// One test for the whole life of a pure package, to fetch it once: pinned on add, listed in
/// the bundle, importable in an evaluation on the snapshot runner, and a later fetch that
/// disagrees with the pin refused.
#[test]
fn a_pure_package_is_pinned_listed_importable_and_its_pin_enforced() {
    let root = workspace();
    let folder = churn_copy(root.path(), with_packages("[\"kneed==0.8.5\"]"));
    let out = cli_ok(
        root.path(),
        &["assignment", "add", folder.to_str().unwrap()],
    );
    assert!(
        out.contains("pinned kneed-0.8.5-py3-none-any.whl (sha256 "),
        "{out}"
    );
    assert!(out.contains("added churn revision 1"), "{out}");

    let text = submitting_md(root.path(), "churn");
    assert!(
        text.contains("- kneed 0.8.5 (allowed by this assignment)\n"),
        "{text}"
    );

    // A submission that imports it runs on the snapshot runner and finds it.
    let pseudonym = {
        let candidates: serde_json::Value =
            serde_json::from_str(&cli_ok(root.path(), &["candidates", "--json"])).unwrap();
        candidates[0]["pseudonym"].as_str().unwrap().to_string()
    };
    let submission = tempfile::tempdir().unwrap();
    support::write_files(
        submission.path(),
        &[
            (
                "main.py",
                "import os, kneed, pandas as pd\n\
                 print('kneed', kneed.__version__, os.path.dirname(kneed.__file__))\n\
                 test = pd.read_csv('data/test.csv')\n\
                 os.makedirs('out', exist_ok=True)\n\
                 pd.DataFrame({'customer_id': test['customer_id'], 'churn_probability': 0.5}).to_csv('out/predictions.csv', index=False)\n",
            ),
            ("REPORT.md", "# Report\n"),
        ],
    );
    cli_ok(
        root.path(),
        &["submit", &pseudonym, submission.path().to_str().unwrap()],
    );
    let out = cli_ok(root.path(), &["evaluate", &pseudonym, "--json"]);
    assert!(
        out.contains("kneed 0.8.5 /usr/local/site/kneed"),
        "the run did not import kneed from /usr/local/site:\n{out}"
    );

    // Tamper with the workspace's pin; a later add fetches the wheel again and refuses it.
    tamper_pin(root.path(), "kneed-0.8.5-py3-none-any.whl");
    std::fs::write(folder.join("brief.md"), "# A changed brief\n").unwrap();
    let out = cli(
        root.path(),
        &["assignment", "add", folder.to_str().unwrap()],
    );
    let (stdout, stderr) = output(&out);
    assert!(!out.status.success(), "{stdout}{stderr}");
    assert!(
        stderr
            .contains("kneed==0.8.5: the wheel fetched now (kneed-0.8.5-py3-none-any.whl, sha256 "),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "is not the one this workspace pinned (kneed-0.8.5-py3-none-any.whl, sha256 {})",
            "f".repeat(64)
        )),
        "{stderr}"
    );
    assert!(!cli_ok(root.path(), &["assignment", "list"]).contains("rev 2"));
}

/// Rewrites the sha256 recorded for `wheel` in every stored assignment version.
fn tamper_pin(root: &Path, wheel: &str) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        sqlx::any::install_default_drivers();
        let url = format!("sqlite://{}", root.join("takehome.db").display());
        let pool = sqlx::AnyPool::connect(&url).await.unwrap();
        let rows: Vec<(String, String)> =
            sqlx::query_as("SELECT content_hash, files FROM assignments")
                .fetch_all(&pool)
                .await
                .unwrap();
        for (hash, files) in rows {
            let mut files: Vec<serde_json::Value> = serde_json::from_str(&files).unwrap();
            for file in files.iter_mut() {
                if file["path"] == format!("packages/{wheel}") {
                    file["sha256"] = "f".repeat(64).into();
                }
            }
            sqlx::query("UPDATE assignments SET files = $1 WHERE content_hash = $2")
                .bind(serde_json::to_string(&files).unwrap())
                .bind(hash)
                .execute(&pool)
                .await
                .unwrap();
        }
        pool.close().await;
    });
}

/// The runner's packages SUBMITTING.md lists (from the MANIFEST copy) are exactly the
/// distributions in the installed runner's standard library zip.
#[test]
fn the_listed_runner_packages_are_exactly_those_the_installed_runner_holds() {
    use std::collections::BTreeSet;
    use takehome::assignment::normalize_package;
    let installed = takehome::runner::Installed::find(&takehome::base::cache_dir())
        .unwrap_or_else(|e| panic!("{e}"));
    let zip = installed.stdlib_dir().join("python315.zip");
    let archive = zip::ZipArchive::new(std::fs::File::open(&zip).unwrap()).unwrap();
    let installed: BTreeSet<(String, String)> = archive
        .file_names()
        .filter_map(|n| n.ok())
        .filter_map(|n| {
            let top = n.split('/').next()?.strip_suffix(".dist-info")?.to_string();
            let (name, version) = top.rsplit_once('-')?;
            Some((normalize_package(name), version.to_string()))
        })
        .collect();
    let listed: BTreeSet<(String, String)> = takehome::runner::def::python_packages()
        .into_iter()
        .map(|(name, version)| (normalize_package(&name), version))
        .collect();
    assert_eq!(listed, installed);
}
