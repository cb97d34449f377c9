//! The methodology tracer on the python-native tier: the same programs as
//! tests/methodology.rs, run in gVisor on the host's CPython with binary wheels, give the
//! same findings. Needs root, cgroup v1 and runsc, like the other gvisor_* tests.

mod support;

use takehome::record::FindingKind;
use takehome::sandbox::Verdict;

fn run(program: &str) -> takehome::sandbox::RunRecord {
    let dir = support::tempdir();
    let source = support::manifest_dir().join("tests/methodology");
    for file in ["shared.py", program] {
        std::fs::copy(source.join(file), dir.path().join(file)).unwrap();
    }
    let record = support::run(
        &dir.path().join(program),
        &["--runner", "python-native", "--wall", "300s"],
    );
    support::expect_verdict(&record, Verdict::Ok);
    record
}

#[test]
fn python_native_finds_the_scaler_fitted_before_the_split_and_not_the_pipeline() {
    let leak = run("preprocessing_leak.py");
    let found = leak.methodology.expect("a methodology on python-native");
    assert_eq!(found.findings.len(), 1, "{:#?}", found.findings);
    assert_eq!(found.findings[0].kind, FindingKind::Preprocessing);
    assert_eq!(found.findings[0].location.file, "preprocessing_leak.py");
    assert_eq!(found.findings[0].location.line, 10);
    let clean = run("preprocessing_clean.py");
    let quiet = clean.methodology.expect("a methodology on python-native");
    assert!(quiet.findings.is_empty(), "{:#?}", quiet.findings);
}

#[test]
fn python_native_finds_model_selection_on_the_test_split() {
    let leak = run("multi_test_leak.py");
    let found = leak.methodology.expect("a methodology on python-native");
    let kinds: Vec<FindingKind> = found.findings.iter().map(|f| f.kind).collect();
    assert_eq!(kinds, [FindingKind::MultiTest], "{:#?}", found.findings);
}
