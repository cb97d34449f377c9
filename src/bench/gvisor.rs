//! The gVisor tier against native: the same programs run by the same virtual environment's
//! Python directly on the host and with `takehome run --runner python-native`, whole
//! processes, side by side. Imports dominate in gVisor (each system call is dearer) while
//! computation runs at native speed, so the fit reports its own fitting time too.

use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::{Context, bail};

use super::{Row, format_duration, print_table, time_median};
use crate::record::RunRecord;
use crate::runner::native::{base_wheels, venv};

/// A program that does nothing: the start-up of each side.
const TRIVIAL: &str = "pass\n";

/// LightGBM and XGBoost fitted on 5,000 x 20 rows, 100 trees each, one thread, seeded. It
/// prints the accuracies (compared between the sides) and, on stderr, the fitting time.
const FIT: &str = r#"import sys, time
import numpy as np
import lightgbm as lgb
import xgboost as xgb
rng = np.random.default_rng(0)
X = rng.normal(size=(5000, 20))
y = (X[:, 0] + X[:, 1] * X[:, 2] + rng.normal(scale=0.5, size=5000) > 0).astype(int)
started = time.perf_counter()
a = lgb.LGBMClassifier(n_estimators=100, n_jobs=1, verbose=-1, random_state=0).fit(X, y)
b = xgb.XGBClassifier(n_estimators=100, n_jobs=1, random_state=0).fit(X, y)
sys.stderr.write(f"fit_seconds {time.perf_counter() - started:.6f}\n")
print(round(a.score(X, y), 6), round(b.score(X, y), 6))
"#;

pub fn gvisor(iterations: usize) -> anyhow::Result<()> {
    let cache = crate::base::cache_dir();
    crate::gvisor::Runsc::find(&cache)
        .context("the gVisor bench needs runsc (Debian's package `runsc`) and root")?;
    let interpreter = venv::Interpreter::find()?;
    let env_dir = venv::ensure(
        &cache,
        &interpreter,
        &venv::Lock {
            wheels: base_wheels(),
            local: Vec::new(),
        },
    )?;
    let python = env_dir.join("bin").join("python");
    let exe = std::env::current_exe()?;
    let work = tempfile::tempdir()?;
    let mut rows = Vec::new();
    for (label, source) in [("`pass`", TRIVIAL), ("LightGBM + XGBoost fit", FIT)] {
        let program = work.path().join("program.py");
        std::fs::write(&program, source)?;
        let native = || -> anyhow::Result<(String, String)> {
            let out = Command::new(&python)
                .arg(&program)
                .current_dir(work.path())
                .env_clear()
                .envs(THREADS)
                .stdin(Stdio::null())
                .output()?;
            if !out.status.success() {
                bail!("native {label}: {}", String::from_utf8_lossy(&out.stderr));
            }
            Ok((
                String::from_utf8_lossy(&out.stdout).into_owned(),
                String::from_utf8_lossy(&out.stderr).into_owned(),
            ))
        };
        let sandboxed = || -> anyhow::Result<RunRecord> {
            let out = Command::new(&exe)
                .args(["run", "--runner", "python-native", "--json"])
                .arg(&program)
                .stdin(Stdio::null())
                .stderr(Stdio::null())
                .output()?;
            let record: RunRecord = serde_json::from_slice(&out.stdout)
                .with_context(|| format!("python-native {label} gave no record"))?;
            if record.verdict != crate::record::Verdict::Ok {
                bail!(
                    "python-native {label}: {} {}",
                    record.verdict,
                    record.message
                );
            }
            Ok(record)
        };
        let (native_out, native_err) = native()?;
        let record = sandboxed()?;
        let same = native_out == record.stdout.text;
        let native_time = time_median(iterations, || native().map(|_| ()))?;
        let mut inside = Vec::new();
        let sandbox_time = time_median(iterations, || {
            inside.push(Duration::from_millis(sandboxed()?.wall_ms));
            Ok(())
        })?;
        rows.push(Row {
            what: format!("{label}: native (the same venv)"),
            median: native_time,
            note: fit_note(&native_err),
        });
        rows.push(Row {
            what: format!("{label}: python-native"),
            median: sandbox_time,
            note: format!(
                "{:.1}x native; inside the sandbox (record's wall) {}; {}{}",
                sandbox_time.as_secs_f64() / native_time.as_secs_f64().max(1e-9),
                format_duration(super::median(&mut inside)),
                if same {
                    "the same output as native"
                } else {
                    "OUTPUT DIFFERS FROM NATIVE"
                },
                match fit_seconds(&record.stderr.text) {
                    Some(s) => format!("; fitting {s:.2} s"),
                    None => String::new(),
                },
            ),
        });
    }
    print_table(
        "The gVisor tier (whole processes: the venv's python vs takehome run --runner python-native)",
        &rows,
    );
    println!(
        "\nPyTorch is not in the runner's base environment; an assignment pins it in `[runner] packages`."
    );
    Ok(())
}

/// The environment both sides share: one thread, a fixed hash seed.
const THREADS: [(&str, &str); 6] = [
    ("PYTHONHASHSEED", "0"),
    ("OMP_NUM_THREADS", "1"),
    ("OPENBLAS_NUM_THREADS", "1"),
    ("MKL_NUM_THREADS", "1"),
    ("NUMEXPR_NUM_THREADS", "1"),
    ("LANG", "C.UTF-8"),
];

fn fit_seconds(stderr: &str) -> Option<f64> {
    stderr
        .lines()
        .find_map(|l| l.strip_prefix("fit_seconds "))
        .and_then(|s| s.trim().parse().ok())
}

fn fit_note(stderr: &str) -> String {
    fit_seconds(stderr).map_or(String::new(), |s| format!("fitting {s:.2} s"))
}
