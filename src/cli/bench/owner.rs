//! The owner benchmark: each measure of the runtime owner next to its raw flume baseline, taken in
//! the same run, plus the resident memory of idle owners.
//!
//! Shared by `geppetto bench owner` and `cargo bench --bench owner`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::owner::{CallbackId, Owner, OwnerHandle, OwnerOptions, ShutdownMode, local};
use crate::runtime::ScriptHost;

/// Target: `call` p50 at most this many times the flume ping-pong p50.
pub const TARGET_CALL_VS_FLUME_P50: f64 = 1.5;
/// Target: `post` throughput at least this fraction of the flume pipelined throughput.
pub const TARGET_POST_VS_FLUME: f64 = 0.3;
/// Target: `post` throughput in items per second, at least.
pub const TARGET_POST_PER_S: f64 = 500_000.0;
/// Target: Rust → owner → JS function → Rust round trip p50, at most (nanoseconds).
pub const TARGET_JS_HOP_P50_NS: u64 = 30_000;
/// Target: resident memory per idle owner, at most (bytes).
pub const TARGET_IDLE_OWNER_RSS_BYTES: u64 = 1_500_000;

/// How much to measure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnerBenchOptions {
    /// Timed round trips per latency measure (`call`, flume ping-pong, JS hop). Each measure
    /// first runs a tenth of this (at least 1,000) untimed, as warm-up.
    pub iterations: usize,
    /// Items per pipelined throughput run (`post` and the flume baseline). Each is preceded by an
    /// untimed warm-up run of a tenth of this.
    pub posts: usize,
    /// Idle owners spawned for the memory measure.
    pub owners: usize,
}

impl Default for OwnerBenchOptions {
    /// 20,000 latency iterations, 200,000 posts, 200 owners.
    fn default() -> OwnerBenchOptions {
        OwnerBenchOptions {
            iterations: 20_000,
            posts: 200_000,
            owners: 200,
        }
    }
}

/// Which targets a report meets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct TargetsMet {
    /// `call` p50 ≤ 1.5 × flume ping-pong p50.
    pub call: bool,
    /// `post` ≥ 0.3 × the flume pipelined rate and ≥ 500,000 items/s.
    pub post: bool,
    /// JS hop p50 ≤ 30 µs.
    pub js_hop: bool,
    /// Idle owner ≤ 1.5 MB resident.
    pub idle_owner: bool,
}

impl TargetsMet {
    /// Whether every target is met.
    pub fn all(&self) -> bool {
        self.call && self.post && self.js_hop && self.idle_owner
    }
}

/// The numbers of one benchmark run. Latencies are nanoseconds, nearest-rank percentiles of every
/// timed iteration; rates are items per second.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OwnerBenchReport {
    /// `call` of a trivial closure from a tokio task, p50.
    pub call_p50_ns: u64,
    /// `call` of a trivial closure from a tokio task, p99.
    pub call_p99_ns: u64,
    /// Raw flume request/reply ping-pong between a tokio task and a std thread, p50.
    pub flume_pingpong_p50_ns: u64,
    /// Raw flume request/reply ping-pong between a tokio task and a std thread, p99.
    pub flume_pingpong_p99_ns: u64,
    /// `call_p50_ns / flume_pingpong_p50_ns`.
    pub call_vs_flume_p50: f64,
    /// Pipelined `post` of trivial closures from one tokio task, items per second (median of the
    /// rounds).
    pub post_per_s: f64,
    /// Raw flume pipelined boxed closures (bounded(1024)) to a std thread, items per second
    /// (median of the rounds).
    pub flume_post_per_s: f64,
    /// `post_per_s / flume_post_per_s`.
    pub post_vs_flume: f64,
    /// Rust task → owner → JS function with a small JSON argument → result back, p50.
    pub js_hop_p50_ns: u64,
    /// Rust task → owner → JS function with a small JSON argument → result back, p99.
    pub js_hop_p99_ns: u64,
    /// Resident memory added per idle owner (script harness loaded), bytes.
    pub idle_owner_rss_bytes: u64,
    /// How many idle owners the memory measure spawned.
    pub owners: usize,
    /// Process VmRSS before spawning the idle owners, bytes.
    pub rss_before_bytes: u64,
    /// Process VmRSS with the idle owners alive, bytes.
    pub rss_after_bytes: u64,
    /// Timed iterations per latency measure.
    pub iterations: usize,
    /// Items per throughput run.
    pub posts: usize,
    /// CPUs available to this process.
    pub cpus: usize,
    /// Wall time of the whole benchmark, milliseconds.
    pub elapsed_ms: u64,
    /// Which targets were met.
    pub targets_met: TargetsMet,
}

