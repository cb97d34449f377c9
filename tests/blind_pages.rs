//! Blind review holds on the common case: a PDF report whose title page names its author,
//! a notebook whose title cell does, a Markdown report with an `Author:` line; identity is
//! covered on page images (boxes checked pixel by pixel), whether or not the byline matches
//! the issue record. Also: data files shown as tables, not as code. No evaluation is run.

mod support;

use std::path::Path;

use base64::Engine;
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

/// One line of Helvetica: (size, x, baseline y in PDF points, text).
type Line = (i64, i64, i64, &'static str);

/// Page 1 (A4, 595×842 pt): a title, a byline, a heading, text, a two-column table with
/// rules, an `Author:` line. Rendered at 1.5 px/pt, so baseline y becomes (842 - y) × 1.5.
const PAGE_ONE: &[Line] = &[
    (24, 72, 780, "Customer Churn - Final Report"),
    (12, 72, 750, "Iacob Iasmina"),
    (14, 72, 715, "1. Introduction"),
    (11, 72, 695, "We predict which customers leave, and why."),
    (11, 72, 660, "Model"),
    (11, 250, 660, "ROC AUC"),
    (11, 72, 642, "Logistic regression"),
    (11, 250, 642, "0.81"),
    (11, 72, 600, "Author: Iasmina Iacob"),
];

/// A PDF with [`PAGE_ONE`], then a page that is only a picture (no text layer), and
/// `author` in its metadata.
fn report_pdf(author: &str) -> Vec<u8> {
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let font = doc.add_object(dict(vec![
        ("Type", "Font".into()),
        ("Subtype", "Type1".into()),
        ("BaseFont", "Helvetica".into()),
        ("Encoding", "WinAnsiEncoding".into()),
    ]));
    let picture = doc.add_object(Stream::new(
        dict(vec![
            ("Type", "XObject".into()),
            ("Subtype", "Image".into()),
            ("Width", 2.into()),
            ("Height", 2.into()),
            ("ColorSpace", "DeviceGray".into()),
            ("BitsPerComponent", 8.into()),
        ]),
        vec![40, 200, 200, 40],
    ));
    let resources = doc.add_object(dict(vec![
        ("Font", Object::Dictionary(dict(vec![("F1", font.into())]))),
        (
            "XObject",
            Object::Dictionary(dict(vec![("Im1", picture.into())])),
        ),
    ]));
    let mut ops = Vec::new();
    for &(size, x, y, text) in PAGE_ONE {
        ops.extend([
            Operation::new("BT", vec![]),
            Operation::new("Tf", vec!["F1".into(), size.into()]),
            Operation::new("Td", vec![x.into(), y.into()]),
            Operation::new("Tj", vec![Object::string_literal(text)]),
            Operation::new("ET", vec![]),
        ]);
    }
    // The table's rules.
    for y in [675, 655, 637] {
        ops.push(Operation::new(
            "re",
            vec![70.into(), y.into(), 260.into(), 1.into()],
        ));
        ops.push(Operation::new("f", vec![]));
    }
    let scanned = vec![
        Operation::new("q", vec![]),
        Operation::new(
            "cm",
            vec![
                400.into(),
                0.into(),
                0.into(),
                300.into(),
                100.into(),
                400.into(),
            ],
        ),
        Operation::new("Do", vec!["Im1".into()]),
        Operation::new("Q", vec![]),
    ];
    let mut kids = Vec::new();
    for operations in [ops, scanned] {
        let content = Content { operations }.encode().unwrap();
        let content_id = doc.add_object(Stream::new(Dictionary::new(), content));
        let page = doc.add_object(dict(vec![
            ("Type", "Page".into()),
            ("Parent", pages_id.into()),
            ("Contents", content_id.into()),
        ]));
        kids.push(Object::from(page));
    }
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dict(vec![
            ("Type", "Pages".into()),
            ("Kids", Object::Array(kids)),
            ("Count", 2.into()),
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
    let info = doc.add_object(dict(vec![("Author", Object::string_literal(author))]));
    doc.trailer.set("Info", info);
    let mut bytes = Vec::new();
    doc.save_to(&mut bytes).unwrap();
    bytes
}

/// A decoded page image: width, height, RGBA.
struct Image {
    width: usize,
    rgba: Vec<u8>,
}

impl Image {
    fn from_data_uri(uri: &str) -> Image {
        let b64 = uri.strip_prefix("data:image/png;base64,").expect("a PNG");
        let png = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap();
        let mut decoder = png::Decoder::new(std::io::Cursor::new(png));
        decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::ALPHA);
        let mut reader = decoder.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buf).unwrap();
        assert_eq!(info.color_type, png::ColorType::Rgba);
        buf.truncate(info.buffer_size());
        Image {
            width: info.width as usize,
            rgba: buf,
        }
    }

    fn pixel(&self, x: usize, y: usize) -> [u8; 4] {
        let at = (y * self.width + x) * 4;
        self.rgba[at..at + 4].try_into().unwrap()
    }

    /// The pixels of a rectangle given in PDF points (x from the left, y the baseline of
    /// a line of `size` points, the band from 10% to 60% of the size above it).
    fn band(&self, x0: f64, x1: f64, baseline: f64, size: f64) -> Vec<[u8; 4]> {
        let px = |v: f64| (v * 1.5).round() as usize;
        let top = px(842.0 - baseline - 0.6 * size);
        let bottom = px(842.0 - baseline - 0.1 * size);
        let mut out = Vec::new();
        for y in top..=bottom {
            for x in px(x0)..=px(x1) {
                out.push(self.pixel(x, y));
            }
        }
        out
    }
}

const BLACK: [u8; 4] = [0, 0, 0, 255];
const WHITE: [u8; 4] = [255, 255, 255, 255];

/// A submission whose report is `report.pdf`.
fn pdf_submission(pdf: &[u8]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("main.py"), "print('hi')\n").unwrap();
    std::fs::write(dir.path().join("report.pdf"), pdf).unwrap();
    std::fs::write(
        dir.path().join("submission.toml"),
        "runner = \"python\"\nentry = \"main.py\"\nreport = \"report.pdf\"\n",
    )
    .unwrap();
    dir
}

