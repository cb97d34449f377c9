//! Determinism against a guest looking for nondeterminism (clocks, randomness, directory
//! order, file metadata, NaN bits), the virtual and real clocks, and eight runs at once in
//! one process getting the same records as runs alone.

mod support;

use std::path::Path;
use std::sync::Barrier;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use support::*;
use takehome::sandbox::{
    Bytes, Limits, LoadedModule, Mount, RunRecord, RunSpec, Sandbox, VIRTUAL_EPOCH_SECS, Verdict,
};

/// Names of the files in a probe's `/data/many`.
fn many_names() -> Vec<String> {
    (0..40)
        .map(|i| format!("file{:03}.txt", (i * 37) % 101))
        .collect()
}

/// A data folder for the probe: `a.txt`, and `many/` whose files are created in an order
/// shuffled by `order_seed`. Contents are always the same; modification times (and, being
/// new files, inode numbers) differ.
fn probe_data(order_seed: u64) -> tempfile::TempDir {
    let dir = tempdir();
    std::fs::write(dir.path().join("a.txt"), "the same text\n").unwrap();
    let many = dir.path().join("many");
    std::fs::create_dir(&many).unwrap();
    let mut names = many_names();
    let mut x = order_seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    for i in (1..names.len()).rev() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        names.swap(i, (x % (i as u64 + 1)) as usize);
    }
    for (i, name) in names.iter().enumerate() {
        let file = std::fs::File::create(many.join(name)).unwrap();
        let when = UNIX_EPOCH + Duration::from_secs(1_600_000_000 + order_seed * 1000 + i as u64);
        file.set_modified(when).unwrap();
    }
    let when = UNIX_EPOCH + Duration::from_secs(1_500_000_000 + order_seed);
    std::fs::File::options()
        .write(true)
        .open(dir.path().join("a.txt"))
        .unwrap()
        .set_modified(when)
        .unwrap();
    dir
}

fn run_probe(data: &Path, extra: &[&str]) -> RunRecord {
    let mount = format!("/data={}", data.display());
    let mut flags = vec!["--mount", mount.as_str(), "--env", "LANG=C", "--env", "K=V"];
    flags.extend_from_slice(extra);
    flags.extend_from_slice(&["--", "one", "two"]);
    let record = run(&c_guest("probe"), &flags);
    expect_verdict(&record, Verdict::Ok);
    record
}

#[test]
fn nondeterminism_probe_is_identical_across_runs() {
    // The same files, created in different orders at different times (so with different
    // inode numbers, mtimes and host directory order), and the same folder twice.
    let first = probe_data(1);
    let second = probe_data(2);
    let a = run_probe(first.path(), &[]);
    let b = run_probe(second.path(), &[]);
    let c = run_probe(first.path(), &[]);
    for other in [&b, &c] {
        assert_eq!(a.stdout.text, other.stdout.text);
        assert_eq!(a.stdout.sha256, other.stdout.sha256);
        assert_eq!(a.fuel_used, other.fuel_used);
        assert_eq!(a.reproducible_part(), other.reproducible_part());
    }

    // And what it saw is the virtual machine's, not the host's.
    let seen = keyed(&a);
    let epoch = VIRTUAL_EPOCH_SECS.to_string();
    assert!(
        seen["realtime"].starts_with(&format!("{epoch}.")),
        "{seen:?}"
    );
    assert_eq!(seen["time"], epoch);
    assert!(seen["monotonic"].starts_with("0."), "{seen:?}");
    assert!(
        seen["monotonic_again"] > seen["monotonic"],
        "time must move"
    );
    let mut listing: Vec<String> = vec![".".into(), "..".into()];
    let mut names = many_names();
    names.sort();
    listing.extend(names);
    assert_eq!(seen["listing"], format!("{},", listing.join(",")));
    assert_eq!(seen["stat_mtime"], format!("{epoch}.000000000"));
    assert_eq!(seen["stat_atime"], format!("{epoch}.000000000"));
    assert_eq!(seen["stat_dev"], "1");
    assert_eq!(seen["stat_nlink"], "1");
    assert!(seen["stat_ino"].parse::<u64>().unwrap() < 100, "{seen:?}");
    assert_eq!(seen["dir_size"], "0");
    // Only the variables given with --env, and the args after `--`.
    let env: Vec<&str> = a
        .stdout
        .text
        .lines()
        .filter(|l| l.starts_with("env="))
        .collect();
    assert_eq!(env, ["env=LANG=C", "env=K=V"]);
    assert_eq!(seen["argv[1]"], "one");
    assert_eq!(seen["argv[2]"], "two");
    // Arithmetic NaNs come out canonical (positive, quiet, no payload), whatever the host
    // CPU would have made (x86 makes negative ones).
    for key in [
        "nan_f32_div",
        "nan_f32_sqrt",
        "nan_f32_inf_sub",
        "nan_f32_payload_add",
        "nan_f32_negpayload_mul",
    ] {
        assert_eq!(seen[key], "7fc00000", "{key}");
    }
    for key in [
        "nan_f64_div",
        "nan_f64_sqrt",
        "nan_f64_payload_add",
        "nan_f64_log",
        "nan_f64_promote",
    ] {
        assert_eq!(seen[key], "7ff8000000000000", "{key}");
    }
}

