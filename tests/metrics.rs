//! The metrics of `assignments/README.md` on hand-computed examples, and malformed
//! prediction files for every metric: each gives its own error, never a panic.
//!
//! Expected values were computed by hand and checked with scikit-learn 1.9
//! (`accuracy_score`, `f1_score(average="macro", labels=<truth classes>)`, `roc_auc_score`,
//! `root_mean_squared_error`, `mean_absolute_error`; log_loss with the README's clipping).

use takehome::score::{Metric, ScoreError, Side, score};

/// One metric's worked example: truth and predictions over the same ids, and the value.
struct Example {
    metric: Metric,
    k: Option<u32>,
    /// `id,y` rows of the truth.
    truth: &'static [(&'static str, &'static str)],
    /// `id,p` rows of the predictions, same ids in the same order.
    predictions: &'static [&'static str],
    expected: f64,
}

const EXAMPLES: &[Example] = &[
    Example {
        metric: Metric::Accuracy,
        k: None,
        truth: &[
            ("a", "cat"),
            ("b", "dog"),
            ("c", "cat"),
            ("d", "bird"),
            ("e", "dog"),
        ],
        predictions: &["cat", "cat", "cat", "bird", "dog"],
        expected: 0.8,
    },
    Example {
        metric: Metric::MacroF1,
        k: None,
        // a: tp 1, fn 1 → 2/3; b: tp 2, fp 1 → 4/5; c: never predicted → 0; `d` is not a class.
        truth: &[("1", "a"), ("2", "a"), ("3", "b"), ("4", "b"), ("5", "c")],
        predictions: &["a", "b", "b", "b", "d"],
        expected: 0.488_888_888_888_888_9,
    },
    Example {
        metric: Metric::RocAuc,
        k: None,
        // Pairs won: 0.35 beats 0.1 (1); 0.8 beats all (3); 0.4 beats 0.1, ties two 0.4s (2).
        truth: &[
            ("a", "0"),
            ("b", "0"),
            ("c", "1"),
            ("d", "1"),
            ("e", "0"),
            ("f", "1"),
        ],
        predictions: &["0.1", "0.4", "0.35", "0.8", "0.4", "0.4"],
        expected: 6.0 / 9.0,
    },
    Example {
        metric: Metric::LogLoss,
        k: None,
        // p = 0 on a negative is clipped to 1e-15, contributing ≈ 0.
        truth: &[("a", "1"), ("b", "0"), ("c", "1"), ("d", "0")],
        predictions: &["0.9", "0.2", "0.6", "0"],
        expected: 0.209_832_422_684_506_94,
    },
    Example {
        metric: Metric::Rmse,
        k: None,
        truth: &[("a", "3"), ("b", "-0.5"), ("c", "2"), ("d", "7")],
        predictions: &["2.5", "0.0", "2", "8"],
        expected: 0.612_372_435_695_794_5,
    },
    Example {
        metric: Metric::Mae,
        k: None,
        truth: &[("a", "3"), ("b", "-0.5"), ("c", "2"), ("d", "7")],
        predictions: &["2.5", "0.0", "2", "8"],
        expected: 0.5,
    },
    Example {
        metric: Metric::PrecisionAtK,
        k: Some(3),
        // Order: w05 (0.95, 0), w01 (0.9, 1), then the 0.8 tie by id: w02 (0) before w03 (1).
        truth: &[
            ("w01", "1"),
            ("w02", "0"),
            ("w03", "1"),
            ("w04", "0"),
            ("w05", "0"),
            ("w06", "1"),
        ],
        predictions: &["0.9", "0.8", "0.8", "0.1", "0.95", "0.2"],
        expected: 1.0 / 3.0,
    },
];

impl Example {
    fn truth_csv(&self) -> String {
        let mut text = String::from("id,y\n");
        for (id, y) in self.truth {
            text.push_str(&format!("{id},{y}\n"));
        }
        text
    }

