//! De-identification of packets: nothing that identifies the candidate reaches a reviewer.
//!
//! A [`Redactor`] first *learns* who the candidate is, then *redacts* text:
//! - from the issue record: the name (whole, and each part of three letters or more), the
//!   email and its local part, and user names made of the name ("ada.lovelace",
//!   "alovelace", "ada_lovelace", ...);
//! - from the submission itself: `Author:` / `__author__` / `@author` / "written by" lines,
//!   git configuration (`name =`, `email =`), notebook metadata (`authors`, `author`), PDF
//!   metadata (the author; the creator and producer when they look like a person's name),
//!   and user names in home-folder paths (`/home/NAME/`, `/Users/NAME/`,
//!   `C:\Users\NAME\`).
//!
//! Redacting replaces every learnt term (case-insensitively, as whole words) and the
//! user-name part of every home-folder path by the pseudonym, every other email address by
//! `[email]`, and masks secrets (API keys and tokens of common services, private key
//! blocks, passwords in URLs, `password = "..."`-style assignments) as `[secret masked]`.
//! Each replacement is logged as a [`Redaction`] (where, and what kind; never the value) for
//! the hiring lead; the log never goes into a packet.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use regex::{Captures, Regex};
use serde::Serialize;

/// The mask of a secret.
pub const SECRET_MASK: &str = "[secret masked]";
/// The replacement of an email address that is not the candidate's.
pub const EMAIL_MASK: &str = "[email]";

/// One kind of replacement at one place, with how many times it happened there.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Redaction {
    /// Where: `file:line`, `file page N`, or a packet field.
    pub location: String,
    /// What: `name`, `email`, `user name`, `home folder`, or `secret (KIND)`.
    pub what: String,
    pub count: usize,
}

/// How [`Redactor::value`] treats one string of a value.
pub enum Place {
    /// Left alone: the harness's own closed sets and hashes.
    Skip,
    /// Redacted without logging (it repeats a logged field, e.g. rendered HTML).
    Quiet,
    /// Redacted and logged at this location (with line numbers appended when `true`).
    At(String, bool),
}

/// Whose identity a term is, for the log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Name,
    Email,
    UserName,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Name => "name",
            Kind::Email => "email",
            Kind::UserName => "user name",
        }
    }
}

/// Words never taken as identity terms, however they were learnt: replacing them would
/// wreck the packet and hide nothing.
const COMMON: &[&str] = &[
    "admin",
    "user",
    "users",
    "home",
    "root",
    "data",
    "test",
    "info",
    "mail",
    "contact",
    "hello",
    "team",
    "name",
    "runner",
    "ubuntu",
    "jovyan",
    "public",
    "shared",
    "default",
    "guest",
    "work",
    "python",
    "model",
    "main",
    "report",
    "student",
    "candidate",
    "owner",
    "none",
    "unknown",
    "anonymous",
    "author",
    "local",
    "desktop",
    "documents",
    "downloads",
    "project",
    "the",
    "and",
    "for",
    "with",
];

/// Learns a candidate's identity, then redacts text.
pub struct Redactor {
    pseudonym: String,
    terms: BTreeMap<String, Kind>,
    compiled: Option<Regex>,
    log: BTreeMap<(String, String), usize>,
}

static HOME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)(/home/|/Users/|[A-Z]:(?:\\\\|\\|/)+Users(?:\\\\|\\|/)+|\\\\Users\\\\|\\Users\\)([^\\/\s"'<>:*?|]+)"#)
        .expect("home regex")
});
static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}").expect("email")
});
static AUTHOR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?im)^[\s#*/"'-]*(?:@?authors?|__author__|written\s+by|created\s+by|prepared\s+by|submitted\s+by|maintainer|copyright(?:\s+\(c\))?(?:\s+\d{4})?|by)\b\s*[:=]?\s*["']?([\p{L}][\p{L}'.-]*(?:[ \t]+[\p{L}][\p{L}'.-]*){0,3})"#,
    )
    .expect("author regex")
});
static GIT_USER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?im)^\s*name\s*=\s*(.+?)\s*$").expect("git user"));

