//! `geppetto run <script>`: the script harness.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Args;

use crate::owner::{CallOptions, Owner, OwnerOptions, ShutdownMode};
use crate::runtime::{ScriptFailure, ScriptHost, ScriptKind, run_to_completion};

/// Arguments of `geppetto run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The script to run (`.js`: classic script; `.mjs`: ES module).
    pub script: Option<PathBuf>,
    /// Evaluate the script as an ES module whatever its extension.
    #[arg(long)]
    pub module: bool,
    /// Print the names of the host tools and exit.
    #[arg(long = "list-go-tools", alias = "list-host-tools")]
    pub list_go_tools: bool,
    /// Print the owner's statistics (per-op counts, queue wait and execution percentiles) to
    /// stderr when the script ends.
    #[arg(long)]
    pub owner_stats: bool,
}

/// Runs the script; exit status 0 on success, 1 on any failure.
pub async fn run(args: RunArgs) -> ExitCode {
    if args.list_go_tools {
        for name in crate::host::host_tool_names() {
            println!("{name}");
        }
        return ExitCode::SUCCESS;
    }
    let Some(path) = args.script else {
        eprintln!("geppetto run: missing <script> argument (a .js or .mjs file)");
        return ExitCode::FAILURE;
    };
    let display = path.display().to_string();
    let source = match std::fs::read_to_string(&path) {
        Ok(source) => source,
        Err(error) => {
            eprintln!("js execution failed ({display}): cannot read script: {error}");
            return ExitCode::FAILURE;
        }
    };
    let kind = if args.module {
        ScriptKind::Module
    } else {
        ScriptKind::for_path(&path)
    };
    let name = std::fs::canonicalize(&path)
        .unwrap_or(path.clone())
        .display()
        .to_string();
    let host = ScriptHost {
        env: std::env::vars().collect(),
        ..ScriptHost::default()
    };
    let host = crate::host::with_geppetto(host);
    let host = crate::host::with_database(host, crate::bridge::DatabaseSource::Unconfigured);
    let options = host.configure(OwnerOptions::default());
    let owner = match Owner::spawn(options) {
        Ok(owner) => owner,
        Err(error) => {
            eprintln!("js execution failed ({display}): cannot start runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let call = CallOptions {
        cpu_budget: Some(None),
        ..CallOptions::default()
    };
    let name = Arc::<str>::from(name);
    let result = owner
        .call_with(call, "eval", move |ctx| {
            Ok(run_to_completion(ctx, &name, &source, kind))
        })
        .await;
    if args.owner_stats {
        eprintln!("{:#?}", owner.stats());
    }
    owner.shutdown(ShutdownMode::Abort, None).await;
    let failure = match result {
        Ok(Ok(())) => return ExitCode::SUCCESS,
        Ok(Err(failure)) => failure,
        Err(error) => ScriptFailure {
            message: error.message(),
            stack: None,
        },
    };
    eprintln!("js execution failed ({display}): {}", failure.message);
    if let Some(stack) = failure.stack {
        eprintln!("{}", stack.trim_end());
    }
    ExitCode::FAILURE
}
