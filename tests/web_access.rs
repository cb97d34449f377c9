//! Every access rule of `takehome serve`, over real HTTP against a real server process.

mod support;

use support::backend::Backend;
use support::web::{
    Fixture, Part, Server, csrf_of, example, get, post_form, post_multipart, rubric_fields,
    scratch_files, versions, zip_folder,
};

use support::{cli_ok, tempdir};

/// A form's fields as borrowed pairs, with the CSRF token first.
fn with_csrf<'a>(
    csrf: &'a str,
    fields: &'a [(String, String)],
    action: &'a str,
) -> Vec<(&'a str, &'a str)> {
    let mut all = vec![("csrf", csrf), ("action", action)];
    all.extend(fields.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    all
}

on_both_backends! {
    a_reviewer_always_reads_back_what_they_just_saved_or_submitted => reads_own_writes,
}

/// Stale reads ruled out: `serve` reads on several connections, yet a reviewer who saves or
/// submits and follows the redirect at once sees their own words, every time, while three
/// other reviewers do the same at the same moment.
fn reads_own_writes(backend: Backend) {
    let names = ["Ann", "Bo", "Cy", "Di"];
    let (fixture, _database) = Fixture::on(backend, 1, &names);
    let scratch = tempdir();
    fixture.submit(0, &example("strong", None, scratch.path()));
    cli_ok(fixture.root(), &["assign", "churn", "--reviewers", "4"]);
    let server = Server::start(fixture.root(), &["--no-worker"]);
    let pseudonym = &fixture.candidates[0].0;
    let follow = |reply: &support::web::Reply| {
        assert_eq!(reply.status, 303, "{}", reply.text());
        let location = reply.header("location").expect("a redirect names where");
        get(&server.url(location)).text()
    };
    std::thread::scope(|threads| {
        for (name, token) in &fixture.reviewers {
            let review = server.url(&format!("/r/{token}/review/{pseudonym}"));
            threads.spawn(move || {
                let csrf = csrf_of(&get(&review).text());
                for round in 0..25 {
                    let words = format!("{name}-draft-{round}");
                    let fields = rubric_fields("3", &words, "yes");
                    let page = follow(&post_form(
                        &review,
                        &with_csrf(&csrf, &fields, "save"),
                        None,
                    ));
                    assert!(page.contains(&words), "{name}'s save {round} not read back");
                }
                let words = format!("{name}-final");
                let fields = rubric_fields("3", &words, "yes");
                let page = follow(&post_form(
                    &review,
                    &with_csrf(&csrf, &fields, "submit"),
                    None,
                ));
                assert!(
                    page.contains("You submitted") && page.contains(&words),
                    "{name}: {page}"
                );
            });
        }
    });
    let export = cli_ok(fixture.root(), &["export", "churn", "--format", "json"]);
    let rows: serde_json::Value = serde_json::from_str(&export).unwrap();
    assert_eq!(rows[0]["reviews_submitted"], names.len());
}

/// Two candidates (the first has handed in), two reviewers assigned, a third unassigned.
fn graded_fixture() -> (Fixture, Server) {
    let fixture = Fixture::new(2, &["Ann", "Bo", "Cy"]);
    let scratch = tempdir();
    fixture.submit(0, &example("strong", None, scratch.path()));
    let root = fixture.root();
    cli_ok(
        root,
        &["reviewer", "conflict", "Cy", &fixture.candidates[0].0],
    );
    let out = cli_ok(root, &["assign", "churn", "--reviewers", "2"]);
    assert!(out.contains("Ann, Bo") || out.contains("Bo, Ann"), "{out}");
    let server = Server::start(root, &["--no-worker"]);
    (fixture, server)
}

#[test]
fn wrong_missing_or_misplaced_tokens_get_404() {
    let (fixture, server) = graded_fixture();
    let (_, candidate) = &fixture.candidates[0];
    let (_, reviewer) = &fixture.reviewers[0];
    let made_up = "ab".repeat(32);
    for path in [
        format!("/c/{made_up}"),
        format!("/c/{made_up}/bundle"),
        "/c/".to_string(),
        "/c/short".to_string(),
        format!("/c/{}", made_up.to_uppercase()),
        format!("/r/{made_up}"),
        format!("/r/{made_up}/overview/churn"),
        // A candidate's token is not a reviewer's, and the other way round.
        format!("/r/{candidate}"),
        format!("/c/{reviewer}"),
        format!("/r/{reviewer}/overview/no-such-assignment"),
        format!("/r/{reviewer}/export/churn.xml"),
        "/admin".to_string(),
    ] {
        let reply = get(&server.url(&path));
        assert_eq!(reply.status, 404, "{path}: {}", reply.text());
        assert!(
            !reply.text().contains(&fixture.candidates[0].0),
            "{path} leaks a pseudonym"
        );
    }
    assert_eq!(get(&server.url(&format!("/c/{candidate}"))).status, 200);
    assert_eq!(get(&server.url(&format!("/r/{reviewer}"))).status, 200);
}

#[test]
fn a_candidate_sees_only_their_own_things() {
    let (fixture, server) = graded_fixture();
    let (mine, token) = &fixture.candidates[0];
    let (other, other_token) = &fixture.candidates[1];
    let page = get(&server.url(&format!("/c/{token}"))).text();
    assert!(page.contains(mine));
    assert!(
        !page.contains(other),
        "another candidate's pseudonym on the page"
    );
    assert!(!page.contains(other_token));
    // The bundle is this candidate's, an attachment, and holds nothing hidden.
    let bundle = get(&server.url(&format!("/c/{token}/bundle")));
    assert_eq!(bundle.status, 200);
    assert_eq!(bundle.header("content-type"), Some("application/zip"));
    assert!(
        bundle
            .header("content-disposition")
            .unwrap()
            .starts_with("attachment")
    );
    assert_eq!(bundle.header("x-content-type-options"), Some("nosniff"));
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bundle.body)).unwrap();
    let names: Vec<String> = (0..zip.len())
        .map(|i| zip.by_index(i).unwrap().name().unwrap().to_string())
        .collect();
    assert!(
        names
            .iter()
            .all(|n| n.starts_with(&format!("churn-{mine}/"))),
        "{names:?}"
    );
    assert!(!names.iter().any(|n| n.contains("hidden")), "{names:?}");
    // The other candidate's bundle differs (their own pseudonym) and needs their token.
    let theirs = get(&server.url(&format!("/c/{other_token}/bundle")));
    assert_ne!(
        theirs.body,
        get(&server.url(&format!("/c/{token}/bundle"))).body
    );
    // Nothing of the reviewers' side opens with a candidate token.
    for path in [
        "",
        "/review/",
        "/packet/",
        "/overview/churn",
        "/export/churn.csv",
    ] {
        let path = if path.ends_with('/') {
            format!("/r/{token}{path}{mine}")
        } else {
            format!("/r/{token}{path}")
        };
        assert_eq!(get(&server.url(&path)).status, 404, "{path}");
    }
}