/// Secrets and what they are.
static SECRETS: LazyLock<Vec<(&'static str, Regex)>> = LazyLock::new(|| {
    [
        (
            "private key",
            r"(?s)-----BEGIN [A-Z ]*PRIVATE KEY-----.*?-----END [A-Z ]*PRIVATE KEY-----",
        ),
        (
            "API key sk-",
            r"\bsk-(?:proj-|ant-|live-|test-)?[A-Za-z0-9_-]{20,}",
        ),
        ("AWS access key", r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
        (
            "GitHub token",
            r"\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{22,})",
        ),
        ("GitLab token", r"\bglpat-[A-Za-z0-9_-]{20,}"),
        ("Slack token", r"\bxox[abprs]-[A-Za-z0-9-]{10,}"),
        ("Google API key", r"\bAIza[0-9A-Za-z_-]{35}"),
        ("Hugging Face token", r"\bhf_[A-Za-z0-9]{30,}"),
        ("Stripe key", r"\b[rs]k_live_[A-Za-z0-9]{20,}"),
    ]
    .into_iter()
    .map(|(kind, re)| (kind, Regex::new(re).expect("secret regex")))
    .collect()
});
/// `scheme://user:PASSWORD@host`: the password.
static URL_PASSWORD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"([A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]+:)([^@\s/]+)(@)").expect("url password")
});
/// `password = "..."`, `api_key: '...'`, `token="..."`: the value.
static ASSIGNED_SECRET: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)((?:api[_-]?key|apikey|secret(?:[_-]?key)?|access[_-]?token|auth[_-]?token|token|password|passwd|pwd)["']?\s*[:=]\s*["'])([^"'\s]{8,})(["'])"#)
        .expect("assigned secret")
});

impl Redactor {
    /// A redactor for the candidate `pseudonym`, knowing the issue record's name and email.
    pub fn new(pseudonym: &str, name: &str, email: &str) -> Redactor {
        let mut r = Redactor {
            pseudonym: pseudonym.to_string(),
            terms: BTreeMap::new(),
            compiled: None,
            log: BTreeMap::new(),
        };
        r.learn_name(name);
        r.learn_email(email);
        r
    }

    /// Learns a person's name: whole, its parts, and user names made of it.
    pub fn learn_name(&mut self, name: &str) {
        let name = name.trim().trim_matches(|c: char| "\"'<>,".contains(c));
        let parts: Vec<&str> = name
            .split(|c: char| c.is_whitespace() || c == ',')
            .filter(|p| !p.is_empty())
            .collect();
        if parts.is_empty() {
            return;
        }
        self.add(&parts.join(" "), Kind::Name);
        for part in &parts {
            self.add(part.trim_end_matches('.'), Kind::Name);
        }
        if parts.len() >= 2 {
            let first = parts[0].to_lowercase();
            let last = parts[parts.len() - 1].to_lowercase();
            let initial: String = first.chars().take(1).collect();
            let generated = [
                format!("{first}.{last}"),
                format!("{first}_{last}"),
                format!("{first}-{last}"),
                format!("{first}{last}"),
                format!("{initial}{last}"),
                format!("{last}{first}"),
                format!("{last}.{first}"),
                format!("{}{}", first, last.chars().next().unwrap_or_default()),
            ];
            // Short made-up user names would be ordinary words ("lid" from "Li Data").
            for user in generated.iter().filter(|u| u.chars().count() >= 5) {
                self.add(user, Kind::UserName);
            }
        }
    }

    /// Learns an email address and its local part.
    pub fn learn_email(&mut self, email: &str) {
        let email = email.trim().trim_matches(|c| c == '<' || c == '>');
        if let Some((local, _)) = email.split_once('@') {
            self.add(email, Kind::Email);
            self.add(local, Kind::UserName);
        }
    }

    /// Learns a user name (from a home-folder path, say).
    pub fn learn_user(&mut self, user: &str) {
        self.add(user, Kind::UserName);
    }

    fn add(&mut self, term: &str, kind: Kind) {
        let term = term.trim();
        let lower = term.to_lowercase();
        if term.chars().count() < 3
            || COMMON.contains(&lower.as_str())
            || term.eq_ignore_ascii_case(&self.pseudonym)
            || !term.chars().any(char::is_alphabetic)
        {
            return;
        }
        self.compiled = None;
        self.terms.entry(term.to_string()).or_insert(kind);
    }

