//! `[runner]` keys of the gVisor tier in `assignment.toml`: `name = "python-native"` and
//! `fallback = "python-native"`, checked like every other key.

mod support;

use std::path::Path;

use takehome::runner::RunnerKind;

/// A copy of `assignments/churn-boosted` (without examples) whose `[runner]` table is `runner`.
fn check_with_runner(runner: &str) -> Result<takehome::assignment::Assignment, String> {
    let temp = support::tempdir();
    let dir = temp.path().join("churn-boosted");
    support::copy_tree(&support::repo("assignments/churn-boosted"), &dir);
    let _ = std::fs::remove_dir_all(dir.join("examples"));
    let toml = std::fs::read_to_string(dir.join("assignment.toml")).unwrap();
    let start = toml.find("[runner]\n").unwrap();
    let end = toml.find("[runner.limits]").unwrap();
    let edited = format!("{}{runner}\n\n{}", &toml[..start], &toml[end..]);
    std::fs::write(dir.join("assignment.toml"), edited).unwrap();
    takehome::assignment::check(Path::new(&dir)).map_err(|problems| {
        problems
            .iter()
            .map(|p| p.to_string())
            .collect::<Vec<_>>()
            .join("\n")
    })
}

#[test]
fn the_shipped_boosted_assignment_falls_back_to_python_native() {
    let assignment = takehome::assignment::check(&support::repo("assignments/churn-boosted"))
        .unwrap_or_else(|p| panic!("{p:?}"));
    assert_eq!(assignment.runner.name, RunnerKind::Python);
    assert_eq!(assignment.runner.fallback, Some(RunnerKind::PythonNative));
}

#[test]
fn an_assignment_may_run_on_python_native_outright() {
    let assignment = check_with_runner("[runner]\nname = \"python-native\"").unwrap();
    assert_eq!(assignment.runner.name, RunnerKind::PythonNative);
    assert_eq!(assignment.runner.fallback, None);
}

#[test]
fn a_fallback_other_than_python_native_is_refused_naming_it() {
    let err = check_with_runner("[runner]\nname = \"python\"\nfallback = \"wasi\"").unwrap_err();
    assert!(err.contains("`runner.fallback = \"wasi\"`"), "{err}");
    let err =
        check_with_runner("[runner]\nname = \"wasi\"\nfallback = \"python-native\"").unwrap_err();
    assert!(
        err.contains("for the python and python-plain runners"),
        "{err}"
    );
    let err = check_with_runner("[runner]\nname = \"python\"\nfallback = \"cobol\"").unwrap_err();
    assert!(err.contains("`cobol` is not a runner"), "{err}");
}
