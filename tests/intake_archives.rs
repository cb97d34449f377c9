//! Hostile uploads: each must be refused whole, with a message naming the entry and the problem,
//! leaving the parent folder empty and nothing written anywhere else.

use std::fs;
use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};

use flate2::write::GzEncoder;
use flate2::{Compress, Compression, Crc, FlushCompress};
use sha2::{Digest, Sha256};
use takehome::submission::archive::{Caps, Unpacked, sha256_tree, unpack};
use tar::{Builder, EntryType, Header};
use tempfile::TempDir;
use zip::ZipWriter;
use zip::write::SimpleFileOptions;

const MIB: usize = 1 << 20;

/// `work/parent` receives the fresh folders; uploads and zip-slip targets sit in `work`.
struct Scene {
    work: TempDir,
}

impl Scene {
    fn new() -> Self {
        let work = tempfile::tempdir().unwrap();
        fs::create_dir(work.path().join("parent")).unwrap();
        Scene { work }
    }

    fn parent(&self) -> PathBuf {
        self.work.path().join("parent")
    }

    fn put(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.work.path().join(name);
        fs::write(&path, bytes).unwrap();
        path
    }

    fn accept(&self, upload: &Path, caps: &Caps) -> Unpacked {
        unpack(upload, &self.parent(), caps).unwrap_or_else(|e| panic!("refused: {e}"))
    }

    /// Writes `bytes` as upload `name` and asserts it is refused under the default caps.
    fn reject(&self, name: &str, bytes: &[u8], needles: &[&str]) -> String {
        self.reject_with(&self.put(name, bytes), &Caps::default(), needles)
    }

    /// Asserts the upload is refused, the message holds every needle, and nothing is left
    /// behind: the parent is empty and nothing else under `work` changed.
    fn reject_with(&self, upload: &Path, caps: &Caps, needles: &[&str]) -> String {
        let before = snapshot(self.work.path());
        let message = match unpack(upload, &self.parent(), caps) {
            Ok(unpacked) => panic!("accepted {upload:?}: {:?}", unpacked.files),
            Err(e) => e.to_string(),
        };
        for needle in needles {
            assert!(message.contains(needle), "{message:?} lacks {needle:?}");
        }
        let left: Vec<_> = fs::read_dir(self.parent()).unwrap().collect();
        assert!(left.is_empty(), "left behind: {left:?} after {message:?}");
        let after = snapshot(self.work.path());
        assert_eq!(after, before, "wrote outside the fresh folder");
        message
    }
}

/// Every path under `root` with its size, without following links.
fn snapshot(root: &Path) -> Vec<(PathBuf, u64)> {
    let mut found = Vec::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let meta = fs::symlink_metadata(&path).unwrap();
            if meta.is_dir() {
                pending.push(path.clone());
            }
            found.push((path, meta.len()));
        }
    }
    found.sort();
    found
}

fn zip_with(build: impl FnOnce(&mut ZipWriter<Cursor<Vec<u8>>>)) -> Vec<u8> {
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    build(&mut zip);
    zip.finish().unwrap().into_inner()
}

fn zip_file(zip: &mut ZipWriter<Cursor<Vec<u8>>>, name: &str, data: &[u8]) {
    zip.start_file(name, SimpleFileOptions::default()).unwrap();
    zip.write_all(data).unwrap();
}

fn targz(build: impl FnOnce(&mut Builder<GzEncoder<Vec<u8>>>)) -> Vec<u8> {
    let mut tar = Builder::new(GzEncoder::new(Vec::new(), Compression::default()));
    build(&mut tar);
    tar.into_inner().unwrap().finish().unwrap()
}

/// A tar header written byte by byte, since `Header::set_path` refuses hostile names.
fn tar_header(name: &[u8], kind: EntryType, size: u64) -> Header {
    let mut header = Header::new_gnu();
    header.as_gnu_mut().unwrap().name[..name.len()].copy_from_slice(name);
    header.set_entry_type(kind);
    header.set_size(size);
    header.set_mode(0o644);
    header.set_mtime(0);
    header.set_cksum();
    header
}

