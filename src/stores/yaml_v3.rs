//! JSON values written as YAML the way Go's `gopkg.in/yaml.v3` encoder lays them out, so turn
//! payloads look like the ones Go hosts write into the same database: 4-space indentation,
//! sequences indented under their key, the first key of a mapping inside a sequence item on the
//! `- ` line, empty collections as `{}` / `[]`, text with line breaks as a literal block (`|-`,
//! `|`, `|+`), and strings quoted only when a plain scalar would read back as something else:
//! double quotes for what looks like null, a boolean, a number or a timestamp (`""` for the empty
//! string), single quotes for other text that cannot be plain, double quotes with escapes for
//! control characters (and for multi-line text a literal block cannot hold). Every string written
//! plain is checked to read back as the same string, so the output always round-trips.

use serde_json::{Map, Number, Value};

/// The encoder's indentation step.
const INDENT: usize = 4;

/// `document` as a YAML document (ends with a newline; `{}` when empty).
pub(crate) fn to_string(document: &Map<String, Value>) -> String {
    if document.is_empty() {
        return "{}\n".into();
    }
    let mut out = String::new();
    mapping(&mut out, document, 0, false);
    out
}

/// The indentation of a collection nested under a mapping key at `indent`: the next multiple of
/// the step (yaml.v3 aligns everything that is not directly inside a sequence item).
fn nested(indent: usize) -> usize {
    INDENT * ((indent + INDENT) / INDENT)
}

/// Writes the entries of `map` at `indent`; with `inline_first`, the first entry continues the
/// current line (it follows a `- ` indicator).
fn mapping(out: &mut String, map: &Map<String, Value>, indent: usize, inline_first: bool) {
    for (index, (key, value)) in map.iter().enumerate() {
        if index > 0 || !inline_first {
            out.push_str(&" ".repeat(indent));
        }
        out.push_str(&scalar_string(key));
        out.push(':');
        match value {
            Value::Object(child) if !child.is_empty() => {
                out.push('\n');
                mapping(out, child, nested(indent), false);
            }
            Value::Array(items) if !items.is_empty() => {
                out.push('\n');
                sequence(out, items, nested(indent), false);
            }
            other => {
                out.push(' ');
                out.push_str(&scalar(other, nested(indent)));
                out.push('\n');
            }
        }
    }
}

/// Writes the items of `items` at `indent` (the column of their `- `).
fn sequence(out: &mut String, items: &[Value], indent: usize, inline_first: bool) {
    for (index, item) in items.iter().enumerate() {
        if index > 0 || !inline_first {
            out.push_str(&" ".repeat(indent));
        }
        out.push_str("- ");
        match item {
            Value::Object(child) if !child.is_empty() => mapping(out, child, indent + 2, true),
            Value::Array(inner) if !inner.is_empty() => sequence(out, inner, indent + 2, true),
            other => {
                out.push_str(&scalar(other, indent + 2));
                out.push('\n');
            }
        }
    }
}

/// A scalar or an empty collection, in flow form; a string with line breaks as a literal block
/// whose lines are indented by `block_indent`.
fn scalar(value: &Value, block_indent: usize) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(flag) => flag.to_string(),
        Value::Number(number) => number_text(number),
        Value::String(text) if text.contains('\n') && literal_allowed(text) => {
            literal(text, block_indent)
        }
        Value::String(text) => scalar_string(text),
        Value::Object(_) => "{}".into(),
        Value::Array(_) => "[]".into(),
    }
}

/// Integers as they are; other numbers in their shortest form, without a fraction when integral
/// (Go's `strconv.FormatFloat(f, 'g', -1, 64)` style, without its exponent form).
fn number_text(number: &Number) -> String {
    if number.is_i64() || number.is_u64() {
        return number.to_string();
    }
    match number.as_f64() {
        Some(float) if float.is_finite() => format!("{float}"),
        _ => number.to_string(),
    }
}

/// Whether yaml.v3 writes `text` (which has line breaks) as a literal block: no other control
/// character, no space before a line break or at the end, no leading space or break (those need an
/// indentation indicator; such text is double-quoted here instead).
fn literal_allowed(text: &str) -> bool {
    !text.starts_with([' ', '\n'])
        && !text.ends_with(' ')
        && !text.contains(" \n")
        && text
            .chars()
            .all(|c| c == '\n' || !(c.is_control() || c == '\u{feff}'))
}