impl OwnerBenchReport {
    /// The report as one line of JSON.
    pub fn to_json_line(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|error| format!("{{\"error\":\"{error}\"}}"))
    }

    /// The report as a human-readable table.
    pub fn to_text(&self) -> String {
        let yes = |met: bool| if met { "yes" } else { "NO" };
        let mut out = String::new();
        out.push_str(&format!(
            "geppetto bench owner: {} iterations per latency measure, {} items per throughput run, {} idle owners, {} CPUs, {:.1} s\n\n",
            self.iterations,
            self.posts,
            self.owners,
            self.cpus,
            self.elapsed_ms as f64 / 1000.0
        ));
        out.push_str(&format!(
            "{:<34} {:>14} {:>14} {:>10}  {:<30} {}\n",
            "measure", "owner", "flume baseline", "ratio", "target", "met"
        ));
        out.push_str(&format!(
            "{:<34} {:>14} {:>14} {:>10}  {:<30} {}\n",
            "call round trip p50",
            micros(self.call_p50_ns),
            micros(self.flume_pingpong_p50_ns),
            format!("{:.2}x", self.call_vs_flume_p50),
            "<= 1.5x flume p50",
            yes(self.targets_met.call)
        ));
        out.push_str(&format!(
            "{:<34} {:>14} {:>14} {:>10}  {:<30} {}\n",
            "call round trip p99",
            micros(self.call_p99_ns),
            micros(self.flume_pingpong_p99_ns),
            format!(
                "{:.2}x",
                ratio(self.call_p99_ns as f64, self.flume_pingpong_p99_ns as f64)
            ),
            "-",
            "-"
        ));
        out.push_str(&format!(
            "{:<34} {:>14} {:>14} {:>10}  {:<30} {}\n",
            "post throughput (items/s)",
            rate(self.post_per_s),
            rate(self.flume_post_per_s),
            format!("{:.2}x", self.post_vs_flume),
            ">= 0.3x flume and >= 500k/s",
            yes(self.targets_met.post)
        ));
        out.push_str(&format!(
            "{:<34} {:>14} {:>14} {:>10}  {:<30} {}\n",
            "JS hop (JSON arg, result) p50",
            micros(self.js_hop_p50_ns),
            "-",
            "-",
            "<= 30 us",
            yes(self.targets_met.js_hop)
        ));
        out.push_str(&format!(
            "{:<34} {:>14} {:>14} {:>10}  {:<30} {}\n",
            "JS hop (JSON arg, result) p99",
            micros(self.js_hop_p99_ns),
            "-",
            "-",
            "-",
            "-"
        ));
        out.push_str(&format!(
            "{:<34} {:>14} {:>14} {:>10}  {:<30} {}\n",
            format!("idle owner RSS (over {} owners)", self.owners),
            format!("{:.0} KiB", self.idle_owner_rss_bytes as f64 / 1024.0),
            "-",
            "-",
            "<= 1.5 MB",
            yes(self.targets_met.idle_owner)
        ));
        out.push_str(&format!(
            "\nVmRSS {:.1} MiB before the idle owners, {:.1} MiB with them\n",
            self.rss_before_bytes as f64 / (1024.0 * 1024.0),
            self.rss_after_bytes as f64 / (1024.0 * 1024.0)
        ));
        out
    }
}

fn micros(ns: u64) -> String {
    format!("{:.2} us", ns as f64 / 1000.0)
}

fn rate(per_s: f64) -> String {
    if per_s >= 1_000_000.0 {
        format!("{:.2} M/s", per_s / 1_000_000.0)
    } else {
        format!("{:.0} k/s", per_s / 1000.0)
    }
}

fn ratio(a: f64, b: f64) -> f64 {
    if b > 0.0 { a / b } else { f64::INFINITY }
}

