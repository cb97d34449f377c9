//! CSV files as the scorer, the rerun differ, model checks and packets read them: the `csv`
//! crate underneath (RFC 4180 quoting, CRLF, a UTF-8 BOM), our types and errors on top, which
//! name the line and what was expected.

use thiserror::Error;

/// A parsed CSV file: the header and the data records, fields as written (not trimmed).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Csv {
    /// The first record.
    pub header: Vec<String>,
    /// Every later record, blank lines skipped.
    pub rows: Vec<Row>,
}

/// One data record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    /// 1-based line where the record starts (the header is line 1 unless blank lines precede it).
    pub line: usize,
    /// The fields, as many as the header has.
    pub fields: Vec<String>,
}

/// Why a text is not CSV.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum CsvError {
    /// No header row: the text is empty or only blank lines.
    #[error("the file is empty: expected a header row")]
    Empty,
    /// A quoted field runs to the end of the file (a file cut short, most often).
    #[error("line {line}: a quoted field is never closed")]
    UnterminatedQuote { line: usize },
    /// A record's field count differs from the header's.
    #[error("line {line}: {found} fields, but the header has {expected}")]
    FieldCount {
        line: usize,
        found: usize,
        expected: usize,
    },
    /// What the reader could not read, as it says it.
    #[error("line {line}: {message}")]
    Unreadable { line: usize, message: String },
}

impl CsvError {
    /// The 1-based line the error is on, if any.
    pub fn line(&self) -> Option<usize> {
        match self {
            CsvError::Empty => None,
            CsvError::UnterminatedQuote { line }
            | CsvError::FieldCount { line, .. }
            | CsvError::Unreadable { line, .. } => Some(*line),
        }
    }
}

impl Csv {
    /// Index of the column named `name` (header names compared after trimming).
    pub fn column(&self, name: &str) -> Option<usize> {
        self.header.iter().position(|h| h.trim() == name)
    }
}

/// Parses `text`. Blank lines are skipped; `\r\n`, `\n` and a lone `\r` end records. As with
/// Python's `csv` module, text after a closing quote joins the field (`"1"x` is `1x`); a quote
/// never closed is an error naming its line (the reader would run the field to the end).
pub fn parse(text: &str) -> Result<Csv, CsvError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut records = reader.records();
    let header = match records.next() {
        None => return Err(CsvError::Empty),
        Some(record) => fields(record?),
    };
    let mut rows = Vec::new();
    let mut lines = Lines::new(text);
    let mut last = (0, 1);
    for record in records {
        let record = record?;
        let line = lines.of(&record);
        last = (record.position().map_or(0, |p| p.byte() as usize), line);
        let fields = fields(record);
        if fields.len() != header.len() {
            return Err(CsvError::FieldCount {
                line,
                found: fields.len(),
                expected: header.len(),
            });
        }
        rows.push(Row { line, fields });
    }
    unclosed_quote(text, last.0, last.1)?;
    Ok(Csv { header, rows })
}

/// Line numbers of records, counted from their byte offsets: the reader reports where it
/// began reading a record, before the blank lines it skipped, so its own line count can fall
/// short. `\r\n`, `\n` and a lone `\r` each end a line.
struct Lines<'a> {
    text: &'a [u8],
    /// A byte offset and the 1-based line it is on, to count on from.
    at: usize,
    line: usize,
}

impl<'a> Lines<'a> {
    fn new(text: &'a str) -> Self {
        Lines {
            text: text.as_bytes(),
            at: 0,
            line: 1,
        }
    }

    fn of(&mut self, record: &csv::StringRecord) -> usize {
        let Some(from) = record.position().map(|p| p.byte() as usize) else {
            return self.line;
        };
        let start = (from..self.text.len())
            .find(|&i| !matches!(self.text[i], b'\n' | b'\r'))
            .unwrap_or(self.text.len());
        for i in self.at.min(start)..start {
            let ends_line = match self.text[i] {
                b'\n' => true,
                b'\r' => self.text.get(i + 1) != Some(&b'\n'),
                _ => false,
            };
            self.line += usize::from(ends_line);
        }
        self.at = self.at.max(start);
        self.line
    }
}