#[test]
fn reviews_stay_hidden_until_the_reviewer_has_submitted() {
    let (fixture, server) = graded_fixture();
    let pseudonym = &fixture.candidates[0].0;
    let (ann, bo) = (&fixture.reviewers[0].1, &fixture.reviewers[1].1);
    let review = |token: &str| server.url(&format!("/r/{token}/review/{pseudonym}"));

    // Ann saves a draft: Bo never sees a draft.
    let ann_csrf = csrf_of(&get(&review(ann)).text());
    let draft = rubric_fields("4", "ann-draft-secret", "strong yes");
    let saved = post_form(&review(ann), &with_csrf(&ann_csrf, &draft, "save"), None);
    assert_eq!(saved.status, 303, "{}", saved.text());
    assert!(get(&review(ann)).text().contains("ann-draft-secret"));
    assert!(!get(&review(bo)).text().contains("ann-draft-secret"));

    // Bo submits; Ann's draft is still not shown to him, and his scores are not shown to Ann.
    let bo_csrf = csrf_of(&get(&review(bo)).text());
    let bo_fields = rubric_fields("1", "bo-submitted-view", "no");
    let submitted = post_form(
        &review(bo),
        &with_csrf(&bo_csrf, &bo_fields, "submit"),
        None,
    );
    assert_eq!(submitted.status, 303, "{}", submitted.text());
    let bo_page = get(&review(bo)).text();
    assert!(bo_page.contains("id=\"comparison\""));
    assert!(bo_page.contains("bo-submitted-view"));
    assert!(!bo_page.contains("ann-draft-secret"));
    let ann_page = get(&review(ann)).text();
    assert!(
        !ann_page.contains("bo-submitted-view"),
        "Ann sees Bo's scores before submitting"
    );
    assert!(!ann_page.contains("id=\"comparison\""));
    // The overview withholds the totals from Ann too, and the export likewise.
    let overview = get(&server.url(&format!("/r/{ann}/overview/churn"))).text();
    assert!(overview.contains("after your review"), "{overview}");
    let export = get(&server.url(&format!("/r/{ann}/export/churn.json"))).text();
    let rows: serde_json::Value = serde_json::from_str(&export).unwrap();
    assert_eq!(rows[0]["withheld"], true);
    assert!(rows[0]["weighted_total"].is_null());
    assert_eq!(rows[0]["recommendations"], serde_json::json!([]));

    // Ann submits: now both see both, with the two-level disagreement flagged.
    let ann_fields = rubric_fields("4", "ann-final", "strong yes");
    let done = post_form(
        &review(ann),
        &with_csrf(&ann_csrf, &ann_fields, "submit"),
        None,
    );
    assert_eq!(done.status, 303);
    let ann_page = get(&review(ann)).text();
    for seen in ["bo-submitted-view", "ann-final", "disagree", "4.00", "1.00"] {
        assert!(ann_page.contains(seen), "missing {seen}");
    }
    // A submitted review is fixed.
    let again = post_form(
        &review(ann),
        &with_csrf(&ann_csrf, &bo_fields, "submit"),
        None,
    );
    assert_eq!(again.status, 400);
    assert!(get(&review(ann)).text().contains("ann-final"));
    let export = cli_ok(fixture.root(), &["export", "churn", "--format", "json"]);
    let rows: serde_json::Value = serde_json::from_str(&export).unwrap();
    assert_eq!(rows[0]["reviews_submitted"], 2);
    assert_eq!(rows[0]["weighted_total"], 2.5);
    assert_eq!(rows[0]["disagreements"].as_array().unwrap().len(), 5);
}

