//! A problem found in an assignment or submission folder, with where it is.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// One problem: the file, the 1-based line and column where there is one, and what is wrong.
/// Displays as `file:line:column: message` (as compilers do), leaving out what is unknown.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Problem {
    /// The file the problem is in (or the missing file or folder), as the folder path was given.
    pub file: PathBuf,
    /// 1-based line, if the problem is at a place in the file.
    pub line: Option<usize>,
    /// 1-based column in characters, if the problem is at a place in the file.
    pub column: Option<usize>,
    /// What is wrong, naming the key or value concerned.
    pub message: String,
}

impl Problem {
    /// A problem with a whole file or folder (no position).
    pub fn file(file: impl Into<PathBuf>, message: impl Into<String>) -> Problem {
        Problem {
            file: file.into(),
            line: None,
            column: None,
            message: message.into(),
        }
    }

    /// A problem at byte `offset` of `text`, the contents of `file`.
    pub fn at(file: &Path, text: &str, offset: usize, message: impl Into<String>) -> Problem {
        let (line, column) = position(text, offset);
        Problem {
            file: file.into(),
            line: Some(line),
            column: Some(column),
            message: message.into(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for Problem {}

/// 1-based (line, column) of byte `offset`; the column counts characters.
pub fn position(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (
        before.matches('\n').count() + 1,
        before[line_start..].chars().count() + 1,
    )
}

/// Problems found in one text file, placed by byte span.
pub(crate) struct Doc<'a> {
    pub file: &'a Path,
    pub text: &'a str,
    pub problems: Vec<Problem>,
}

impl<'a> Doc<'a> {
    pub fn new(file: &'a Path, text: &'a str) -> Doc<'a> {
        Doc {
            file,
            text,
            problems: Vec::new(),
        }
    }

    /// Records a problem at the start of `span`.
    pub fn at(&mut self, span: &Range<usize>, message: impl Into<String>) {
        self.problems
            .push(Problem::at(self.file, self.text, span.start, message));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based_and_count_characters() {
        let text = "ab\nçd = 1\n";
        assert_eq!(position(text, 0), (1, 1));
        assert_eq!(position(text, 3), (2, 1));
        assert_eq!(position(text, 6), (2, 3)); // after the two-byte ç and `d`
        assert_eq!(position(text, 99), (3, 1));
    }

    #[test]
    fn display_leaves_out_unknown_parts() {
        let at = Problem::at(Path::new("a/assignment.toml"), "x\ny = 1", 2, "bad");
        assert_eq!(at.to_string(), "a/assignment.toml:2:1: bad");
        assert_eq!(
            Problem::file("a/brief.md", "missing").to_string(),
            "a/brief.md: missing"
        );
    }
}
