use super::*;

fn kind(saved: &str, rerun: &str) -> Option<DifferenceKind> {
    classify_text(saved, rerun).map(|d| d.kind)
}

#[test]
fn the_same_text_is_no_difference() {
    assert_eq!(kind("loss 0.3\n", "loss 0.30000000000000004"), None);
}

#[test]
fn a_frame_wrapped_at_80_columns_and_one_elided_at_another_width_are_display() {
    let wrapped = "   customer_id  tenure  monthly_fee  \\\n0            1      12         29.5   \n1            2       3         99.0   \n\n   churned\n0        0\n1        1";
    let elided = "   customer_id  ...  churned\n0            1  ...        0\n1            2  ...        1\n\n[2 rows x 4 columns]";
    let wide = "   customer_id  tenure  monthly_fee  churned\n0            1      12         29.5        0\n1            2       3         99.0        1";
    assert_eq!(kind(wrapped, wide), Some(DifferenceKind::Display));
    let d = classify_text(wrapped, elided).unwrap();
    assert_eq!(d.kind, DifferenceKind::Display, "{}", d.summary);
    assert!(d.summary.contains("elided in the rerun"), "{}", d.summary);
}

#[test]
fn rounding_within_the_printed_precision_is_display() {
    assert_eq!(
        kind("auc 0.8312\n", "auc 0.83\n"),
        Some(DifferenceKind::Display)
    );
}

#[test]
fn a_warning_with_a_windows_temp_path_is_warnings() {
    let saved = "C:\\Users\\x\\AppData\\Local\\Temp\\ipykernel_16036\\509899133.py:1: FutureWarning: The default of observed=False is deprecated\n  df.groupby('g').mean()\n   v\ng   \na  1\n";
    let rerun = "   v\ng   \na  1\n";
    let d = classify_text(saved, rerun).unwrap();
    assert_eq!(d.kind, DifferenceKind::Warnings);
    assert!(d.summary.contains("FutureWarning"), "{}", d.summary);
}

#[test]
fn other_numbers_in_the_same_text_are_numbers_with_their_size_and_context() {
    let saved = "              precision    recall  f1-score   support\n\n    accuracy                           0.77       100\n   macro avg       0.70      0.62      0.62       100\n";
    let rerun = "              precision    recall  f1-score   support\n\n    accuracy                           0.76       100\n   macro avg       0.69      0.60      0.60       100\n";
    let d = classify_text(saved, rerun).unwrap();
    assert_eq!(d.kind, DifferenceKind::Numbers, "{}", d.summary);
    let numbers = d.numbers.unwrap();
    assert_eq!(numbers.first, "accuracy 0.77 → 0.76");
    assert_eq!(numbers.count, 4);
    assert!((numbers.largest_absolute - 0.02).abs() < 1e-9);
}

#[test]
fn new_rows_and_other_words_are_content() {
    assert_eq!(
        kind("a  1\nb  2\n", "a  1\nb  2\nc  3\n"),
        Some(DifferenceKind::Content)
    );
    let d = classify_text("shape (100, 5)\n", "KeyError: 'x'\n").unwrap();
    assert_eq!(d.kind, DifferenceKind::Content);
    assert!(
        d.summary.contains("`shape (100, 5)` → `KeyError: 'x'`"),
        "{}",
        d.summary
    );
}

#[test]
fn elision_that_hides_a_changed_value_is_not_display() {
    let full = "   a  b  c\n0  1  2  3";
    let elided = "   a  ...  c\n0  1  ...  4";
    assert_ne!(kind(full, elided), Some(DifferenceKind::Display));
}

#[test]
fn kinds_serialise_as_the_record_names_them() {
    let d = Difference {
        kind: DifferenceKind::Numbers,
        summary: "s".into(),
        cause: Some(Cause::UnseededRandomness),
        numbers: None,
        only_figures: false,
    };
    let json = serde_json::to_value(&d).unwrap();
    assert_eq!(json["kind"], "numbers");
    assert_eq!(json["cause"], "unseeded_randomness");
}

#[test]
fn a_dtype_named_or_a_shorter_class_path_is_display() {
    assert_eq!(
        kind("array([0, 1, 2, 3])", "array([0, 1, 2, 3], dtype=int64)"),
        Some(DifferenceKind::Display)
    );
    assert_eq!(
        kind(
            "<class 'pandas.core.frame.DataFrame'>",
            "<class 'pandas.DataFrame'>"
        ),
        Some(DifferenceKind::Display)
    );
    assert_ne!(
        kind("array([0, 1])", "array([0, 2], dtype=int64)"),
        Some(DifferenceKind::Display)
    );
}

#[test]
fn a_content_summary_quotes_the_changed_line_not_one_respaced() {
    let saved = "  band  n  share\n0  <=200  47  0.42\n1  >2000  0  NaN\n";
    let rerun = "  band   n  share\n0  <=200   47  0.42\n";
    let d = classify_text(saved, rerun).unwrap();
    assert_eq!(d.kind, DifferenceKind::Content);
    assert!(
        d.summary.contains("`1 >2000 0 NaN` → `(nothing)`"),
        "{}",
        d.summary
    );
}

#[test]
fn a_repr_a_newer_library_prints_otherwise_names_the_library_version() {
    let saved = "0    5927\n1      73\nName: default, dtype: int64";
    let rerun = "default\n0    5927\n1      73\nName: count, dtype: int64";
    let d = classify_text(saved, rerun).unwrap();
    assert_eq!(d.cause, Some(Cause::LibraryVersion), "{}", d.summary);
    assert_eq!(classify_text("a 1", "a 2").unwrap().cause, None);
}

#[test]
fn df_info_of_another_pandas_is_numbers_of_another_version() {
    let saved =
        "<class 'pandas.core.frame.DataFrame'>\nRangeIndex: 6000 entries\nmemory usage: 422.0 KB\n";
    let rerun = "<class 'pandas.DataFrame'>\nRangeIndex: 6000 entries\nmemory usage: 421.9 KB\n";
    let d = classify_text(saved, rerun).unwrap();
    assert_eq!(d.kind, DifferenceKind::Numbers, "{}", d.summary);
    assert_eq!(d.cause, Some(Cause::LibraryVersion));
}
