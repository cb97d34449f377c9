//! ONNX models built by code, as `torch.onnx.export` or `onnxmltools` would write them: an
//! MLP, a small CNN, a tree ensemble, a model with an operator no runtime has, and hostile ones.
//! Encoded with prost through tract-onnx's own protobuf types.

use prost::Message;
use tract_onnx::pb;

/// The weights of the linear score `z = w · x` every well-behaved model here computes.
pub const W: [f32; 4] = [1.5, -1.0, 0.5, 0.25];

const FLOAT: i32 = pb::tensor_proto::DataType::Float as i32;
const INT64: i32 = pb::tensor_proto::DataType::Int64 as i32;

fn tensor(name: &str, dims: &[i64], data: Vec<f32>) -> pb::TensorProto {
    pb::TensorProto {
        name: name.into(),
        dims: dims.to_vec(),
        data_type: FLOAT,
        float_data: data,
        ..Default::default()
    }
}

fn node(
    op: &str,
    inputs: &[&str],
    outputs: &[&str],
    attributes: Vec<pb::AttributeProto>,
) -> pb::NodeProto {
    pb::NodeProto {
        op_type: op.into(),
        name: format!("{op}_{}", outputs.join("_")),
        input: inputs.iter().map(|s| s.to_string()).collect(),
        output: outputs.iter().map(|s| s.to_string()).collect(),
        attribute: attributes,
        ..Default::default()
    }
}

fn attribute(name: &str, kind: pb::attribute_proto::AttributeType) -> pb::AttributeProto {
    pb::AttributeProto {
        name: name.into(),
        r#type: kind as i32,
        ..Default::default()
    }
}

fn int(name: &str, value: i64) -> pb::AttributeProto {
    pb::AttributeProto {
        i: value,
        ..attribute(name, pb::attribute_proto::AttributeType::Int)
    }
}

fn ints(name: &str, values: &[i64]) -> pb::AttributeProto {
    pb::AttributeProto {
        ints: values.to_vec(),
        ..attribute(name, pb::attribute_proto::AttributeType::Ints)
    }
}

fn floats(name: &str, values: &[f32]) -> pb::AttributeProto {
    pb::AttributeProto {
        floats: values.to_vec(),
        ..attribute(name, pb::attribute_proto::AttributeType::Floats)
    }
}

fn strings(name: &str, values: &[&str]) -> pb::AttributeProto {
    pb::AttributeProto {
        strings: values.iter().map(|s| s.as_bytes().to_vec()).collect(),
        ..attribute(name, pb::attribute_proto::AttributeType::Strings)
    }
}

fn text(name: &str, value: &str) -> pb::AttributeProto {
    pb::AttributeProto {
        s: value.as_bytes().to_vec(),
        ..attribute(name, pb::attribute_proto::AttributeType::String)
    }
}

