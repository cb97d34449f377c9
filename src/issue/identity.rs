//! Pseudonyms and secret tokens: how candidates are named to reviewers, and how they sign in.

use sha2::{Digest, Sha256};

/// Letters and digits that cannot be misread for one another (no 0/O, 1/I/L).
const ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";

/// A pseudonym of the form `C-` and `len` characters, e.g. `C-7F3K`.
pub fn pseudonym(len: usize) -> String {
    let bytes: Vec<u8> = (0..len)
        .map(|_| ALPHABET[rand::random_range(0..ALPHABET.len())])
        .collect();
    format!("C-{}", String::from_utf8(bytes).expect("alphabet is ASCII"))
}

/// Whether `text` has the pseudonym form: `C-` and four or more of A-Z, 0-9.
pub fn is_pseudonym(text: &str) -> bool {
    text.strip_prefix("C-").is_some_and(|rest| {
        rest.len() >= 4
            && rest
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
    })
}

/// A fresh secret token (256 bits, hex). Only its hash is stored.
pub fn token() -> String {
    let bytes: [u8; 32] = rand::random();
    hex::encode(bytes)
}

pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Splits `NAME <EMAIL>` into its parts.
pub fn parse_candidate(text: &str) -> Result<(String, String), String> {
    let malformed =
        || format!("--candidate `{text}` must look like \"Ada Lovelace <ada@example.org>\"");
    let (name, rest) = text.split_once('<').ok_or_else(malformed)?;
    let email = rest.strip_suffix('>').ok_or_else(malformed)?.trim();
    let name = name.trim();
    if name.is_empty() || !email.contains('@') || email.contains(char::is_whitespace) {
        return Err(malformed());
    }
    Ok((name.to_string(), email.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pseudonyms_have_the_documented_form() {
        for _ in 0..100 {
            let p = pseudonym(4);
            assert!(is_pseudonym(&p), "{p}");
            assert_eq!(p.len(), 6);
        }
        assert!(!is_pseudonym("C-7f3k"));
        assert!(!is_pseudonym("C-7F3"));
        assert!(!is_pseudonym("X-7F3K"));
    }

    #[test]
    fn tokens_are_random_and_hashed() {
        let (a, b) = (token(), token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 64);
        assert_eq!(token_hash(&a).len(), 64);
        assert_ne!(token_hash(&a), a);
    }

    #[test]
    fn candidates_parse_from_name_and_email() {
        assert_eq!(
            parse_candidate("Ada Lovelace <ada@example.org>").unwrap(),
            ("Ada Lovelace".to_string(), "ada@example.org".to_string())
        );
        for bad in ["Ada", "<ada@example.org>", "Ada <ada>", "Ada <a b@c>"] {
            assert!(parse_candidate(bad).unwrap_err().contains(bad));
        }
    }
}
