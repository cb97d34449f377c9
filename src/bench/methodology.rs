//! The methodology tracer's cost: each churn example (that runs to its end) and the notebook
//! bench's notebook, as whole `takehome run` processes with and without the tracer
//! (`TAKEHOME_METHODOLOGY=off`), side by side. Fuel is the exact measure of the guest's
//! work (the same on every run); wall time is the median. Every pair must give the same
//! stdout and outputs: the tracer must not change a result.

use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::Context;

use super::{Row, print_table, time_median};
use crate::record::RunRecord;
use crate::runner::methodology::SWITCH;

/// The churn examples measured: those that run to their end.
const EXAMPLES: [&str; 3] = ["strong", "overclaiming", "leaky"];

pub fn methodology(iterations: usize, churn: &Path) -> anyhow::Result<()> {
    let exe = std::env::current_exe()?;
    let work = tempfile::tempdir()?;
    let notebook = work.path().join("bench.ipynb");
    std::fs::write(&notebook, super::notebook::notebook_json())?;
    let mut programs: Vec<(String, std::path::PathBuf, Vec<String>)> = EXAMPLES
        .iter()
        .map(|e| {
            let folder = churn.join("examples").join(e);
            let data = format!("data={}", churn.join("data").display());
            (
                format!("churn example {e}"),
                folder.join("main.py"),
                vec!["--mount".to_string(), data],
            )
        })
        .collect();
    programs.push(("notebook bench".into(), notebook, Vec::new()));
    let mut rows = Vec::new();
    for (label, program, flags) in &programs {
        let run = |tracer: bool| -> anyhow::Result<RunRecord> {
            let mut cmd = Command::new(&exe);
            cmd.arg("run").arg(program).arg("--json").args(flags);
            if !tracer {
                cmd.env(SWITCH, "off");
            }
            let out = cmd.stdin(Stdio::null()).stderr(Stdio::null()).output()?;
            serde_json::from_slice(&out.stdout)
                .with_context(|| format!("takehome run {} gave no record", program.display()))
        };
        let (with, without) = (run(true)?, run(false)?);
        let same = with.stdout.sha256 == without.stdout.sha256
            && with
                .outputs
                .iter()
                .map(|o| &o.sha256)
                .eq(without.outputs.iter().map(|o| &o.sha256));
        anyhow::ensure!(
            same,
            "{label}: the tracer changed the program's stdout or outputs"
        );
        let findings = with.methodology.as_ref().map_or(0, |m| m.findings.len());
        let off = time_median(iterations, || run(false).map(|_| ()))?;
        let on = time_median(iterations, || run(true).map(|_| ()))?;
        let fuel = |r: &RunRecord| r.fuel_used as f64;
        rows.push(Row {
            what: format!("{label}: without the tracer"),
            median: off,
            note: format!("fuel {}", without.fuel_used),
        });
        rows.push(Row {
            what: format!("{label}: with the tracer"),
            median: on,
            note: format!(
                "fuel {} (+{:.1}%), wall {:+.1}%, {findings} finding(s), outputs identical",
                with.fuel_used,
                100.0 * (fuel(&with) - fuel(&without)) / fuel(&without).max(1.0),
                100.0 * (on.as_secs_f64() - off.as_secs_f64()) / off.as_secs_f64().max(1e-9),
            ),
        });
    }
    print_table(
        "Methodology tracer (whole takehome run, python runner)",
        &rows,
    );
    Ok(())
}
