//! [`RuntimeBuilder`]: every module, host tool and middleware of a runtime, registered in one place.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;

use serde_json::Value as Json;

use super::error::EmbedError;
use super::{Module, Runtime};
use crate::bridge::{
    DATABASE_MODULE_NAMES, DatabaseSource, GeppettoModule, HostMiddlewareFactory, database_modules,
};
use crate::inference::agent::TurnStore;
use crate::inference::tools::{HostTool, default_host_tools};
use crate::inference::{Middleware, ToolRegistry};
use crate::owner::{CpuBudget, DEFAULT_MEMORY_LIMIT, Owner, OwnerHandle, OwnerOptions, OwnerPool};
use crate::profiles::HostProfiles;
use crate::runtime::{EventsModule, ModuleRegistry, NativeModule, RustModule, ScriptHost};

/// A registered module, set up per owner when the runtime spawns.
enum ModuleEntry {
    Geppetto,
    Database,
    Rust(Arc<dyn Module>),
    Native(Arc<dyn NativeModule>),
}

/// Builds a [`Runtime`]: its modules (`geppetto`, `database`, the embedder's), host tools, host
/// middlewares, environment, limits and number of owners.
///
/// ```
/// use geppetto::embed::Runtime;
///
/// let runtime = Runtime::builder()
///     .name("service")
///     .geppetto()
///     .database_in_memory()
///     .owners(2)
///     .spawn()?;
/// assert_eq!(runtime.instances().len(), 2);
/// # Ok::<(), geppetto::embed::EmbedError>(())
/// ```
pub struct RuntimeBuilder {
    name: String,
    owners: usize,
    modules: Vec<ModuleEntry>,
    database: Option<DatabaseSource>,
    host_tools: ToolRegistry,
    host_middlewares: BTreeMap<String, HostMiddlewareFactory>,
    env: BTreeMap<String, String>,
    turn_stores: BTreeMap<String, Arc<dyn TurnStore>>,
    profiles: Option<HostProfiles>,
    cpu_budget: CpuBudget,
    memory_limit: Option<usize>,
}

impl std::fmt::Debug for RuntimeBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RuntimeBuilder")
            .field("name", &self.name)
            .field("owners", &self.owners)
            .finish_non_exhaustive()
    }
}

impl Default for RuntimeBuilder {
    fn default() -> RuntimeBuilder {
        RuntimeBuilder {
            name: "embed".into(),
            owners: 1,
            modules: Vec::new(),
            database: None,
            host_tools: ToolRegistry::new(),
            host_middlewares: BTreeMap::new(),
            env: BTreeMap::new(),
            turn_stores: BTreeMap::new(),
            profiles: None,
            cpu_budget: CpuBudget::OwnerDefault,
            memory_limit: Some(DEFAULT_MEMORY_LIMIT),
        }
    }
}

impl RuntimeBuilder {
    /// Names the runtime; owner threads are `js-owner-<name>-<i>` (`js-owner-<name>` for one).
    pub fn name(mut self, name: &str) -> RuntimeBuilder {
        self.name = name.to_string();
        self
    }

    /// How many owners (threads, each with its own runtime) to spawn; scripts evaluated through
    /// [`Runtime::eval`] go to the least-loaded one. At least 1.
    pub fn owners(mut self, owners: usize) -> RuntimeBuilder {
        self.owners = owners;
        self
    }

    /// Registers the `geppetto` module, with the host tools, middlewares, turn stores and profiles
    /// registered here and provider engines resolved against the environment given with
    /// [`env`](Self::env); also `events` and `node:events` (the agent API's `EventEmitter`).
    pub fn geppetto(mut self) -> RuntimeBuilder {
        self.modules.push(ModuleEntry::Geppetto);
        self
    }

    /// Registers the `database` module (also `db`); scripts call `configure(driver, dsn)`.
    pub fn database(self) -> RuntimeBuilder {
        self.with_database(DatabaseSource::Unconfigured)
    }

    /// Registers the `database` module preconfigured with the SQLite file at `path` (opened, or
    /// created, by every owner); scripts cannot `configure()` it.
    pub fn database_path(self, path: impl Into<PathBuf>) -> RuntimeBuilder {
        self.with_database(DatabaseSource::Path(path.into()))
    }

