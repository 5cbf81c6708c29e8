//! The code generator: `spec/*.yaml` (plus hand-written templates) to the checked-in generated
//! files (see docs/codegen.md).
//!
//! [`generate`] renders every generated file in memory; [`stale_files`] compares them with the
//! files on disk and [`write_all`] rewrites them. `cargo run --bin gen` drives both, and
//! `tests/codegen_fresh.rs` fails when a checked-in file is stale (the rust-analyzer "sourcegen"
//! habit).

mod diff;
mod rust;
pub mod spec;
mod typescript;

use std::path::{Path, PathBuf};

pub use diff::line_diff;
pub use spec::{JsApiSpec, SpecError, TurnsSpec};

/// The JS API spec, relative to the repository root.
pub const JS_API_SPEC: &str = "spec/js_api_codegen.yaml";
/// The turns spec, relative to the repository root.
pub const TURNS_SPEC: &str = "spec/turns_codegen.yaml";
/// The hand-written template of `docs/types/geppetto.d.ts`.
pub const GEPPETTO_DTS_TEMPLATE: &str = "spec/templates/geppetto.d.ts.tmpl";
/// The hand-written template of `docs/types/turns.d.ts`.
pub const TURNS_DTS_TEMPLATE: &str = "spec/templates/turns.d.ts.tmpl";

/// Why generation failed.
#[derive(Debug, thiserror::Error)]
pub enum CodegenError {
    /// A source file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A generated file could not be written.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A spec file is invalid.
    #[error("{path}: {source}")]
    Spec {
        /// The spec file, relative to the root.
        path: &'static str,
        /// What is wrong with it.
        source: SpecError,
    },
    /// A template does not fit its generated sections.
    #[error("{path}: {message}")]
    Template {
        /// The template, relative to the root.
        path: &'static str,
        /// What is wrong with it.
        message: String,
    },
}

/// One generated file, rendered in memory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedFile {
    /// Path relative to the repository root.
    pub path: &'static str,
    /// The full contents.
    pub contents: String,
}

/// A generated file whose checked-in copy differs from a fresh rendering.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaleFile {
    /// Path relative to the repository root.
    pub path: &'static str,
    /// [`line_diff`] from the checked-in copy (empty if missing) to the fresh rendering.
    pub diff: String,
}

/// Renders every generated file from the specs and templates under `root` (the repository root).
pub fn generate(root: &Path) -> Result<Vec<GeneratedFile>, CodegenError> {
    let js = JsApiSpec::parse(&read(root, JS_API_SPEC)?).map_err(|source| CodegenError::Spec {
        path: JS_API_SPEC,
        source,
    })?;
    let turns =
        TurnsSpec::parse(&read(root, TURNS_SPEC)?).map_err(|source| CodegenError::Spec {
            path: TURNS_SPEC,
            source,
        })?;
    spec::check_consistency(&js, &turns).map_err(|source| CodegenError::Spec {
        path: JS_API_SPEC,
        source,
    })?;

    let rust_header = header(&format!("{JS_API_SPEC} and {TURNS_SPEC}"));
    let geppetto_dts = typescript::geppetto_dts(
        &header(&format!("{JS_API_SPEC} and {GEPPETTO_DTS_TEMPLATE}")),
        &read(root, GEPPETTO_DTS_TEMPLATE)?,
        &js,
    )
    .map_err(|message| CodegenError::Template {
        path: GEPPETTO_DTS_TEMPLATE,
        message,
    })?;
    let turns_dts = typescript::turns_dts(
        &header(&format!("{TURNS_SPEC} and {TURNS_DTS_TEMPLATE}")),
        &read(root, TURNS_DTS_TEMPLATE)?,
        &turns,
    )
    .map_err(|message| CodegenError::Template {
        path: TURNS_DTS_TEMPLATE,
        message,
    })?;
    Ok(vec![
        GeneratedFile {
            path: "src/generated/mod.rs",
            contents: rust::mod_rs(&rust_header),
        },
        GeneratedFile {
            path: "src/generated/consts.rs",
            contents: rust::consts_rs(&rust_header, &js, &turns),
        },
        GeneratedFile {
            path: "docs/types/geppetto.d.ts",
            contents: geppetto_dts,
        },
        GeneratedFile {
            path: "docs/types/turns.d.ts",
            contents: turns_dts,
        },
    ])
}

/// The generated files under `root` that are missing or differ from a fresh rendering.
pub fn stale_files(root: &Path) -> Result<Vec<StaleFile>, CodegenError> {
    let mut stale = Vec::new();
    for file in generate(root)? {
        let current = std::fs::read_to_string(root.join(file.path)).unwrap_or_default();
        if current != file.contents {
            stale.push(StaleFile {
                path: file.path,
                diff: line_diff(&current, &file.contents),
            });
        }
    }
    Ok(stale)
}

/// Rewrites every stale generated file under `root`; returns the paths it wrote.
pub fn write_all(root: &Path) -> Result<Vec<&'static str>, CodegenError> {
    let mut written = Vec::new();
    for file in generate(root)? {
        let path = root.join(file.path);
        if std::fs::read_to_string(&path).ok().as_deref() == Some(file.contents.as_str()) {
            continue;
        }
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|source| CodegenError::Write {
                path: dir.to_path_buf(),
                source,
            })?;
        }
        std::fs::write(&path, &file.contents)
            .map_err(|source| CodegenError::Write { path, source })?;
        written.push(file.path);
    }
    Ok(written)
}

/// The first line of every generated file.
fn header(from: &str) -> String {
    format!("// Generated by `cargo run --bin gen` from {from}; do not edit.\n")
}

fn read(root: &Path, path: &str) -> Result<String, CodegenError> {
    let path = root.join(path);
    std::fs::read_to_string(&path).map_err(|source| CodegenError::Read { path, source })
}
