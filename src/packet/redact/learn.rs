//! What the redactor learns of who the candidate is: names (whole, in parts, as user names),
//! emails, user names, and the identity a submission's files carry about their author.

use std::sync::LazyLock;

use regex::Regex;

use super::{EMAIL, HOME, Kind, Redactor};

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

static AUTHOR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?im)^[\s#*/"'-]*(?:@?authors?|__author__|written\s+by|created\s+by|prepared\s+by|submitted\s+by|maintainer|copyright(?:\s+\(c\))?(?:\s+\d{4})?|by)\b\s*[:=]?\s*["']?([\p{L}][\p{L}'.-]*(?:[ \t]+[\p{L}][\p{L}'.-]*){0,3})"#,
    )
    .expect("author regex")
});
static GIT_USER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?im)^\s*name\s*=\s*(.+?)\s*$").expect("git user"));

impl Redactor {
    /// Learns a person's name: whole (in either order: surname first is common), its parts,
    /// and user names made of it.
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
        if parts.len() >= 2 {
            let mut reversed = parts.clone();
            reversed.reverse();
            self.add(&reversed.join(" "), Kind::Name);
        }
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

    /// Learns the bylines of a report's text (a Markdown or text report, a notebook's
    /// markdown cells, a PDF's first page; see [`crate::report::byline`]); with
    /// `opening` false only its labelled lines (`Author:`, `By ...`), as for later PDF pages.
    pub fn learn_from_report(&mut self, text: &str, opening: bool) {
        let names = if opening {
            crate::report::byline::names(text)
        } else {
            crate::report::byline::labelled(text)
        };
        for name in names {
            self.learn_name(&name);
        }
    }

    /// Learns the words written beside a known name in `text`: "Iacob Iasmina" where only
    /// "Mihaela Iacob" is known makes "Iasmina" a name too. A neighbour counts when it is
    /// a capitalised word of three letters or more, not a common word of reports, and
    /// separated from the name by spaces (or a comma) on the same line.
    pub fn learn_neighbours(&mut self, text: &str) {
        static WORD: LazyLock<Regex> =
            LazyLock::new(|| Regex::new(r"[\p{L}][\p{L}'’-]*").expect("word"));
        for line in text.lines() {
            let words: Vec<regex::Match<'_>> = WORD.find_iter(line).collect();
            let known = |w: &str| {
                self.terms
                    .iter()
                    .any(|(t, k)| *k == Kind::Name && t.eq_ignore_ascii_case(w))
            };
            let mut found = Vec::new();
            for (i, w) in words.iter().enumerate() {
                if !known(w.as_str()) {
                    continue;
                }
                let before = i.checked_sub(1).map(|j| (words[j], w.start()));
                let after = words.get(i + 1).map(|n| (*n, w.end()));
                for (neighbour, _) in [before, after].into_iter().flatten() {
                    let gap = if neighbour.start() < w.start() {
                        &line[neighbour.end()..w.start()]
                    } else {
                        &line[w.end()..neighbour.start()]
                    };
                    let candidate = neighbour.as_str();
                    if gap.trim().trim_matches(',').trim().is_empty()
                        && !gap.is_empty()
                        && candidate.chars().count() >= 3
                        && candidate.chars().next().is_some_and(char::is_uppercase)
                        && !crate::report::byline::is_common(candidate)
                        && !known(candidate)
                    {
                        found.push(candidate.to_string());
                    }
                }
            }
            for name in found {
                self.add(&name, Kind::Name);
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
