//! `report_sections`: which required section headings a report has.
//!
//! A required section is a title, or several titles separated by `|` that all count
//! (`"Method|Methodology|Approach"`; the first is the name shown). A heading counts for a
//! title when, compared case-insensitively and ignoring whitespace runs, closing `#`s and
//! trailing punctuation:
//! - it equals the title, after removing a leading number (`3.`, `3.1`, `IV.`, `B)`,
//!   `Section 2:`);
//! - or one of its parts does, the parts being split at ` and `, ` & `, `/` and `:`
//!   ("Results and discussion" has both *Results* and *Discussion*);
//! - or they differ only by a plural `s` or `-ology` ("Methods", "Methodology" for *Method*).

use std::sync::LazyLock;

/// For each required section, whether the Markdown report has it as an ATX heading (`#` to
/// `######`, any level). Lines inside fenced code blocks are not headings; setext
/// (underlined) headings are not recognised.
pub fn report_sections(markdown: &str, required: &[String]) -> Vec<(String, bool)> {
    sections_in(&markdown_headings(markdown), required)
}

/// For each required section (titles separated by `|`), its shown title and whether one of
/// `headings` (as written) matches one of its titles.
pub fn sections_in(headings: &[String], required: &[String]) -> Vec<(String, bool)> {
    let found: Vec<Vec<String>> = headings.iter().map(|h| heading_keys(h)).collect();
    required
        .iter()
        .map(|entry| {
            let titles: Vec<String> = entry
                .split('|')
                .map(normalize)
                .filter(|t| !t.is_empty())
                .map(|t| stem(&t))
                .collect();
            let shown = entry.split('|').next().unwrap_or(entry).trim().to_string();
            let present = found
                .iter()
                .any(|keys| keys.iter().any(|k| titles.contains(k)));
            (shown, present)
        })
        .collect()
}

/// The forms of a heading that can match a title: without its number, whole and in parts.
fn heading_keys(heading: &str) -> Vec<String> {
    static NUMBER: LazyLock<regex::Regex> = LazyLock::new(|| {
        regex::Regex::new(r"(?i)^(?:section\s+)?(?:\d+(?:\.\d+)*[.):]?|(?:[ivxlc]+|[a-h])[.):])\s+")
            .expect("section number")
    });
    static PARTS: LazyLock<regex::Regex> = LazyLock::new(|| {
        regex::Regex::new(r"\s+and\s+|\s*&\s*|\s*/\s*|\s*:\s*").expect("heading parts")
    });
    let text = normalize(heading);
    let text = NUMBER.replace(&text, "").into_owned();
    let mut keys = vec![stem(&text)];
    keys.extend(
        PARTS
            .split(&text)
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(stem),
    );
    keys
}

/// A title with a plural `s` or an `-ology` ending removed from its last word.
fn stem(title: &str) -> String {
    let t = title.trim_end_matches(|c: char| ":.;,!?".contains(c));
    if let Some(base) = t.strip_suffix("ology").filter(|b| b.len() >= 4) {
        return base.to_string();
    }
    match t.strip_suffix('s') {
        Some(base) if !base.ends_with('s') && base.len() >= 3 => base.to_string(),
        _ => t.to_string(),
    }
}

/// The text of every ATX heading of `markdown`, outside fenced code blocks.
pub fn markdown_headings(markdown: &str) -> Vec<String> {
    let mut out = Vec::new();
    // The open fence's character and length, while inside a fenced code block.
    let mut fence: Option<(char, usize)> = None;
    for line in markdown.lines() {
        let indent = line.len() - line.trim_start_matches(' ').len();
        let text = line.trim_start_matches(' ');
        if indent > 3 {
            continue;
        }
        let marker = text.chars().next().filter(|c| *c == '`' || *c == '~');
        let run = marker.map_or(0, |c| text.chars().take_while(|x| *x == c).count());
        match (fence, marker) {
            (None, Some(c)) if run >= 3 => fence = Some((c, run)),
            (Some((open, len)), Some(c))
                if c == open && run >= len && text.trim_end().len() == run =>
            {
                fence = None
            }
            (Some(_), _) => {}
            (None, _) => out.extend(heading(text).map(str::to_string)),
        }
    }
    out
}

/// The text of an ATX heading line, closing `#`s removed.
fn heading(line: &str) -> Option<&str> {
    let level = line.chars().take_while(|c| *c == '#').count();
    let rest = &line[level..];
    if !(1..=6).contains(&level) || !(rest.is_empty() || rest.starts_with([' ', '\t'])) {
        return None;
    }
    let rest = rest.trim();
    // A closing sequence is `#`s preceded by a space (or the whole text).
    let without = rest.trim_end_matches('#');
    Some(if without.is_empty() || without.ends_with([' ', '\t']) {
        without
    } else {
        rest
    })
}

fn normalize(title: &str) -> String {
    let title = title
        .trim()
        .trim_end_matches(|c: char| c.is_whitespace() || ":.;,!?".contains(c));
    title
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn has(markdown: &str, title: &str) -> bool {
        report_sections(markdown, &[title.to_string()])[0].1
    }

    #[test]
    fn headings_match_at_any_level_ignoring_case_and_punctuation() {
        let md = "# Report\n\n## Problem statement\ntext\n### LIMITATIONS:\n  #  Method  ##\n";
        assert!(has(md, "Problem statement"));
        assert!(has(md, "Limitations"));
        assert!(has(md, "method"));
        assert!(!has(md, "Literature review"));
    }

    #[test]
    fn only_heading_lines_count() {
        assert!(!has("Limitations are many.\n", "Limitations"));
        assert!(!has("##Limitations\n", "Limitations"));
        assert!(!has("####### Limitations\n", "Limitations"));
        assert!(!has("    ## Limitations\n", "Limitations"));
        assert!(!has("## Limitations of the data\n", "Limitations"));
    }

    #[test]
    fn fenced_code_is_skipped() {
        let md = "```python\n# Limitations\n```\n~~~~\n## Method\n~~~\n";
        assert!(!has(md, "Limitations"));
        assert!(!has(md, "Method"), "a ~~~ fence closes only with 4 or more");
        assert!(has("```\n```\n## Method\n", "Method"));
    }

    #[test]
    fn numbered_and_differently_worded_headings_count() {
        for (heading, title) in [
            ("## 3. Method", "Method"),
            ("# 2.1 Results", "Results"),
            ("### IV. Limitations", "Limitations"),
            ("## Methodology", "Method"),
            ("## Methods", "Method"),
            ("## Results and discussion", "Discussion"),
            ("## Results & Discussion", "Results"),
            ("## Section 2: Problem statement", "Problem statement"),
            ("## Our approach", "Method|Our approach"),
            ("## 1) Literature review", "Related work|Literature review"),
        ] {
            assert!(has(&format!("{heading}\n"), title), "{heading} for {title}");
        }
        for (heading, title) in [
            ("## Methodology notes", "Method"),
            ("## 3. Resulting data", "Results"),
            ("## Discussions of method", "Method"),
        ] {
            assert!(
                !has(&format!("{heading}\n"), title),
                "{heading} for {title}"
            );
        }
    }

    #[test]
    fn a_section_with_synonyms_is_shown_by_its_first_title() {
        let required = vec!["Method | Approach".to_string()];
        assert_eq!(
            report_sections("## Approach\n", &required),
            [("Method".to_string(), true)]
        );
    }

    #[test]
    fn results_follow_the_required_order() {
        let required = vec!["B".to_string(), "A".to_string()];
        let got = report_sections("## a\r\n", &required);
        assert_eq!(got, [("B".to_string(), false), ("A".to_string(), true)]);
    }
}
