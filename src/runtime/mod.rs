//! What runs on the owner thread for scripts: runtime setup, the module registry and `require`,
//! the script-harness globals, and running a script to completion.

pub mod events;
pub mod globals;
pub mod modules;
pub mod rejections;
pub mod rust_module;
pub mod script;

use std::collections::BTreeMap;
use std::sync::Arc;

pub use events::EventsModule;
pub use modules::{ModuleRegistry, NativeModule};
pub use rejections::ScriptFailure;
pub use rust_module::{Exports, RustModule};
pub use script::{ScriptKind, module_namespace, run_to_completion};

use crate::owner::OwnerOptions;

/// Everything a script runtime needs besides the owner's own options.
#[derive(Debug, Clone, Default)]
pub struct ScriptHost {
    /// Built-in modules offered to `require`/`import`.
    pub modules: ModuleRegistry,
    /// The `ENV` global's contents (the library never reads the process environment itself).
    pub env: BTreeMap<String, String>,
    /// Globals set before the script runs (`geppetto run --global NAME=VALUE`, `--global-json
    /// NAME=JSON`), in order: a later entry for the same name wins.
    pub globals: Vec<(String, serde_json::Value)>,
}

impl ScriptHost {
    /// Adds a module.
    pub fn with_module(mut self, module: Arc<dyn NativeModule>) -> ScriptHost {
        self.modules = self.modules.with(module);
        self
    }

    /// Fills `options.setup_runtime`/`setup_context` so the owner's runtime gets the module
    /// loader, the rejection tracker, `require` and the harness globals.
    pub fn configure(self, mut options: OwnerOptions) -> OwnerOptions {
        let loader_modules = self.modules.clone();
        options.setup_runtime = Some(Box::new(move |runtime: &rquickjs::Runtime| {
            let (resolver, loader) = loader_modules.loader();
            runtime.set_loader(resolver, loader);
            runtime.set_host_promise_rejection_tracker(Some(Box::new(rejections::track)));
        }));
        let ScriptHost {
            modules,
            env,
            globals,
        } = self;
        options.setup_context = Some(Box::new(move |ctx: &rquickjs::Ctx<'_>| {
            modules.install(ctx)?;
            globals::install(ctx, &env)?;
            globals::install_values(ctx, &globals)
        }));
        options
    }

    /// Like [`configure`](Self::configure), and every registered module is loaded while the owner
    /// starts, so a module whose setup fails fails the spawn. The returned slot then names the
    /// module and its error.
    pub fn configure_loading_modules(
        self,
        options: OwnerOptions,
    ) -> (OwnerOptions, Arc<parking_lot::Mutex<Option<ModuleFailure>>>) {
        let registry = self.modules.clone();
        let mut options = self.configure(options);
        let failure = Arc::new(parking_lot::Mutex::new(None));
        let report = failure.clone();
        let setup = options.setup_context.take();
        options.setup_context = Some(Box::new(move |ctx: &rquickjs::Ctx<'_>| {
            if let Some(setup) = setup {
                setup(ctx)?;
            }
            for module in registry.names() {
                if let Err(error) = registry.require(ctx, module) {
                    let message = match &error {
                        rquickjs::Error::Exception => {
                            ScriptFailure::from_value(&ctx.catch()).message
                        }
                        other => other.to_string(),
                    };
                    *report.lock() = Some(ModuleFailure {
                        module: module.to_string(),
                        message,
                    });
                    return Err(error);
                }
            }
            Ok(())
        }));
        (options, failure)
    }
}

/// A module that failed to load while its owner started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModuleFailure {
    /// The module's name.
    pub module: String,
    /// Its error.
    pub message: String,
}
