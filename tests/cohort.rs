//! The hiring lead's view of a cohort, over real HTTP against a real server process and
//! through the command line: similarity, agreement and leniency for leads, nothing of it
//! for reviewers; leads on both database backends.

mod support;

use std::path::Path;

use serde_json::Value;
use support::backend::{Backend, Database};
use support::web::{
    Fixture, Server, csrf_of, example, get, issue_churn, link_token, post_form, rubric_fields,
};

use support::{cli, cli_ok, tempdir};

on_both_backends! {
    a_lead_is_added_listed_and_relinked_with_only_the_hash_stored => leads_on,
}

/// `strong` with every name in main.py changed: the same code, disguised.
fn disguised_copy(into: &Path) -> std::path::PathBuf {
    let folder = example("strong", None, into);
    std::fs::rename(&folder, into.join("disguised")).unwrap();
    let folder = into.join("disguised");
    for file in ["main.py", "features.py"] {
        let path = folder.join(file);
        let text = std::fs::read_to_string(&path).unwrap();
        let mut renamed = text.replace("# ", "# note: ");
        for (from, to) in [
            ("df", "frame"),
            ("model", "clf"),
            ("X", "inputs"),
            ("y", "target"),
        ] {
            renamed = renamed.replace(&format!("{from} ="), &format!("{to} ="));
        }
        std::fs::write(&path, renamed).unwrap();
    }
    folder
}

/// Three candidates (the first two with near-identical code, the third different), three
/// reviewers who each review all three, Cy always one level below the others; a lead.
fn cohort_fixture() -> (Fixture, Server, String) {
    let fixture = Fixture::new(3, &["Ann", "Bo", "Cy"]);
    let scratch = tempdir();
    fixture.submit(0, &example("strong", None, scratch.path()));
    fixture.submit(1, &disguised_copy(scratch.path()));
    fixture.submit(2, &example("overclaiming", None, scratch.path()));
    let root = fixture.root();
    cli_ok(root, &["assign", "churn", "--reviewers", "3"]);
    let lead = link_token(&cli_ok(root, &["lead", "add", "Lee"]), "/l/");
    let server = Server::start(root, &["--no-worker"]);
    (fixture, server, lead)
}

/// Every reviewer submits a full review of every candidate: levels differ by candidate,
/// and Cy's are one lower than Ann's and Bo's.
fn review_everything(fixture: &Fixture, server: &Server) {
    for (c, (pseudonym, _)) in fixture.candidates.iter().enumerate() {
        for (name, token) in &fixture.reviewers {
            let level = 2 + c as u8 % 3 - u8::from(name == "Cy");
            let url = server.url(&format!("/r/{token}/review/{pseudonym}"));
            let csrf = csrf_of(&get(&url).text());
            let fields = rubric_fields(&level.to_string(), "seen", "yes");
            let mut form = vec![("csrf", csrf.as_str()), ("action", "submit")];
            form.extend(fields.iter().map(|(k, v)| (k.as_str(), v.as_str())));
            let reply = post_form(&url, &form, None);
            assert_eq!(reply.status, 303, "{name} on {pseudonym}: {}", reply.text());
        }
    }
}