#[test]
fn an_incomplete_submit_is_kept_as_a_draft_with_what_is_missing() {
    let (fixture, server) = graded_fixture();
    let pseudonym = &fixture.candidates[0].0;
    let ann = &fixture.reviewers[0].1;
    let url = server.url(&format!("/r/{ann}/review/{pseudonym}"));
    let csrf = csrf_of(&get(&url).text());
    let fields = vec![("level.framing".to_string(), "3".to_string())];
    let reply = post_form(&url, &with_csrf(&csrf, &fields, "submit"), None);
    assert_eq!(reply.status, 422);
    let page = reply.text();
    assert!(page.contains("Problem framing: write a comment"), "{page}");
    assert!(page.contains("choose an overall recommendation"));
    // Nothing entered was lost: the level is kept in the draft.
    assert!(get(&url).text().contains("value=\"3\" checked"));
}

#[test]
fn a_reviewer_reaches_only_assigned_candidates() {
    let (fixture, server) = graded_fixture();
    let pseudonym = &fixture.candidates[0].0;
    // Cy is conflicted with the candidate, so not assigned: every page of theirs is a 404.
    let cy = &fixture.reviewers[2].1;
    let queue = get(&server.url(&format!("/r/{cy}"))).text();
    assert!(
        !queue.contains(pseudonym.as_str()),
        "a conflicted reviewer got the candidate"
    );
    // Once the second candidate hands in, Cy (least loaded, not conflicted) reviews them:
    // that page gives Cy a valid CSRF token, which still opens nothing of the first.
    let scratch = tempdir();
    fixture.submit(1, &example("strong", None, scratch.path()));
    cli_ok(fixture.root(), &["assign", "churn", "--reviewers", "2"]);
    let other = &fixture.candidates[1].0;
    let cy_page = get(&server.url(&format!("/r/{cy}/review/{other}")));
    assert_eq!(cy_page.status, 200);
    let cy_csrf = csrf_of(&cy_page.text());
    for path in ["review", "packet"] {
        let reply = get(&server.url(&format!("/r/{cy}/{path}/{pseudonym}")));
        assert_eq!(reply.status, 404, "{path}");
    }
    let fields = rubric_fields("2", "cy", "no");
    let posted = post_form(
        &server.url(&format!("/r/{cy}/review/{pseudonym}")),
        &with_csrf(&cy_csrf, &fields, "submit"),
        None,
    );
    assert_eq!(posted.status, 404);
    let comment = server.url(&format!("/r/{cy}/comment/{pseudonym}"));
    let body = [
        ("csrf", cy_csrf.as_str()),
        ("path", "main.py"),
        ("line", "1"),
        ("body", "x"),
    ];
    assert_eq!(post_form(&comment, &body, None).status, 404);
    let ann = &fixture.reviewers[0].1;
    assert_eq!(
        get(&server.url(&format!("/r/{ann}/review/{pseudonym}"))).status,
        200
    );
}