    /// Learns identity from one file of the submission (any text; notebooks and git
    /// configuration by their names).
    pub fn learn_from_file(&mut self, path: &str, text: &str) {
        let lower = path.to_ascii_lowercase();
        for c in HOME.captures_iter(text) {
            self.learn_user(&c[2]);
        }
        for c in AUTHOR.captures_iter(text) {
            let who = c[1].trim();
            // "Author: Ada Lovelace" is a person; "by the model" or "by 2 points" is not.
            let capitalised = who
                .split_whitespace()
                .all(|w| w.chars().next().is_some_and(char::is_uppercase));
            if capitalised && who.split_whitespace().count() >= 2 {
                self.learn_name(who);
            } else if capitalised && !c[0].trim_start().to_lowercase().starts_with("by") {
                self.learn_name(who);
            }
        }
        if lower.ends_with(".gitconfig") || lower.contains(".git/") || lower == ".git" {
            for c in GIT_USER.captures_iter(text) {
                self.learn_name(&c[1]);
            }
            for m in EMAIL.find_iter(text) {
                self.learn_email(m.as_str());
            }
        }
        if lower.ends_with(".ipynb")
            && let Ok(nb) = serde_json::from_str::<serde_json::Value>(text)
        {
            let meta = &nb["metadata"];
            if let Some(authors) = meta["authors"].as_array() {
                for a in authors {
                    if let Some(n) = a["name"].as_str().or(a.as_str()) {
                        self.learn_name(n);
                    }
                    if let Some(e) = a["email"].as_str() {
                        self.learn_email(e);
                    }
                }
            }
            if let Some(n) = meta["author"].as_str() {
                self.learn_name(n);
            }
        }
    }

    /// Learns identity from a PDF's metadata.
    pub fn learn_from_pdf(&mut self, metadata: &crate::report::pdf::PdfMetadata) {
        if let Some(author) = &metadata.author {
            for person in author.split([';', ',', '&']) {
                self.learn_name(person);
            }
        }
        for field in [&metadata.creator, &metadata.producer]
            .into_iter()
            .flatten()
        {
            if looks_like_person(field) {
                self.learn_name(field);
            }
        }
    }

    fn regex(&mut self) -> Option<&Regex> {
        if self.compiled.is_none() && !self.terms.is_empty() {
            let mut terms: Vec<String> = self.terms.keys().cloned().collect();
            // HTML-escaped forms too, for text that was rendered before it got here.
            let escaped: Vec<String> = terms
                .iter()
                .map(|t| t.replace('&', "&amp;").replace('\'', "&#39;"))
                .collect();
            terms.extend(escaped);
            terms.sort_by_key(|t| std::cmp::Reverse(t.len()));
            terms.dedup();
            let alternatives: Vec<String> = terms.iter().map(|t| regex::escape(t)).collect();
            // Whole words: not inside a longer word or number.
            let pattern = format!(
                r"(?i)(?:^|[^\p{{L}}\p{{N}}])((?:{}))(?:$|[^\p{{L}}\p{{N}}])",
                alternatives.join("|")
            );
            self.compiled = Regex::new(&pattern).ok();
        }
        self.compiled.as_ref()
    }

    fn record(&mut self, location: &str, what: &str, count: usize) {
        if count > 0 {
            *self
                .log
                .entry((location.to_string(), what.to_string()))
                .or_default() += count;
        }
    }

