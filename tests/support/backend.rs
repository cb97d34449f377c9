//! The two database backends a workspace can use, for tests that must hold on both: the
//! SQLite file beside takehome.toml, or a fresh PostgreSQL database made (and dropped) for
//! the test on the server named by `TAKEHOME_TEST_POSTGRES`
//! (default `postgres://postgres@127.0.0.1:5432/postgres`).

use std::path::Path;

use sqlx::Connection;

/// Declares each test twice, as `sqlite::NAME` and `postgres::NAME`, each calling
/// `BODY(Backend)` of the invoking file.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident => $body:ident),* $(,)?) => {
        mod sqlite { $( #[test] fn $name() { super::$body($crate::support::backend::Backend::Sqlite) } )* }
        mod postgres { $( #[test] fn $name() { super::$body($crate::support::backend::Backend::Postgres) } )* }
    };
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A workspace folder on one backend; a PostgreSQL database is dropped with it.
pub struct Database {
    pub backend: Backend,
    /// The URL the workspace uses.
    pub url: String,
    postgres_name: Option<String>,
}

fn admin_url() -> String {
    std::env::var("TAKEHOME_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_string())
}

/// Runs `future` to its end on a runtime of its own (tests that call the store directly).
pub fn block_on<T>(future: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(future)
}

impl Database {
    /// Makes `root` a workspace (`takehome init`) on `backend`.
    pub fn workspace(backend: Backend, root: &Path) -> Database {
        super::cli_ok(root, &["init"]);
        let (url, postgres_name) = match backend {
            Backend::Sqlite => (
                format!("sqlite://{}?mode=rwc", root.join("takehome.db").display()),
                None,
            ),
            Backend::Postgres => {
                let name = format!("takehome_test_{}", hex::encode(rand::random::<[u8; 6]>()));
                let admin = admin_url();
                block_on(async {
                    let mut connection = sqlx::PgConnection::connect(&admin).await.unwrap_or_else(|e| {
                        panic!("cannot reach PostgreSQL at {admin} (set TAKEHOME_TEST_POSTGRES): {e}")
                    });
                    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                        .execute(&mut connection)
                        .await
                        .unwrap();
                });
                let url = match admin.rsplit_once('/') {
                    Some((server, _)) => format!("{server}/{name}"),
                    None => panic!("{admin} names no database"),
                };
                let settings = root.join("takehome.toml");
                let text = std::fs::read_to_string(&settings).unwrap();
                std::fs::write(&settings, format!("database_url = \"{url}\"\n{text}")).unwrap();
                (url, Some(name))
            }
        };
        Database {
            backend,
            url,
            postgres_name,
        }
    }

    /// Runs one query returning a single integer, straight against the database.
    pub fn count(&self, sql: &str) -> i64 {
        let url = self.url.clone();
        let sql = sql.to_string();
        block_on(async move {
            sqlx::any::install_default_drivers();
            let mut connection = sqlx::AnyConnection::connect(&url).await.unwrap();
            let row: (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .fetch_one(&mut connection)
                .await
                .unwrap();
            row.0
        })
    }
}

impl Database {
    /// Every (sha256, bytes) of the `blobs` table (PostgreSQL workspaces keep blobs there).
    pub fn blobs(&self) -> Vec<(String, Vec<u8>)> {
        let url = self.url.clone();
        block_on(async move {
            sqlx::any::install_default_drivers();
            let mut connection = sqlx::AnyConnection::connect(&url).await.unwrap();
            sqlx::query_as::<_, (String, Vec<u8>)>("SELECT sha256, bytes FROM blobs")
                .fetch_all(&mut connection)
                .await
                .unwrap()
        })
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        if let Some(name) = &self.postgres_name {
            let admin = admin_url();
            let name = name.clone();
            block_on(async move {
                if let Ok(mut connection) = sqlx::PgConnection::connect(&admin).await {
                    let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                    )))
                    .execute(&mut connection)
                    .await;
                }
            });
        }
    }
}
