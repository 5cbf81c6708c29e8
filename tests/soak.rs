//! Soak run: `tests/generated_input/soak.mjs` through `geppetto run` for a given duration — a mixed workload of
//! started, cancelled and timed-out runs, failing tools, retrying and aborting hooks, nested
//! synchronous runs, and provider faults against the in-process fake provider. The script checks
//! every run (settled once, no late event, history intact); this test samples the child's RSS and
//! reports the slope after warm-up, asserting only a generous bound.
//!
//! Knobs (see docs/reliability.md): `GEPPETTO_SOAK_SECS` (default 30), `GEPPETTO_SOAK_SEED`
//! (default: fresh, printed), `GEPPETTO_SOAK_CONCURRENCY` (runs in flight, default 16),
//! `GEPPETTO_SOAK_MAX_GROWTH_MB` (bound on the fitted RSS growth after warm-up, default 256).

// Each test binary uses part of the shared helpers.
#[allow(dead_code)]
mod fake_provider;
#[allow(dead_code)]
mod generated_input;

use std::path::Path;
use std::time::{Duration, Instant};

use fake_provider::{FakeProvider, FakeReply};
use generated_input::{env_number, run_geppetto, script, seed};

fn fixture(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/openai")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

/// The fake provider's answer for a request whose user message names a fault (`fault:<name>`).
fn provider() -> FakeProvider {
    let text = fixture("text.sse");
    let truncated = fixture("truncated.sse");
    let malformed = fixture("malformed.sse");
    FakeProvider::start(move |request| {
        let messages = request["messages"].to_string();
        let fault = messages
            .split("fault:")
            .nth(1)
            .and_then(|rest| rest.split(|c: char| !c.is_ascii_alphanumeric()).next())
            .unwrap_or("ok");
        match fault {
            "500" => FakeReply::error(500, r#"{"error":{"message":"fake overload"}}"#),
            "429" => FakeReply::error(429, r#"{"error":{"message":"fake rate limit"}}"#),
            "truncated" => FakeReply::sse(truncated.clone()),
            "malformed" => FakeReply::sse(malformed.clone()),
            "empty" => FakeReply::sse(""),
            "slow" => FakeReply {
                chunk: 64,
                pause: Duration::from_millis(10),
                ..FakeReply::sse(text.clone())
            },
            _ => FakeReply::sse(text.clone()),
        }
    })
}

/// Resident set size of process `pid` in KiB (Linux `/proc`), if readable.
fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|line| line.starts_with("VmRSS:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// Least-squares slope of `(seconds, kib)` samples, in KiB per second.
fn slope(samples: &[(f64, f64)]) -> f64 {
    let n = samples.len() as f64;
    let mean_t = samples.iter().map(|s| s.0).sum::<f64>() / n;
    let mean_r = samples.iter().map(|s| s.1).sum::<f64>() / n;
    let covariance: f64 = samples
        .iter()
        .map(|s| (s.0 - mean_t) * (s.1 - mean_r))
        .sum();
    let variance: f64 = samples.iter().map(|s| (s.0 - mean_t).powi(2)).sum();
    if variance == 0.0 {
        0.0
    } else {
        covariance / variance
    }
}

#[test]
fn mixed_workload_settles_every_run_and_keeps_memory_flat() {
    let seconds = env_number("GEPPETTO_SOAK_SECS", 30);
    let seed = seed("GEPPETTO_SOAK_SEED");
    let concurrency = env_number("GEPPETTO_SOAK_CONCURRENCY", 16);
    let max_growth_mb = env_number("GEPPETTO_SOAK_MAX_GROWTH_MB", 256) as f64;
    eprintln!("soak: {seconds} s, seed {seed} (replay: GEPPETTO_SOAK_SEED={seed})");

    let provider = provider();
    let dir = std::env::temp_dir().join(format!("geppetto-soak-{}", std::process::id()));
    let profiles = provider.write_profile(&dir, "soak-fake");
    let started = Instant::now();
    let mut samples: Vec<(f64, f64)> = Vec::new();
    // The script stops starting runs at `seconds`; in-flight runs end soon after.
    let outcome = run_geppetto(
        &script("soak.mjs"),
        &[
            ("GEPPETTO_SOAK_SECS", seconds.to_string()),
            ("GEPPETTO_SOAK_SEED", seed.to_string()),
            ("GEPPETTO_SOAK_CONCURRENCY", concurrency.to_string()),
            ("SOAK_PROFILE", "soak-fake".to_string()),
            ("GEPPETTO_PROFILES", profiles.display().to_string()),
        ],
        Duration::from_secs(seconds + 120),
        |pid| {
            if let Some(kib) = rss_kib(pid) {
                samples.push((started.elapsed().as_secs_f64(), kib as f64));
            }
        },
    );
    let _ = std::fs::remove_dir_all(&dir);
    let context = format!(
        "seed {seed} (replay: GEPPETTO_SOAK_SEED={seed} GEPPETTO_SOAK_SECS={seconds} cargo test --test soak)\n{}",
        outcome.describe()
    );
    assert!(!outcome.shows_panic(), "panic text: {context}");
    let status = outcome
        .status
        .unwrap_or_else(|| panic!("the soak run did not finish: {context}"));
    assert!(status.success(), "the soak run failed: {context}");
    assert!(
        outcome.stdout.contains(&format!("soak: ok seed={seed} ")),
        "no success line: {context}"
    );

    // RSS after warm-up (the first third of the run, at least 5 s), while runs were being started.
    let warm_up = (seconds as f64 / 3.0).max(5.0).min(seconds as f64);
    let measured: Vec<(f64, f64)> = samples
        .iter()
        .copied()
        .filter(|(t, _)| *t >= warm_up && *t <= seconds as f64)
        .collect();
    if measured.len() >= 8 {
        let kib_per_s = slope(&measured);
        let span = measured.last().map(|s| s.0).unwrap_or(0.0) - measured[0].0;
        let growth_mb = kib_per_s * span / 1024.0;
        let (first, last) = (
            measured[0].1 / 1024.0,
            measured[measured.len() - 1].1 / 1024.0,
        );
        eprintln!(
            "soak: RSS after warm-up {first:.1} MB -> {last:.1} MB over {span:.0} s; slope {kib_per_s:.1} KiB/s \
             (fitted growth {growth_mb:.1} MB, bound {max_growth_mb} MB)"
        );
        assert!(
            growth_mb < max_growth_mb,
            "RSS grew {growth_mb:.1} MB after warm-up (slope {kib_per_s:.1} KiB/s): {context}"
        );
    } else {
        eprintln!("soak: too few RSS samples after warm-up to fit a slope");
    }
    eprintln!("{}", outcome.stdout.lines().last().unwrap_or(""));
}
