//! Generated hostile input against the whole `geppetto` JS module and the harness globals: runs
//! `tests/generated_input/hostile_input.mjs` through `geppetto run` with a seed and an iteration
//! count. The script checks that every throw and rejection is an `Error` with a non-empty message
//! and that the runtime still works afterwards; this test checks the exit status and that no panic
//! text reaches stdout or stderr.
//!
//! Knobs (see docs/reliability.md): `GEPPETTO_HOSTILE_SEED` (default: fresh seeds, printed),
//! `GEPPETTO_HOSTILE_ITERATIONS` (default 600 per seed), `GEPPETTO_HOSTILE_RUNS` (seeds to try,
//! default 2), `GEPPETTO_HOSTILE_TIMEOUT_SECS` (per run, default 300).

// Each test binary uses part of the shared helper.
#[allow(dead_code)]
mod generated_input;

use std::time::Duration;

use generated_input::{env_number, run_geppetto, script, seed};

#[test]
fn hostile_calls_never_crash_and_leave_the_runtime_working() {
    let iterations = env_number("GEPPETTO_HOSTILE_ITERATIONS", 600);
    let limit = Duration::from_secs(env_number("GEPPETTO_HOSTILE_TIMEOUT_SECS", 300));
    let first = seed("GEPPETTO_HOSTILE_SEED");
    let runs = if std::env::var("GEPPETTO_HOSTILE_SEED").is_ok() {
        1
    } else {
        env_number("GEPPETTO_HOSTILE_RUNS", 2)
    };
    for seed in (0..runs).map(|offset| (first + offset) & 0xffff_ffff) {
        eprintln!(
            "hostile input: seed {seed}, {iterations} iterations (replay: GEPPETTO_HOSTILE_SEED={seed})"
        );
        let outcome = run_geppetto(
            &script("hostile_input.mjs"),
            &[
                ("GEPPETTO_HOSTILE_SEED", seed.to_string()),
                ("GEPPETTO_HOSTILE_ITERATIONS", iterations.to_string()),
            ],
            limit,
            |_| {},
        );
        let context = format!(
            "seed {seed} (replay: GEPPETTO_HOSTILE_SEED={seed} GEPPETTO_HOSTILE_ITERATIONS={iterations} \
             cargo test --test hostile_input)\n{}",
            outcome.describe()
        );
        assert!(
            !outcome.shows_panic(),
            "panic text reached the output: {context}"
        );
        let status = outcome
            .status
            .unwrap_or_else(|| panic!("the script did not finish: {context}"));
        assert!(status.success(), "the script failed: {context}");
        assert!(
            outcome
                .stdout
                .contains(&format!("hostile: ok seed={seed} calls={iterations} ")),
            "no success line: {context}"
        );
    }
}
