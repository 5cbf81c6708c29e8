//! `geppetto bench`: benchmarks of the runtime.
//!
//! - [`owner`]: the runtime-owner benchmark (`geppetto bench owner`, `cargo bench --bench owner`).

pub mod owner;

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

/// Runs a benchmark and prints its report; exit status 1 when it could not be measured (missed
/// targets are reported, not failures).
pub async fn run(which: BenchCommand) -> ExitCode {
    match which {
        BenchCommand::Owner(args) => {
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
    }
}
