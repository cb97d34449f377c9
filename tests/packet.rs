//! Blind review packets through the CLI: content, blindness, inert candidate HTML, the index.
//! Needs the Python runner (`.ci/run`).

mod support;

use std::path::{Path, PathBuf};

use serde_json::Value;
use support::{cli_ok as ok, repo};

const CSP: &str = "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src data:; style-src 'unsafe-inline'\">";

fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    ok(dir.path(), &["init", "."]);
    ok(
        dir.path(),
        &[
            "assignment",
            "add",
            repo("assignments/churn").to_str().unwrap(),
        ],
    );
    dir
}

/// Issues churn to `candidate` and submits `folder`; returns the pseudonym.
fn submit(root: &Path, candidate: &str, folder: &Path) -> String {
    let out = ok(root, &["issue", "churn", "--candidate", candidate]);
    let pseudonym = support::issued_pseudonym(&out);
    ok(root, &["submit", &pseudonym, folder.to_str().unwrap()]);
    pseudonym
}

fn read(path: PathBuf) -> String {
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A small valid submission whose report is `report`.
fn simple_submission(report: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("main.py"),
        "import pandas as pd\n\
         test = pd.read_csv('data/test.csv')\n\
         pd.DataFrame({'customer_id': test['customer_id'], 'churn_probability': 0.5}).to_csv('out/predictions.csv', index=False)\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("REPORT.md"), report).unwrap();
    std::fs::write(
        dir.path().join("submission.toml"),
        "runner = \"python\"\nentry = \"main.py\"\nreport = \"REPORT.md\"\n",
    )
    .unwrap();
    dir
}

#[test]
fn packet_shows_report_code_run_score_claims_and_rubric_blind() {
    let dir = workspace();
    let root = dir.path();
    let (name, email) = ("Zebulon Quaxworth", "zq.secret@example.org");
    let pseudonym = submit(
        root,
        &format!("{name} <{email}>"),
        &repo("assignments/churn/examples/strong"),
    );
    ok(root, &["evaluate", &pseudonym]);
    let out = root.join("review");
    ok(
        root,
        &["packet", &pseudonym, "--out", out.to_str().unwrap()],
    );
    let html = read(out.join(format!("{pseudonym}-1.html")));
    let json_text = read(out.join(format!("{pseudonym}-1.json")));
    let json: Value = serde_json::from_str(&json_text).unwrap();

    for text in [&html, &json_text] {
        assert!(!text.contains(name) && !text.contains("Zebulon") && !text.contains("Quaxworth"));
        assert!(!text.contains(email) && !text.contains("zq.secret"));
    }
    assert!(html.contains(&pseudonym));
    assert!(html.contains(CSP));
    assert!(!html.contains("<script"));
    // Score and claims.
    let run = &json["run"];
    assert_eq!(run["verdict"], "ok", "{run:#}");
    let value = run["score"]["value"].as_f64().expect("a score");
    assert!(html.contains(&format!("{value:.4}")), "metric value shown");
    assert!(html.contains("roc_auc"));
    assert_eq!(run["claims"][0]["status"], "verified");
    assert!(html.contains(">verified<"));
    assert!(html.contains("0.8610"), "claimed value shown");
    // Report rendered, with its structure.
    assert!(html.contains("<h2>") || html.contains("<h1>"));
    assert!(html.contains("Problem statement"));
    // Code with line numbers.
    assert!(html.contains("main.py"));
    assert!(html.contains("<td class=\"n\">1</td>"));
    assert!(html.contains("def "), "main.py lines shown");
    // Outputs: the image embedded, predictions as a table.
    assert!(html.contains("out/feature_importance.png"));
    let img = html
        .split("<img class=\"output\"")
        .nth(1)
        .expect("an embedded image")
        .split('>')
        .next()
        .unwrap();
    assert!(img.contains("feature_importance.png"), "{img:.200}");
    assert!(
        img.contains("src=\"data:image/png;base64,iVBORw0KGgo"),
        "{img:.200}"
    );
    assert!(html.contains("<th>customer_id</th>"));
    assert!(html.contains("50 of "), "first 50 rows of predictions.csv");
    // Run summary.
    assert!(html.contains("Fuel used") && html.contains("Peak memory"));
    assert!(html.contains("Not rerun yet."));
    // Rubric.
    let manifest = read(repo("assignments/churn/assignment.toml"));
    let titles: Vec<&str> = manifest
        .lines()
        .filter_map(|l| l.strip_prefix("title = \""))
        .filter_map(|l| l.strip_suffix('"'))
        .skip(1)
        .collect();
    assert!(!titles.is_empty());
    for title in &titles {
        assert!(html.contains(title), "rubric criterion {title}");
    }
    assert_eq!(json["rubric"].as_array().unwrap().len(), titles.len());
    assert_eq!(json["pseudonym"], pseudonym.as_str());

    // After a rerun the packet shows reproducibility.
    ok(root, &["rerun", &pseudonym]);
    ok(
        root,
        &["packet", &pseudonym, "--out", out.to_str().unwrap()],
    );
    let html = read(out.join(format!("{pseudonym}-1.html")));
    assert!(html.contains("reproducible: yes"), "rerun shown");
}

#[test]
fn hostile_report_is_rendered_inert() {
    let dir = workspace();
    let root = dir.path();
    let report = "# Method\n\n<script>alert(1)</script>\n\n<img src=x onerror=\"alert(2)\">\n\n\
                  [click](javascript:alert(3))\n\n<iframe src=\"https://evil.example\"></iframe>\n\n\
                  <a href=\"#\" onclick=\"alert(4)\">x</a>\n\n<svg onload=alert(5)>\n\n\
                  <style>body { display: none }</style>\n\nSafe text here.\n";
    let submission = simple_submission(report);
    let pseudonym = submit(
        root,
        "Hostile Person <hostile@example.org>",
        submission.path(),
    );
    // Unevaluated first: the run parts say so.
    ok(root, &["packet", &pseudonym]);
    let html = read(root.join("packets").join(format!("{pseudonym}-1.html")));
    assert!(html.contains("Not evaluated yet."));
    ok(root, &["evaluate", &pseudonym]);
    ok(root, &["packet", &pseudonym]);
    let html = read(root.join("packets").join(format!("{pseudonym}-1.html")));
    assert!(html.contains("Safe text here."));
    assert!(html.contains(CSP));
    let lower = html.to_ascii_lowercase();
    for bad in [
        "<script",
        "onerror=",
        "onclick=",
        "onload=",
        "javascript:",
        "<iframe",
        "<svg",
        "evil.example",
        "display: none",
    ] {
        assert!(!lower.contains(bad), "{bad} in the packet");
    }
    // Only the packet's own <style> element.
    assert_eq!(lower.matches("<style").count(), 1);
    // No tag carries an event handler.
    for tag in lower
        .split('<')
        .skip(1)
        .map(|t| t.split('>').next().unwrap())
    {
        assert!(!tag.contains(" on"), "<{tag}>");
    }
}

#[test]
fn index_lists_every_submission() {
    let dir = workspace();
    let root = dir.path();
    let first = submit(
        root,
        "First Person <first@example.org>",
        &repo("assignments/churn/examples/strong"),
    );
    let plain = simple_submission("## Method\n");
    let second = submit(root, "Second Person <second@example.org>", plain.path());
    ok(root, &["evaluate", "--all", "--jobs", "2"]);
    ok(root, &["packet", "--all"]);
    let packets = root.join("packets");
    let index = read(packets.join("index.html"));
    for pseudonym in [&first, &second] {
        assert!(
            index.contains(&format!("<td>{pseudonym}</td>")),
            "{pseudonym}"
        );
        assert!(index.contains(&format!("href=\"{pseudonym}-1.html\"")));
        assert!(packets.join(format!("{pseudonym}-1.html")).exists());
        assert!(packets.join(format!("{pseudonym}-1.json")).exists());
    }
    assert_eq!(index.matches("<td>ok</td>").count(), 2, "{index}");
    assert!(index.contains("roc_auc: verified"));
    assert!(!index.contains("<script"));
    for page in [
        "index-by-score.html",
        "index-by-verdict.html",
        "index-by-claims.html",
    ] {
        assert!(index.contains(&format!("href=\"{page}\"")));
        assert!(read(packets.join(page)).contains(&first));
    }
    for (name, email, pseudonym) in [
        ("First Person", "first@example.org", &first),
        ("Second Person", "second@example.org", &second),
    ] {
        let html = read(packets.join(format!("{pseudonym}-1.html")));
        let json = read(packets.join(format!("{pseudonym}-1.json")));
        for text in [&index, &html, &json] {
            assert!(!text.contains(name) && !text.contains(email));
        }
    }
}
