//! The gVisor tier (`--runner python-native`) against hostile programs, through `takehome
//! run` with real runsc: every class ends with its verdict, the host sees nothing, and
//! nothing of a run outlives it. Needs root, cgroup v1 and runsc (`.ci/run` installs it);
//! the first run builds the runner's environment from wheels in the suite's cache.

mod support;

use std::io::ErrorKind;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use takehome::record::Isolation;
use takehome::sandbox::{DiagnosticKind, RunRecord, Verdict};

/// Writes `main.py` (and `files`) into a fresh folder and runs it on python-native.
fn run(source: &str, flags: &[&str]) -> RunRecord {
    let dir = support::tempdir();
    run_in(dir.path(), source, flags)
}

fn run_in(dir: &Path, source: &str, flags: &[&str]) -> RunRecord {
    let script = dir.join("main.py");
    std::fs::write(&script, source).unwrap();
    let mut all = vec!["--runner", "python-native"];
    all.extend_from_slice(flags);
    let record = support::run(&script, &all);
    assert_eq!(record.isolation, Isolation::Gvisor, "{record:#?}");
    record
}

fn runs_dir() -> PathBuf {
    support::shared_cache().join("gvisor").join("runs")
}

#[test]
fn a_script_runs_in_gvisor_and_its_record_says_so() {
    let record = run(
        "import os, sys\nprint('uid', os.getuid(), 'hashseed', os.environ['PYTHONHASHSEED'])\n\
         print('threads', os.environ['OMP_NUM_THREADS'])\n\
         open('out/result.txt', 'w').write('42')\n",
        &[],
    );
    support::expect_verdict(&record, Verdict::Ok);
    assert!(
        record.stdout.text.contains("uid 65534 hashseed 0"),
        "{}",
        record.stdout.text
    );
    assert!(record.stdout.text.contains("threads 1"));
    assert!(
        record.outputs.iter().any(|o| o.path == "out/result.txt"),
        "{:?}",
        record.outputs
    );
    assert_eq!(record.runner.name, "python-native");
    let gvisor = record.gvisor.as_ref().expect("a gVisor record names runsc");
    assert!(gvisor.runsc.starts_with("runsc version"), "{gvisor:?}");
    assert_eq!(gvisor.platform, "ptrace");
    let json = serde_json::to_value(&record).unwrap();
    assert_eq!(json["isolation"], "gvisor");
}

#[test]
fn a_memory_hog_ends_with_a_memory_limit_verdict() {
    let record = run(
        "chunks = []\nwhile True:\n    chunks.append(bytearray(64 << 20))\n",
        &["--memory", "512MiB", "--wall", "60s"],
    );
    support::expect_verdict(&record, Verdict::MemoryLimit);
}

#[test]
fn a_fork_bomb_ends_with_a_process_limit_verdict() {
    let record = run(
        "import os, time\nwhile True:\n    if os.fork() == 0:\n        time.sleep(30)\n",
        &["--wall", "60s"],
    );
    support::expect_verdict(&record, Verdict::ProcessLimit);
}

#[test]
fn a_cpu_spin_ends_with_a_time_limit_verdict() {
    let record = run("while True:\n    pass\n", &["--wall", "3s"]);
    support::expect_verdict(&record, Verdict::TimeLimit);
}

#[test]
fn writing_past_the_disk_quota_ends_with_a_disk_limit_verdict() {
    let record = run(
        "block = b'x' * (1 << 20)\nwith open('big.bin', 'wb') as f:\n    for _ in range(200):\n        f.write(block)\n",
        &["--out-limit", "16MiB", "--wall", "60s"],
    );
    support::expect_verdict(&record, Verdict::DiskLimit);
}

#[test]
fn many_small_files_end_with_a_disk_limit_verdict() {
    let record = run(
        "import os\nfor i in range(100000):\n    open(f'f{i}', 'w').close()\n",
        &["--out-files", "200", "--wall", "60s"],
    );
    support::expect_verdict(&record, Verdict::DiskLimit);
}

#[test]
fn printing_forever_ends_with_an_output_limit_verdict() {
    let record = run(
        "while True:\n    print('x' * 1000)\n",
        &["--stdout-limit", "64KiB", "--wall", "60s"],
    );
    support::expect_verdict(&record, Verdict::OutputLimit);
}

