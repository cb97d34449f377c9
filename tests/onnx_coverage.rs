//! The ONNX coverage matrix: ten models as candidates export them (skl2onnx for six
//! scikit-learn models and pipelines, onnxmltools for XGBoost and LightGBM, torch's own
//! exporter for an MLP and a small CNN), each handed in as a submission's `[model]`, each
//! run to a score, by tract when it can and by onnxruntime in the gVisor tier when it
//! cannot. The scikit-learn, XGBoost and LightGBM models are trained and exported here, in a
//! virtual environment of pinned binary wheels made with pip (cached in the target folder);
//! the two PyTorch models are committed beside this file with the script that made them
//! (`onnx_coverage/torch_models.py`: PyTorch is a 4 GB download). Needs root, cgroup v1,
//! runsc, pip reaching the package index and the WebAssembly Python runner.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use support::{cli_ok as ok, copy_tree, evaluate_all, evaluation_of as find, repo};

const TRACT: &str = "tract-onnx 0.23.9";
const ONNXRUNTIME: &str = "onnxruntime 1.32.0";

/// The exporters, pinned: the runner's base wheels for the libraries that train, and the
/// converters a candidate installs. protobuf stays below 7, which refuses the booleans
/// skl2onnx 1.20 writes into a tree ensemble's integer attributes.
const EXPORTERS: &[&str] = &[
    "numpy==2.4.6",
    "scipy==1.17.1",
    "scikit-learn==1.9.1",
    "joblib==1.6.0",
    "threadpoolctl==3.8.0",
    "lightgbm==4.7.0",
    "xgboost-cpu==3.2.0",
    "skl2onnx==1.20.0",
    "onnxmltools==1.16.0",
    "onnx==1.23.2",
    "protobuf==6.33.6",
    "ml-dtypes==0.7.0",
    "typing-extensions==4.16.0",
    "packaging==26.4",
];

/// One model of the matrix: its file stem, the output to use, the preprocessing, the
/// import its training script needs, the runtime expected to run it, and how many of the
/// 200 rows agree (within 1e-4) with the predictions the exporting library itself gave.
struct Case {
    name: &'static str,
    output: &'static str,
    prepare: &'static str,
    inputs: &'static str,
    import: &'static str,
    runtime: &'static str,
    agreeing: u64,
}

const FEATURES: &str = "['x0', 'x1', 'x2', 'x3', 'x4', 'x5', 'x6', 'x7']";

/// The public test set's features as `out/x.npy` (float64, as numpy writes by default).
fn prepare_table() -> String {
    format!(
        "import numpy as np\nimport pandas as pd\n\
         test = pd.read_csv('data/test.csv')\n\
         np.save('out/x.npy', test[{FEATURES}].to_numpy())\n\
         test[['customer_id']].to_csv('out/ids.csv', index=False)\n"
    )
}

/// The features on a 3x3 grid, row by row, the last cell 0: `out/images.npy` (N, 1, 3, 3).
fn prepare_grid() -> String {
    format!(
        "import numpy as np\nimport pandas as pd\n\
         test = pd.read_csv('data/test.csv')\n\
         x = test[{FEATURES}].to_numpy(dtype=np.float32)\n\
         grid = np.concatenate([x, np.zeros((len(x), 1), dtype=np.float32)], axis=1)\n\
         np.save('out/images.npy', grid.reshape(-1, 1, 3, 3))\n\
         test[['customer_id']].to_csv('out/ids.csv', index=False)\n"
    )
}

const CASES: &[Case] = &[
    case(
        "skl2onnx_scaler_logistic",
        "output_probability",
        "sklearn",
        ONNXRUNTIME,
    ),
    case(
        "skl2onnx_random_forest",
        "output_probability",
        "sklearn",
        ONNXRUNTIME,
    ),
    case(
        "skl2onnx_gradient_boosting",
        "output_probability",
        "sklearn",
        ONNXRUNTIME,
    ),
    case(
        "skl2onnx_hist_gradient_boosting",
        "output_probability",
        "sklearn",
        ONNXRUNTIME,
    ),
    case("skl2onnx_mlp", "output_probability", "sklearn", ONNXRUNTIME),
    case(
        "skl2onnx_scaler_knn",
        "output_probability",
        "sklearn",
        ONNXRUNTIME,
    ),
    case(
        "onnxmltools_xgboost",
        "probabilities",
        "xgboost",
        ONNXRUNTIME,
    ),
    // LightGBM compares features with double thresholds; ONNX keeps them as float32, so
    // the two test rows whose feature equals a threshold (x3 = -0.06, x5 = -0.241) take
    // the other branch of one tree: a difference of the exported model, not of the runtime.
    Case {
        agreeing: 198,
        ..case(
            "onnxmltools_lightgbm",
            "probabilities",
            "lightgbm",
            ONNXRUNTIME,
        )
    },
    case("torch_mlp", "probability", "torch", TRACT),
    Case {
        name: "torch_cnn",
        output: "probability",
        prepare: "grid",
        inputs: "out/images.npy",
        import: "torch",
        runtime: TRACT,
        agreeing: 200,
    },
];