fn tar_entry(tar: &mut Builder<GzEncoder<Vec<u8>>>, name: &[u8], kind: EntryType, data: &[u8]) {
    tar.append(&tar_header(name, kind, data.len() as u64), data)
        .unwrap();
}

fn tar_link(tar: &mut Builder<GzEncoder<Vec<u8>>>, name: &[u8], kind: EntryType, target: &[u8]) {
    let mut header = tar_header(name, kind, 0);
    header.as_gnu_mut().unwrap().linkname[..target.len()].copy_from_slice(target);
    header.set_cksum();
    tar.append(&header, &[][..]).unwrap();
}

/// One zip entry written by hand, for what the zip writer will not write.
struct Raw<'a> {
    name: &'a [u8],
    payload: &'a [u8],
    method: u16,
    crc: u32,
    size: u32,
    flags: u16,
    mode: u32,
}

impl<'a> Raw<'a> {
    /// A stored regular file.
    fn stored(name: &'a [u8], data: &'a [u8]) -> Self {
        let mut crc = Crc::new();
        crc.update(data);
        let size = data.len() as u32;
        Raw {
            name,
            payload: data,
            method: 0,
            crc: crc.sum(),
            size,
            flags: 0,
            mode: 0o100644,
        }
    }
}

/// A zip laid out byte by byte: local headers and data, central directory, end records.
#[derive(Default)]
struct RawZip {
    body: Vec<u8>,
    directory: Vec<u8>,
    count: u64,
}

fn put16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn put32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn put64(out: &mut Vec<u8>, v: u64) {
    out.extend_from_slice(&v.to_le_bytes());
}

impl RawZip {
    fn add(&mut self, e: &Raw) {
        let offset = self.body.len() as u32;
        // Fields shared by the local and central headers, from the flags on.
        let shared = |out: &mut Vec<u8>| {
            for v in [e.flags, e.method, 0, 0x21] {
                put16(out, v); // flags, method, time, date (1980-01-01)
            }
            for v in [e.crc, e.payload.len() as u32, e.size] {
                put32(out, v);
            }
            put16(out, e.name.len() as u16);
            put16(out, 0); // extra field length
        };
        put32(&mut self.body, 0x0403_4b50);
        put16(&mut self.body, 20);
        shared(&mut self.body);
        self.body.extend_from_slice(e.name);
        self.body.extend_from_slice(e.payload);

        let d = &mut self.directory;
        put32(d, 0x0201_4b50);
        put16(d, 0x0314); // made by Unix, spec 2.0: the mode sits in the high external bits
        put16(d, 20);
        shared(d);
        for v in [0, 0, 0] {
            put16(d, v); // comment length, disk, internal attributes
        }
        put32(d, e.mode << 16);
        put32(d, offset);
        d.extend_from_slice(e.name);
        self.count += 1;
    }

    fn finish(self) -> Vec<u8> {
        let (start, size) = (self.body.len() as u64, self.directory.len() as u64);
        let mut out = self.body;
        out.extend_from_slice(&self.directory);
        if self.count >= 0xFFFF {
            let zip64_end = out.len() as u64;
            put32(&mut out, 0x0606_4b50);
            put64(&mut out, 44);
            put16(&mut out, 45);
            put16(&mut out, 45);
            put32(&mut out, 0);
            put32(&mut out, 0);
            for v in [self.count, self.count, size, start] {
                put64(&mut out, v);
            }
            put32(&mut out, 0x0706_4b50);
            put32(&mut out, 0);
            put64(&mut out, zip64_end);
            put32(&mut out, 1);
        }
        let count = self.count.min(0xFFFF) as u16;
        put32(&mut out, 0x0605_4b50);
        for v in [0, 0, count, count] {
            put16(&mut out, v);
        }
        put32(&mut out, size as u32);
        put32(&mut out, start as u32);
        put16(&mut out, 0);
        out
    }
}

