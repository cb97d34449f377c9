//! The web application under load: the reviewer pages, the lead's cohort page and the
//! candidate portal served by a real `takehome serve` process to 50 and 200 concurrent clients
//! while its worker evaluates, with p50/p99 latency and errors per page.

use std::io::Read;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;

use super::{format_duration, percentile};

/// What the load run is told.
pub struct WebLoad<'a> {
    /// Concurrent clients, one run each.
    pub clients: &'a [usize],
    /// How long each run lasts.
    pub duration: Duration,
    /// Mean pause between one client's requests (each pause drawn from half to one and a
    /// half of it), as a person reading pages would; zero sends back to back.
    pub think: Duration,
    /// Candidates issued and handed in (the strong example each).
    pub candidates: usize,
    /// The churn example assignment folder.
    pub churn: &'a Path,
}

/// One kind of page and the URLs of it the clients ask for.
struct Page {
    name: &'static str,
    urls: Vec<String>,
}

/// One finished request.
struct Sample {
    page: usize,
    took: Duration,
    ok: bool,
}

/// Sets up a workspace, starts `serve` with its worker, measures, prints a Markdown table.
pub fn web(load: &WebLoad) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let root = dir.path();
    let exe = std::env::current_exe()?;
    let cli = |args: &[&str]| -> anyhow::Result<String> {
        let out = Command::new(&exe)
            .args(args)
            .arg("--workspace")
            .arg(root)
            .output()?;
        anyhow::ensure!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    };
    eprintln!("setting up {} candidates ...", load.candidates);
    let out = Command::new(&exe).arg("init").arg(root).output()?;
    anyhow::ensure!(
        out.status.success(),
        "init: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    cli(&["assignment", "add", load.churn.to_str().context("path")?])?;
    let strong = load.churn.join("examples/strong");
    let mut candidate_tokens = Vec::new();
    for i in 0..load.candidates {
        let issued = cli(&[
            "issue",
            "churn",
            "--candidate",
            &format!("Load {i} <load{i}@example.org>"),
        ])?;
        let pseudonym = issued
            .split_whitespace()
            .skip_while(|w| *w != "as")
            .nth(1)
            .context("no pseudonym")?
            .to_string();
        candidate_tokens.push(link_token(&issued, "/c/")?);
        cli(&["submit", &pseudonym, strong.to_str().context("path")?])?;
    }
    let mut reviewer_tokens = Vec::new();
    for name in ["Ann", "Bo", "Cy", "Di"] {
        reviewer_tokens.push(link_token(&cli(&["reviewer", "add", name])?, "/r/")?);
    }
    cli(&["assign", "churn", "--reviewers", "2"])?;
    let lead_token = link_token(&cli(&["lead", "add", "Lee"])?, "/l/")?;
    eprintln!("evaluating them once (the pages show the results) ...");
    cli(&["evaluate", "--all", "--jobs", "1"])?;
    let mut server = Server::start(&exe, root)?;
    let base = server.base.clone();
    let agent = agent();
    let mut reviews = Vec::new();
    let mut packets = Vec::new();
    let mut queues = Vec::new();
    let mut overviews = Vec::new();
    for token in &reviewer_tokens {
        let queue = format!("{base}/r/{token}");
        let (status, html) = fetch(&agent, &queue)?;
        anyhow::ensure!(status == 200, "{queue} answered {status}");
        // The link text of each review link is the pseudonym (the href is escaped).
        for (at, _) in html.match_indices("class=\"review-link\"") {
            let pseudonym: String = html[at..]
                .split_once('>')
                .map(|(_, rest)| rest.chars().take_while(|c| *c != '<').collect())
                .unwrap_or_default();
            reviews.push(format!("{base}/r/{token}/review/{pseudonym}"));
            packets.push(format!("{base}/r/{token}/packet/{pseudonym}"));
        }
        queues.push(queue);
        overviews.push(format!("{base}/r/{token}/overview/churn"));
    }
    reviews.dedup();
    packets.dedup();
    let pages = vec![
        Page {
            name: "reviewer queue",
            urls: queues,
        },
        Page {
            name: "review page",
            urls: reviews,
        },
        Page {
            name: "packet frame",
            urls: packets,
        },
        Page {
            name: "overview",
            urls: overviews,
        },
        Page {
            name: "cohort (lead)",
            urls: vec![format!("{base}/l/{lead_token}/cohort/churn")],
        },
        Page {
            name: "candidate portal",
            urls: candidate_tokens
                .iter()
                .map(|t| format!("{base}/c/{t}"))
                .collect(),
        },
    ];
    anyhow::ensure!(
        pages.iter().all(|p| !p.urls.is_empty()),
        "the reviewers' queues list no candidate"
    );
    let mut rows = Vec::new();
    for &clients in load.clients {
        // Keep the worker busy for the whole run: evaluations of every candidate, again.
        for _ in 0..3 {
            cli(&["evaluate", "--all", "--no-wait"])?;
        }
        let done_before = jobs_done(&cli)?;
        eprintln!(
            "{clients} clients for {} ...",
            humantime::format_duration(load.duration)
        );
        let samples = run_clients(&pages, clients, load.duration, load.think);
        let evaluated = jobs_done(&cli)? - done_before;
        let seconds = load.duration.as_secs_f64();
        for (i, page) in pages.iter().enumerate() {
            let mut times: Vec<Duration> = samples
                .iter()
                .filter(|s| s.page == i)
                .map(|s| s.took)
                .collect();
            let errors = samples.iter().filter(|s| s.page == i && !s.ok).count();
            rows.push(format!(
                "| {clients} | {} | {} | {} | {} | {errors} | |",
                page.name,
                times.len(),
                format_duration(percentile(&mut times, 0.5)),
                format_duration(percentile(&mut times, 0.99)),
            ));
        }
        let mut all: Vec<Duration> = samples.iter().map(|s| s.took).collect();
        let errors = samples.iter().filter(|s| !s.ok).count();
        rows.push(format!(
            "| {clients} | **all pages** | {} ({:.0}/s) | {} | {} | {errors} | {evaluated} evaluations recorded meanwhile |",
            all.len(),
            all.len() as f64 / seconds,
            format_duration(percentile(&mut all, 0.5)),
            format_duration(percentile(&mut all, 0.99)),
        ));
    }
    server.stop();
    println!(
        "\n### The web application under load (think time {}, {} candidates, serve's worker evaluating)\n",
        humantime::format_duration(load.think),
        load.candidates
    );
    println!("| clients | page | requests | p50 | p99 | errors | note |");
    println!("|---:|---|---:|---:|---:|---:|---|");
    for row in rows {
        println!("{row}");
    }
    Ok(())
}

