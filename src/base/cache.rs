//! The per-user cache folder, computed in one place so every part honours `TAKEHOME_CACHE`.

use std::path::PathBuf;

/// The per-user cache folder: `$TAKEHOME_CACHE`, else the platform cache folder.
pub fn cache_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("TAKEHOME_CACHE") {
        return PathBuf::from(dir);
    }
    dirs::cache_dir()
        .unwrap_or_else(std::env::temp_dir)
        .join("takehome")
}