/// `text` as a literal block (`|-` without a final line break, `|` with one, `|+` with more), its
/// lines indented by `indent` (empty lines stay empty).
fn literal(text: &str, indent: usize) -> String {
    let chomp = if !text.ends_with('\n') {
        "-"
    } else if text.ends_with("\n\n") {
        "+"
    } else {
        ""
    };
    let body = text.strip_suffix('\n').unwrap_or(text);
    let pad = " ".repeat(indent);
    let lines: Vec<String> = body
        .split('\n')
        .map(|line| {
            if line.is_empty() {
                String::new()
            } else {
                format!("{pad}{line}")
            }
        })
        .collect();
    format!("|{chomp}\n{}", lines.join("\n"))
}

/// A string scalar: plain when that reads back as the same string, else quoted.
fn scalar_string(text: &str) -> String {
    if resolves_to_other_type(text) {
        double_quoted(text)
    } else if plain_allowed(text) && reads_back_as(text) {
        text.to_string()
    } else if single_quote_allowed(text) {
        format!("'{}'", text.replace('\'', "''"))
    } else {
        double_quoted(text)
    }
}

/// Whether yaml.v3 would read `text`, written plain, as something other than a string (null, a
/// boolean of YAML 1.1 or 1.2, a number, a base-60 float, a timestamp), or as nothing (`""`).
fn resolves_to_other_type(text: &str) -> bool {
    const WORDS: [&str; 27] = [
        "", "~", "null", "Null", "NULL", "true", "True", "TRUE", "false", "False", "FALSE", "y",
        "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "on", "On", "ON", "off", "Off",
        "OFF",
    ];
    if WORDS.contains(&text) {
        return true;
    }
    let lower = text.to_ascii_lowercase();
    if matches!(lower.as_str(), ".inf" | "+.inf" | "-.inf" | ".nan" | "<<") {
        return true;
    }
    let digits = text.replace('_', "");
    let unsigned = digits.trim_start_matches(['+', '-']);
    let numeric = unsigned.starts_with(|c: char| c.is_ascii_digit() || c == '.')
        && (unsigned.parse::<f64>().is_ok()
            || unsigned
                .strip_prefix("0x")
                .is_some_and(|hex| !hex.is_empty() && hex.chars().all(|c| c.is_ascii_hexdigit()))
            || unsigned.strip_prefix("0o").is_some_and(|oct| {
                !oct.is_empty() && oct.chars().all(|c| ('0'..='7').contains(&c))
            })
            || unsigned
                .strip_prefix("0b")
                .is_some_and(|bin| !bin.is_empty() && bin.chars().all(|c| c == '0' || c == '1')));
    numeric || is_base60(unsigned) || is_timestamp(text)
}

/// `1:20`, `190:20:30.15`: YAML 1.1 base-60 numbers.
fn is_base60(text: &str) -> bool {
    let mut parts = text.split(':');
    let first = parts.next().unwrap_or("");
    let rest: Vec<&str> = parts.collect();
    !rest.is_empty()
        && !first.is_empty()
        && first.chars().all(|c| c.is_ascii_digit())
        && rest.iter().enumerate().all(|(index, part)| {
            let last = index + 1 == rest.len();
            let whole = part.split('.').next().unwrap_or("");
            !whole.is_empty()
                && whole.len() <= 2
                && whole.chars().all(|c| c.is_ascii_digit())
                && (last || !part.contains('.'))
                && part.chars().all(|c| c.is_ascii_digit() || c == '.')
        })
}

/// A date (`2006-01-02`), alone or followed by a time: what yaml.v3 resolves as a timestamp.
fn is_timestamp(text: &str) -> bool {
    let mut parts = text.splitn(2, ['T', 't', ' ']);
    let date: Vec<&str> = parts.next().unwrap_or("").split('-').collect();
    let is_date = date.len() == 3
        && date[0].len() == 4
        && date[1..].iter().all(|field| (1..=2).contains(&field.len()))
        && date
            .iter()
            .all(|field| field.chars().all(|c| c.is_ascii_digit()));
    is_date
        && parts
            .next()
            .is_none_or(|time| time.trim_start().starts_with(|c: char| c.is_ascii_digit()))
}

/// Whether `text` may be written as a plain scalar in block context.
fn plain_allowed(text: &str) -> bool {
    let Some(first) = text.chars().next() else {
        return false;
    };
    let last = text.chars().last().unwrap_or(first);
    !first.is_whitespace()
        && !last.is_whitespace()
        && !"-?:,[]{}#&*!|>'\"%@`".contains(first)
        && last != ':'
        && !text.contains(": ")
        && !text.contains(" #")
        && !text.contains(":\t")
        && text.chars().all(|c| !c.is_control())
}

/// Whether `text` may be single-quoted (no line breaks or control characters).
fn single_quote_allowed(text: &str) -> bool {
    text.chars().all(|c| !c.is_control())
}

