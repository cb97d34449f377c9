//! `report_sections`: which required section headings a Markdown report has.

/// For each required title, whether the report has it as an ATX heading (`#` to `######`).
/// Titles match case-insensitively, ignoring surrounding whitespace, runs of inner
/// whitespace, closing `#`s and trailing punctuation such as `:`. Lines inside fenced code
/// blocks are not headings; setext (underlined) headings are not recognised.
pub fn report_sections(markdown: &str, required: &[String]) -> Vec<(String, bool)> {
    let found = headings(markdown);
    required
        .iter()
        .map(|title| (title.clone(), found.contains(&normalize(title))))
        .collect()
}

/// The normalised text of every heading.
fn headings(markdown: &str) -> Vec<String> {
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
            (None, _) => out.extend(heading(text).map(normalize)),
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
    fn results_follow_the_required_order() {
        let required = vec!["B".to_string(), "A".to_string()];
        let got = report_sections("## a\r\n", &required);
        assert_eq!(got, [("B".to_string(), false), ("A".to_string(), true)]);
    }
}
