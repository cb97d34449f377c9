//! Driving `takehome serve` over real HTTP: a server process on a free port, a workspace
//! with candidates and reviewers, and a client that shows every status (no redirects
//! followed, no status turned into an error).

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use super::backend::{Backend, Database};
use super::{cli_ok, issued_pseudonym, repo};

/// A running `takehome serve`, stopped when dropped.
pub struct Server {
    child: Child,
    pub base: String,
}

impl Server {
    /// Starts `takehome serve` on a free port of 127.0.0.1 for the workspace `root`.
    pub fn start(root: &Path, extra: &[&str]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_takehome"))
            .args(["serve", "--addr", "127.0.0.1:0"])
            .args(extra)
            .current_dir(root)
            .env_remove("TAKEHOME_WORKSPACE")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("cannot start takehome serve");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let first = lines.next().expect("serve printed nothing").unwrap();
        let base = first
            .strip_prefix("serving on ")
            .unwrap_or_else(|| panic!("unexpected first line {first:?}"))
            .to_string();
        // Keep draining stdout so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Server { child, base }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A workspace with the churn assignment, issued candidates and reviewers.
pub struct Fixture {
    pub dir: tempfile::TempDir,
    /// (pseudonym, token) of each candidate, in the order asked for.
    pub candidates: Vec<(String, String)>,
    /// (name, token) of each reviewer.
    pub reviewers: Vec<(String, String)>,
}

impl Fixture {
    /// A SQLite workspace (the default a new user gets).
    pub fn new(candidates: usize, reviewers: &[&str]) -> Fixture {
        let dir = super::tempdir();
        cli_ok(dir.path(), &["init"]);
        Fixture::populate(dir, candidates, reviewers)
    }

    /// A workspace on `backend`; the database lives as long as the returned `Database`.
    pub fn on(backend: Backend, candidates: usize, reviewers: &[&str]) -> (Fixture, Database) {
        let dir = super::tempdir();
        let database = Database::workspace(backend, dir.path());
        (Fixture::populate(dir, candidates, reviewers), database)
    }

    fn populate(dir: tempfile::TempDir, candidates: usize, reviewers: &[&str]) -> Fixture {
        let root = dir.path();
        let candidates = issue_churn(root, candidates);
        let reviewers = reviewers
            .iter()
            .map(|name| {
                let out = cli_ok(root, &["reviewer", "add", name]);
                (name.to_string(), link_token(&out, "/r/"))
            })
            .collect();
        Fixture {
            dir,
            candidates,
            reviewers,
        }
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    /// Hands in `folder` for candidate `i` from the command line.
    pub fn submit(&self, i: usize, folder: &Path) {
        cli_ok(
            self.root(),
            &["submit", &self.candidates[i].0, folder.to_str().unwrap()],
        );
    }
}

/// Adds the churn assignment to the workspace `root` and issues it to `n` candidates;
/// returns each one's (pseudonym, token of their link).
pub fn issue_churn(root: &Path, n: usize) -> Vec<(String, String)> {
    cli_ok(
        root,
        &[
            "assignment",
            "add",
            repo("assignments/churn").to_str().unwrap(),
        ],
    );
    (0..n)
        .map(|i| {
            let who = format!("Cand {i} <c{i}@example.org>");
            let out = cli_ok(root, &["issue", "churn", "--candidate", &who]);
            (issued_pseudonym(&out), link_token(&out, "/c/"))
        })
        .collect()
}

/// The token of the first link with `marker` (`/c/` or `/r/`) in a command's output.
pub fn link_token(out: &str, marker: &str) -> String {
    let at = out
        .find(marker)
        .unwrap_or_else(|| panic!("no {marker} link in {out:?}"));
    out[at + marker.len()..]
        .chars()
        .take_while(char::is_ascii_hexdigit)
        .collect()
}

/// A copy of an example submission of churn, with `report` as its report if given.
pub fn example(name: &str, report: Option<&str>, into: &Path) -> PathBuf {
    let folder = into.join(name);
    super::copy_tree(
        &repo(&format!("assignments/churn/examples/{name}")),
        &folder,
    );
    if let Some(report) = report {
        std::fs::write(folder.join("REPORT.md"), report).unwrap();
    }
    folder
}

/// `folder` as zip bytes, with paths relative to it.
pub fn zip_folder(folder: &Path) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let mut stack = vec![folder.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let name = path
                .strip_prefix(folder)
                .unwrap()
                .to_str()
                .unwrap()
                .to_string();
            zip.start_file(name, zip::write::SimpleFileOptions::default())
                .unwrap();
            zip.write_all(&std::fs::read(&path).unwrap()).unwrap();
        }
    }
    zip.finish().unwrap().into_inner()
}

/// One HTTP response.
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .max_redirects(0)
        .http_status_as_error(false)
        .build()
        .into()
}

