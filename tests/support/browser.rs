//! A real headless Chromium driven through ChromeDriver's WebDriver protocol (Debian's
//! `chromium` and `chromium-driver`, installed by `.ci/run`).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// The W3C WebDriver key of an element reference.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// One browser session, with its own profile and download folder; closed when dropped.
pub struct Browser {
    driver: Child,
    endpoint: String,
    session: String,
    pub downloads: tempfile::TempDir,
    _profile: tempfile::TempDir,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(120)))
        .build()
        .into()
}

impl Browser {
    pub fn start() -> Browser {
        for (path, package) in [(CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")] {
            assert!(
                Path::new(path).exists(),
                "{path} is missing: install Debian's {package} (`.ci/run` does)"
            );
        }
        let port = free_port();
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("cannot start chromedriver");
        let endpoint = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(30);
        while agent().get(&format!("{endpoint}/status")).call().is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        let profile = tempfile::tempdir().unwrap();
        let downloads = tempfile::tempdir().unwrap();
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu",
                    "--disable-background-networking", "--disable-component-update",
                    "--no-first-run", "--disable-sync", "--window-size=1400,1000",
                    format!("--user-data-dir={}", profile.path().display()),
                ],
                "prefs": {
                    "download.default_directory": downloads.path(),
                    "download.prompt_for_download": false,
                },
            },
        }}});
        let mut browser = Browser {
            driver,
            endpoint,
            session: String::new(),
            downloads,
            _profile: profile,
        };
        let created = browser
            .call("POST", "/session", Some(capabilities))
            .unwrap();
        browser.session = created["sessionId"].as_str().unwrap().to_string();
        // Headless Chromium saves downloads only when told where.
        let _ = browser.command(
            "POST",
            "/chromium/send_command",
            json!({"cmd": "Page.setDownloadBehavior",
                   "params": {"behavior": "allow", "downloadPath": browser.downloads.path()}}),
        );
        browser
    }

    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value, String> {
        let url = format!("{}{path}", self.endpoint);
        let response = match (method, body) {
            ("GET", _) => agent().get(&url).call(),
            ("DELETE", _) => agent().delete(&url).call(),
            (_, body) => agent().post(&url).send_json(body.unwrap_or(json!({}))),
        };
        let mut response = response.map_err(|e| format!("{method} {path}: {e}"))?;
        let value: Value = response
            .body_mut()
            .read_json()
            .map_err(|e| format!("{method} {path}: {e}"))?;
        let value = value["value"].clone();
        if let Some(error) = value.get("error") {
            return Err(format!("{method} {path}: {error}: {}", value["message"]));
        }
        Ok(value)
    }

    /// A command of this session; `Err` carries WebDriver's error and message.
    pub fn command(&self, method: &str, path: &str, body: Value) -> Result<Value, String> {
        let path = format!("/session/{}{path}", self.session);
        self.call(method, &path, Some(body))
    }

    fn ok(&self, method: &str, path: &str, body: Value) -> Value {
        self.command(method, path, body)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    pub fn goto(&self, url: &str) {
        self.ok("POST", "/url", json!({"url": url}));
    }

    /// The element `css`, waiting up to ten seconds for it (a page may still be loading).
    pub fn find(&self, css: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(id) = self.try_find(css) {
                return id;
            }
            if Instant::now() > deadline {
                let source = self.source();
                panic!("no element {css} on {}:\n{source:.3000}", self.url());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn try_find(&self, css: &str) -> Option<String> {
        self.command(
            "POST",
            "/element",
            json!({"using": "css selector", "value": css}),
        )
        .ok()
        .map(|v| v[ELEMENT].as_str().unwrap().to_string())
    }

    /// Clicks `css` where the page stays (a radio button, a field). A click that replaces
    /// the page is `click_to_new_page`: what follows it must not read the old page.
    pub fn click(&self, css: &str) {
        let id = self.find(css);
        self.ok("POST", &format!("/element/{id}/click"), json!({}));
    }

    /// Clicks `css` (a link or a form's button) and waits until the page it leads to has
    /// loaded. The old document is marked first; the new one is known by lacking the mark,
    /// so an element read next can never be the old page's, however slow the answer.
    pub fn click_to_new_page(&self, css: &str) {
        self.execute("window.__takehomeOldPage = true; return null;");
        self.click(css);
        let deadline = Instant::now() + Duration::from_secs(60);
        let script = "return window.__takehomeOldPage === true ? 'old' : document.readyState;";
        loop {
            // While the page is being replaced a script may fail to run: not there yet.
            let state = self.command(
                "POST",
                "/execute/sync",
                json!({"script": script, "args": []}),
            );
            if matches!(&state, Ok(Value::String(s)) if s == "complete") {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "clicking {css} led to no new page within a minute (last state {state:?}, at {})",
                self.url()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn type_into(&self, css: &str, text: &str) {
        let id = self.find(css);
        self.ok(
            "POST",
            &format!("/element/{id}/value"),
            json!({"text": text}),
        );
    }

    /// The text of `css`, looked up again if the page was replaced under it.
    pub fn text(&self, css: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let id = self.find(css);
            match self.command("GET", &format!("/element/{id}/text"), json!({})) {
                Ok(text) => return text.as_str().unwrap_or_default().to_string(),
                // Chromium names a replaced page's element either way.
                Err(e)
                    if (e.contains("stale element")
                        || e.contains("does not belong to the document"))
                        && Instant::now() < deadline =>
                {
                    std::thread::sleep(Duration::from_millis(100));
                }
                Err(e) => panic!("{e}"),
            }
        }
    }

    pub fn source(&self) -> String {
        self.ok("GET", "/source", json!({}))
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    pub fn url(&self) -> String {
        self.ok("GET", "/url", json!({}))
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// Runs `script` in the page (as the test, not as the page) and returns its value.
    pub fn execute(&self, script: &str) -> Value {
        self.ok(
            "POST",
            "/execute/sync",
            json!({"script": script, "args": []}),
        )
    }

    /// The text of an open alert, confirm or prompt dialog, if any.
    pub fn alert_text(&self) -> Option<String> {
        self.command("GET", "/alert/text", json!({}))
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
    }

    /// The size of a PNG screenshot of the element `css`: a blank element compresses to a
    /// few kilobytes, one showing a page of text to many more.
    pub fn screenshot_bytes(&self, css: &str) -> usize {
        let id = self.find(css);
        let png = self.ok("GET", &format!("/element/{id}/screenshot"), json!({}));
        png.as_str().unwrap_or_default().len() * 3 / 4
    }

    /// Switches into the frame `css` of the current page.
    pub fn enter_frame(&self, css: &str) {
        let id = self.find(css);
        self.ok("POST", "/frame", json!({"id": {ELEMENT: id}}));
    }

    pub fn leave_frame(&self) {
        self.ok("POST", "/frame/parent", json!({}));
    }

    /// Waits until the element `css` exists and its text contains `wanted`, reloading the
    /// page's elements each time (pages may refresh themselves); returns the text.
    pub fn wait_for_text(&self, css: &str, wanted: &str, timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            let text = self
                .try_find(css)
                .and_then(|id| {
                    self.command("GET", &format!("/element/{id}/text"), json!({}))
                        .ok()
                })
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            if text.contains(wanted) {
                return text;
            }
            assert!(
                Instant::now() < deadline,
                "{css} never showed {wanted:?}; last text {text:?} on {}",
                self.url()
            );
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    /// Waits for a finished download (no `.crdownload` left) and returns its path.
    pub fn wait_for_download(&self, timeout: Duration) -> PathBuf {
        let deadline = Instant::now() + timeout;
        loop {
            let files: Vec<PathBuf> = std::fs::read_dir(self.downloads.path())
                .unwrap()
                .map(|e| e.unwrap().path())
                .collect();
            if let [file] = &files[..]
                && !file.to_string_lossy().ends_with(".crdownload")
            {
                return file.clone();
            }
            assert!(Instant::now() < deadline, "no finished download: {files:?}");
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let _ = self.call("DELETE", &format!("/session/{}", self.session), None);
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}
