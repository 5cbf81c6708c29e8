//! Many scripts across a pool of owners: M agent scripts are placed on N owners (least-loaded),
//! each script's session then serves R runs started from Rust, and the example prints the
//! throughput and per-owner statistics. A session stays on the owner whose runtime created it.
//!
//!     cargo run --release --example embed_pool -- [owners N=2] [scripts M=8] [runs per script R=50]
//!     cargo run --release --example embed_pool -- idle [owners N=1000]
//!
//! The `idle` form spawns N owners with the `geppetto` module loaded and reports the time it took
//! and the process's resident memory before and after (Linux `/proc/self/status`).
//!
//! Each run calls a JS engine twice and a JS tool once (three owner hops), with a little JS work in
//! each, so the owners' threads, not tokio, are the bottleneck; see docs/embedding.md for numbers.

use std::time::Instant;

use geppetto::embed::{Block, EmbedError, JsName, RunSettings, Runtime, Script, Turn};

/// One agent script; `{ ... }` keeps its declarations apart from other scripts on the same
/// owner, and it stores its session in the global `SESSION`.
const AGENT: &str = r#"{
  const gp = require("geppetto");
  // A little CPU work per callback, like a real prompt builder or tool would do.
  const work = (n) => { let s = 0; for (let i = 0; i < n; i++) s += Math.sqrt(i); return s; };
  const engine = gp.engines.fromFunction((turn) => {
    work(2000);
    const use = turn.blocks.find((b) => b.kind === "tool_use");
    turn.blocks.push(use
      ? gp.turns.newAssistantBlock("done " + use.payload.result)
      : gp.turns.newToolCallBlock("c1", "work", { n: 1000 }));
    return turn;
  });
  const tools = gp.tools.createRegistry().register({ name: "work", handler: ({ n }) => Math.round(work(n)) });
  globalThis.SESSION = gp.createSession({ engine, tools });
}"#;

fn arg(index: usize, default: usize) -> usize {
    std::env::args()
        .nth(index)
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}

/// Resident memory of this process in KiB (0 where `/proc` is unavailable).
fn resident_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("VmRSS:"))
                .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

async fn idle(owners: usize) -> Result<(), EmbedError> {
    let before = resident_kib();
    let started = Instant::now();
    let runtime = Runtime::builder()
        .name("idle")
        .geppetto()
        .owners(owners)
        .spawn()?;
    let elapsed = started.elapsed();
    let after = resident_kib();
    println!(
        "{owners} idle owner(s): spawned in {elapsed:.2?} ({:.2?} each), resident {} MiB -> {} MiB ({} KiB per owner)",
        elapsed / owners as u32,
        before / 1024,
        after / 1024,
        after.saturating_sub(before) / owners as u64
    );
    let started = Instant::now();
    runtime.shutdown(None).await;
    println!("shut down in {:.2?}", started.elapsed());
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), EmbedError> {
    if std::env::args().nth(1).as_deref() == Some("idle") {
        return idle(arg(2, 1000).max(1)).await;
    }
    let owners = arg(1, 2).max(1);
    let scripts = arg(2, 8).max(1);
    let runs = arg(3, 50).max(1);
    let runtime = Runtime::builder()
        .name("pool")
        .geppetto()
        .owners(owners)
        .spawn()?;

    // Place the scripts: each goes to the least-loaded owner at the time.
    let mut placed = Vec::new();
    for index in 0..scripts {
        let global = format!("session_{index}");
        let source = AGENT.replace("SESSION", &global);
        let instance = runtime
            .eval(Script::classic(&format!("agent-{index}.js"), &source))
            .await?;
        placed.push((instance, global));
    }

    let started = Instant::now();
    let mut tasks = Vec::new();
    for (instance, global) in &placed {
        let (instance, global) = (instance.clone(), global.clone());
        tasks.push(tokio::spawn(async move {
            // One session per script runs its runs one after another (a session runs one at a
            // time); the scripts run concurrently.
            for _ in 0..runs {
                instance
                    .start(
                        JsName::global(&global),
                        Turn::new().with_block(Block::user("go")),
                        RunSettings::new(),
                    )
                    .await?
                    .outcome()
                    .await?;
            }
            Ok::<_, EmbedError>(())
        }));
    }
    for task in tasks {
        task.await.expect("a script task panicked")?;
    }
    let elapsed = started.elapsed();
    let total = scripts * runs;
    println!(
        "{owners} owner(s), {scripts} script(s), {total} runs in {:.2?}: {:.0} runs/s",
        elapsed,
        total as f64 / elapsed.as_secs_f64()
    );
    for (instance, stats) in runtime.instances().iter().zip(runtime.stats()) {
        let hosted = placed
            .iter()
            .filter(|(placed, _)| placed.name() == instance.name())
            .count();
        println!(
            "  {}: {hosted} script(s), {} item(s), exec p50 {:?} p99 {:?}, queue max {}",
            instance.name(),
            stats.exec.count,
            stats.exec.p50,
            stats.exec.p99,
            stats.queue_depth_max
        );
    }
    runtime.shutdown(None).await;
    Ok(())
}
