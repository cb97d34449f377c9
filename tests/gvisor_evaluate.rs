//! An assignment with `fallback = "python-native"` (`assignments/churn-boosted`), evaluated
//! end to end through the CLI: the LightGBM + XGBoost submission misses its packages on the
//! WebAssembly runner, runs again in gVisor, is scored, its claim checked, rerun identically
//! and packeted; the first run stays in the record. Needs the Python runner and runsc.

mod support;

use serde_json::Value;
use support::{cli_ok as ok, evaluate_all, evaluation_of as find, repo};

/// A workspace with churn-boosted's examples submitted: (folder, [(example, submission id)]).
fn workspace() -> (tempfile::TempDir, Vec<(String, String)>) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    ok(root, &["init", "."]);
    let assignment = repo("assignments/churn-boosted");
    ok(root, &["assignment", "add", assignment.to_str().unwrap()]);
    let mut submitted = Vec::new();
    for example in ["strong", "overclaiming"] {
        let out = ok(
            root,
            &[
                "issue",
                "churn-boosted",
                "--candidate",
                &format!("{example} <{example}@example.org>"),
            ],
        );
        let pseudonym = support::issued_pseudonym(&out);
        let folder = assignment.join("examples").join(example);
        ok(root, &["submit", &pseudonym, folder.to_str().unwrap()]);
        let id = format!("{pseudonym}/1");
        submitted.push((pseudonym, id));
    }
    (dir, submitted)
}

#[test]
fn a_boosting_submission_falls_back_to_gvisor_and_is_scored_rerun_and_packeted() {
    let (dir, submitted) = workspace();
    let root = dir.path();
    let results = evaluate_all(root);

    let strong = find(&results, &submitted[0].1);
    let record = &strong["record"];
    assert_eq!(record["verdict"], "ok", "{:#}", record);
    assert_eq!(record["runner"]["name"], "python-native");
    assert_eq!(record["isolation"], "gvisor");
    assert!(
        record["message"]
            .as_str()
            .unwrap()
            .contains("run again on python-native"),
        "{}",
        record["message"]
    );
    let first = &record["fallback_of"];
    assert_eq!(first["runner"]["name"], "python", "{first:#}");
    assert!(
        first["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["kind"] == "missing_module" && d["detail"] == "lightgbm"),
        "{first:#}"
    );
    assert_eq!(strong["provenance"]["runner"], "python-native");
    assert!(
        strong["score"]["value"].as_f64().unwrap() > 0.8,
        "{:#}",
        strong["score"]
    );
    assert_eq!(
        strong["claims"][0]["status"], "verified",
        "{:#}",
        strong["claims"]
    );

    // Code the WebAssembly runner can run stays there: no fallback.
    let plain = find(&results, &submitted[1].1);
    assert_eq!(plain["record"]["runner"]["name"], "python");
    assert!(plain["record"].get("fallback_of").is_none());
    assert!(plain["record"].get("isolation").is_none());

    let pseudonym = &submitted[0].0;
    let same = ok(root, &["rerun", pseudonym]);
    assert!(same.contains("yes"), "the gVisor rerun differs: {same}");

    let packets = root.join("packets-out");
    ok(
        root,
        &["packet", pseudonym, "--out", packets.to_str().unwrap()],
    );
    let packet: Value = serde_json::from_str(
        &std::fs::read_to_string(packets.join(format!("{pseudonym}-1.json"))).unwrap(),
    )
    .unwrap();
    assert_eq!(packet["run"]["verdict"], "ok");
    let sandbox = packet["run"]["sandbox"].as_str().unwrap();
    assert!(
        sandbox.starts_with("gVisor (runsc version") && sandbox.contains("after a python run"),
        "{sandbox}"
    );
    let html = std::fs::read_to_string(packets.join(format!("{pseudonym}-1.html"))).unwrap();
    assert!(
        html.contains("gVisor (runsc version"),
        "the packet page names no sandbox"
    );
    assert!(
        packet["run"]["message"]
            .as_str()
            .unwrap()
            .contains("python-native"),
        "{:#}",
        packet["run"]
    );
}
