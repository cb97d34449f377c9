//! Bylines: the people a report names as its authors, found in its text whether or not
//! they are in the issue record. De-identification learns them (`packet::redact`).
//!
//! Looked for, in a report's opening (a Markdown or text report, a notebook's markdown
//! cells, a PDF's first page):
//! - a name after a dash, a bar or "by" in the title ("Pluralsight Takehome - Andrew
//!   August", "Churn analysis by Ada Lovelace");
//! - lines of person-like names between the title and the first heading ("Iacob Iasmina",
//!   "Ada Lovelace, Alan Turing");
//! and anywhere in a report: `Author:`, `Authors:`, `By`, `Name:`, `Candidate:`,
//! `Submitted by`, `Prepared by`, `Written by` lines.
//!
//! A *person-like name* is 2 to 4 capitalised words of letters (an initial such as "J." may
//! be among them), none of them a common word of titles, reports or machine learning
//! ([`is_common`]): "Customer Churn - Final Report" names nobody.

use std::sync::LazyLock;

use regex::Regex;

/// Lines after the title looked at for a byline, at most.
const OPENING_LINES: usize = 6;

/// Words of titles, reports, data science, labels and salutations: never a name by
/// themselves (whitespace-separated, lower case).
const COMMON: &str = "a about abstract acquisition advanced ai algorithm all an analysis analyst analytics and \
    anomaly answer answers api appendix applied approach are as assessment assignment at auc \
    author authors autumn background baseline basic best boosting brief business by campaign \
    candidate case challenge chapter churn classification classifier cleaning clustering \
    code coding cohort company conclusion conclusions contact contents corp created credit \
    customer customers dashboard data dataset datasets date dear decision deep default \
    department deployment detection discussion document dr draft eda email engineer \
    engineering evaluation executive exercise experiment experiments exploration exploratory \
    fall feature features figure final findings first for forecast forecasting forest fraud \
    from future general goal goals gradient group hello hi home house housing how hypothesis \
    i image images in inc insight insights interview introduction is job junior key lab \
    learning lifetime limitations linear literature llc loan logistic loss ltd machine main \
    marketing method methodology methods metric metrics ml model modeling modelling \
    models mr mrs ms my name network networks neural new next no not notebook notes \
    objective objectives of on or our overview page pandas paper part performance pipeline \
    plan precision predicting prediction predictions predictive prepared preprocessing price \
    prices pricing problem product products prof project proposal python question questions \
    random recall recommendation recommendations recommender regards regression report \
    results retention revenue review risk roc sales science scientist scope score second \
    section segmentation semester senior sentiment series service slides solution spring sql \
    statement statistics steps student study submission submitted summary summer system \
    table take take-home takehome task team technical test testing text thanks the thesis \
    this time to training tree trees university user users using v validation value version \
    via vs we winter with work written xgboost your \
    competition kaggle github repository readme instructions setup installation usage \
    requirements dependencies environment todo homework week day lesson tutorial guide \
    documentation docs jupyter colab google microsoft amazon titanic iris mnist dataframe \
    exploring predict understanding building improving quick simple overview";

/// Whether `word` is a common word of titles and reports, never a name by itself.
pub fn is_common(word: &str) -> bool {
    let lower = word
        .trim_matches(|c: char| !c.is_alphanumeric() && c != '-')
        .to_lowercase();
    COMMON.split_whitespace().any(|w| w == lower)
}

/// A capitalised word of letters (hyphens and apostrophes inside), or an initial.
fn name_word(word: &str) -> Option<bool> {
    let word = word.trim_end_matches(',');
    let initial = word.len() <= 2
        && word.ends_with('.')
        && word.chars().next().is_some_and(char::is_uppercase);
    if initial || (word.chars().count() == 1 && word.chars().all(char::is_uppercase)) {
        return Some(false);
    }
    let ok = word.chars().next().is_some_and(char::is_uppercase)
        && word.chars().count() >= 2
        && word
            .chars()
            .all(|c| c.is_alphabetic() || c == '-' || c == '\'' || c == '’')
        && !is_common(word);
    ok.then_some(true)
}

/// Whether `text` reads as a person's name: 2 to 4 capitalised words, at least two of
/// them more than an initial, none a common word.
pub fn person_like(text: &str) -> bool {
    let words: Vec<&str> = text.split_whitespace().collect();
    if !(2..=4).contains(&words.len()) {
        return false;
    }
    let mut full = 0;
    for w in words {
        match name_word(w) {
            Some(true) => full += 1,
            Some(false) => {}
            None => return false,
        }
    }
    full >= 2
}

/// A line without Markdown decoration: heading marks, emphasis, list bullets, quotes.
fn plain(line: &str) -> &str {
    line.trim()
        .trim_start_matches(['#', '>', '-', '*', '+', ' '])
        .trim_matches(['*', '_', '`', ' ', '\t'])
}