/// The `q` quantile (0..=1) of `sorted` by nearest rank; 0 for no samples.
pub fn percentile(sorted: &[u64], q: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

/// The median of `values` (the mean of the middle two for an even count); 0 for none.
fn median(mut values: Vec<f64>) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    values.sort_by(f64::total_cmp);
    let middle = values.len() / 2;
    if values.len().is_multiple_of(2) {
        (values[middle - 1] + values[middle]) / 2.0
    } else {
        values[middle]
    }
}

/// Sorts `samples` and returns its (p50, p99).
fn p50_p99(mut samples: Vec<u64>) -> (u64, u64) {
    samples.sort_unstable();
    (percentile(&samples, 0.50), percentile(&samples, 0.99))
}

fn nanos(elapsed: Duration) -> u64 {
    u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX)
}

/// Rounds each measure is split into; the rounds of a measure and of its baseline alternate.
const ROUNDS: usize = 10;

/// Untimed warm-up iterations before `count` timed ones.
fn warmup_of(count: usize) -> usize {
    (count / 10).max(1_000)
}

/// Runs every measure once: the latencies (flume ping-pong, `call`, JS hop, in alternating
/// rounds), the throughputs (flume pipelined, `post`, in alternating rounds), then the idle-owner
/// memory. Must run inside a tokio runtime
/// with worker threads (the timed loops run on spawned tokio tasks, the owners on their own
/// threads).
pub async fn owner_report(options: &OwnerBenchOptions) -> Result<OwnerBenchReport, String> {
    let started = Instant::now();
    let iterations = options.iterations.max(1);
    let posts = options.posts.max(1);
    let owners = options.owners.max(1);

    let owner = Owner::spawn(OwnerOptions {
        name: "bench".into(),
        ..OwnerOptions::default()
    })
    .map_err(|error| error.to_string())?;

    let latencies = latencies(owner.clone(), iterations).await?;
    let (post_per_s, flume_post_per_s) = throughputs(owner.clone(), posts).await?;
    owner.shutdown(ShutdownMode::Drain, None).await;
    drop(owner);

    let (rss_before_bytes, rss_after_bytes) =
        tokio::task::spawn_blocking(move || idle_owners(owners))
            .await
            .map_err(|error| format!("idle-owner measure failed: {error}"))??;
    let idle_owner_rss_bytes = rss_after_bytes.saturating_sub(rss_before_bytes) / owners as u64;

    let (call_p50_ns, call_p99_ns) = p50_p99(latencies.call);
    let (flume_pingpong_p50_ns, flume_pingpong_p99_ns) = p50_p99(latencies.flume);
    let (js_hop_p50_ns, js_hop_p99_ns) = p50_p99(latencies.js_hop);
    let call_vs_flume_p50 = ratio(call_p50_ns as f64, flume_pingpong_p50_ns as f64);
    let post_vs_flume = ratio(post_per_s, flume_post_per_s);
    let targets_met = TargetsMet {
        call: call_vs_flume_p50 <= TARGET_CALL_VS_FLUME_P50,
        post: post_vs_flume >= TARGET_POST_VS_FLUME && post_per_s >= TARGET_POST_PER_S,
        js_hop: js_hop_p50_ns <= TARGET_JS_HOP_P50_NS,
        idle_owner: idle_owner_rss_bytes <= TARGET_IDLE_OWNER_RSS_BYTES,
    };
    Ok(OwnerBenchReport {
        call_p50_ns,
        call_p99_ns,
        flume_pingpong_p50_ns,
        flume_pingpong_p99_ns,
        call_vs_flume_p50,
        post_per_s,
        flume_post_per_s,
        post_vs_flume,
        js_hop_p50_ns,
        js_hop_p99_ns,
        idle_owner_rss_bytes,
        owners,
        rss_before_bytes,
        rss_after_bytes,
        iterations,
        posts,
        cpus: std::thread::available_parallelism().map_or(1, usize::from),
        elapsed_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        targets_met,
    })
}

/// [`owner_report`] on a fresh multi-threaded tokio runtime built like the CLI's (for
/// `cargo bench`, outside any runtime).
pub fn owner_report_blocking(options: &OwnerBenchOptions) -> Result<OwnerBenchReport, String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("geppetto-tokio")
        .build()
        .map_err(|error| format!("cannot start the tokio runtime: {error}"))?;
    runtime.block_on(owner_report(options))
}

