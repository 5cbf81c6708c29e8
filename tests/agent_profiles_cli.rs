//! `geppetto run --profile-registries/--profile` and `GEPPETTO_PROFILE_REGISTRIES`/
//! `GEPPETTO_DEFAULT_PROFILE`: the host registry is configured by flags or variables (flags win),
//! loaded once at start (a bad source exits 1 naming it), and never implicitly.

use std::process::{Command, Output};

const FIXTURE: &str = "tests/fixtures/profiles/50-hardcut-phase123.yaml";
const SCRIPT: &str = "tests/js/host/host_profiles.js";

fn geppetto(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_geppetto"));
    command
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .arg("run")
        .args(args)
        .env_remove("GEPPETTO_PROFILE_REGISTRIES")
        .env_remove("GEPPETTO_DEFAULT_PROFILE")
        .env("RUST_LOG", "error");
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().expect("cannot start geppetto")
}

fn assert_ok(output: &Output, stdout: &str) {
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "exit {:?}: {err}",
        output.status.code()
    );
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), stdout);
}

#[test]
fn flags_configure_the_host_registry() {
    let output = geppetto(
        &[
            "--profile-registries",
            FIXTURE,
            "--profile",
            "bge-reranker",
            SCRIPT,
        ],
        &[("EXPECT_PROFILE", "bge-reranker")],
    );
    assert_ok(&output, "host profile bge-reranker");
    // Without --profile: the top registry's default (alphabetically first: assistant).
    let output = geppetto(
        &["--profile-registries", FIXTURE, SCRIPT],
        &[("EXPECT_PROFILE", "assistant")],
    );
    assert_ok(&output, "host profile assistant");
}

#[test]
fn variables_configure_the_host_registry_and_flags_win() {
    let env = [
        ("GEPPETTO_PROFILE_REGISTRIES", FIXTURE),
        ("GEPPETTO_DEFAULT_PROFILE", "bge-reranker"),
        ("EXPECT_PROFILE", "bge-reranker"),
    ];
    assert_ok(&geppetto(&[SCRIPT], &env), "host profile bge-reranker");
    let env = [
        ("GEPPETTO_PROFILE_REGISTRIES", "does-not-exist.yaml"),
        ("GEPPETTO_DEFAULT_PROFILE", "bge-reranker"),
        ("EXPECT_PROFILE", "assistant"),
    ];
    assert_ok(
        &geppetto(
            &[
                "--profile-registries",
                FIXTURE,
                "--profile",
                "assistant",
                SCRIPT,
            ],
            &env,
        ),
        "host profile assistant",
    );
}

#[test]
fn a_bad_source_stops_the_start_naming_it() {
    let output = geppetto(
        &["--profile-registries", "missing/registry.yaml", SCRIPT],
        &[],
    );
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("cannot load profile registries: cannot read profile registry source \"missing/registry.yaml\""),
        "{stderr}"
    );
    assert!(output.stdout.is_empty(), "the script did not run");
}

#[test]
fn nothing_is_loaded_implicitly() {
    let output = geppetto(&[SCRIPT], &[("EXPECT_PROFILE", "assistant")]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("inferenceProfiles.resolve requires a configured profile registry"),
        "{stderr}"
    );
}
