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

fn uleb(mut n: u64, out: &mut Vec<u8>) {
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

fn sleb(mut n: i64, out: &mut Vec<u8>) {
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        let done = (n == 0 && byte & 0x40 == 0) || (n == -1 && byte & 0x40 != 0);
        out.push(if done { byte } else { byte | 0x80 });
        if done {
            return;
        }
    }
}

fn section(id: u8, body: &[u8], out: &mut Vec<u8>) {
    out.push(id);
    uleb(body.len() as u64, out);
    out.extend_from_slice(body);
}

/// A valid module, quick to validate but very slow to compile: `functions` functions of
/// `ops` steps of dependent i64 arithmetic each (about 13 bytes a step), encoded directly
/// (as text it would be too big to parse quickly). A nonce in the first function makes it
/// unique, so no cache can hold it.
fn compile_bomb(functions: u32, ops: u32) -> Vec<u8> {
    let nonce = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as i64;
    let body = |salt: i64| {
        let mut code = vec![1, 3, 0x7e]; // three i64 locals after the i64 parameter
        for i in 0..ops {
            let (dst, x, y) = [(1, 0, 2), (2, 1, 3), (3, 2, 0)][i as usize % 3];
            code.extend_from_slice(&[0x20, x, 0x20, y, 0x42]); // local.get x, y; i64.const
            sleb(i as i64 ^ salt, &mut code);
            let op = [0x7c, 0x7e, 0x85, 0x89][i as usize % 4]; // add, mul, xor, rotl
            code.extend_from_slice(&[0x7c, op, 0x21, dst]); // i64.add; op; local.set dst
        }
        code.extend_from_slice(&[0x20, 1, 0x20, 2, 0x20, 3, 0x7c, 0x7c, 0x0b]);
        code
    };
    let mut module = b"\0asm\x01\0\0\0".to_vec();
    // Types: (i64) -> i64 and () -> ().
    section(1, &[2, 0x60, 1, 0x7e, 1, 0x7e, 0x60, 0, 0], &mut module);
    let mut funcs = Vec::new();
    uleb(functions as u64 + 1, &mut funcs);
    funcs.extend(std::iter::repeat_n(0u8, functions as usize));
    funcs.push(1);
    section(3, &funcs, &mut module);
    section(5, &[1, 0, 1], &mut module);
    let mut exports = vec![2, 6];
    exports.extend_from_slice(b"memory");
    exports.extend_from_slice(&[2, 0, 6]);
    exports.extend_from_slice(b"_start");
    exports.push(0);
    uleb(functions as u64, &mut exports);
    section(7, &exports, &mut module);
    let mut code = Vec::new();
    uleb(functions as u64 + 1, &mut code);
    let same = body(0);
    for f in 0..functions {
        let unique;
        let body = match f {
            0 => {
                unique = body(nonce);
                &unique
            }
            _ => &same,
        };
        uleb(body.len() as u64, &mut code);
        code.extend_from_slice(body);
    }
    let start = [0, 0x42, 1, 0x10, 0, 0x1a, 0x0b]; // i64.const 1; call 0; drop
    uleb(start.len() as u64, &mut code);
    code.extend_from_slice(&start);
    section(10, &code, &mut module);
    module
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
    // About 52 MB, under the 64 MiB module limit; a minute of CPU to compile here.
    let bomb = compile_bomb(2000, 2000);
    let limits = Limits {
        compile: Duration::from_secs(2),
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
    let refusal = match sandbox.load(&bomb, &limits) {
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
    assert!(refusal.message.contains("2s"), "{}", refusal.message);
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
    // No scratch folder was left in the cache, and no compiled form but the sandbox's own
    // shim (compiled in process, as the harness's own code).
    let left = cached_files(cache.path());
    assert!(
        !left.iter().any(|name| name.starts_with(".compile-")),
        "{left:?}"
    );
    let compiled = left.iter().filter(|name| name.ends_with(".cwasm")).count();
    assert_eq!(compiled, 1, "{left:?}");
}