/// The scaled logistic regression with a custom operator after it.
const CUSTOM: Case = case(
    "custom_operator",
    "output_probability",
    "sklearn",
    ONNXRUNTIME,
);

const fn case(
    name: &'static str,
    output: &'static str,
    import: &'static str,
    runtime: &'static str,
) -> Case {
    Case {
        name,
        output,
        prepare: "table",
        inputs: "out/x.npy",
        import,
        runtime,
        agreeing: 200,
    }
}

/// A virtual environment holding [`EXPORTERS`], made once under the target folder.
fn exporters() -> PathBuf {
    let dir = support::target_dir().join("onnx-exporters");
    let python = dir.join("bin/python");
    let stamp = dir.join("requirements.txt");
    let wanted = EXPORTERS.join("\n");
    if std::fs::read_to_string(&stamp).ok().as_deref() == Some(wanted.as_str()) {
        return python;
    }
    let _ = std::fs::remove_dir_all(&dir);
    let interpreter = std::env::var("TAKEHOME_NATIVE_PYTHON").unwrap_or("python3".into());
    run(Command::new(interpreter).args(["-m", "venv"]).arg(&dir));
    run(Command::new(&python)
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
        ])
        .args(["--only-binary", ":all:"])
        .args(EXPORTERS));
    std::fs::write(&stamp, wanted).unwrap();
    python
}

