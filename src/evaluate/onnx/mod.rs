//! ONNX inference in a limited child process: a handed-in model run on input tensors, so a
//! hostile or huge model can neither crash, hang nor exhaust the harness.
//!
//! [`infer`] runs `takehome onnx-worker` (a hidden subcommand of this same executable) with a
//! JSON [`Request`] on stdin. Before it starts, the child gets hard limits through
//! `setrlimit`: [`CPU_SECONDS`] of CPU, [`ADDRESS_SPACE`] of memory, no files written, no core
//! dump; the parent kills it after [`WALL`] and reads at most [`MAX_ANSWER`] of its answer.
//! The child ([`worker`]) checks the model before loading it (size, node count, declared
//! tensor sizes, external data, operators tract cannot run) and runs it with tract,
//! single-threaded, so the same model and inputs give bit-identical outputs on a machine.
//! Every way it can fail is a [`Failure`] with a named [`FailureReason`].
//!
//! When tract cannot run a model (an operator it lacks, or it refuses the graph), [`infer`]
//! runs it with the reference runtime, onnxruntime, in the gVisor tier ([`reference`]), when
//! the machine has that tier.

mod reference;
mod worker;

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use serde::{Deserialize, Serialize};

pub use worker::worker_main;

use crate::base::closed::closed_set;

/// Models larger than this are not read.
pub const MAX_MODEL_BYTES: u64 = 256 << 20;
/// Input tensors (`.npy` files) larger than this, together, are not read.
pub const MAX_INPUT_BYTES: u64 = 256 << 20;
/// Graphs with more nodes (subgraphs included) are refused.
pub const MAX_NODES: usize = 20_000;
/// A tensor stored in the model may declare at most this many bytes.
pub const MAX_TENSOR_BYTES: u64 = 1 << 30;
/// The output read back, at most this many values.
pub const MAX_OUTPUT_VALUES: usize = 10_000_000;
/// CPU time of the child.
pub const CPU_SECONDS: u64 = 60;
/// Address space of the child.
pub const ADDRESS_SPACE: u64 = 2 << 30;
/// Wall-clock time after which the child is killed.
pub const WALL: Duration = Duration::from_secs(90);
/// The child's answer (JSON), at most.
pub const MAX_ANSWER: u64 = 512 << 20;

/// The runtime, as recorded with every inference.
pub const RUNTIME: &str = concat!("tract-onnx ", env!("TAKEHOME_TRACT_VERSION"));

closed_set! {
    /// Why a model could not be run. The strings are part of the interface.
    pub enum FailureReason("a model failure reason") {
        /// Not an ONNX model: not protobuf, truncated, or inconsistent.
        Unreadable = "unreadable",
        /// The model uses an operator the runtime does not implement.
        UnsupportedOperator = "unsupported_operator",
        /// The model is over a size bound: file, nodes, or a declared tensor.
        TooLarge = "too_large",
        /// The model keeps tensors in files beside it, which are never read.
        ExternalData = "external_data",
        /// The input tensors do not fit the model (count, type, shape), or an output is missing.
        InputMismatch = "input_mismatch",
        /// The preprocessing script did not end well, so there are no inputs.
        PreprocessFailed = "preprocess_failed",
        /// The runtime refused or failed while preparing or running the model.
        RuntimeError = "runtime_error",
        /// The child used more CPU time than allowed.
        CpuLimit = "cpu_limit",
        /// The child ran out of its address space.
        MemoryLimit = "memory_limit",
        /// The child ran longer than the wall-clock limit.
        TimeLimit = "time_limit",
        /// The child ended abnormally for another reason.
        Crashed = "crashed",
    }
}

/// Why a model could not be run: the named reason and one readable line.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Failure {
    pub reason: FailureReason,
    pub message: String,
    /// For `unsupported_operator`: the operators, as `op_type` or `domain.op_type`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub operators: Vec<String>,
}

impl Failure {
    pub fn new(reason: FailureReason, message: impl Into<String>) -> Self {
        let message = message.into();
        Failure {
            reason,
            message,
            operators: Vec::new(),
        }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.reason, self.message)
    }
}

/// What the child is asked: the model, one `.npy` file per model input (in the model's
/// input order), and which output to return (by name; the first when `None`).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Request {
    pub model: PathBuf,
    pub inputs: Vec<PathBuf>,
    pub output: Option<String>,
}

/// One output tensor of the model, as f64 values in row-major order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Output {
    /// The output's name in the model.
    pub name: String,
    /// The output's element type in the model (`F32`, `I64`, ...).
    pub datum_type: String,
    pub shape: Vec<usize>,
    pub values: Vec<f64>,
    /// The label of each column, when the output says (a sequence of maps, as skl2onnx's
    /// `ZipMap` gives: its keys); empty otherwise.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub classes: Vec<String>,
}