/// Runs `body` on a tokio task (a worker thread, like real callers) and waits for it.
async fn on_task<T, F>(what: &str, body: F) -> Result<T, String>
where
    T: Send + 'static,
    F: Future<Output = Result<T, String>> + Send + 'static,
{
    tokio::spawn(body)
        .await
        .map_err(|error| format!("{what}: task failed: {error}"))?
}

/// Splits `total` into [`ROUNDS`] round sizes (the last may be smaller).
fn rounds(total: usize) -> impl Iterator<Item = usize> {
    let per_round = total.div_ceil(ROUNDS).max(1);
    (0..total)
        .step_by(per_round)
        .map(move |done| per_round.min(total - done))
}

/// Timed samples of the three latency measures, nanoseconds.
struct Latencies {
    call: Vec<u64>,
    flume: Vec<u64>,
    js_hop: Vec<u64>,
}

/// (a), (b) and (d): one tokio task warms each measure up, then runs them in alternating rounds
/// (flume ping-pong, `call`, JS hop, flume ping-pong, ...) so scheduling conditions that drift
/// during the run (which CPUs the threads share, frequency) hit the owner and its baseline alike.
async fn latencies(owner: OwnerHandle, iterations: usize) -> Result<Latencies, String> {
    let id = register_js_hop(&owner).await?;
    let (echo, echo_thread) = FlumeEcho::spawn()?;
    let result = on_task("latency", async move {
        let warmup = warmup_of(iterations);
        let mut scratch = Vec::with_capacity(warmup);
        echo.round(warmup, &mut scratch).await?;
        call_round(&owner, warmup, &mut scratch).await?;
        js_hop_round(&owner, id, warmup, &mut scratch).await?;
        let mut out = Latencies {
            call: Vec::with_capacity(iterations),
            flume: Vec::with_capacity(iterations),
            js_hop: Vec::with_capacity(iterations),
        };
        for count in rounds(iterations) {
            echo.round(count, &mut out.flume).await?;
            call_round(&owner, count, &mut out.call).await?;
            js_hop_round(&owner, id, count, &mut out.js_hop).await?;
        }
        Ok(out)
    })
    .await;
    let _ = echo_thread.join();
    result
}

/// (a) `count` `call` round trips of a trivial closure.
async fn call_round(
    owner: &OwnerHandle,
    count: usize,
    samples: &mut Vec<u64>,
) -> Result<(), String> {
    for i in 0..count {
        let start = Instant::now();
        let result = owner.call("bench-call", move |_| Ok(black_box(i))).await;
        samples.push(nanos(start.elapsed()));
        result.map_err(|error| format!("call failed: {error}"))?;
    }
    Ok(())
}

/// (b) The baseline of (a): a tokio task sends a request on a bounded flume channel, a dedicated
/// std thread receives it (blocking) and replies on another flume channel, the task awaits it.
struct FlumeEcho {
    request_tx: flume::Sender<usize>,
    reply_rx: flume::Receiver<usize>,
}

impl FlumeEcho {
    /// Starts the echo thread; it ends when the returned `FlumeEcho` is dropped.
    fn spawn() -> Result<(FlumeEcho, std::thread::JoinHandle<()>), String> {
        let (request_tx, request_rx) = flume::bounded::<usize>(1024);
        let (reply_tx, reply_rx) = flume::bounded::<usize>(1);
        let thread = std::thread::Builder::new()
            .name("bench-flume-echo".into())
            .spawn(move || {
                while let Ok(request) = request_rx.recv() {
                    if reply_tx.send(black_box(request)).is_err() {
                        break;
                    }
                }
            })
            .map_err(|error| format!("cannot spawn the flume echo thread: {error}"))?;
        Ok((
            FlumeEcho {
                request_tx,
                reply_rx,
            },
            thread,
        ))
    }

    /// `count` timed ping-pongs.
    async fn round(&self, count: usize, samples: &mut Vec<u64>) -> Result<(), String> {
        let fail = || "flume ping-pong: echo thread gone".to_string();
        for i in 0..count {
            let start = Instant::now();
            self.request_tx.send_async(i).await.map_err(|_| fail())?;
            let reply = self.reply_rx.recv_async().await;
            samples.push(nanos(start.elapsed()));
            reply.map_err(|_| fail())?;
        }
        Ok(())
    }
}

/// The JS function of the JS hop.
const JS_HOP_FUNCTION: &str = "(x) => ({ n: x.n + 1, tag: x.tag })";

