//! Every table of the schema with its columns, and copying them row by row from one
//! database to another (PostgreSQL into a SQLite backup, a backup back into PostgreSQL).

use sqlx::{AssertSqlSafe, Row};

/// How a column is read and bound (every column is copied as nullable: NULLs stay NULL).
#[derive(Clone, Copy, Debug)]
enum Kind {
    Text,
    Int,
}

use Kind::{Int, Text};

/// The tables in an order that satisfies their foreign keys, each with its columns. The
/// `blobs` table and `schema_migrations` are not rows of the workspace's record: blobs are
/// copied by hash, migrations are made by opening the target. [`check_schema`] refuses to
/// copy a schema this list does not match.
const TABLES: &[(&str, &[(&str, Kind)])] = &[
    (
        "assignments",
        &[
            ("content_hash", Text),
            ("id", Text),
            ("revision", Int),
            ("version", Text),
            ("title", Text),
            ("manifest", Text),
            ("files", Text),
            ("added_at", Int),
        ],
    ),
    (
        "candidates",
        &[
            ("pseudonym", Text),
            ("name", Text),
            ("email", Text),
            ("assignment_hash", Text),
            ("token_hash", Text),
            ("issued_at", Int),
            ("due_at", Int),
            ("bundle_sha256", Text),
        ],
    ),
    (
        "submissions",
        &[
            ("id", Text),
            ("pseudonym", Text),
            ("seq", Int),
            ("content_hash", Text),
            ("files", Text),
            ("manifest", Text),
            ("validation", Text),
            ("received_at", Int),
            ("late", Int),
            ("same_as", Text),
        ],
    ),
    (
        "runs",
        &[
            ("id", Text),
            ("submission_id", Text),
            ("purpose", Text),
            ("evaluation", Text),
            ("created_at", Int),
            ("job_id", Text),
        ],
    ),
    (
        "jobs",
        &[
            ("id", Text),
            ("kind", Text),
            ("submission_id", Text),
            ("options", Text),
            ("batch", Text),
            ("priority", Int),
            ("state", Text),
            ("attempts", Int),
            ("worker", Text),
            ("lease_until", Int),
            ("enqueued_at", Int),
            ("started_at", Int),
            ("finished_at", Int),
            ("run_id", Text),
            ("error", Text),
            ("runner", Text),
        ],
    ),
    (
        "reviewers",
        &[
            ("id", Text),
            ("name", Text),
            ("token_hash", Text),
            ("added_at", Int),
        ],
    ),
    ("conflicts", &[("reviewer_id", Text), ("pseudonym", Text)]),
    (
        "review_assignments",
        &[
            ("reviewer_id", Text),
            ("pseudonym", Text),
            ("assigned_at", Int),
        ],
    ),
    (
        "reviews",
        &[
            ("reviewer_id", Text),
            ("pseudonym", Text),
            ("submission_id", Text),
            ("levels", Text),
            ("comments", Text),
            ("recommendation", Text),
            ("state", Text),
            ("updated_at", Int),
            ("submitted_at", Int),
        ],
    ),
    (
        "line_comments",
        &[
            ("id", Text),
            ("reviewer_id", Text),
            ("submission_id", Text),
            ("path", Text),
            ("line", Int),
            ("body", Text),
            ("created_at", Int),
        ],
    ),
    ("settings", &[("name", Text), ("value", Text)]),
    (
        "leads",
        &[
            ("id", Text),
            ("name", Text),
            ("token_hash", Text),
            ("added_at", Int),
        ],
    ),
];

/// Tables that are not copied row by row (see [`TABLES`]).
const NOT_COPIED: &[&str] = &["blobs", "schema_migrations"];

/// Checks that a SQLite database made by this version's migrations has exactly the tables
/// and columns of [`TABLES`], so that no column is silently left out of a copy.
pub(super) async fn check_schema(
    sqlite: &mut sqlx::Transaction<'static, sqlx::Any>,
) -> anyhow::Result<()> {
    let tables = sqlx::query(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
    )
    .fetch_all(&mut **sqlite)
    .await?;
    let mut seen = Vec::new();
    for row in tables {
        let name: String = row.try_get("name")?;
        if NOT_COPIED.contains(&name.as_str()) {
            continue;
        }
        let Some((_, columns)) = TABLES.iter().find(|(t, _)| *t == name) else {
            anyhow::bail!("the copy does not know the table `{name}`: this is a bug in takehome");
        };
        let actual = sqlx::query("SELECT name FROM pragma_table_info($1) ORDER BY cid")
            .bind(&name)
            .fetch_all(&mut **sqlite)
            .await?
            .iter()
            .map(|r| r.try_get::<String, _>("name"))
            .collect::<Result<Vec<_>, _>>()?;
        let known: Vec<&str> = columns.iter().map(|(c, _)| *c).collect();
        anyhow::ensure!(
            actual == known,
            "the copy knows the columns {known:?} of `{name}`, the schema has {actual:?}: this is a bug in takehome"
        );
        seen.push(name);
    }
    anyhow::ensure!(
        seen.len() == TABLES.len(),
        "the schema lacks tables the copy expects ({seen:?})"
    );
    Ok(())
}

/// Copies every row of every table from `from` into `to` (whose tables must be empty);
/// returns the rows copied per table.
pub(super) async fn copy_rows(
    from: &mut sqlx::Transaction<'static, sqlx::Any>,
    to: &mut sqlx::Transaction<'static, sqlx::Any>,
) -> anyhow::Result<Vec<(&'static str, u64)>> {
    let mut copied = Vec::new();
    for (table, columns) in TABLES {
        let names: Vec<&str> = columns.iter().map(|(c, _)| *c).collect();
        let list = names.join(", ");
        let rows = sqlx::query(AssertSqlSafe(format!("SELECT {list} FROM {table}")))
            .fetch_all(&mut **from)
            .await?;
        let places: Vec<String> = (1..=columns.len()).map(|n| format!("${n}")).collect();
        let insert = format!(
            "INSERT INTO {table} ({list}) VALUES ({})",
            places.join(", ")
        );
        for row in &rows {
            let mut query = sqlx::query(AssertSqlSafe(insert.clone()));
            for (i, (column, kind)) in columns.iter().enumerate() {
                let what = || format!("table {table}, column {column}");
                query = match kind {
                    Text => query.bind(
                        row.try_get::<Option<String>, _>(i)
                            .map_err(|e| anyhow::anyhow!("{}: {e}", what()))?,
                    ),
                    Int => query.bind(
                        row.try_get::<Option<i64>, _>(i)
                            .map_err(|e| anyhow::anyhow!("{}: {e}", what()))?,
                    ),
                };
            }
            query
                .execute(&mut **to)
                .await
                .map_err(|e| anyhow::anyhow!("copying a row of {table}: {e}"))?;
        }
        copied.push((*table, rows.len() as u64));
    }
    Ok(copied)
}

/// The first copied table of the database behind `tx` that holds rows, if any.
pub(super) async fn first_nonempty(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
) -> anyhow::Result<Option<&'static str>> {
    for (table, _) in TABLES {
        let row = sqlx::query(AssertSqlSafe(format!("SELECT COUNT(*) AS n FROM {table}")))
            .fetch_one(&mut **tx)
            .await?;
        if row.try_get::<i64, _>("n")? > 0 {
            return Ok(Some(table));
        }
    }
    Ok(None)
}
