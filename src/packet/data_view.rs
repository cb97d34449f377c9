//! Data handed in with a submission (CSV, TSV, Excel, Parquet), shown as data: the first
//! rows as a table, the shape and each column's type, and the whole file as a download
//! when it is small; never as a code listing.
//!
//! CSV and TSV are read with the `csv` crate in this process (it streams, and the file's
//! size is capped). Excel workbooks (`.xlsx`, `.xlsm`, `.xls`, `.ods`) are read by calamine
//! in a limited child process (`takehome sheet-worker`): a workbook is a zip archive of XML
//! that can unpack to far more than its size. Parquet files are listed with the reason
//! they are not previewed (reading them needs the heavy `parquet` crate).

use std::process::{Command, ExitCode};
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Data rows shown, at most.
pub const PREVIEW_ROWS: usize = 20;
/// Columns shown, at most.
pub const PREVIEW_COLUMNS: usize = 40;
/// Data files larger than this are listed with the reason, not read.
pub const MAX_BYTES: u64 = 32 << 20;
/// Files up to this size are included whole as a download link.
pub const LINK_MAX_BYTES: u64 = 512 << 10;
/// Limits of the workbook reader's child.
const SHEET_CPU_SECONDS: u64 = 20;
const SHEET_ADDRESS_SPACE: u64 = 1 << 30;
const SHEET_WALL: Duration = Duration::from_secs(30);
const SHEET_MAX_OUTPUT: u64 = 4 << 20;

/// The formats shown as data, by extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DataFormat {
    Csv,
    Tsv,
    Excel,
    Parquet,
}

impl DataFormat {
    /// The data format of `path`, by extension.
    pub fn of(path: &str) -> Option<DataFormat> {
        let ext = path.rsplit_once('.')?.1.to_ascii_lowercase();
        Some(match ext.as_str() {
            "csv" => DataFormat::Csv,
            "tsv" | "tab" => DataFormat::Tsv,
            "xlsx" | "xlsm" | "xlsb" | "xls" | "ods" => DataFormat::Excel,
            "parquet" | "pq" => DataFormat::Parquet,
            _ => return None,
        })
    }
}

/// A data file as a packet shows it.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct DataView {
    pub path: String,
    pub bytes: u64,
    pub format: Option<DataFormat>,
    /// The sheet shown, for a workbook (its first).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sheet: Option<String>,
    /// Data rows of the whole file (or sheet), when it was read.
    pub rows: Option<usize>,
    pub columns: Option<usize>,
    pub header: Vec<String>,
    /// Each shown column's type: `integer`, `number`, `boolean`, `date`, `text`, `empty`.
    pub types: Vec<String>,
    /// The first [`PREVIEW_ROWS`] rows, [`PREVIEW_COLUMNS`] columns.
    pub first_rows: Vec<Vec<String>>,
    /// The whole file as text, for the download link (CSV and TSV up to [`LINK_MAX_BYTES`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub whole: Option<String>,
    /// Why it is not previewed (or not wholly).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The view of one data file, read from `bytes` (`None` when it was not fetched because
/// of its size).
pub fn view(path: &str, size: u64, bytes: Option<&[u8]>) -> DataView {
    let format = DataFormat::of(path);
    let mut view = DataView {
        path: path.to_string(),
        bytes: size,
        format,
        ..DataView::default()
    };
    let Some(bytes) = bytes.filter(|_| size <= MAX_BYTES) else {
        view.note = Some(format!(
            "not previewed: {size} bytes, more than the {} MiB read",
            MAX_BYTES >> 20
        ));
        return view;
    };
    let read = match format {
        Some(DataFormat::Csv) => delimited(bytes, b','),
        Some(DataFormat::Tsv) => delimited(bytes, b'\t'),
        Some(DataFormat::Excel) => workbook(bytes),
        Some(DataFormat::Parquet) => {
            Err(if bytes.starts_with(b"PAR1") && bytes.ends_with(b"PAR1") {
                "not previewed: Parquet files are not read by the packet (only listed)".to_string()
            } else {
                "not previewed: not a Parquet file (no PAR1 marks)".to_string()
            })
        }
        None => Err("not a data format".to_string()),
    };
    match read {
        Ok(sheet) => {
            view.sheet = sheet.name;
            view.rows = Some(sheet.rows);
            view.columns = Some(sheet.header.len());
            view.types = column_types(&sheet.first_rows, sheet.header.len().min(PREVIEW_COLUMNS));
            view.header = sheet.header.into_iter().take(PREVIEW_COLUMNS).collect();
            view.first_rows = sheet.first_rows;
            if matches!(format, Some(DataFormat::Csv | DataFormat::Tsv)) {
                if size <= LINK_MAX_BYTES {
                    view.whole = Some(String::from_utf8_lossy(bytes).into_owned());
                } else {
                    view.note = Some(format!(
                        "the whole file ({size} bytes) is too large to include; it is {path} in the submission"
                    ));
                }
            }
        }
        Err(e) => view.note = Some(e),
    }
    view
}

