//! `geppetto bench`: benchmarks of the runtime.
//!
//! - [`owner`]: the runtime-owner benchmark (`geppetto bench owner`, `cargo bench --bench owner`).
//! - `runs` and `stream`: the agent-run and streaming workloads of `bench/` (`geppetto bench runs`,
//!   `geppetto bench stream`), compared with the AI SDK peer in `docs/performance.md`.

mod fake_openai;
pub mod owner;
mod workloads;

use std::process::ExitCode;

pub use owner::{
    OwnerBenchOptions, OwnerBenchReport, TargetsMet, owner_report, owner_report_blocking,
};

/// The benchmarks.
#[derive(Debug, clap::Subcommand)]
pub enum BenchCommand {
    /// Measure the runtime owner against raw flume baselines in one run: `call` round trip,
    /// pipelined `post` throughput, a Rust → JS function → Rust hop, and idle-owner memory.
    Owner(OwnerArgs),
    /// N concurrent two-step tool-loop runs on one runtime (`bench/concurrent_runs.js`: JS engine,
    /// JS middleware, JS tool), every output and event sequence verified.
    Runs(RunsArgs),
    /// N concurrent streamed runs of K deltas each on one runtime (`bench/stream_runs.js`: an
    /// OpenAI Chat Completions engine against a fake server, a `partial` listener per run), every
    /// text verified.
    Stream(StreamArgs),
}

/// Arguments of `geppetto bench runs`.
#[derive(Debug, clap::Args)]
pub struct RunsArgs {
    /// Concurrent runs.
    #[arg(long, default_value_t = 10_000)]
    pub n: u64,
    /// Print only the JSON object.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `geppetto bench stream`.
#[derive(Debug, clap::Args)]
pub struct StreamArgs {
    /// Concurrent streams.
    #[arg(long, default_value_t = 200)]
    pub n: u64,
    /// Deltas per stream (the request's `max_tokens`).
    #[arg(long, default_value_t = 1000)]
    pub k: u64,
    /// An OpenAI-compatible server to stream from (for example the peer's
    /// `fake-openai/server.mjs`: `http://127.0.0.1:8787/v1`); default: a fake server in this
    /// process, on a loopback port.
    #[arg(long)]
    pub base_url: Option<String>,
    /// Print only the JSON object.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `geppetto bench owner`.
#[derive(Debug, clap::Args)]
pub struct OwnerArgs {
    /// Print one JSON object (on the last line) instead of the table.
    #[arg(long)]
    pub json: bool,
    /// Timed round trips per latency measure.
    #[arg(long, default_value_t = OwnerBenchOptions::default().iterations)]
    pub iterations: usize,
    /// Items per pipelined throughput run.
    #[arg(long, default_value_t = OwnerBenchOptions::default().posts)]
    pub posts: usize,
    /// Idle owners spawned for the memory measure.
    #[arg(long, default_value_t = OwnerBenchOptions::default().owners)]
    pub owners: usize,
}

/// Runs a benchmark and prints its report; exit status 1 when it could not be measured or its
/// verification failed (missed targets are reported, not failures).
pub async fn run(which: BenchCommand) -> ExitCode {
    let (name, workload, json) = match which {
        BenchCommand::Runs(args) => ("runs", workloads::runs(args.n).await, args.json),
        BenchCommand::Stream(args) => (
            "stream",
            workloads::stream(args.n, args.k, args.base_url).await,
            args.json,
        ),
        BenchCommand::Owner(args) => return run_owner(args).await,
    };
    match workload {
        Ok(report) => {
            if !json {
                print!("{}", report.to_text());
            }
            println!("{}", report.to_json_line());
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("geppetto bench {name}: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run_owner(args: OwnerArgs) -> ExitCode {
    let options = OwnerBenchOptions {
        iterations: args.iterations,
        posts: args.posts,
        owners: args.owners,
    };
    match owner_report(&options).await {
        Ok(report) if args.json => {
            println!("{}", report.to_json_line());
            ExitCode::SUCCESS
        }
        Ok(report) => {
            print!("{}", report.to_text());
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("geppetto bench owner: {error}");
            ExitCode::FAILURE
        }
    }
}