/// A tensor value of `elem_type` whose dimensions are numbers, or `N` for `None`.
fn value(name: &str, elem_type: i32, dims: &[Option<i64>]) -> pb::ValueInfoProto {
    use pb::tensor_shape_proto::{Dimension, dimension};
    let dim = dims
        .iter()
        .map(|d| Dimension {
            value: Some(match d {
                Some(n) => dimension::Value::DimValue(*n),
                None => dimension::Value::DimParam("N".into()),
            }),
            ..Default::default()
        })
        .collect();
    pb::ValueInfoProto {
        name: name.into(),
        r#type: Some(pb::TypeProto {
            value: Some(pb::type_proto::Value::TensorType(pb::type_proto::Tensor {
                elem_type,
                shape: Some(pb::TensorShapeProto { dim }),
            })),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn model(graph: pb::GraphProto, ml: bool) -> Vec<u8> {
    let mut opset_import = vec![pb::OperatorSetIdProto {
        domain: String::new(),
        version: 13,
    }];
    if ml {
        opset_import.push(pb::OperatorSetIdProto {
            domain: "ai.onnx.ml".into(),
            version: 3,
        });
    }
    pb::ModelProto {
        ir_version: 8,
        producer_name: "takehome tests".into(),
        opset_import,
        graph: Some(graph),
        ..Default::default()
    }
    .encode_to_vec()
}

/// MatMul → Add → Relu → MatMul → Softmax: input `x` [N, 4], output `probabilities` [N, 2]
/// whose column 1 is sigmoid(w · x) for the given weights.
pub fn mlp(w: [f32; 4]) -> Vec<u8> {
    // Hidden units relu(z) and relu(-z); logits [relu(-z), relu(z)]; softmax gives sigmoid(z).
    let w1: Vec<f32> = w.iter().flat_map(|&v| [v, -v]).collect();
    let graph = pb::GraphProto {
        name: "mlp".into(),
        node: vec![
            node("MatMul", &["x", "w1"], &["h"], vec![]),
            node("Add", &["h", "b1"], &["hb"], vec![]),
            node("Relu", &["hb"], &["r"], vec![]),
            node("MatMul", &["r", "w2"], &["logits"], vec![]),
            node(
                "Softmax",
                &["logits"],
                &["probabilities"],
                vec![int("axis", 1)],
            ),
        ],
        initializer: vec![
            tensor("w1", &[4, 2], w1),
            tensor("b1", &[2], vec![0.0, 0.0]),
            tensor("w2", &[2, 2], vec![0.0, 1.0, 1.0, 0.0]),
        ],
        input: vec![value("x", FLOAT, &[None, Some(4)])],
        output: vec![value("probabilities", FLOAT, &[None, Some(2)])],
        ..Default::default()
    };
    model(graph, false)
}

/// Conv → Relu → Flatten → Gemm: input `image` [N, 1, 4, 4] holding x0..x3 at the centre
/// (rows 1-2, columns 1-2, row by row); output `logits` [N, 2] whose softmax's column 1 is
/// sigmoid(W · x).
pub fn cnn() -> Vec<u8> {
    // Channel 0 passes the centre, channel 1 its negative; relu keeps each side.
    let mut kernel = vec![0.0; 18];
    kernel[4] = 1.0;
    kernel[9 + 4] = -1.0;
    // Flattened [relu(x0..x3), relu(-x0..-x3)] → logit 1 = W · x, logit 0 = 0.
    let mut b = vec![0.0; 16];
    for k in 0..4 {
        b[k * 2 + 1] = W[k];
        b[(4 + k) * 2 + 1] = -W[k];
    }
    let graph = pb::GraphProto {
        name: "cnn".into(),
        node: vec![
            node(
                "Conv",
                &["image", "kernel", "bias"],
                &["features"],
                vec![ints("kernel_shape", &[3, 3])],
            ),
            node("Relu", &["features"], &["active"], vec![]),
            node("Flatten", &["active"], &["flat"], vec![int("axis", 1)]),
            node("Gemm", &["flat", "b", "c"], &["logits"], vec![]),
        ],
        initializer: vec![
            tensor("kernel", &[2, 1, 3, 3], kernel),
            tensor("bias", &[2], vec![0.0, 0.0]),
            tensor("b", &[8, 2], b),
            tensor("c", &[2], vec![0.0, 0.0]),
        ],
        input: vec![value("image", FLOAT, &[None, Some(1), Some(4), Some(4)])],
        output: vec![value("logits", FLOAT, &[None, Some(2)])],
        ..Default::default()
    };
    model(graph, false)
}

/// The probability of class 1 the tree of [`trees`] gives.
pub fn tree_probability(x: [f32; 4]) -> f32 {
    if x[0] <= 0.0 {
        if x[1] <= 0.0 { 0.25 } else { 0.125 }
    } else {
        0.75
    }
}

/// A `TreeEnsembleClassifier` (ai.onnx.ml) of one tree, as onnxmltools writes for a boosted
/// classifier: outputs `label` [N] and `probabilities` [N, 2].
pub fn trees() -> Vec<u8> {
    // Node 0: x0 <= 0 ? node 1 : node 2 (leaf 0.75). Node 1: x1 <= 0 ? node 3 (0.25) : node 4 (0.125).
    let leaves = [(2, 0.75f32), (3, 0.25), (4, 0.125)];
    let mut class_nodeids = Vec::new();
    let mut class_ids = Vec::new();
    let mut class_weights = Vec::new();
    for (node_id, p) in leaves {
        for (class, weight) in [(0, 1.0 - p), (1, p)] {
            class_nodeids.push(node_id);
            class_ids.push(class);
            class_weights.push(weight);
        }
    }
    let n = class_ids.len();
    let classifier = pb::NodeProto {
        domain: "ai.onnx.ml".into(),
        ..node(
            "TreeEnsembleClassifier",
            &["x"],
            &["label", "probabilities"],
            vec![
                ints("classlabels_int64s", &[0, 1]),
                ints("nodes_treeids", &[0, 0, 0, 0, 0]),
                ints("nodes_nodeids", &[0, 1, 2, 3, 4]),
                ints("nodes_featureids", &[0, 1, 0, 0, 0]),
                floats("nodes_values", &[0.0, 0.0, 0.0, 0.0, 0.0]),
                strings(
                    "nodes_modes",
                    &["BRANCH_LEQ", "BRANCH_LEQ", "LEAF", "LEAF", "LEAF"],
                ),
                ints("nodes_truenodeids", &[1, 3, 0, 0, 0]),
                ints("nodes_falsenodeids", &[2, 4, 0, 0, 0]),
                ints("class_treeids", &vec![0; n]),
                ints("class_nodeids", &class_nodeids),
                ints("class_ids", &class_ids),
                floats("class_weights", &class_weights),
                text("post_transform", "NONE"),
            ],
        )
    };
    let graph = pb::GraphProto {
        name: "trees".into(),
        node: vec![classifier],
        input: vec![value("x", FLOAT, &[None, Some(4)])],
        output: vec![
            value("label", INT64, &[None]),
            value("probabilities", FLOAT, &[None, Some(2)]),
        ],
        ..Default::default()
    };
    model(graph, true)
}

/// The MLP with a custom operator after it (`com.example.Calibrate`, as a team's own
/// post-processing op would be exported): neither tract nor onnxruntime has it.
pub fn with_custom_operator() -> Vec<u8> {
    let mut graph = pb::ModelProto::decode(mlp(W).as_slice())
        .unwrap()
        .graph
        .unwrap();
    graph.node.push(pb::NodeProto {
        domain: "com.example".into(),
        ..node("Calibrate", &["probabilities"], &["calibrated"], vec![])
    });
    let mut model = pb::ModelProto::decode(self::model(graph, false).as_slice()).unwrap();
    model.opset_import.push(pb::OperatorSetIdProto {
        domain: "com.example".into(),
        version: 1,
    });
    model.encode_to_vec()
}

/// The MLP cut in half, as an interrupted upload leaves it.
pub fn truncated() -> Vec<u8> {
    let bytes = mlp(W);
    bytes[..bytes.len() / 2].to_vec()
}

/// A model whose first weight declares 100,000 × 100,000 floats (40 GB) and holds eight.
pub fn huge_declared_tensor() -> Vec<u8> {
    let mut graph = pb::ModelProto::decode(mlp(W).as_slice())
        .unwrap()
        .graph
        .unwrap();
    graph.initializer[0].dims = vec![100_000, 100_000];
    model(graph, false)
}

/// The MLP followed by a chain of 100,000 Identity nodes.
pub fn deep() -> Vec<u8> {
    let mut graph = pb::ModelProto::decode(mlp(W).as_slice())
        .unwrap()
        .graph
        .unwrap();
    graph.node.last_mut().unwrap().output = vec!["p0".into()];
    for i in 0..100_000 {
        let (from, to) = (format!("p{i}"), format!("p{}", i + 1));
        graph.node.push(node("Identity", &[&from], &[&to], vec![]));
    }
    graph
        .node
        .push(node("Identity", &["p100000"], &["probabilities"], vec![]));
    model(graph, false)
}
