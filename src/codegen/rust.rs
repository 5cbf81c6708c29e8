//! Renders `src/generated/consts.rs` and `src/generated/mod.rs`.

use std::fmt::Write;

use super::spec::{ConstGroup, JsApiSpec, TurnsSpec};

/// The widest line the renderer writes before breaking a list, as rustfmt does.
const MAX_WIDTH: usize = 100;

/// `src/generated/consts.rs`: one module per group, `NAMESPACE` and `JS_CONST_GROUPS`.
pub(crate) fn consts_rs(header: &str, js: &JsApiSpec, turns: &TurnsSpec) -> String {
    let mut out = String::new();
    out.push_str(header);
    out.push_str(
        "\n//! Constants of the JS API (`gp.consts`) and of the turn model.\n\
         //!\n\
         //! Each group is a module of `&str` constants plus `ALL`, every value in spec order.\n\
         //! [`JS_CONST_GROUPS`] lists the `gp.consts` groups for the bridge, which builds the frozen\n\
         //! JS objects from it.\n\n",
    );
    let _ = writeln!(
        out,
        "/// The namespace that owns the turn keys of this file."
    );
    let _ = writeln!(out, "pub const NAMESPACE: &str = {:?};", turns.namespace);
    for group in &js.enums {
        let js_name = format!("JS: `gp.consts.{}`.", group.name);
        group_module(&mut out, group, &js_name);
    }
    for key_group in &turns.key_groups {
        if js
            .enums
            .iter()
            .any(|group| group.name == key_group.group.name)
        {
            // Also a `gp.consts` group: its module is written above (the specs agree on it).
            continue;
        }
        let note = format!("TypeScript: `{}` in docs/types/turns.d.ts.", key_group.map);
        group_module(&mut out, &key_group.group, &note);
    }
    out.push_str(
        "\n/// The groups of `gp.consts`, in spec order: `(group name, [(property name, value)])`.\n",
    );
    out.push_str("pub const JS_CONST_GROUPS: &[(&str, &[(&str, &str)])] = &[\n");
    for group in &js.enums {
        let module = group.module_name();
        let _ = writeln!(out, "    (\n        {:?},\n        &[", group.name);
        for value in &group.values {
            let _ = writeln!(
                out,
                "            ({:?}, {module}::{}),",
                value.name, value.name
            );
        }
        out.push_str("        ],\n    ),\n");
    }
    out.push_str("];\n");
    out
}

/// `src/generated/mod.rs`.
pub(crate) fn mod_rs(header: &str) -> String {
    format!(
        "{header}\n\
         //! Code generated from `spec/*.yaml` by `cargo run --bin gen` (see docs/codegen.md).\n\n\
         #[rustfmt::skip]\n\
         pub mod consts;\n"
    )
}

fn group_module(out: &mut String, group: &ConstGroup, note: &str) {
    let module = group.module_name();
    let _ = writeln!(out, "\n/// {}\n///\n/// {note}", group.doc.trim());
    let _ = writeln!(out, "pub mod {module} {{");
    for value in &group.values {
        let _ = writeln!(out, "    /// {}", value.doc.trim());
        let _ = writeln!(
            out,
            "    pub const {}: &str = {:?};",
            value.name, value.value
        );
    }
    let names: Vec<&str> = group
        .values
        .iter()
        .map(|value| value.name.as_str())
        .collect();
    out.push_str("\n    /// Every value, in spec order.\n");
    let one_line = format!("    pub const ALL: &[&str] = &[{}];", names.join(", "));
    if one_line.len() <= MAX_WIDTH {
        let _ = writeln!(out, "{one_line}");
    } else {
        out.push_str("    pub const ALL: &[&str] = &[\n");
        for name in names {
            let _ = writeln!(out, "        {name},");
        }
        out.push_str("    ];\n");
    }
    out.push_str("}\n");
}