    /// Registers the `database` module preconfigured with a fresh in-memory SQLite database per
    /// owner.
    pub fn database_in_memory(self) -> RuntimeBuilder {
        self.with_database(DatabaseSource::Path(PathBuf::from(":memory:")))
    }

    /// Registers the `database` module preconfigured with an open connection; `close()` leaves it
    /// open. Only a single-owner runtime can take a connection (give a pool a path).
    pub fn database_connection(self, connection: rusqlite::Connection) -> RuntimeBuilder {
        self.with_database(DatabaseSource::Connection(connection))
    }

    fn with_database(mut self, source: DatabaseSource) -> RuntimeBuilder {
        // A second registration is reported as a duplicate by `spawn`.
        if self.database.is_none() {
            self.database = Some(source);
        }
        self.modules.push(ModuleEntry::Database);
        self
    }

    /// Registers a module defined in Rust (see [`Module`]).
    pub fn module(mut self, module: impl Module) -> RuntimeBuilder {
        self.modules.push(ModuleEntry::Rust(Arc::new(module)));
        self
    }

    /// Registers a module written against the runtime's JS engine directly (rquickjs), for what
    /// [`Module`] cannot express.
    pub fn native_module(mut self, module: Arc<dyn NativeModule>) -> RuntimeBuilder {
        self.modules.push(ModuleEntry::Native(module));
        self
    }

    /// Offers a typed host tool to scripts (`registry.useGoTools([name])`).
    pub fn host_tool(self, tool: HostTool) -> RuntimeBuilder {
        self.host_tools.register(Arc::new(tool));
        self
    }

    /// Offers the CLI's built-in host tools (`go_double`, `go_concat`).
    pub fn default_host_tools(self) -> RuntimeBuilder {
        let defaults = default_host_tools();
        let names = defaults.names();
        let _ = self.host_tools.import(&defaults, &names);
        self
    }

    /// Offers a host middleware to scripts (`middlewares.go(name, options?)`), built by `factory`
    /// from the script's options.
    pub fn host_middleware(
        mut self,
        name: &str,
        factory: impl Fn(Option<&Json>) -> Result<Arc<dyn Middleware>, String> + Send + Sync + 'static,
    ) -> RuntimeBuilder {
        self.host_middlewares
            .insert(name.to_string(), Arc::new(factory));
        self
    }

    /// Adds an entry to the scripts' `ENV` global and to the environment providers resolve API
    /// keys and profiles against (the library never reads the process environment itself).
    pub fn env(mut self, key: &str, value: &str) -> RuntimeBuilder {
        self.env.insert(key.to_string(), value.to_string());
        self
    }

    /// Offers a turn store to the agent API under `name` (`gp.turnStores.get(name)`); the store
    /// named `"default"` is `gp.turnStores.default()` and the one agent runs persist to unless they
    /// opt out. A second store under one name replaces the first.
    pub fn turn_store(mut self, name: &str, store: Arc<dyn TurnStore>) -> RuntimeBuilder {
        self.turn_stores.insert(name.to_string(), store);
        self
    }

    /// The profile registries of `gp.inferenceProfiles.resolve()`/`default()` (none by default:
    /// nothing is loaded implicitly).
    pub fn profiles(mut self, profiles: HostProfiles) -> RuntimeBuilder {
        self.profiles = Some(profiles);
        self
    }

    /// The owners' CPU budget per call.
    pub fn cpu_budget(mut self, budget: CpuBudget) -> RuntimeBuilder {
        self.cpu_budget = budget;
        self
    }

    /// Each owner's JS heap limit in bytes (default [`DEFAULT_MEMORY_LIMIT`], 1 GiB; `None`: no
    /// limit). A script past it gets a catchable out-of-memory error.
    pub fn memory_limit(mut self, bytes: Option<usize>) -> RuntimeBuilder {
        self.memory_limit = bytes;
        self
    }