/// The first rows of a table, its header and its number of data rows.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Sheet {
    name: Option<String>,
    header: Vec<String>,
    first_rows: Vec<Vec<String>>,
    rows: usize,
}

fn delimited(bytes: &[u8], delimiter: u8) -> Result<Sheet, String> {
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .has_headers(true)
        .from_reader(bytes);
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| format!("not previewed: unreadable header: {e}"))?
        .iter()
        .map(str::to_string)
        .collect();
    let mut sheet = Sheet {
        header,
        ..Sheet::default()
    };
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(format!("not previewed: {e}")),
        }
        if sheet.first_rows.len() < PREVIEW_ROWS {
            sheet.first_rows.push(
                record
                    .iter()
                    .take(PREVIEW_COLUMNS)
                    .map(str::to_string)
                    .collect(),
            );
        }
        sheet.rows += 1;
    }
    Ok(sheet)
}

/// The type of each of the first `columns` columns, from the rows shown.
fn column_types(rows: &[Vec<String>], columns: usize) -> Vec<String> {
    (0..columns)
        .map(|c| {
            let values: Vec<&str> = rows
                .iter()
                .filter_map(|r| r.get(c))
                .map(|v| v.trim())
                .filter(|v| {
                    !v.is_empty() && !v.eq_ignore_ascii_case("nan") && !v.eq_ignore_ascii_case("na")
                })
                .collect();
            let all = |f: &dyn Fn(&str) -> bool| values.iter().all(|v| f(v));
            let kind = if values.is_empty() {
                "empty"
            } else if all(&|v| v.parse::<i64>().is_ok()) {
                "integer"
            } else if all(&|v| v.parse::<f64>().is_ok()) {
                "number"
            } else if all(&|v| matches!(v.to_ascii_lowercase().as_str(), "true" | "false")) {
                "boolean"
            } else if all(&looks_like_date) {
                "date"
            } else {
                "text"
            };
            kind.to_string()
        })
        .collect()
}

/// `2024-03-01`, `2024-03-01 12:00:00`, `2024-03-01T12:00`, `01/03/2024`.
fn looks_like_date(v: &str) -> bool {
    let date = v.split([' ', 'T']).next().unwrap_or("");
    let parts: Vec<&str> = date.split(['-', '/']).collect();
    parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.len() <= 4 && p.chars().all(|c| c.is_ascii_digit()))
        && (parts[0].len() == 4 || parts[2].len() == 4)
}

/// Reads a workbook in the limited child (`takehome sheet-worker`).
fn workbook(bytes: &[u8]) -> Result<Sheet, String> {
    use crate::base::child::{self, Input, NoAnswer};
    let exe = child::takehome_exe()?;
    let mut command = Command::new(exe);
    command.arg("sheet-worker").env_clear();
    child::limit(
        &mut command,
        child::ChildLimits {
            cpu_seconds: SHEET_CPU_SECONDS,
            address_space: SHEET_ADDRESS_SPACE,
            file_size: 0,
            die_with_parent: false,
        },
    );
    let input = child::input_file(bytes).map_err(|e| format!("not previewed: {e}"))?;
    let ended = child::run(command, Input::File(input), SHEET_MAX_OUTPUT, SHEET_WALL).map_err(
        |e| match e {
            NoAnswer::Wall => format!(
                "not previewed: reading took longer than {}s",
                SHEET_WALL.as_secs()
            ),
            NoAnswer::Start(e) | NoAnswer::Wait(e) => format!("not previewed: {e}"),
        },
    )?;
    if !ended.status.success() || ended.stdout_overflowed {
        let why = match ended.last_words(200) {
            words if words.is_empty() => format!(
                "the reader stopped ({}; limits {SHEET_CPU_SECONDS}s of CPU, {} MiB)",
                ended.status,
                SHEET_ADDRESS_SPACE >> 20
            ),
            words => words,
        };
        return Err(format!("not previewed: {why}"));
    }
    serde_json::from_slice(&ended.stdout).map_err(|e| format!("not previewed: {e}"))
}