    /// `id,p` rows built from the example, with `edit` applied to each (id, value) first.
    fn predictions_csv(&self, edit: impl Fn(usize, &str, &str) -> Option<String>) -> String {
        let mut text = String::from("id,p\n");
        for (i, ((id, _), p)) in self.truth.iter().zip(self.predictions).enumerate() {
            if let Some(line) = edit(i, id, p) {
                text.push_str(&line);
                text.push('\n');
            }
        }
        text
    }

    fn score(&self, predictions: &str) -> Result<f64, ScoreError> {
        score(
            self.metric,
            self.k,
            &self.truth_csv(),
            predictions,
            "id",
            "y",
            "p",
        )
    }

    fn unchanged(&self) -> String {
        self.predictions_csv(|_, id, p| Some(format!("{id},{p}")))
    }

    /// Whether the metric reads predictions as class labels (any text is a label).
    fn labels(&self) -> bool {
        matches!(self.metric, Metric::Accuracy | Metric::MacroF1)
    }
}

fn assert_close(metric: Metric, got: f64, want: f64) {
    assert!(
        (got - want).abs() < 1e-12,
        "{metric}: got {got}, want {want}"
    );
}

#[test]
fn each_metric_matches_its_worked_example() {
    for example in EXAMPLES {
        let got = example.score(&example.unchanged()).unwrap();
        assert_close(example.metric, got, example.expected);
    }
}

#[test]
fn row_order_extra_rows_extra_columns_and_csv_quoting_do_not_matter() {
    for example in EXAMPLES {
        // Reversed rows, CRLF, a BOM, quoted fields, an extra column and an id not in the truth.
        let mut text = String::from("\u{feff}\"note, with comma\",id,p\r\n");
        text.push_str("\"ignored \"\"row\"\"\",zzz,oops\r\n");
        for ((id, _), p) in example.truth.iter().zip(example.predictions).rev() {
            text.push_str(&format!("\"x, y\",\" {id} \",\"{p}\"\r\n"));
        }
        let got = example.score(&text).unwrap();
        assert_close(example.metric, got, example.expected);
    }
}

#[test]
fn numeric_labels_compare_numerically() {
    let truth = "id,y\na,1\nb,0\nc,2\n";
    let predictions = "id,p\na,1.0\nb,0.0\nc,2.5\n";
    let got = score(Metric::Accuracy, None, truth, predictions, "id", "y", "p").unwrap();
    assert_close(Metric::Accuracy, got, 2.0 / 3.0);
}

#[test]
fn precision_at_k_uses_k() {
    let example = EXAMPLES
        .iter()
        .find(|e| e.metric == Metric::PrecisionAtK)
        .unwrap();
    let truth = example.truth_csv();
    let predictions = example.unchanged();
    let at = |k| {
        score(
            Metric::PrecisionAtK,
            Some(k),
            &truth,
            &predictions,
            "id",
            "y",
            "p",
        )
    };
    assert_close(Metric::PrecisionAtK, at(1).unwrap(), 0.0);
    assert_close(Metric::PrecisionAtK, at(4).unwrap(), 0.5);
    assert_close(Metric::PrecisionAtK, at(6).unwrap(), 0.5);
    assert_eq!(at(7), Err(ScoreError::KTooLarge { k: 7, rows: 6 }));
    assert_eq!(at(0), Err(ScoreError::NoK));
    let none = score(
        Metric::PrecisionAtK,
        None,
        &truth,
        &predictions,
        "id",
        "y",
        "p",
    );
    assert_eq!(none, Err(ScoreError::NoK));
}

#[test]
fn perfect_and_reversed_scores_give_the_auc_extremes() {
    let truth = "id,y\na,0\nb,1\nc,0\nd,1\n";
    let good = "id,p\na,0.1\nb,0.9\nc,0.2\nd,0.8\n";
    let bad = "id,p\na,0.9\nb,0.1\nc,0.8\nd,0.2\n";
    let same = "id,p\na,0.5\nb,0.5\nc,0.5\nd,0.5\n";
    for (predictions, want) in [(good, 1.0), (bad, 0.0), (same, 0.5)] {
        let got = score(Metric::RocAuc, None, truth, predictions, "id", "y", "p").unwrap();
        assert_close(Metric::RocAuc, got, want);
    }
}