#[test]
fn forms_without_a_valid_csrf_token_are_refused() {
    let (fixture, server) = graded_fixture();
    let pseudonym = &fixture.candidates[0].0;
    let (ann, bo) = (&fixture.reviewers[0].1, &fixture.reviewers[1].1);
    let url = server.url(&format!("/r/{ann}/review/{pseudonym}"));
    let ann_csrf = csrf_of(&get(&url).text());
    let bo_csrf = csrf_of(&get(&server.url(&format!("/r/{bo}/review/{pseudonym}"))).text());
    assert_ne!(ann_csrf, bo_csrf, "CSRF tokens are bound to the link");
    let fields = rubric_fields("3", "forged", "yes");
    let fields: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let mut without = vec![("action", "submit")];
    without.extend(fields.iter().copied());
    assert_eq!(post_form(&url, &without, None).status, 403);
    for wrong in ["", "0", bo_csrf.as_str(), &"f".repeat(64)] {
        let mut forged = vec![("csrf", wrong), ("action", "submit")];
        forged.extend(fields.iter().copied());
        assert_eq!(post_form(&url, &forged, None).status, 403, "csrf {wrong:?}");
    }
    // The right token from another site's page is refused by its Origin.
    let mut cross = vec![("csrf", ann_csrf.as_str()), ("action", "submit")];
    cross.extend(fields.iter().copied());
    assert_eq!(
        post_form(&url, &cross, Some("https://evil.example")).status,
        403
    );
    assert!(
        !get(&url).text().contains("forged"),
        "a refused form changed something"
    );
    // Line comments too.
    let comment = server.url(&format!("/r/{ann}/comment/{pseudonym}"));
    let body = [
        ("path", "main.py"),
        ("line", "1"),
        ("body", "forged comment"),
    ];
    assert_eq!(post_form(&comment, &body, None).status, 403);
    // And uploads: the file is never stored.
    let (candidate, token) = &fixture.candidates[1];
    let scratch = tempdir();
    let zip = zip_folder(&example("strong", None, scratch.path()));
    let upload = server.url(&format!("/c/{token}/upload"));
    let reply = post_multipart(&upload, &[Part::File("archive", "s.zip", &zip)]);
    assert_eq!(reply.status, 403);
    let reply = post_multipart(
        &upload,
        &[
            Part::Text("csrf", &ann_csrf),
            Part::File("archive", "s.zip", &zip),
        ],
    );
    assert_eq!(
        reply.status, 403,
        "a reviewer's CSRF token works for a candidate"
    );
    // The file before the CSRF field: refused before a byte is written.
    let page = get(&server.url(&format!("/c/{token}"))).text();
    let csrf = csrf_of(&page);
    let reply = post_multipart(
        &upload,
        &[
            Part::File("archive", "s.zip", &zip),
            Part::Text("csrf", &csrf),
        ],
    );
    assert_eq!(reply.status, 403);
    assert_eq!(versions(fixture.root(), candidate), 0);
    assert_eq!(scratch_files(fixture.root()), 0);
}

#[test]
fn an_upload_over_the_cap_is_413_and_leaves_nothing() {
    let fixture = Fixture::new(1, &[]);
    let server = Server::start(fixture.root(), &["--no-worker", "--max-upload", "100KiB"]);
    let (candidate, token) = &fixture.candidates[0];
    let url = server.url(&format!("/c/{token}/upload"));
    let csrf = csrf_of(&get(&server.url(&format!("/c/{token}"))).text());
    // Far over the cap: the rest is read and thrown away, so the client, still sending,
    // gets the 413 (not a reset connection).
    let big = vec![7u8; 8 << 20];
    let reply = post_multipart(
        &url,
        &[
            Part::Text("csrf", &csrf),
            Part::File("archive", "a.zip", &big),
        ],
    );
    assert_eq!(reply.status, 413, "{}", reply.text());
    assert!(reply.text().contains("100KiB"), "{}", reply.text());
    // Just over the cap.
    let over = vec![7u8; 130 * 1024];
    let reply = post_multipart(
        &url,
        &[
            Part::Text("csrf", &csrf),
            Part::File("archive", "a.zip", &over),
        ],
    );
    assert_eq!(reply.status, 413, "{}", reply.text());
    assert_eq!(versions(fixture.root(), candidate), 0);
    assert_eq!(
        scratch_files(fixture.root()),
        0,
        "the partial upload was left behind"
    );
    // Under the cap, garbage is refused by intake with the reason, and nothing is stored.
    let reply = post_multipart(
        &url,
        &[
            Part::Text("csrf", &csrf),
            Part::File("archive", "a.zip", b"not an archive at all"),
        ],
    );
    assert_eq!(reply.status, 422);
    assert!(
        reply.text().contains("neither zip nor gzip"),
        "{}",
        reply.text()
    );
    assert_eq!(versions(fixture.root(), candidate), 0);
    assert_eq!(scratch_files(fixture.root()), 0);
}

