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
//!
//! Learning lives in [`learn`]; this file redacts and keeps the log.

mod learn;
#[cfg(test)]
mod tests;

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
        let (out, hits) = self.replaced(text);
        for hit in hits {
            let place = if lines {
                format!("{location}:{}", hit.line)
            } else {
                location.to_string()
            };
            self.record(&place, &hit.what, 1);
        }
        out
    }

    /// What [`Redactor::redact`] would replace in `text`: each span as it stands there and
    /// why (`name`, `email`, `secret (...)`), in order, without logging anything. Page
    /// images are covered where these spans are drawn.
    pub fn spans(&mut self, text: &str) -> Vec<(String, String)> {
        self.replaced(text)
            .1
            .into_iter()
            .map(|hit| (hit.text, hit.what))
            .collect()
    }

    /// Logs `count` replacements of kind `what` at `location` that happened elsewhere (boxes
    /// over a page image).
    pub fn note(&mut self, location: &str, what: &str, count: usize) {
        self.record(location, what, count);
    }

    /// `text` redacted, and every replacement made.
    fn replaced(&mut self, text: &str) -> (String, Vec<Hit>) {
        let mut hits: Vec<Hit> = Vec::new();
        let pseudonym = self.pseudonym.clone();
        // Secrets first: a key may contain a name-like run.
        let mut out = text.to_string();
        for (kind, re) in SECRETS.iter() {
            out = replace(&out, re, 0, &mut hits, &format!("secret ({kind})"), |_| {
                SECRET_MASK.to_string()
            });
        }
        out = replace(
            &out,
            &URL_PASSWORD,
            2,
            &mut hits,
            "secret (password in a URL)",
            |c| format!("{}{SECRET_MASK}{}", &c[1], &c[3]),
        );
        out = replace(
            &out,
            &ASSIGNED_SECRET,
            2,
            &mut hits,
            "secret (assigned value)",
            |c| format!("{}{SECRET_MASK}{}", &c[1], &c[3]),
        );
        out = replace(&out, &HOME, 2, &mut hits, "home folder", |c| {
            format!("{}{pseudonym}", &c[1])
        });
        let own: Vec<String> = self
            .terms
            .iter()
            .filter(|(_, k)| **k == Kind::Email)
            .map(|(t, _)| t.to_lowercase())
            .collect();
        out = replace(&out, &EMAIL, 0, &mut hits, "email", |c| {
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
                        hits.push(Hit {
                            line: line_of(&current, c.get(1).expect("group").start()),
                            what: kind.as_str().to_string(),
                            text: term.to_string(),
                        });
                        changed = true;
                        c[0].replacen(term, &pseudonym, 1)
                    })
                    .into_owned();
                if !changed {
                    break;
                }
            }
        }
        (out, hits)
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

/// One replacement: its line, its kind, and the text it replaced.
struct Hit {
    line: usize,
    what: String,
    text: String,
}

/// Replaces every match of `re`, noting the line (in the text as it was), `what`, and the
/// text of capture `group` (the part that identifies).
fn replace(
    text: &str,
    re: &Regex,
    group: usize,
    hits: &mut Vec<Hit>,
    what: &str,
    with: impl Fn(&Captures<'_>) -> String,
) -> String {
    re.replace_all(text, |c: &Captures<'_>| {
        hits.push(Hit {
            line: line_of(text, c.get(0).map_or(0, |m| m.start())),
            what: what.to_string(),
            text: c.get(group).map_or("", |m| m.as_str()).to_string(),
        });
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