#[test]
fn empty_prediction_file() {
    for example in EXAMPLES {
        for text in ["", "\u{feff}", "\n\r\n"] {
            assert_eq!(
                example.score(text),
                Err(ScoreError::Empty {
                    file: Side::Predictions
                }),
                "{}",
                example.metric
            );
        }
    }
}

#[test]
fn header_only_prediction_file_lacks_every_id() {
    for example in EXAMPLES {
        let err = example.score("id,p\n").unwrap_err();
        let n = example.truth.len();
        match &err {
            ScoreError::MissingIds {
                count,
                total,
                rows: 0,
                first,
            } => {
                assert_eq!((*count, *total), (n, n));
                assert_eq!(first.len(), n.min(5));
            }
            other => panic!("{}: {other:?}", example.metric),
        }
        assert!(
            err.to_string()
                .contains(&format!("has 0 rows and lacks {n} of the {n}")),
            "{err}"
        );
    }
}

#[test]
fn missing_ids_are_counted_and_named() {
    for example in EXAMPLES {
        let text = example.predictions_csv(|i, id, p| (i != 1).then(|| format!("{id},{p}")));
        let missing = example.truth[1].0.to_string();
        let n = example.truth.len();
        assert_eq!(
            example.score(&text),
            Err(ScoreError::MissingIds {
                count: 1,
                total: n,
                rows: n - 1,
                first: vec![missing.clone()]
            }),
            "{}",
            example.metric
        );
        let message = example.score(&text).unwrap_err().to_string();
        assert!(
            message.ends_with(&format!("lacks 1 of the {n} truth ids: `{missing}`")),
            "{message}"
        );
    }
}

#[test]
fn many_missing_ids_list_the_first_five() {
    let truth: String = std::iter::once("id,y".to_string())
        .chain((0..9).map(|i| format!("r{i},{}", i % 2)))
        .collect::<Vec<_>>()
        .join("\n");
    let err = score(
        Metric::RocAuc,
        None,
        &truth,
        "id,p\nr0,0.5\n",
        "id",
        "y",
        "p",
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "the prediction file has 1 rows and lacks 8 of the 9 truth ids: \
         `r1`, `r2`, `r3`, `r4`, `r5` and 3 more"
    );
}

#[test]
fn missing_prediction_column_lists_the_columns_found() {
    for example in EXAMPLES {
        let text = example.unchanged().replacen("id,p", "id,prediction", 1);
        let err = example.score(&text).unwrap_err();
        assert_eq!(
            err,
            ScoreError::MissingColumn {
                file: Side::Predictions,
                column: "p".into(),
                found: vec!["id".into(), "prediction".into()],
            },
            "{}",
            example.metric
        );
        assert_eq!(
            err.to_string(),
            "the prediction file has no column `p` (columns found: `id`, `prediction`)"
        );
    }
}

#[test]
fn missing_id_column() {
    for example in EXAMPLES {
        let text = example.unchanged().replacen("id,p", "ID,p", 1);
        assert!(
            matches!(
                example.score(&text),
                Err(ScoreError::MissingColumn { file: Side::Predictions, ref column, .. }) if column == "id"
            ),
            "{}",
            example.metric
        );
    }
}

#[test]
fn duplicated_prediction_column() {
    for example in EXAMPLES {
        let text = example.predictions_csv(|_, id, p| Some(format!("{id},{p},{p}")));
        let text = text.replacen("id,p", "id,p,p", 1);
        assert_eq!(
            example.score(&text),
            Err(ScoreError::DuplicateColumn {
                file: Side::Predictions,
                column: "p".into()
            })
        );
    }
}

