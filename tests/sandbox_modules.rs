//! Modules that should never run: unknown and mistyped imports, garbage and truncated
//! bytes, modules over the size limit, and modules too expensive to compile.

mod support;

use std::ffi::OsStr;

use support::*;
use takehome::sandbox::Verdict;

#[test]
fn unknown_import_is_link_error_naming_module_and_field() {
    let record = run(&guest_wat("unknown_import"), &[]);
    expect_verdict(&record, Verdict::LinkError);
    assert!(
        record.message.contains("evil") && record.message.contains("launch_missiles"),
        "{}",
        record.message
    );
    assert_eq!(record.fuel_used, 0);
}

#[test]
fn mistyped_import_is_link_error() {
    let record = run(&guest_wat("mistyped_import"), &[]);
    expect_verdict(&record, Verdict::LinkError);
    assert!(
        record.message.contains("wasi_snapshot_preview1") && record.message.contains("fd_write"),
        "{}",
        record.message
    );
    assert!(
        record.message.contains("incompatible"),
        "{}",
        record.message
    );
}

#[test]
fn garbage_bytes_are_invalid_module() {
    let dir = tempdir();
    let mut noise = Vec::new();
    let mut x: u32 = 0x1234_5678;
    for _ in 0..4096 {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        noise.push((x >> 24) as u8 | 0x80);
    }
    let mut header_then_noise = b"\0asm\x01\0\0\0".to_vec();
    header_then_noise.extend_from_slice(&noise);
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("noise.wasm", noise.clone()),
        ("empty.wasm", Vec::new()),
        ("header_noise.wasm", header_then_noise),
        ("bad_version.wasm", b"\0asm\x02\0\0\0".to_vec()),
        ("header_only.wasm", b"\0asm".to_vec()),
        ("elf.wasm", b"\x7fELF\x02\x01\x01\0".to_vec()),
        (
            "text.wat",
            b"(module (func (export \"_start\") i32.add))".to_vec(),
        ),
        ("prose.wat", b"this is not a module at all".to_vec()),
    ];
    for (name, bytes) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, &bytes).unwrap();
        let record = run(&path, &[]);
        assert_eq!(
            record.verdict,
            Verdict::InvalidModule,
            "{name}: {record:#?}"
        );
        assert!(!record.message.is_empty());
        assert_eq!(record.fuel_used, 0);
    }
}

#[test]
fn truncated_module_is_invalid_module() {
    let whole = std::fs::read(c_guest("exit_code")).unwrap();
    let dir = tempdir();
    for cut in [5, 8, 9, 64, whole.len() / 2, whole.len() - 1] {
        let path = dir.path().join(format!("cut{cut}.wasm"));
        std::fs::write(&path, &whole[..cut]).unwrap();
        let record = run(&path, &["--", "0"]);
        assert_eq!(
            record.verdict,
            Verdict::InvalidModule,
            "cut at {cut} of {}: {record:#?}",
            whole.len()
        );
        assert_eq!(record.module_sha256, sha256_hex(&whole[..cut]));
    }
}

#[test]
fn oversized_module_is_invalid_module() {
    let module = c_guest("exit_code");
    let size = std::fs::metadata(&module).unwrap().len();
    let record = run(&module, &["--module-limit", "1KiB", "--", "0"]);
    expect_verdict(&record, Verdict::InvalidModule);
    assert!(
        record.message.contains(&size.to_string()) && record.message.contains("limit"),
        "{}",
        record.message
    );
    // The limit is inclusive: a module of exactly the limit runs.
    let exact = size.to_string();
    let record = run(&module, &["--module-limit", &exact, "--", "0"]);
    expect_verdict(&record, Verdict::Ok);
    let under = (size - 1).to_string();
    let record = run(&module, &["--module-limit", &under, "--", "0"]);
    expect_verdict(&record, Verdict::InvalidModule);
}

/// A module that is quick to parse and validate but slow to compile: many functions full of
/// dependent arithmetic over many locals. A nonce makes it unique, so no cache can hold it.
fn expensive_wat(functions: usize, ops: usize) -> String {
    let nonce = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u32
        ^ std::process::id();
    let mut wat = String::from("(module (memory (export \"memory\") 1)\n");
    for f in 0..functions {
        wat.push_str(&format!(
            "(func $f{f} (param $a i64) (result i64) (local $b i64) (local $c i64) (local $d i64)\n"
        ));
        for i in 0..ops {
            let (dst, x, y) = match i % 3 {
                0 => ("$b", "$a", "$c"),
                1 => ("$c", "$b", "$d"),
                _ => ("$d", "$c", "$a"),
            };
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

#[test]
fn expensive_module_hits_compile_limit() {
    let dir = tempdir();
    let text = expensive_wat(60, 1500);
    let module = wat_file(dir.path(), "expensive", &text);
    // The compile cache names a module by the sha256 of its binary form.
    let binary_sha = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(
        wat::parse_str(&text).unwrap(),
    ));
    // A fresh cache: compiled modules are cached by content hash.
    let cache = tempdir();
    let record = run_env(
        &module,
        &["--compile-limit", "1ms"],
        &[("TAKEHOME_CACHE", cache.path().as_os_str())],
    );
    expect_verdict(&record, Verdict::CompileLimit);
    assert_eq!(
        record.module_sha256, binary_sha,
        "a refused module is named by its binary form"
    );
    assert!(record.message.contains("1ms"), "{}", record.message);
    assert_eq!(record.fuel_used, 0);
    // Nothing half-done was cached: the cache holds no compiled form of this module
    // (the harness's own small shim may be there).
    let own = OsStr::new(&binary_sha).to_os_string();
    let cached: Vec<_> = walk_files(cache.path())
        .into_iter()
        .filter(|p| p.extension() == Some(OsStr::new("cwasm")) && p.file_stem() == Some(&own))
        .collect();
    assert!(cached.is_empty(), "{cached:?}");
}

fn walk_files(root: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let Ok(listing) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in listing.flatten() {
            if entry.file_type().unwrap().is_dir() {
                pending.push(entry.path());
            } else {
                found.push(entry.path());
            }
        }
    }
    found
}