/// What running a model gave, and which runtime gave it.
#[derive(Debug)]
pub struct Inference {
    /// The runtime that ran the model, or that failed last (`tract-onnx 0.23.9`,
    /// `onnxruntime 1.32.0`).
    pub runtime: String,
    pub result: Result<Output, Failure>,
}

/// The child's answer.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Answer {
    Ran(Output),
    Failed(Failure),
}

/// Runs the model of `request`: with tract in a limited child process first; when tract
/// cannot run it (`unsupported_operator`, `runtime_error`), with onnxruntime in the gVisor
/// tier, whose failure then names tract's too. A model tract refuses for its size, its
/// external data or its bytes, or that hits a limit, is not tried again.
pub fn infer(request: &Request) -> Inference {
    let first = tract(request);
    let failure = match first {
        Err(failure)
            if matches!(
                failure.reason,
                FailureReason::UnsupportedOperator | FailureReason::RuntimeError
            ) =>
        {
            failure
        }
        result => {
            return Inference {
                runtime: RUNTIME.to_string(),
                result,
            };
        }
    };
    if let Err(why) = reference::available() {
        let mut failure = failure;
        failure.message = format!(
            "{}; onnxruntime in the gVisor tier could try it, but this machine cannot run python-native ({why})",
            failure.message
        );
        return Inference {
            runtime: RUNTIME.to_string(),
            result: Err(failure),
        };
    }
    let result = reference::infer(request).map_err(|mut second| {
        second.message = format!(
            "{}; tract could not run it either: {}",
            second.message, failure.message
        );
        if second.operators.is_empty() {
            second.operators = failure.operators;
        }
        second
    });
    Inference {
        runtime: reference::runtime(),
        result,
    }
}

/// Runs the model of `request` with tract in a limited child process.
fn tract(request: &Request) -> Result<Output, Failure> {
    use crate::base::child::{self, Input, NoAnswer};
    let crashed = |message: String| Failure::new(FailureReason::Crashed, message);
    let exe = child::takehome_exe().map_err(crashed)?;
    let mut command = Command::new(exe);
    command.arg("onnx-worker").env_clear();
    let limits = child::ChildLimits {
        cpu_seconds: CPU_SECONDS,
        address_space: ADDRESS_SPACE,
        file_size: 0,
        die_with_parent: false,
    };
    child::limit(&mut command, limits);
    let input = serde_json::to_vec(request).expect("a request serialises");
    let input = child::input_file(&input)
        .map_err(|e| crashed(format!("cannot hand the request to the model runner: {e}")))?;
    let ended = child::run(command, Input::File(input), MAX_ANSWER, WALL).map_err(|e| match e {
        NoAnswer::Start(e) => crashed(format!("cannot start the model runner: {e}")),
        NoAnswer::Wall => Failure::new(
            FailureReason::TimeLimit,
            format!(
                "the model ran longer than {}s and was stopped",
                WALL.as_secs()
            ),
        ),
        NoAnswer::Wait(e) => crashed(format!("cannot wait for the model runner: {e}")),
    })?;
    if ended.stdout_overflowed {
        return Err(crashed(format!("its answer exceeded {MAX_ANSWER} bytes")));
    }
    if !ended.status.success() {
        let last = ended.last_words(300);
        let memory = last.contains("memory allocation") || last.contains("capacity overflow");
        return Err(match ended.signal() {
            Some(libc::SIGXCPU) | Some(libc::SIGKILL) => Failure::new(
                FailureReason::CpuLimit,
                format!("the model used more than {CPU_SECONDS}s of CPU and was stopped"),
            ),
            Some(_) | None if memory => Failure::new(
                FailureReason::MemoryLimit,
                format!(
                    "the model needed more than the {} MiB of memory allowed ({last})",
                    ADDRESS_SPACE >> 20
                ),
            ),
            Some(signal) => crashed(format!(
                "the model runner stopped with signal {signal}{}",
                if last.is_empty() {
                    String::new()
                } else {
                    format!(": {last}")
                }
            )),
            None => crashed(format!(
                "the model runner failed ({}): {last}",
                ended.status
            )),
        });
    }
    match serde_json::from_slice::<Answer>(&ended.stdout) {
        Ok(Answer::Ran(output)) => Ok(output),
        Ok(Answer::Failed(failure)) => Err(failure),
        Err(e) => Err(crashed(format!("its answer is not readable: {e}"))),
    }
}