#[test]
fn a_lead_sees_similarity_agreement_and_leniency() {
    let (fixture, server, lead) = cohort_fixture();
    review_everything(&fixture, &server);
    let (copied, copier, other) = (
        &fixture.candidates[0].0,
        &fixture.candidates[1].0,
        &fixture.candidates[2].0,
    );
    let home = get(&server.url(&format!("/l/{lead}")));
    assert_eq!(home.status, 200);
    assert!(home.text().contains("/cohort/churn"), "{}", home.text());

    let page = get(&server.url(&format!("/l/{lead}/cohort/churn")));
    assert_eq!(page.status, 200, "{}", page.text());
    assert!(
        page.header("content-security-policy")
            .is_some_and(|c| c.starts_with("default-src 'none'"))
    );
    let html = page.text();
    assert!(!html.contains("<script"));
    for part in [
        "id=\"alpha-chart\"",
        "id=\"leniency-chart\"",
        "id=\"similarity-histogram\"",
        "id=\"pairs\"",
        "never a verdict",
    ] {
        assert!(html.contains(part), "no {part} in the lead's page");
    }
    // The near-copies are the first pair listed.
    let first = html.find("class=\"pair-link\"").unwrap();
    let first_pair = &html[first..first + 300];
    assert!(
        first_pair.contains(copied) && first_pair.contains(copier),
        "{first_pair}"
    );

    // The JSON export: Cy flagged harsh; every criterion has an agreement estimate.
    let export = get(&server.url(&format!("/l/{lead}/export/churn.json")));
    assert_eq!(export.status, 200);
    let view: Value = serde_json::from_slice(&export.body).unwrap();
    assert_eq!(view["reviews"], 9);
    let criteria = view["agreement"]["criteria"].as_array().unwrap();
    assert_eq!(criteria.len(), 5);
    for c in criteria {
        assert_eq!(c["ordinal"]["pairable"], 9, "{c}");
        assert!(c["ordinal"]["alpha"].as_f64().unwrap() > 0.0, "{c}");
        assert!(c["ordinal"]["interval"].is_array(), "{c}");
    }
    let cy = view["leniency"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["name"] == "Cy")
        .unwrap();
    assert_eq!(cy["flag"], "harsh", "{cy}");
    assert_eq!(cy["mean"], -1.0);
    assert_eq!(cy["reviews"], 3);
    let top = &view["similarity"]["pairs"][0];
    let mut names = [
        top["left"].as_str().unwrap(),
        top["right"].as_str().unwrap(),
    ];
    names.sort();
    let mut expected = [copied.as_str(), copier.as_str()];
    expected.sort();
    assert_eq!(names, expected);
    let last = view["similarity"]["pairs"]
        .as_array()
        .unwrap()
        .last()
        .unwrap();
    assert!(last["similarity"].as_f64().unwrap() < top["similarity"].as_f64().unwrap());

    // The side-by-side view marks the shared fragments on both sides.
    let pair = get(&server.url(&format!("/l/{lead}/pair/churn/{copied}/{copier}")));
    assert_eq!(pair.status, 200, "{}", pair.text());
    let html = pair.text();
    assert!(html.contains("id=\"fragments\"") && html.contains("class=\"frag f0\""));
    assert!(html.contains("never a verdict"));
    assert!(html.contains("id=\"side-l\"") && html.contains("id=\"side-r\""));
    assert_eq!(
        get(&server.url(&format!("/l/{lead}/pair/churn/{copied}/{other}"))).status,
        200
    );

    // The command line says the same.
    let out = cli_ok(fixture.root(), &["cohort", "churn", "--format", "json"]);
    let cli_view: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        cli_view["similarity"]["pairs"][0],
        view["similarity"]["pairs"][0]
    );
    assert_eq!(cli_view["leniency"], view["leniency"]);
    let text = cli_ok(fixture.root(), &["cohort", "churn"]);
    assert!(
        text.contains("HARSH") && text.contains("never a verdict"),
        "{text}"
    );
}

#[test]
fn reviewers_never_see_the_cohort_view_and_leads_open_nothing_else() {
    let (fixture, server, lead) = cohort_fixture();
    review_everything(&fixture, &server);
    let (pseudonym, candidate) = &fixture.candidates[0];
    let other = &fixture.candidates[1].0;
    let (_, reviewer) = &fixture.reviewers[0];
    let made_up = "cd".repeat(32);
    for token in [reviewer, candidate, &made_up] {
        for path in [
            format!("/l/{token}"),
            format!("/l/{token}/cohort/churn"),
            format!("/l/{token}/export/churn.json"),
            format!("/l/{token}/pair/churn/{pseudonym}/{other}"),
        ] {
            let reply = get(&server.url(&path));
            assert_eq!(reply.status, 404, "{path}");
            assert!(
                !reply.text().contains(pseudonym),
                "{path} leaks a pseudonym"
            );
        }
    }
    // A lead's link opens no reviewer's or candidate's page.
    for path in [
        format!("/r/{lead}"),
        format!("/r/{lead}/overview/churn"),
        format!("/r/{lead}/review/{pseudonym}"),
        format!("/r/{lead}/export/churn.json"),
        format!("/c/{lead}"),
    ] {
        assert_eq!(get(&server.url(&path)).status, 404, "{path}");
    }
    // Unknown assignments, candidates and files are 404 for a lead too.
    for path in [
        format!("/l/{lead}/cohort/no-such"),
        format!("/l/{lead}/export/churn.csv"),
        format!("/l/{lead}/export/no-such.json"),
        format!("/l/{lead}/pair/churn/{pseudonym}/{pseudonym}"),
        format!("/l/{lead}/pair/churn/{pseudonym}/C-NOPE"),
        format!("/l/{lead}/pair/no-such/{pseudonym}/{other}"),
    ] {
        assert_eq!(get(&server.url(&path)).status, 404, "{path}");
    }
    // Nothing of the cohort view on any reviewer page, before or after their review.
    for path in [
        format!("/r/{reviewer}"),
        format!("/r/{reviewer}/overview/churn"),
        format!("/r/{reviewer}/review/{pseudonym}"),
        format!("/r/{reviewer}/export/churn.json"),
    ] {
        let text = get(&server.url(&path)).text().to_lowercase();
        for word in ["similarity", "alpha", "leniency", "/l/", "harsh"] {
            assert!(!text.contains(word), "{path} shows {word}");
        }
    }
}

