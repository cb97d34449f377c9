//! Resource limits of one run: their types, parsing, and defaults.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// A size in bytes, written as `256MiB`, `64KiB`, `1GiB`, `10MB` or a bare number of bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Bytes(pub u64);

const UNITS: &[(&str, u64)] = &[
    ("KiB", 1 << 10),
    ("MiB", 1 << 20),
    ("GiB", 1 << 30),
    ("TiB", 1 << 40),
    ("KB", 1_000),
    ("MB", 1_000_000),
    ("GB", 1_000_000_000),
    ("TB", 1_000_000_000_000),
    ("K", 1 << 10),
    ("M", 1 << 20),
    ("G", 1 << 30),
    ("B", 1),
];

impl FromStr for Bytes {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        let trimmed = text.trim();
        let split = trimmed
            .find(|c: char| !c.is_ascii_digit() && c != '_')
            .unwrap_or(trimmed.len());
        let (number, unit) = trimmed.split_at(split);
        let number: u64 = number
            .replace('_', "")
            .parse()
            .map_err(|_| format!("`{text}` is not a size: expected a number such as 256MiB"))?;
        let unit = unit.trim();
        let multiplier = if unit.is_empty() {
            1
        } else {
            UNITS
                .iter()
                .find(|(name, _)| name.eq_ignore_ascii_case(unit))
                .map(|(_, m)| *m)
                .ok_or_else(|| {
                    format!(
                        "`{text}` has an unknown unit `{unit}`: use B, KiB, MiB, GiB, KB, MB or GB"
                    )
                })?
        };
        number
            .checked_mul(multiplier)
            .map(Bytes)
            .ok_or_else(|| format!("`{text}` is too large"))
    }
}

impl fmt::Display for Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0;
        for (name, unit) in [("GiB", 1u64 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)] {
            if n >= unit {
                return if n.is_multiple_of(unit) {
                    write!(f, "{}{name}", n / unit)
                } else {
                    write!(f, "{:.1}{name}", n as f64 / unit as f64)
                };
            }
        }
        write!(f, "{n}B")
    }
}

impl Serialize for Bytes {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(self.0)
    }
}

impl<'de> Deserialize<'de> for Bytes {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Number(u64),
            Text(String),
        }
        match Raw::deserialize(d)? {
            Raw::Number(n) => Ok(Bytes(n)),
            Raw::Text(t) => t.parse().map_err(serde::de::Error::custom),
        }
    }
}

/// Parses a duration such as `5s`, `500ms`, `2m` or `1h 30m`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    humantime::parse_duration(text.trim())
        .map_err(|e| format!("`{text}` is not a duration ({e}): expected e.g. 5s, 500ms, 2m"))
}

/// Serde adapter: durations as text (`"5s"`) in TOML and JSON.
pub mod duration_text {
    use super::*;
    pub fn serialize<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&humantime::format_duration(*d).to_string())
    }
    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let text = String::deserialize(d)?;
        parse_duration(&text).map_err(serde::de::Error::custom)
    }
}

/// Every limit a run is held to. Nothing runs unlimited: each field has a default.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Instruction budget in wasmtime fuel units (about one per wasm instruction).
    /// Exhausting it ends the run with `fuel_limit`. Default 10 billion.
    pub fuel: u64,
    /// Wall-clock time for instantiation and execution, host calls included.
    /// Exceeding it ends the run with `time_limit`. Default 10s.
    #[serde(with = "duration_text")]
    pub wall: Duration,
    /// Cap on the guest's linear memory (all memories together). A `memory.grow` or an initial
    /// memory beyond it ends the run with `memory_limit` at that moment. Default 256MiB.
    pub memory: Bytes,
    /// Bytes of stdout kept. Writing past it ends the run with `output_limit`. Default 1MiB.
    pub stdout: Bytes,
    /// Bytes of stderr kept. Past it stderr is truncated and flagged; the run goes on. Default 1MiB.
    pub stderr: Bytes,
    /// Total apparent size of the files in the writable folders (`/out`, and `/tmp` where
    /// a runner provides one). Exceeding it ends the run with `disk_limit`. Default 64MiB.
    pub out_bytes: Bytes,
    /// Number of files, folders and links in the writable folders. Exceeding it ends the run
    /// with `disk_limit`. Default 1000.
    pub out_files: u64,
    /// Time allowed to compile a module that is not in the compile cache. Exceeding it gives
    /// `compile_limit`. Default 60s.
    #[serde(with = "duration_text")]
    pub compile: Duration,
    /// Largest module accepted, before compiling. Larger gives `invalid_module`. Default 64MiB.
    pub module_size: Bytes,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            fuel: 10_000_000_000,
            wall: Duration::from_secs(10),
            memory: Bytes(256 << 20),
            stdout: Bytes(1 << 20),
            stderr: Bytes(1 << 20),
            out_bytes: Bytes(64 << 20),
            out_files: 1000,
            compile: Duration::from_secs(60),
            module_size: Bytes(64 << 20),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_with_binary_and_decimal_units() {
        let cases = [
            ("256MiB", 256 << 20),
            ("64KiB", 64 << 10),
            ("1GiB", 1 << 30),
            ("10MB", 10_000_000),
            ("4096", 4096),
            ("12 b", 12),
            ("1_000", 1000),
        ];
        for (text, want) in cases {
            assert_eq!(text.parse::<Bytes>().unwrap(), Bytes(want), "{text}");
        }
    }

    #[test]
    fn bad_sizes_name_the_value() {
        for text in ["", "MiB", "12 parsecs", "-1", "99999999999999999999GiB"] {
            let err = text.parse::<Bytes>().unwrap_err();
            assert!(err.contains(&format!("`{text}`")), "{err}");
        }
    }

    #[test]
    fn sizes_display_compactly() {
        assert_eq!(Bytes(256 << 20).to_string(), "256MiB");
        assert_eq!(Bytes(1536).to_string(), "1.5KiB");
        assert_eq!(Bytes(12).to_string(), "12B");
        assert_eq!(Bytes(19648 << 10).to_string(), "19.2MiB");
    }

    #[test]
    fn durations_parse_and_reject_garbage() {
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("5s").unwrap(), Duration::from_secs(5));
        assert!(parse_duration("soon").unwrap_err().contains("`soon`"));
    }

    #[test]
    fn limits_read_from_toml_with_units() {
        let limits: Limits = toml::from_str("wall = \"2s\"\nmemory = \"1GiB\"\nfuel = 5").unwrap();
        assert_eq!(limits.wall, Duration::from_secs(2));
        assert_eq!(limits.memory, Bytes(1 << 30));
        assert_eq!(limits.fuel, 5);
        assert_eq!(limits.stdout, Limits::default().stdout);
        assert!(toml::from_str::<Limits>("walll = \"2s\"").is_err());
    }
}
