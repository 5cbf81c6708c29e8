//! Runs every JS test script and example through `geppetto run`: scripts under `tests/js/` and
//! `examples/` must exit 0; scripts under `tests/js/fail/` must exit 1 with every non-empty line of
//! their `.expected` file on stderr.

#[path = "support/child.rs"]
mod child;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

/// How long one script may run before it is killed and reported (scripts take well under 2 s).
const SCRIPT_GUARD: Duration = Duration::from_secs(180);

fn scripts_in(dir: &str) -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let mut scripts: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", root.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| {
            matches!(
                path.extension().and_then(|e| e.to_str()),
                Some("js" | "mjs")
            )
        })
        .collect();
    scripts.sort();
    scripts
}

fn run(script: &Path) -> Output {
    run_with(&[], script)
}

/// `geppetto run <flags> <script>` with no provider keys or profiles in its environment.
fn run_with(flags: &[&str], script: &Path) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_geppetto"));
    command
        .arg("run")
        .args(flags)
        .arg(script)
        .env_remove("OPENAI_API_KEY")
        .env_remove("ANTHROPIC_API_KEY")
        .env_remove("GEMINI_API_KEY")
        .env_remove("GOOGLE_API_KEY")
        .env_remove("PINOCCHIO_PROFILE")
        .env_remove("GEPPETTO_PROFILES")
        .env_remove("GEPPETTO_PROFILE_REGISTRIES")
        .env_remove("GEPPETTO_DEFAULT_PROFILE")
        .env_remove("XDG_CONFIG_HOME")
        .env(
            "HOME",
            std::env::temp_dir().join("geppetto-js-scripts-home"),
        )
        .env("RUST_LOG", "error");
    // A hang (a cancellation or deadline that never takes effect) fails the test instead of
    // stalling the whole suite.
    let ran = child::run_guarded(command, &script.display().to_string(), SCRIPT_GUARD);
    Output {
        status: ran.status,
        stdout: ran.stdout.into_bytes(),
        stderr: ran.stderr.into_bytes(),
    }
}

/// The run succeeded and printed `expected` (trimmed) on stdout.
fn assert_prints(output: &Output, expected: &str) {
    assert!(
        output.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), expected);
}

fn check_passes(dir: &str) {
    let mut failures = Vec::new();
    let scripts = scripts_in(dir);
    assert!(!scripts.is_empty(), "no scripts in {dir}");
    for script in scripts {
        let output = run(&script);
        if !output.status.success() {
            failures.push(format!(
                "{} exited {:?}\nstdout:\n{}\nstderr:\n{}",
                script.display(),
                output.status.code(),
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn js_test_scripts_pass() {
    check_passes("tests/js");
}

#[test]
fn examples_run() {
    check_passes("examples");
}

#[test]
fn failing_scripts_fail_with_the_expected_text() {
    let mut failures = Vec::new();
    let scripts = scripts_in("tests/js/fail");
    assert!(!scripts.is_empty(), "no scripts in tests/js/fail");
    for script in scripts {
        let expected_path = script.with_extension("expected");
        let expected = std::fs::read_to_string(&expected_path)
            .unwrap_or_else(|error| panic!("cannot read {}: {error}", expected_path.display()));
        let output = run(&script);
        let stderr = String::from_utf8_lossy(&output.stderr);
        if output.status.code() != Some(1) {
            failures.push(format!(
                "{} exited {:?}, expected 1",
                script.display(),
                output.status.code()
            ));
        }
        for line in expected
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty())
        {
            if !stderr.contains(line) {
                failures.push(format!(
                    "{}: stderr lacks {line:?}\nstderr:\n{stderr}",
                    script.display()
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn list_go_tools_prints_the_host_tool_names() {
    for flag in ["--list-go-tools", "--list-host-tools"] {
        let output = Command::new(env!("CARGO_BIN_EXE_geppetto"))
            .args(["run", flag])
            .output()
            .expect("cannot start geppetto");
        assert!(
            output.status.success(),
            "{flag} exited {:?}",
            output.status.code()
        );
        let names: Vec<String> = String::from_utf8_lossy(&output.stdout)
            .lines()
            .map(str::to_string)
            .collect();
        assert_eq!(names, ["go_double", "go_concat"], "{flag}");
    }
}

#[test]
fn module_flag_evaluates_a_js_file_as_an_es_module() {
    let dir = std::env::temp_dir().join(format!("geppetto-module-flag-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let script = dir.join("top_level_await.js");
    std::fs::write(
        &script,
        "import gp from \"geppetto\";\nconst v = await Promise.resolve(gp.consts.ToolChoice.AUTO);\nconsole.log(v);\n",
    )
    .expect("write script");
    assert_prints(&run_with(&["--module"], &script), "auto");
    let plain = run(&script);
    assert_eq!(
        plain.status.code(),
        Some(1),
        "without --module, import is a syntax error"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn max_memory_limits_the_heap_and_out_of_memory_is_catchable() {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/js/memory/out_of_memory.js");
    assert_prints(
        &run_with(&["--max-memory", "64M"], &script),
        "out of memory caught three times; runtime still works",
    );
}

#[test]
fn max_memory_refuses_an_invalid_size() {
    for bad in ["12Q", "1M", "lots"] {
        let output = Command::new(env!("CARGO_BIN_EXE_geppetto"))
            .args(["run", "--max-memory", bad, "unused.js"])
            .output()
            .expect("cannot start geppetto");
        assert_eq!(output.status.code(), Some(2), "--max-memory {bad}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("--max-memory") && stderr.contains(&format!("{bad:?}")),
            "--max-memory {bad}: {stderr}"
        );
    }
}
