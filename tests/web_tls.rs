//! `takehome serve` over HTTPS with a self-signed certificate made by the test: a real
//! Chromium loads a reviewer's page, every answer carries HSTS, and certificates or keys
//! that cannot work are refused before the server starts (exit 2, naming the file).

mod support;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;

use base64::Engine;
use rcgen::PublicKeyData;
use sha2::{Digest, Sha256};
use support::web::{Fixture, Server};

/// A self-signed certificate for 127.0.0.1 and localhost, written as PEM files.
struct SelfSigned {
    cert: PathBuf,
    key: PathBuf,
    der: Vec<u8>,
    /// base64 of the SHA-256 of the key's SubjectPublicKeyInfo (Chromium's pin format).
    spki_pin: String,
}

fn self_signed(dir: &Path, name: &str) -> SelfSigned {
    let made =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string(), "localhost".to_string()])
            .unwrap();
    let cert = dir.join(format!("{name}.crt"));
    let key = dir.join(format!("{name}.key"));
    std::fs::write(&cert, made.cert.pem()).unwrap();
    std::fs::write(&key, made.signing_key.serialize_pem()).unwrap();
    let spki = made.signing_key.subject_public_key_info();
    SelfSigned {
        cert,
        key,
        der: made.cert.der().to_vec(),
        spki_pin: base64::engine::general_purpose::STANDARD.encode(Sha256::digest(spki)),
    }
}

/// An HTTPS client that trusts only `cert`.
fn trusting(cert: &SelfSigned) -> ureq::Agent {
    let root = ureq::tls::Certificate::from_der(&cert.der).to_owned();
    let tls = ureq::tls::TlsConfig::builder()
        .root_certs(ureq::tls::RootCerts::Specific(Arc::new(vec![root])))
        .build();
    ureq::Agent::config_builder()
        .tls_config(tls)
        .http_status_as_error(false)
        .max_redirects(0)
        .build()
        .into()
}

/// The workspace's links must be https for serve to speak HTTPS.
fn use_https_links(root: &Path) {
    let settings = root.join("takehome.toml");
    let text = std::fs::read_to_string(&settings).unwrap();
    std::fs::write(
        &settings,
        format!("public_url = \"https://127.0.0.1:8443\"\n{text}"),
    )
    .unwrap();
}