    /// Spawns the owners and returns the runtime once every one serves its mailbox. Fails on a
    /// duplicate module name, an invalid setting, or a module whose setup fails.
    pub fn spawn(self) -> Result<Runtime, EmbedError> {
        if self.owners == 0 {
            return Err(EmbedError::InvalidConfig(
                "a runtime needs at least one owner".into(),
            ));
        }
        if self.owners > 1 && matches!(self.database, Some(DatabaseSource::Connection(_))) {
            return Err(EmbedError::InvalidConfig(
                "an open database connection serves one owner; give a pool a database path".into(),
            ));
        }
        self.check_names()?;
        let mut this = self;
        let database = this.database.take();
        let shared = this.shared_modules(database);
        let this = this;
        let owners = (0..this.owners)
            .map(|index| this.spawn_owner(index, &shared))
            .collect::<Result<Vec<_>, _>>()?;
        let pool = OwnerPool::from_owners(owners)
            .ok_or_else(|| EmbedError::InvalidConfig("no owner was spawned".into()))?;
        Ok(Runtime::new(pool))
    }

    fn check_names(&self) -> Result<(), EmbedError> {
        let mut seen = BTreeSet::new();
        for entry in &self.modules {
            let names: Vec<String> = match entry {
                ModuleEntry::Geppetto => std::iter::once("geppetto")
                    .chain(EventsModule::ALL.map(|module| module.name()))
                    .map(String::from)
                    .collect(),
                ModuleEntry::Database => DATABASE_MODULE_NAMES.map(String::from).to_vec(),
                ModuleEntry::Rust(module) => vec![module.name().to_string()],
                ModuleEntry::Native(module) => vec![module.name().to_string()],
            };
            for name in names {
                if !seen.insert(name.clone()) {
                    return Err(EmbedError::DuplicateModule { name });
                }
            }
        }
        Ok(())
    }

    /// The modules every owner shares: `geppetto` and `database` are built once (`database`
    /// keeps one source for all owners).
    fn shared_modules(&self, database: Option<DatabaseSource>) -> SharedModules {
        let geppetto = GeppettoModule {
            host_tools: Some(self.host_tools.clone()),
            providers: Some(crate::host::provider_factory(
                self.env
                    .iter()
                    .map(|(key, value)| (key.clone(), value.clone()))
                    .collect(),
            )),
            env: self.env.clone(),
            host_middlewares: self.host_middlewares.clone(),
            turn_stores: self.turn_stores.clone(),
            profiles: self.profiles.clone(),
            ..GeppettoModule::default()
        };
        SharedModules {
            geppetto: Arc::new(geppetto),
            database: database.map(database_modules).unwrap_or_default(),
        }
    }

    fn spawn_owner(&self, index: usize, shared: &SharedModules) -> Result<OwnerHandle, EmbedError> {
        let mut registry = ModuleRegistry::new();
        for entry in &self.modules {
            match entry {
                ModuleEntry::Geppetto => {
                    registry = registry.with(shared.geppetto.clone());
                    for events in EventsModule::ALL {
                        registry = registry.with(Arc::new(events));
                    }
                }
                ModuleEntry::Database => {
                    for module in &shared.database {
                        registry = registry.with(module.clone());
                    }
                }
                ModuleEntry::Rust(module) => {
                    let exports = module.exports().map_err(|error| EmbedError::ModuleSetup {
                        module: module.name().to_string(),
                        message: error.to_string(),
                    })?;
                    registry = registry.with(Arc::new(RustModule::new(module.name(), exports)));
                }
                ModuleEntry::Native(module) => registry = registry.with(module.clone()),
            }
        }
        let name = if self.owners == 1 {
            self.name.clone()
        } else {
            format!("{}-{index}", self.name)
        };
        let host = ScriptHost {
            modules: registry,
            env: self.env.clone(),
            ..ScriptHost::default()
        };
        let (options, failure) = host.configure_loading_modules(OwnerOptions {
            name: name.clone(),
            memory_limit: self.memory_limit,
            cpu_budget: self.cpu_budget.resolve(OwnerOptions::default().cpu_budget),
            ..OwnerOptions::default()
        });
        Owner::spawn(options).map_err(|message| match failure.lock().take() {
            Some(failed) => EmbedError::ModuleSetup {
                module: failed.module,
                message: failed.message,
            },
            None => EmbedError::Spawn {
                owner: name,
                message: message.to_string(),
            },
        })
    }
}

struct SharedModules {
    geppetto: Arc<dyn NativeModule>,
    database: Vec<Arc<dyn NativeModule>>,
}