/// Builds the packets; returns what `takehome packet` printed and the packet's JSON.
fn packet(root: &Path, pseudonym: &str) -> (String, serde_json::Value, String) {
    let out = root.join("review");
    let printed = ok(root, &["packet", pseudonym, "--out", out.to_str().unwrap()]);
    let json = std::fs::read_to_string(out.join(format!("{pseudonym}-1.json"))).unwrap();
    let html = std::fs::read_to_string(out.join(format!("{pseudonym}-1.html"))).unwrap();
    (printed, serde_json::from_str(&json).unwrap(), html)
}

fn assert_blind(what: &str, text: &str, names: &[&str]) {
    let lower = text.to_lowercase();
    for name in names {
        assert!(!lower.contains(name), "{name} in the {what}");
    }
}

/// Checks page 1's image: black boxes where the byline and the `Author:` name were, the
/// title, the heading, the text and the table untouched; page 2 shown as text.
fn check_pages(printed: &str, json: &serde_json::Value, html: &str) {
    let pdf = &json["report"]["pdfs"][0];
    let page = Image::from_data_uri(pdf["pages"][0]["image"].as_str().expect("page 1 image"));
    // "Iacob Iasmina", 12 pt at (72, 750): about 75 pt wide.
    let byline = page.band(74.0, 140.0, 750.0, 12.0);
    assert!(byline.iter().all(|p| *p == BLACK), "the byline is boxed");
    // "Iasmina Iacob" after "Author: " (11 pt at 72, 600; the name starts near x 112).
    let author = page.band(118.0, 175.0, 600.0, 11.0);
    assert!(
        author.iter().all(|p| *p == BLACK),
        "the author's name is boxed"
    );
    // "Author:" itself is not a name: drawn, not boxed.
    let label = page.band(72.0, 105.0, 600.0, 11.0);
    assert!(
        label.contains(&WHITE) && label.iter().any(|p| p[0] < 100),
        "Author: shows"
    );
    for (x1, baseline, size, what) in [
        (380.0, 780.0, 24.0, "title"),
        (160.0, 715.0, 14.0, "heading"),
        (280.0, 695.0, 11.0, "text"),
        (160.0, 642.0, 11.0, "table"),
    ] {
        let band = page.band(72.0, x1, baseline, size);
        assert!(band.contains(&WHITE), "the {what} is not boxed");
        assert!(band.iter().any(|p| p[0] < 100), "the {what} is drawn");
    }
    assert_eq!(
        pdf["pages"][0]["boxes"], 2,
        "{:#}",
        pdf["pages"][0]["boxes"]
    );
    // The picture-only page has no text layer: shown as text, with the reason.
    let scanned = &pdf["pages"][1];
    assert!(scanned["image"].is_null(), "{scanned:#}");
    assert!(
        scanned["note"].as_str().unwrap().contains("no text layer"),
        "{scanned:#}"
    );
    assert!(html.contains("Shown as text: this page has no text layer"));
    assert_eq!(html.matches("<img class=\"page\"").count(), 1);
    // The lead's log lists the boxes.
    assert!(
        printed.contains("report.pdf page 1: box over name on the image (2×)"),
        "{printed}"
    );
    assert!(
        printed.contains("report.pdf page 2: image withheld, shown as text"),
        "{printed}"
    );
}

