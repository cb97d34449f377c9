//! Work the sandbox cannot run (PyTorch, XGBoost): models handed in as ONNX, run by takehome
//! itself on the preprocessed public test inputs, and predictions handed in without a model.
//! The models are built by code (`onnx_models/graphs.rs`); the preprocessing runs in the
//! real sandbox with numpy. Needs the Python runner (`.ci/run`).

#[path = "onnx_models/graphs.rs"]
mod graphs;
mod support;

use std::path::Path;

use serde_json::Value;
use support::{
    cli as takehome, cli_ok as ok, copy_tree, evaluate_all, evaluation_of as find, repo,
};
use takehome::score::Metric;

const ROWS: usize = 200;

/// The synthetic test set: ids and four features in [-1, 1] with three decimals.
fn features() -> Vec<(String, [f32; 4])> {
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let v = ((state >> 33) % 2001) as i64 - 1000;
        let v = if v == 0 { 1 } else { v };
        format!("{:.3}", v as f64 / 1000.0).parse::<f32>().unwrap()
    };
    (0..ROWS)
        .map(|i| {
            (
                format!("C{:06}", 100_000 + i),
                [next(), next(), next(), next()],
            )
        })
        .collect()
}

fn z(w: [f32; 4], x: [f32; 4]) -> f64 {
    w.iter().zip(x).map(|(&w, x)| w as f64 * x as f64).sum()
}

/// The truth: the sign of W · x, with every seventh label flipped.
fn truth_csv() -> String {
    let mut text = String::from("customer_id,churned\n");
    for (i, (id, x)) in features().iter().enumerate() {
        let positive = (z(graphs::W, *x) > 0.0) != (i % 7 == 3);
        text.push_str(&format!("{id},{}\n", positive as u8));
    }
    text
}

/// Predictions `p(x)` for every id, as a candidate's script would write them.
fn predictions_csv(p: impl Fn(usize, [f32; 4]) -> f64) -> String {
    let mut text = String::from("customer_id,churn_probability\n");
    for (i, (id, x)) in features().iter().enumerate() {
        text.push_str(&format!("{id},{:.6}\n", p(i, *x)));
    }
    text
}

fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

/// The ROC AUC of `predictions`, computed by the library's own metric.
fn roc_auc(predictions: &str) -> f64 {
    takehome::score::score(
        Metric::RocAuc,
        None,
        &truth_csv(),
        predictions,
        "customer_id",
        "churned",
        "churn_probability",
    )
    .unwrap()
}

/// A copy of churn (no examples) whose data is the synthetic set.
fn assignment(dir: &Path) -> std::path::PathBuf {
    let folder = dir.join("churn");
    copy_tree(&repo("assignments/churn"), &folder);
    std::fs::remove_dir_all(folder.join("examples")).unwrap();
    let mut test = String::from("customer_id,x0,x1,x2,x3\n");
    for (id, x) in features() {
        test.push_str(&format!(
            "{id},{:.3},{:.3},{:.3},{:.3}\n",
            x[0], x[1], x[2], x[3]
        ));
    }
    std::fs::write(folder.join("data/test.csv"), &test).unwrap();
    std::fs::write(
        folder.join("data/train.csv"),
        "customer_id,x0,x1,x2,x3,churned\n",
    )
    .unwrap();
    std::fs::write(folder.join("hidden/test_labels.csv"), truth_csv()).unwrap();
    folder
}

/// The preprocessing: the public test set as `out/x.npy` (float32) and the ids in order.
const PREPARE: &str = "import numpy as np\nimport pandas as pd\n\
    test = pd.read_csv('data/test.csv')\n\
    np.save('out/x.npy', test[['x0', 'x1', 'x2', 'x3']].to_numpy(dtype=np.float64))\n\
    test[['customer_id']].to_csv('out/ids.csv', index=False)\n";

