//! Reports as candidates write them: a PDF report (generated here with lopdf) shown page by
//! page and mined for claims, blind packets with identity planted in a docstring, a path,
//! notebook metadata and PDF metadata, a masked API key, and hostile PDFs failing cleanly.
//! The first test needs the Python runner (`.ci/run`).

mod support;

use std::path::{Path, PathBuf};

use pdf_extract::content::{Content, Operation};
use pdf_extract::{Dictionary, Document, Object, Stream};
use support::{cli_ok as ok, repo};

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

fn submit(root: &Path, candidate: &str, folder: &Path) -> String {
    let out = ok(root, &["issue", "churn", "--candidate", candidate]);
    let pseudonym = support::issued_pseudonym(&out);
    ok(root, &["submit", &pseudonym, folder.to_str().unwrap()]);
    pseudonym
}

fn dict(entries: Vec<(&str, Object)>) -> Dictionary {
    let mut d = Dictionary::new();
    for (k, v) in entries {
        d.set(k, v);
    }
    d
}

/// A small PDF: one page per entry of `pages`, each line of text set in Helvetica, with
/// `author` in its Info dictionary.
fn pdf(pages: &[&[&str]], author: &str) -> Vec<u8> {
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let font = doc.add_object(dict(vec![
        ("Type", "Font".into()),
        ("Subtype", "Type1".into()),
        ("BaseFont", "Helvetica".into()),
    ]));
    let resources = doc.add_object(dict(vec![(
        "Font",
        Object::Dictionary(dict(vec![("F1", font.into())])),
    )]));
    let mut kids = Vec::new();
    for lines in pages {
        let mut ops = vec![
            Operation::new("BT", vec![]),
            Operation::new("Tf", vec!["F1".into(), 11.into()]),
            Operation::new("Td", vec![50.into(), 780.into()]),
        ];
        for line in lines.iter() {
            ops.push(Operation::new("Tj", vec![Object::string_literal(*line)]));
            ops.push(Operation::new("Td", vec![0.into(), (-18).into()]));
        }
        ops.push(Operation::new("ET", vec![]));
        let content = Content { operations: ops }.encode().unwrap();
        let content_id = doc.add_object(Stream::new(Dictionary::new(), content));
        let page = doc.add_object(dict(vec![
            ("Type", "Page".into()),
            ("Parent", pages_id.into()),
            ("Contents", content_id.into()),
        ]));
        kids.push(Object::from(page));
    }
    let count = kids.len() as i64;
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dict(vec![
            ("Type", "Pages".into()),
            ("Kids", Object::Array(kids)),
            ("Count", count.into()),
            ("Resources", resources.into()),
            (
                "MediaBox",
                Object::Array(vec![0.into(), 0.into(), 595.into(), 842.into()]),
            ),
        ])),
    );
    let catalog = doc.add_object(dict(vec![
        ("Type", "Catalog".into()),
        ("Pages", pages_id.into()),
    ]));
    doc.trailer.set("Root", catalog);
    let info = doc.add_object(dict(vec![
        ("Author", Object::string_literal(author)),
        ("Producer", Object::string_literal(author)),
    ]));
    doc.trailer.set("Info", info);
    let mut bytes = Vec::new();
    doc.save_to(&mut bytes).unwrap();
    bytes
}

/// A submission folder whose report is `report.pdf` holding `pdf_bytes`.
fn pdf_submission(pdf_bytes: &[u8], main: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("main.py"), main).unwrap();
    std::fs::write(dir.path().join("report.pdf"), pdf_bytes).unwrap();
    std::fs::write(
        dir.path().join("submission.toml"),
        "runner = \"python\"\nentry = \"main.py\"\nreport = \"report.pdf\"\n",
    )
    .unwrap();
    dir
}

const CONSTANT_MODEL: &str = "import pandas as pd\n\
    test = pd.read_csv('data/test.csv')\n\
    pd.DataFrame({'customer_id': test['customer_id'], 'churn_probability': 0.5}).to_csv('out/predictions.csv', index=False)\n";

/// Every file a packet command wrote, as text.
fn written(dir: &Path) -> Vec<(PathBuf, String)> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| {
            let text = String::from_utf8_lossy(&std::fs::read(&p).unwrap()).into_owned();
            (p, text)
        })
        .collect()
}