fn reply(response: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Reply {
    let mut response = response.expect("the request failed below HTTP");
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
        .collect();
    let mut body = Vec::new();
    response
        .body_mut()
        .as_reader()
        .read_to_end(&mut body)
        .unwrap();
    Reply {
        status,
        headers,
        body,
    }
}

pub fn get(url: &str) -> Reply {
    reply(agent().get(url).call())
}

/// Posts an urlencoded form, optionally with an `Origin` header.
pub fn post_form(url: &str, fields: &[(&str, &str)], origin: Option<&str>) -> Reply {
    let mut request = agent().post(url);
    if let Some(origin) = origin {
        request = request.header("Origin", origin);
    }
    reply(request.send_form(fields.iter().copied()))
}

/// One part of a multipart form.
pub enum Part<'a> {
    Text(&'a str, &'a str),
    File(&'a str, &'a str, &'a [u8]),
}

pub fn post_multipart(url: &str, parts: &[Part]) -> Reply {
    request("POST", url, &Body::multipart(parts))
}

/// A request body.
#[derive(Clone, Debug)]
pub enum Body {
    Empty,
    /// An urlencoded form.
    Form(Vec<(String, String)>),
    Raw {
        content_type: String,
        bytes: Vec<u8>,
    },
}

impl Body {
    /// A multipart form.
    pub fn multipart(parts: &[Part]) -> Body {
        let boundary = "----takehome-test-boundary-7d1f";
        let mut body = Vec::new();
        for part in parts {
            write!(body, "--{boundary}\r\n").unwrap();
            match part {
                Part::Text(name, value) => {
                    write!(
                        body,
                        "Content-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
                    )
                    .unwrap();
                }
                Part::File(name, filename, bytes) => {
                    write!(
                        body,
                        "Content-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\n\
                         Content-Type: application/octet-stream\r\n\r\n"
                    )
                    .unwrap();
                    body.extend_from_slice(bytes);
                    body.extend_from_slice(b"\r\n");
                }
            }
        }
        write!(body, "--{boundary}--\r\n").unwrap();
        Body::Raw {
            content_type: format!("multipart/form-data; boundary={boundary}"),
            bytes: body,
        }
    }
}

/// Any method with any body; panics if the request fails below HTTP.
pub fn request(method: &str, url: &str, body: &Body) -> Reply {
    reply(send(method, url, body))
}

/// [`request`], or `None` if it failed below HTTP (the server went away).
pub fn try_request(method: &str, url: &str, body: &Body) -> Option<Reply> {
    send(method, url, body).ok().map(|r| reply(Ok(r)))
}

fn send(
    method: &str,
    url: &str,
    body: &Body,
) -> Result<ureq::http::Response<ureq::Body>, ureq::Error> {
    let builder = ureq::http::Request::builder().method(method).uri(url);
    let (builder, bytes) = match body {
        Body::Empty => (builder, Vec::new()),
        Body::Form(fields) => {
            let mut form = String::new();
            for (k, v) in fields {
                if !form.is_empty() {
                    form.push('&');
                }
                form.push_str(&form_encode(k));
                form.push('=');
                form.push_str(&form_encode(v));
            }
            (
                builder.header("Content-Type", "application/x-www-form-urlencoded"),
                form.into_bytes(),
            )
        }
        Body::Raw {
            content_type,
            bytes,
        } => (builder.header("Content-Type", content_type), bytes.clone()),
    };
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .max_redirects(0)
        .http_status_as_error(false)
        .build()
        .into();
    // A method that carries no body gets none (ureq refuses a body on GET and friends).
    if matches!(body, Body::Empty) {
        agent.run(builder.body(()).unwrap())
    } else {
        agent.run(builder.body(bytes).unwrap())
    }
}

fn form_encode(text: &str) -> String {
    let mut out = String::new();
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'*' => {
                out.push(byte as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// The CSRF token in a page's form.
pub fn csrf_of(html: &str) -> String {
    let at = html
        .find("name=\"csrf\" value=\"")
        .unwrap_or_else(|| panic!("no CSRF field in the page"));
    html[at + 19..].chars().take_while(|c| *c != '"').collect()
}

/// Submissions stored for a candidate, as `takehome candidates --json` counts them.
pub fn versions(root: &Path, pseudonym: &str) -> u64 {
    let out = cli_ok(root, &["candidates", "--json"]);
    let list: serde_json::Value = serde_json::from_str(&out).unwrap();
    list.as_array()
        .unwrap()
        .iter()
        .find(|c| c["pseudonym"] == pseudonym)
        .and_then(|c| c["versions"].as_u64())
        .unwrap_or_else(|| panic!("no candidate {pseudonym}"))
}

/// Files left in the workspace's scratch folder (an upload must leave none).
pub fn scratch_files(root: &Path) -> usize {
    std::fs::read_dir(root.join("tmp"))
        .map(|d| d.count())
        .unwrap_or(0)
}

/// A full rubric form for churn: every criterion at `level` with `comment`.
pub fn rubric_fields(level: &str, comment: &str, recommendation: &str) -> Vec<(String, String)> {
    let mut fields = Vec::new();
    for id in ["framing", "literature", "rigour", "honesty", "code"] {
        fields.push((format!("level.{id}"), level.to_string()));
        fields.push((format!("comment.{id}"), format!("{comment} ({id})")));
    }
    fields.push(("recommendation".into(), recommendation.into()));
    fields
}