/// The same features as 4×4 single-channel images, x0..x3 at the centre.
const PREPARE_IMAGES: &str = "import numpy as np\nimport pandas as pd\n\
    test = pd.read_csv('data/test.csv')\n\
    x = test[['x0', 'x1', 'x2', 'x3']].to_numpy(dtype=np.float32)\n\
    images = np.zeros((len(x), 1, 4, 4), dtype=np.float32)\n\
    images[:, 0, 1, 1], images[:, 0, 1, 2], images[:, 0, 2, 1], images[:, 0, 2, 2] = x.T\n\
    np.save('out/images.npy', images)\n\
    test[['customer_id']].to_csv('out/ids.csv', index=False)\n";

/// What a candidate hands in: an entry point that needs PyTorch, a report, their predictions,
/// and optionally a model with its preprocessing.
struct Handed {
    name: &'static str,
    model: Option<(Vec<u8>, &'static str, &'static str)>,
    predictions: String,
    claim: f64,
}

fn hand_in(root: &Path, work: &Path, handed: &Handed) -> String {
    let out = ok(
        root,
        // Not the folder's name: packets replace the candidate's name wherever it appears.
        &[
            "issue",
            "churn",
            "--candidate",
            "Quinn Xylo <quinn.xylo@example.org>",
        ],
    );
    let pseudonym = support::issued_pseudonym(&out);
    let folder = work.join(handed.name);
    std::fs::create_dir_all(folder.join("out")).unwrap();
    std::fs::write(
        folder.join("main.py"),
        "import torch\nmodel = torch.load('model.pt')\n",
    )
    .unwrap();
    std::fs::write(
        folder.join("REPORT.md"),
        "## Method\nA network trained on a GPU.\n",
    )
    .unwrap();
    std::fs::write(folder.join("out/predictions.csv"), &handed.predictions).unwrap();
    let mut toml = format!(
        "runner = \"python\"\nentry = \"main.py\"\nreport = \"REPORT.md\"\n\n[claims]\nroc_auc = {}\n",
        handed.claim
    );
    if let Some((bytes, prepare, spec)) = &handed.model {
        std::fs::write(folder.join("model.onnx"), bytes).unwrap();
        std::fs::write(folder.join("prepare.py"), prepare).unwrap();
        toml.push_str(&format!(
            "\n[model]\nfile = \"model.onnx\"\npreprocess = \"prepare.py\"\nids = \"out/ids.csv\"\n{spec}"
        ));
    }
    std::fs::write(folder.join("submission.toml"), toml).unwrap();
    ok(root, &["submit", &pseudonym, folder.to_str().unwrap()]);
    format!("{pseudonym}/1")
}

fn workspace(handed: &[Handed]) -> (tempfile::TempDir, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("ws");
    std::fs::create_dir_all(&root).unwrap();
    ok(&root, &["init", "."]);
    let folder = assignment(dir.path());
    ok(&root, &["assignment", "add", folder.to_str().unwrap()]);
    let ids = handed
        .iter()
        .map(|h| hand_in(&root, dir.path(), h))
        .collect();
    (dir, ids)
}

const MLP: &str = "inputs = [\"out/x.npy\"]\noutput = \"probabilities\"\n";