/// Chromium, headless, loading `url` and printing its DOM; `pin` trusts that key only.
fn chromium_dom(url: &str, pin: Option<&str>) -> String {
    let profile = tempfile::tempdir().unwrap();
    let mut command = Command::new("/usr/bin/chromium");
    command.args([
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
    ]);
    command.arg(format!("--user-data-dir={}", profile.path().display()));
    if let Some(pin) = pin {
        command.arg(format!("--ignore-certificate-errors-spki-list={pin}"));
    }
    let out = command
        .arg("--dump-dom")
        .arg(url)
        .stderr(Stdio::null())
        .output()
        .expect("cannot run /usr/bin/chromium (Debian's chromium; `.ci/run` installs it)");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn chromium_loads_a_reviewers_page_over_https_and_every_answer_carries_hsts() {
    let fixture = Fixture::new(1, &["Ann"]);
    let root = fixture.root();
    use_https_links(root);
    let cert = self_signed(root, "server");
    let server = Server::start(
        root,
        &[
            "--no-worker",
            "--tls-cert",
            cert.cert.to_str().unwrap(),
            "--tls-key",
            cert.key.to_str().unwrap(),
        ],
    );
    assert!(
        server.base.starts_with("https://127.0.0.1:"),
        "{}",
        server.base
    );
    let reviewer = server.url(&format!("/r/{}", fixture.reviewers[0].1));
    let agent = trusting(&cert);
    for (url, status) in [(reviewer.clone(), 200), (server.url("/r/not-a-token"), 404)] {
        let response = agent.get(&url).call().unwrap();
        assert_eq!(response.status().as_u16(), status, "{url}");
        let hsts = response.headers().get("strict-transport-security");
        assert_eq!(
            hsts.and_then(|v| v.to_str().ok()),
            Some(takehome::server::HSTS),
            "{url}"
        );
    }
    let dom = chromium_dom(&reviewer, Some(&cert.spki_pin));
    assert!(dom.contains("<h1>Reviews for Ann</h1>"), "{dom}");
    // The same browser without the pin refuses the unknown certificate: the page above was
    // really served over verified TLS.
    let refused = chromium_dom(&reviewer, None);
    assert!(!refused.contains("Reviews for Ann"), "{refused}");
}

/// Runs `takehome serve` expecting it to refuse to start; returns its stderr.
fn refused(root: &Path, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_takehome"))
        .args(["serve", "--addr", "127.0.0.1:0", "--no-worker"])
        .args(args)
        .current_dir(root)
        .env_remove("TAKEHOME_WORKSPACE")
        .env_remove("TAKEHOME_URL")
        .stdout(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    stderr
}

#[test]
fn a_key_that_does_not_match_the_certificate_is_refused_with_exit_2() {
    let fixture = Fixture::new(0, &[]);
    let root = fixture.root();
    use_https_links(root);
    let (one, other) = (self_signed(root, "one"), self_signed(root, "other"));
    let stderr = refused(
        root,
        &[
            "--tls-cert",
            one.cert.to_str().unwrap(),
            "--tls-key",
            other.key.to_str().unwrap(),
        ],
    );
    assert!(
        stderr.contains("one.crt")
            && stderr.contains("other.key")
            && stderr.contains("does not match"),
        "{stderr}"
    );
}

#[test]
fn an_unreadable_key_or_a_certificate_that_does_not_parse_is_refused_naming_the_file() {
    let fixture = Fixture::new(0, &[]);
    let root = fixture.root();
    use_https_links(root);
    let good = self_signed(root, "good");
    let missing = root.join("no-such.key");
    let stderr = refused(
        root,
        &[
            "--tls-cert",
            good.cert.to_str().unwrap(),
            "--tls-key",
            missing.to_str().unwrap(),
        ],
    );
    assert!(
        stderr.contains("cannot read the TLS key") && stderr.contains("no-such.key"),
        "{stderr}"
    );
    let garbage = root.join("garbage.crt");
    std::fs::write(
        &garbage,
        "-----BEGIN CERTIFICATE-----\nnot base64 at all!\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    let stderr = refused(
        root,
        &[
            "--tls-cert",
            garbage.to_str().unwrap(),
            "--tls-key",
            good.key.to_str().unwrap(),
        ],
    );
    assert!(stderr.contains("garbage.crt"), "{stderr}");
    // A key file where the certificate belongs holds no certificate.
    let stderr = refused(
        root,
        &[
            "--tls-cert",
            good.key.to_str().unwrap(),
            "--tls-key",
            good.key.to_str().unwrap(),
        ],
    );
    assert!(
        stderr.contains("good.key") && stderr.contains("holds no certificate"),
        "{stderr}"
    );
}

#[test]
fn https_with_links_that_still_say_http_is_refused() {
    let fixture = Fixture::new(0, &[]);
    let root = fixture.root();
    let cert = self_signed(root, "server");
    let stderr = refused(
        root,
        &[
            "--tls-cert",
            cert.cert.to_str().unwrap(),
            "--tls-key",
            cert.key.to_str().unwrap(),
        ],
    );
    assert!(
        stderr.contains("public_url") && stderr.contains("http://127.0.0.1:8080"),
        "{stderr}"
    );
}

#[test]
fn plain_http_on_a_public_address_warns_that_links_and_uploads_travel_in_clear_text() {
    let fixture = Fixture::new(0, &[]);
    let mut child = Command::new(env!("CARGO_BIN_EXE_takehome"))
        .args(["serve", "--addr", "0.0.0.0:0", "--no-worker"])
        .current_dir(fixture.root())
        .env_remove("TAKEHOME_WORKSPACE")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let first = BufReader::new(child.stderr.take().unwrap())
        .lines()
        .next()
        .expect("serve printed no warning")
        .unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        first.starts_with("warning: serving plain HTTP on 0.0.0.0:")
            && first.contains("secret links")
            && first.contains("clear text"),
        "{first}"
    );
}