/// `clients` threads asking for the pages in turn until `duration` has passed.
fn run_clients(pages: &[Page], clients: usize, duration: Duration, think: Duration) -> Vec<Sample> {
    let samples = Arc::new(Mutex::new(Vec::new()));
    let deadline = Instant::now() + duration;
    let threads: Vec<_> = (0..clients)
        .map(|client| {
            let samples = samples.clone();
            let plan: Vec<(usize, String)> = pages
                .iter()
                .enumerate()
                .flat_map(|(i, p)| p.urls.iter().map(move |u| (i, u.clone())))
                .collect();
            std::thread::spawn(move || {
                let agent = agent();
                let mut mine = Vec::new();
                let mut next = client * 7;
                // Spread the first requests over one think time, as arrivals would be.
                std::thread::sleep(think.mul_f64(rand::random::<f64>()));
                while Instant::now() < deadline {
                    let (page, url) = &plan[next % plan.len()];
                    next += 1;
                    let started = Instant::now();
                    let ok = matches!(fetch(&agent, url), Ok((200, _)));
                    mine.push(Sample {
                        page: *page,
                        took: started.elapsed(),
                        ok,
                    });
                    std::thread::sleep(think.mul_f64(0.5 + rand::random::<f64>()));
                }
                samples.lock().unwrap().extend(mine);
            })
        })
        .collect();
    for thread in threads {
        let _ = thread.join();
    }
    Arc::try_unwrap(samples)
        .map(|m| m.into_inner().unwrap_or_default())
        .unwrap_or_default()
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .max_redirects(0)
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into()
}

fn fetch(agent: &ureq::Agent, url: &str) -> anyhow::Result<(u16, String)> {
    let mut response = agent.get(url).call()?;
    let mut body = String::new();
    response.body_mut().as_reader().read_to_string(&mut body)?;
    Ok((response.status().as_u16(), body))
}

/// The token of the first link with `marker` (`/c/`, `/r/`) in a command's output.
fn link_token(out: &str, marker: &str) -> anyhow::Result<String> {
    let at = out
        .find(marker)
        .with_context(|| format!("no {marker} link in {out:?}"))?;
    Ok(out[at + marker.len()..]
        .chars()
        .take_while(char::is_ascii_hexdigit)
        .collect())
}

fn jobs_done(cli: &dyn Fn(&[&str]) -> anyhow::Result<String>) -> anyhow::Result<u64> {
    let status: serde_json::Value = serde_json::from_str(&cli(&["status", "--json"])?)?;
    status["done"].as_u64().context("no done count in status")
}

/// `takehome serve` with its worker (one run at once) on a free port.
struct Server {
    child: Child,
    base: String,
}

impl Server {
    fn start(exe: &Path, root: &Path) -> anyhow::Result<Server> {
        use std::io::BufRead;
        let mut child = Command::new(exe)
            .args([
                "serve",
                "--addr",
                "127.0.0.1:0",
                "--jobs",
                "1",
                "--workspace",
            ])
            .arg(root)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()?;
        let mut lines = std::io::BufReader::new(child.stdout.take().context("stdout")?).lines();
        let first = lines.next().context("serve printed nothing")??;
        let base = first
            .strip_prefix("serving on ")
            .with_context(|| format!("unexpected first line {first:?}"))?
            .to_string();
        std::thread::spawn(move || for _ in lines {});
        Ok(Server { child, base })
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}
