use super::*;
use crate::record::{CellRecord, CellStatus, NotebookRecord, SavedOutput};
use serde_json::Map;

#[test]
fn text_ignores_memory_addresses_and_trailing_whitespace() {
    assert!(same_text(
        "<__main__.A at 0x7fc1fcc10f50>   \n\n",
        "<__main__.A at 0x1a2b>"
    ));
    assert!(!same_text("<A at 0x7f>", "<B at 0x7f>"));
}

#[test]
fn hostile_notebooks_give_errors_not_panics() {
    for (bytes, expected) in [
        (&b"not json"[..], "not JSON"),
        (br#"{"nbformat": 3, "cells": []}"#, "only nbformat 4"),
        (br#"{"cells": []}"#, "no `nbformat`"),
        (
            br#"{"nbformat": 4, "nbformat_minor": 5, "cells": [{"cell_type": "code", "source": 7}]}"#,
            "not valid nbformat 4",
        ),
    ] {
        let error = format!("{:#}", parse(bytes).unwrap_err());
        assert!(error.contains(expected), "{error}");
    }
}

#[test]
fn saved_execution_counts_that_go_back_are_out_of_order() {
    let notebook = |counts: &[Option<u64>]| Notebook {
        nbformat: 4,
        nbformat_minor: 5,
        metadata: Map::new(),
        extra: Map::new(),
        cells: counts
            .iter()
            .map(|&execution_count| Cell::Code {
                id: None,
                metadata: Map::new(),
                source: Text::default(),
                execution_count,
                outputs: Vec::new(),
            })
            .collect(),
    };
    assert!(!out_of_order(&notebook(&[Some(1), None, Some(2), Some(5)])));
    assert!(out_of_order(&notebook(&[Some(3), Some(1)])));
}

#[test]
fn a_rerun_names_the_first_cell_that_diverged() {
    let cell = |index, status, evalue: Option<&str>| CellRecord {
        index,
        status,
        execution_count: Some(index as u64),
        fuel_used: 10,
        outputs: Vec::new(),
        error: evalue.map(|v| CellError {
            ename: "ValueError".into(),
            evalue: v.into(),
        }),
        saved_output: SavedOutput::None,
        difference: None,
    };
    let record = |cells| NotebookRecord {
        path: "nb.ipynb".into(),
        cells,
        out_of_order: false,
        executed: None,
    };
    let before = record(vec![
        cell(1, CellStatus::Ok, None),
        cell(3, CellStatus::Ok, None),
    ]);
    let after = record(vec![
        cell(1, CellStatus::Ok, None),
        cell(3, CellStatus::Error, Some("bad")),
    ]);
    assert_eq!(first_diverging_cell(&before, &before), None);
    let found = first_diverging_cell(&before, &after).unwrap();
    assert!(
        found.starts_with("cell 3 diverged first: status"),
        "{found}"
    );
}

#[test]
fn sources_round_trip_as_lists_of_lines() {
    let notebook = parse(
        br#"{"nbformat": 4, "nbformat_minor": 4, "metadata": {}, "cells": [
            {"cell_type": "code", "metadata": {}, "source": "a = 1\nb = 2", "execution_count": null, "outputs": []}]}"#,
    )
    .unwrap();
    let json: Value = serde_json::from_str(&to_json(&notebook)).unwrap();
    assert_eq!(
        json["cells"][0]["source"],
        serde_json::json!(["a = 1\n", "b = 2"])
    );
}