/// `n` empty stored files named by 7 digits, stamped from the first entry's headers: quick
/// even in a debug build.
fn empty_entries_zip(n: u32) -> Vec<u8> {
    let mut zip = RawZip::default();
    zip.body.reserve(37 * n as usize);
    zip.directory.reserve(53 * n as usize);
    zip.add(&Raw::stored(b"0000000", b""));
    let (local, central) = (zip.body[..30].to_vec(), zip.directory[..42].to_vec());
    for i in 1..n {
        let mut name = *b"0000000";
        let mut rest = i;
        for digit in name.iter_mut().rev() {
            *digit = b'0' + (rest % 10) as u8;
            rest /= 10;
        }
        let offset = zip.body.len() as u32;
        zip.body.extend_from_slice(&local);
        zip.body.extend_from_slice(&name);
        zip.directory.extend_from_slice(&central);
        put32(&mut zip.directory, offset);
        zip.directory.extend_from_slice(&name);
        zip.count += 1;
    }
    zip.finish()
}

fn raw_zip(entries: &[Raw]) -> Vec<u8> {
    let mut zip = RawZip::default();
    for e in entries {
        zip.add(e);
    }
    zip.finish()
}

/// Raw deflate of `data` from a fresh compressor, so its back-references stay inside it and
/// copies can be concatenated; `Sync` ends it on a byte boundary, `Finish` ends the stream.
fn deflate_piece(data: &[u8], flush: FlushCompress) -> Vec<u8> {
    let mut compress = Compress::new(Compression::best(), false);
    let mut out = Vec::with_capacity(data.len() + 1024);
    compress.compress_vec(data, &mut out, flush).unwrap();
    assert_eq!(compress.total_in(), data.len() as u64);
    out
}

/// `prefix`, then `mib` MiB of zeros, then `suffix`, deflated in about 1/1000 of the time and
/// space a compressor would take: one compressed MiB of zeros repeated. Returns (stream, crc).
fn deflate_bomb(prefix: &[u8], mib: usize, suffix: &[u8]) -> (Vec<u8>, Crc) {
    let zeros = vec![0u8; MIB];
    let block = deflate_piece(&zeros, FlushCompress::Sync);
    let mut stream = deflate_piece(prefix, FlushCompress::Sync);
    let mut crc = Crc::new();
    crc.update(prefix);
    let mut zeros_crc = Crc::new();
    zeros_crc.update(&zeros);
    for _ in 0..mib {
        stream.extend_from_slice(&block);
        crc.combine(&zeros_crc);
    }
    stream.extend_from_slice(&deflate_piece(suffix, FlushCompress::Finish));
    crc.update(suffix);
    (stream, crc)
}

fn zip_bomb(mib: usize) -> Vec<u8> {
    let (payload, crc) = deflate_bomb(&[], mib, &[]);
    let size = (mib * MIB) as u32;
    let (crc, flags, mode) = (crc.sum(), 0, 0o100644);
    raw_zip(&[Raw {
        name: b"big.bin",
        payload: &payload,
        method: 8,
        crc,
        size,
        flags,
        mode,
    }])
}

/// A .tar.gz holding one file of `mib` MiB of zeros, written as a gzip member by hand.
fn targz_bomb(mib: usize) -> Vec<u8> {
    let header = tar_header(b"big.bin", EntryType::Regular, (mib * MIB) as u64);
    let (deflated, crc) = deflate_bomb(header.as_bytes(), mib, &[0; 1024]);
    let mut gz = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
    gz.extend_from_slice(&deflated);
    put32(&mut gz, crc.sum());
    put32(&mut gz, crc.amount());
    gz
}

