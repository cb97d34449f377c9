//! End to end in a real headless Chromium: a candidate downloads and uploads, two reviewers
//! grade the same packet blind, and a report carrying script does not run it.

mod support;

use std::time::Duration;

use support::browser::Browser;
use support::web::{Fixture, Server, example, zip_folder};
use support::{cli_ok, tempdir};

/// Fills in the whole churn rubric at `level` with comments, picks `recommendation`, presses
/// submit and waits for the page the submit leads to.
fn grade(browser: &Browser, level: u8, comment: &str, recommendation: &str) {
    for id in ["framing", "literature", "rigour", "honesty", "code"] {
        browser.click(&format!("input[name='level.{id}'][value='{level}']"));
        browser.type_into(
            &format!("textarea[name='comment.{id}']"),
            &format!("{comment} on {id}"),
        );
    }
    browser.click(&format!(
        "input[name='recommendation'][value='{recommendation}']"
    ));
    browser.click_to_new_page("#submit");
}

#[test]
fn a_candidate_downloads_the_bundle_and_uploads_a_submission() {
    let fixture = Fixture::new(1, &[]);
    // The server's own worker runs the smoke run of the upload.
    let server = Server::start(fixture.root(), &["--jobs", "1"]);
    let (pseudonym, token) = &fixture.candidates[0];
    let browser = Browser::start();
    browser.goto(&server.url(&format!("/c/{token}")));
    assert!(
        browser.text("h1").contains("churn"),
        "{}",
        browser.text("h1")
    );
    assert!(browser.text("#time-left").contains("left"));

    browser.click("#bundle");
    let bundle = browser.wait_for_download(Duration::from_secs(30));
    assert_eq!(
        bundle.file_name().unwrap().to_str().unwrap(),
        format!("churn-{pseudonym}.zip")
    );
    let mut zip = zip::ZipArchive::new(std::fs::File::open(&bundle).unwrap()).unwrap();
    assert!(zip.by_name(&format!("churn-{pseudonym}/brief.md")).is_ok());

    let scratch = tempdir();
    let upload = scratch.path().join("my-submission.zip");
    std::fs::write(
        &upload,
        zip_folder(&example("strong", None, scratch.path())),
    )
    .unwrap();
    browser.type_into("#archive", upload.to_str().unwrap());
    browser.click_to_new_page("#upload-button");
    assert_eq!(browser.text("#verdict"), "Received: version 1");
    browser.click_to_new_page("#back");
    // The portal refreshes itself until the smoke run is in.
    let smoke = browser.wait_for_text("#smoke-1", "verdict", Duration::from_secs(240));
    assert!(
        smoke.contains("started") && smoke.contains("verdict ok"),
        "{smoke}"
    );
    let page = browser.source();
    assert!(
        !page.contains("roc_auc"),
        "the candidate sees the metric or score"
    );
    assert!(
        !page.contains("verified"),
        "the candidate sees claim checks"
    );
}