#[test]
fn a_pdf_report_is_shown_checked_for_structure_mined_for_claims_and_blind() {
    let dir = workspace();
    let root = dir.path();
    let report = pdf(
        &[
            &[
                "Churn report",
                "Prepared by Wilhelmina Oddfellow",
                "1. Problem statement",
                "We predict which customers leave.",
                "2. Literature review",
                "Little is known.",
                "3. Methodology",
                "A constant model, on purpose.",
            ],
            &[
                "4. Experiments and results",
                "On the held-out test set the ROC AUC is 0.50.",
                "Validation ROC AUC was 0.62.",
                "Overall we reach an AUC of 50% on test data.",
                "5. Limitations",
                "It ranks nobody.",
            ],
        ],
        "Wilhelmina Oddfellow",
    );
    let main = format!(
        "\"\"\"Churn model.\n\nAuthor: Yolanda Pemberton-Ash\n\"\"\"\n\
         # data was at C:\\Users\\vquirk\\churn\\data.csv\n\
         OPENAI_KEY = \"sk-proj-FAKEabcdefghijklmnopqrstuvwxyz0123\"\n{CONSTANT_MODEL}"
    );
    let submission = pdf_submission(&report, &main);
    std::fs::write(
        submission.path().join("eda.ipynb"),
        r##"{"metadata": {"authors": [{"name": "Xavier Quillfeather"}]}, "nbformat": 4, "nbformat_minor": 5,
            "cells": [{"cell_type": "markdown", "metadata": {}, "source": ["# EDA by Xavier Quillfeather\n", "Files in /home/vquirk/churn"]}]}"##,
    )
    .unwrap();
    std::fs::write(
        submission.path().join("notes_quaxworth.txt"),
        "scratch notes of Zebulon\n",
    )
    .unwrap();
    let pseudonym = submit(
        root,
        "Zebulon Quaxworth <zq.secret@example.org>",
        submission.path(),
    );
    ok(root, &["evaluate", &pseudonym]);
    let out = root.join("review");
    let printed = ok(root, &["packet", "--all", "--out", out.to_str().unwrap()]);
    // The lead is told what was redacted, and where.
    assert!(printed.contains("redacted from this packet"), "{printed}");
    assert!(printed.contains("main.py:3: name"), "{printed}");
    assert!(printed.contains("main.py:5: home folder"), "{printed}");
    assert!(
        printed.contains("main.py:6: secret (API key sk-)"),
        "{printed}"
    );
    assert!(printed.contains("report.pdf page 1: name"), "{printed}");

    let html = std::fs::read_to_string(out.join(format!("{pseudonym}-1.html"))).unwrap();
    let json: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(out.join(format!("{pseudonym}-1.json"))).unwrap(),
    )
    .unwrap();
    // Every page as an image, and its text.
    let pdf = &json["report"]["pdfs"][0];
    assert_eq!(pdf["page_count"], 2, "{pdf:#}");
    assert!(pdf["error"].is_null(), "{pdf:#}");
    for page in pdf["pages"].as_array().unwrap() {
        assert!(
            page["image"]
                .as_str()
                .unwrap()
                .starts_with("data:image/png;base64,iVBORw0KGgo")
        );
    }
    assert!(
        pdf["pages"][1]["text"]
            .as_str()
            .unwrap()
            .contains("ROC AUC is 0.50")
    );
    assert_eq!(html.matches("<img class=\"page\"").count(), 2);
    assert!(html.contains("covered by black boxes"));
    // Structure from the PDF's text: numbered and differently worded headings count.
    for section in json["report"]["sections"].as_array().unwrap() {
        assert_eq!(section["present"], true, "{section}");
    }
    // Claims from the text, each with its sentence and page; the test claim decides.
    let run = &json["run"];
    let found = run["report_claims"].as_array().unwrap();
    let summary: Vec<(f64, &str, &str)> = found
        .iter()
        .map(|c| {
            (
                c["claimed"].as_f64().unwrap(),
                c["quote"]["split"].as_str().unwrap(),
                c["status"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (0.5, "test", "verified"),
            (0.62, "validation", "not measurable"),
            (0.5, "test", "verified"),
        ]
    );
    assert_eq!(found[0]["quote"]["location"]["page"], 2);
    assert_eq!(
        found[0]["quote"]["text"],
        "On the held-out test set the ROC AUC is 0.50."
    );
    assert_eq!(run["claims"][0]["status"], "verified");
    assert!(html.contains("<q>Validation ROC AUC was 0.62.</q>"));

    // Nothing identifying in any file the packet command wrote.
    let forbidden = [
        "zebulon",
        "quaxworth",
        "zq.secret",
        "yolanda",
        "pemberton",
        "xavier",
        "quillfeather",
        "wilhelmina",
        "oddfellow",
        "vquirk",
        "sk-proj-fake",
    ];
    let files = written(&out);
    assert!(files.len() >= 3, "{files:?}");
    for (path, text) in &files {
        let lower = text.to_lowercase();
        for word in forbidden {
            assert!(!lower.contains(word), "{word} in {}", path.display());
        }
    }
    assert!(html.contains("[secret masked]"));
    assert!(
        html.contains(&format!("notes_{pseudonym}.txt")),
        "file names too"
    );

    // The review page and its packet frame are just as blind.
    let reviewer = ok(root, &["reviewer", "add", "Rita Reviewer"]);
    let token = support::web::link_token(&reviewer, "/r/");
    ok(root, &["assign", "churn", "--reviewers", "1"]);
    let server = support::web::Server::start(root, &["--no-worker"]);
    for path in [
        format!("/r/{token}/review/{pseudonym}"),
        format!("/r/{token}/packet/{pseudonym}"),
    ] {
        let page = support::web::get(&server.url(&path));
        assert_eq!(page.status, 200, "{path}");
        let lower = page.text().to_lowercase();
        for word in forbidden {
            assert!(!lower.contains(word), "{word} in {path}");
        }
    }
}

#[test]
fn hostile_pdfs_fail_cleanly_and_the_packet_says_so() {
    let dir = workspace();
    let root = dir.path();
    let valid = pdf(&[&["1. Method", "ROC AUC 0.9"]], "Nobody");
    let truncated = valid[..valid.len() * 3 / 5].to_vec();
    // 600 pages, more than are read.
    let many: Vec<&[&str]> = vec![&["page"]; 600];
    let huge = pdf(&many, "Nobody");
    // Deeply nested arrays in the page dictionary.
    let depth = 200_000;
    let nested = format!(
        "%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 100 100] /Deep {}{} >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n",
        "[".repeat(depth),
        "]".repeat(depth)
    )
    .into_bytes();
    // A content stream that inflates to over 2 GiB of zeros.
    let bomb = {
        use std::io::Write;
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..2200 {
            z.write_all(&zeros).unwrap();
        }
        let stream = z.finish().unwrap();
        let mut doc = Document::load_mem(&valid).unwrap();
        let page = *doc.get_pages().values().next().unwrap();
        let mut dictionary = Dictionary::new();
        dictionary.set("Filter", "FlateDecode");
        let content = doc.add_object(Stream::new(dictionary, stream).with_compression(false));
        doc.get_object_mut(page)
            .unwrap()
            .as_dict_mut()
            .unwrap()
            .set("Contents", content);
        let mut bytes = Vec::new();
        doc.save_to(&mut bytes).unwrap();
        bytes
    };
    let mut pseudonyms = Vec::new();
    for (i, bytes) in [truncated, huge, nested, bomb].iter().enumerate() {
        let submission = pdf_submission(bytes, CONSTANT_MODEL);
        let who = format!("Hostile {i} <h{i}@example.org>");
        pseudonyms.push(submit(root, &who, submission.path()));
    }
    ok(root, &["packet", "--all"]);
    for (pseudonym, kind) in pseudonyms.iter().zip([
        "truncated",
        "huge page count",
        "deep nesting",
        "compression bomb",
    ]) {
        let json: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(root.join("packets").join(format!("{pseudonym}-1.json")))
                .unwrap(),
        )
        .unwrap();
        let error = json["report"]["pdfs"][0]["error"]
            .as_str()
            .unwrap_or_default();
        assert!(
            error.starts_with("PDF could not be read: "),
            "{kind}: {:#}",
            json["report"]["pdfs"]
        );
    }
}