#[test]
fn models_handed_in_as_onnx_are_run_scored_and_compared_with_the_handed_in_predictions() {
    let honest = predictions_csv(|_, x| sigmoid(z(graphs::W, x)));
    let expected = roc_auc(&honest);
    // Twenty predictions edited after the fact: the model does not give them.
    let edited = predictions_csv(|i, x| {
        let p = sigmoid(z(graphs::W, x));
        if i % 10 == 0 { (p + 0.3) % 1.0 } else { p }
    });
    let weak = [0.0, -1.0, 0.0, 0.0];
    let weak_score = roc_auc(&predictions_csv(|_, x| sigmoid(z(weak, x))));
    let tree_predictions = predictions_csv(|_, x| graphs::tree_probability(x) as f64);
    let tree_score = roc_auc(&tree_predictions);
    let claim = |v: f64| (v * 1000.0).round() / 1000.0;
    let (dir, ids) = workspace(&[
        Handed {
            name: "mlp",
            model: Some((graphs::mlp(graphs::W), PREPARE, MLP)),
            predictions: honest.clone(),
            claim: claim(expected),
        },
        Handed {
            name: "cnn",
            model: Some((
                graphs::cnn(),
                PREPARE_IMAGES,
                "inputs = [\"out/images.npy\"]\nsoftmax = true\nclasses = [\"0\", \"1\"]\n",
            )),
            predictions: honest.clone(),
            claim: claim(expected),
        },
        Handed {
            name: "edited",
            model: Some((graphs::mlp(graphs::W), PREPARE, MLP)),
            predictions: edited,
            claim: claim(expected),
        },
        Handed {
            name: "overclaiming",
            model: Some((graphs::mlp(weak), PREPARE, MLP)),
            predictions: honest.clone(),
            claim: 0.99,
        },
        Handed {
            name: "boosted",
            model: Some((graphs::trees(), PREPARE, MLP)),
            predictions: tree_predictions,
            claim: claim(tree_score),
        },
    ]);
    let root = dir.path().join("ws");
    let results = evaluate_all(&root);

    for id in [&ids[0], &ids[1]] {
        let e = find(&results, id);
        assert_eq!(
            e["record"]["verdict"], "exit",
            "the entry point needs torch"
        );
        assert_eq!(e["score_basis"], "model inference", "{e:#}");
        assert_eq!(
            e["claims"][0]["status"], "verified by model inference",
            "{e:#}"
        );
        let measured = e["score"]["value"].as_f64().unwrap();
        assert!(
            (measured - expected).abs() < 0.005,
            "{measured} vs {expected}"
        );
        let model = &e["model"];
        assert_eq!(model["runtime"], format!("tract-onnx {}", "0.23.9"));
        assert_eq!(model["model_sha256"].as_str().unwrap().len(), 64);
        assert_eq!(model["preprocess"]["verdict"], "ok", "{model:#}");
        assert_eq!(model["agreement"]["compared"], ROWS);
        assert_eq!(model["agreement"]["agreeing"], ROWS, "{model:#}");
        assert!(
            e["not_run_reason"]
                .as_str()
                .unwrap()
                .contains("missing_module: torch")
        );
    }
    let mlp = find(&results, &ids[0]);
    assert_eq!(
        mlp["model"]["output"]["shape"],
        serde_json::json!([ROWS, 2])
    );

    let edited = find(&results, &ids[2]);
    assert_eq!(edited["claims"][0]["status"], "verified by model inference");
    let agreement = &edited["model"]["agreement"];
    assert_eq!(agreement["agreeing"], ROWS - ROWS / 10, "{agreement:#}");
    assert!(
        agreement["max_difference"].as_f64().unwrap() > 0.01,
        "{agreement:#}"
    );

    let overclaiming = find(&results, &ids[3]);
    assert_eq!(overclaiming["claims"][0]["status"], "not reproduced");
    let measured = overclaiming["claims"][0]["measured"].as_f64().unwrap();
    assert!(
        (measured - weak_score).abs() < 0.005,
        "{measured} vs {weak_score}"
    );

    let boosted = find(&results, &ids[4]);
    assert_eq!(
        boosted["claims"][0]["status"], "verified by model inference",
        "{boosted:#}"
    );
    assert_eq!(boosted["model"]["agreement"]["agreeing"], ROWS);

    // The table says where each score comes from.
    let table = ok(&root, &["evaluate", &ids[2]]);
    assert!(
        table.contains("roc_auc verified by model inference"),
        "{table}"
    );
    assert!(
        table.contains(&format!("on {} of {ROWS} rows", ROWS - ROWS / 10)),
        "{table}"
    );

    // Reruns give bit-identical model predictions.
    let out = takehome(&root, &["rerun", "--all", "--json"]);
    let report: Vec<Value> = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    assert_eq!(report.len(), ids.len());
    for r in &report {
        assert_eq!(r["comparison"]["reproducible"], true, "{r:#}");
    }
    assert!(out.status.success());
}

