//! The `geppetto` command line: `run` a script, `bench` the owner.

pub mod bench;
mod run;

use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::prelude::*;

use crate::telemetry::otlp::{self, OtlpError, OtlpExporter};
use crate::telemetry::{LineFormat, SpanLogLayer};

/// Script LLM inference in JavaScript.
#[derive(Debug, Parser)]
#[command(name = "geppetto", version, about)]
pub struct Cli {
    /// Write log events and closed spans (name, fields, duration, parents) to stderr in this
    /// format, filtered by RUST_LOG (default `warn,geppetto=info`). Without it, only warnings and
    /// errors are logged, as text, and no span.
    #[arg(long, value_enum, global = true)]
    pub log_format: Option<LogFormat>,
    /// Export spans over OTLP/HTTP to this collector base URL (for example
    /// `http://127.0.0.1:4318`; `/v1/traces` is appended). Default: OTEL_EXPORTER_OTLP_ENDPOINT.
    /// The service name is OTEL_SERVICE_NAME, else `geppetto`.
    #[arg(long, value_name = "URL", global = true)]
    pub otlp_endpoint: Option<String>,
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

impl LogFormat {
    fn line_format(self) -> LineFormat {
        match self {
            LogFormat::Text => LineFormat::Text,
            LogFormat::Json => LineFormat::Json,
        }
    }
}

/// The `RUST_LOG` default when logging is on (`--log-format` or OTLP export): geppetto's info
/// spans and events, everything else from warnings.
pub const DEFAULT_LOG_FILTER: &str = "warn,geppetto=info";

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
    let exporter = match init_tracing(&cli) {
        Ok(exporter) => exporter,
        Err(error) => {
            eprintln!("geppetto: {error}");
            return ExitCode::FAILURE;
        }
    };
    let status = run_command(cli.command);
    if let Some(exporter) = exporter
        && let Err(error) = exporter.shutdown()
    {
        eprintln!("geppetto: {error}");
    }
    status
}

fn run_command(command: Command) -> ExitCode {
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
    match command {
        Command::Run(args) => runtime.block_on(run::run(args)),
        Command::Bench { which } => runtime.block_on(bench::run(which)),
    }
}

/// Installs the process's subscriber: `--log-format` lines (or plain warnings) on stderr and the
/// OTLP exporter when an endpoint is given (flag, else `OTEL_EXPORTER_OTLP_ENDPOINT`), filtered by
/// `RUST_LOG`. Returns the exporter, to be shut down (flushed) before the process exits.
fn init_tracing(cli: &Cli) -> Result<Option<OtlpExporter>, OtlpError> {
    let endpoint = cli
        .otlp_endpoint
        .clone()
        .or_else(|| non_empty_env("OTEL_EXPORTER_OTLP_ENDPOINT"));
    let exporter = match endpoint {
        Some(endpoint) => {
            let service = non_empty_env("OTEL_SERVICE_NAME")
                .unwrap_or_else(|| otlp::DEFAULT_SERVICE_NAME.to_string());
            Some(OtlpExporter::new(&endpoint, &service)?)
        }
        None => None,
    };
    let default_filter = if cli.log_format.is_some() || exporter.is_some() {
        DEFAULT_LOG_FILTER
    } else {
        "warn"
    };
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    let plain = cli
        .log_format
        .is_none()
        .then(|| tracing_subscriber::fmt::layer().with_writer(std::io::stderr));
    let lines = cli
        .log_format
        .map(|format| SpanLogLayer::new(format.line_format(), std::io::stderr));
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(plain)
        .with(lines)
        .with(exporter.as_ref().map(OtlpExporter::layer))
        .try_init();
    Ok(exporter)
}

/// The value of the environment variable `name`, unless unset or empty.
fn non_empty_env(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .filter(|value| !value.trim().is_empty())
}