#[test]
fn the_second_reviewer_sees_the_first_reviewers_scores_only_after_submitting() {
    let fixture = Fixture::new(1, &["Ann", "Bo"]);
    let scratch = tempdir();
    fixture.submit(0, &example("strong", None, scratch.path()));
    cli_ok(fixture.root(), &["assign", "churn", "--reviewers", "2"]);
    let server = Server::start(fixture.root(), &["--no-worker"]);
    let pseudonym = &fixture.candidates[0].0;
    let browser = Browser::start();

    // Ann grades from her queue.
    browser.goto(&server.url(&format!("/r/{}", fixture.reviewers[0].1)));
    browser.click_to_new_page(".review-link");
    assert!(browser.text("h1").contains(pseudonym.as_str()));
    browser.enter_frame("iframe.packet");
    assert!(
        browser.text("#report").contains("Report"),
        "the packet frame is empty"
    );
    browser.leave_frame();
    // And it is painted: a blocked frame is a blank rectangle.
    let painted = browser.screenshot_bytes("iframe.packet");
    assert!(
        painted > 20_000,
        "the packet frame looks blank ({painted} bytes of PNG)"
    );
    grade(&browser, 4, "Ann-says-excellent", "strong yes");
    assert!(browser.text("#review-state").contains("You submitted"));

    // Bo opens the same packet: nothing of Ann's is on his page until he submits.
    browser.goto(&server.url(&format!("/r/{}/review/{pseudonym}", fixture.reviewers[1].1)));
    assert!(browser.try_find("#comparison").is_none());
    assert!(!browser.source().contains("Ann-says-excellent"));
    assert!(
        browser
            .text("#review-state")
            .contains("appear once you submit")
    );
    grade(&browser, 2, "Bo-says-weak", "no");
    let comparison = browser.text("#comparison");
    for seen in [
        "Ann",
        "Bo",
        "Ann-says-excellent on framing",
        "Bo-says-weak on code",
        "4.00",
        "2.00",
        "strong yes",
    ] {
        assert!(
            comparison.contains(seen),
            "{seen} missing from {comparison}"
        );
    }
    assert!(
        browser.try_find("tr.disagree").is_some(),
        "two levels apart is not flagged"
    );
    // His interview sheet opens from the review page now that his review is submitted.
    let sheet = browser.execute("return document.querySelector('#interview-link').href");
    browser.goto(sheet.as_str().expect("a link to the interview sheet"));
    assert!(
        browser
            .text("h1")
            .contains(&format!("Interview sheet: {pseudonym}")),
        "{}",
        browser.source()
    );
    assert!(browser.try_find("#interview-sheet").is_some());

    // The overview now shows the weighted total and its export link.
    browser.goto(&server.url(&format!("/r/{}/overview/churn", fixture.reviewers[1].1)));
    let row = browser.text("#overview");
    assert!(row.contains("2/2") && row.contains("3.00"), "{row}");
}

#[test]
fn script_in_a_report_does_not_run_in_the_browser() {
    let fixture = Fixture::new(1, &["Ann"]);
    let scratch = tempdir();
    let hostile = "# Problem statement\n\n<script>document.title='PWNED';window.pwned=1;alert('script')</script>\n\n\
        <img src=x onerror=\"document.title='PWNED';alert('img')\">\n\n\
        <svg onload=\"alert('svg')\"></svg>\n\n[click me](javascript:alert('link'))\n\n\
        <iframe srcdoc=\"<script>parent.document.title='PWNED'</script>\"></iframe>\n\n\
        # Literature review\n\nnone\n\n# Method\n\nm\n\n# Experiments and results\n\nr\n\n# Limitations\n\nl\n";
    fixture.submit(0, &example("strong", Some(hostile), scratch.path()));
    cli_ok(fixture.root(), &["assign", "churn", "--reviewers", "1"]);
    let server = Server::start(fixture.root(), &["--no-worker"]);
    let token = &fixture.reviewers[0].1;
    let pseudonym = &fixture.candidates[0].0;
    let browser = Browser::start();
    for url in [
        format!("/r/{token}/review/{pseudonym}"),
        format!("/r/{token}/packet/{pseudonym}"),
    ] {
        browser.goto(&server.url(&url));
        std::thread::sleep(Duration::from_millis(500));
        assert_eq!(browser.alert_text(), None, "{url}: a dialog opened");
        assert_eq!(
            browser.execute("return typeof window.pwned"),
            "undefined",
            "{url}"
        );
        assert_ne!(browser.execute("return document.title"), "PWNED", "{url}");
    }
    // Inside the packet frame of the review page, too; and the report is there, inert.
    browser.goto(&server.url(&format!("/r/{token}/review/{pseudonym}")));
    browser.enter_frame("iframe.packet");
    // The frame shows the packet itself, not a page the browser put there for a blocked one.
    assert_eq!(browser.execute("return location.protocol"), "http:");
    assert!(
        browser.text("h1").contains("churn"),
        "the packet is not displayed"
    );
    assert!(browser.source().contains("Problem statement"));
    assert_eq!(browser.execute("return typeof window.pwned"), "undefined");
    assert_eq!(
        browser.execute("return document.querySelectorAll('script, iframe, svg').length"),
        0
    );
    let links = browser.execute(
        "return [...document.querySelectorAll('a')].filter(a => a.href.startsWith('javascript')).length",
    );
    assert_eq!(links, 0);
    browser.leave_frame();
    assert_eq!(browser.alert_text(), None);
}

/// A notebook cell as nbformat 4 JSON, with nothing saved.
fn code_cell(source: &str) -> serde_json::Value {
    serde_json::json!({"cell_type": "code", "metadata": {}, "source": source,
                       "execution_count": null, "outputs": []})
}