#[test]
fn a_byline_issued_surname_first_is_boxed_on_the_page_image() {
    let dir = workspace();
    let root = dir.path();
    let submission = pdf_submission(&report_pdf(""));
    let pseudonym = submit(root, "Iasmina Iacob <ii@example.org>", submission.path());
    let (printed, json, html) = packet(root, &pseudonym);
    check_pages(&printed, &json, &html);
    assert_blind("packet", &json.to_string(), &["iasmina", "iacob"]);
    assert_blind("packet page", &html, &["iasmina", "iacob"]);
}

#[test]
fn a_byline_not_in_the_issue_record_is_found_and_boxed_too() {
    let dir = workspace();
    let root = dir.path();
    // Issued under another name; the PDF's metadata names "Mihaela Iacob", the byline
    // "Iacob Iasmina": "Iasmina" goes because it stands beside "Iacob".
    let submission = pdf_submission(&report_pdf("Mihaela Iacob"));
    let pseudonym = submit(root, "Zara Quill <zq@example.org>", submission.path());
    let (printed, json, html) = packet(root, &pseudonym);
    check_pages(&printed, &json, &html);
    assert_blind(
        "packet",
        &json.to_string(),
        &["iasmina", "iacob", "mihaela"],
    );
    assert_blind("packet page", &html, &["iasmina", "iacob", "mihaela"]);
    // Ordinary title words are not names.
    assert!(json.to_string().contains("Customer Churn - Final Report"));
}

#[test]
fn notebook_titles_and_markdown_author_lines_name_nobody_in_the_packet() {
    let dir = workspace();
    let root = dir.path();
    let folder = tempfile::tempdir().unwrap();
    std::fs::write(folder.path().join("main.py"), "print('hi')\n").unwrap();
    std::fs::write(
        folder.path().join("analysis.ipynb"),
        r###"{"metadata": {}, "nbformat": 4, "nbformat_minor": 5, "cells": [
            {"cell_type": "markdown", "metadata": {}, "source": ["# Take-home - Andrew August\n"]},
            {"cell_type": "code", "metadata": {}, "source": "x = 1", "outputs": [], "execution_count": null},
            {"cell_type": "markdown", "metadata": {}, "source": ["## Method\n", "August's model is a constant."]}]}"###,
    )
    .unwrap();
    std::fs::write(
        folder.path().join("REPORT.md"),
        "# Churn, a final report\n\nAuthor: Quentin Marlowe\n\n## Method\n\nMarlowe used a constant.\n",
    )
    .unwrap();
    std::fs::write(
        folder.path().join("submission.toml"),
        "runner = \"python\"\nentry = \"main.py\"\nreport = \"REPORT.md\"\n",
    )
    .unwrap();
    let pseudonym = submit(root, "Zara Quill <zq@example.org>", folder.path());
    let (printed, json, html) = packet(root, &pseudonym);
    let names = ["andrew", "august", "quentin", "marlowe"];
    assert_blind("packet", &json.to_string(), &names);
    assert_blind("packet page", &html, &names);
    assert!(
        html.contains(&format!("Take-home - {pseudonym}")),
        "the title stays"
    );
    assert!(printed.contains("REPORT.md:3: name"), "{printed}");
}

