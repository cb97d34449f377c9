"""takehome's ONNX inference with onnxruntime, run by the harness in the gVisor tier when
tract cannot run a handed-in model (src/evaluate/onnx/reference.rs).

Reads /model/request.json ({"inputs": N, "output": NAME or null}), /model/model.onnx and
/model/input-I.npy; writes out/answer.json ({"ran": {...}} or {"failed": {...}}) and, when
it ran, out/output.npy (float64, C order). One thread, sequential execution: the same model
and inputs give the same bytes on every run on a machine."""
import json
import os

import numpy as np
import onnxruntime as ort

MODEL = "/model"
OUT = "out"
# Element types of ONNX tensors, as numpy names them and as tract names them.
NUMPY = {
    "tensor(float)": np.float32,
    "tensor(double)": np.float64,
    "tensor(float16)": np.float16,
    "tensor(int64)": np.int64,
    "tensor(int32)": np.int32,
    "tensor(int16)": np.int16,
    "tensor(int8)": np.int8,
    "tensor(uint8)": np.uint8,
    "tensor(uint16)": np.uint16,
    "tensor(uint32)": np.uint32,
    "tensor(uint64)": np.uint64,
    "tensor(bool)": np.bool_,
}
NAMES = {
    "float32": "F32",
    "float64": "F64",
    "float16": "F16",
    "int64": "I64",
    "int32": "I32",
    "int16": "I16",
    "int8": "I8",
    "uint8": "U8",
    "uint16": "U16",
    "uint32": "U32",
    "uint64": "U64",
    "bool": "Bool",
}


def answer(value):
    with open(f"{OUT}/answer.json", "w") as f:
        json.dump(value, f)


def fail(reason, message):
    answer({"failed": {"reason": reason, "message": message}})


def reason_of(error):
    """The failure reason of an onnxruntime error, by its class."""
    kind = type(error).__name__
    if kind == "NotImplemented" or "is not a registered function/op" in str(error):
        return "unsupported_operator"
    if kind in ("InvalidProtobuf", "InvalidGraph", "ModelLoaded", "NoModel"):
        return "unreadable"
    if kind == "InvalidArgument":
        return "input_mismatch"
    return "runtime_error"


def one_line(error):
    text = " ".join(str(error).split())
    return text[:600]


def main():
    os.makedirs(OUT, exist_ok=True)
    with open(f"{MODEL}/request.json") as f:
        request = json.load(f)
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.log_severity_level = 3
    try:
        session = ort.InferenceSession(
            f"{MODEL}/model.onnx", options, providers=["CPUExecutionProvider"]
        )
    except Exception as error:
        return fail(reason_of(error), f"onnxruntime cannot load the model: {one_line(error)}")
    inputs = session.get_inputs()
    if len(inputs) != request["inputs"]:
        names = ", ".join(i.name for i in inputs)
        return fail(
            "input_mismatch",
            f"the model takes {len(inputs)} input(s) ({names}), and "
            f"{request['inputs']} tensor file(s) were given",
        )
    feed = {}
    for i, declared in enumerate(inputs):
        try:
            array = np.load(f"{MODEL}/input-{i}.npy", allow_pickle=False)
        except Exception as error:
            return fail("input_mismatch", f"input {declared.name}: {one_line(error)}")
        # The model's declared element type wins: numpy writes float64 by default.
        wanted = NUMPY.get(declared.type)
        if wanted is None:
            return fail(
                "input_mismatch",
                f"input {declared.name} is {declared.type}, which takehome cannot feed",
            )
        if array.dtype != wanted:
            try:
                array = array.astype(wanted, casting="unsafe")
            except Exception as error:
                return fail(
                    "input_mismatch",
                    f"input {declared.name}: cannot convert {array.dtype} to "
                    f"{declared.type}: {one_line(error)}",
                )
        feed[declared.name] = array
    outputs = session.get_outputs()
    names = [o.name for o in outputs]
    if not names:
        return fail("input_mismatch", "the model has no output")
    chosen = request["output"] or names[0]
    if chosen not in names:
        return fail(
            "input_mismatch",
            f"the model has no output {json.dumps(chosen)}; its outputs are {', '.join(names)}",
        )
    declared = outputs[names.index(chosen)].type
    try:
        (value,) = session.run([chosen], feed)
    except Exception as error:
        return fail(reason_of(error), f"the model failed while running: {one_line(error)}")
    classes = []
    if isinstance(value, list):
        # A sequence of maps (skl2onnx's ZipMap): one row per map, one column per key, in the
        # maps' order; the keys name the classes.
        if not value or not all(isinstance(row, dict) for row in value):
            return fail("input_mismatch", f"the output {chosen} ({declared}) is not numeric")
        keys = list(value[0].keys())
        if any(list(row.keys()) != keys for row in value):
            return fail("input_mismatch", f"the maps of the output {chosen} differ in their keys")
        classes = [str(k) for k in keys]
        array = np.array([[row[k] for k in keys] for row in value], dtype=np.float64)
        datum_type = declared
    else:
        array = np.asarray(value)
        datum_type = NAMES.get(array.dtype.name)
        if datum_type is None:
            return fail("input_mismatch", f"the output {chosen} ({declared}) is not numeric")
        array = array.astype(np.float64)
    if array.size > request["max_values"]:
        return fail(
            "too_large",
            f"the output {chosen} holds {array.size} values, more than {request['max_values']}",
        )
    np.save(f"{OUT}/output.npy", np.ascontiguousarray(array))
    answer(
        {
            "ran": {
                "name": chosen,
                "datum_type": datum_type,
                "shape": list(array.shape),
                "classes": classes,
            }
        }
    )


main()
