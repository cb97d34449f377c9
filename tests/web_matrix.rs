//! The access matrix of `takehome serve`: every route of the route table × every role ×
//! every method, over real HTTP against a real server. The allowed cells answer; every other
//! cell is the same plain 404. Generated from `takehome::server::ROUTES`, so a new route is
//! checked as soon as it exists (and a new placeholder or POST form fails here until the
//! test knows how to fill it).

mod support;

use std::collections::BTreeMap;

use support::web::{Fixture, Part, Reply, Server, csrf_of, example, get, rubric_fields};
use support::{cli_ok, tempdir};
use takehome::server::{ROUTES, Verb, Who};

const METHODS: &[&str] = &["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

/// Who asks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    NoToken,
    /// A real link with one character changed.
    Tampered,
    CandidateA,
    CandidateB,
    /// Assigned to A, review saved as a draft.
    ReviewerDrafting,
    /// Assigned to A, review submitted.
    ReviewerSubmitted,
    /// Conflicted with A (so never assigned to A), assigned to B.
    ReviewerConflicted,
    Lead,
}

const ROLES: &[Role] = &[
    Role::NoToken,
    Role::Tampered,
    Role::CandidateA,
    Role::CandidateB,
    Role::ReviewerDrafting,
    Role::ReviewerSubmitted,
    Role::ReviewerConflicted,
    Role::Lead,
];

struct World {
    fixture: Fixture,
    server: Server,
    /// Each role's token and the CSRF token of its forms.
    tokens: BTreeMap<&'static str, (String, String)>,
}

fn key(role: Role) -> &'static str {
    match role {
        Role::NoToken => "none",
        Role::Tampered => "tampered",
        Role::CandidateA => "candidate A",
        Role::CandidateB => "candidate B",
        Role::ReviewerDrafting => "reviewer (draft)",
        Role::ReviewerSubmitted => "reviewer (submitted)",
        Role::ReviewerConflicted => "reviewer (conflict with A)",
        Role::Lead => "lead",
    }
}

fn tamper(token: &str) -> String {
    let mut bytes = token.as_bytes().to_vec();
    bytes[10] = if bytes[10] == b'a' { b'b' } else { b'a' };
    String::from_utf8(bytes).unwrap()
}

/// A (churn, strong) and B (churn, strong) have handed in; Rita and Sam review A (Sam has
/// submitted, Rita has a draft); Kim has a conflict with A and reviews B; Lee is a lead.
fn world() -> World {
    let fixture = Fixture::new(2, &["Rita", "Sam", "Kim"]);
    let root = fixture.root();
    let scratch = tempdir();
    let (a, b) = (
        fixture.candidates[0].0.clone(),
        fixture.candidates[1].0.clone(),
    );
    fixture.submit(0, &example("strong", None, scratch.path()));
    cli_ok(root, &["reviewer", "conflict", "Kim", &a]);
    let out = cli_ok(root, &["assign", "churn", "--reviewers", "2"]);
    assert!(
        out.contains("Rita, Sam") || out.contains("Sam, Rita"),
        "{out}"
    );
    fixture.submit(1, &example("overclaiming", None, scratch.path()));
    let out = cli_ok(root, &["assign", "churn", "--reviewers", "1"]);
    assert!(out.contains("Kim"), "{out}");
    let lead = support::web::link_token(&cli_ok(root, &["lead", "add", "Lee"]), "/l/");
    let server = Server::start(root, &["--no-worker"]);
    let review_csrf = |token: &str, pseudonym: &str| {
        csrf_of(&get(&server.url(&format!("/r/{token}/review/{pseudonym}"))).text())
    };
    let (rita, sam, kim) = (
        fixture.reviewers[0].1.clone(),
        fixture.reviewers[1].1.clone(),
        fixture.reviewers[2].1.clone(),
    );
    let mut tokens = BTreeMap::new();
    for (i, role) in [Role::CandidateA, Role::CandidateB].into_iter().enumerate() {
        let token = &fixture.candidates[i].1;
        let csrf = csrf_of(&get(&server.url(&format!("/c/{token}"))).text());
        tokens.insert(key(role), (token.clone(), csrf));
    }
    tokens.insert(
        key(Role::ReviewerDrafting),
        (rita.clone(), review_csrf(&rita, &a)),
    );
    tokens.insert(
        key(Role::ReviewerSubmitted),
        (sam.clone(), review_csrf(&sam, &a)),
    );
    tokens.insert(
        key(Role::ReviewerConflicted),
        (kim.clone(), review_csrf(&kim, &b)),
    );
    tokens.insert(key(Role::Lead), (lead, "0".repeat(64)));
    let world = World {
        fixture,
        server,
        tokens,
    };
    // Sam submits his review of A, Rita saves a draft.
    let submit = world.request(
        "POST",
        &format!("/r/{sam}/review/{a}"),
        &review_form(&world, Role::ReviewerSubmitted, "submit"),
    );
    assert_eq!(submit.status, 303, "{}", submit.text());
    let draft = world.request(
        "POST",
        &format!("/r/{rita}/review/{a}"),
        &review_form(&world, Role::ReviewerDrafting, "save"),
    );
    assert_eq!(draft.status, 303, "{}", draft.text());
    world
}

