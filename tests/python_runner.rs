//! The Python runner, end to end through `takehome run`: real scripts with the real
//! scientific stack in the real sandbox. Needs `takehome runner install python` first
//! (`.ci/run` does it); without it every test here fails saying so.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// A candidate project folder on disk.
struct Project {
    dir: tempfile::TempDir,
}

impl Project {
    fn new(files: &[(&str, &str)]) -> Project {
        let dir = tempfile::tempdir().unwrap();
        for (path, text) in files {
            let path = dir.path().join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        Project { dir }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// Runs `main.py` with extra flags and returns the JSON record.
    fn run(&self, flags: &[&str]) -> Value {
        run_json(&self.path("main.py"), flags)
    }
}

fn run_json(script: &Path, flags: &[&str]) -> Value {
    support::run_python_json(script, flags)
}

fn verdict(record: &Value) -> &str {
    record["verdict"].as_str().unwrap()
}

fn stdout(record: &Value) -> &str {
    record["stdout"]["text"].as_str().unwrap()
}

fn stderr(record: &Value) -> &str {
    record["stderr"]["text"].as_str().unwrap()
}

fn without_wall(mut record: Value) -> Value {
    record.as_object_mut().unwrap().remove("wall_ms");
    record
}

const CSV: &str = "id,group,value\n1,a,1.5\n2,b,2.5\n3,a,3.0\n4,b,5.0\n";

#[test]
fn pandas_reads_public_data_and_writes_out() {
    let project = Project::new(&[(
        "main.py",
        "import pandas as pd\n\
         df = pd.read_csv('data/values.csv')\n\
         summary = df.groupby('group')['value'].sum().reset_index()\n\
         summary.to_csv('out/summary.csv', index=False)\n\
         print(len(df), 'rows')\n",
    )]);
    let data = tempfile::tempdir().unwrap();
    std::fs::write(data.path().join("values.csv"), CSV).unwrap();
    let out = tempfile::tempdir().unwrap();
    let out_dir = out.path().join("out");
    let data_flag = format!("data={}", data.path().display());
    let record = project.run(&["--mount", &data_flag, "--out", out_dir.to_str().unwrap()]);
    assert_eq!(verdict(&record), "ok", "{}", stderr(&record));
    assert_eq!(stdout(&record), "4 rows\n");
    let summary = std::fs::read_to_string(out_dir.join("out/summary.csv")).unwrap();
    assert_eq!(summary, "group,value\na,4.5\nb,7.5\n");
    assert_eq!(record["outputs"][0]["path"], "out/summary.csv");
}

const SKLEARN: &str = "import numpy as np\n\
from sklearn.linear_model import LogisticRegression\n\
from sklearn.model_selection import train_test_split\n\
rng = np.random.default_rng(0)\n\
X = rng.normal(size=(2000, 20))\n\
y = (X[:, 0] + 0.5 * X[:, 1] + rng.normal(scale=0.5, size=2000) > 0).astype(int)\n\
Xtr, Xte, ytr, yte = train_test_split(X, y, random_state=0)\n\
model = LogisticRegression(max_iter=200).fit(Xtr, ytr)\n\
acc = model.score(Xte, yte)\n\
np.savetxt('out/predictions.csv', model.predict_proba(Xte)[:, 1], fmt='%.6f')\n\
print(f'accuracy {acc:.3f}')\n";

#[test]
fn sklearn_fits_a_model_and_writes_predictions() {
    let project = Project::new(&[("main.py", SKLEARN)]);
    let out = tempfile::tempdir().unwrap();
    let out_dir = out.path().join("out");
    let record = project.run(&["--out", out_dir.to_str().unwrap()]);
    assert_eq!(verdict(&record), "ok", "{}", stderr(&record));
    let accuracy: f64 = stdout(&record)
        .trim()
        .strip_prefix("accuracy ")
        .unwrap()
        .parse()
        .unwrap();
    assert!(accuracy > 0.85, "accuracy {accuracy}");
    let predictions = std::fs::read_to_string(out_dir.join("out/predictions.csv")).unwrap();
    assert_eq!(predictions.lines().count(), 500);
    assert!(
        predictions
            .lines()
            .all(|l| (0.0..=1.0).contains(&l.parse::<f64>().unwrap()))
    );
}

const PLOT: &str = "import matplotlib\n\
import matplotlib.pyplot as plt\n\
fig, ax = plt.subplots(figsize=(3, 2))\n\
ax.plot([0, 1, 2], [0, 1, 4], label='y')\n\
ax.set_title('growth')\n\
ax.legend()\n\
fig.savefig('out/plot.png', dpi=50)\n\
print(matplotlib.get_backend())\n";

#[test]
fn matplotlib_saves_a_png_identically_twice() {
    let project = Project::new(&[("main.py", PLOT)]);
    let mut hashes = Vec::new();
    for _ in 0..2 {
        let out = tempfile::tempdir().unwrap();
        let out_dir = out.path().join("out");
        let record = project.run(&["--out", out_dir.to_str().unwrap()]);
        assert_eq!(verdict(&record), "ok", "{}", stderr(&record));
        assert_eq!(stdout(&record).trim().to_lowercase(), "agg");
        let png = std::fs::read(out_dir.join("out/plot.png")).unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        assert!(png.len() > 1000);
        hashes.push(record["outputs"][0]["sha256"].clone());
    }
    assert_eq!(hashes[0], hashes[1]);
}

#[test]
fn script_imports_a_sibling_module() {
    let project = Project::new(&[
        (
            "main.py",
            "from helpers import double\nimport sys\nprint(double(21), sys.argv[1:])\n",
        ),
        ("helpers.py", "def double(x):\n    return 2 * x\n"),
    ]);
    let record = project.run(&["--", "--epochs", "3"]);
    assert_eq!(verdict(&record), "ok", "{}", stderr(&record));
    assert_eq!(stdout(&record), "42 ['--epochs', '3']\n");
}

/// What the snapshot already did, a run must not redo: the standard library zip's directory is
/// still read (refreshing the import caches for the working copy dropped it, and the next
/// import read it again), the snapshot's objects are frozen out of collections, the
/// harness's own Python is there compiled under its hashes, and IPython's shell modules are
/// imported.
#[test]
fn a_run_keeps_what_the_snapshot_already_did() {
    let project = Project::new(&[(
        "main.py",
        "import gc, sys, zipimport, _takehome\n\
         zips = getattr(zipimport, '_zip_directory_cache', {})\n\
         print(any(k.endswith('.zip') for k in zips), gc.get_freeze_count() > 10000)\n\
         print(sorted(_takehome._compiled), all(v[0].startswith('sha256:') for v in _takehome._compiled.values()))\n\
         print('IPython.core.completer' in sys.modules)\n",
    )]);
    let record = project.run(&[]);
    assert_eq!(verdict(&record), "ok", "{}", stderr(&record));
    assert_eq!(
        stdout(&record),
        "True True\n['analysis', 'entries', 'notebook', 'support', 'tracer'] True\nTrue\n"
    );
}

#[test]
fn same_script_twice_gives_identical_records() {
    let project = Project::new(&[(
        "main.py",
        "import random, time, os, numpy as np\n\
         print(random.random(), np.random.rand(), time.time(), sorted(os.listdir('.')))\n\
         print({'b', 'a', 'c'}, hash('takehome'))\n",
    )]);
    let first = project.run(&["--seed", "7"]);
    let second = project.run(&["--seed", "7"]);
    assert_eq!(verdict(&first), "ok", "{}", stderr(&first));
    assert_eq!(without_wall(first), without_wall(second));
}

#[test]
fn different_seeds_give_different_random_numbers() {
    let project = Project::new(&[(
        "main.py",
        "import random, numpy as np\nprint(random.random(), np.random.rand())\n",
    )]);
    let a = project.run(&["--seed", "1"]);
    let b = project.run(&["--seed", "2"]);
    assert_eq!(verdict(&a), "ok", "{}", stderr(&a));
    assert_ne!(stdout(&a), stdout(&b));
}

#[test]
fn exception_is_exit_with_traceback_naming_the_candidate_line() {
    let project = Project::new(&[("main.py", "x = 1\n\ndef f():\n    return 1 / 0\n\nf()\n")]);
    let record = project.run(&[]);
    assert_eq!(verdict(&record), "exit");
    assert_eq!(record["exit_code"], 1);
    let stderr = stderr(&record);
    assert!(stderr.contains("ZeroDivisionError"), "{stderr}");
    assert!(stderr.contains("/work/main.py\", line 4"), "{stderr}");
    assert!(
        !stderr.contains("runpy"),
        "harness frames leak into the traceback: {stderr}"
    );
}

#[test]
fn sys_exit_code_is_the_exit_code() {
    let project = Project::new(&[("main.py", "import sys\nprint('bye')\nsys.exit(3)\n")]);
    let record = project.run(&[]);
    assert_eq!(verdict(&record), "exit");
    assert_eq!(record["exit_code"], 3);
    assert_eq!(stdout(&record), "bye\n");
}

#[test]
fn state_does_not_leak_between_runs() {
    let dirty = Project::new(&[(
        "main.py",
        "import numpy, sys, json\n\
         numpy.mean = lambda *a, **k: 'patched'\n\
         json.leaked = True\n\
         sys.modules['leak'] = object()\n\
         LEFT_BEHIND = 1\n\
         print(numpy.mean([1, 2]))\n",
    )]);
    assert_eq!(stdout(&dirty.run(&[])), "patched\n");
    let clean = Project::new(&[(
        "main.py",
        "import numpy, sys, json\n\
         print(numpy.mean([1, 3]), hasattr(json, 'leaked'), 'leak' in sys.modules, 'LEFT_BEHIND' in globals())\n",
    )]);
    let record = clean.run(&[]);
    assert_eq!(
        stdout(&record),
        "2.0 False False False\n",
        "{}",
        stderr(&record)
    );
}

#[test]
fn infinite_loop_is_stopped_by_fuel_or_time() {
    let project = Project::new(&[("main.py", "while True:\n    pass\n")]);
    let record = project.run(&["--wall", "3s", "--fuel", "2000000000"]);
    assert!(
        matches!(verdict(&record), "fuel_limit" | "time_limit"),
        "{record}"
    );
}

#[test]
fn memory_hog_is_memory_limit() {
    let project = Project::new(&[(
        "main.py",
        "blocks = []\nwhile True:\n    blocks.append(bytearray(10_000_000))\n",
    )]);
    let record = project.run(&["--memory", "300MiB"]);
    assert_eq!(verdict(&record), "memory_limit", "{record}");
}

#[test]
fn printing_forever_is_output_limit() {
    let project = Project::new(&[("main.py", "while True:\n    print('spam' * 100)\n")]);
    let record = project.run(&["--stdout-limit", "64KiB"]);
    assert_eq!(verdict(&record), "output_limit", "{record}");
    assert_eq!(record["stdout"]["text"].as_str().unwrap().len(), 64 * 1024);
}

#[test]
fn writing_a_million_files_is_disk_limit() {
    let project = Project::new(&[(
        "main.py",
        "for i in range(1_000_000):\n    open(f'out/f{i}.txt', 'w').close()\n",
    )]);
    let out = tempfile::tempdir().unwrap();
    let out_dir = out.path().join("out");
    let record = project.run(&["--out", out_dir.to_str().unwrap(), "--out-files", "100"]);
    assert_eq!(verdict(&record), "disk_limit", "{record}");
    assert!(record["outputs"].as_array().unwrap().len() <= 101);
    let copied = std::fs::read_dir(out_dir.join("out")).map_or(0, |d| d.count());
    assert!(copied <= 101, "{copied} files copied out");
}

#[test]
fn host_files_and_hidden_folders_are_out_of_reach() {
    let root = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(root.path().join("hidden")).unwrap();
    std::fs::write(root.path().join("hidden/labels.csv"), "secret").unwrap();
    std::fs::create_dir_all(root.path().join("submission")).unwrap();
    let script = root.path().join("submission/main.py");
    std::fs::write(
        &script,
        "import os\n\
         for path in ['/etc/passwd', '../hidden/labels.csv', '/work/../hidden/labels.csv', '/']:\n\
         \x20   try:\n\
         \x20       os.listdir(path) if path == '/' else open(path).read()\n\
         \x20       print('READ', path)\n\
         \x20   except OSError as e:\n\
         \x20       print('denied', path, type(e).__name__)\n",
    )
    .unwrap();
    let record = run_json(&script, &[]);
    assert_eq!(verdict(&record), "ok", "{}", stderr(&record));
    let text = stdout(&record);
    assert!(!text.contains("READ"), "{text}");
    assert_eq!(text.matches("denied").count(), 4, "{text}");
}

#[test]
fn sockets_and_subprocesses_fail_inside() {
    let project = Project::new(&[(
        "main.py",
        "import os\n\
         for name, attempt in [\n\
         \x20   ('socket', lambda: __import__('socket').create_connection(('127.0.0.1', 5432), timeout=1)),\n\
         \x20   ('subprocess', lambda: __import__('subprocess').run(['ls'])),\n\
         \x20   ('system', lambda: os.system('ls') == 0 or (_ for _ in ()).throw(OSError('failed'))),\n\
         ]:\n\
         \x20   try:\n\
         \x20       attempt()\n\
         \x20       print('ALLOWED', name)\n\
         \x20   except Exception as e:\n\
         \x20       print('blocked', name)\n",
    )]);
    let record = project.run(&[]);
    assert_eq!(verdict(&record), "ok", "{}", stderr(&record));
    assert!(!stdout(&record).contains("ALLOWED"), "{}", stdout(&record));
    assert_eq!(stdout(&record).matches("blocked").count(), 3);
}

#[test]
fn plain_runner_runs_the_same_script_without_the_snapshot() {
    let project = Project::new(&[("main.py", SKLEARN)]);
    let out = tempfile::tempdir().unwrap();
    let out_dir = out.path().join("out");
    let plain = project.run(&[
        "--runner",
        "python-plain",
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    assert_eq!(verdict(&plain), "ok", "{}", stderr(&plain));
    assert_eq!(plain["runner"]["name"], "python-plain");
    let snapshot = project.run(&[]);
    assert_eq!(snapshot["runner"]["name"], "python");
    assert_eq!(stdout(&plain), stdout(&snapshot));
    assert!(
        snapshot["runner"]["preimported"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m == "sklearn")
    );
    assert_eq!(
        snapshot["runner"]["snapshot_sha256"],
        snapshot["module_sha256"]
    );
}

#[test]
fn extra_mount_on_the_snapshot_runner_is_a_usage_error_naming_python_plain() {
    let project = Project::new(&[("main.py", "print('hi')\n")]);
    let elsewhere = tempfile::tempdir().unwrap();
    let mount = format!("/extra={}", elsewhere.path().display());
    let output = Command::new(env!("CARGO_BIN_EXE_takehome"))
        .arg("run")
        .arg(project.path("main.py"))
        .args(["--mount", &mount])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--runner python-plain"));
    let plain = project.run(&["--runner", "python-plain", "--mount", &mount]);
    assert_eq!(stdout(&plain), "hi\n");
}