#[test]
fn zip_slip_is_rejected() {
    let scene = Scene::new();
    // The fresh folder is work/parent/<fresh>, so ../../ lands in work/.
    let zip = zip_with(|z| zip_file(z, "../../escaped.txt", b"pwned"));
    let message = scene.reject("slip.zip", &zip, &[]);
    let expected = r#"entry "../../escaped.txt" escapes the submission folder (.. is not allowed)"#;
    assert_eq!(message, expected);
    let tgz = targz(|t| tar_entry(t, b"ok/../../../escaped.txt", EntryType::Regular, b"pwned"));
    scene.reject(
        "slip.tar.gz",
        &tgz,
        &["\"ok/../../../escaped.txt\" escapes"],
    );
    assert!(!scene.work.path().join("escaped.txt").exists());
}

/// Found by fuzzing (the targets' own check was wrong): ".." inside a name is an ordinary
/// name; only a whole component of ".." climbs.
#[test]
fn names_holding_dots_are_kept_and_only_a_dotdot_component_is_refused() {
    let names = ["z..", "notes..txt", "..hidden", "a/b../c...d"];
    let scene = Scene::new();
    let zip = zip_with(|z| {
        for name in names {
            zip_file(z, name, name.as_bytes());
        }
    });
    let tgz = targz(|t| {
        for name in names {
            tar_entry(t, name.as_bytes(), EntryType::Regular, name.as_bytes());
        }
    });
    let folder = scene.work.path().join("folder");
    for name in names {
        let path = folder.join(name);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, name).unwrap();
    }
    for upload in [
        scene.put("dots.zip", &zip),
        scene.put("dots.tar.gz", &tgz),
        folder,
    ] {
        let unpacked = scene.accept(&upload, &Caps::default());
        let mut kept: Vec<&str> = unpacked.files.iter().map(|f| f.path.as_str()).collect();
        kept.sort();
        let mut expected = names.to_vec();
        expected.sort();
        assert_eq!(kept, expected, "{upload:?}");
        for name in names {
            assert_eq!(
                fs::read(unpacked.dir.path().join(name)).unwrap(),
                name.as_bytes()
            );
        }
    }
    let climbing = zip_with(|z| zip_file(z, "a/../../z..", b"x"));
    scene.reject("climbing.zip", &climbing, &["\"a/../../z..\" escapes"]);
}

#[test]
fn absolute_path_is_rejected() {
    let scene = Scene::new();
    let target = scene.work.path().join("absolute.txt");
    let name = target.to_str().unwrap();
    let zip = zip_with(|z| zip_file(z, name, b"pwned"));
    scene.reject("abs.zip", &zip, &[name, "is an absolute path"]);
    let tgz = targz(|t| tar_entry(t, name.as_bytes(), EntryType::Regular, b"pwned"));
    scene.reject("abs.tar.gz", &tgz, &[name, "is an absolute path"]);
    assert!(!target.exists());
}

#[test]
fn windows_drive_path_is_rejected() {
    let scene = Scene::new();
    let zip = zip_with(|z| zip_file(z, "C:/Windows/evil.dll", b"MZ"));
    scene.reject(
        "drive.zip",
        &zip,
        &["\"C:/Windows/evil.dll\"", "Windows drive"],
    );
    let tgz = targz(|t| tar_entry(t, b"d:evil.txt", EntryType::Regular, b"x"));
    scene.reject("drive.tar.gz", &tgz, &["\"d:evil.txt\"", "Windows drive"]);
}

