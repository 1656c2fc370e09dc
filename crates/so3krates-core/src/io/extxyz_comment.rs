//! The comment (second) line of an extended XYZ frame: `key=value` pairs, as ASE parses them.
//!
//! Rules (ASE `key_val_str_to_dict`): pairs are separated by whitespace; spaces around `=`
//! are allowed; a value may be delimited by `"…"`, `'…'`, `{…}` or `[…]`; a backslash
//! escapes the next character; a key without a value means `True`. Unlike ASE, nested
//! brackets (`[[1, 2, 3], …]`, the libAtoms spec's 3×3 form) are kept whole, and an
//! unterminated quote simply runs to the end of the line (plain XYZ comments may hold one).

/// The parsed pairs of one comment line, in file order.
#[derive(Debug, Default)]
pub(crate) struct CommentLine {
    pairs: Vec<(String, Option<String>)>,
}

impl CommentLine {
    /// Splits a comment line into `(key, value)` pairs; `None` marks a bare key (`True`).
    pub(crate) fn parse(line: &str) -> Self {
        // Each pair is a list of parts: the key, then the value (more parts only if the
        // value itself holds an unquoted `=`, which are joined back with `=`).
        let mut pairs: Vec<Vec<Part>> = vec![vec![Part::default()]];
        let mut closing: Option<char> = None;
        let mut depth = 0usize;
        let mut escaped = false;

        for ch in line.trim().chars() {
            let Some(part) = pairs.last_mut().and_then(|p| p.last_mut()) else {
                break;
            };

            if escaped {
                part.push(ch);
                escaped = false;
            } else if ch == '\\' {
                escaped = true;
            } else if let Some(close) = closing {
                // Inside a delimited value: keep nested brackets of the same kind whole.
                let nests = (close == ']' && ch == '[') || (close == '}' && ch == '{');
                if nests {
                    depth += 1;
                    part.push(ch);
                } else if ch == close && depth > 0 {
                    depth -= 1;
                    part.push(ch);
                } else if ch == close {
                    closing = None;
                } else {
                    part.push(ch);
                }
            } else if let Some(close) = closing_delimiter(ch) {
                closing = Some(close);
                part.touched = true;
            } else if ch.is_whitespace() {
                if part.touched {
                    pairs.push(vec![Part::default()]);
                }
            } else if ch == '=' {
                // `key = value`: the whitespace after `key` opened an empty pair; drop it.
                let empty_pair = pairs.last().is_some_and(|p| p.len() == 1 && !p[0].touched);
                if empty_pair && pairs.len() > 1 {
                    pairs.pop();
                }
                if let Some(pair) = pairs.last_mut() {
                    pair.push(Part::default());
                }
            } else {
                part.push(ch);
            }
        }

        let pairs = pairs
            .into_iter()
            .filter(|pair| pair.len() > 1 || pair[0].touched)
            .map(|pair| {
                let key = pair[0].text.clone();
                let value = (pair.len() > 1)
                    .then(|| pair[1..].iter().map(|p| p.text.as_str()).collect::<Vec<_>>().join("="));
                (key, value)
            })
            .collect();
        Self { pairs }
    }

    /// The value of `key`: `None` if absent, `Some(None)` for a bare key, else the raw
    /// value with its outer delimiters removed. A repeated key gives its last value (ASE).
    pub(crate) fn get(&self, key: &str) -> Option<Option<&str>> {
        self.pairs.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v.as_deref())
    }
}

/// One key or value being collected; `touched` once it has a character or a delimiter
/// (so that `key=""` has an empty value rather than none).
#[derive(Debug, Default)]
struct Part {
    text: String,
    touched: bool,
}

impl Part {
    fn push(&mut self, ch: char) {
        self.text.push(ch);
        self.touched = true;
    }
}

/// The closing delimiter of an opening one, if `ch` opens a delimited value.
fn closing_delimiter(ch: char) -> Option<char> {
    match ch {
        '"' => Some('"'),
        '\'' => Some('\''),
        '[' => Some(']'),
        '{' => Some('}'),
        _ => None,
    }
}

/// Parses one real number as Python's `float` would, also accepting a Fortran `D` exponent.
pub(crate) fn parse_real(token: &str) -> Option<f64> {
    token.parse::<f64>().ok().or_else(|| token.replace(['d', 'D'], "e").parse::<f64>().ok())
}