#[test]
fn seed_changes_random_bytes() {
    let data = probe_data(1);
    let one = keyed(&run_probe(data.path(), &["--seed", "1"]));
    let two = keyed(&run_probe(data.path(), &["--seed", "2"]));
    let one_again = keyed(&run_probe(data.path(), &["--seed", "1"]));
    assert_eq!(one, one_again);
    assert_ne!(one["entropy"], two["entropy"]);
    assert_ne!(one["arc4random"], two["arc4random"]);
    // The seed changes randomness only.
    for key in ["listing", "stat_ino", "nan_f32_div", "time"] {
        assert_eq!(one[key], two[key], "{key}");
    }
}

#[test]
fn sleep_is_instant_on_virtual_clock() {
    // An hour's sleep with a 2 s wall limit: under the virtual clock time jumps, nobody waits.
    let record = run(&c_guest("sleep"), &["--wall", "2s"]);
    expect_verdict(&record, Verdict::Ok);
    assert!(record.wall_ms < 1500, "{} ms", record.wall_ms);
    let seen = keyed(&record);
    assert_eq!(seen["left"], "0");
    let monotonic: u64 = seen["monotonic_elapsed"].parse().unwrap();
    let realtime: u64 = seen["realtime_elapsed"].parse().unwrap();
    assert!((3600..3700).contains(&monotonic), "{seen:?}");
    assert!((3600..3700).contains(&realtime), "{seen:?}");
}

#[test]
fn real_clock_sleep_hits_time_limit() {
    let record = run(&c_guest("sleep"), &["--real-clock", "--wall", "300ms"]);
    expect_verdict(&record, Verdict::TimeLimit);
    assert!(record.message.contains("wall-clock"), "{}", record.message);
    assert!(
        (280..5000).contains(&record.wall_ms),
        "{} ms",
        record.wall_ms
    );
    assert_eq!(record.stdout.bytes, 0);
}

#[test]
fn real_clock_shows_host_time() {
    let data = probe_data(1);
    let record = run_probe(data.path(), &["--real-clock"]);
    let seen = keyed(&record);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let guest: u64 = seen["time"].parse().unwrap();
    assert!(now.abs_diff(guest) < 60, "guest {guest}, host {now}");
}

// ---------------------------------------------------------------------------------------
// Eight at once

struct Job {
    name: &'static str,
    module: LoadedModule,
    spec: RunSpec,
    /// Host folders the spec refers to, kept alive for the run.
    _dirs: Vec<tempfile::TempDir>,
}

fn limits() -> Limits {
    Limits {
        wall: Duration::from_secs(20),
        memory: Bytes(64 << 20),
        out_bytes: Bytes(4 << 20),
        ..Limits::default()
    }
}

fn with_out(spec: &mut RunSpec, dirs: &mut Vec<tempfile::TempDir>) {
    let out = tempdir();
    spec.mounts.push(Mount {
        guest: "/out".into(),
        host: out.path().to_path_buf(),
        writable: true,
    });
    spec.out_dir = Some(out.path().to_path_buf());
    dirs.push(out);
}

