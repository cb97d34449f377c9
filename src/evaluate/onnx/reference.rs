//! The reference runtime: onnxruntime, run by the harness in the gVisor tier for a model
//! tract cannot run (an operator it lacks), with the same bounds and failure reasons.
//!
//! The model and its input tensors are mounted read-only at `/model`; a small program of the
//! harness's (`onnxruntime_infer.py`) runs them with one thread and sequential execution in
//! the environment of [`native::inference_lock`] (numpy and onnxruntime only), and writes the
//! chosen output as a `.npy` file of float64 and one JSON answer, read back here.

use std::io::Read;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use tract_onnx::prelude::tract_ndarray::ArrayD;

use super::{
    ADDRESS_SPACE, Failure, FailureReason, MAX_INPUT_BYTES, MAX_OUTPUT_VALUES, Output, Request,
    WALL,
};
use crate::base::{Bytes, open_regular};
use crate::record::{ClockMode, Verdict};
use crate::runner::{Invocation, native};
use crate::sandbox::Mount;

/// The harness's inference program, run as the sandbox's entry point.
const PROGRAM: &str = include_str!("onnxruntime_infer.py");
/// Where the model and its inputs are seen inside the sandbox (read-only).
const GUEST_MODEL: &str = "/model";
/// The answer and the output, in the run's outputs.
const ANSWER: &str = "out/answer.json";
const OUTPUT: &str = "out/output.npy";
/// The answer (JSON) read back, at most.
const MAX_ANSWER: u64 = 1 << 20;

/// The runtime, as recorded with every inference it runs (`onnxruntime 1.32.0`): the
/// version pinned in `runners/python-native.toml`.
pub fn runtime() -> String {
    let version = native::def()
        .inference_wheels
        .into_iter()
        .find(|w| w.name == "onnxruntime")
        .map_or_else(|| "(not pinned)".to_string(), |w| w.version);
    format!("onnxruntime {version}")
}

/// Whether this machine can run the reference runtime (it needs the gVisor tier), or why not.
pub fn available() -> Result<(), String> {
    crate::gvisor::Runsc::find(&crate::base::cache_dir())
        .map(|_| ())
        .map_err(|e| format!("{e:#}"))
}

/// What the program answers in `out/answer.json`.
#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum Answer {
    Ran(Ran),
    Failed(Failure),
}

#[derive(Deserialize)]
struct Ran {
    name: String,
    datum_type: String,
    shape: Vec<usize>,
    #[serde(default)]
    classes: Vec<String>,
}

/// Runs the model of `request` with onnxruntime in the gVisor tier.
pub fn infer(request: &Request) -> Result<Output, Failure> {
    let crashed = |message: String| Failure::new(FailureReason::Crashed, message);
    let job = tempfile::tempdir()
        .map_err(|e| crashed(format!("cannot make a folder for onnxruntime: {e}")))?;
    let (model, work, out) = stage(job.path(), request)?;
    let invocation = Invocation {
        args: Vec::new(),
        env: Vec::new(),
        data: None,
        out: Some(out.clone()),
        mounts: vec![Mount {
            guest: GUEST_MODEL.into(),
            host: model,
            writable: false,
        }],
        site: None,
        wheels: Vec::new(),
        workdir: None,
        seed: 0,
        clock: ClockMode::Real,
        limits: limits(),
    };
    let program = work.join("infer.py");
    let record = native::run_in(&native::inference_lock(), &work, &[program], &invocation)
        .map_err(|e| crashed(format!("cannot run onnxruntime in the gVisor tier: {e:#}")))?;
    match record.verdict {
        Verdict::Ok => {}
        Verdict::MemoryLimit => {
            return Err(Failure::new(
                FailureReason::MemoryLimit,
                format!(
                    "the model needed more than the {} MiB of memory allowed",
                    ADDRESS_SPACE >> 20
                ),
            ));
        }
        Verdict::TimeLimit if record.message.contains("CPU") => {
            return Err(Failure::new(
                FailureReason::CpuLimit,
                format!(
                    "the model used more than {}s of CPU and was stopped",
                    WALL.as_secs()
                ),
            ));
        }
        Verdict::TimeLimit => {
            return Err(Failure::new(
                FailureReason::TimeLimit,
                format!(
                    "the model ran longer than {}s and was stopped",
                    WALL.as_secs()
                ),
            ));
        }
        verdict => {
            let tail: Vec<&str> = record
                .stderr
                .text
                .lines()
                .filter(|l| !l.trim().is_empty())
                .collect();
            let tail = tail[tail.len().saturating_sub(2)..].join(" / ");
            return Err(crashed(format!(
                "onnxruntime's run ended with {verdict}: {} ({tail})",
                record.message
            )));
        }
    }
    let answer = read_bounded(&out.join(ANSWER), MAX_ANSWER)
        .map_err(|e| crashed(format!("onnxruntime gave no answer: {e}")))?;
    let ran = match serde_json::from_slice::<Answer>(&answer) {
        Ok(Answer::Ran(ran)) => ran,
        Ok(Answer::Failed(failure)) => return Err(failure),
        Err(e) => {
            return Err(crashed(format!(
                "onnxruntime's answer is not readable: {e}"
            )));
        }
    };
    let values = read_output(&out.join(OUTPUT), &ran)?;
    Ok(Output {
        name: ran.name,
        datum_type: ran.datum_type,
        shape: ran.shape,
        values,
        classes: ran.classes,
    })
}