#[test]
fn plain_text_and_notebook_reports_are_reports_too() {
    let dir = workspace();
    let root = dir.path();
    let text_report = tempfile::tempdir().unwrap();
    std::fs::write(text_report.path().join("main.py"), CONSTANT_MODEL).unwrap();
    std::fs::write(
        text_report.path().join("REPORT.txt"),
        "Method\n\nA constant <b>model</b>.\n\nResults and discussion\n\nThe ROC AUC is 0.5 on the test set.\n",
    )
    .unwrap();
    std::fs::write(
        text_report.path().join("submission.toml"),
        "runner = \"python\"\nentry = \"main.py\"\nreport = \"REPORT.txt\"\n",
    )
    .unwrap();
    let notebook_report = tempfile::tempdir().unwrap();
    std::fs::write(notebook_report.path().join("main.py"), CONSTANT_MODEL).unwrap();
    std::fs::write(
        notebook_report.path().join("analysis.ipynb"),
        r###"{"metadata": {}, "nbformat": 4, "nbformat_minor": 5, "cells": [
            {"cell_type": "code", "metadata": {}, "source": "x = 1", "outputs": [], "execution_count": null},
            {"cell_type": "markdown", "metadata": {}, "source": ["## 2. Method\n", "We use a constant."]}]}"###,
    )
    .unwrap();
    std::fs::write(
        notebook_report.path().join("submission.toml"),
        "runner = \"python\"\nentry = \"main.py\"\nreport = \"analysis.ipynb\"\n",
    )
    .unwrap();
    let text = submit(root, "T Ext <t@example.org>", text_report.path());
    let notebook = submit(root, "N Otebook <n@example.org>", notebook_report.path());
    ok(root, &["packet", "--all"]);
    let read = |p: &str| {
        let json: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(root.join("packets").join(format!("{p}-1.json"))).unwrap(),
        )
        .unwrap();
        json
    };
    let t = read(&text);
    assert_eq!(t["report"]["format"], "text");
    assert!(
        t["report"]["html"]
            .as_str()
            .unwrap()
            .contains("A constant &lt;b&gt;model&lt;/b&gt;."),
        "text is shown as text"
    );
    let present = |j: &serde_json::Value, title: &str| {
        j["report"]["sections"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["title"] == title && s["present"] == true)
    };
    assert!(present(&t, "Method") && !present(&t, "Experiments and results"));
    let n = read(&notebook);
    assert_eq!(n["report"]["format"], "notebook");
    assert!(present(&n, "Method"));
    assert!(
        n["report"]["html"]
            .as_str()
            .unwrap()
            .contains("We use a constant.")
    );
}
