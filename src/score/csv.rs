//! A small CSV reader: RFC 4180 quoting (commas, doubled quotes, line breaks), CRLF, a UTF-8 BOM.

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
    /// A quoted field runs to the end of the file.
    #[error("line {line}: a quoted field is never closed")]
    UnterminatedQuote { line: usize },
    /// Text follows a closing quote before the next comma or line end.
    #[error("line {line}: unexpected text after a closing quote")]
    TextAfterQuote { line: usize },
    /// A record's field count differs from the header's.
    #[error("line {line}: {found} fields, but the header has {expected}")]
    FieldCount {
        line: usize,
        found: usize,
        expected: usize,
    },
}

impl CsvError {
    /// The 1-based line the error is on, if any.
    pub fn line(&self) -> Option<usize> {
        match self {
            CsvError::Empty => None,
            CsvError::UnterminatedQuote { line }
            | CsvError::TextAfterQuote { line }
            | CsvError::FieldCount { line, .. } => Some(*line),
        }
    }
}

impl Csv {
    /// Index of the column named `name` (header names compared after trimming).
    pub fn column(&self, name: &str) -> Option<usize> {
        self.header.iter().position(|h| h.trim() == name)
    }
}

/// Parses `text`. Empty lines are skipped; `\r\n`, `\n` and a lone `\r` end records.
pub fn parse(text: &str) -> Result<Csv, CsvError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut records = records(text)?.into_iter();
    let (_, header) = records.next().ok_or(CsvError::Empty)?;
    let mut rows = Vec::new();
    for (line, fields) in records {
        if fields.len() != header.len() {
            return Err(CsvError::FieldCount {
                line,
                found: fields.len(),
                expected: header.len(),
            });
        }
        rows.push(Row { line, fields });
    }
    Ok(Csv { header, rows })
}

/// Splits text into (start line, fields) records.
fn records(text: &str) -> Result<Vec<(usize, Vec<String>)>, CsvError> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    let mut line = 1;
    while chars.peek().is_some() {
        let start = line;
        let mut fields = Vec::new();
        let mut field = String::new();
        // Whether the record has content, so that empty lines can be skipped.
        let mut any = false;
        loop {
            let Some(c) = chars.next() else {
                fields.push(std::mem::take(&mut field));
                break;
            };
            match c {
                '"' if field.is_empty() => {
                    any = true;
                    loop {
                        match chars.next() {
                            None => return Err(CsvError::UnterminatedQuote { line: start }),
                            Some('"') if chars.peek() == Some(&'"') => {
                                chars.next();
                                field.push('"');
                            }
                            Some('"') => break,
                            Some(c) => {
                                // A quoted CRLF counts as one line break.
                                let crlf = c == '\r' && chars.peek() == Some(&'\n');
                                if (c == '\n' || c == '\r') && !crlf {
                                    line += 1;
                                }
                                field.push(c);
                            }
                        }
                    }
                    match chars.peek() {
                        None | Some(',' | '\n' | '\r') => {}
                        Some(_) => return Err(CsvError::TextAfterQuote { line }),
                    }
                }
                ',' => {
                    any = true;
                    fields.push(std::mem::take(&mut field));
                }
                '\n' | '\r' => {
                    if c == '\r' && chars.peek() == Some(&'\n') {
                        chars.next();
                    }
                    line += 1;
                    fields.push(std::mem::take(&mut field));
                    break;
                }
                c => {
                    any = true;
                    field.push(c);
                }
            }
        }
        if any {
            out.push((start, fields));
        }
    }
    Ok(out)
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
            parse("a,b\n1,\"x\n"),
            Err(CsvError::UnterminatedQuote { line: 2 })
        );
        assert_eq!(
            parse("a,b\n\"1\"x,2\n"),
            Err(CsvError::TextAfterQuote { line: 2 })
        );
        assert_eq!(
            parse("a,b\n1,2\n3\n"),
            Err(CsvError::FieldCount {
                line: 3,
                found: 1,
                expected: 2
            })
        );
    }
}
