use super::*;
use crate::report::pieces::{Location, markdown_pieces};

fn found(text: &str, metric: Metric) -> Vec<(f64, Split)> {
    extract(&markdown_pieces("REPORT.md", text), metric)
        .into_iter()
        .map(|c| (c.value, c.quote.split))
        .collect()
}

#[test]
fn metric_names_and_spellings_in_prose_are_found() {
    let u = Split::Unstated;
    for (text, metric, expected) in [
        (
            "Our model reaches a ROC AUC of 0.91.",
            Metric::RocAuc,
            vec![(0.91, u)],
        ),
        ("The AUC-ROC is 0.874.", Metric::RocAuc, vec![(0.874, u)]),
        ("AUROC: 0.80", Metric::RocAuc, vec![(0.80, u)]),
        ("roc_auc = .77", Metric::RocAuc, vec![(0.77, u)]),
        (
            "The area under the curve was 0.9 overall.",
            Metric::RocAuc,
            vec![(0.9, u)],
        ),
        ("We obtain 0.91 ROC AUC.", Metric::RocAuc, vec![(0.91, u)]),
        (
            "Macro F1 of 0.66 is modest.",
            Metric::MacroF1,
            vec![(0.66, u)],
        ),
        ("The F1-score reached 0.7.", Metric::MacroF1, vec![(0.7, u)]),
        ("RMSE is 12.5 dollars.", Metric::Rmse, vec![(12.5, u)]),
        (
            "A root mean squared error of 3 remains.",
            Metric::Rmse,
            vec![(3.0, u)],
        ),
        (
            "The mean absolute error: 0.41",
            Metric::Mae,
            vec![(0.41, u)],
        ),
        ("Log-loss fell to 0.35.", Metric::LogLoss, vec![(0.35, u)]),
        (
            "Precision@100 is 0.42.",
            Metric::PrecisionAtK,
            vec![(0.42, u)],
        ),
    ] {
        assert_eq!(found(text, metric), expected, "{text}");
    }
}

#[test]
fn percentages_are_proportions_only_for_proportion_metrics() {
    let u = Split::Unstated;
    assert_eq!(
        found("Accuracy reached 91%.", Metric::Accuracy),
        [(0.91, u)]
    );
    assert_eq!(
        found("We get 88.5 percent accuracy.", Metric::Accuracy),
        [(0.885, u)]
    );
    assert_eq!(found("An AUC of 91.2%.", Metric::RocAuc), [(0.912, u)]);
    assert!(found("RMSE dropped 15% against the baseline.", Metric::Rmse).is_empty());
    assert!(found("An accuracy of 130% is impossible.", Metric::Accuracy).is_empty());
}

#[test]
fn counts_other_metrics_and_integers_are_not_claims() {
    for (text, metric) in [
        ("We report ROC AUC over 5-fold splits.", Metric::RocAuc),
        ("AUC with 100 trees.", Metric::RocAuc),
        ("Balanced accuracy was 0.7.", Metric::Accuracy),
        (
            "The AUC, precision 0.5 and recall 0.4 were checked.",
            Metric::RocAuc,
        ),
        (
            "Precision was 0.8 while accuracy mattered less.",
            Metric::Accuracy,
        ),
        ("Accuracy is a poor metric here.", Metric::Accuracy),
        ("The accuracy in 2024 was", Metric::Accuracy),
    ] {
        assert!(
            found(text, metric).is_empty(),
            "{text}: {:?}",
            found(text, metric)
        );
    }
    assert_eq!(
        found(
            "ROC AUC of 0.91, compared with 0.85 for the baseline.",
            Metric::RocAuc
        ),
        [(0.91, Split::Unstated)]
    );
}

#[test]
fn the_sentence_tells_validation_training_and_test_claims_apart() {
    let text = "On the validation set, ROC AUC was 0.93. The held-out test set gives an AUC of 0.88.\n\
                Training AUC: 0.99 shows some overfitting. With 5-fold cross-validation we saw AUC 0.9.";
    assert_eq!(
        found(text, Metric::RocAuc),
        [
            (0.93, Split::Validation),
            (0.88, Split::Test),
            (0.99, Split::Training),
            (0.9, Split::Validation),
        ]
    );
}

#[test]
fn markdown_tables_give_a_claim_per_row_or_column() {
    let by_column = "| Model | Split | ROC AUC |\n|---|---|---:|\n| GBM | validation | 0.93 |\n| GBM | test | **0.91** |\n";
    assert_eq!(
        found(by_column, Metric::RocAuc),
        [(0.93, Split::Validation), (0.91, Split::Test)]
    );
    let by_row = "| Metric | Validation | Test |\n| --- | --- | --- |\n| Accuracy | 92% | 0.9 |\n| F1 | 0.5 | 0.4 |\n";
    assert_eq!(
        found(by_row, Metric::Accuracy),
        [(0.92, Split::Validation), (0.9, Split::Test)]
    );
}

#[test]
fn claims_keep_their_sentence_and_line() {
    let text = "# Results\n\nSome words first.\nThen a sentence says the ROC AUC\nis 0.91 on test data. Another one.\n\n| m | auc |\n|-|-|\n| a | 0.5 |\n";
    let claims = extract(&markdown_pieces("REPORT.md", text), Metric::RocAuc);
    assert_eq!(claims.len(), 2, "{claims:?}");
    assert_eq!(
        claims[0].quote.text,
        "Then a sentence says the ROC AUC is 0.91 on test data."
    );
    assert_eq!(claims[0].quote.location.to_string(), "REPORT.md:3");
    assert_eq!(claims[1].quote.location.to_string(), "REPORT.md:9");
    assert_eq!(claims[1].quote.text, "m | auc / a | 0.5");
    assert!(
        found("```\nAUC = 0.99\n```\n", Metric::RocAuc).is_empty(),
        "code is no claim"
    );
}

#[test]
fn the_test_claim_decides_else_the_most_favourable() {
    let claims = |pairs: &[(f64, Split)]| -> Vec<FoundClaim> {
        pairs
            .iter()
            .map(|&(value, split)| FoundClaim {
                metric: Metric::RocAuc,
                value,
                quote: Quote {
                    text: String::new(),
                    location: Location::default(),
                    split,
                },
            })
            .collect()
    };
    let c = claims(&[
        (0.95, Split::Validation),
        (0.88, Split::Test),
        (0.9, Split::Unstated),
    ]);
    assert_eq!(decisive(&c, Metric::RocAuc), Some(1));
    let c = claims(&[(0.85, Split::Unstated), (0.9, Split::Unstated)]);
    assert_eq!(decisive(&c, Metric::RocAuc), Some(1));
    let c = claims(&[(0.99, Split::Training), (0.95, Split::Validation)]);
    assert_eq!(decisive(&c, Metric::RocAuc), None);
    let mut c = claims(&[(3.0, Split::Unstated), (2.0, Split::Unstated)]);
    c.iter_mut().for_each(|x| x.metric = Metric::Rmse);
    assert_eq!(decisive(&c, Metric::Rmse), Some(1), "the lowest error");
}