fn review_form(world: &World, role: Role, action: &str) -> Body {
    let mut fields = vec![
        ("csrf".to_string(), world.csrf(role)),
        ("action".to_string(), action.to_string()),
    ];
    fields.extend(rubric_fields("3", "matrix", "yes"));
    Body::Form(fields)
}

impl World {
    fn token(&self, role: Role, path: &str) -> String {
        match role {
            Role::NoToken => String::new(),
            Role::Tampered => {
                let holder = match &path[..3] {
                    "/c/" => Role::CandidateA,
                    "/l/" => Role::Lead,
                    _ => Role::ReviewerDrafting,
                };
                tamper(&self.token(holder, path))
            }
            _ => self.tokens[key(role)].0.clone(),
        }
    }

    fn csrf(&self, role: Role) -> String {
        self.tokens
            .get(key(role))
            .map_or_else(|| "0".repeat(64), |(_, csrf)| csrf.clone())
    }

    fn request(&self, method: &str, path: &str, body: &Body) -> Reply {
        support::web::request(method, &self.server.url(path), body)
    }
}

/// A request body.
use support::web::Body;

/// Whether `role` may use a route with rule `who`, asked about candidate `pseudonym`.
fn allowed(world: &World, who: Who, role: Role, pseudonym: Option<&str>) -> bool {
    let a = world.fixture.candidates[0].0.as_str();
    let b = world.fixture.candidates[1].0.as_str();
    match who {
        Who::Anyone => true,
        Who::Candidate => matches!(role, Role::CandidateA | Role::CandidateB),
        Who::Reviewer => matches!(
            role,
            Role::ReviewerDrafting | Role::ReviewerSubmitted | Role::ReviewerConflicted
        ),
        Who::AssignedReviewer => match role {
            Role::ReviewerDrafting | Role::ReviewerSubmitted => pseudonym == Some(a),
            Role::ReviewerConflicted => pseudonym == Some(b),
            _ => false,
        },
        Who::SubmittedReviewer => role == Role::ReviewerSubmitted && pseudonym == Some(a),
        Who::Lead => role == Role::Lead,
    }
}

/// Whether a route of `verb` answers `method` (GET routes answer HEAD too).
fn answers(verb: Verb, method: &str) -> bool {
    method == verb.as_str() || (verb == Verb::Get && method == "HEAD")
}

/// `template` with its placeholders filled; panics on one the matrix does not know.
fn fill(world: &World, template: &str, role: Role, pseudonym: Option<&str>) -> String {
    let (a, b) = (
        &world.fixture.candidates[0].0,
        &world.fixture.candidates[1].0,
    );
    let mut path = String::new();
    for segment in template.split('/').skip(1) {
        path.push('/');
        path.push_str(&match segment {
            "{token}" => world.token(role, template),
            "{pseudonym}" => pseudonym.expect("a pseudonym").to_string(),
            "{assignment}" => "churn".to_string(),
            "{file}" => "churn.json".to_string(),
            "{left}" => a.clone(),
            "{right}" => b.clone(),
            other if other.starts_with('{') => {
                panic!("the access matrix has no value for {other} in {template}: add one")
            }
            literal => literal.to_string(),
        });
    }
    path
}

/// What a POST (or PUT, PATCH) to `template` carries: the form the page would send.
fn body(world: &World, template: &str, role: Role, method: &str) -> Body {
    if !matches!(method, "POST" | "PUT" | "PATCH") {
        return Body::Empty;
    }
    let csrf = world.csrf(role);
    let has_post = ROUTES
        .iter()
        .any(|r| r.path == template && r.verb == Verb::Post);
    match template {
        "/c/{token}/upload" => Body::multipart(&[
            Part::Text("csrf", &csrf),
            Part::File("archive", "x.zip", b"not an archive"),
        ]),
        "/r/{token}/review/{pseudonym}" => Body::Form(vec![
            ("csrf".into(), csrf),
            ("action".into(), "save".into()),
            ("level.framing".into(), "2".into()),
        ]),
        "/r/{token}/comment/{pseudonym}" => Body::Form(vec![
            ("csrf".into(), csrf),
            ("path".into(), "main.py".into()),
            ("line".into(), "1".into()),
            ("body".into(), "a matrix comment".into()),
        ]),
        _ if has_post => panic!("the access matrix has no form for POST {template}: add one"),
        _ => Body::Form(vec![("csrf".into(), csrf)]),
    }
}