#[test]
fn duplicate_ids_name_both_lines() {
    for example in EXAMPLES {
        // Row 0 (line 2) appears again at the end: line n + 2.
        let mut text = example.unchanged();
        let (id, p) = (example.truth[0].0, example.predictions[0]);
        text.push_str(&format!("{id},{p}\n"));
        let n = example.truth.len();
        let err = example.score(&text).unwrap_err();
        match &err {
            ScoreError::DuplicateIds {
                file: Side::Predictions,
                count: 1,
                first,
            } => {
                assert_eq!(
                    (first[0].id.as_str(), first[0].first, first[0].again),
                    (id, 2, n + 2)
                );
            }
            other => panic!("{}: {other:?}", example.metric),
        }
        assert!(
            err.to_string()
                .contains(&format!("`{id}` (lines 2 and {})", n + 2)),
            "{err}"
        );
    }
}

#[test]
fn duplicates_of_ids_not_in_the_truth_are_ignored() {
    for example in EXAMPLES {
        let text = format!("{}zz,1\nzz,1\n", example.unchanged());
        assert_close(
            example.metric,
            example.score(&text).unwrap(),
            example.expected,
        );
    }
}

/// The prediction of row 2 (line 4) replaced by `value`.
fn with_value(example: &Example, value: &str) -> String {
    example.predictions_csv(|i, id, p| Some(format!("{id},{}", if i == 2 { value } else { p })))
}

#[test]
fn nan_and_infinite_values_name_the_line() {
    for example in EXAMPLES {
        for value in ["NaN", "nan", "inf", "-Infinity"] {
            assert_eq!(
                example.score(&with_value(example, value)),
                Err(ScoreError::NotFinite {
                    file: Side::Predictions,
                    line: 4,
                    column: "p".into(),
                    text: value.into(),
                }),
                "{} {value}",
                example.metric
            );
        }
    }
}

#[test]
fn text_values_are_not_numbers_except_as_labels() {
    for example in EXAMPLES {
        let result = example.score(&with_value(example, "high"));
        if example.labels() {
            // Any text is a label: it is simply a wrong prediction.
            assert!(result.unwrap() < example.expected, "{}", example.metric);
        } else {
            let err = result.unwrap_err();
            assert_eq!(
                err,
                ScoreError::NotANumber {
                    file: Side::Predictions,
                    line: 4,
                    column: "p".into(),
                    text: "high".into(),
                },
                "{}",
                example.metric
            );
            assert_eq!(
                err.to_string(),
                "the prediction file, line 4: `p` is `high`, which is not a number"
            );
        }
    }
}

#[test]
fn empty_values_name_the_line() {
    for example in EXAMPLES {
        for value in ["", "  ", "\"\""] {
            assert_eq!(
                example.score(&with_value(example, value)),
                Err(ScoreError::EmptyValue {
                    file: Side::Predictions,
                    line: 4,
                    column: "p".into()
                }),
                "{} {value:?}",
                example.metric
            );
        }
    }
}

#[test]
fn of_several_bad_values_the_earliest_line_is_reported() {
    for example in EXAMPLES.iter().filter(|e| !e.labels()) {
        // Rows in reverse truth order: the last truth row is on line 2.
        let mut text = String::from("id,p\n");
        for (i, (id, _)) in example.truth.iter().enumerate().rev() {
            text.push_str(&format!(
                "{id},{}\n",
                if i % 2 == 0 { "bad" } else { "0.5" }
            ));
        }
        let err = example.score(&text).unwrap_err();
        let first_bad = 2 + (example.truth.len() - 1) % 2;
        assert_eq!(err.line(), Some(first_bad), "{}: {err}", example.metric);
    }
}

