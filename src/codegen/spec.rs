//! The codegen spec files as data: parsing (serde + serde_norway) and validation.
//!
//! Both spec files share one shape for a group of named string constants, [`ConstGroup`]; the
//! validation rules are the same for every group, whichever file it comes from.

use std::collections::HashSet;

use serde::Deserialize;

/// Why a spec file was rejected. Every message names the enum (and value) at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpecError {
    /// The text is not YAML of the expected shape.
    #[error("invalid YAML: {0}")]
    Yaml(String),
    /// The file defines no enum at all.
    #[error("no enums defined")]
    NoEnums,
    /// Two enums share a name.
    #[error("duplicate enum name `{0}`")]
    DuplicateEnum(String),
    /// An enum name is not UpperCamelCase, or its snake_case form is a Rust keyword.
    #[error(
        "invalid enum name `{0}`: expected UpperCamelCase ([A-Z][A-Za-z0-9]*), not a Rust keyword"
    )]
    InvalidEnumName(String),
    /// An enum has no values.
    #[error("enum `{0}`: no values")]
    NoValues(String),
    /// An enum has no doc.
    #[error("enum `{0}`: missing doc")]
    MissingEnumDoc(String),
    /// A value name is not SCREAMING_SNAKE_CASE, or is reserved.
    #[error(
        "enum `{enum_name}`: invalid value name `{name}`: expected SCREAMING_SNAKE_CASE ([A-Z][A-Z0-9_]*), not `ALL`"
    )]
    InvalidValueName {
        /// The enum holding the value.
        enum_name: String,
        /// The offending name.
        name: String,
    },
    /// Two values of one enum share a name.
    #[error("enum `{enum_name}`: duplicate value name `{name}`")]
    DuplicateValueName {
        /// The enum holding the values.
        enum_name: String,
        /// The repeated name.
        name: String,
    },
    /// Two values of one enum share a string.
    #[error("enum `{enum_name}`: duplicate value \"{value}\" (`{first}` and `{second}`)")]
    DuplicateValue {
        /// The enum holding the values.
        enum_name: String,
        /// The repeated string.
        value: String,
        /// The name of the first value holding it.
        first: String,
        /// The name of the second value holding it.
        second: String,
    },
    /// A value is the empty string.
    #[error("enum `{enum_name}`: value `{name}` is empty")]
    EmptyValue {
        /// The enum holding the value.
        enum_name: String,
        /// The value's name.
        name: String,
    },
    /// A value has no doc.
    #[error("enum `{enum_name}`: value `{name}` has no doc")]
    MissingValueDoc {
        /// The enum holding the value.
        enum_name: String,
        /// The value's name.
        name: String,
    },
    /// A key group's name does not end with `Keys`.
    #[error("key group `{0}`: name must end with `Keys`")]
    KeyGroupName(String),
    /// A key group's `map` is not an identifier.
    #[error("key group `{group}`: invalid map type name `{map}`: expected UpperCamelCase")]
    InvalidMapName {
        /// The key group.
        group: String,
        /// The offending map type name.
        map: String,
    },
    /// The namespace is not a lower-case identifier.
    #[error("invalid namespace `{0}`: expected [a-z][a-z0-9_]*")]
    InvalidNamespace(String),
    /// The two spec files disagree.
    #[error("{0}")]
    Mismatch(String),
}

/// One named string constant of a group.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConstValue {
    /// SCREAMING_SNAKE_CASE name: the Rust constant and the JS property name.
    pub name: String,
    /// The string value.
    pub value: String,
    /// One-line documentation.
    #[serde(default)]
    pub doc: String,
    /// TypeScript type of what is stored under this key (key groups only; default `unknown`).
    #[serde(default, rename = "type")]
    pub ts_type: Option<String>,
}

/// A named group of string constants (an "enum").
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConstGroup {
    /// UpperCamelCase name: the JS group name; its snake_case form names the Rust module.
    pub name: String,
    /// One-line documentation.
    #[serde(default)]
    pub doc: String,
    /// The constants, in order.
    #[serde(default)]
    pub values: Vec<ConstValue>,
}