#[test]
fn backslash_path_is_rejected() {
    let scene = Scene::new();
    let zip = zip_with(|z| zip_file(z, "..\\..\\escaped.txt", b"pwned"));
    scene.reject(
        "backslash.zip",
        &zip,
        &[r#""..\\..\\escaped.txt""#, "backslash"],
    );
}

#[test]
fn nul_in_name_is_rejected() {
    let scene = Scene::new();
    let zip = raw_zip(&[Raw::stored(b"a.txt\0.py", b"x")]);
    scene.reject("nul.zip", &zip, &[r#""a.txt\0.py""#, "NUL"]);
}

#[test]
fn symlink_entry_is_rejected() {
    let scene = Scene::new();
    let zip = zip_with(|z| {
        zip_file(z, "ok.txt", b"fine");
        let options = SimpleFileOptions::default();
        z.add_symlink("link", "/etc/passwd", options).unwrap();
    });
    let message = scene.reject("link.zip", &zip, &[]);
    let expected = r#"entry "link" is a symbolic link; archives may hold only files and folders"#;
    assert_eq!(message, expected);
    let tgz = targz(|t| tar_link(t, b"link", EntryType::Symlink, b"/etc/passwd"));
    scene.reject("link.tar.gz", &tgz, &["\"link\" is a symbolic link"]);
}

#[test]
fn hardlink_entry_is_rejected() {
    let scene = Scene::new();
    let tgz = targz(|t| tar_link(t, b"shadow", EntryType::Link, b"/etc/shadow"));
    scene.reject("hard.tar.gz", &tgz, &["\"shadow\" is a hard link"]);
}

#[test]
fn device_entry_is_rejected() {
    let scene = Scene::new();
    let tgz = targz(|t| tar_entry(t, b"null", EntryType::Char, b""));
    scene.reject("char.tar.gz", &tgz, &["\"null\" is a character device"]);
    let tgz = targz(|t| tar_entry(t, b"sda", EntryType::Block, b""));
    scene.reject("block.tar.gz", &tgz, &["\"sda\" is a block device"]);
    let zip = raw_zip(&[Raw {
        mode: 0o020644,
        ..Raw::stored(b"zero", b"")
    }]);
    scene.reject("char.zip", &zip, &["\"zero\" is a character device"]);
}

#[test]
fn fifo_entry_is_rejected() {
    let scene = Scene::new();
    let tgz = targz(|t| tar_entry(t, b"pipe", EntryType::Fifo, b""));
    scene.reject("fifo.tar.gz", &tgz, &["\"pipe\" is a FIFO"]);
    let zip = raw_zip(&[Raw {
        mode: 0o010644,
        ..Raw::stored(b"pipe", b"")
    }]);
    scene.reject("fifo.zip", &zip, &["\"pipe\" is a FIFO"]);
}

#[test]
fn encrypted_entry_is_rejected() {
    let scene = Scene::new();
    let zip = raw_zip(&[Raw {
        flags: 1,
        ..Raw::stored(b"answers.txt", b"\x8f\x12secret")
    }]);
    scene.reject("locked.zip", &zip, &["\"answers.txt\" is encrypted"]);
}

#[test]
fn unsupported_compression_is_rejected() {
    let scene = Scene::new();
    let zip = raw_zip(&[Raw {
        method: 12,
        ..Raw::stored(b"notes.txt", b"BZh91AY&SY")
    }]);
    scene.reject(
        "bzip2.zip",
        &zip,
        &["\"notes.txt\"", "compression method Bzip2"],
    );
}

#[test]
fn hand_made_bombs_are_valid_archives() {
    // So the bomb tests below fail on the ratio, not on a broken stream.
    let scene = Scene::new();
    let caps = Caps {
        max_ratio: u64::MAX,
        ..Caps::default()
    };
    for (name, bytes) in [("small.zip", zip_bomb(3)), ("small.tar.gz", targz_bomb(3))] {
        let unpacked = scene.accept(&scene.put(name, &bytes), &caps);
        let files: Vec<_> = unpacked
            .files
            .iter()
            .map(|f| (f.path.as_str(), f.bytes))
            .collect();
        assert_eq!(files, [("big.bin", 3 << 20)]);
    }
}

#[test]
fn zip_bomb_is_rejected() {
    let scene = Scene::new();
    // 1 GiB of zeros in about 1 MiB: refused a few MiB in, long before 64 MiB or 1 GiB.
    let needles = ["\"big.bin\" expands", "refusing a possible zip bomb"];
    scene.reject("bomb.zip", &zip_bomb(1024), &needles);
    scene.reject("bomb.tar.gz", &targz_bomb(1024), &needles);
}

#[test]
fn many_small_bombs_are_rejected_by_the_archive_ratio() {
    // Each entry stays within the 1 MiB grace; together they expand far past the limit.
    let scene = Scene::new();
    let zeros = vec![0u8; MIB];
    let zip = zip_with(|z| (0..32).for_each(|i| zip_file(z, &format!("part{i}.bin"), &zeros)));
    scene.reject(
        "bombs.zip",
        &zip,
        &["the archive expands", "possible zip bomb"],
    );
}

#[test]
fn million_empty_entries_are_rejected() {
    let scene = Scene::new();
    // The same layout past the zip64 threshold, checked by the zip crate's own full reader.
    let smaller = zip::ZipArchive::new(Cursor::new(empty_entries_zip(70_000))).unwrap();
    assert_eq!(smaller.len(), 70_000);
    let message = scene.reject("million.zip", &empty_entries_zip(1_000_000), &[]);
    assert_eq!(message, "the archive holds more than 10000 entries");
}

#[test]
fn too_many_tar_entries_are_rejected_while_streaming() {
    let scene = Scene::new();
    let tgz = targz(|t| {
        for i in 0..101 {
            tar_entry(t, format!("f{i}").as_bytes(), EntryType::Regular, b"");
        }
    });
    let caps = Caps {
        max_entries: 100,
        ..Caps::default()
    };
    let upload = scene.put("many.tar.gz", &tgz);
    scene.reject_with(&upload, &caps, &["the archive holds more than 100 entries"]);
}

#[test]
fn file_over_the_size_cap_is_rejected() {
    let scene = Scene::new();
    let zip = zip_with(|z| zip_file(z, "data/big.csv", &[b'7'; 5000]));
    let caps = Caps {
        max_file_bytes: 4096,
        ..Caps::default()
    };
    let needle = "\"data/big.csv\" is larger than the limit of 4096 bytes";
    scene.reject_with(&scene.put("big.zip", &zip), &caps, &[needle]);
}

#[test]
fn total_over_the_cap_is_rejected() {
    let scene = Scene::new();
    let tgz = targz(|t| {
        for name in [b"a.txt", b"b.txt", b"c.txt"] {
            tar_entry(t, name, EntryType::Regular, &[b'x'; 3000]);
        }
    });
    let caps = Caps {
        max_total_bytes: 8000,
        ..Caps::default()
    };
    let needles = ["more than the limit of 8000 bytes", "\"c.txt\""];
    scene.reject_with(&scene.put("total.tar.gz", &tgz), &caps, &needles);
}

#[test]
fn huge_tar_long_name_is_rejected() {
    // The tar crate reads a GNU long name into memory whole, so the stream itself is capped.
    let scene = Scene::new();
    let name = vec![b'a'; 3 * MIB];
    let tgz = targz(|t| tar_entry(t, b"././@LongLink", EntryType::GNULongName, &name));
    let caps = Caps {
        max_total_bytes: MIB as u64,
        max_entries: 10,
        ..Caps::default()
    };
    let needles = ["the tar stream runs past", "possible tar bomb"];
    scene.reject_with(&scene.put("long.tar.gz", &tgz), &caps, &needles);
}

#[test]
fn duplicate_names_are_rejected() {
    let scene = Scene::new();
    let needle = "entry \"main.py\" appears more than once";
    let twice = [
        Raw::stored(b"main.py", b"print(1)"),
        Raw::stored(b"main.py", b"print(2)"),
    ];
    scene.reject("dup.zip", &raw_zip(&twice), &[needle]);
    let tgz = targz(|t| {
        tar_entry(t, b"./main.py", EntryType::Regular, b"print(1)");
        tar_entry(t, b"main.py", EntryType::Regular, b"print(2)");
    });
    scene.reject("dup.tar.gz", &tgz, &[needle]);
}

#[test]
fn case_colliding_names_are_rejected() {
    let scene = Scene::new();
    let zip = zip_with(|z| {
        zip_file(z, "Report.md", b"one");
        zip_file(z, "REPORT.md", b"two");
    });
    let message = scene.reject("case.zip", &zip, &[]);
    assert_eq!(
        message,
        r#"entries "Report.md" and "REPORT.md" differ only in case"#
    );
    let tgz = targz(|t| {
        tar_entry(t, "Données/a.txt".as_bytes(), EntryType::Regular, b"one");
        tar_entry(t, "DONNÉES/b.txt".as_bytes(), EntryType::Regular, b"two");
    });
    scene.reject(
        "case.tar.gz",
        &tgz,
        &["\"Données\" and \"DONNÉES\" differ only in case"],
    );
}

#[test]
fn file_and_folder_with_the_same_name_are_rejected() {
    let scene = Scene::new();
    let zip = zip_with(|z| {
        zip_file(z, "results", b"a file");
        zip_file(z, "results/run1.json", b"{}");
    });
    scene.reject(
        "clash.zip",
        &zip,
        &["entry \"results\" is both a file and a folder"],
    );
}

#[test]
fn non_utf8_name_is_rejected() {
    let scene = Scene::new();
    let zip = raw_zip(&[Raw::stored(b"r\xe9sum\xe9.txt", b"x")]);
    let message = scene.reject("latin1.zip", &zip, &[]);
    assert_eq!(message, r#"entry name is not UTF-8: "r\xe9sum\xe9.txt""#);
    let tgz = targz(|t| tar_entry(t, b"bad\xff.txt", EntryType::Regular, b"x"));
    scene.reject(
        "latin1.tar.gz",
        &tgz,
        &[r#"entry name is not UTF-8: "bad\xff.txt""#],
    );
}

#[test]
fn truncated_archive_is_rejected() {
    let scene = Scene::new();
    let needle = "the archive is truncated or corrupt";
    let noise: Vec<u8> = (0..200_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let zip = zip_with(|z| zip_file(z, "data.bin", &noise));
    scene.reject("cut.zip", &zip[..zip.len() / 2], &[needle]);
    let mut flipped = zip.clone();
    flipped[1000] ^= 0xff; // inside the deflated data: caught by the decoder or the CRC
    scene.reject("flipped.zip", &flipped, &[needle, "\"data.bin\""]);
    let tgz = targz(|t| tar_entry(t, b"data.bin", EntryType::Regular, &noise));
    scene.reject("cut.tar.gz", &tgz[..tgz.len() / 2], &[needle]);
    scene.reject("no-trailer.tar.gz", &tgz[..tgz.len() - 4], &[needle]);
}

#[test]
fn unknown_format_is_rejected() {
    let scene = Scene::new();
    let needle = "the upload is not a folder, a .zip or a .tar.gz";
    scene.reject("notes.zip", b"just some text", &[needle, "\"just\""]);
    scene.reject("empty.tar.gz", b"", &[needle, "the file is empty"]);
}

#[test]
fn folder_with_symlink_is_rejected() {
    let scene = Scene::new();
    let secret = scene.put("secret.txt", b"outside the upload");
    let upload = scene.work.path().join("upload");
    fs::create_dir_all(upload.join("src")).unwrap();
    fs::write(upload.join("src/main.py"), b"print(1)").unwrap();
    std::os::unix::fs::symlink(&secret, upload.join("src/notes.txt")).unwrap();
    let message = scene.reject_with(&upload, &Caps::default(), &[]);
    let expected =
        r#"entry "src/notes.txt" is a symbolic link; archives may hold only files and folders"#;
    assert_eq!(message, expected);
    // A link to a folder is refused too, not walked into.
    fs::remove_file(upload.join("src/notes.txt")).unwrap();
    std::os::unix::fs::symlink(scene.work.path(), upload.join("src/all")).unwrap();
    scene.reject_with(
        &upload,
        &Caps::default(),
        &["\"src/all\" is a symbolic link"],
    );
}

#[test]
fn folder_with_too_many_entries_is_rejected() {
    let scene = Scene::new();
    let upload = scene.work.path().join("upload");
    fs::create_dir(&upload).unwrap();
    for i in 0..11 {
        fs::write(upload.join(format!("f{i}")), b"").unwrap();
    }
    let caps = Caps {
        max_entries: 10,
        ..Caps::default()
    };
    scene.reject_with(&upload, &caps, &["the archive holds more than 10 entries"]);
}

#[test]
fn empty_zip_unpacks_to_nothing() {
    let scene = Scene::new();
    let upload = scene.put("empty.zip", &zip_with(|_| {}));
    let unpacked = scene.accept(&upload, &Caps::default());
    assert!(unpacked.files.is_empty());
    assert!(unpacked.dir.path().starts_with(scene.parent()));
}

#[test]
fn good_zip_tar_gz_and_folder_unpack_to_the_same_files_and_hash() {
    let binary: Vec<u8> = (0..=255u8).cycle().take(70_000).collect();
    let files: [(&str, &[u8]); 4] = [
        ("README.md", b"# My take-home\n"),
        ("data/empty.txt", b""),
        ("data/nested/weights.bin", &binary),
        ("src/main.py", b"print('hello')\n"),
    ];
    let scene = Scene::new();
    // Zip: explicit folder entries (one empty), files in reverse order.
    let zip = zip_with(|z| {
        for dir in ["src/", "data/", "data/nested/", "empty-folder/"] {
            z.add_directory(dir, SimpleFileOptions::default()).unwrap();
        }
        for (name, data) in files.iter().rev() {
            zip_file(z, name, data);
        }
    });
    // tar.gz: a pax global header, the `./` root and `./` prefixes, as git archive and GNU
    // tar write them.
    let tgz = targz(|t| {
        let pax = b"20 comment=deadbeef\n";
        tar_entry(t, b"pax_global_header", EntryType::XGlobalHeader, pax);
        tar_entry(t, b"./", EntryType::Directory, b"");
        for (name, data) in files {
            tar_entry(t, format!("./{name}").as_bytes(), EntryType::Regular, data);
        }
    });
    let folder = scene.work.path().join("upload");
    for (name, data) in files {
        let path = folder.join(name);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, data).unwrap();
    }

    let uploads = [
        scene.put("good.zip", &zip),
        scene.put("good.tar.gz", &tgz),
        folder,
    ];
    let unpacked: Vec<Unpacked> = uploads
        .iter()
        .map(|u| scene.accept(u, &Caps::default()))
        .collect();
    let expected: Vec<(&str, u64)> = files.iter().map(|(n, d)| (*n, d.len() as u64)).collect();
    for one in &unpacked {
        assert!(one.dir.path().starts_with(scene.parent()));
        let listed: Vec<(&str, u64)> = one
            .files
            .iter()
            .map(|f| (f.path.as_str(), f.bytes))
            .collect();
        assert_eq!(listed, expected);
        for (file, (name, data)) in one.files.iter().zip(files) {
            assert_eq!(fs::read(one.dir.path().join(name)).unwrap(), data);
            assert_eq!(file.sha256, hex::encode(Sha256::digest(data)));
        }
        assert_eq!(one.files, unpacked[0].files);
        assert_eq!(sha256_tree(&one.files), sha256_tree(&unpacked[0].files));
    }
    assert!(unpacked[0].dir.path().join("empty-folder").is_dir());

    let dirs: Vec<PathBuf> = unpacked
        .iter()
        .map(|u| u.dir.path().to_path_buf())
        .collect();
    drop(unpacked);
    assert!(
        dirs.iter().all(|d| !d.exists()),
        "dropping Unpacked removes its folder"
    );
}