/// Whether a YAML reader gives back `text` itself for it written plain.
fn reads_back_as(text: &str) -> bool {
    matches!(serde_norway::from_str::<Value>(text), Ok(Value::String(read)) if read == text)
}

/// `text` double-quoted; JSON's escapes are YAML's.
fn double_quoted(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| format!("\"{text}\""))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn yaml(value: Value) -> String {
        match value {
            Value::Object(map) => to_string(&map),
            _ => unreachable!("a mapping"),
        }
    }

    #[test]
    fn lays_out_like_yaml_v3() {
        let text = yaml(json!({
            "id": "0b6c",
            "blocks": [
                {"id": "41f2", "kind": "user", "payload": {"images": [{"url": "u"}], "text": "hello"}},
                {"id": "9d0e", "list": [1, [2, 3], {}], "empty": []},
            ],
            "metadata": {"runtime": {"agentName": "demo", "sessionName": ""}, "deep": {"a": {"b": {"c": 1}}}},
        }));
        let expected = "id: 0b6c\nblocks:\n    - id: 41f2\n      kind: user\n      payload:\n        images:\n            - url: u\n        text: hello\n    - id: 9d0e\n      list:\n        - 1\n        - - 2\n          - 3\n        - {}\n      empty: []\nmetadata:\n    runtime:\n        agentName: demo\n        sessionName: \"\"\n    deep:\n        a:\n            b:\n                c: 1\n";
        assert_eq!(text, expected);
        let read: Value = serde_norway::from_str(&text).unwrap();
        assert_eq!(read["blocks"][1]["list"], json!([1, [2, 3], {}]));
    }

    #[test]
    fn quotes_what_would_not_read_back_as_the_same_string() {
        let cases = [
            ("hello world", "hello world"),
            (
                "0174e3ff-f6c3-4500-854f-2ac9efcefaa6",
                "0174e3ff-f6c3-4500-854f-2ac9efcefaa6",
            ),
            ("", "\"\""),
            ("true", "\"true\""),
            ("yes", "\"yes\""),
            ("null", "\"null\""),
            ("12", "\"12\""),
            ("1_000", "\"1_000\""),
            ("0x1F", "\"0x1F\""),
            ("1e3", "\"1e3\""),
            (".inf", "\".inf\""),
            ("12:30", "\"12:30\""),
            ("2026-01-02", "\"2026-01-02\""),
            ("2026-01-02T10:00:00Z", "\"2026-01-02T10:00:00Z\""),
            ("a: b", "'a: b'"),
            ("- item", "'- item'"),
            ("#tag", "'#tag'"),
            (" padded", "' padded'"),
            ("it's: x", "'it''s: x'"),
            ("line\nbreak", "\"line\\nbreak\""),
            ("tab\there", "\"tab\\there\""),
        ];
        for (text, written) in cases {
            assert_eq!(scalar_string(text), written, "{text:?}");
            let read: Value = serde_norway::from_str(&format!("k: {written}")).unwrap();
            assert_eq!(read["k"], json!(text), "{written} reads back");
        }
    }

    #[test]
    fn texts_with_line_breaks_are_literal_blocks() {
        let texts = ["one\ntwo", "one\ntwo\n", "one\n\ntwo\n\n", "a\n\n\nb"];
        let text = yaml(
            json!({"payload": {"text": texts[0]}, "list": [texts[1]], "top": texts[2], "gap": texts[3]}),
        );
        assert_eq!(
            text,
            "payload:\n    text: |-\n        one\n        two\nlist:\n    - |\n      one\n      two\ntop: |+\n    one\n\n    two\n\ngap: |-\n    a\n\n\n    b\n"
        );
        let read: Value = serde_norway::from_str(&text).unwrap();
        assert_eq!(
            read,
            json!({"payload": {"text": texts[0]}, "list": [texts[1]], "top": texts[2], "gap": texts[3]})
        );
        for quoted in [" lead\nx", "\nx", "tail \nx", "x\ny ", "tab\t\nx"] {
            let text = yaml(json!({"k": quoted}));
            assert!(text.starts_with("k: \""), "{text}");
            let read: Value = serde_norway::from_str(&text).unwrap();
            assert_eq!(read["k"], json!(quoted));
        }
    }

    #[test]
    fn numbers_and_other_scalars() {
        let text = yaml(
            json!({"i": 3, "f": 0.2, "whole": 100.0, "neg": -1.5, "b": false, "nil": null, "n": 1}),
        );
        assert_eq!(
            text,
            "i: 3\nf: 0.2\nwhole: 100\nneg: -1.5\nb: false\nnil: null\n\"n\": 1\n"
        );
        assert_eq!(yaml(json!({})), "{}\n");
    }
}