#[test]
fn hostile_form_values_get_a_clear_400_and_change_nothing() {
    let (fixture, server) = graded_fixture();
    let pseudonym = &fixture.candidates[0].0;
    let ann = &fixture.reviewers[0].1;
    let url = server.url(&format!("/r/{ann}/review/{pseudonym}"));
    let csrf = csrf_of(&get(&url).text());
    for (name, value) in [
        ("level.framing", "9"),
        ("level.framing", "-1"),
        ("level.framing", "three"),
        ("level.no-such-criterion", "2"),
        ("recommendation", "maybe"),
        ("comment.framing", &"x".repeat(20_001)),
    ] {
        let reply = post_form(
            &url,
            &[("csrf", &csrf), ("action", "save"), (name, value)],
            None,
        );
        assert_eq!(reply.status, 400, "{name}={value:.20}");
    }
    assert!(
        get(&url).text().contains("Not started"),
        "a refused form saved a draft"
    );
    let comment = server.url(&format!("/r/{ann}/comment/{pseudonym}"));
    for (path, line) in [
        ("main.py", "0"),
        ("main.py", "100000"),
        ("../etc/passwd", "1"),
        ("main.py", "x"),
    ] {
        let reply = post_form(
            &comment,
            &[
                ("csrf", &csrf),
                ("path", path),
                ("line", line),
                ("body", "hm"),
            ],
            None,
        );
        assert_eq!(reply.status, 400, "{path}:{line}");
    }
    let reply = post_form(
        &comment,
        &[
            ("csrf", &csrf),
            ("path", "main.py"),
            ("line", "2"),
            ("body", "why this import?"),
        ],
        None,
    );
    assert_eq!(reply.status, 303);
    let page = get(&url).text();
    assert!(
        page.contains("main.py:2") && page.contains("why this import?"),
        "{page}"
    );
    // Line comments of others appear only after submitting, like scores.
    let bo = &fixture.reviewers[1].1;
    assert!(
        !get(&server.url(&format!("/r/{bo}/review/{pseudonym}")))
            .text()
            .contains("why this import?")
    );
}

#[test]
fn pages_carry_strict_security_headers() {
    let (fixture, server) = graded_fixture();
    let pseudonym = &fixture.candidates[0].0;
    let ann = &fixture.reviewers[0].1;
    let candidate = &fixture.candidates[0].1;
    for path in [
        format!("/c/{candidate}"),
        format!("/r/{ann}"),
        format!("/r/{ann}/review/{pseudonym}"),
        "/nope".into(),
    ] {
        let reply = get(&server.url(&path));
        let csp = reply
            .header("content-security-policy")
            .unwrap_or_default()
            .to_string();
        assert!(
            csp.contains("default-src 'none'") && !csp.contains("script-src"),
            "{path}: {csp}"
        );
        assert_eq!(
            reply.header("x-content-type-options"),
            Some("nosniff"),
            "{path}"
        );
        assert_eq!(
            reply.header("referrer-policy"),
            Some("same-origin"),
            "{path}"
        );
        assert_eq!(reply.header("cache-control"), Some("no-store"), "{path}");
    }
    let packet = get(&server.url(&format!("/r/{ann}/packet/{pseudonym}")));
    assert_eq!(packet.status, 200);
    let csp = packet.header("content-security-policy").unwrap();
    assert!(csp.starts_with("sandbox;"), "{csp}");
}

#[test]
fn a_relinked_reviewer_loses_the_old_link_and_names_are_unique() {
    let fixture = Fixture::new(0, &["Ann"]);
    let server = Server::start(fixture.root(), &["--no-worker"]);
    let old = &fixture.reviewers[0].1;
    assert_eq!(get(&server.url(&format!("/r/{old}"))).status, 200);
    let out = cli_ok(fixture.root(), &["reviewer", "relink", "Ann"]);
    let new = support::web::link_token(&out, "/r/");
    assert_eq!(get(&server.url(&format!("/r/{old}"))).status, 404);
    assert_eq!(get(&server.url(&format!("/r/{new}"))).status, 200);
    let again = support::cli(fixture.root(), &["reviewer", "add", "Ann"]);
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("reviewer relink"));
    let unknown = support::cli(
        fixture.root(),
        &["reviewer", "conflict", "Nobody", "C-XXXX"],
    );
    assert_eq!(unknown.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("takehome reviewer list"));
}
