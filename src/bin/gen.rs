//! `cargo run --bin gen`: rewrites every generated file from `spec/` (see docs/codegen.md).
//!
//! `cargo run --bin gen -- --check` writes nothing; it prints a diff of each stale file and exits
//! with status 1 when any generated file is out of date.

use std::path::Path;
use std::process::ExitCode;

use geppetto::codegen;

fn main() -> ExitCode {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let check = match std::env::args().nth(1).as_deref() {
        None => false,
        Some("--check") => true,
        Some(other) => {
            eprintln!("gen: unknown argument {other:?}; usage: gen [--check]");
            return ExitCode::from(2);
        }
    };
    if check {
        match codegen::stale_files(root) {
            Ok(stale) if stale.is_empty() => {
                println!("gen: all generated files are up to date");
                ExitCode::SUCCESS
            }
            Ok(stale) => {
                for file in &stale {
                    eprintln!("gen: {} is stale:\n{}", file.path, file.diff);
                }
                eprintln!("gen: run `cargo run --bin gen` to regenerate");
                ExitCode::FAILURE
            }
            Err(err) => fail(&err),
        }
    } else {
        match codegen::write_all(root) {
            Ok(written) => {
                for path in &written {
                    println!("gen: wrote {path}");
                }
                if written.is_empty() {
                    println!("gen: all generated files are up to date");
                }
                ExitCode::SUCCESS
            }
            Err(err) => fail(&err),
        }
    }
}

fn fail(err: &codegen::CodegenError) -> ExitCode {
    eprintln!("gen: {err}");
    ExitCode::FAILURE
}