#[test]
fn probabilities_outside_zero_one_are_rejected_for_log_loss_only() {
    let example = EXAMPLES
        .iter()
        .find(|e| e.metric == Metric::LogLoss)
        .unwrap();
    for value in ["1.5", "-0.01"] {
        let err = example.score(&with_value(example, value)).unwrap_err();
        assert_eq!(
            err,
            ScoreError::NotAProbability {
                file: Side::Predictions,
                line: 4,
                column: "p".into(),
                text: value.into(),
            }
        );
        assert!(err.to_string().contains("outside [0, 1]"), "{err}");
    }
    let rmse = EXAMPLES.iter().find(|e| e.metric == Metric::Rmse).unwrap();
    assert!(rmse.score(&with_value(rmse, "1.5")).is_ok());
}

#[test]
fn malformed_csv_names_the_line() {
    for example in EXAMPLES {
        let text = with_value(example, "\"0.5");
        let err = example.score(&text).unwrap_err();
        assert!(
            matches!(
                err,
                ScoreError::Csv {
                    file: Side::Predictions,
                    line: Some(4),
                    ..
                }
            ),
            "{}: {err:?}",
            example.metric
        );
        assert_eq!(
            err.to_string(),
            "the prediction file is not valid CSV: line 4: a quoted field is never closed"
        );
        let short = format!("{}lonely\n", example.unchanged());
        let err = example.score(&short).unwrap_err();
        assert!(
            err.to_string().ends_with("1 fields, but the header has 2"),
            "{err}"
        );
    }
}

#[test]
fn bad_truth_files_are_reported_as_truth_problems() {
    let p = "id,p\na,0.5\nb,0.5\n";
    let cases: &[(Metric, &str, ScoreError)] = &[
        (Metric::RocAuc, "", ScoreError::Empty { file: Side::Truth }),
        (
            Metric::RocAuc,
            "id,y\n",
            ScoreError::NoRows { file: Side::Truth },
        ),
        (
            Metric::RocAuc,
            "id,y\na,1\nb,1\n",
            ScoreError::SingleClass { class: "1".into() },
        ),
        (
            Metric::LogLoss,
            "id,y\na,1\nb,yes\n",
            ScoreError::NotBinary {
                file: Side::Truth,
                line: 3,
                column: "y".into(),
                text: "yes".into(),
            },
        ),
        (
            Metric::Rmse,
            "id,target\na,1\n",
            ScoreError::MissingColumn {
                file: Side::Truth,
                column: "y".into(),
                found: vec!["id".into(), "target".into()],
            },
        ),
        (
            Metric::Mae,
            "id,y\n,1\n",
            ScoreError::EmptyValue {
                file: Side::Truth,
                line: 2,
                column: "id".into(),
            },
        ),
    ];
    for (metric, truth, want) in cases {
        let got = score(*metric, None, truth, p, "id", "y", "p");
        assert_eq!(got.as_ref(), Err(want), "{metric} {truth:?}");
        assert_eq!(got.unwrap_err().side(), Some(Side::Truth));
    }
    let twice = score(Metric::Mae, None, "id,y\na,1\na,2\n", p, "id", "y", "p").unwrap_err();
    assert!(
        matches!(
            twice,
            ScoreError::DuplicateIds {
                file: Side::Truth,
                count: 1,
                ..
            }
        ),
        "{twice:?}"
    );
}

#[test]
fn arbitrary_junk_never_panics() {
    let junk = [
        "\"",
        "\"\"\"",
        ",",
        ",,,\n,,",
        "id\n",
        "p\n1",
        "id,p\n\"a\"\"b,1\n",
        "\r",
        "\u{feff}id,p\r\na",
        "id,p\na,1,2\n",
        "id,p,p\n",
        "id,id,p\na,a,1\n",
        "id,p\n\u{0},\u{0}\n",
        "id,p\na,1e400\n",
        "id,p\na,0x1\n",
        "id,p\na,-0\n",
        "id,p\na,\"1\"\"\"\n",
    ];
    for example in EXAMPLES {
        for text in junk {
            let _ = example.score(text);
            let _ = score(
                example.metric,
                example.k,
                text,
                &example.unchanged(),
                "id",
                "y",
                "p",
            );
        }
    }
}