/// Only the last record can hold a quote never closed, as the field then runs to the end of
/// the text; from that record's start the quotes are then odd in number (a quoted field has
/// two, plus doubled pairs).
fn unclosed_quote(text: &str, last_start: usize, line: usize) -> Result<(), CsvError> {
    let quotes = text
        .get(last_start..)
        .map_or(0, |rest| rest.matches('"').count());
    if quotes % 2 == 1 {
        return Err(CsvError::UnterminatedQuote { line });
    }
    Ok(())
}

fn fields(record: csv::StringRecord) -> Vec<String> {
    record.iter().map(str::to_string).collect()
}

impl From<csv::Error> for CsvError {
    fn from(e: csv::Error) -> CsvError {
        CsvError::Unreadable {
            line: e.position().map_or(1, |p| p.line() as usize),
            message: e.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(csv: &Csv) -> Vec<Vec<&str>> {
        csv.rows
            .iter()
            .map(|r| r.fields.iter().map(String::as_str).collect())
            .collect()
    }

    #[test]
    fn plain_rows_with_and_without_final_newline() {
        for text in ["a,b\n1,2\n3,4\n", "a,b\n1,2\n3,4"] {
            let csv = parse(text).unwrap();
            assert_eq!(csv.header, ["a", "b"]);
            assert_eq!(fields(&csv), [["1", "2"], ["3", "4"]]);
            assert_eq!(csv.rows[1].line, 3);
        }
    }

    #[test]
    fn quotes_crlf_and_bom() {
        let text = "\u{feff}id,\"note\"\r\n1,\"a, \"\"b\"\"\"\r\n\"2\",\"\"\r\n";
        let csv = parse(text).unwrap();
        assert_eq!(csv.header, ["id", "note"]);
        assert_eq!(fields(&csv), [["1", "a, \"b\""], ["2", ""]]);
        assert_eq!(csv.column("note"), Some(1));
    }

    #[test]
    fn quoted_line_breaks_advance_the_line_count() {
        let csv = parse("a,b\n1,\"x\ny\"\n2,z\n").unwrap();
        assert_eq!(fields(&csv), [["1", "x\ny"], ["2", "z"]]);
        assert_eq!(csv.rows[1].line, 4);
    }

    #[test]
    fn lines_count_from_the_record_after_blank_crlf_and_lone_cr_lines() {
        let csv = parse("a,b\r\n\r\n1,\r\n\r\n\r\n,2\r\n").unwrap();
        assert_eq!([csv.rows[0].line, csv.rows[1].line], [3, 6]);
        let csv = parse("a,b\r1,2\r\r3,4\r").unwrap();
        assert_eq!([csv.rows[0].line, csv.rows[1].line], [2, 4]);
    }

    #[test]
    fn blank_lines_are_skipped_but_empty_fields_kept() {
        let csv = parse("\na,b\n\n1,\n\n,2\n").unwrap();
        assert_eq!(fields(&csv), [["1", ""], ["", "2"]]);
        assert_eq!(csv.rows[1].line, 6);
    }

    #[test]
    fn malformed_text_is_an_error_with_its_line() {
        assert_eq!(parse(""), Err(CsvError::Empty));
        assert_eq!(parse("\u{feff}\r\n\n"), Err(CsvError::Empty));
        assert_eq!(
            parse("a,b\n1,2\n3\n"),
            Err(CsvError::FieldCount {
                line: 3,
                found: 1,
                expected: 2
            })
        );
        assert_eq!(
            parse("a,b\n1,2\n3\n").unwrap_err().to_string(),
            "line 3: 1 fields, but the header has 2"
        );
    }

    #[test]
    fn stray_quotes_are_read_as_pythons_csv_module_reads_them() {
        let csv = parse("a,b\n\"1\"x,2\n").unwrap();
        assert_eq!(fields(&csv), [["1x", "2"]]);
    }

    #[test]
    fn a_quote_never_closed_is_an_error_naming_its_line() {
        for text in ["a,b\n1,\"x\n2,3\n", "a,b\n1,\"x", "a,b\n1,\"x\r\n\r\n"] {
            assert_eq!(
                parse(text),
                Err(CsvError::UnterminatedQuote { line: 2 }),
                "{text:?}"
            );
        }
        assert!(parse("a,b\n1,\"x\ny\"\n").is_ok());
        assert!(parse("a,b\n1,\"say \"\"hi\"\"\"\n").is_ok());
    }
}
