//! Several entry points (`entry = ["notebooks/01_eda.ipynb", "notebooks/02_model.ipynb"]`)
//! run in order in one interpreter and one working copy, each seeing the files the ones
//! before it wrote, with one combined run record; a limit stops the whole sequence.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;

use super::notebook::{self, Notebook};
use super::python::{self, GUEST_TMP, GUEST_WORK};
use super::support::{Source, Support};
use super::{Installed, Invocation};
use crate::sandbox::{CellStatus, ClockMode, EntryKind, EntryRecord, RunRecord, Sandbox, Verdict};

/// Where the sequence driver writes a line as each entry starts and ends (under `/tmp`).
const RESULTS: &str = ".takehome-entries.jsonl";

/// One entry as the host knows it before the run.
struct Planned {
    /// Relative to the top of the folder.
    path: String,
    notebook: Option<Notebook>,
}

/// One line the sequence driver wrote.
#[derive(Debug, Default, Deserialize)]
struct Line {
    entry: Option<usize>,
    #[serde(default)]
    started: bool,
    exit_code: Option<i32>,
    #[serde(default)]
    fuel_used: u64,
    #[serde(default)]
    done: bool,
}

/// How far each entry got: started, and its exit code when it ended; whether all ended.
struct Progress {
    started: Vec<bool>,
    ended: Vec<Option<(i32, u64)>>,
    done: bool,
}

fn read_progress(path: &Path, entries: usize) -> Progress {
    let mut progress = Progress {
        started: vec![false; entries],
        ended: vec![None; entries],
        done: false,
    };
    let Some(file) = crate::base::open_regular(path) else {
        return progress;
    };
    let mut text = String::new();
    let cap = 1 << 20;
    if std::io::Read::read_to_string(&mut std::io::Read::take(file, cap), &mut text).is_err() {
        return progress;
    }
    for line in text.lines() {
        // A line cut by a limit (or written by the candidate's own code) ends the list.
        let Ok(line) = serde_json::from_str::<Line>(line) else {
            break;
        };
        if line.done {
            progress.done = true;
            break;
        }
        match line.entry {
            Some(i) if i < entries && line.started => progress.started[i] = true,
            Some(i) if i < entries => {
                progress.ended[i] = Some((line.exit_code.unwrap_or(1), line.fuel_used))
            }
            _ => break,
        }
    }
    progress
}

fn results_of(number: usize) -> String {
    format!(".takehome-notebook-{number}.jsonl")
}

/// Runs `entries` (inside `folder`) in order, in one working copy.
pub fn run(
    sandbox: &Sandbox,
    installed: &Installed,
    use_snapshot: bool,
    folder: &Path,
    entries: &[PathBuf],
    invocation: &Invocation,
) -> anyhow::Result<RunRecord> {
    let plan = Plan::new(folder, entries, invocation)?;
    let tmp = tempfile::tempdir()?;
    let record = python::run_source(
        sandbox,
        installed,
        use_snapshot,
        folder,
        &entries[0],
        invocation,
        tmp.path(),
        &|support, entry, env, reseed| {
            let setup = python::setup(
                entry,
                invocation.workdir.as_deref(),
                &invocation.args,
                env,
                reseed,
            );
            format!(
                "{}{}",
                support.load(),
                plan.program(support, &setup, reseed)
            )
        },
    )?;
    plan.assemble(record, tmp.path(), invocation)
}

/// The entries of one run, read before it: what the sequence driver is given, and how its
/// results become one record. Both tiers use it (the python-native runner too).
pub struct Plan {
    planned: Vec<Planned>,
    /// The entries as the driver reads them (JSON).
    described: String,
}

