//! `geppetto bench runs` and `geppetto bench stream`: the scripts in `bench/` (built in), each run
//! on a fresh owner as `geppetto run` runs a script, with wall time and peak RSS around them. The
//! scripts verify their own results (every output and event sequence, every streamed text) and
//! throw when one is wrong; a throw fails the benchmark.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde_json::{Value as Json, json};

use super::fake_openai::FakeOpenAi;
use crate::owner::{CallOptions, CpuBudget, Owner, OwnerOptions, ShutdownMode};
use crate::runtime::{ScriptHost, ScriptKind, run_to_completion};

/// `bench/concurrent_runs.js`: N concurrent two-step tool-loop runs.
pub(crate) const RUNS_SCRIPT: &str = include_str!("../../../bench/concurrent_runs.js");

/// `bench/stream_runs.js`: N concurrent streamed runs of K deltas each.
pub(crate) const STREAM_SCRIPT: &str = include_str!("../../../bench/stream_runs.js");

/// What a workload measured.
#[derive(Debug)]
pub(crate) struct WorkloadReport {
    /// `"runs"` or `"stream"`.
    pub bench: &'static str,
    /// What the throughput counts: `"runs"` or `"deltas"`.
    pub unit: &'static str,
    /// How many of `unit` the workload did.
    pub count: u64,
    /// The script's timed section (from its first run started to the last settled), as the peer
    /// scripts time theirs.
    pub timed: Duration,
    /// The whole command: runtime start, module load, the script, shutdown.
    pub wall: Duration,
    /// `VmHWM` of this process afterwards, bytes.
    pub peak_rss_bytes: u64,
    /// The script's own result object.
    pub script: Json,
}

impl WorkloadReport {
    fn per_second(&self) -> f64 {
        self.count as f64 / self.timed.as_secs_f64().max(1e-9)
    }

    /// Wall time, throughput and peak RSS, one per line.
    pub(crate) fn to_text(&self) -> String {
        format!(
            "geppetto bench {}: {} {} in {:.3} s timed ({:.3} s wall)\nthroughput: {:.0} {}/s\npeak RSS: {:.1} MiB\n",
            self.bench,
            self.count,
            self.unit,
            self.timed.as_secs_f64(),
            self.wall.as_secs_f64(),
            self.per_second(),
            self.unit,
            self.peak_rss_bytes as f64 / (1024.0 * 1024.0),
        )
    }

    /// One JSON object on one line.
    pub(crate) fn to_json_line(&self) -> String {
        json!({
            "bench": self.bench,
            self.unit: self.count,
            "ms": self.timed.as_millis() as u64,
            "wall_ms": self.wall.as_millis() as u64,
            format!("{}_per_s", self.unit): self.per_second().round() as u64,
            "peak_rss_bytes": self.peak_rss_bytes,
            "peak_rss_mb": (self.peak_rss_bytes as f64 / (1024.0 * 1024.0)).round() as u64,
            "script": self.script,
        })
        .to_string()
    }
}

/// Runs `bench/concurrent_runs.js` with `n` runs.
pub(crate) async fn runs(n: u64) -> Result<WorkloadReport, String> {
    let (script, wall) =
        run_script("concurrent_runs.js", RUNS_SCRIPT, [("N", n.to_string())]).await?;
    report("runs", "runs", n, &script, wall)
}

/// Runs `bench/stream_runs.js`: `n` streams of `k` deltas against `base_url`, or against an
/// in-process fake server when `None`.
pub(crate) async fn stream(
    n: u64,
    k: u64,
    base_url: Option<String>,
) -> Result<WorkloadReport, String> {
    stream_with(STREAM_SCRIPT, n, k, base_url).await
}

async fn stream_with(
    source: &str,
    n: u64,
    k: u64,
    base_url: Option<String>,
) -> Result<WorkloadReport, String> {
    let server = match base_url {
        Some(_) => None,
        None => Some(
            FakeOpenAi::start()
                .await
                .map_err(|error| format!("cannot start the fake OpenAI server: {error}"))?,
        ),
    };
    let base_url = base_url.unwrap_or_else(|| {
        server
            .as_ref()
            .map_or_else(String::new, |s| s.base_url().to_string())
    });
    let env = [
        ("N", n.to_string()),
        ("K", k.to_string()),
        ("BASE_URL", base_url),
    ];
    let (script, wall) = run_script("stream_runs.js", source, env).await?;
    drop(server);
    report("stream", "deltas", n * k, &script, wall)
}

fn report(
    bench: &'static str,
    unit: &'static str,
    count: u64,
    script: &Json,
    wall: Duration,
) -> Result<WorkloadReport, String> {
    let timed = script
        .get("ms")
        .and_then(Json::as_u64)
        .ok_or_else(|| format!("the script reported no \"ms\": {script}"))?;
    Ok(WorkloadReport {
        bench,
        unit,
        count,
        timed: Duration::from_millis(timed),
        wall,
        peak_rss_bytes: peak_rss_bytes()?,
        script: script.clone(),
    })
}