/// The limits of the run: the child's (memory, time) where they apply, room for the output.
fn limits() -> crate::sandbox::Limits {
    let mut limits = native::def().limits;
    limits.wall = WALL;
    limits.memory = Bytes(ADDRESS_SPACE);
    limits.out_bytes = Bytes((MAX_OUTPUT_VALUES as u64) * 8 + (1 << 20));
    limits.out_files = 16;
    limits
}

/// Lays out the job under `job`: `model/` (mounted at `/model`: the model, one
/// `input-I.npy` per input, the request), `work/` (the program) and `out/` (its outputs).
fn stage(job: &Path, request: &Request) -> Result<(PathBuf, PathBuf, PathBuf), Failure> {
    let crashed = |e: std::io::Error| {
        Failure::new(
            FailureReason::Crashed,
            format!("cannot stage the model for onnxruntime: {e}"),
        )
    };
    let model = job.join("model");
    let work = job.join("work");
    let out = job.join("out");
    for dir in [&model, &work, &out] {
        std::fs::create_dir(dir).map_err(crashed)?;
    }
    let mut total = 0;
    for (i, input) in request.inputs.iter().enumerate() {
        total += std::fs::metadata(input).map(|m| m.len()).unwrap_or(0);
        if total > MAX_INPUT_BYTES {
            return Err(Failure::new(
                FailureReason::TooLarge,
                format!("the input tensors are larger than {MAX_INPUT_BYTES} bytes together"),
            ));
        }
        std::fs::copy(input, model.join(format!("input-{i}.npy"))).map_err(crashed)?;
    }
    std::fs::copy(&request.model, model.join("model.onnx")).map_err(crashed)?;
    let asked = serde_json::json!({
        "inputs": request.inputs.len(),
        "output": request.output,
        "max_values": MAX_OUTPUT_VALUES,
    });
    std::fs::write(model.join("request.json"), asked.to_string()).map_err(crashed)?;
    std::fs::write(work.join("infer.py"), PROGRAM).map_err(crashed)?;
    // The sandbox's user (not root) reads what the mount shows.
    use std::os::unix::fs::PermissionsExt;
    for entry in std::fs::read_dir(&model).map_err(crashed)? {
        let path = entry.map_err(crashed)?.path();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).map_err(crashed)?;
    }
    for dir in [job, &model] {
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).map_err(crashed)?;
    }
    Ok((model, work, out))
}

/// The output tensor the program wrote: float64, of the shape it announced.
fn read_output(path: &Path, ran: &Ran) -> Result<Vec<f64>, Failure> {
    use ndarray_npy::ReadNpyExt;
    let crashed = |message: String| Failure::new(FailureReason::Crashed, message);
    let file = open_regular(path).ok_or_else(|| crashed("onnxruntime wrote no output".into()))?;
    let array = ArrayD::<f64>::read_npy(file)
        .map_err(|e| crashed(format!("onnxruntime's output is not readable: {e}")))?;
    if array.shape() != ran.shape.as_slice() {
        return Err(crashed(format!(
            "onnxruntime's output has shape {:?}, not the {:?} it announced",
            array.shape(),
            ran.shape
        )));
    }
    if array.len() > MAX_OUTPUT_VALUES {
        return Err(Failure::new(
            FailureReason::TooLarge,
            format!(
                "the output {} holds {} values, more than {MAX_OUTPUT_VALUES}",
                ran.name,
                array.len()
            ),
        ));
    }
    Ok(array.iter().copied().collect())
}

fn read_bounded(path: &Path, max: u64) -> Result<Vec<u8>, String> {
    let file = open_regular(path).ok_or_else(|| format!("{} is missing", path.display()))?;
    let mut bytes = Vec::new();
    file.take(max + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| e.to_string())?;
    if bytes.len() as u64 > max {
        return Err(format!("it is larger than {max} bytes"));
    }
    Ok(bytes)
}