    /// `text` with identity and secrets replaced; each replacement is logged under
    /// `location` (with the line number appended when `lines` is set).
    pub fn redact(&mut self, text: &str, location: &str, lines: bool) -> String {
        // (line, what) of every replacement.
        let mut hits: Vec<(usize, String)> = Vec::new();
        let pseudonym = self.pseudonym.clone();
        // Secrets first: a key may contain a name-like run.
        let mut out = text.to_string();
        for (kind, re) in SECRETS.iter() {
            out = replace(&out, re, &mut hits, &format!("secret ({kind})"), |_| {
                SECRET_MASK.to_string()
            });
        }
        out = replace(
            &out,
            &URL_PASSWORD,
            &mut hits,
            "secret (password in a URL)",
            |c| format!("{}{SECRET_MASK}{}", &c[1], &c[3]),
        );
        out = replace(
            &out,
            &ASSIGNED_SECRET,
            &mut hits,
            "secret (assigned value)",
            |c| format!("{}{SECRET_MASK}{}", &c[1], &c[3]),
        );
        out = replace(&out, &HOME, &mut hits, "home folder", |c| {
            format!("{}{pseudonym}", &c[1])
        });
        let own: Vec<String> = self
            .terms
            .iter()
            .filter(|(_, k)| **k == Kind::Email)
            .map(|(t, _)| t.to_lowercase())
            .collect();
        out = replace(&out, &EMAIL, &mut hits, "email", |c| {
            if own.contains(&c[0].to_lowercase()) {
                pseudonym.clone()
            } else {
                EMAIL_MASK.to_string()
            }
        });
        let terms = self.terms.clone();
        if let Some(re) = self.regex().cloned() {
            // The regex consumes one boundary character on each side; repeat so that
            // adjacent terms ("Ada Ada") are all replaced.
            for _ in 0..4 {
                let mut changed = false;
                let current = out.clone();
                out = re
                    .replace_all(&current, |c: &Captures<'_>| {
                        let term = c.get(1).expect("group").as_str();
                        let kind = terms
                            .iter()
                            .find(|(t, _)| t.eq_ignore_ascii_case(term))
                            .map_or(Kind::Name, |(_, k)| *k);
                        hits.push((
                            line_of(&current, c.get(1).expect("group").start()),
                            kind.as_str().to_string(),
                        ));
                        changed = true;
                        c[0].replacen(term, &pseudonym, 1)
                    })
                    .into_owned();
                if !changed {
                    break;
                }
            }
        }
        for (line, what) in hits {
            let place = if lines {
                format!("{location}:{line}")
            } else {
                location.to_string()
            };
            self.record(&place, &what, 1);
        }
        out
    }

    /// Every replacement so far, by place and kind.
    pub fn log(&self) -> Vec<Redaction> {
        self.log
            .iter()
            .map(|((location, what), count)| Redaction {
                location: location.clone(),
                what: what.clone(),
                count: *count,
            })
            .collect()
    }

    /// Redacts every string of a serialisable value (a packet), except `data:` URIs and
    /// what `place` skips; `place` tells from a string's JSON path where it is.
    pub fn value(
        &mut self,
        value: &mut serde_json::Value,
        path: &mut Vec<String>,
        place: &dyn Fn(&[String]) -> Place,
    ) {
        match value {
            serde_json::Value::String(s) => {
                if s.starts_with("data:") {
                    return;
                }
                let redacted = match place(path) {
                    Place::Skip => return,
                    Place::At(location, lines) => self.redact(s, &location, lines),
                    Place::Quiet => {
                        let saved = self.log.clone();
                        let r = self.redact(s, "", false);
                        self.log = saved;
                        r
                    }
                };
                if redacted != *s {
                    *s = redacted;
                }
            }
            serde_json::Value::Array(items) => {
                for (i, item) in items.iter_mut().enumerate() {
                    path.push(i.to_string());
                    self.value(item, path, place);
                    path.pop();
                }
            }
            serde_json::Value::Object(map) => {
                for (k, v) in map.iter_mut() {
                    path.push(k.clone());
                    self.value(v, path, place);
                    path.pop();
                }
            }
            _ => {}
        }
    }
}

/// Replaces every match of `re`, noting the offset (in the text as it was) and `what`.
fn replace(
    text: &str,
    re: &Regex,
    hits: &mut Vec<(usize, String)>,
    what: &str,
    with: impl Fn(&Captures<'_>) -> String,
) -> String {
    re.replace_all(text, |c: &Captures<'_>| {
        hits.push((
            line_of(text, c.get(0).map_or(0, |m| m.start())),
            what.to_string(),
        ));
        // Keep the line count, so that later lines keep their numbers.
        let mut replacement = with(c);
        replacement.push_str(&"\n".repeat(c[0].matches('\n').count()));
        replacement
    })
    .into_owned()
}

/// The line (from 1) of byte offset `at` in `text`.
fn line_of(text: &str, at: usize) -> usize {
    text.get(..at).map_or(1, |t| t.matches('\n').count() + 1)
}

/// Two or three capitalised words without digits or software names: a person, probably.
fn looks_like_person(text: &str) -> bool {
    const SOFTWARE: &[&str] = &[
        "word",
        "latex",
        "tex",
        "pdf",
        "microsoft",
        "adobe",
        "acrobat",
        "google",
        "docs",
        "quartz",
        "macos",
        "skia",
        "chromium",
        "pdftex",
        "libreoffice",
        "writer",
        "pages",
        "keynote",
        "powerpoint",
        "matplotlib",
        "reportlab",
        "office",
        "openoffice",
        "cairo",
        "ghostscript",
        "distiller",
        "printpdf",
        "lopdf",
        "typst",
        "pandoc",
        "xetex",
        "luatex",
        "overleaf",
        "canva",
        "jupyter",
        "nbconvert",
        "webkit",
        "safari",
        "chrome",
        "mac",
        "os",
        "windows",
        "apple",
        "version",
        "export",
        "for",
        "with",
    ];
    let words: Vec<&str> = text.split_whitespace().collect();
    (2..=3).contains(&words.len())
        && words.iter().all(|w| {
            w.chars().next().is_some_and(char::is_uppercase)
                && w.chars()
                    .all(|c| c.is_alphabetic() || c == '-' || c == '\'')
                && !SOFTWARE.contains(&w.to_lowercase().as_str())
        })
}

#[cfg(test)]
mod tests {
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
}