impl Plan {
    pub fn new(
        folder: &Path,
        entries: &[PathBuf],
        invocation: &Invocation,
    ) -> anyhow::Result<Plan> {
        let planned = entries
            .iter()
            .map(|path| {
                let relative = python::entry_in(folder, path)?;
                let notebook = notebook::is_notebook(path)
                    .then(|| notebook::read(path))
                    .transpose()?;
                Ok(Planned {
                    path: relative,
                    notebook,
                })
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        let described: Vec<Value> = planned
            .iter()
            .enumerate()
            .map(|(number, entry)| {
                let argv: Vec<&str> = std::iter::once(entry.path.as_str())
                    .chain(invocation.args.iter().map(String::as_str))
                    .collect();
                serde_json::json!({
                    "path": format!("{GUEST_WORK}/{}", entry.path),
                    "argv": argv,
                    "workdir": python::entry_folder(&entry.path, invocation.workdir.as_deref()),
                    "script_dir": python::entry_folder(&entry.path, None),
                    "cells": entry.notebook.as_ref().map(notebook::code_cells),
                    "results": format!("{GUEST_TMP}/{}", results_of(number)),
                })
            })
            .collect();
        Ok(Plan {
            planned,
            described: serde_json::to_string(&described)?,
        })
    }

    /// The Python that runs the entries, after the support module is loaded: the notebook
    /// and sequence drivers, then a main function whose body starts with `setup`.
    pub fn program(&self, support: Support, setup: &str, reseed: Option<u64>) -> String {
        let py = |s: &str| serde_json::to_string(s).expect("strings serialise");
        format!(
            "{notebooks}{driver}def _takehome_entries_main():\n{setup}    _takehome_entries({entries}, {results}, {seed})\n_takehome_status = _takehome_entries_main()\n",
            notebooks = support.driver(Source::NotebookDriver),
            driver = support.driver(Source::EntriesDriver),
            entries = py(&self.described),
            results = py(&format!("{GUEST_TMP}/{RESULTS}")),
            seed = reseed.map_or("None".to_string(), |s| s.to_string()),
        )
    }

    /// The run's one record from what the drivers wrote in its `/tmp` (the host folder
    /// `tmp`): an entry record each, the stopped entry named, executed notebooks kept.
    pub fn assemble(
        &self,
        mut record: RunRecord,
        tmp: &Path,
        invocation: &Invocation,
    ) -> anyhow::Result<RunRecord> {
        let planned = &self.planned;
        let progress = read_progress(&tmp.join(RESULTS), planned.len());
        let stopped_run = record.verdict != Verdict::Ok;
        // The entry a limit (or an exit of the interpreter) stopped: the first that did not end.
        let stopped_at = progress.ended.iter().position(Option::is_none);
        let virtual_clock = record.clock == ClockMode::Virtual;
        let mut kept = Vec::new();
        let mut records = Vec::new();
        for (number, entry) in planned.iter().enumerate() {
            let stopped_here = stopped_run && stopped_at == Some(number);
            let reached = progress.ended[number].is_some() || stopped_here;
            let ended = progress.ended[number];
            let fuel_used = match ended {
                Some((_, fuel)) if virtual_clock => fuel,
                _ => 0,
            };
            let stop = notebook::stopped_by(&record).filter(|_| stopped_here);
            let (status, exit_code, message, notebook_record) = match &entry.notebook {
                Some(notebook) => {
                    let (results, done) = notebook::read_results(
                        &tmp.join(results_of(number)),
                        invocation.limits.out_bytes.0,
                    );
                    let (executed, mut cells) = notebook::merge(
                        notebook,
                        &entry.path,
                        results,
                        stop.as_ref(),
                        virtual_clock,
                    );
                    if invocation.out.is_some() {
                        let relative = format!("{}/{}", notebook::EXECUTED_DIR, entry.path);
                        kept.push((relative.clone(), notebook::to_json(&executed)));
                        cells.executed = Some(relative);
                    }
                    let failure = match (&stop, reached) {
                        (Some(stop), _) => Some((None, format!("{}: {}", stop.ename, stop.evalue))),
                        (None, false) => None,
                        (None, true) => {
                            notebook::failure(notebook, &cells, done).map(|f| (Some(1), f))
                        }
                    };
                    let (status, exit_code, message) = outcome(reached, failure);
                    (status, exit_code, message, Some(cells))
                }
                None => {
                    let failure = match (&stop, ended) {
                        (Some(stop), _) => Some((None, format!("{}: {}", stop.ename, stop.evalue))),
                        (None, Some((0, _))) | (None, None) => None,
                        (None, Some((code, _))) => {
                            Some((Some(code), format!("exited with code {code}")))
                        }
                    };
                    let (status, exit_code, message) = outcome(reached, failure);
                    let exit_code = exit_code.or(ended.map(|(code, _)| code));
                    (status, exit_code, message, None)
                }
            };
            records.push(EntryRecord {
                path: entry.path.clone(),
                kind: if entry.notebook.is_some() {
                    EntryKind::Notebook
                } else {
                    EntryKind::Script
                },
                status,
                exit_code,
                message,
                fuel_used,
                notebook: notebook_record,
            });
        }
        match stopped_at.filter(|_| stopped_run) {
            Some(number) => {
                record.message = format!(
                    "{}, in entry {} of {} ({})",
                    record.message,
                    number + 1,
                    records.len(),
                    records[number].path
                )
            }
            None => settle(&mut record, &records, progress.done),
        }
        if let Some(out) = &invocation.out {
            notebook::keep_executed(out, &kept)?;
            record.outputs = notebook::collect_kept(out, invocation);
        }
        record.notebook = records.iter().find_map(|e| e.notebook.clone());
        record.entries = records;
        Ok(record)
    }
}

/// An entry's status, exit code and message from whether it ran and why it failed.
fn outcome(
    reached: bool,
    failure: Option<(Option<i32>, String)>,
) -> (CellStatus, Option<i32>, String) {
    match (reached, failure) {
        (false, _) => (CellStatus::Skipped, None, "not reached".into()),
        (true, None) => (CellStatus::Ok, Some(0), "ran clean".into()),
        (true, Some((code, message))) => (CellStatus::Error, code, message),
    }
}

/// `ok` only if every entry ran clean; otherwise the first failing entry is the message.
/// For a run no limit stopped.
fn settle(record: &mut RunRecord, entries: &[EntryRecord], done: bool) {
    let total = entries.len();
    let at =
        |number: usize, e: &EntryRecord| format!("entry {} of {total} ({})", number + 1, e.path);
    let first = |status| entries.iter().enumerate().find(|(_, e)| e.status == status);
    if let Some((number, e)) = first(CellStatus::Error) {
        record.verdict = Verdict::Exit;
        record.exit_code = Some(e.exit_code.filter(|c| *c != 0).unwrap_or(1));
        record.message = format!("{}: {}", at(number, e), e.message);
    } else if !done {
        record.verdict = Verdict::Exit;
        record.exit_code = Some(1);
        record.message = match first(CellStatus::Skipped) {
            Some((number, e)) => format!(
                "the run stopped before {} ran (the interpreter exited)",
                at(number, e)
            ),
            None => "the sequence driver did not finish".into(),
        };
    }
}
