//! The child's side of ONNX inference: read the request, check the model before tract sees
//! it, run it single-threaded, answer one JSON value on stdout.

use std::io::Read;
use std::path::Path;
use std::process::ExitCode;

use prost::Message;
use tract_onnx::pb;
use tract_onnx::prelude::*;
use tract_onnx::tract_hir::infer::{DimFact, Factoid, GenericFactoid, ShapeFactoid};

use super::{
    Answer, Failure, FailureReason, MAX_INPUT_BYTES, MAX_MODEL_BYTES, MAX_NODES, MAX_OUTPUT_VALUES,
    MAX_TENSOR_BYTES, Output, Request,
};

/// The child's side: reads a [`Request`] on stdin and answers one JSON [`Answer`] on stdout.
pub fn worker_main() -> ExitCode {
    let (mut answer, text) = match crate::base::child::worker_streams(1 << 20) {
        Ok(streams) => streams,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let request: Request = match serde_json::from_slice(&text) {
        Ok(request) => request,
        Err(e) => {
            eprintln!("the request is not readable: {e}");
            return ExitCode::FAILURE;
        }
    };
    // A panic inside the runtime is a failure of this model, not of the harness.
    let result = std::panic::catch_unwind(|| run(&request)).unwrap_or_else(|panic| {
        let text = panic
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| panic.downcast_ref::<&str>().copied())
            .unwrap_or("no message");
        Err(Failure::new(
            FailureReason::RuntimeError,
            format!("the runtime failed: {text}"),
        ))
    });
    let reply = match result {
        Ok(output) => Answer::Ran(output),
        Err(failure) => Answer::Failed(failure),
    };
    match serde_json::to_writer(&mut answer, &reply) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("cannot answer: {e}");
            ExitCode::FAILURE
        }
    }
}

fn fail(reason: FailureReason, message: impl Into<String>) -> Failure {
    Failure::new(reason, message)
}

fn run(request: &Request) -> Result<Output, Failure> {
    let bytes = read_bounded(&request.model, MAX_MODEL_BYTES)
        .map_err(|e| fail(FailureReason::TooLarge, e))?;
    let proto = pb::ModelProto::decode(bytes.as_slice()).map_err(|e| {
        fail(
            FailureReason::Unreadable,
            format!("not an ONNX model (its protobuf does not decode: {e})"),
        )
    })?;
    drop(bytes);
    check(&proto)?;
    let runtime = tract_onnx::onnx();
    let mut model = runtime.model_for_proto_model(&proto).map_err(|e| {
        fail(
            FailureReason::RuntimeError,
            format!("the runtime cannot load the model: {e:#}"),
        )
    })?;
    drop(proto);
    let inputs = model.input_outlets().map_err(runtime_error)?.to_vec();
    if inputs.len() != request.inputs.len() {
        let names: Vec<String> = inputs.iter().map(|o| label(&model, *o)).collect();
        return Err(fail(
            FailureReason::InputMismatch,
            format!(
                "the model takes {} input(s) ({}), and {} tensor file(s) were given",
                inputs.len(),
                names.join(", "),
                request.inputs.len()
            ),
        ));
    }
    let outputs = model.output_outlets().map_err(runtime_error)?.to_vec();
    let names: Vec<String> = outputs.iter().map(|o| label(&model, *o)).collect();
    let chosen = match &request.output {
        None => 0,
        Some(name) => names.iter().position(|n| n == name).ok_or_else(|| {
            fail(
                FailureReason::InputMismatch,
                format!(
                    "the model has no output {name:?}; its outputs are {}",
                    names.join(", ")
                ),
            )
        })?,
    };
    if names.is_empty() {
        return Err(fail(
            FailureReason::InputMismatch,
            "the model has no output",
        ));
    }
    let mut budget = MAX_INPUT_BYTES;
    let mut tensors = TVec::new();
    for (i, path) in request.inputs.iter().enumerate() {
        let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        if size > budget {
            return Err(fail(
                FailureReason::TooLarge,
                format!("the input tensors are larger than {MAX_INPUT_BYTES} bytes together"),
            ));
        }
        budget -= size;
        let name = label(&model, inputs[i]);
        let mut tensor = read_npy(path)
            .map_err(|e| fail(FailureReason::InputMismatch, format!("input {name}: {e}")))?;
        // The model's declared element type wins: numpy writes float64 by default.
        let declared_fact = model.input_fact(i).ok().cloned();
        let declared = declared_fact
            .as_ref()
            .and_then(|f| f.datum_type.concretize());
        if let Some(dt) = declared
            && dt != tensor.datum_type()
        {
            tensor = tensor
                .cast_to_dt(dt)
                .map_err(|e| {
                    fail(
                        FailureReason::InputMismatch,
                        format!(
                            "input {name}: cannot convert {:?} to {dt:?}: {e}",
                            tensor.datum_type()
                        ),
                    )
                })?
                .into_owned();
        }
        model
            .set_input_fact(i, input_fact(declared_fact.as_ref(), &tensor))
            .map_err(|e| fail(FailureReason::InputMismatch, format!("input {name}: {e:#}")))?;
        tensors.push(tensor.into_tvalue());
    }
    let plan = model
        .into_optimized()
        .and_then(|m| m.into_runnable())
        .map_err(|e| {
            fail(
                FailureReason::RuntimeError,
                format!("the runtime cannot prepare the model: {e:#}"),
            )
        })?;
    let results = plan.run(tensors).map_err(|e| {
        fail(
            FailureReason::RuntimeError,
            format!("the model failed while running: {e:#}"),
        )
    })?;
    let tensor = results.get(chosen).ok_or_else(|| {
        fail(
            FailureReason::RuntimeError,
            "the runtime returned fewer outputs than the model declares",
        )
    })?;
    if tensor.len() > MAX_OUTPUT_VALUES {
        return Err(fail(
            FailureReason::TooLarge,
            format!(
                "the output {} holds {} values, more than {MAX_OUTPUT_VALUES}",
                names[chosen],
                tensor.len()
            ),
        ));
    }
    let datum_type = format!("{:?}", tensor.datum_type());
    let values = tensor.cast_to::<f64>().map_err(|e| {
        fail(
            FailureReason::InputMismatch,
            format!(
                "the output {} ({datum_type}) is not numeric: {e}",
                names[chosen]
            ),
        )
    })?;
    let values: Vec<f64> = values
        .to_plain_array_view::<f64>()
        .map_err(runtime_error)?
        .iter()
        .copied()
        .collect();
    Ok(Output {
        name: names[chosen].clone(),
        datum_type,
        shape: tensor.shape().to_vec(),
        values,
        classes: Vec::new(),
    })
}

