//! A workspace on disk: `takehome.toml`, the database and the blob store, found like git
//! finds a repository.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};

use sha2::Digest;

use super::{Blobs, Store};

pub const SETTINGS_FILE: &str = "takehome.toml";
pub(super) const DATABASE_FILE: &str = "takehome.db";

/// `takehome.toml`.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// The database: absent for the SQLite file beside `takehome.toml`, or a `postgres://` URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database_url: Option<String>,
    /// Where `takehome serve` is reached, for the links printed to candidates and reviewers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_url: Option<String>,
}

/// Where `takehome serve` listens unless told otherwise.
pub const DEFAULT_URL: &str = "http://127.0.0.1:8080";

/// An open workspace.
pub struct Workspace {
    pub root: PathBuf,
    pub settings: Settings,
    pub store: Store,
    pub blobs: Blobs,
}

/// No workspace was found; says what to do.
#[derive(Debug, thiserror::Error)]
#[error(
    "no takehome workspace in {searched} or any folder above it: run `takehome init` there, or pass --workspace DIR (or set TAKEHOME_WORKSPACE)"
)]
pub struct NoWorkspace {
    pub searched: String,
}

impl Workspace {
    /// Creates a workspace in `dir` (made if missing). Refuses a folder that already has one.
    pub async fn init(dir: &Path) -> anyhow::Result<Workspace> {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let settings_path = dir.join(SETTINGS_FILE);
        if settings_path.exists() {
            bail!(
                "{} already exists: {} is a workspace already",
                settings_path.display(),
                dir.display()
            );
        }
        let text = "# takehome workspace settings.\n\
                    # database_url = \"postgres://user@host/db\"   # default: the SQLite file takehome.db here\n\
                    # public_url = \"https://grading.example.org\"   # default: http://127.0.0.1:8080\n";
        crate::base::write_atomically(&settings_path, || Ok(text.as_bytes().to_vec()))?;
        Self::open(dir, None).await
    }

    /// Opens the workspace at `root`; `database_url` overrides the one in the settings.
    pub async fn open(root: &Path, database_url: Option<&str>) -> anyhow::Result<Workspace> {
        let settings_path = root.join(SETTINGS_FILE);
        let text = std::fs::read_to_string(&settings_path)
            .with_context(|| format!("cannot read {}", settings_path.display()))?;
        let settings: Settings = toml::from_str(&text)
            .map_err(|e| anyhow::anyhow!("{}: {e}", settings_path.display()))?;
        let url = match database_url.or(settings.database_url.as_deref()) {
            Some(url) => url.to_string(),
            None => Store::sqlite_url(&root.join(DATABASE_FILE)),
        };
        Self::connect(root, settings, &url).await
    }

    /// A workspace that lives only in a PostgreSQL database (a worker on another machine):
    /// no `takehome.toml`; blobs are cached and scratch is kept in a folder of the user's
    /// cache named after the database.
    pub async fn open_database(url: &str) -> anyhow::Result<Workspace> {
        if !url.starts_with("postgres") {
            bail!("without a workspace folder the database must be PostgreSQL, not {url}");
        }
        let key = hex::encode(sha2::Sha256::digest(url.as_bytes()));
        let root = crate::base::cache_dir().join("databases").join(&key[..16]);
        std::fs::create_dir_all(&root)
            .with_context(|| format!("cannot create {}", root.display()))?;
        Self::connect(&root, Settings::default(), url).await
    }

    async fn connect(root: &Path, settings: Settings, url: &str) -> anyhow::Result<Workspace> {
        let store = Store::open(url).await?;
        let blobs = if store.is_sqlite() {
            Blobs::open(&root.join("blobs"))?
        } else {
            Blobs::in_database(&root.join("blobs"), store.pool().clone())?
        };
        Ok(Workspace {
            root: root.to_path_buf(),
            settings,
            store,
            blobs,
        })
    }

    /// The base of the links printed for candidates and reviewers: `TAKEHOME_URL`, else
    /// `public_url` in takehome.toml, else where `serve` listens by default.
    pub fn public_url(&self) -> String {
        std::env::var("TAKEHOME_URL")
            .ok()
            .or_else(|| self.settings.public_url.clone())
            .unwrap_or_else(|| DEFAULT_URL.to_string())
            .trim_end_matches('/')
            .to_string()
    }

    /// Finds the workspace: `explicit`, else `TAKEHOME_WORKSPACE`, else the nearest folder at or
    /// above `start` holding `takehome.toml`.
    pub fn locate(explicit: Option<&Path>, start: &Path) -> Result<PathBuf, NoWorkspace> {
        if let Some(dir) = explicit {
            return if dir.join(SETTINGS_FILE).is_file() {
                Ok(dir.to_path_buf())
            } else {
                Err(NoWorkspace {
                    searched: dir.display().to_string(),
                })
            };
        }
        let mut dir = Some(start);
        while let Some(here) = dir {
            if here.join(SETTINGS_FILE).is_file() {
                return Ok(here.to_path_buf());
            }
            dir = here.parent();
        }
        Err(NoWorkspace {
            searched: start.display().to_string(),
        })
    }
}