#[test]
fn data_files_are_shown_as_tables_after_the_code_not_as_code() {
    let dir = workspace();
    let root = dir.path();
    let folder = tempfile::tempdir().unwrap();
    std::fs::write(folder.path().join("main.py"), "print('hi')\n").unwrap();
    let mut csv = String::from("customer_id,tenure,monthly_fee,churned\n");
    for i in 0..1000 {
        csv.push_str(&format!(
            "C{i:05},{},{}.99,{}\n",
            i % 72,
            20 + i % 50,
            i % 3 == 0
        ));
    }
    std::fs::create_dir(folder.path().join("data")).unwrap();
    std::fs::write(folder.path().join("data/train.csv"), &csv).unwrap();
    std::fs::write(
        folder.path().join("features.tsv"),
        "name\tweight\ntenure\t0.4\n",
    )
    .unwrap();
    std::fs::write(folder.path().join("plans.xlsx"), xlsx()).unwrap();
    std::fs::write(
        folder.path().join("scores.parquet"),
        b"PAR1 not really PAR1",
    )
    .unwrap();
    std::fs::write(
        folder.path().join("REPORT.md"),
        "# Report\n\n## Method\n\nA constant.\n",
    )
    .unwrap();
    std::fs::write(
        folder.path().join("submission.toml"),
        "runner = \"python\"\nentry = \"main.py\"\nreport = \"REPORT.md\"\n",
    )
    .unwrap();
    let pseudonym = submit(root, "Zara Quill <zq@example.org>", folder.path());
    let (_, json, html) = packet(root, &pseudonym);
    let code: Vec<&str> = json["code"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["path"].as_str().unwrap())
        .collect();
    assert!(
        !code
            .iter()
            .any(|p| p.ends_with(".csv") || p.ends_with(".tsv")),
        "{code:?}"
    );
    let data = json["data"].as_array().unwrap();
    let train = data.iter().find(|d| d["path"] == "data/train.csv").unwrap();
    assert_eq!(train["rows"], 1000);
    assert_eq!(train["columns"], 4);
    assert_eq!(
        train["types"],
        serde_json::json!(["text", "integer", "number", "boolean"])
    );
    assert_eq!(train["first_rows"].as_array().unwrap().len(), 20);
    assert_eq!(train["first_rows"][0][0], "C00000");
    let tsv = data.iter().find(|d| d["path"] == "features.tsv").unwrap();
    assert_eq!(tsv["header"], serde_json::json!(["name", "weight"]));
    // A workbook is read in its limited child: its first sheet, shape and types.
    let book = data.iter().find(|d| d["path"] == "plans.xlsx").unwrap();
    assert_eq!(book["sheet"], "Plans", "{book:#}");
    assert_eq!((&book["rows"], &book["columns"]), (&2.into(), &2.into()));
    assert_eq!(book["types"], serde_json::json!(["text", "number"]));
    let parquet = data.iter().find(|d| d["path"] == "scores.parquet").unwrap();
    assert!(
        parquet["note"]
            .as_str()
            .unwrap()
            .starts_with("not previewed")
    );
    // Shown after the code, with its shape and a link to the whole file.
    let code_at = html.find("id=\"code\"").unwrap();
    let data_at = html.find("id=\"data\"").unwrap();
    assert!(data_at > code_at);
    assert!(html.contains("1000 rows × 4 columns"));
    assert!(
        html.contains("download=\"data_train.csv\" href=\"data:text/plain;charset=utf-8;base64,")
    );
    assert!(!html.contains("<td>C00999,"), "not listed line by line");
}

/// A minimal workbook: a sheet "Plans" with a header and two rows.
fn xlsx() -> Vec<u8> {
    use std::io::Write;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default();
    let main = "http://schemas.openxmlformats.org";
    for (name, body) in [
        (
            "[Content_Types].xml",
            format!(
                r#"<Types xmlns="{main}/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#
            ),
        ),
        (
            "_rels/.rels",
            format!(
                r#"<Relationships xmlns="{main}/package/2006/relationships"><Relationship Id="rId1" Type="{main}/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#
            ),
        ),
        (
            "xl/workbook.xml",
            format!(
                r#"<workbook xmlns="{main}/spreadsheetml/2006/main" xmlns:r="{main}/officeDocument/2006/relationships"><sheets><sheet name="Plans" sheetId="1" r:id="rId1"/></sheets></workbook>"#
            ),
        ),
        (
            "xl/_rels/workbook.xml.rels",
            format!(
                r#"<Relationships xmlns="{main}/package/2006/relationships"><Relationship Id="rId1" Type="{main}/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#
            ),
        ),
        (
            "xl/worksheets/sheet1.xml",
            format!(
                r#"<worksheet xmlns="{main}/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>plan</t></is></c><c r="B1" t="inlineStr"><is><t>fee</t></is></c></row><row r="2"><c r="A2" t="inlineStr"><is><t>basic</t></is></c><c r="B2"><v>9.5</v></c></row><row r="3"><c r="A3" t="inlineStr"><is><t>pro</t></is></c><c r="B3"><v>19.5</v></c></row></sheetData></worksheet>"#
            ),
        ),
    ] {
        zip.start_file(name, options).unwrap();
        zip.write_all(body.as_bytes()).unwrap();
    }
    zip.finish().unwrap().into_inner()
}