/// The fact an input tensor gives the model: its element type and shape, except that a
/// dimension the model declares by name (`batch`) stays that symbol, so that the shapes the
/// exporter wrote inside the graph with the same symbol (torch's exporter does) still unify.
fn input_fact(declared: Option<&InferenceFact>, tensor: &Tensor) -> InferenceFact {
    let Some(declared) =
        declared.filter(|d| !d.shape.is_open() && d.shape.dims().count() == tensor.rank())
    else {
        return InferenceFact::dt_shape_from_tensor(tensor);
    };
    let dims: TVec<DimFact> = declared
        .shape
        .dims()
        .zip(tensor.shape())
        .map(|(dim, &n)| match dim.concretize() {
            Some(named) if named.to_i64().is_err() => GenericFactoid::Only(named),
            _ => GenericFactoid::Only(TDim::from(n)),
        })
        .collect();
    InferenceFact::dt_shape(tensor.datum_type(), ShapeFactoid::closed(dims))
}

fn runtime_error(e: impl std::fmt::Display) -> Failure {
    fail(FailureReason::RuntimeError, e.to_string())
}

/// The name of an input or output: its ONNX value name.
fn label(model: &InferenceModel, outlet: OutletId) -> String {
    model
        .outlet_label(outlet)
        .map(str::to_string)
        .unwrap_or_else(|| model.node(outlet.node).name.clone())
}