fn run(command: &mut Command) -> String {
    let out = command.output().unwrap();
    assert!(
        out.status.success(),
        "{command:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The coverage data (`onnx_coverage/data.py`) and the eight exported models with their
/// own predictions, written into `folder`; the two PyTorch models copied beside them.
fn export(folder: &Path) {
    let python = exporters();
    let scripts = repo("tests/onnx_coverage");
    run(Command::new(&python)
        .arg(scripts.join("data.py"))
        .arg(folder));
    let said = run(Command::new(&python)
        .arg(scripts.join("export.py"))
        .arg(folder)
        .arg(folder)
        .env("PYTHONWARNINGS", "ignore"));
    assert!(
        said.contains("exported 8 and one with a custom operator"),
        "{said}"
    );
    for name in ["torch_mlp", "torch_cnn"] {
        for ext in ["onnx", "csv"] {
            let file = format!("{name}.{ext}");
            std::fs::copy(scripts.join(&file), folder.join(&file)).unwrap();
        }
    }
}

/// A copy of churn (no examples) whose data is the coverage set.
fn assignment(dir: &Path, data: &Path) -> PathBuf {
    let folder = dir.join("churn");
    copy_tree(&repo("assignments/churn"), &folder);
    std::fs::remove_dir_all(folder.join("examples")).unwrap();
    for (from, to) in [
        ("train.csv", "data/train.csv"),
        ("test.csv", "data/test.csv"),
        ("test_labels.csv", "hidden/test_labels.csv"),
    ] {
        std::fs::copy(data.join(from), folder.join(to)).unwrap();
    }
    folder
}

/// Issues churn and hands in `case`'s model, its preprocessing and its own predictions;
/// the entry point imports what trained it, which the WebAssembly runner lacks.
fn hand_in(root: &Path, work: &Path, models: &Path, case: &Case) -> String {
    let who = format!("Quinn Xylo <{}@example.org>", case.name.replace('_', "."));
    let pseudonym = support::issued_pseudonym(&ok(root, &["issue", "churn", "--candidate", &who]));
    let folder = work.join(case.name);
    std::fs::create_dir_all(folder.join("out")).unwrap();
    std::fs::write(folder.join("main.py"), format!("import {}\n", case.import)).unwrap();
    std::fs::write(folder.join("REPORT.md"), "## Method\nTrained elsewhere.\n").unwrap();
    std::fs::copy(
        models.join(format!("{}.csv", case.name)),
        folder.join("out/predictions.csv"),
    )
    .unwrap();
    std::fs::copy(
        models.join(format!("{}.onnx", case.name)),
        folder.join("model.onnx"),
    )
    .unwrap();
    let prepare = match case.prepare {
        "grid" => prepare_grid(),
        _ => prepare_table(),
    };
    std::fs::write(folder.join("prepare.py"), prepare).unwrap();
    let toml = format!(
        "runner = \"python\"\nentry = \"main.py\"\nreport = \"REPORT.md\"\n\n\
         [model]\nfile = \"model.onnx\"\npreprocess = \"prepare.py\"\nids = \"out/ids.csv\"\n\
         inputs = [\"{}\"]\noutput = \"{}\"\n",
        case.inputs, case.output
    );
    std::fs::write(folder.join("submission.toml"), toml).unwrap();
    ok(root, &["submit", &pseudonym, folder.to_str().unwrap()]);
    format!("{pseudonym}/1")
}

#[test]
fn models_from_every_common_exporter_run_to_a_score_with_tract_or_onnxruntime() {
    let dir = support::tempdir();
    let models = dir.path().join("models");
    std::fs::create_dir_all(&models).unwrap();
    export(&models);
    let root = dir.path().join("ws");
    std::fs::create_dir_all(&root).unwrap();
    ok(&root, &["init", "."]);
    let folder = assignment(dir.path(), &models);
    ok(&root, &["assignment", "add", folder.to_str().unwrap()]);
    let ids: Vec<String> = CASES
        .iter()
        .map(|case| hand_in(&root, dir.path(), &models, case))
        .collect();
    let custom = hand_in(&root, dir.path(), &models, &CUSTOM);
    let results = evaluate_all(&root);

    let matrix: Vec<String> = CASES
        .iter()
        .zip(&ids)
        .map(|(case, id)| {
            let evaluation = find(&results, id);
            let model = &evaluation["model"];
            format!(
                "{}: {} roc_auc {} agreeing {} failure {}",
                case.name,
                model["runtime"],
                evaluation["score"]["value"],
                model["agreement"]["agreeing"],
                model["failure"]
            )
        })
        .collect();
    eprintln!("{}", matrix.join("\n"));
    for (case, id) in CASES.iter().zip(&ids) {
        let evaluation = find(&results, id);
        let model = &evaluation["model"];
        assert!(model.get("failure").is_none(), "{}: {model:#}", case.name);
        assert_eq!(model["runtime"], case.runtime, "{}: {model:#}", case.name);
        assert_eq!(
            evaluation["score_basis"], "model inference",
            "{}: {evaluation:#}",
            case.name
        );
        let score = evaluation["score"]["value"].as_f64().unwrap();
        assert!(score > 0.85, "{}: roc_auc {score}", case.name);
        // The runtime's predictions are the exporting library's own, to the file's six
        // decimals, on every row but where the export itself differs.
        let agreement = &model["agreement"];
        assert_eq!(agreement["compared"], 200, "{}: {agreement:#}", case.name);
        assert_eq!(
            agreement["agreeing"], case.agreeing,
            "{}: {agreement:#}",
            case.name
        );
    }

    // An operator neither runtime has: onnxruntime's failure is recorded, naming tract's
    // too, and the score falls back to the predictions as handed in.
    let evaluation = find(&results, &custom);
    let failure = &evaluation["model"]["failure"];
    assert_eq!(
        evaluation["model"]["runtime"], ONNXRUNTIME,
        "{evaluation:#}"
    );
    assert_eq!(failure["reason"], "unsupported_operator", "{failure:#}");
    let message = failure["message"].as_str().unwrap();
    for part in [
        "onnxruntime cannot load the model",
        "com.example:Calibrate(-1) is not a registered function/op",
        "tract could not run it either: the model uses Scaler, ZipMap and com.example.Calibrate, which tract does not support",
    ] {
        assert!(message.contains(part), "{part}: {message}");
    }
    assert_eq!(
        failure["operators"],
        serde_json::json!(["Scaler", "ZipMap", "com.example.Calibrate"])
    );
    assert_eq!(evaluation["score_basis"], "as handed in, not reproduced");

    // One thread, sequential execution: onnxruntime's predictions rerun to the byte.
    let gradient_boosting = ids[2].split('/').next().unwrap();
    let rerun: Vec<Value> =
        serde_json::from_str(&ok(&root, &["rerun", gradient_boosting, "--json"])).unwrap();
    assert_eq!(
        rerun[0]["comparison"]["reproducible"], true,
        "{:#}",
        rerun[0]["comparison"]
    );
}
