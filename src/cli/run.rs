//! `geppetto run <script>`: the script harness.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Args;

use crate::inference::agent::TurnStore;
use crate::owner::{CallOptions, Owner, OwnerOptions, ShutdownMode};
use crate::runtime::{ScriptFailure, ScriptHost, ScriptKind, run_to_completion};
use crate::stores::{SqliteLocation, SqliteTurnStore};

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
    /// Set `globalThis.NAME` to the string VALUE before the script runs (repeatable).
    #[arg(long = "global", value_name = "NAME=VALUE")]
    pub globals: Vec<String>,
    /// Set `globalThis.NAME` to the parsed JSON value before the script runs (repeatable).
    #[arg(long = "global-json", value_name = "NAME=JSON")]
    pub global_json: Vec<String>,
    /// SQLite file (or `:memory:`) of the default turn store agent runs persist to
    /// (env `GEPPETTO_TURNS_DB`).
    #[arg(long = "turns-db", value_name = "PATH")]
    pub turns_db: Option<String>,
    /// SQLite URI filename of the default turn store; wins over `--turns-db`
    /// (env `GEPPETTO_TURNS_DSN`).
    #[arg(long = "turns-dsn", value_name = "URI")]
    pub turns_dsn: Option<String>,
    /// A named turn store, `gp.turnStores.get(NAME)` (repeatable).
    #[arg(long = "turn-store", value_name = "NAME=PATH")]
    pub turn_stores: Vec<String>,
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
    let globals = match script_globals(&args.globals, &args.global_json) {
        Ok(globals) => globals,
        Err(message) => {
            eprintln!("geppetto run: {message}");
            return ExitCode::FAILURE;
        }
    };
    let env: std::collections::BTreeMap<String, String> = std::env::vars().collect();
    let stores = match turn_stores(&args.turns_db, &args.turns_dsn, &args.turn_stores, &env) {
        Ok(stores) => stores,
        Err(message) => {
            eprintln!("geppetto run: {message}");
            return ExitCode::FAILURE;
        }
    };
    let host = ScriptHost {
        env,
        globals,
        ..ScriptHost::default()
    };
    let host = crate::host::with_geppetto_and_stores(host, stores);
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

/// The `--global NAME=VALUE` (strings) and `--global-json NAME=JSON` values, strings first; a
/// later flag for the same name wins within each kind.
fn script_globals(
    strings: &[String],
    json: &[String],
) -> Result<Vec<(String, serde_json::Value)>, String> {
    let split = |flag: &str, entry: &str| -> Result<(String, String), String> {
        match entry.split_once('=') {
            Some((name, value)) if is_identifier(name.trim()) => {
                Ok((name.trim().to_string(), value.to_string()))
            }
            _ => Err(format!(
                "{flag} expects NAME=VALUE with NAME a JS identifier, got {entry:?}"
            )),
        }
    };
    let mut globals = Vec::new();
    for entry in strings {
        let (name, value) = split("--global", entry)?;
        globals.push((name, serde_json::Value::String(value)));
    }
    for entry in json {
        let (name, text) = split("--global-json", entry)?;
        let value = serde_json::from_str(&text)
            .map_err(|error| format!("--global-json {name}: invalid JSON: {error}"))?;
        globals.push((name, value));
    }
    Ok(globals)
}

fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '_' || c == '$')
        && chars.all(|c| c.is_alphanumeric() || c == '_' || c == '$')
}

/// Opens the turn stores the flags (or, without flags, `GEPPETTO_TURNS_DSN` /
/// `GEPPETTO_TURNS_DB`) name: the default store and every `--turn-store NAME=PATH`.
fn turn_stores(
    db: &Option<String>,
    dsn: &Option<String>,
    named: &[String],
    env: &std::collections::BTreeMap<String, String>,
) -> Result<std::collections::BTreeMap<String, Arc<dyn TurnStore>>, String> {
    let from_env = |key: &str| env.get(key).filter(|value| !value.is_empty()).cloned();
    let (db, dsn) = if db.is_some() || dsn.is_some() {
        (db.clone(), dsn.clone())
    } else {
        (
            from_env("GEPPETTO_TURNS_DB"),
            from_env("GEPPETTO_TURNS_DSN"),
        )
    };
    let default = match (dsn, db) {
        (Some(dsn), _) => Some(("--turns-dsn", SqliteLocation::Uri(dsn))),
        (None, Some(db)) => Some(("--turns-db", SqliteLocation::Path(db.into()))),
        (None, None) => None,
    };
    let mut stores: std::collections::BTreeMap<String, Arc<dyn TurnStore>> = Default::default();
    let mut open = |flag: &str, name: &str, location: SqliteLocation| -> Result<(), String> {
        let store = SqliteTurnStore::open(name, &location)
            .map_err(|error| format!("{flag} {location}: cannot open turn store: {error}"))?;
        stores.insert(name.to_string(), Arc::new(store));
        Ok(())
    };
    if let Some((flag, location)) = default {
        open(flag, "default", location)?;
    }
    for entry in named {
        let Some((name, path)) = entry
            .split_once('=')
            .map(|(name, path)| (name.trim(), path.trim()))
            .filter(|(name, path)| !name.is_empty() && !path.is_empty())
        else {
            return Err(format!("--turn-store expects NAME=PATH, got {entry:?}"));
        };
        open("--turn-store", name, SqliteLocation::Path(path.into()))?;
    }
    Ok(stores)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn globals_table() {
        let strings = vec!["A=x=y".to_string(), "B=".to_string()];
        let json_values = vec!["C={\"k\":[1,2]}".to_string()];
        assert_eq!(
            script_globals(&strings, &json_values),
            Ok(vec![
                ("A".into(), json!("x=y")),
                ("B".into(), json!("")),
                ("C".into(), json!({"k": [1, 2]})),
            ])
        );
        assert_eq!(
            script_globals(&["1x=2".into()], &[]),
            Err("--global expects NAME=VALUE with NAME a JS identifier, got \"1x=2\"".into())
        );
        assert!(
            script_globals(&[], &["C={".into()])
                .unwrap_err()
                .starts_with("--global-json C: invalid JSON: ")
        );
    }
}