/// Registers [`JS_HOP_FUNCTION`] in the owner's callback table.
async fn register_js_hop(owner: &OwnerHandle) -> Result<CallbackId, String> {
    owner
        .call("bench-js-register", |ctx| {
            let function: rquickjs::Value = ctx.eval(JS_HOP_FUNCTION)?;
            Ok(local::register_callback(ctx, function))
        })
        .await
        .map_err(|error| format!("JS hop: cannot register the function: {error}"))?
        .ok_or_else(|| "JS hop: cannot register the function".to_string())
}

/// (d) `count` timed JS hops, each result checked (after timing).
async fn js_hop_round(
    owner: &OwnerHandle,
    id: CallbackId,
    count: usize,
    samples: &mut Vec<u64>,
) -> Result<(), String> {
    for i in 0..count {
        let start = Instant::now();
        let result = js_hop(owner, id, i).await;
        samples.push(nanos(start.elapsed()));
        let result = result?;
        if result.get("n").and_then(serde_json::Value::as_u64) != Some(i as u64 + 1)
            || result.get("tag").and_then(serde_json::Value::as_str) != Some("bench")
        {
            return Err(format!("JS hop: unexpected result {result} for n = {i}"));
        }
    }
    Ok(())
}

/// One JS hop: serialize a small JSON value, parse it into JS on the owner, call the registered
/// function, stringify its result and parse it back.
async fn js_hop(
    owner: &OwnerHandle,
    id: CallbackId,
    i: usize,
) -> Result<serde_json::Value, String> {
    let argument = serde_json::json!({ "n": i, "tag": "bench" });
    let text = serde_json::to_string(&argument).map_err(|error| error.to_string())?;
    let result = owner
        .call("bench-js-hop", move |ctx| {
            let function = local::callback(ctx, id)
                .and_then(rquickjs::Value::into_function)
                .ok_or_else(|| rquickjs::Error::new_from_js("undefined", "function"))?;
            let argument = ctx.json_parse(text)?;
            let result: rquickjs::Value = function.call((argument,))?;
            match ctx.json_stringify(result)? {
                Some(text) => text.to_string(),
                None => Ok(String::new()),
            }
        })
        .await
        .map_err(|error| format!("JS hop failed: {error}"))?;
    serde_json::from_str(&result).map_err(|error| format!("JS hop: bad result {result:?}: {error}"))
}

/// (c) One pipelined `post` run of `count` trivial closures, then a `call` to wait for them;
/// returns its duration.
async fn post_run(owner: &OwnerHandle, count: usize) -> Result<Duration, String> {
    let fail = |error: crate::owner::OwnerError| format!("post failed: {error}");
    let start = Instant::now();
    for i in 0..count {
        owner
            .post("bench-post", move |_| {
                black_box(i);
                Ok(())
            })
            .await
            .map_err(fail)?;
    }
    owner
        .call("bench-post-done", |_| Ok(()))
        .await
        .map_err(fail)?;
    Ok(start.elapsed())
}

type BoxedWork = Box<dyn FnOnce() + Send>;

/// (c) baseline: one pipelined run of `count` boxed closures over `tx`, then one that signals
/// completion; returns its duration.
async fn flume_post_run(tx: &flume::Sender<BoxedWork>, count: usize) -> Result<Duration, String> {
    let fail = || "flume post: worker thread gone".to_string();
    let start = Instant::now();
    for i in 0..count {
        tx.send_async(Box::new(move || {
            black_box(i);
        }))
        .await
        .map_err(|_| fail())?;
    }
    let (done_tx, done_rx) = flume::bounded::<()>(1);
    tx.send_async(Box::new(move || {
        let _ = done_tx.send(());
    }))
    .await
    .map_err(|_| fail())?;
    done_rx.recv_async().await.map_err(|_| fail())?;
    Ok(start.elapsed())
}

