//! Caddy in front of plain `takehome serve` on the loopback, run with the Caddyfile the
//! README documents (its one `caddyfile` block, read from README.md itself, so the README
//! cannot drift from what is tested): pages and uploads go through it over HTTPS.

mod support;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use support::repo;
use support::web::{Body, Fixture, Part, Server, csrf_of, zip_folder};

const CADDY: &str = "/usr/bin/caddy";

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Caddy running the documented Caddyfile for `site`, proxying to `upstream`.
struct Caddy {
    child: Child,
    /// Caddy's own certificate authority (it signs the certificate of a site named localhost).
    root_cert: std::path::PathBuf,
    _home: tempfile::TempDir,
}

impl Caddy {
    fn start(site: &str, upstream: &str) -> Caddy {
        assert!(
            Path::new(CADDY).exists(),
            "{CADDY} is missing: install Debian's caddy (`.ci/run` does)"
        );
        let home = tempfile::tempdir().unwrap();
        let config = home.path().join("Caddyfile");
        std::fs::write(&config, documented_caddyfile()).unwrap();
        let child = Command::new(CADDY)
            .args(["run", "--adapter", "caddyfile", "--config"])
            .arg(&config)
            .env("TAKEHOME_SITE", site)
            .env("TAKEHOME_UPSTREAM", upstream)
            .env("CADDY_ADMIN", format!("localhost:{}", free_port()))
            .env("CADDY_HTTP_PORT", free_port().to_string())
            .env("HOME", home.path())
            .env("XDG_DATA_HOME", home.path().join("data"))
            .env("XDG_CONFIG_HOME", home.path().join("config"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("cannot start caddy");
        let root_cert = home
            .path()
            .join("data/caddy/pki/authorities/local/root.crt");
        Caddy {
            child,
            root_cert,
            _home: home,
        }
    }

    /// A client trusting only Caddy's authority, once Caddy answers.
    fn client(&mut self, probe: &str) -> ureq::Agent {
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("caddy exited with {status}");
            }
            if let Ok(pem) = std::fs::read(&self.root_cert) {
                let root = ureq::tls::Certificate::from_pem(&pem).unwrap();
                let tls = ureq::tls::TlsConfig::builder()
                    .root_certs(ureq::tls::RootCerts::Specific(Arc::new(vec![root])))
                    .build();
                let agent: ureq::Agent = ureq::Agent::config_builder()
                    .tls_config(tls)
                    .http_status_as_error(false)
                    .max_redirects(0)
                    .build()
                    .into();
                if agent.get(probe).call().is_ok() {
                    return agent;
                }
            }
            assert!(Instant::now() < deadline, "caddy never answered {probe}");
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

impl Drop for Caddy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The README's Caddyfile: the text of its one fenced `caddyfile` block.
fn documented_caddyfile() -> String {
    use pulldown_cmark::{CodeBlockKind, Event, Parser, Tag, TagEnd};
    let readme = std::fs::read_to_string(repo("README.md")).unwrap();
    let mut blocks = Vec::new();
    let mut inside = false;
    for event in Parser::new(&readme) {
        match event {
            Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(lang))) if &*lang == "caddyfile" => {
                inside = true;
                blocks.push(String::new());
            }
            Event::Text(text) if inside => blocks.last_mut().unwrap().push_str(&text),
            Event::End(TagEnd::CodeBlock) => inside = false,
            _ => {}
        }
    }
    assert_eq!(blocks.len(), 1, "README.md must hold one caddyfile block");
    blocks.remove(0)
}

#[test]
fn the_readme_documents_one_caddyfile_that_proxies_to_serve() {
    let caddyfile = documented_caddyfile();
    assert!(caddyfile.contains("reverse_proxy"), "{caddyfile}");
    assert!(
        caddyfile.contains("Strict-Transport-Security"),
        "{caddyfile}"
    );
}

#[test]
fn pages_and_uploads_go_through_caddy_over_https_with_the_documented_caddyfile() {
    let fixture = Fixture::new(1, &["Ann"]);
    let server = Server::start(fixture.root(), &["--no-worker"]);
    let upstream = server.base.trim_start_matches("http://").to_string();
    let port = free_port();
    let site = format!("localhost:{port}");
    let public = format!("https://{site}");
    let mut caddy = Caddy::start(&site, &upstream);
    let reviewer = format!("{public}/r/{}", fixture.reviewers[0].1);
    let agent = caddy.client(&reviewer);

    let mut page = agent.get(&reviewer).call().unwrap();
    assert_eq!(page.status().as_u16(), 200);
    let hsts = page.headers().get("strict-transport-security").cloned();
    assert_eq!(hsts.unwrap().to_str().unwrap(), "max-age=31536000");
    let text = page.body_mut().read_to_string().unwrap();
    assert!(text.contains("<h1>Reviews for Ann</h1>"), "{text}");

    // A candidate's upload from the public origin passes the server's origin check.
    let candidate = format!("{public}/c/{}", fixture.candidates[0].1);
    let form = agent
        .get(&candidate)
        .call()
        .unwrap()
        .body_mut()
        .read_to_string()
        .unwrap();
    let scratch = tempfile::tempdir().unwrap();
    let folder = scratch.path().join("s");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(folder.join("main.py"), "print('via caddy')\n").unwrap();
    std::fs::write(folder.join("REPORT.md"), "# Method\n").unwrap();
    std::fs::write(
        folder.join("submission.toml"),
        "runner = \"python\"\nentry = \"main.py\"\nreport = \"REPORT.md\"\n",
    )
    .unwrap();
    let zip = zip_folder(&folder);
    let Body::Raw {
        content_type,
        bytes,
    } = Body::multipart(&[
        Part::Text("csrf", &csrf_of(&form)),
        Part::File("archive", "s.zip", &zip),
    ])
    else {
        unreachable!()
    };
    let mut reply = agent
        .post(&format!("{candidate}/upload"))
        .header("Origin", &public)
        .header("Content-Type", &content_type)
        .send(&bytes[..])
        .unwrap();
    let answer = reply.body_mut().read_to_string().unwrap();
    assert_eq!(reply.status().as_u16(), 200, "{answer}");
    let listed = support::cli_ok(fixture.root(), &["status", "--json"]);
    assert!(listed.contains("\"waiting\": 1"), "{listed}");
}
