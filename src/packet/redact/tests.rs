use super::*;

fn redactor() -> Redactor {
    Redactor::new("C-7KWB", "Ada Lovelace", "ada.l@example.org")
}

#[test]
fn the_issue_records_identity_is_replaced_by_the_pseudonym() {
    let mut r = redactor();
    for (text, expected) in [
        ("Report by Ada Lovelace", "Report by C-7KWB"),
        ("contact ADA.L@EXAMPLE.ORG", "contact C-7KWB"),
        (
            "see github.com/alovelace/churn",
            "see github.com/C-7KWB/churn",
        ),
        ("Lovelace, A. wrote this", "C-7KWB, A. wrote this"),
        (
            "no names here: adamant lovelaces",
            "no names here: adamant lovelaces",
        ),
        ("O&#39;Brien is not learnt", "O&#39;Brien is not learnt"),
    ] {
        assert_eq!(r.redact(text, "x", false), expected, "{text}");
    }
}

#[test]
fn identity_in_the_submission_is_learnt_and_replaced() {
    let mut r = Redactor::new("C-7KWB", "", "");
    r.learn_from_file("main.py", "\"\"\"Churn model.\n\nAuthor: Grace Hopper\n\"\"\"\nx = open('C:\\\\Users\\\\ghopper42\\\\data.csv')\n");
    r.learn_from_file(
        ".git/config",
        "[user]\n\tname = Grace B. Hopper\n\temail = gbh@navy.example\n",
    );
    r.learn_from_file(
        "eda.ipynb",
        r#"{"metadata": {"authors": [{"name": "Alan Turing"}]}, "cells": []}"#,
    );
    r.learn_from_pdf(&crate::report::pdf::PdfMetadata {
        author: Some("Katherine Johnson".into()),
        producer: Some("Microsoft Word".into()),
        ..Default::default()
    });
    let text = "Hopper and Turing and Johnson; /home/ghopper42/x and /Users/someone/y; gbh@navy.example; Microsoft Word";
    let out = r.redact(text, "REPORT.md", true);
    assert_eq!(
        out,
        "C-7KWB and C-7KWB and C-7KWB; /home/C-7KWB/x and /Users/C-7KWB/y; C-7KWB; Microsoft Word"
    );
    let log = r.log();
    assert!(
        log.iter()
            .any(|l| l.location == "REPORT.md:1" && l.what == "home folder" && l.count == 2),
        "{log:?}"
    );
}

#[test]
fn windows_home_paths_lose_their_user_name() {
    let mut r = Redactor::new("C-1", "", "");
    for (text, expected) in [
        (
            r"C:\Users\jdoe\Desktop\data.csv",
            r"C:\Users\C-1\Desktop\data.csv",
        ),
        (r"'C:\\Users\\jdoe\\x'", r"'C:\\Users\\C-1\\x'"),
        ("d:/users/jdoe/x", "d:/users/C-1/x"),
    ] {
        assert_eq!(r.redact(text, "f", false), expected);
    }
}

#[test]
fn secrets_are_masked_and_logged_without_their_value() {
    let mut r = redactor();
    let text = "OPENAI = \"sk-proj-abcdefghijklmnopqrstuvwxyz012345\"\nkey = 'AKIAABCDEFGHIJKLMNOP'\nurl = 'postgres://bob:hunter2hunter@db:5432/x'\npassword = \"correct-horse-battery\"\n-----BEGIN RSA PRIVATE KEY-----\nMIIabc\n-----END RSA PRIVATE KEY-----\ntok = 'ghp_abcdefghijklmnopqrstuvwxyz0123456789'\n";
    let out = r.redact(text, "main.py", true);
    for secret in [
        "sk-proj-abc",
        "AKIAABCD",
        "hunter2",
        "correct-horse",
        "MIIabc",
        "ghp_abc",
    ] {
        assert!(!out.contains(secret), "{secret} in {out}");
    }
    assert!(out.contains("postgres://bob:[secret masked]@db"), "{out}");
    let log = r.log();
    assert!(
        log.iter()
            .any(|l| l.location == "main.py:1" && l.what == "secret (API key sk-)"),
        "{log:?}"
    );
    assert!(
        log.iter()
            .any(|l| l.location == "main.py:5" && l.what == "secret (private key)"),
        "{log:?}"
    );
    for l in &log {
        assert!(!l.location.contains("sk-") && !l.what.contains("sk-proj"));
    }
}

#[test]
fn common_words_and_short_parts_are_never_terms() {
    let mut r = Redactor::new("C-2", "Li Data", "data@example.org");
    assert_eq!(r.redact("the data of Li", "x", false), "the data of Li");
    assert_eq!(r.redact("Li Data", "x", false), "C-2");
}

#[test]
fn a_word_beside_a_known_name_is_learnt_but_labels_and_title_words_are_not() {
    let mut r = Redactor::new("C-3", "Mihaela Iacob", "");
    r.learn_neighbours("Churn Report\nIacob Iasmina\nPrepared by Iacob, Data Team\n");
    assert_eq!(
        r.redact("Iasmina wrote it; Prepared by Iacob", "x", false),
        "C-3 wrote it; Prepared by C-3"
    );
}

#[test]
fn a_name_is_replaced_surname_first_too_and_spans_tell_what_to_cover() {
    let mut r = Redactor::new("C-4", "Iasmina Iacob", "ii@example.org");
    assert_eq!(r.redact("By Iacob Iasmina.", "x", false), "By C-4.");
    let logged = r.log();
    let spans = r.spans("Iacob Iasmina, ii@example.org, other@example.org, /home/iiacob/x");
    let texts: Vec<(&str, &str)> = spans
        .iter()
        .map(|(t, w)| (t.as_str(), w.as_str()))
        .collect();
    assert!(texts.contains(&("Iacob Iasmina", "name")), "{texts:?}");
    assert!(texts.contains(&("other@example.org", "email")), "{texts:?}");
    assert!(texts.contains(&("iiacob", "home folder")), "{texts:?}");
    assert_eq!(r.log(), logged, "spans log nothing");
}
