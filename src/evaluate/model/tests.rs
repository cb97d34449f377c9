use super::*;
use crate::score::Metric;

fn spec(softmax: bool, classes: &[&str]) -> ModelSpec {
    ModelSpec {
        file: "model.onnx".into(),
        preprocess: None,
        inputs: vec!["x.npy".into()],
        ids: "ids.csv".into(),
        output: None,
        softmax,
        classes: classes.iter().map(|c| c.to_string()).collect(),
    }
}

fn output(shape: Vec<usize>, values: Vec<f64>) -> onnx::Output {
    onnx::Output {
        name: "y".into(),
        datum_type: "F32".into(),
        shape,
        values,
        classes: Vec::new(),
    }
}

#[test]
fn the_positive_column_or_the_argmax_label_is_the_prediction() {
    let two = output(vec![2, 2], vec![0.25, 0.75, 0.9, 0.1]);
    assert_eq!(
        postprocess(&two, &spec(false, &[]), Metric::RocAuc, 2).unwrap(),
        ["0.75", "0.1"]
    );
    assert_eq!(
        postprocess(&two, &spec(false, &["no", "yes"]), Metric::Accuracy, 2).unwrap(),
        ["yes", "no"]
    );
    let logits = output(vec![1, 2], vec![0.0, 0.0]);
    assert_eq!(
        postprocess(&logits, &spec(true, &[]), Metric::LogLoss, 1).unwrap(),
        ["0.5"]
    );
    let flat = output(vec![2], vec![1.5, 2.0]);
    assert_eq!(
        postprocess(&flat, &spec(false, &[]), Metric::Rmse, 2).unwrap(),
        ["1.5", "2"]
    );
}

#[test]
fn the_keys_of_a_sequence_of_maps_name_its_columns_unless_the_submission_does() {
    // skl2onnx's ZipMap with string labels: the positive class is the key "1", wherever.
    let zipmap = onnx::Output {
        classes: vec!["1".into(), "0".into()],
        ..output(vec![2, 2], vec![0.75, 0.25, 0.1, 0.9])
    };
    assert_eq!(
        postprocess(&zipmap, &spec(false, &[]), Metric::RocAuc, 2).unwrap(),
        ["0.75", "0.1"]
    );
    assert_eq!(
        postprocess(&zipmap, &spec(false, &[]), Metric::Accuracy, 2).unwrap(),
        ["1", "0"]
    );
    // `[model] classes` wins over the keys.
    assert_eq!(
        postprocess(&zipmap, &spec(false, &["0", "1"]), Metric::RocAuc, 2).unwrap(),
        ["0.25", "0.9"]
    );
}

#[test]
fn outputs_that_do_not_fit_are_refused_with_the_reason() {
    let two = output(vec![2, 2], vec![0.25, 0.75, 0.9, 0.1]);
    let error = postprocess(&two, &spec(false, &[]), Metric::RocAuc, 3).unwrap_err();
    assert!(
        error.contains("2 rows, and the ids file lists 3"),
        "{error}"
    );
    let error = postprocess(&two, &spec(false, &["a", "b", "c"]), Metric::RocAuc, 2).unwrap_err();
    assert!(error.contains("names 3 classes"), "{error}");
    let error = postprocess(&two, &spec(false, &[]), Metric::Mae, 2).unwrap_err();
    assert!(error.contains("needs one value per row"), "{error}");
    let nan = output(vec![1], vec![f64::NAN]);
    let error = postprocess(&nan, &spec(false, &[]), Metric::Mae, 1).unwrap_err();
    assert!(error.contains("not a finite number"), "{error}");
}

#[test]
fn agreement_counts_rows_within_the_tolerance_and_the_largest_difference() {
    let model = "id,p\na,0.5\nb,0.25\nc,0.1\n";
    let handed = "id,p\na,0.50001\nb,0.75\n";
    let a = agreement(model, handed, "out/p.csv", "id", "p").unwrap();
    assert_eq!((a.compared, a.agreeing, a.missing), (2, 1, 1));
    assert_eq!(a.max_difference, Some(0.5));
    assert!(a.summary().contains("on 1 of 2 rows"), "{}", a.summary());
}