/// The status of an allowed request.
fn answer(template: &str, role: Role, method: &str) -> u16 {
    match (method, template) {
        ("GET" | "HEAD", _) => 200,
        // Not an archive: refused by intake, shown with the reasons.
        (_, "/c/{token}/upload") => 422,
        // A submitted review is final.
        (_, "/r/{token}/review/{pseudonym}") if role == Role::ReviewerSubmitted => 400,
        (_, "/r/{token}/review/{pseudonym}" | "/r/{token}/comment/{pseudonym}") => 303,
        _ => panic!("the access matrix does not know what {method} {template} answers: add it"),
    }
}

#[test]
fn every_route_answers_its_holders_and_is_404_to_everyone_else() {
    let world = world();
    let a = world.fixture.candidates[0].0.clone();
    let b = world.fixture.candidates[1].0.clone();
    let not_found = world.request("GET", "/no/such/page", &Body::Empty);
    assert_eq!(not_found.status, 404);
    let templates: std::collections::BTreeSet<&str> = ROUTES.iter().map(|r| r.path).collect();
    let (mut cells, mut open) = (0, 0);
    let mut wrong = Vec::new();
    for template in templates {
        let pseudonyms = if template.contains("{pseudonym}") {
            vec![Some(a.as_str()), Some(b.as_str())]
        } else {
            vec![None]
        };
        for pseudonym in pseudonyms {
            for &role in ROLES {
                let path = fill(&world, template, role, pseudonym);
                for &method in METHODS {
                    let route = ROUTES
                        .iter()
                        .find(|r| r.path == template && answers(r.verb, method));
                    let allowed = route.is_some_and(|r| allowed(&world, r.who, role, pseudonym));
                    let expected = if allowed {
                        answer(template, role, method)
                    } else {
                        404
                    };
                    let reply = world.request(method, &path, &body(&world, template, role, method));
                    cells += 1;
                    open += usize::from(allowed);
                    let cell = format!("{method} {template} as {} ({:?})", key(role), pseudonym);
                    if reply.status != expected {
                        wrong.push(format!("{cell}: {} instead of {expected}", reply.status));
                    } else if expected == 404 && method != "HEAD" && reply.body != not_found.body {
                        wrong.push(format!("{cell}: a 404 that differs from an unknown page's"));
                    }
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {cells} cells are wrong:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    eprintln!("{cells} cells checked, {open} of them open");
}

/// A reviewer with a conflict sees nothing of the other reviews of that candidate: not in
/// the overview, not in the export (the hole the matrix found).
#[test]
fn a_conflicted_reviewer_never_sees_the_reviews_of_that_candidate() {
    let world = world();
    let a = &world.fixture.candidates[0].0;
    let kim = world.token(Role::ReviewerConflicted, "/r/");
    let export = world.request("GET", &format!("/r/{kim}/export/churn.json"), &Body::Empty);
    let rows: serde_json::Value = serde_json::from_slice(&export.body).unwrap();
    let row = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["pseudonym"] == a.as_str())
        .unwrap_or_else(|| panic!("no row for {a}: {rows:#}"));
    assert_eq!(row["withheld"], true, "{row:#}");
    assert!(row["weighted_total"].is_null(), "{row:#}");
    let overview = world
        .request("GET", &format!("/r/{kim}/overview/churn"), &Body::Empty)
        .text();
    assert!(
        !overview.contains("3.00"),
        "a total on Kim's overview: {overview}"
    );
    // Sam, who submitted, does see his own and the totals.
    let sam = world.token(Role::ReviewerSubmitted, "/r/");
    let export = world.request("GET", &format!("/r/{sam}/export/churn.json"), &Body::Empty);
    let rows: serde_json::Value = serde_json::from_slice(&export.body).unwrap();
    let row = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["pseudonym"] == a.as_str())
        .unwrap();
    assert_eq!(row["withheld"], false, "{row:#}");
}

/// The server keeps collected packets, but a new run of the submission shows at once.
#[test]
fn a_kept_packet_follows_a_new_run() {
    let world = world();
    let a = &world.fixture.candidates[0].0;
    let rita = world.token(Role::ReviewerDrafting, "/r/");
    let frame = format!("/r/{rita}/packet/{a}");
    let before = world.request("GET", &frame, &Body::Empty).text();
    assert!(
        !before.contains("<th>Fuel used</th>"),
        "run shown before any run"
    );
    assert_eq!(world.request("GET", &frame, &Body::Empty).text(), before);
    cli_ok(world.fixture.root(), &["evaluate", a, "--jobs", "1"]);
    let after = world.request("GET", &frame, &Body::Empty).text();
    assert!(
        after.contains("<th>Fuel used</th>"),
        "the new run is not shown"
    );
    assert!(after.contains("roc_auc"), "the new score is not shown");
}