#[test]
fn sockets_reach_neither_a_host_listener_nor_the_outside() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    let source = format!(
        "import socket\n\
         for host, port in [('127.0.0.1', {port}), ('1.1.1.1', 80), ('8.8.8.8', 53)]:\n\
         \x20   s = socket.socket()\n\
         \x20   s.settimeout(3)\n\
         \x20   try:\n\
         \x20       s.connect((host, port))\n\
         \x20       s.sendall(b'hello')\n\
         \x20       print('reached', host)\n\
         \x20   except OSError as e:\n\
         \x20       print('refused', host, type(e).__name__)\n"
    );
    let record = run(&source, &["--wall", "60s"]);
    support::expect_verdict(&record, Verdict::Ok);
    assert!(
        !record.stdout.text.contains("reached"),
        "{}",
        record.stdout.text
    );
    assert_eq!(record.stdout.text.matches("refused").count(), 3);
    match listener.accept() {
        Err(e) if e.kind() == ErrorKind::WouldBlock => {}
        other => panic!("the host's listener saw a connection: {other:?}"),
    }
    assert!(
        record
            .diagnostics
            .iter()
            .any(|d| d.kind == DiagnosticKind::Network),
        "{:?}",
        record.diagnostics
    );
}

#[test]
fn host_files_and_hidden_data_are_not_visible() {
    let hidden = support::tempdir();
    std::fs::write(hidden.path().join("answers.csv"), "id,label\n1,secret\n").unwrap();
    let source = format!(
        "import os\n\
         for path in ['/etc/shadow', {hidden:?}, '/root/.bash_history', '/proc/1/environ']:\n\
         \x20   try:\n\
         \x20       open(path).read()\n\
         \x20       print('read', path)\n\
         \x20   except OSError as e:\n\
         \x20       print('absent', path, type(e).__name__)\n\
         print('root holds', sorted(os.listdir('/root')))\n\
         print('etc holds', sorted(os.listdir('/etc')))\n",
        hidden = hidden.path().join("answers.csv").to_string_lossy()
    );
    let record = run(&source, &["--wall", "60s"]);
    support::expect_verdict(&record, Verdict::Ok);
    let out = &record.stdout.text;
    for path in ["/etc/shadow", "answers.csv", "/root/.bash_history"] {
        assert!(
            out.lines()
                .any(|l| l.starts_with("absent") && l.contains(path)),
            "{out}"
        );
    }
    // /proc/1 is the sandbox's own first process, never the host's init.
    assert!(
        !out.contains("read /etc/shadow") && !out.contains("read /root"),
        "{out}"
    );
    let root_line = out.lines().find(|l| l.starts_with("root holds")).unwrap();
    assert!(
        root_line == "root holds []" || root_line == "root holds ['.pyenv']",
        "only mount points of the interpreter may show under /root: {root_line}"
    );
    // The bundle's own three files, and fontconfig's settings when the host has them.
    let etc = if std::path::Path::new("/etc/fonts").is_dir() {
        "etc holds ['fonts', 'group', 'hosts', 'passwd']"
    } else {
        "etc holds ['group', 'hosts', 'passwd']"
    };
    assert!(out.contains(etc), "{out}");
}

#[test]
fn a_run_cannot_see_another_runs_files() {
    let marker = format!("marker-{}", std::process::id());
    let first = support::tempdir();
    let script = first.path().join("main.py");
    std::fs::write(
        &script,
        format!("import time\nopen('secret.txt', 'w').write({marker:?})\ntime.sleep(120)\n"),
    )
    .unwrap();
    let holder = std::process::Command::new(env!("CARGO_BIN_EXE_takehome"))
        .args([
            "run",
            "--runner",
            "python-native",
            "--json",
            "--wall",
            "120s",
        ])
        .arg(&script)
        .env("TAKEHOME_CACHE", support::shared_cache())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let pid = holder.id();
    let mut holder = KillOnDrop(holder);
    let written = wait_for(Duration::from_secs(300), || {
        find_file(
            &runs_dir(),
            &format!("{}{pid}-", takehome::gvisor::rundir::PREFIX),
            "secret.txt",
        )
    });
    assert!(written.is_some(), "the first run never wrote its file");
    // The marker is put together at run time, so the searching program's own source does
    // not hold it.
    let (head, tail) = marker.split_at(3);
    let search = format!(
        "import os\nmarker = {head:?} + {tail:?}\nfound = []\n\
         for top in ['/work', '/tmp', '/takehome', '/etc', '/dev/shm', '/root']:\n\
         \x20   for folder, _, files in os.walk(top):\n\
         \x20       for name in files:\n\
         \x20           try:\n\
         \x20               if marker in open(os.path.join(folder, name), errors='ignore').read(1 << 20):\n\
         \x20                   found.append(os.path.join(folder, name))\n\
         \x20           except OSError:\n\
         \x20               pass\n\
         print('found', found)\n"
    );
    let record = run(&search, &["--wall", "120s"]);
    support::expect_verdict(&record, Verdict::Ok);
    assert!(
        record.stdout.text.contains("found []"),
        "{}",
        record.stdout.text
    );
    let _ = holder.0.kill();
}

