//! Reading one cell as a label, a number, a 0/1 value or a probability.

use std::fmt;

use super::error::{ScoreError, Side};

/// A class label. Text that reads as a finite number is compared as a number, so `1` and
/// `1.0` are the same class; anything else is compared as text (after trimming).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Label {
    /// A numeric label, stored as the bits of its `f64` (with −0 as 0) so it can be a map key.
    Number(u64),
    /// Any other label, trimmed, compared exactly (case matters).
    Text(String),
}

impl fmt::Display for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Label::Number(bits) => write!(f, "{}", f64::from_bits(*bits)),
            Label::Text(text) => f.write_str(text),
        }
    }
}

/// One cell to read: where it is and what it says.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Cell<'a> {
    pub line: usize,
    pub text: &'a str,
}

/// The file and column the cells come from, for error messages.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Place<'a> {
    pub file: Side,
    pub column: &'a str,
}

impl Place<'_> {
    fn empty(&self, cell: Cell) -> ScoreError {
        ScoreError::EmptyValue {
            file: self.file,
            line: cell.line,
            column: self.column.into(),
        }
    }

    fn text(&self, cell: Cell) -> (Side, usize, String, String) {
        (
            self.file,
            cell.line,
            self.column.to_string(),
            cell.text.trim().to_string(),
        )
    }

    /// A class label.
    pub fn label(&self, cell: Cell) -> Result<Label, ScoreError> {
        let text = cell.text.trim();
        if text.is_empty() {
            return Err(self.empty(cell));
        }
        match text.parse::<f64>() {
            Ok(v) if v.is_finite() => Ok(Label::Number((v + 0.0).to_bits())),
            Ok(_) => Err(self.not_finite(cell)),
            Err(_) => Ok(Label::Text(text.to_string())),
        }
    }

    /// A finite number.
    pub fn number(&self, cell: Cell) -> Result<f64, ScoreError> {
        let text = cell.text.trim();
        if text.is_empty() {
            return Err(self.empty(cell));
        }
        match text.parse::<f64>() {
            Ok(v) if v.is_finite() => Ok(v),
            Ok(_) => Err(self.not_finite(cell)),
            Err(_) => {
                let (file, line, column, text) = self.text(cell);
                Err(ScoreError::NotANumber {
                    file,
                    line,
                    column,
                    text,
                })
            }
        }
    }

    /// A 0/1 truth value, as `true` for 1.
    pub fn binary(&self, cell: Cell) -> Result<bool, ScoreError> {
        if cell.text.trim().is_empty() {
            return Err(self.empty(cell));
        }
        match cell.text.trim().parse::<f64>() {
            Ok(0.0) => Ok(false),
            Ok(1.0) => Ok(true),
            _ => {
                let (file, line, column, text) = self.text(cell);
                Err(ScoreError::NotBinary {
                    file,
                    line,
                    column,
                    text,
                })
            }
        }
    }

    /// A finite number in [0, 1].
    pub fn probability(&self, cell: Cell) -> Result<f64, ScoreError> {
        let v = self.number(cell)?;
        if (0.0..=1.0).contains(&v) {
            Ok(v)
        } else {
            let (file, line, column, text) = self.text(cell);
            Err(ScoreError::NotAProbability {
                file,
                line,
                column,
                text,
            })
        }
    }

    fn not_finite(&self, cell: Cell) -> ScoreError {
        let (file, line, column, text) = self.text(cell);
        ScoreError::NotFinite {
            file,
            line,
            column,
            text,
        }
    }
}

/// Reads every cell with `read`; on failure returns the error on the earliest line.
pub(crate) fn read_all<T>(
    cells: &[Cell],
    read: impl Fn(Cell) -> Result<T, ScoreError>,
) -> Result<Vec<T>, ScoreError> {
    let mut values = Vec::with_capacity(cells.len());
    let mut first: Option<ScoreError> = None;
    for &cell in cells {
        match read(cell) {
            Ok(v) => values.push(v),
            Err(e) if first.as_ref().is_none_or(|f| e.line() < f.line()) => first = Some(e),
            Err(_) => {}
        }
    }
    first.map_or(Ok(values), Err)
}

#[cfg(test)]
mod tests {
    use super::*;

    const AT: Place = Place {
        file: Side::Predictions,
        column: "p",
    };

    fn cell(text: &str) -> Cell<'_> {
        Cell { line: 2, text }
    }

    #[test]
    fn numeric_labels_compare_as_numbers() {
        assert_eq!(AT.label(cell("1")), AT.label(cell(" 1.0 ")));
        assert_eq!(AT.label(cell("-0")), AT.label(cell("0")));
        assert_ne!(AT.label(cell("cat")), AT.label(cell("Cat")));
        assert_eq!(AT.label(cell(" cat ")).unwrap(), Label::Text("cat".into()));
        assert_eq!(AT.label(cell("1.0")).unwrap().to_string(), "1");
    }

    #[test]
    fn bad_cells_name_line_column_and_text() {
        assert!(matches!(
            AT.label(cell("NaN")),
            Err(ScoreError::NotFinite { line: 2, .. })
        ));
        assert!(matches!(
            AT.number(cell("inf")),
            Err(ScoreError::NotFinite { .. })
        ));
        assert!(matches!(
            AT.number(cell(" ")),
            Err(ScoreError::EmptyValue { .. })
        ));
        let err = AT.number(cell("high")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the prediction file, line 2: `p` is `high`, which is not a number"
        );
        assert!(matches!(
            AT.binary(cell("2")),
            Err(ScoreError::NotBinary { .. })
        ));
        assert!(AT.binary(cell("1.0")).unwrap());
        assert!(matches!(
            AT.probability(cell("1.5")),
            Err(ScoreError::NotAProbability { .. })
        ));
    }

    #[test]
    fn read_all_reports_the_earliest_line() {
        let cells = [Cell { line: 9, text: "x" }, Cell { line: 3, text: "y" }];
        assert_eq!(
            read_all(&cells, |c| AT.number(c)).unwrap_err().line(),
            Some(3)
        );
    }
}