fn read_bounded(path: &Path, max: u64) -> Result<Vec<u8>, String> {
    let file = std::fs::File::open(path).map_err(|e| format!("cannot open the model: {e}"))?;
    let mut bytes = Vec::new();
    file.take(max + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read the model: {e}"))?;
    if bytes.len() as u64 > max {
        return Err(format!("the model file is larger than {max} bytes"));
    }
    Ok(bytes)
}

/// A `.npy` file as a tensor of its own element type.
fn read_npy(path: &Path) -> Result<Tensor, String> {
    use ndarray_npy::ReadNpyExt;
    use tract_onnx::prelude::tract_ndarray::ArrayD;
    let open = || std::fs::File::open(path).map_err(|e| format!("cannot open it: {e}"));
    let mut errors = Vec::new();
    macro_rules! try_as {
        ($t:ty) => {
            match ArrayD::<$t>::read_npy(open()?) {
                Ok(array) => return Ok(array.into()),
                Err(e) => errors.push(e.to_string()),
            }
        };
    }
    try_as!(f32);
    try_as!(f64);
    try_as!(i64);
    try_as!(i32);
    try_as!(u8);
    try_as!(bool);
    let last = errors.pop().unwrap_or_default();
    Err(format!("not a .npy file of numbers tract can use ({last})"))
}

/// Checks a decoded model before the runtime sees it: node count, operators, stored tensors.
fn check(proto: &pb::ModelProto) -> Result<(), Failure> {
    let graph = proto
        .graph
        .as_ref()
        .ok_or_else(|| fail(FailureReason::Unreadable, "the model holds no graph"))?;
    let known = tract_onnx::onnx().op_register;
    let mut state = Walk::default();
    walk(graph, &known, &mut state)?;
    if !state.unsupported.is_empty() {
        let list = match state.unsupported.as_slice() {
            [one] => one.clone(),
            [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
            [] => unreachable!(),
        };
        let mut failure = fail(
            FailureReason::UnsupportedOperator,
            format!("the model uses {list}, which tract does not support"),
        );
        failure.operators = state.unsupported;
        return Err(failure);
    }
    Ok(())
}

#[derive(Default)]
struct Walk {
    nodes: usize,
    unsupported: Vec<String>,
}

fn walk(
    graph: &pb::GraphProto,
    known: &tract_onnx::model::OnnxOpRegister,
    state: &mut Walk,
) -> Result<(), Failure> {
    for tensor in &graph.initializer {
        check_tensor(tensor)?;
    }
    for node in &graph.node {
        state.nodes += 1;
        if state.nodes > MAX_NODES {
            return Err(fail(
                FailureReason::TooLarge,
                format!("the model has more than {MAX_NODES} nodes"),
            ));
        }
        let standard = matches!(node.domain.as_str(), "" | "ai.onnx" | "ai.onnx.ml");
        if !standard || !known.0.contains_key(&node.op_type) {
            let name = if standard {
                node.op_type.clone()
            } else {
                format!("{}.{}", node.domain, node.op_type)
            };
            if !state.unsupported.contains(&name) {
                state.unsupported.push(name);
            }
        }
        for attribute in &node.attribute {
            if let Some(t) = &attribute.t {
                check_tensor(t)?;
            }
            for t in &attribute.tensors {
                check_tensor(t)?;
            }
            for g in attribute.g.iter().chain(&attribute.graphs) {
                walk(g, known, state)?;
            }
        }
    }
    Ok(())
}

/// A stored tensor must keep its data inside the model and hold what its dimensions declare.
fn check_tensor(tensor: &pb::TensorProto) -> Result<(), Failure> {
    let name = if tensor.name.is_empty() {
        "(unnamed)"
    } else {
        &tensor.name
    };
    if tensor.data_location == Some(pb::tensor_proto::DataLocation::External as i32)
        || !tensor.external_data.is_empty()
    {
        return Err(fail(
            FailureReason::ExternalData,
            format!(
                "the tensor {name} is stored in a file outside the model, which is never read: export the model with its weights inside"
            ),
        ));
    }
    let mut elements: u64 = 1;
    for &d in &tensor.dims {
        let d = u64::try_from(d).map_err(|_| {
            fail(
                FailureReason::Unreadable,
                format!("the tensor {name} declares a negative dimension {d}"),
            )
        })?;
        elements = elements.checked_mul(d).unwrap_or(u64::MAX);
    }
    use pb::tensor_proto::DataType;
    let width: u64 = match DataType::try_from(tensor.data_type) {
        Ok(DataType::Double | DataType::Int64 | DataType::Uint64 | DataType::Complex64) => 8,
        Ok(DataType::Float | DataType::Int32 | DataType::Uint32) => 4,
        Ok(DataType::Float16 | DataType::Bfloat16 | DataType::Int16 | DataType::Uint16) => 2,
        Ok(DataType::Complex128) => 16,
        Ok(DataType::String) => return Ok(()),
        _ => 1,
    };
    let declared = elements.saturating_mul(width);
    if declared > MAX_TENSOR_BYTES {
        let dims: Vec<String> = tensor.dims.iter().map(i64::to_string).collect();
        return Err(fail(
            FailureReason::TooLarge,
            format!(
                "the tensor {name} declares {} elements ({declared} bytes), more than the {MAX_TENSOR_BYTES} bytes allowed",
                dims.join(" x ")
            ),
        ));
    }
    let held = if !tensor.raw_data.is_empty() {
        tensor.raw_data.len() as u64 / width.max(1)
    } else {
        (tensor.float_data.len()
            + tensor.int32_data.len()
            + tensor.int64_data.len()
            + tensor.double_data.len()
            + tensor.uint64_data.len()) as u64
    };
    if held != elements {
        return Err(fail(
            FailureReason::Unreadable,
            format!("the tensor {name} declares {elements} elements but holds {held}"),
        ));
    }
    Ok(())
}
