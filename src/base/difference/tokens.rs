//! Text cut into words and numbers: the tokens every comparison of two outputs works on.

/// One token of an output's text.
#[derive(Clone, Debug, PartialEq)]
pub enum Token {
    /// Text between numbers, as written (whitespace included).
    Text(String),
    /// A number, with the literal it was printed as.
    Number { value: f64, literal: String },
}

/// Lines without trailing whitespace, `0x…` addresses replaced, and numbers split out.
pub fn tokens(text: &str) -> Vec<Token> {
    let normalised: String = text
        .trim_end()
        .lines()
        .map(str::trim_end)
        .collect::<Vec<_>>()
        .join("\n");
    let chars: Vec<char> = normalised.chars().collect();
    let mut out = Vec::new();
    let mut plain = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        // A memory address: 0x followed by hex digits.
        if c == '0'
            && chars.get(i + 1) == Some(&'x')
            && chars.get(i + 2).is_some_and(|c| c.is_ascii_hexdigit())
        {
            i += 2;
            while i < chars.len() && chars[i].is_ascii_hexdigit() {
                i += 1;
            }
            plain.push_str("0x…");
            continue;
        }
        let starts_number = c.is_ascii_digit()
            || (c == '-' || c == '.') && chars.get(i + 1).is_some_and(|d| d.is_ascii_digit());
        let inside_word = i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_');
        if starts_number && !inside_word {
            let start = i;
            i += 1;
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                i += 1;
            }
            if i < chars.len() && (chars[i] == 'e' || chars[i] == 'E') {
                let mut j = i + 1;
                if j < chars.len() && (chars[j] == '-' || chars[j] == '+') {
                    j += 1;
                }
                if j < chars.len() && chars[j].is_ascii_digit() {
                    i = j;
                    while i < chars.len() && chars[i].is_ascii_digit() {
                        i += 1;
                    }
                }
            }
            let literal: String = chars[start..i].iter().collect();
            match literal.parse::<f64>() {
                Ok(value) => {
                    if !plain.is_empty() {
                        out.push(Token::Text(std::mem::take(&mut plain)));
                    }
                    out.push(Token::Number { value, literal });
                }
                Err(_) => plain.push_str(&literal),
            }
            continue;
        }
        plain.push(c);
        i += 1;
    }
    if !plain.is_empty() {
        out.push(Token::Text(plain));
    }
    out
}

/// Text equal after normalising memory addresses and trailing whitespace, numbers within
/// [`super::super::diff::NUMERIC_TOLERANCE`] relative.
pub fn same_text(a: &str, b: &str) -> bool {
    let (x, y) = (tokens(a), tokens(b));
    x.len() == y.len()
        && x.iter().zip(&y).all(|(p, q)| match (p, q) {
            (Token::Number { value: m, .. }, Token::Number { value: n, .. }) => close(*m, *n),
            _ => p == q,
        })
}

/// Two numbers equal within the numeric tolerance (relative), NaN equal to NaN.
pub fn close(a: f64, b: f64) -> bool {
    if a == b || (a.is_nan() && b.is_nan()) {
        return true;
    }
    (a - b).abs() <= super::super::diff::NUMERIC_TOLERANCE * a.abs().max(b.abs())
}

/// Whether two printed numbers agree to the precision the coarser one was printed at
/// (`0.7712` and `0.77` do; `0.77` and `0.76` do not): the same value, formatted otherwise.
pub fn agree_as_printed(a: &str, b: &str) -> bool {
    let (Ok(x), Ok(y)) = (a.parse::<f64>(), b.parse::<f64>()) else {
        return false;
    };
    if close(x, y) {
        return true;
    }
    let step = last_digit_step(a).max(last_digit_step(b));
    (x - y).abs() <= step / 2.0 * (1.0 + 1e-9)
}

/// The value of one unit in the last printed digit of a literal (`0.77` → 0.01, `1.5e-3`
/// → 0.0001, `120` → 1).
fn last_digit_step(literal: &str) -> f64 {
    let (mantissa, exponent) = match literal.find(['e', 'E']) {
        Some(at) => (
            &literal[..at],
            literal[at + 1..].parse::<i32>().unwrap_or(0),
        ),
        None => (literal, 0),
    };
    let decimals = mantissa
        .split_once('.')
        .map(|(_, fraction)| fraction.len() as i32)
        .unwrap_or(0);
    10f64.powi(exponent - decimals)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_compares_numbers_within_a_relative_tolerance() {
        assert!(same_text("loss 0.30000000000000004\n", "loss 0.3"));
        assert!(!same_text("loss 0.31", "loss 0.3"));
        assert!(same_text("1e10 rows", "10000000000.000001 rows"));
        assert!(!same_text("10 rows", "11 rows"));
        assert!(same_text("<object at 0x7f00ab>", "<object at 0x55d1>"));
    }

    #[test]
    fn printed_numbers_agree_at_the_coarser_precision() {
        assert!(agree_as_printed("0.7712", "0.77"));
        assert!(agree_as_printed("0.775", "0.78"));
        assert!(!agree_as_printed("0.77", "0.76"));
        assert!(agree_as_printed("1.23e-3", "0.00123456"));
        assert!(!agree_as_printed("120", "121"));
    }
}
