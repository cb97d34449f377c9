//! Workers say what they can run: a job needing python-native (an assignment whose runs may
//! fall back to gVisor) is claimed only by a worker offering it, on SQLite and on a real
//! PostgreSQL server.

mod support;

use support::backend::{Backend, Database, block_on};
use support::{cli_ok, issued_pseudonym, repo, tempdir};
use takehome::queue::{self, JobOptions};
use takehome::store::Store;

on_both_backends! {
    a_gvisor_job_is_claimed_only_by_a_worker_offering_python_native => claims_by_runner,
}

/// Adds `assignment`, issues it and submits its `strong` example; returns the submission id.
fn submit_example(root: &std::path::Path, assignment: &str) -> String {
    let folder = repo(&format!("assignments/{assignment}"));
    cli_ok(root, &["assignment", "add", folder.to_str().unwrap()]);
    let out = cli_ok(
        root,
        &[
            "issue",
            assignment,
            "--candidate",
            &format!("A <{assignment}@example.org>"),
        ],
    );
    let pseudonym = issued_pseudonym(&out);
    let example = folder.join("examples/strong");
    cli_ok(root, &["submit", &pseudonym, example.to_str().unwrap()]);
    format!("{pseudonym}/1")
}

fn claims_by_runner(backend: Backend) {
    let dir = tempdir();
    let root = dir.path();
    let db = Database::workspace(backend, root);
    let boosted = submit_example(root, "churn-boosted");
    let plain = submit_example(root, "churn");
    block_on(async {
        let store = Store::open(&db.url).await.unwrap();
        let submissions = store.submissions(None).await.unwrap();
        let (_, jobs) = queue::enqueue(&store, &submissions, JobOptions::default(), 10)
            .await
            .unwrap();
        let needs = |id: &str| {
            jobs.iter()
                .find(|j| j.submission_id == id)
                .unwrap()
                .runner
                .clone()
        };
        assert_eq!(needs(&boosted), "python-native");
        assert_eq!(needs(&plain), "python");

        let wasm_only = ["wasi", "python", "python-plain"];
        let first = store
            .claim("wasm-worker", None, &wasm_only, 30_000, 3, 1)
            .await
            .unwrap();
        assert_eq!(first.map(|j| j.submission_id), Some(plain.clone()));
        let none = store
            .claim("wasm-worker", None, &wasm_only, 30_000, 3, 2)
            .await
            .unwrap();
        assert!(
            none.is_none(),
            "a worker without runsc took a gVisor job: {none:?}"
        );
        let gvisor = store
            .claim(
                "gvisor-worker",
                None,
                &["python", "python-native"],
                30_000,
                3,
                3,
            )
            .await
            .unwrap();
        assert_eq!(gvisor.map(|j| j.submission_id), Some(boosted.clone()));
    });
}

#[test]
fn runner_lists_name_what_is_wrong() {
    let err = queue::runners::parse(&["python,cobol".to_string()]).unwrap_err();
    assert!(err.contains("`cobol` is not a runner"), "{err}");
    let kinds = queue::runners::parse(&["python".to_string(), "python,wasi".to_string()]).unwrap();
    assert_eq!(kinds.len(), 2);
    assert!(queue::runners::parse(&[String::new()]).is_err());
}