/// (c): pipelined `post` and its raw flume baseline (a tokio task sends boxed closures over a
/// bounded(1024) flume channel to a std thread that runs them), each warmed up, then in
/// alternating rounds on one tokio task. Returns the median over rounds of (post, flume) items
/// per second (the median resists a round disturbed by other processes on a shared machine).
async fn throughputs(owner: OwnerHandle, posts: usize) -> Result<(f64, f64), String> {
    let (tx, rx) = flume::bounded::<BoxedWork>(1024);
    let worker = std::thread::Builder::new()
        .name("bench-flume-worker".into())
        .spawn(move || {
            while let Ok(work) = rx.recv() {
                work();
            }
        })
        .map_err(|error| format!("cannot spawn the flume worker thread: {error}"))?;
    let rates = on_task("throughput", async move {
        let warmup = warmup_of(posts);
        flume_post_run(&tx, warmup).await?;
        post_run(&owner, warmup).await?;
        let (mut flume_rates, mut post_rates) = (Vec::new(), Vec::new());
        for count in rounds(posts) {
            let elapsed = flume_post_run(&tx, count).await?;
            flume_rates.push(count as f64 / elapsed.as_secs_f64());
            let elapsed = post_run(&owner, count).await?;
            post_rates.push(count as f64 / elapsed.as_secs_f64());
        }
        Ok((median(post_rates), median(flume_rates)))
    })
    .await;
    let _ = worker.join();
    rates
}

/// (e) Spawns `count` owners with the script harness (as `geppetto run` does), loads the
/// `geppetto` module in each (`require("geppetto")`), and returns VmRSS (before, after). Blocking:
/// run it off the async workers.
fn idle_owners(count: usize) -> Result<(u64, u64), String> {
    let before = vm_rss_bytes()?;
    let mut owners = Vec::with_capacity(count);
    for i in 0..count {
        let host = crate::host::with_geppetto(ScriptHost::default());
        let options = host.configure(OwnerOptions {
            name: format!("idle-{i}"),
            ..OwnerOptions::default()
        });
        owners.push(Owner::spawn(options).map_err(|error| format!("owner {i}: {error}"))?);
    }
    for owner in &owners {
        owner
            .call_blocking("bench-idle", |ctx| {
                ctx.eval::<(), _>("require(\"geppetto\");")
            })
            .map_err(|error| format!("idle owner call failed: {error}"))?;
    }
    let after = vm_rss_bytes()?;
    drop(owners);
    Ok((before, after))
}

/// This process's resident set size (`VmRSS` in `/proc/self/status`), bytes.
pub fn vm_rss_bytes() -> Result<u64, String> {
    proc_status_bytes("VmRSS")
}

/// A `kB` field of `/proc/self/status` (`VmRSS`, `VmHWM`, ...), in bytes.
pub(crate) fn proc_status_bytes(field: &str) -> Result<u64, String> {
    let status = std::fs::read_to_string("/proc/self/status")
        .map_err(|error| format!("cannot read /proc/self/status: {error}"))?;
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|rest| rest.trim().strip_suffix("kB"))
        .and_then(|kib| kib.trim().parse::<u64>().ok())
        .map(|kib| kib * 1024)
        .ok_or_else(|| format!("no {field} in /proc/self/status"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_by_nearest_rank() {
        let samples: Vec<u64> = (1..=100).collect();
        assert_eq!(percentile(&samples, 0.50), 50);
        assert_eq!(percentile(&samples, 0.99), 99);
        assert_eq!(percentile(&samples, 1.0), 100);
        assert_eq!(percentile(&[7], 0.99), 7);
        assert_eq!(percentile(&[], 0.5), 0);
    }

    #[test]
    fn reads_vm_rss() {
        assert!(vm_rss_bytes().unwrap() > 0);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn small_run_produces_every_number() {
        let report = owner_report(&OwnerBenchOptions {
            iterations: 200,
            posts: 2_000,
            owners: 3,
        })
        .await
        .unwrap();
        assert!(report.call_p50_ns > 0 && report.call_p99_ns >= report.call_p50_ns);
        assert!(report.flume_pingpong_p50_ns > 0);
        assert!(report.post_per_s > 0.0 && report.flume_post_per_s > 0.0);
        assert!(report.js_hop_p50_ns > 0);
        assert_eq!(report.owners, 3);
        let json: serde_json::Value = serde_json::from_str(&report.to_json_line()).unwrap();
        for key in [
            "call_p50_ns",
            "call_p99_ns",
            "flume_pingpong_p50_ns",
            "flume_pingpong_p99_ns",
            "post_per_s",
            "flume_post_per_s",
            "js_hop_p50_ns",
            "js_hop_p99_ns",
            "idle_owner_rss_bytes",
            "owners",
            "call_vs_flume_p50",
            "post_vs_flume",
        ] {
            assert!(json.get(key).is_some(), "missing {key}");
        }
    }
}
