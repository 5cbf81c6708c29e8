//! `geppetto run <script>`: the script harness.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Args;

use crate::host::AgentHost;
use crate::inference::agent::TurnStore;
use crate::owner::{CallOptions, CpuBudget, Owner, OwnerOptions, ShutdownMode};
use crate::profiles::HostProfiles;
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
    /// Profile registry sources for `inferenceProfiles` (comma-separated `yaml:P`, `sqlite:P`,
    /// `sqlite-dsn:DSN` or paths; the last has the highest precedence). Default:
    /// `$GEPPETTO_PROFILE_REGISTRIES`; none: no host registry.
    #[arg(long = "profile-registries", value_name = "SOURCES")]
    pub profile_registries: Option<String>,
    /// The default profile of the host registry. Default: `$GEPPETTO_DEFAULT_PROFILE`.
    #[arg(long = "profile", value_name = "SLUG")]
    pub profile: Option<String>,
    /// Print the owner's statistics (per-op counts, queue wait and execution percentiles) to
    /// stderr when the script ends.
    #[arg(long)]
    pub owner_stats: bool,
    /// Heap limit of the script's runtime: bytes, or a number with a binary suffix (`K`, `M`,
    /// `G`, as in `512M`), or `unlimited`. Default 1G. Past it the allocation that does not fit
    /// throws a catchable `InternalError: out of memory` in the script.
    #[arg(long, value_name = "BYTES", value_parser = parse_max_memory)]
    pub max_memory: Option<MemoryLimit>,
}

/// The heap limit given with `--max-memory`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemoryLimit {
    /// At most this many bytes.
    Bytes(usize),
    /// No limit.
    Unlimited,
}

impl MemoryLimit {
    fn as_option(self) -> Option<usize> {
        match self {
            MemoryLimit::Bytes(bytes) => Some(bytes),
            MemoryLimit::Unlimited => None,
        }
    }
}

/// The smallest accepted `--max-memory`: below it the runtime cannot even load the harness.
const MIN_MAX_MEMORY: usize = 4 << 20;

/// Parses `--max-memory`: `unlimited`, or a whole number of bytes with an optional binary suffix
/// (`K`/`KiB`, `M`/`MiB`, `G`/`GiB`, any case), at least 4M.
fn parse_max_memory(text: &str) -> Result<MemoryLimit, String> {
    const EXPECTED: &str =
        "expected bytes or a number with K, M or G (e.g. 536870912 or 512M), or unlimited";
    let trimmed = text.trim();
    if trimmed.eq_ignore_ascii_case("unlimited") {
        return Ok(MemoryLimit::Unlimited);
    }
    let split = trimmed
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(trimmed.len());
    let (digits, suffix) = trimmed.split_at(split);
    let shift = match suffix.to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        _ => return Err(format!("invalid size {text:?}: {EXPECTED}")),
    };
    let number: usize = digits
        .parse()
        .map_err(|_| format!("invalid size {text:?}: {EXPECTED}"))?;
    let bytes = number
        .checked_mul(1 << shift)
        .ok_or_else(|| format!("size {text:?} is too large: at most {} bytes", usize::MAX))?;
    if bytes < MIN_MAX_MEMORY {
        return Err(format!(
            "size {text:?} is too small: at least 4M ({MIN_MAX_MEMORY} bytes), or unlimited"
        ));
    }
    Ok(MemoryLimit::Bytes(bytes))
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
    let profiles = match host_profiles(&args.profile_registries, &args.profile, &host.env) {
        Ok(profiles) => profiles,
        Err(message) => {
            eprintln!("geppetto run: {message}");
            return ExitCode::FAILURE;
        }
    };
    let host = crate::host::with_geppetto_agent(
        host,
        AgentHost {
            profiles,
            turn_stores: stores,
        },
    );
    let host = crate::host::with_database(host, crate::bridge::DatabaseSource::Unconfigured);
    let mut options = host.configure(OwnerOptions::default());
    if let Some(limit) = args.max_memory {
        options.memory_limit = limit.as_option();
    }
    let owner = match Owner::spawn(options) {
        Ok(owner) => owner,
        Err(error) => {
            eprintln!("js execution failed ({display}): cannot start runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let call = CallOptions {
        cpu_budget: CpuBudget::Unlimited,
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

/// The host profile registry: `--profile-registries` (else `GEPPETTO_PROFILE_REGISTRIES`) loaded
/// once, with `--profile` (else `GEPPETTO_DEFAULT_PROFILE`) as its default profile. Flags win over
/// the environment; neither set: no registry.
fn host_profiles(
    sources: &Option<String>,
    profile: &Option<String>,
    env: &std::collections::BTreeMap<String, String>,
) -> Result<Option<HostProfiles>, String> {
    let from_env = |name: &str| {
        env.get(name)
            .filter(|value| !value.trim().is_empty())
            .cloned()
    };
    let Some(sources) = sources
        .clone()
        .or_else(|| from_env("GEPPETTO_PROFILE_REGISTRIES"))
    else {
        return Ok(None);
    };
    let profile = profile
        .clone()
        .or_else(|| from_env("GEPPETTO_DEFAULT_PROFILE"));
    HostProfiles::load(&sources, profile)
        .map(Some)
        .map_err(|error| format!("cannot load profile registries: {error}"))
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

    #[test]
    fn max_memory_takes_bytes_suffixes_and_unlimited() {
        assert_eq!(
            parse_max_memory("536870912"),
            Ok(MemoryLimit::Bytes(512 << 20))
        );
        assert_eq!(parse_max_memory("512M"), Ok(MemoryLimit::Bytes(512 << 20)));
        assert_eq!(
            parse_max_memory("512mib"),
            Ok(MemoryLimit::Bytes(512 << 20))
        );
        assert_eq!(parse_max_memory("2G"), Ok(MemoryLimit::Bytes(2 << 30)));
        assert_eq!(parse_max_memory("8192k"), Ok(MemoryLimit::Bytes(8 << 20)));
        assert_eq!(parse_max_memory("Unlimited"), Ok(MemoryLimit::Unlimited));
    }

    #[test]
    fn max_memory_refuses_what_it_cannot_mean() {
        for bad in [
            "",
            "M",
            "12Q",
            "-5M",
            "1.5G",
            "0",
            "1M",
            "99999999999999999999G",
        ] {
            let error = parse_max_memory(bad).expect_err(bad);
            assert!(error.contains(&format!("{bad:?}")), "{bad}: {error}");
        }
        assert!(parse_max_memory("12Q").unwrap_err().contains("512M"));
        assert!(parse_max_memory("1M").unwrap_err().contains("at least 4M"));
    }
}