#[test]
fn a_notebook_packet_shows_cells_with_outputs_and_its_hostile_output_stays_inert() {
    let fixture = Fixture::new(1, &["Ann"]);
    let scratch = tempdir();
    let folder = scratch.path().join("nb");
    // Every output comes from the rerun in the sandbox: nothing is saved in the file.
    let notebook = serde_json::json!({
        "nbformat": 4, "nbformat_minor": 5, "metadata": {},
        "cells": [
            {"cell_type": "markdown", "metadata": {}, "source": "# Churn, in a notebook"},
            code_cell("import pandas as pd\npd.DataFrame({'tenure': [1, 24], 'churned': ['yes', 'no']})"),
            code_cell("import matplotlib.pyplot as plt\nplt.plot([0, 1, 2], [0, 1, 4])\nplt.title('growth')"),
            code_cell(
                "from IPython.display import HTML, Javascript, display\n\
                 display(Javascript(\"document.title='PWNED'; window.pwned = 1\"))\n\
                 HTML(\"<p id='hostile'>hostile</p><script>document.title='PWNED'; window.pwned = 2</script>\"\n\
                 \x20    \"<img src=x onerror=\\\"document.title='PWNED'; window.pwned = 3\\\">\"\n\
                 \x20    \"<a href=\\\"javascript:window.pwned = 4\\\">click</a>\"\n\
                 \x20    \"<iframe srcdoc=\\\"<script>parent.window.pwned = 5</script>\\\"></iframe>\")",
            ),
        ],
    });
    support::write_files(
        &folder,
        &[
            ("analysis.ipynb", &notebook.to_string()),
            (
                "submission.toml",
                "runner = \"python\"\nentry = \"analysis.ipynb\"\nreport = \"analysis.ipynb\"\n",
            ),
        ],
    );
    fixture.submit(0, &folder);
    let pseudonym = &fixture.candidates[0].0;
    cli_ok(fixture.root(), &["evaluate", pseudonym]);
    cli_ok(fixture.root(), &["assign", "churn", "--reviewers", "1"]);
    let server = Server::start(fixture.root(), &["--no-worker"]);
    let token = &fixture.reviewers[0].1;
    let browser = Browser::start();
    browser.goto(&server.url(&format!("/r/{token}/review/{pseudonym}")));
    browser.enter_frame("iframe.packet");
    // Let anything that could run, run.
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(browser.execute("return typeof window.pwned"), "undefined");
    assert_ne!(browser.execute("return document.title"), "PWNED");
    assert_eq!(
        browser.execute("return document.querySelectorAll('script, iframe').length"),
        0
    );
    assert_eq!(
        browser.execute(
            "return [...document.querySelectorAll('a')].filter(a => a.href.startsWith('javascript')).length"
        ),
        0
    );
    // The notebook is there as cells with their outputs: the frame as a table, the figure
    // as an image that decoded, the hostile HTML as inert markup.
    let notebook = browser.text("section.notebook");
    assert!(notebook.contains("Churn, in a notebook"), "{notebook}");
    assert_eq!(
        browser
            .execute("return document.querySelectorAll('section.notebook div.cell.code').length"),
        3
    );
    assert_eq!(
        browser.execute("return document.querySelectorAll('section.notebook div.output.html table td').length > 0"),
        true
    );
    assert!(
        browser
            .text("section.notebook div.output.html table")
            .contains("churned"),
        "the DataFrame is not a table"
    );
    assert_eq!(
        browser.execute(
            "const img = document.querySelector('section.notebook img.output'); \
             return img !== null && img.complete && img.naturalWidth > 100"
        ),
        true,
        "the figure is not shown"
    );
    assert!(
        notebook.contains("hostile"),
        "the hostile cell shows nothing: {notebook}"
    );
    // The JavaScript output shows as its plain-text form, never as script.
    assert!(
        notebook.contains("<IPython.core.display.Javascript object>"),
        "{notebook}"
    );
    browser.leave_frame();
    assert_eq!(browser.execute("return typeof window.pwned"), "undefined");
    assert_ne!(browser.execute("return document.title"), "PWNED");
    assert_eq!(browser.alert_text(), None);
}
