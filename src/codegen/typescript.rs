//! Renders the TypeScript declarations: hand-written templates with generated sections.
//!
//! A template line that holds only `{{name}}` (after indentation) is replaced by the section of
//! that name, each of its lines indented like the placeholder. Every section must be used exactly
//! once and no other `{{` may remain, so a renamed placeholder fails loudly.

use std::fmt::Write;

use super::spec::{ConstGroup, JsApiSpec, TurnsSpec};

/// `docs/types/geppetto.d.ts` from its template.
pub(crate) fn geppetto_dts(header: &str, template: &str, js: &JsApiSpec) -> Result<String, String> {
    let mut types = String::new();
    let mut groups = String::new();
    for group in &js.enums {
        if !types.is_empty() {
            types.push('\n');
        }
        union_type(&mut types, group, &group.name);
        let _ = writeln!(groups, "/** {} */", ts_doc(&group.doc));
        let _ = writeln!(groups, "readonly {}: {{", group.name);
        for value in &group.values {
            let _ = writeln!(groups, "    /** {} */", ts_doc(&value.doc));
            let _ = writeln!(
                groups,
                "    readonly {}: {};",
                value.name,
                ts_string(&value.value)
            );
        }
        groups.push_str("};\n");
    }
    let body = fill(
        template,
        &[("const_types", &types), ("const_groups", &groups)],
    )?;
    Ok(format!("{header}{body}"))
}

/// `docs/types/turns.d.ts` from its template.
pub(crate) fn turns_dts(header: &str, template: &str, turns: &TurnsSpec) -> Result<String, String> {
    let mut namespace = String::new();
    let _ = writeln!(namespace, "/** The namespace that owns the keys below. */");
    let _ = writeln!(
        namespace,
        "export type Namespace = {};",
        ts_string(&turns.namespace)
    );
    let mut kinds = String::new();
    union_type(&mut kinds, &turns.block_kinds, &turns.block_kinds.name);
    kinds.push('\n');
    key_names(&mut kinds, &turns.block_kinds);
    let mut keys = String::new();
    for (index, key_group) in turns.key_groups.iter().enumerate() {
        let group = &key_group.group;
        if index > 0 {
            keys.push('\n');
        }
        key_names(&mut keys, group);
        let singular = group.name.trim_end_matches('s');
        let _ = writeln!(keys, "/** One of the {} (a key string). */", group.name);
        let _ = writeln!(
            keys,
            "export type {singular} = {}[keyof {}];",
            group.name, group.name
        );
        let _ = writeln!(
            keys,
            "/** {} Other keys are preserved round-trip. */",
            ts_doc(&group.doc)
        );
        let _ = writeln!(keys, "export interface {} {{", key_group.map);
        for value in &group.values {
            let ts_type = value.ts_type.as_deref().unwrap_or("unknown");
            let _ = writeln!(keys, "    /** {} */", ts_doc(&value.doc));
            let _ = writeln!(keys, "    {}?: {ts_type};", value.value);
        }
        keys.push_str("    [key: string]: unknown;\n}\n");
    }
    let body = fill(
        template,
        &[
            ("namespace", &namespace),
            ("block_kinds", &kinds),
            ("key_groups", &keys),
        ],
    )?;
    Ok(format!("{header}{body}"))
}

/// Appends `export type <name> = | "a" | "b";` with the group's docs.
fn union_type(out: &mut String, group: &ConstGroup, name: &str) {
    let _ = writeln!(out, "/** {} */", ts_doc(&group.doc));
    let _ = writeln!(out, "export type {name} =");
    let last = group.values.len() - 1;
    for (index, value) in group.values.iter().enumerate() {
        let end = if index == last { ";" } else { "" };
        let _ = writeln!(out, "    | {}{end}", ts_string(&value.value));
    }
}

/// Appends an interface `<Group>` mapping each constant name to its string literal type.
fn key_names(out: &mut String, group: &ConstGroup) {
    let _ = writeln!(
        out,
        "/** Names of the {} constants (as in `src/generated/consts.rs`). */",
        group.name
    );
    let interface = if group.name.ends_with("Keys") {
        group.name.clone()
    } else {
        format!("{}Names", group.name)
    };
    let _ = writeln!(out, "export interface {interface} {{");
    for value in &group.values {
        let _ = writeln!(out, "    /** {} */", ts_doc(&value.doc));
        let _ = writeln!(
            out,
            "    readonly {}: {};",
            value.name,
            ts_string(&value.value)
        );
    }
    out.push_str("}\n");
}

/// Replaces each placeholder line `{{name}}` of `template` by its section.
fn fill(template: &str, sections: &[(&str, &str)]) -> Result<String, String> {
    let mut out = String::new();
    let mut used = vec![false; sections.len()];
    for line in template.lines() {
        let trimmed = line.trim();
        let found = sections
            .iter()
            .position(|(name, _)| trimmed == format!("{{{{{name}}}}}"));
        match found {
            Some(index) if !used[index] => {
                used[index] = true;
                let indent = &line[..line.len() - line.trim_start().len()];
                for section_line in sections[index].1.lines() {
                    if section_line.is_empty() {
                        out.push('\n');
                    } else {
                        let _ = writeln!(out, "{indent}{section_line}");
                    }
                }
            }
            Some(index) => {
                return Err(format!(
                    "placeholder {{{{{}}}}} used twice",
                    sections[index].0
                ));
            }
            None if trimmed.contains("{{") => {
                return Err(format!("unknown placeholder in line `{trimmed}`"));
            }
            None => {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    match used.iter().position(|used| !used) {
        Some(index) => Err(format!(
            "placeholder {{{{{}}}}} is missing",
            sections[index].0
        )),
        None => Ok(out),
    }
}

/// A TypeScript string literal type.
fn ts_string(value: &str) -> String {
    serde_json::Value::String(value.to_string()).to_string()
}

/// Doc text safe inside `/** ... */`.
fn ts_doc(doc: &str) -> String {
    doc.trim().replace("*/", "*\\/")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Fills `template` with one section `x` = "a\n\nb" and compares with `expected`.
    fn check(template: &str, expected: Result<&str, &str>) {
        let got = fill(template, &[("x", "a\n\nb\n")]);
        assert_eq!(got.as_deref(), expected.map_err(str::to_string).as_deref());
    }

    #[test]
    fn fills_placeholders() {
        check("top\n  {{x}}\nend\n", Ok("top\n  a\n\n  b\nend\n"));
        check("top\n", Err("placeholder {{x}} is missing"));
        check("{{x}}\n{{x}}\n", Err("placeholder {{x}} used twice"));
        check("{{x}}\n{{y}}\n", Err("unknown placeholder in line `{{y}}`"));
    }
}