/// The names in one byline: split at commas, semicolons, "and", "&", bars and bullets;
/// e-mail addresses, dates and parentheses dropped.
fn names_in(text: &str, person: impl Fn(&str) -> bool) -> Vec<String> {
    static DROP: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"<[^>]*>|\([^)]*\)|\S+@\S+|\b\d[\d/.\-]*\b").expect("byline noise")
    });
    let cleaned = DROP.replace_all(text, ",");
    cleaned
        .split([',', ';', '&', '|', '·', '•', '/'])
        .flat_map(|part| part.split(" and "))
        .map(|part| plain(part).trim_matches(|c: char| c == '.' || c.is_whitespace()))
        .filter(|part| person(part))
        .map(str::to_string)
        .collect()
}

/// Labelled byline lines: `Author: ...`, `By ...`, `Name: ...`, `Submitted by ...`.
static LABELLED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?im)^[\s#>*_-]*(authors?|by|name|candidate|submitted\s+by|prepared\s+by|written\s+by|created\s+by)[*_]*(\s*[:：\-–—]\s*|\s+)(.+?)\s*$",
    )
    .expect("labelled byline")
});

/// The names given by labelled lines anywhere in `text`. After a colon one capitalised
/// word is a name too ("Author: Iasmina"); "By" without a colon needs a person-like name.
pub fn labelled(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for c in LABELLED.captures_iter(text) {
        let colon = c[2].contains([':', '：']);
        let by = c[1].eq_ignore_ascii_case("by");
        let name_label = c[1].eq_ignore_ascii_case("name");
        if name_label && !colon {
            continue;
        }
        out.extend(names_in(&c[3], |part| {
            person_like(part)
                || (colon && !by && !part.contains(' ') && name_word(part) == Some(true))
        }));
    }
    out
}

/// What follows the last dash, bar, colon or "by" of a title.
fn title_tail(title: &str) -> Option<&str> {
    let lower = title.to_lowercase();
    [" - ", " – ", " — ", " | ", ": ", " by "]
        .iter()
        .filter_map(|sep| lower.rfind(sep).map(|at| at + sep.len()))
        .max()
        .and_then(|at| title.get(at..))
}

/// Every byline name in a report's `text` (its source, a notebook's markdown cells, a PDF's
/// first page): in the title after a dash or "by", on the lines between the title and the
/// first heading, and on labelled lines.
pub fn names(text: &str) -> Vec<String> {
    let mut out = labelled(text);
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    let Some(title) = lines.next() else {
        return out;
    };
    if let Some(tail) = title_tail(plain(title)) {
        out.extend(names_in(tail, person_like));
    }
    for line in lines.take(OPENING_LINES) {
        let heading = line.starts_with('#')
            || line.len() > 100
            || line.ends_with(['.', ':'])
            || line.chars().next().is_some_and(|c| c.is_ascii_digit());
        if heading {
            break;
        }
        out.extend(names_in(line, person_like));
    }
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn person_like_names_are_capitalised_words_that_are_not_title_words() {
        for (text, person) in [
            ("Andrew August", true),
            ("Iacob Iasmina", true),
            ("IACOB IASMINA", true),
            ("Ada B. Lovelace", true),
            ("Jean-Luc O'Neill", true),
            ("Customer Churn", false),
            ("Final Report", false),
            ("Ada", false),
            ("ada lovelace", false),
            ("Exploratory Data Analysis", false),
            ("Ada Lovelace 2024", false),
            ("One Two Three Four Five", false),
        ] {
            assert_eq!(person_like(text), person, "{text}");
        }
    }

    #[test]
    fn a_name_after_a_dash_or_by_in_the_title_is_a_byline() {
        assert_eq!(
            names("# Pluralsight Takehome - Andrew August\n\nSome text."),
            ["Andrew August"]
        );
        assert_eq!(
            names("Churn analysis by Grace Hopper\n\nIntro"),
            ["Grace Hopper"]
        );
        assert!(names("# Customer Churn - Final Report\n\n## Intro\n").is_empty());
        assert!(names("# Churn model | Results\n").is_empty());
    }

    #[test]
    fn names_between_the_title_and_the_first_heading_are_bylines() {
        let text = "Churn prediction\nIacob Iasmina\nMarch 2024\n\n1. Introduction\nAlan Turing was here.\n";
        assert_eq!(names(text), ["Iacob Iasmina"]);
        let text = "# Report\n\n*Ada Lovelace, Alan Turing* (ada@x.org)\n\n## Data Overview\nGrace Hopper\n";
        assert_eq!(names(text), ["Ada Lovelace", "Alan Turing"]);
    }

    #[test]
    fn labelled_lines_name_their_author_anywhere() {
        let text = "# Report\n\nSome text.\n\nAuthor: Iasmina\n**Submitted by:** Mihaela Iacob\nBy the way, nothing.\nName: customer_id\nBy Model Results\n";
        assert_eq!(labelled(text), ["Iasmina", "Mihaela Iacob"]);
    }
}
