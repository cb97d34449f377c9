//! Checking a workspace (a live one or a backup): every blob re-hashed, every row that names
//! a blob checked against it, each problem named by blob and row.

use std::collections::BTreeMap;
use std::io::Read;

use sha2::{Digest, Sha256};
use sqlx::Row;

use super::blobs::is_sha256;
use super::{FileRef, Workspace};

/// A blob named by a row.
#[derive(Clone, Debug)]
pub struct Reference {
    pub sha256: String,
    /// The size the row records, when it records one.
    pub bytes: Option<u64>,
    /// The row and field, for messages: `submission C-7F3K/2 file main.py`.
    pub named_by: String,
}

/// What [`Workspace::verify`] checked and found.
#[derive(Debug, Default)]
pub struct Verified {
    /// Blobs re-hashed, and their total size.
    pub blobs: u64,
    pub blob_bytes: u64,
    /// Rows read per table that names blobs.
    pub rows: Vec<(&'static str, u64)>,
    /// Blob names found in those rows.
    pub references: u64,
    /// Everything wrong, one sentence each; empty when the workspace is sound.
    pub problems: Vec<String>,
}

/// Every blob named by the rows of the database behind `connection`, with the rows read
/// per table and the rows whose blob names cannot be read.
pub(super) async fn references(
    connection: &mut sqlx::AnyConnection,
) -> anyhow::Result<(Vec<Reference>, Vec<(&'static str, u64)>, Vec<String>)> {
    let mut found = Vec::new();
    let mut problems = Vec::new();
    let mut rows = Vec::new();
    let mut file_list =
        |what: String, json: &str, found: &mut Vec<Reference>| match serde_json::from_str::<
            Vec<FileRef>,
        >(json)
        {
            Ok(files) => found.extend(files.into_iter().map(|f| Reference {
                named_by: format!("{what} file {}", f.path),
                sha256: f.sha256,
                bytes: Some(f.bytes),
            })),
            Err(e) => problems.push(format!("{what}: its file list does not read ({e})")),
        };
    let assignments = sqlx::query("SELECT id, revision, files FROM assignments")
        .fetch_all(&mut *connection)
        .await?;
    for row in &assignments {
        let (id, revision): (String, i64) = (row.try_get("id")?, row.try_get("revision")?);
        let files: String = row.try_get("files")?;
        file_list(
            format!("assignment {id} revision {revision}"),
            &files,
            &mut found,
        );
    }
    rows.push(("assignments", assignments.len() as u64));
    let candidates = sqlx::query("SELECT pseudonym, bundle_sha256 FROM candidates")
        .fetch_all(&mut *connection)
        .await?;
    for row in &candidates {
        let pseudonym: String = row.try_get("pseudonym")?;
        found.push(Reference {
            sha256: row.try_get("bundle_sha256")?,
            bytes: None,
            named_by: format!("candidate {pseudonym}'s bundle"),
        });
    }
    rows.push(("candidates", candidates.len() as u64));
    let submissions = sqlx::query("SELECT id, files FROM submissions")
        .fetch_all(&mut *connection)
        .await?;
    for row in &submissions {
        let id: String = row.try_get("id")?;
        let files: String = row.try_get("files")?;
        file_list(format!("submission {id}"), &files, &mut found);
    }
    rows.push(("submissions", submissions.len() as u64));
    let runs = sqlx::query("SELECT id, evaluation FROM runs")
        .fetch_all(&mut *connection)
        .await?;
    for row in &runs {
        let id: String = row.try_get("id")?;
        let evaluation: String = row.try_get("evaluation")?;
        match serde_json::from_str::<serde_json::Value>(&evaluation) {
            Ok(value) => kept_files(&value, &format!("run {id}"), &mut found),
            Err(e) => problems.push(format!("run {id}: its evaluation is not JSON ({e})")),
        }
    }
    rows.push(("runs", runs.len() as u64));
    Ok((found, rows, problems))
}

/// The kept files of an evaluation: every object shaped exactly like a [`FileRef`] (its
/// outputs, a model's predictions), wherever the evaluation nests it. Other hashes in a
/// run record (of the module, of captured streams) name no blob and carry other fields.
fn kept_files(value: &serde_json::Value, what: &str, found: &mut Vec<Reference>) {
    match value {
        serde_json::Value::Object(map) => {
            let file = (map.len() == 3)
                .then(|| {
                    Some((
                        map.get("path")?.as_str()?,
                        map.get("bytes")?.as_u64()?,
                        map.get("sha256")?.as_str()?,
                    ))
                })
                .flatten();
            match file {
                Some((path, bytes, sha256)) => found.push(Reference {
                    sha256: sha256.to_string(),
                    bytes: Some(bytes),
                    named_by: format!("{what} file {path}"),
                }),
                None => map.values().for_each(|v| kept_files(v, what, found)),
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| kept_files(v, what, found)),
        _ => {}
    }
}

/// The sha256 of everything `reader` yields, and its length.
pub(super) fn hash_reader(reader: &mut dyn Read) -> std::io::Result<(String, u64)> {
    let mut hasher = Sha256::new();
    let mut buf = vec![0; 256 * 1024];
    let mut total = 0;
    loop {
        let n = reader.read(&mut buf)?;
        if n == 0 {
            return Ok((hex::encode(hasher.finalize()), total));
        }
        total += n as u64;
        hasher.update(&buf[..n]);
    }
}

impl Workspace {
    /// Re-hashes every blob and checks every row that names one: the blob is there, its
    /// content hashes to its name, and its size is the one the row records.
    pub async fn verify(&self) -> anyhow::Result<Verified> {
        let mut verified = Verified::default();
        // Each sound blob's size, by name.
        let mut sound: BTreeMap<String, u64> = BTreeMap::new();
        let mut broken: BTreeMap<String, String> = BTreeMap::new();
        let mut odd = Vec::new();
        let mut check = |name: String, hashed: std::io::Result<(String, u64)>, at: String| {
            verified.blobs += 1;
            match hashed {
                Ok((actual, bytes)) if actual == name => {
                    verified.blob_bytes += bytes;
                    sound.insert(name, bytes);
                }
                Ok((actual, _)) => {
                    let why = format!("its content hashes to {actual}");
                    verified.problems.push(format!("blob {name} ({at}): {why}"));
                    broken.insert(name, why);
                }
                Err(e) => {
                    let why = format!("it cannot be read ({e})");
                    verified.problems.push(format!("blob {name} ({at}): {why}"));
                    broken.insert(name, why);
                }
            }
        };
        if self.blobs.in_db() {
            let names = sqlx::query("SELECT sha256 FROM blobs ORDER BY sha256")
                .fetch_all(self.store.pool())
                .await?;
            for row in names {
                let name: String = row.try_get("sha256")?;
                let bytes: Vec<u8> = sqlx::query("SELECT bytes FROM blobs WHERE sha256 = $1")
                    .bind(&name)
                    .fetch_one(self.store.pool())
                    .await?
                    .try_get("bytes")?;
                let hashed = hash_reader(&mut &bytes[..]);
                check(name, hashed, "in the database's blobs table".into());
            }
        } else {
            for (name, path) in self.blobs.files()? {
                let hashed = std::fs::File::open(&path).and_then(|mut f| hash_reader(&mut f));
                let at = path.display().to_string();
                if !is_sha256(&name) {
                    odd.push(format!(
                        "{at}: a file among the blobs whose name is not a sha256"
                    ));
                    continue;
                }
                check(name, hashed, at);
            }
        }
        verified.problems.extend(odd);
        let mut connection = self.store.pool().acquire().await?;
        let (references, rows, problems) = references(&mut connection).await?;
        verified.rows = rows;
        verified.problems.extend(problems);
        verified.references = references.len() as u64;
        for reference in references {
            let Reference {
                sha256,
                bytes,
                named_by,
            } = &reference;
            if let Some(why) = broken.get(sha256) {
                verified
                    .problems
                    .push(format!("{named_by} names blob {sha256}, but {why}"));
                continue;
            }
            match (sound.get(sha256), bytes) {
                (None, _) => verified
                    .problems
                    .push(format!("{named_by} names blob {sha256}, which is missing")),
                (Some(actual), Some(recorded)) if actual != recorded => verified.problems.push(
                    format!("{named_by} records {recorded} bytes, but blob {sha256} has {actual}"),
                ),
                _ => {}
            }
        }
        Ok(verified)
    }
}

#[cfg(test)]
mod tests {
    use super::kept_files;

    #[test]
    fn kept_files_are_file_refs_wherever_nested_and_nothing_else() {
        let evaluation = serde_json::json!({
            "record": {
                "module_sha256": "aa",
                "stdout": {"text": "", "bytes": 0, "sha256": "bb", "truncated": false},
                "outputs": [{"path": "p.csv", "bytes": 3, "sha256": "cc", "kind": "file"}]
            },
            "outputs": [{"path": "p.csv", "bytes": 3, "sha256": "dd"}],
            "model": {"predictions": {"path": "predictions.csv", "bytes": 9, "sha256": "ee"}}
        });
        let mut found = Vec::new();
        kept_files(&evaluation, "run X#1", &mut found);
        let mut named: Vec<(&str, Option<u64>, &str)> = found
            .iter()
            .map(|r| (r.sha256.as_str(), r.bytes, r.named_by.as_str()))
            .collect();
        named.sort();
        assert_eq!(
            named,
            [
                ("dd", Some(3), "run X#1 file p.csv"),
                ("ee", Some(9), "run X#1 file predictions.csv"),
            ]
        );
    }
}
