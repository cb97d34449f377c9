//! `[runner] packages`: extra packages an assignment allows, each pinned exactly as
//! `name==version` (`"imbalanced-learn==0.12.4"`): pure-Python wheels for the WebAssembly
//! runners, binary wheels with their dependencies for python-native ([`PackageTarget`]).
//! Only the syntax is checked here; `assignment add` resolves the pins to wheels through the
//! `PinPackages` its caller passes.

use std::fmt;

/// What an assignment's pins resolve to, by its runner.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PackageTarget {
    /// Pure-Python wheels (`none-any`, no compiled code), each pin alone, no dependencies:
    /// the WebAssembly runners, which unpack them at `/usr/local/site`.
    PurePython,
    /// Binary wheels for the python-native interpreter, each pin with all its dependencies,
    /// beside the runner's base wheels: an assignment whose runner or fallback is
    /// `python-native`.
    Native,
}

impl super::RunnerSpec {
    /// What this runner table's `packages` resolve to.
    pub fn package_target(&self) -> PackageTarget {
        let native = super::RunnerKind::PythonNative;
        if self.name == native || self.fallback == Some(native) {
            PackageTarget::Native
        } else {
            PackageTarget::PurePython
        }
    }
}

/// One exact pin, `name==version`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Pin {
    /// The name as written.
    pub name: String,
    pub version: String,
}

impl Pin {
    /// The name normalised as package indexes compare names: lowercase, every run of `-`,
    /// `_` and `.` one `-`.
    pub fn normalized(&self) -> String {
        normalize(&self.name)
    }
}

impl fmt::Display for Pin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}=={}", self.name, self.version)
    }
}

impl std::str::FromStr for Pin {
    type Err = String;

    /// Parses `name==version`: a package name (letters, digits, `-`, `_`, `.`, starting and
    /// ending with a letter or digit) and a release version (`1.2.3`, optionally with a
    /// `aN`/`bN`/`rcN` pre-release, `.postN` and `.devN`). Ranges, extras, markers, URLs and
    /// local versions are refused: a pin names exactly one release.
    fn from_str(text: &str) -> Result<Pin, String> {
        let hint = "write NAME==VERSION, e.g. \"kneed==0.8.5\"";
        let Some((name, version)) = text.split_once("==") else {
            return Err(format!("`{text}` is not an exact pin: {hint}"));
        };
        let (name, version) = (name.trim(), version.trim());
        if !valid_name(name) {
            return Err(format!("`{text}`: `{name}` is not a package name: {hint}"));
        }
        if !valid_version(version) {
            return Err(format!(
                "`{text}`: `{version}` is not an exact release version such as 1.2.3: {hint}"
            ));
        }
        Ok(Pin {
            name: name.to_string(),
            version: version.to_string(),
        })
    }
}

/// A package name normalised for comparison.
pub fn normalize(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut separator = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            separator = true;
            continue;
        }
        if separator && !out.is_empty() {
            out.push('-');
        }
        separator = false;
        out.push(c.to_ascii_lowercase());
    }
    out
}

fn valid_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    let edge = |b: Option<&u8>| b.is_some_and(|b| b.is_ascii_alphanumeric());
    edge(bytes.first())
        && edge(bytes.last())
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// `N(.N)*`, then optionally `aN`|`bN`|`rcN`, `.postN`, `.devN`, in that order.
fn valid_version(version: &str) -> bool {
    /// The leading run of digits of `text` and what follows it.
    fn number(text: &str) -> Option<&str> {
        let end = text
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len());
        (end > 0).then(|| &text[end..])
    }
    let Some(mut rest) = number(version) else {
        return false;
    };
    while let Some(after) = rest.strip_prefix('.').and_then(number) {
        rest = after;
    }
    for prefix in ["a", "b", "rc"] {
        if let Some(after) = rest.strip_prefix(prefix) {
            let Some(after) = number(after) else {
                return false;
            };
            rest = after;
            break;
        }
    }
    for prefix in [".post", ".dev"] {
        if let Some(after) = rest.strip_prefix(prefix) {
            let Some(after) = number(after) else {
                return false;
            };
            rest = after;
        }
    }
    rest.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_pins_parse() {
        for text in [
            "imbalanced-learn==0.12.4",
            "kneed==0.8.5",
            "Pure_Eval==0.2.4",
            "x==1",
            "pkg==2.0rc1",
            "pkg==1.0.post2.dev3",
        ] {
            let pin: Pin = text.parse().unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(pin.to_string(), text);
        }
        let pin: Pin = "Pure_Eval==0.2.4".parse().unwrap();
        assert_eq!(pin.normalized(), "pure-eval");
    }

    #[test]
    fn anything_but_an_exact_pin_is_refused_naming_it() {
        for (text, needle) in [
            ("kneed", "is not an exact pin"),
            ("kneed>=0.8", "is not an exact pin"),
            ("kneed==0.8.*", "`0.8.*` is not an exact release version"),
            (
                "kneed[extra]==0.8.5",
                "`kneed[extra]` is not a package name",
            ),
            (
                "kneed==0.8.5; python_version>'3'",
                "is not an exact release version",
            ),
            ("kneed==0.8.5+local", "is not an exact release version"),
            ("==1.0", "`` is not a package name"),
            ("-x==1.0", "is not a package name"),
            ("kneed==", "is not an exact release version"),
        ] {
            let error = text.parse::<Pin>().unwrap_err();
            assert!(error.contains(needle), "{text}: {error}");
        }
    }
}
