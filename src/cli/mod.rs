//! The `geppetto` command line: `run` a script, `bench` the owner.

pub mod bench;
mod run;

use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

/// Script LLM inference in JavaScript.
#[derive(Debug, Parser)]
#[command(name = "geppetto", version, about)]
pub struct Cli {
    /// Log output format.
    #[arg(long, value_enum, default_value_t = LogFormat::Text, global = true)]
    pub log_format: LogFormat,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Log output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a script (`.js` classic script, `.mjs` ES module).
    Run(run::RunArgs),
    /// Run a benchmark.
    Bench {
        /// Which benchmark.
        #[command(subcommand)]
        which: bench::BenchCommand,
    },
}

/// Entry point of the binary: parses arguments, sets up logging and a tokio runtime, and runs the
/// subcommand.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing(cli.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("geppetto-tokio")
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("cannot start the tokio runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match cli.command {
        Command::Run(args) => runtime.block_on(run::run(args)),
        Command::Bench { which } => runtime.block_on(bench::run(which)),
    }
}

/// Logs to stderr, filtered by `RUST_LOG` (default `warn`).
fn init_tracing(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}