/// Runs a bench script on a fresh owner (as `geppetto run` does, with `env` as `ENV` plus
/// `QUIET=1`) and returns its `globalThis.benchResult` and the wall time.
async fn run_script<const N: usize>(
    name: &str,
    source: &str,
    env: [(&str, String); N],
) -> Result<(Json, Duration), String> {
    let mut vars: BTreeMap<String, String> =
        env.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
    vars.insert("QUIET".into(), "1".into());
    let host = crate::host::with_geppetto(ScriptHost {
        env: vars,
        ..ScriptHost::default()
    });
    let started = Instant::now();
    let owner = Owner::spawn(host.configure(OwnerOptions::default()))
        .map_err(|error| format!("cannot start runtime: {error}"))?;
    let call = CallOptions {
        cpu_budget: CpuBudget::Unlimited,
        ..CallOptions::default()
    };
    let (name, source) = (format!("bench/{name}"), source.to_string());
    let outcome = owner
        .call_with(call, "bench-script", move |ctx| {
            if let Err(failure) = run_to_completion(ctx, &name, &source, ScriptKind::Classic) {
                return Ok(Err(format!("{name} failed: {}", failure.message)));
            }
            let result: rquickjs::Value = ctx.globals().get("benchResult")?;
            let text = ctx
                .json_stringify(result)?
                .map(|text| text.to_string())
                .transpose()?;
            Ok(text.ok_or_else(|| format!("{name} set no benchResult")))
        })
        .await;
    owner.shutdown(ShutdownMode::Abort, None).await;
    let wall = started.elapsed();
    let text = outcome.map_err(|error| error.message())??;
    let result =
        serde_json::from_str(&text).map_err(|error| format!("bad benchResult: {error}"))?;
    Ok((result, wall))
}

/// The peak resident set size of this process (`VmHWM` in `/proc/self/status`), bytes.
pub(crate) fn peak_rss_bytes() -> Result<u64, String> {
    super::owner::proc_status_bytes("VmHWM")
}

#[cfg(test)]
mod tests {
    use super::*;

    // Tiny sizes: these check that each workload runs and that its verification holds, not speed.

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn runs_workload_verifies_every_run() {
        let report = runs(20).await.unwrap();
        assert_eq!(report.script["runs"], 20);
        assert_eq!(report.script["events_checked"], 120);
        assert!(report.peak_rss_bytes > 0);
        let line = report.to_json_line();
        let parsed: Json = serde_json::from_str(&line).unwrap();
        assert_eq!(parsed["runs"], 20);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn runs_workload_fails_when_an_event_sequence_is_wrong() {
        let tampered = RUNS_SCRIPT.replace(
            "const expected = \"start,final,",
            "const expected = \"final,start,",
        );
        assert_ne!(tampered, RUNS_SCRIPT);
        let error = run_script("tampered.js", &tampered, [("N", "5".to_string())])
            .await
            .unwrap_err();
        assert!(
            error.contains("FAILED ok=5 toolCalls=5 badEvents=5"),
            "{error}"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn stream_workload_verifies_every_text_and_delta() {
        let report = stream(3, 50, None).await.unwrap();
        assert_eq!(report.count, 150);
        assert_eq!(report.script["deltas"], 150);
    }

    /// Stress (size: `GEPPETTO_STRESS_STREAM_DELTAS`, default 6,000, past the delivery backlog
    /// bound): a listener slower than the stream holds the reading back; every event arrives, in
    /// order, each `completion` exactly the text up to its delta, and the promise settles last.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_slow_listener_loses_and_reorders_no_event() {
        let deltas: u64 = std::env::var("GEPPETTO_STRESS_STREAM_DELTAS")
            .ok()
            .and_then(|text| text.parse().ok())
            .unwrap_or(6000);
        let server = FakeOpenAi::start().await.unwrap();
        let script = r#"
            const gp = require("geppetto");
            const K = Number(ENV.K);
            const engine = gp.engines.fromConfig({ apiType: "openai", baseURL: ENV.BASE_URL, apiKey: "t", model: "m", maxTokens: K });
            const handle = gp.createSession({ engine }).start({ blocks: [{ kind: "user", role: "user", payload: { text: "go" } }] });
            let count = 0, bad = 0, late = 0, settled = false;
            handle.on("partial", (event) => {
                if (settled) late++;
                count++;
                if (event.delta !== "tok " || event.completion.length !== 4 * count) bad++;
                const until = Date.now() + (count % 500 === 0 ? 100 : 0);
                while (Date.now() < until) {}
            });
            handle.promise.then((out) => {
                settled = true;
                const text = out.blocks[out.blocks.length - 1].payload.text;
                globalThis.benchResult = { count, bad, late, ok: text === "tok ".repeat(K) };
            });
        "#;
        let env = [
            ("K", deltas.to_string()),
            ("BASE_URL", server.base_url().to_string()),
        ];
        let (result, _) = tokio::time::timeout(
            Duration::from_secs(120),
            run_script("slow_listener.js", script, env),
        )
        .await
        .expect("no end within 120 s")
        .unwrap();
        assert_eq!(
            result,
            json!({"count": deltas, "bad": 0, "late": 0, "ok": true})
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn stream_workload_fails_when_a_text_is_wrong() {
        let tampered = STREAM_SCRIPT.replace("\"tok \".repeat(K)", "\"tik \".repeat(K)");
        assert_ne!(tampered, STREAM_SCRIPT);
        let error = stream_with(&tampered, 2, 10, None).await.unwrap_err();
        assert!(error.contains("FAILED ok=0/2"), "{error}");
    }
}