impl ConstGroup {
    /// The snake_case module name (`ToolChoice` -> `tool_choice`).
    pub fn module_name(&self) -> String {
        snake_case(&self.name)
    }
}

/// `spec/js_api_codegen.yaml`: the constant groups of `gp.consts`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsApiSpec {
    /// The groups, in the order they are exported.
    #[serde(default)]
    pub enums: Vec<ConstGroup>,
}

impl JsApiSpec {
    /// Parses and validates the YAML text of the spec.
    pub fn parse(text: &str) -> Result<JsApiSpec, SpecError> {
        let spec: JsApiSpec = parse_yaml(text)?;
        validate_groups(&spec.enums)?;
        Ok(spec)
    }
}

/// A group of well-known map keys in `spec/turns_codegen.yaml`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyGroup {
    /// The keys; the group name must end with `Keys`.
    #[serde(flatten)]
    pub group: ConstGroup,
    /// Name of the TypeScript interface typing the map these keys live in (`TurnData`, ...).
    pub map: String,
}

/// `spec/turns_codegen.yaml`: block kinds and the well-known turn and block keys.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TurnsSpec {
    /// The namespace that owns these keys.
    pub namespace: String,
    /// The block kinds.
    pub block_kinds: ConstGroup,
    /// The key groups (turn data, turn metadata, block metadata).
    #[serde(default)]
    pub key_groups: Vec<KeyGroup>,
}

impl TurnsSpec {
    /// Parses and validates the YAML text of the spec.
    pub fn parse(text: &str) -> Result<TurnsSpec, SpecError> {
        let spec: TurnsSpec = parse_yaml(text)?;
        if !is_namespace(&spec.namespace) {
            return Err(SpecError::InvalidNamespace(spec.namespace));
        }
        let mut groups = vec![spec.block_kinds.clone()];
        groups.extend(
            spec.key_groups
                .iter()
                .map(|key_group| key_group.group.clone()),
        );
        validate_groups(&groups)?;
        for key_group in &spec.key_groups {
            let name = &key_group.group.name;
            if name.len() <= "Keys".len() || !name.ends_with("Keys") {
                return Err(SpecError::KeyGroupName(name.clone()));
            }
            if !is_upper_camel(&key_group.map) {
                return Err(SpecError::InvalidMapName {
                    group: name.clone(),
                    map: key_group.map.clone(),
                });
            }
        }
        Ok(spec)
    }

    /// The key group with this name.
    pub fn key_group(&self, name: &str) -> Option<&KeyGroup> {
        self.key_groups
            .iter()
            .find(|key_group| key_group.group.name == name)
    }
}

/// Checks that the two specs agree: the JS spec has the block kind group, equal (names and
/// values, in order) to the turns spec's; `MetadataKeys` values are turn metadata keys; and a key
/// group the JS spec also exports (`gp.consts.TurnDataKeys`, ...) is equal in both files.
pub fn check_consistency(js: &JsApiSpec, turns: &TurnsSpec) -> Result<(), SpecError> {
    let kinds = &turns.block_kinds;
    let Some(js_kinds) = js.enums.iter().find(|group| group.name == kinds.name) else {
        return Err(SpecError::Mismatch(format!(
            "enum `{}` of turns_codegen.yaml is missing from js_api_codegen.yaml",
            kinds.name
        )));
    };
    let pairs = |group: &ConstGroup| -> Vec<(String, String)> {
        group
            .values
            .iter()
            .map(|value| (value.name.clone(), value.value.clone()))
            .collect()
    };
    if pairs(js_kinds) != pairs(kinds) {
        return Err(SpecError::Mismatch(format!(
            "enum `{}` differs between js_api_codegen.yaml and turns_codegen.yaml",
            kinds.name
        )));
    }
    for key_group in &turns.key_groups {
        let shared = js
            .enums
            .iter()
            .find(|group| group.name == key_group.group.name);
        if shared.is_some_and(|group| pairs(group) != pairs(&key_group.group)) {
            return Err(SpecError::Mismatch(format!(
                "enum `{}` differs between js_api_codegen.yaml and turns_codegen.yaml",
                key_group.group.name
            )));
        }
    }
    if let Some(metadata) = js.enums.iter().find(|group| group.name == METADATA_KEYS) {
        let known = turns
            .key_group(TURN_METADATA_KEYS)
            .map(|key_group| pairs(&key_group.group))
            .unwrap_or_default();
        for value in &metadata.values {
            if !known.contains(&(value.name.clone(), value.value.clone())) {
                return Err(SpecError::Mismatch(format!(
                    "enum `{METADATA_KEYS}`: value `{}` (\"{}\") is not in `{TURN_METADATA_KEYS}` of turns_codegen.yaml",
                    value.name, value.value
                )));
            }
        }
    }
    Ok(())
}