#[test]
fn unsupported_and_hostile_models_are_named_and_fall_back_to_the_predictions_as_handed_in() {
    let honest = predictions_csv(|_, x| sigmoid(z(graphs::W, x)));
    let expected = roc_auc(&honest);
    let claim = (expected * 1000.0).round() / 1000.0;
    let model = |bytes: Vec<u8>| Some((bytes, PREPARE, MLP));
    let handed = |name, model| Handed {
        name,
        model,
        predictions: honest.clone(),
        claim,
    };
    let (dir, ids) = workspace(&[
        handed("custom", model(graphs::with_custom_operator())),
        handed("truncated", model(graphs::truncated())),
        handed("huge", model(graphs::huge_declared_tensor())),
        handed("deep", model(graphs::deep())),
        handed("predictions", None),
    ]);
    let root = dir.path().join("ws");
    let results = evaluate_all(&root);
    let failure = |i: usize| find(&results, &ids[i])["model"]["failure"].clone();
    // Neither runtime has the operator: tract names it, then onnxruntime (in the gVisor tier,
    // where the machine has it) refuses it too.
    let custom = "the model uses com.example.Calibrate, which tract does not support";
    assert_eq!(
        failure(0)["reason"],
        "unsupported_operator",
        "{}",
        failure(0)
    );
    assert!(
        failure(0)["message"].as_str().unwrap().contains(custom),
        "{}",
        failure(0)
    );
    assert_eq!(failure(0)["operators"][0], "com.example.Calibrate");
    assert_eq!(failure(1)["reason"], "unreadable", "{}", failure(1));
    assert_eq!(failure(2)["reason"], "too_large", "{}", failure(2));
    assert!(
        failure(2)["message"]
            .as_str()
            .unwrap()
            .contains("100000 x 100000")
    );
    assert_eq!(failure(3)["reason"], "too_large", "{}", failure(3));
    assert!(failure(3)["message"].as_str().unwrap().contains("nodes"));
    for id in &ids {
        let e = find(&results, id);
        assert_eq!(e["score_basis"], "as handed in, not reproduced", "{e:#}");
        assert_eq!(
            e["claims"][0]["status"], "consistent with the handed-in predictions",
            "{e:#}"
        );
        assert!((e["score"]["value"].as_f64().unwrap() - expected).abs() < 1e-9);
        assert!(
            e["not_run_reason"]
                .as_str()
                .unwrap()
                .contains("missing_module: torch")
        );
    }
    assert!(find(&results, &ids[4]).get("model").is_none());

    // Reviewers and the lead see the mark and the reason wherever the score is shown.
    let table = ok(&root, &["evaluate", &ids[4]]);
    assert!(table.contains("(as handed in, not reproduced)"), "{table}");
    let pseudonym = ids[0].split('/').next().unwrap();
    ok(&root, &["packet", pseudonym]);
    let html =
        std::fs::read_to_string(root.join(format!("packets/{}.html", ids[0].replace('/', "-"))))
            .unwrap();
    assert!(html.contains("as handed in, not reproduced"), "{html}");
    assert!(html.contains("missing_module: torch"));
    assert!(html.contains(custom), "{html}");
    let csv = ok(&root, &["export", "churn", "--format", "csv"]);
    let header = csv.lines().next().unwrap();
    assert!(header.contains("score_basis"), "{header}");
    for line in csv.lines().skip(1) {
        assert!(line.contains("as handed in, not reproduced"), "{line}");
        assert!(line.contains("missing_module: torch"), "{line}");
    }
}