/// The child's side: a workbook on stdin, its first sheet's preview as JSON on stdout.
pub fn sheet_worker_main() -> ExitCode {
    let (mut answer, bytes) = match crate::base::child::worker_streams(MAX_BYTES + 1) {
        Ok(streams) => streams,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    match read_workbook(bytes).and_then(|sheet| {
        serde_json::to_writer(&mut answer, &sheet).map_err(|e| format!("cannot answer: {e}"))
    }) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}

fn read_workbook(bytes: Vec<u8>) -> Result<Sheet, String> {
    use calamine::Reader;
    let mut book = calamine::open_workbook_auto_from_rs(std::io::Cursor::new(bytes))
        .map_err(|e| format!("not a readable workbook: {e}"))?;
    let name = book
        .sheet_names()
        .first()
        .cloned()
        .ok_or("the workbook has no sheets")?;
    let range = book
        .worksheet_range(&name)
        .map_err(|e| format!("sheet {name} cannot be read: {e}"))?;
    let mut rows = range.rows();
    let header = rows
        .next()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .unwrap_or_default();
    let mut sheet = Sheet {
        name: Some(name),
        header,
        ..Sheet::default()
    };
    for row in rows {
        if sheet.first_rows.len() < PREVIEW_ROWS {
            sheet.first_rows.push(
                row.iter()
                    .take(PREVIEW_COLUMNS)
                    .map(|c| c.to_string())
                    .collect(),
            );
        }
        sheet.rows += 1;
    }
    Ok(sheet)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_csv_is_shown_with_its_shape_and_column_types() {
        let mut text = String::from("id,amount,churned,signup,plan\n");
        for i in 0..30 {
            text.push_str(&format!(
                "{i},{}.5,{},2024-01-{:02},\"basic, yearly\"\n",
                i * 2,
                i % 2 == 0,
                i % 28 + 1
            ));
        }
        let v = view("data/train.csv", text.len() as u64, Some(text.as_bytes()));
        assert_eq!((v.rows, v.columns), (Some(30), Some(5)));
        assert_eq!(v.types, ["integer", "number", "boolean", "date", "text"]);
        assert_eq!(v.first_rows.len(), PREVIEW_ROWS);
        assert_eq!(v.first_rows[0][4], "basic, yearly");
        assert_eq!(v.whole.as_deref(), Some(text.as_str()));
    }

    #[test]
    fn tsv_is_split_at_tabs_and_parquet_says_why_it_is_not_previewed() {
        let v = view("x.tsv", 12, Some(b"a\tb\n1\tx y\n"));
        assert_eq!(v.header, ["a", "b"]);
        assert_eq!(v.types, ["integer", "text"]);
        let v = view("x.parquet", 8, Some(b"PAR1PAR1"));
        assert!(v.note.unwrap().contains("not read"));
        let v = view("big.csv", MAX_BYTES + 1, None);
        assert!(v.note.unwrap().contains("more than"));
    }

    /// A minimal workbook: one sheet with a header and two rows (inline strings).
    fn xlsx() -> Vec<u8> {
        use std::io::Write;
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default();
        for (name, body) in [
            (
                "[Content_Types].xml",
                r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#,
            ),
            (
                "_rels/.rels",
                r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#,
            ),
            (
                "xl/workbook.xml",
                r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Customers" sheetId="1" r:id="rId1"/></sheets></workbook>"#,
            ),
            (
                "xl/_rels/workbook.xml.rels",
                r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#,
            ),
            (
                "xl/worksheets/sheet1.xml",
                r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>id</t></is></c><c r="B1" t="inlineStr"><is><t>plan</t></is></c></row><row r="2"><c r="A2"><v>1</v></c><c r="B2" t="inlineStr"><is><t>basic</t></is></c></row><row r="3"><c r="A3"><v>2</v></c><c r="B3" t="inlineStr"><is><t>pro</t></is></c></row></sheetData></worksheet>"#,
            ),
        ] {
            zip.start_file(name, options).unwrap();
            zip.write_all(body.as_bytes()).unwrap();
        }
        zip.finish().unwrap().into_inner()
    }

    #[test]
    fn a_workbooks_first_sheet_is_read_with_its_shape() {
        let sheet = read_workbook(xlsx()).unwrap();
        assert_eq!(sheet.name.as_deref(), Some("Customers"));
        assert_eq!(sheet.header, ["id", "plan"]);
        assert_eq!(sheet.rows, 2);
        assert_eq!(sheet.first_rows[1], ["2", "pro"]);
        assert!(read_workbook(b"PK not a workbook".to_vec()).is_err());
    }
}