/// The JS group whose values must be turn metadata keys.
const METADATA_KEYS: &str = "MetadataKeys";
/// The turns key group holding the turn metadata keys.
const TURN_METADATA_KEYS: &str = "TurnMetadataKeys";

fn parse_yaml<T: for<'de> Deserialize<'de>>(text: &str) -> Result<T, SpecError> {
    serde_norway::from_str(text).map_err(|err| SpecError::Yaml(err.to_string()))
}

fn validate_groups(groups: &[ConstGroup]) -> Result<(), SpecError> {
    if groups.is_empty() {
        return Err(SpecError::NoEnums);
    }
    let mut names = HashSet::new();
    for group in groups {
        if !is_upper_camel(&group.name) || RUST_KEYWORDS.contains(&group.module_name().as_str()) {
            return Err(SpecError::InvalidEnumName(group.name.clone()));
        }
        if !names.insert(group.name.as_str()) {
            return Err(SpecError::DuplicateEnum(group.name.clone()));
        }
        if group.doc.trim().is_empty() {
            return Err(SpecError::MissingEnumDoc(group.name.clone()));
        }
        validate_values(group)?;
    }
    Ok(())
}

fn validate_values(group: &ConstGroup) -> Result<(), SpecError> {
    let enum_name = || group.name.clone();
    if group.values.is_empty() {
        return Err(SpecError::NoValues(enum_name()));
    }
    for (index, value) in group.values.iter().enumerate() {
        let earlier = &group.values[..index];
        if !is_screaming_snake(&value.name) || value.name == "ALL" {
            return Err(SpecError::InvalidValueName {
                enum_name: enum_name(),
                name: value.name.clone(),
            });
        }
        if earlier.iter().any(|other| other.name == value.name) {
            return Err(SpecError::DuplicateValueName {
                enum_name: enum_name(),
                name: value.name.clone(),
            });
        }
        if value.value.is_empty() {
            return Err(SpecError::EmptyValue {
                enum_name: enum_name(),
                name: value.name.clone(),
            });
        }
        if let Some(other) = earlier.iter().find(|other| other.value == value.value) {
            return Err(SpecError::DuplicateValue {
                enum_name: enum_name(),
                value: value.value.clone(),
                first: other.name.clone(),
                second: value.name.clone(),
            });
        }
        if value.doc.trim().is_empty() {
            return Err(SpecError::MissingValueDoc {
                enum_name: enum_name(),
                name: value.name.clone(),
            });
        }
    }
    Ok(())
}

/// Words that cannot name a Rust module (strict and reserved keywords).
const RUST_KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "crate",
    "do", "dyn", "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl",
    "in", "let", "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref",
    "return", "self", "static", "struct", "super", "trait", "true", "try", "type", "typeof",
    "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
];

fn is_upper_camel(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|first| first.is_ascii_uppercase())
        && chars.all(|c| c.is_ascii_alphanumeric())
}

fn is_screaming_snake(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|first| first.is_ascii_uppercase())
        && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