fn load(sandbox: &Sandbox, path: &Path) -> LoadedModule {
    let bytes = std::fs::read(path).unwrap();
    sandbox
        .load(&bytes, &limits())
        .unwrap_or_else(|e| panic!("{}: {}", path.display(), e.message))
}

fn load_wat(sandbox: &Sandbox, wat: &str) -> LoadedModule {
    sandbox
        .load(wat.as_bytes(), &limits())
        .unwrap_or_else(|e| panic!("{}", e.message))
}

/// A fresh job of each kind: the well-behaved ones (with fresh folders each time) and the
/// hostile ones.
fn job(sandbox: &Sandbox, name: &'static str) -> Job {
    let mut dirs = Vec::new();
    let mut spec = RunSpec {
        limits: limits(),
        ..RunSpec::default()
    };
    let module = match name {
        "compute" => {
            spec.args = vec!["compute.wasm".into(), "300000".into()];
            with_out(&mut spec, &mut dirs);
            load(sandbox, &c_guest("compute"))
        }
        "probe" => {
            spec.args = vec!["probe.wasm".into()];
            spec.env = vec![("K".into(), "V".into())];
            let data = probe_data(7);
            spec.mounts.push(Mount {
                guest: "/data".into(),
                host: data.path().to_path_buf(),
                writable: false,
            });
            dirs.push(data);
            load(sandbox, &c_guest("probe"))
        }
        "spin" => {
            spec.limits.wall = Duration::from_millis(1500);
            spec.limits.fuel = u64::MAX / 2;
            load(sandbox, &guest_wat("spin"))
        }
        "grow" => load(sandbox, &guest_wat("grow")),
        "stdout flood" => load_wat(sandbox, &flood_wat(1, None)),
        "disk flood" => {
            spec.args = vec!["diskflood.wasm".into(), "big".into()];
            with_out(&mut spec, &mut dirs);
            load(sandbox, &c_guest("diskflood"))
        }
        other => panic!("no job {other}"),
    };
    Job {
        name,
        module,
        spec,
        _dirs: dirs,
    }
}

fn expected_verdict(name: &str) -> Verdict {
    match name {
        "compute" | "probe" => Verdict::Ok,
        "spin" => Verdict::TimeLimit,
        "grow" => Verdict::MemoryLimit,
        "stdout flood" => Verdict::OutputLimit,
        "disk flood" => Verdict::DiskLimit,
        other => panic!("no job {other}"),
    }
}

#[test]
fn eight_concurrent_runs_match_solo_runs() {
    let sandbox = Sandbox::new(None).unwrap();
    let solo: Vec<(&str, RunRecord)> = ["compute", "probe"]
        .into_iter()
        .map(|name| {
            let job = job(&sandbox, name);
            let record = sandbox.run(&job.module, &job.spec);
            check_record(&record);
            expect_verdict(&record, Verdict::Ok);
            (name, record)
        })
        .collect();
    let names = [
        "compute",
        "spin",
        "probe",
        "grow",
        "compute",
        "stdout flood",
        "probe",
        "disk flood",
    ];
    let jobs: Vec<Job> = names.iter().map(|name| job(&sandbox, name)).collect();
    let start = Barrier::new(jobs.len());
    let records: Vec<(&str, RunRecord)> = std::thread::scope(|scope| {
        let handles: Vec<_> = jobs
            .iter()
            .map(|job| {
                let (sandbox, start) = (&sandbox, &start);
                scope.spawn(move || {
                    start.wait();
                    (job.name, sandbox.run(&job.module, &job.spec))
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for (name, record) in &records {
        check_record(record);
        assert_eq!(
            record.verdict,
            expected_verdict(name),
            "{name}: {record:#?}"
        );
        if let Some((_, alone)) = solo.iter().find(|(n, _)| n == name) {
            // Everything but wall time is the same as when it ran alone.
            assert_eq!(
                record.reproducible_part(),
                alone.reproducible_part(),
                "{name} ran differently next to hostile guests"
            );
        }
    }
    // The well-behaved runs really did overlap the hostile ones: the spinner held its
    // thread for the whole wall limit, and all eight were started together.
    let spin = &records.iter().find(|(n, _)| *n == "spin").unwrap().1;
    assert!(spin.wall_ms >= 1500);
}
