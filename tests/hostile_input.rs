//! Generated hostile input against the whole `geppetto` JS module and the harness globals: runs
//! `tests/hostile/hostile_input.js` through `geppetto run` with a seed and an iteration count.
//! The script checks that every throw and rejection is an `Error` with a non-empty message and
//! that the runtime still works afterwards; this test checks the exit status and that no panic
//! text reaches stdout or stderr.
//!
//! Knobs (see docs/reliability.md): `GEPPETTO_HOSTILE_SEED` (default: a fresh seed, printed),
//! `GEPPETTO_HOSTILE_ITERATIONS` (default 600 per seed), `GEPPETTO_HOSTILE_RUNS` (seeds to try,
//! default 2), `GEPPETTO_HOSTILE_TIMEOUT_SECS` (per run, default 300).

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

fn env_number(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(text) => text
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{name} must be a whole number, got {text:?}")),
        Err(_) => default,
    }
}

/// A seed from the clock, so every CI run explores new inputs (printed for replay).
fn fresh_seed() -> u64 {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.subsec_nanos())
        .unwrap_or(0);
    u64::from(nanos ^ std::process::id())
}

struct Outcome {
    status: Option<i32>,
    stdout: String,
    stderr: String,
    timed_out: bool,
}

fn run_script(seed: u64, iterations: u64, timeout: Duration) -> Outcome {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/hostile/hostile_input.js");
    let mut child = Command::new(env!("CARGO_BIN_EXE_geppetto"))
        .arg("run")
        .arg(&script)
        .env("GEPPETTO_HOSTILE_SEED", seed.to_string())
        .env("GEPPETTO_HOSTILE_ITERATIONS", iterations.to_string())
        .env_remove("OPENAI_API_KEY")
        .env_remove("ANTHROPIC_API_KEY")
        .env_remove("GEMINI_API_KEY")
        .env_remove("GOOGLE_API_KEY")
        .env_remove("PINOCCHIO_PROFILE")
        .env("HOME", std::env::temp_dir().join("geppetto-hostile-home"))
        .env("RUST_LOG", "error")
        .env("RUST_BACKTRACE", "0")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cannot start geppetto");
    let mut stdout_pipe = child.stdout.take().expect("stdout");
    let mut stderr_pipe = child.stderr.take().expect("stderr");
    let stdout_reader = std::thread::spawn(move || {
        let mut text = Vec::new();
        let _ = stdout_pipe.read_to_end(&mut text);
        text
    });
    let stderr_reader = std::thread::spawn(move || {
        let mut text = Vec::new();
        let _ = stderr_pipe.read_to_end(&mut text);
        text
    });
    let started = Instant::now();
    let mut timed_out = false;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for geppetto") {
            break status;
        }
        if started.elapsed() > timeout {
            timed_out = true;
            let _ = child.kill();
            break child.wait().expect("wait for killed geppetto");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let lossy = |bytes: Vec<u8>| String::from_utf8_lossy(&bytes).into_owned();
    Outcome {
        status: status.code(),
        stdout: lossy(stdout_reader.join().expect("stdout reader")),
        stderr: lossy(stderr_reader.join().expect("stderr reader")),
        timed_out,
    }
}

/// The last `limit` characters of `text` (console output of hostile strings can be long).
fn tail(text: &str, limit: usize) -> &str {
    let start = text.len().saturating_sub(limit);
    let start = (start..text.len())
        .find(|index| text.is_char_boundary(*index))
        .unwrap_or(text.len());
    &text[start..]
}

#[test]
fn hostile_calls_never_crash_and_leave_the_runtime_working() {
    let iterations = env_number("GEPPETTO_HOSTILE_ITERATIONS", 600);
    let timeout = Duration::from_secs(env_number("GEPPETTO_HOSTILE_TIMEOUT_SECS", 300));
    let seeds: Vec<u64> = match std::env::var("GEPPETTO_HOSTILE_SEED") {
        Ok(_) => vec![env_number("GEPPETTO_HOSTILE_SEED", 1) & 0xffff_ffff],
        Err(_) => {
            let first = fresh_seed();
            (0..env_number("GEPPETTO_HOSTILE_RUNS", 2))
                .map(|offset| (first + offset) & 0xffff_ffff)
                .collect()
        }
    };
    for seed in seeds {
        eprintln!(
            "hostile input: seed {seed}, {iterations} iterations (replay: GEPPETTO_HOSTILE_SEED={seed})"
        );
        let outcome = run_script(seed, iterations, timeout);
        let context = format!(
            "seed {seed} (replay: GEPPETTO_HOSTILE_SEED={seed} GEPPETTO_HOSTILE_ITERATIONS={iterations} \
             cargo test --test hostile_input)\nexit: {:?}, timed out: {}\nstdout (tail):\n{}\nstderr (tail):\n{}",
            outcome.status,
            outcome.timed_out,
            tail(&outcome.stdout, 4000),
            tail(&outcome.stderr, 8000)
        );
        for stream in [&outcome.stdout, &outcome.stderr] {
            assert!(
                !stream.contains("panicked") && !stream.contains("RUST_BACKTRACE"),
                "panic text reached the output: {context}"
            );
        }
        assert!(!outcome.timed_out, "the script did not finish: {context}");
        assert_eq!(outcome.status, Some(0), "the script failed: {context}");
        assert!(
            outcome
                .stdout
                .contains(&format!("hostile: ok seed={seed} calls={iterations} ")),
            "no success line: {context}"
        );
    }
}
