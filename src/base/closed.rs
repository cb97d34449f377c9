//! Closed sets (job states, run purposes, review states, recommendations, ...) as enums.
//!
//! A closed set is parsed once, where its string enters (a row decoder, a form, a flag),
//! and is a string again only in SQL and JSON. [`closed_set!`] declares such an enum with
//! its strings written once: `as_str`, `FromStr` (an error naming the value and the choices),
//! `Display`, and serde as the same strings.

/// Declares an enum whose values are the given strings.
///
/// ```ignore
/// closed_set! {
///     /// How far a review is.
///     pub enum ReviewState("a review state") {
///         /// Saved, still editable.
///         Draft = "draft",
///         Submitted = "submitted",
///     }
/// }
/// ```
macro_rules! closed_set {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident ($what:literal) {
            $( $(#[$vmeta:meta])* $variant:ident = $text:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        $vis enum $name {
            $( $(#[$vmeta])* $variant ),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The value's string, as stored and shown.
            pub fn as_str(self) -> &'static str {
                match self {
                    $( $name::$variant => $text ),+
                }
            }
        }

        impl std::str::FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                match s {
                    $( $text => Ok($name::$variant), )+
                    _ => Err(format!(
                        "`{s}` is not {}: use {}",
                        $what,
                        [$($text),+].join(", ")
                    )),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

pub(crate) use closed_set;

/// Checks the round trip of a closed set: every value through its string and through JSON,
/// and an unknown string refused with a message naming it.
#[cfg(test)]
pub(crate) fn assert_round_trip<T>(all: &[T], as_str: fn(T) -> &'static str)
where
    T: Copy
        + std::fmt::Debug
        + PartialEq
        + std::str::FromStr<Err = String>
        + serde::Serialize
        + serde::de::DeserializeOwned,
{
    for &value in all {
        let text = as_str(value);
        assert_eq!(text.parse::<T>(), Ok(value), "{text}");
        let json = serde_json::to_string(&value).unwrap();
        assert_eq!(json, format!("\"{text}\""));
        assert_eq!(serde_json::from_str::<T>(&json).unwrap(), value);
    }
    let error = "no such value".parse::<T>().unwrap_err();
    assert!(error.contains("`no such value`"), "{error}");
    assert!(serde_json::from_str::<T>("\"no such value\"").is_err());
}
