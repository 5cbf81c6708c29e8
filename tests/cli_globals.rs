//! `geppetto run --global NAME=VALUE` / `--global-json NAME=JSON` set globals before the script
//! runs; a classic script's completion value that is a Promise is awaited.

use std::path::PathBuf;
use std::process::{Command, Output};

fn script(name: &str, source: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("geppetto-cli-globals-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(name);
    std::fs::write(&path, source).expect("write script");
    path
}

fn run(args: &[&str], script: &PathBuf) -> Output {
    Command::new(env!("CARGO_BIN_EXE_geppetto"))
        .arg("run")
        .args(args)
        .arg(script)
        .env("RUST_LOG", "error")
        .output()
        .expect("cannot start geppetto")
}

#[test]
fn globals_are_set_before_the_script_runs() {
    let path = script(
        "globals.js",
        r#"
        assert(GEPPETTO_PHASE123_PROFILE === "examples/p.yaml", "string global");
        assert(globalThis.EMPTY === "", "empty string global");
        assert(JSON.stringify(CONFIG) === '{"n":1,"list":[true,null]}', "JSON global");
        assert(LATER === "second", "a later flag wins");
        console.log("globals ok");
        "#,
    );
    let output = run(
        &[
            "--global",
            "GEPPETTO_PHASE123_PROFILE=examples/p.yaml",
            "--global",
            "EMPTY=",
            "--global",
            "LATER=first",
            "--global",
            "LATER=second",
            "--global-json",
            r#"CONFIG={"n":1,"list":[true,null]}"#,
        ],
        &path,
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&output.stdout), "globals ok\n");
}

#[test]
fn bad_global_flags_exit_1_with_the_reason() {
    let path = script("noop.js", "1;");
    for (args, expected) in [
        (
            ["--global", "no-equals"],
            "geppetto run: --global expects NAME=VALUE with NAME a JS identifier, got \"no-equals\"",
        ),
        (
            ["--global-json", "X={"],
            "geppetto run: --global-json X: invalid JSON: ",
        ),
    ] {
        let output = run(&args, &path);
        assert_eq!(output.status.code(), Some(1));
        assert!(
            String::from_utf8_lossy(&output.stderr).contains(expected),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

#[test]
fn a_completion_promise_is_awaited() {
    let path = script(
        "completion.js",
        r#"(async () => { await new Promise((r) => setTimeout(r, 20)); console.log("awaited"); })()"#,
    );
    let output = run(&[], &path);
    assert!(output.status.success());
    assert_eq!(String::from_utf8_lossy(&output.stdout), "awaited\n");
}
