//! Compiling untrusted modules happens in a child process: a compile bomb past the compile
//! limit costs one killed child, and nothing of it keeps running in the harness. Alone in
//! its file, so that no other test's threads or children are counted.

mod support;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use support::*;
use takehome::sandbox::{Limits, Sandbox, Verdict};

/// A module quick to parse and validate but very slow to compile: many large functions of
/// dependent arithmetic. A nonce makes it unique, so no cache can hold it.
fn compile_bomb(functions: usize, ops: usize) -> String {
    let nonce = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u32;
    let mut wat = String::from("(module (memory (export \"memory\") 1)\n");
    for f in 0..functions {
        wat.push_str(&format!(
            "(func $f{f} (param $a i64) (result i64) (local $b i64) (local $c i64) (local $d i64)\n"
        ));
        for i in 0..ops {
            let (dst, x, y) = [("$b", "$a", "$c"), ("$c", "$b", "$d"), ("$d", "$c", "$a")][i % 3];
            let op = ["i64.add", "i64.mul", "i64.xor", "i64.rotl"][i % 4];
            wat.push_str(&format!(
                "(local.set {dst} ({op} (local.get {x}) (i64.add (local.get {y}) (i64.const {}))))\n",
                i as u32 ^ nonce
            ));
        }
        wat.push_str("(i64.add (local.get $b) (i64.add (local.get $c) (local.get $d))))\n");
    }
    wat.push_str("(func (export \"_start\") (drop (call $f0 (i64.const 1)))))\n");
    wat
}

/// Processes whose parent is this one, with their command lines.
fn children() -> Vec<(u32, String)> {
    let me = std::process::id().to_string();
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // The fields after the command name (which may hold spaces) start at the last ')'.
        let after = &stat[stat.rfind(')').unwrap() + 2..];
        let ppid = after.split(' ').nth(1).unwrap_or("");
        if ppid == me {
            let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
            found.push((pid, String::from_utf8_lossy(&cmdline).replace('\0', " ")));
        }
    }
    found
}

/// CPU time this process has used (all its threads), in clock ticks.
fn cpu_ticks() -> u64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap();
    let after = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<&str> = after.split(' ').collect();
    // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the name.
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}

fn cached_files(cache: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut pending = vec![cache.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let Ok(listing) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in listing.flatten() {
            if entry.file_type().unwrap().is_dir() {
                pending.push(entry.path());
            }
            found.push(entry.file_name().to_string_lossy().into_owned());
        }
    }
    found
}

#[test]
fn a_compile_bomb_costs_one_killed_child_and_leaves_nothing_running() {
    let cache = tempdir();
    let sandbox = Sandbox::new(Some(cache.path().to_path_buf())).unwrap();
    let bomb = compile_bomb(400, 2000);
    let limits = Limits {
        compile: Duration::from_secs(3),
        ..Limits::default()
    };
    // Watch this process's children while the module compiles.
    let done = Arc::new(AtomicBool::new(false));
    let compilers_seen = Arc::new(AtomicUsize::new(0));
    let watcher = {
        let (done, seen) = (done.clone(), compilers_seen.clone());
        std::thread::spawn(move || {
            while !done.load(Ordering::SeqCst) {
                let compilers = children()
                    .iter()
                    .filter(|(_, cmd)| cmd.contains("compile-worker"))
                    .count();
                seen.fetch_max(compilers, Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(20));
            }
        })
    };
    let refusal = match sandbox.load(bomb.as_bytes(), &limits) {
        Ok(_) => panic!("the compile bomb compiled within {:?}", limits.compile),
        Err(refusal) => refusal,
    };
    done.store(true, Ordering::SeqCst);
    watcher.join().unwrap();
    assert_eq!(
        refusal.verdict,
        Verdict::CompileLimit,
        "{}",
        refusal.message
    );
    assert!(refusal.message.contains("3s"), "{}", refusal.message);
    // It compiled in exactly one child, which is gone (killed and reaped) now.
    assert_eq!(compilers_seen.load(Ordering::SeqCst), 1);
    assert_eq!(children(), []);
    // Nothing in this process goes on compiling: over the next second it uses (almost) no
    // CPU, where a compile left running would use all of one.
    let ticks_per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as u64;
    let before = cpu_ticks();
    std::thread::sleep(Duration::from_secs(1));
    let used = cpu_ticks() - before;
    assert!(
        used * 4 < ticks_per_second,
        "{used} ticks of CPU in a second after the refusal"
    );
    // No compiled form and no scratch folder was left in the cache.
    let left: Vec<String> = cached_files(cache.path())
        .into_iter()
        .filter(|name| name.ends_with(".cwasm") || name.starts_with(".compile-"))
        .filter(|name| !name.is_empty())
        .collect();
    // The sandbox's own shim is compiled in-process and cached; it is the only artifact.
    assert!(left.len() <= 1, "{left:?}");
}