/// The numbers in a value: whitespace- or comma-separated, brackets and a `_JSON ` prefix
/// ignored. Returns the numbers and whether the value was nested (`[[…], …]`, row-major).
pub(crate) fn parse_numbers(value: &str) -> Result<(Vec<f64>, bool), String> {
    let body = value.strip_prefix("_JSON ").unwrap_or(value).trim();
    let nested = body.contains('[');

    let numbers = body
        .split(|c: char| c.is_whitespace() || matches!(c, ',' | '[' | ']'))
        .filter(|t| !t.is_empty())
        .map(|t| parse_real(t).ok_or_else(|| format!("'{t}' is not a number")))
        .collect::<Result<Vec<f64>, String>>()?;
    Ok((numbers, nested))
}

/// Booleans as ASE accepts them: `T`, `F`, `True`, `False`, `true`, `false`, `TRUE`,
/// `FALSE`, separated by whitespace or commas.
pub(crate) fn parse_bools(value: &str) -> Result<Vec<bool>, String> {
    value
        .split(|c: char| c.is_whitespace() || matches!(c, ',' | '[' | ']'))
        .filter(|t| !t.is_empty())
        .map(|t| match t {
            "T" | "True" | "true" | "TRUE" => Ok(true),
            "F" | "False" | "false" | "FALSE" => Ok(false),
            other => Err(format!("'{other}' is not a boolean (T or F)")),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ase_comment_line() {
        let line = r#"Lattice="5.4 0.0 0.0 0.1 5.4 0.0 0.2 0.3 9.0" Properties=species:S:1:pos:R:3 energy=-10.5 pbc="T T F""#;
        let c = CommentLine::parse(line);

        assert_eq!(c.get("Lattice"), Some(Some("5.4 0.0 0.0 0.1 5.4 0.0 0.2 0.3 9.0")));
        assert_eq!(c.get("Properties"), Some(Some("species:S:1:pos:R:3")));
        assert_eq!(c.get("energy"), Some(Some("-10.5")));
        assert_eq!(c.get("pbc"), Some(Some("T T F")));
        assert_eq!(c.get("stress"), None);
    }

    #[test]
    fn spaces_around_equals_bare_keys_and_escapes() {
        let c = CommentLine::parse(r#"  a = 1 flag b= "x y"  c =[1, 2] d='q\'s' last"#);

        assert_eq!(c.get("a"), Some(Some("1")));
        assert_eq!(c.get("flag"), Some(None));
        assert_eq!(c.get("b"), Some(Some("x y")));
        assert_eq!(c.get("c"), Some(Some("1, 2")));
        assert_eq!(c.get("d"), Some(Some("q's")));
        assert_eq!(c.get("last"), Some(None));
    }

    #[test]
    fn nested_brackets_and_json_stay_whole() {
        let c = CommentLine::parse(
            r#"Lattice=[[1, 0, 0], [0, 2, 0], [0, 0, 3]] s="_JSON [[1.0, 6.0], [6.0, 2.0]]" x={a b}"#,
        );
        assert_eq!(c.get("Lattice"), Some(Some("[1, 0, 0], [0, 2, 0], [0, 0, 3]")));
        assert_eq!(c.get("s"), Some(Some("_JSON [[1.0, 6.0], [6.0, 2.0]]")));
        assert_eq!(c.get("x"), Some(Some("a b")));

        let (numbers, nested) = parse_numbers(c.get("s").unwrap().unwrap()).unwrap();
        assert_eq!(numbers, vec![1.0, 6.0, 6.0, 2.0]);
        assert!(nested);
    }

    #[test]
    fn plain_xyz_comment_is_harmless() {
        let c = CommentLine::parse("ethanol frame 3, Bob's geometry");
        assert_eq!(c.get("ethanol"), Some(None));
        assert_eq!(c.get("Properties"), None);
        assert_eq!(c.get("Lattice"), None);

        let empty = CommentLine::parse("   ");
        assert_eq!(empty.get(""), None);
    }

    #[test]
    fn numbers_and_bools() {
        assert_eq!(parse_numbers("1 2.5e-3, -4").unwrap(), (vec![1.0, 2.5e-3, -4.0], false));
        assert_eq!(parse_real("1.5D+02"), Some(150.0));
        assert!(parse_real("nan").unwrap().is_nan());
        assert!(parse_numbers("1 x 3").unwrap_err().contains("'x' is not a number"));

        assert_eq!(parse_bools("T T F").unwrap(), vec![true, true, false]);
        assert_eq!(parse_bools("True").unwrap(), vec![true]);
        assert!(parse_bools("T maybe F").is_err());
    }

    #[test]
    fn repeated_key_takes_the_last_value() {
        let c = CommentLine::parse("energy=1 energy=2");
        assert_eq!(c.get("energy"), Some(Some("2")));
    }
}