fn is_namespace(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|first| first.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// `ToolChoice` -> `tool_choice`; a run of capitals is one word (`HTTPServer` -> `http_server`).
fn snake_case(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::new();
    for (index, &c) in chars.iter().enumerate() {
        if c.is_ascii_uppercase() && index > 0 {
            let prev = chars[index - 1];
            let next_is_lower = chars
                .get(index + 1)
                .is_some_and(|next| next.is_ascii_lowercase());
            if !prev.is_ascii_uppercase() || next_is_lower {
                out.push('_');
            }
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Parses `js` (a JS API spec) and `turns` (a turns spec), each unless empty, checks their
    /// consistency when both are given, and compares the outcome with `expected` (`Ok` or the
    /// error message).
    fn check(js: &str, turns: &str, expected: Result<(), String>) {
        let outcome = || -> Result<(), SpecError> {
            let js_spec = (!js.is_empty()).then(|| JsApiSpec::parse(js)).transpose()?;
            let turns_spec = (!turns.is_empty())
                .then(|| TurnsSpec::parse(turns))
                .transpose()?;
            if let (Some(js_spec), Some(turns_spec)) = (js_spec, turns_spec) {
                check_consistency(&js_spec, &turns_spec)?;
            }
            Ok(())
        };
        let got = outcome().map_err(|err| err.to_string());
        assert_eq!(got, expected, "js:\n{js}\nturns:\n{turns}");
    }

    /// One group as YAML list items (indented for `enums:`).
    fn group(name: &str, values: &[(&str, &str)]) -> String {
        let mut yaml = format!("  - name: {name}\n    doc: Some doc.\n    values:\n");
        for (value_name, value) in values {
            yaml.push_str(&format!(
                "      - {{name: {value_name}, value: \"{value}\", doc: A value.}}\n"
            ));
        }
        yaml
    }

    /// A JS API spec with these groups.
    fn js(groups: &[String]) -> String {
        format!("enums:\n{}", groups.concat())
    }

    /// A turns spec with block kinds `{USER: user}` and the given key groups.
    fn turns(namespace: &str, key_groups: &str) -> String {
        format!(
            "namespace: {namespace}\n\
             block_kinds:\n  name: BlockKind\n  doc: Kinds.\n  values:\n    - {{name: USER, value: user, doc: User.}}\n\
             key_groups:\n{key_groups}"
        )
    }

    /// A key group with `map: <map>` and the given keys.
    fn key_group(name: &str, map: &str, values: &[(&str, &str)]) -> String {
        group(name, values).replacen("\n", &format!("\n    map: {map}\n"), 1)
    }

    const INVALID_ENUM: &str = "expected UpperCamelCase ([A-Z][A-Za-z0-9]*), not a Rust keyword";
    const INVALID_VALUE: &str = "expected SCREAMING_SNAKE_CASE ([A-Z][A-Z0-9_]*), not `ALL`";

    #[test]
    fn validates_js_api_specs() {
        let ok = group("ToolChoice", &[("AUTO", "auto"), ("NONE", "none")]);
        let table: Vec<(String, Result<(), String>)> = vec![
            (js(std::slice::from_ref(&ok)), Ok(())),
            ("enums: []\n".into(), Err("no enums defined".into())),
            ("{}\n".into(), Err("no enums defined".into())),
            (
                js(&[ok.clone(), ok.clone()]),
                Err("duplicate enum name `ToolChoice`".into()),
            ),
            (
                js(&[group("Kind", &[("A", "a"), ("A", "b")])]),
                Err("enum `Kind`: duplicate value name `A`".into()),
            ),
            (
                js(&[group("Kind", &[("A", "a"), ("B", "a")])]),
                Err("enum `Kind`: duplicate value \"a\" (`A` and `B`)".into()),
            ),
            (
                js(&[group("tool_choice", &[("A", "a")])]),
                Err(format!("invalid enum name `tool_choice`: {INVALID_ENUM}")),
            ),
            (
                js(&[group("Type", &[("A", "a")])]),
                Err(format!("invalid enum name `Type`: {INVALID_ENUM}")),
            ),
            (
                js(&[group("Kind", &[("a-b", "a")])]),
                Err(format!(
                    "enum `Kind`: invalid value name `a-b`: {INVALID_VALUE}"
                )),
            ),
            (
                js(&[group("Kind", &[("ALL", "a")])]),
                Err(format!(
                    "enum `Kind`: invalid value name `ALL`: {INVALID_VALUE}"
                )),
            ),
            (
                js(&[group("Kind", &[("A", "")])]),
                Err("enum `Kind`: value `A` is empty".into()),
            ),
            (
                js(&[group("Kind", &[])]),
                Err("enum `Kind`: no values".into()),
            ),
            (
                "enums:\n  - name: Kind\n    values: [{name: A, value: a, doc: x}]\n".into(),
                Err("enum `Kind`: missing doc".into()),
            ),
            (
                "enums:\n  - name: Kind\n    doc: x\n    values: [{name: A, value: a}]\n".into(),
                Err("enum `Kind`: value `A` has no doc".into()),
            ),
            (
                "enums: []\nextra: 1\n".into(),
                Err(
                    "invalid YAML: unknown field `extra`, expected `enums` at line 2 column 1"
                        .into(),
                ),
            ),
        ];
        for (yaml, expected) in table {
            check(&yaml, "", expected);
        }
    }

    #[test]
    fn validates_turns_specs() {
        let keys = key_group(
            "TurnDataKeys",
            "TurnData",
            &[("TOOL_CONFIG", "tool_config")],
        );
        let table: Vec<(String, Result<(), String>)> = vec![
            (turns("geppetto", &keys), Ok(())),
            (turns("Geppetto", &keys), Err("invalid namespace `Geppetto`: expected [a-z][a-z0-9_]*".into())),
            (
                turns("geppetto", &key_group("TurnData", "TurnData", &[("A", "a")])),
                Err("key group `TurnData`: name must end with `Keys`".into()),
            ),
            (
                turns("geppetto", &key_group("DataKeys", "turn_data", &[("A", "a")])),
                Err("key group `DataKeys`: invalid map type name `turn_data`: expected UpperCamelCase".into()),
            ),
            (
                turns("geppetto", &key_group("BlockKind", "Data", &[("A", "a")])),
                Err("duplicate enum name `BlockKind`".into()),
            ),
            (
                turns("geppetto", &key_group("DataKeys", "Data", &[("A", "a"), ("B", "a")])),
                Err("enum `DataKeys`: duplicate value \"a\" (`A` and `B`)".into()),
            ),
        ];
        for (yaml, expected) in table {
            check("", &yaml, expected);
        }
    }

    #[test]
    fn checks_consistency_between_specs() {
        let meta = key_group("TurnMetadataKeys", "TurnMetadata", &[("MODEL", "model")]);
        let turns = turns("geppetto", &meta);
        let kinds = group("BlockKind", &[("USER", "user")]);
        let table: Vec<(String, Result<(), String>)> = vec![
            (js(&[kinds.clone(), group("MetadataKeys", &[("MODEL", "model")])]), Ok(())),
            (
                js(&[group("ToolChoice", &[("AUTO", "auto")])]),
                Err("enum `BlockKind` of turns_codegen.yaml is missing from js_api_codegen.yaml".into()),
            ),
            (
                js(&[group("BlockKind", &[("USER", "usr")])]),
                Err("enum `BlockKind` differs between js_api_codegen.yaml and turns_codegen.yaml".into()),
            ),
            (
                js(&[kinds.clone(), group("MetadataKeys", &[("USAGE", "usage")])]),
                Err("enum `MetadataKeys`: value `USAGE` (\"usage\") is not in `TurnMetadataKeys` of turns_codegen.yaml".into()),
            ),
            (
                js(&[kinds.clone(), group("TurnMetadataKeys", &[("MODEL", "model")])]),
                Ok(()),
            ),
            (
                js(&[kinds.clone(), group("TurnMetadataKeys", &[("MODEL", "mdl")])]),
                Err("enum `TurnMetadataKeys` differs between js_api_codegen.yaml and turns_codegen.yaml".into()),
            ),
        ];
        for (yaml, expected) in table {
            check(&yaml, &turns, expected);
        }
    }

    #[test]
    fn snake_cases_group_names() {
        for (name, expected) in [
            ("ToolChoice", "tool_choice"),
            ("MetadataKeys", "metadata_keys"),
            ("HTTPServer", "http_server"),
            ("Kind2", "kind2"),
        ] {
            assert_eq!(snake_case(name), expected);
        }
    }
}