#[test]
fn a_harness_killed_mid_run_leaves_no_container_cgroup_mount_or_folder() {
    let dir = support::tempdir();
    let script = dir.path().join("main.py");
    std::fs::write(
        &script,
        "import time\nopen('started', 'w').close()\ntime.sleep(120)\n",
    )
    .unwrap();
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_takehome"))
        .args([
            "run",
            "--runner",
            "python-native",
            "--json",
            "--wall",
            "300s",
        ])
        .arg(&script)
        .env("TAKEHOME_CACHE", support::shared_cache())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let pid = child.id();
    let mut child = KillOnDrop(child);
    let prefix = format!("{}{pid}-", takehome::gvisor::rundir::PREFIX);
    let started = wait_for(Duration::from_secs(300), || {
        find_file(&runs_dir(), &prefix, "started")
    });
    assert!(started.is_some(), "the program never started");
    let run_dir = std::fs::read_dir(runs_dir())
        .unwrap()
        .flatten()
        .find(|e| e.file_name().to_string_lossy().starts_with(&prefix))
        .unwrap()
        .path();
    child.0.kill().unwrap();
    child.0.wait().unwrap();
    // The container outlives the harness until the next run sweeps it.
    let sweeper = run("print('sweep')\n", &[]);
    support::expect_verdict(&sweeper, Verdict::Ok);
    assert!(!run_dir.exists(), "{} is left", run_dir.display());
    let mounts = std::fs::read_to_string("/proc/mounts").unwrap();
    assert!(!mounts.contains(&prefix), "a mount is left:\n{mounts}");
    for hierarchy in std::fs::read_dir("/sys/fs/cgroup").unwrap().flatten() {
        let parent = hierarchy.path().join(takehome::gvisor::cgroup::PARENT);
        for entry in std::fs::read_dir(&parent).into_iter().flatten().flatten() {
            assert!(
                !entry.file_name().to_string_lossy().starts_with(&prefix),
                "a cgroup is left: {}",
                entry.path().display()
            );
        }
    }
    let id = run_dir.file_name().unwrap().to_string_lossy().into_owned();
    for process in std::fs::read_dir("/proc").unwrap().flatten() {
        let cmdline = std::fs::read(process.path().join("cmdline")).unwrap_or_default();
        let cmdline = String::from_utf8_lossy(&cmdline);
        assert!(
            !cmdline.contains(&id),
            "a process of the run is left: {cmdline}"
        );
    }
}

#[test]
fn a_missing_module_names_the_package() {
    // Without its packages: by default `takehome run` would install PyTorch (4 GB).
    let record = run("import torch\n", &["--no-packages"]);
    support::expect_verdict(&record, Verdict::Exit);
    let note = record
        .diagnostics
        .iter()
        .find(|d| d.kind == DiagnosticKind::MissingModule)
        .unwrap_or_else(|| panic!("no missing_module note: {record:#?}"));
    assert_eq!(note.detail, "torch");
    assert!(note.message.contains("PyTorch"), "{}", note.message);
    assert!(
        record.stderr.text.contains("No module named 'torch'"),
        "{}",
        record.stderr.text
    );
}

#[test]
fn a_wasm_record_has_no_isolation_field_and_reads_back_as_wasm() {
    let dir = support::tempdir();
    let module = support::wat_file(dir.path(), "ok", "(module (func (export \"_start\")))");
    let json = support::run_json_env(&module, &[], &[]);
    assert!(json.get("isolation").is_none(), "{json:#}");
    let record: RunRecord = serde_json::from_value(json).unwrap();
    assert_eq!(record.isolation, Isolation::Wasm);
    assert!(record.gvisor.is_none());
}

struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Polls `probe` until it gives something or `limit` passes (a generous bound, not a
/// measurement).
fn wait_for<T>(limit: Duration, mut probe: impl FnMut() -> Option<T>) -> Option<T> {
    let start = Instant::now();
    while start.elapsed() < limit {
        if let Some(found) = probe() {
            return Some(found);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    None
}

/// A file named `name` in the working copy of a run whose folder starts with `prefix`.
fn find_file(runs: &Path, prefix: &str, name: &str) -> Option<PathBuf> {
    std::fs::read_dir(runs)
        .ok()?
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(prefix))
        .map(|e| e.path().join("scratch").join("work").join(name))
        .find(|p| p.exists())
}