fn leads_on(backend: Backend) {
    let dir = tempdir();
    let root = dir.path();
    let db = Database::workspace(backend, root);
    issue_churn(root, 1);
    let out = cli_ok(root, &["lead", "add", "Lee"]);
    let token = link_token(&out, "/l/");
    assert_eq!(token.len(), 64, "{out}");
    assert_eq!(db.count("SELECT COUNT(*) FROM leads"), 1);
    let raw = format!("SELECT COUNT(*) FROM leads WHERE token_hash = '{token}'");
    assert_eq!(db.count(&raw), 0, "the token itself is stored");
    let again = cli(root, &["lead", "add", "Lee"]);
    assert_eq!(again.status.code(), Some(2));
    assert!(cli_ok(root, &["lead", "list"]).contains("Lee"));
    // A new link replaces the old one.
    let server = Server::start(root, &["--no-worker"]);
    assert_eq!(get(&server.url(&format!("/l/{token}"))).status, 200);
    let fresh = link_token(&cli_ok(root, &["lead", "relink", "Lee"]), "/l/");
    assert_eq!(get(&server.url(&format!("/l/{token}"))).status, 404);
    assert_eq!(
        get(&server.url(&format!("/l/{fresh}/cohort/churn"))).status,
        200
    );
    // With nothing handed in there is nothing to compare, and nothing fails.
    let view: Value =
        serde_json::from_str(&cli_ok(root, &["cohort", "churn", "--format", "json"])).unwrap();
    assert_eq!(view["submissions"], 0);
    assert!(view["agreement"]["weighted_total"]["alpha"].is_null());
}

#[test]
fn the_kept_cohort_view_follows_new_submissions_and_reviews() {
    let fixture = Fixture::new(3, &["Ann"]);
    let scratch = tempdir();
    fixture.submit(0, &example("strong", None, scratch.path()));
    fixture.submit(1, &disguised_copy(scratch.path()));
    let root = fixture.root();
    cli_ok(root, &["assign", "churn", "--reviewers", "1"]);
    let lead = link_token(&cli_ok(root, &["lead", "add", "Lee"]), "/l/");
    let server = Server::start(root, &["--no-worker"]);
    let view = || -> Value {
        let export = get(&server.url(&format!("/l/{lead}/export/churn.json")));
        assert_eq!(export.status, 200);
        serde_json::from_slice(&export.body).unwrap()
    };
    let first = view();
    assert_eq!(
        (first["submissions"].clone(), first["reviews"].clone()),
        (2.into(), 0.into())
    );
    assert_eq!(view(), first, "an unchanged cohort reads the same");

    // A hand-in by another process, then a submitted review: each shows at once.
    fixture.submit(2, &example("overclaiming", None, scratch.path()));
    assert_eq!(view()["submissions"], 3);
    let (pseudonym, ann) = (&fixture.candidates[0].0, &fixture.reviewers[0].1);
    let url = server.url(&format!("/r/{ann}/review/{pseudonym}"));
    let csrf = csrf_of(&get(&url).text());
    let fields = rubric_fields("3", "seen", "yes");
    let mut form = vec![("csrf", csrf.as_str()), ("action", "save")];
    form.extend(fields.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    assert_eq!(post_form(&url, &form, None).status, 303);
    assert_eq!(view()["reviews"], 0, "a draft is not a review");
    form[1].1 = "submit";
    assert_eq!(post_form(&url, &form, None).status, 303);
    assert_eq!(view()["reviews"], 1);
}
