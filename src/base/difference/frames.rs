//! Layout undone: a printed table's values in reading order, whatever width it was printed
//! at. pandas wraps a wide frame into chunks of columns (each chunk's header ends in `\`,
//! each repeats the row labels) where a console is narrow, or hides middle columns and rows
//! behind `...`; both print the same values.

/// The words of `text` once wrapped frames are joined back into one block, with the
/// `[N rows x M columns]` footers, line continuations and `...` markers dropped.
pub fn layout_free_words(text: &str) -> Vec<String> {
    unwrap_frames(text)
        .iter()
        .filter(|line| !is_dimensions_footer(line))
        .flat_map(|line| line.split_whitespace())
        .filter(|w| !matches!(*w, "\\" | "..." | "…"))
        .map(str::to_string)
        .collect()
}

/// Words with the names of types set aside: `dtype=int64` suffixes (NumPy prints them where
/// the default integer differs, as on 32-bit platforms) and module paths of classes
/// (`pandas.core.frame.DataFrame` is `pandas.DataFrame` in newer pandas). Punctuation split
/// off, so `3])` and `3],` are the same value.
pub fn without_type_names(words: &[String]) -> Vec<String> {
    words
        .iter()
        .flat_map(|w| {
            w.split(|c: char| {
                !(c.is_alphanumeric() || c == '_' || c == '.' || c == '-' || c == '=')
            })
            .filter(|p| !p.is_empty())
            .map(str::to_string)
            .collect::<Vec<_>>()
        })
        .filter(|p| !p.starts_with("dtype="))
        .map(|p| match p.rsplit_once('.') {
            // A dotted name (not a number): its last part.
            Some((_, last)) if p.chars().next().is_some_and(char::is_alphabetic) => {
                last.to_string()
            }
            _ => p,
        })
        .collect()
}

/// Whether the text shows elided columns or rows (`...`).
pub fn is_truncated(text: &str) -> bool {
    text.split_whitespace().any(|w| w == "..." || w == "…")
}

fn is_dimensions_footer(line: &str) -> bool {
    let line = line.trim();
    line.starts_with('[') && line.ends_with(" columns]") && line.contains(" rows x ")
}

/// The lines of `text`, with each run of wrapped frame chunks joined side by side.
fn unwrap_frames(text: &str) -> Vec<String> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if !continues(lines[i]) {
            out.push(lines[i].to_string());
            i += 1;
            continue;
        }
        let (chunks, next) = chunks_from(&lines, i);
        match join_chunks(&chunks) {
            Some(joined) => {
                out.extend(joined);
                i = next;
            }
            None => {
                out.push(lines[i].to_string());
                i += 1;
            }
        }
    }
    out
}

fn continues(line: &str) -> bool {
    line.trim_end().ends_with(" \\")
}

/// Chunks (blocks separated by blank lines) from `start` while each chunk's header
/// continues; the last one is the chunk whose header does not. Returns where they end.
fn chunks_from<'a>(lines: &[&'a str], start: usize) -> (Vec<Vec<&'a str>>, usize) {
    let mut chunks = Vec::new();
    let mut i = start;
    loop {
        let end = (i..lines.len())
            .find(|&j| lines[j].trim().is_empty())
            .unwrap_or(lines.len());
        let chunk: Vec<&str> = lines[i..end].to_vec();
        let more = chunk.first().is_some_and(|l| continues(l));
        chunks.push(chunk);
        i = end;
        if !more || i >= lines.len() {
            return (chunks, i);
        }
        i += 1; // the blank line between chunks
    }
}

/// The chunks side by side, each later chunk's row labels dropped; `None` when they do not
/// have the same number of lines (not a wrapped frame after all).
fn join_chunks(chunks: &[Vec<&str>]) -> Option<Vec<String>> {
    let height = chunks.first()?.len();
    if chunks.len() < 2 || chunks.iter().any(|c| c.len() != height) {
        return None;
    }
    let mut joined: Vec<String> = chunks[0]
        .iter()
        .map(|l| l.trim_end().trim_end_matches('\\').trim_end().to_string())
        .collect();
    for chunk in &chunks[1..] {
        // The header of a chunk is indented by the width of the row labels.
        let label_width = chunk[0].len() - chunk[0].trim_start().len();
        for (line, add) in joined.iter_mut().zip(chunk) {
            let add = add.trim_end().trim_end_matches('\\');
            let rest = add.get(label_width.min(add.len())..).unwrap_or(add);
            line.push(' ');
            line.push_str(rest.trim());
        }
    }
    Some(joined)
}

#[cfg(test)]
mod tests {
    use super::*;

    const WRAPPED: &str = "   alpha  beta  gamma  \\\n0      1     2      3   \n1      4     5      6   \n\n   delta  epsilon\n0      7        8\n1      9       10";
    const WIDE: &str = "   alpha  beta  gamma  delta  epsilon\n0      1     2      3      7        8\n1      4     5      6      9       10";
    const ELIDED: &str = "   alpha  ...  epsilon\n0      1  ...        8\n1      4  ...       10\n\n[2 rows x 5 columns]";

    #[test]
    fn a_wrapped_frame_has_the_words_of_the_same_frame_in_one_block() {
        assert_eq!(layout_free_words(WRAPPED), layout_free_words(WIDE));
    }

    #[test]
    fn an_elided_frame_keeps_a_subset_of_the_words() {
        let elided = layout_free_words(ELIDED);
        assert!(is_truncated(ELIDED) && !is_truncated(WIDE));
        assert_eq!(elided, ["alpha", "epsilon", "0", "1", "8", "1", "4", "10"]);
    }

    #[test]
    fn a_line_ending_in_a_backslash_that_is_no_frame_stays() {
        assert_eq!(
            layout_free_words("path C:\\ \\\nnext"),
            ["path", "C:\\", "next"]
        );
    }
}
