//! Native modules and `require`: one registry of built-in modules, loadable from classic scripts
//! (`require("geppetto")`) and ES modules (`import gp from "geppetto"`).

use std::sync::Arc;

use std::path::{Component, Path, PathBuf};

use rquickjs::FromJs;
use rquickjs::loader::{Loader, Resolver, ScriptLoader};
use rquickjs::module::Declared;
use rquickjs::{Ctx, Function, Module, Object, Value};

/// A built-in module: a name and a function that builds its exports object on the owner thread.
pub trait NativeModule: Send + Sync {
    /// The name scripts require (`"geppetto"`).
    fn name(&self) -> &'static str;
    /// Builds the exports object. Called at most once per runtime (the result is cached).
    fn exports<'js>(&self, ctx: &Ctx<'js>) -> rquickjs::Result<Object<'js>>;
}

/// The modules a runtime offers, registered through one builder.
#[derive(Clone, Default)]
pub struct ModuleRegistry {
    modules: Vec<Arc<dyn NativeModule>>,
}

impl std::fmt::Debug for ModuleRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.modules.iter().map(|module| module.name()))
            .finish()
    }
}

/// Name of the hidden global holding the cache of built module exports.
const CACHE_GLOBAL: &str = "__native_module_cache";

impl ModuleRegistry {
    /// An empty registry.
    pub fn new() -> ModuleRegistry {
        ModuleRegistry::default()
    }

    /// Adds a module (a later module with the same name replaces an earlier one).
    pub fn with(mut self, module: Arc<dyn NativeModule>) -> ModuleRegistry {
        self.modules
            .retain(|existing| existing.name() != module.name());
        self.modules.push(module);
        self
    }

    /// The registered module names, in registration order.
    pub fn names(&self) -> Vec<&'static str> {
        self.modules.iter().map(|module| module.name()).collect()
    }

    /// Whether a module of that name is registered.
    pub fn contains(&self, name: &str) -> bool {
        self.find(name).is_some()
    }

    fn find(&self, name: &str) -> Option<&Arc<dyn NativeModule>> {
        self.modules.iter().find(|module| module.name() == name)
    }

    /// The exports of module `name`, built on first use and cached in the runtime.
    pub fn require<'js>(&self, ctx: &Ctx<'js>, name: &str) -> rquickjs::Result<Object<'js>> {
        let globals = ctx.globals();
        let cache: Object = match globals.get::<_, Option<Object>>(CACHE_GLOBAL)? {
            Some(cache) => cache,
            None => {
                let cache = Object::new(ctx.clone())?;
                globals.prop(
                    CACHE_GLOBAL,
                    rquickjs::object::Property::from(cache.clone()),
                )?;
                cache
            }
        };
        if let Some(exports) = cache.get::<_, Option<Object>>(name)? {
            return Ok(exports);
        }
        let Some(module) = self.find(name) else {
            return Err(rquickjs::Exception::throw_message(
                ctx,
                &format!("cannot find module '{name}'"),
            ));
        };
        let exports = module.exports(ctx)?;
        cache.set(name, exports.clone())?;
        Ok(exports)
    }

    /// Installs the global `require` and the ES module loader for these modules (and for files).
    pub fn install<'js>(&self, ctx: &Ctx<'js>) -> rquickjs::Result<()> {
        let registry = self.clone();
        let require = Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>,
                  name: rquickjs::function::Opt<Value<'js>>|
                  -> rquickjs::Result<Value<'js>> {
                let name = match name.0 {
                    Some(name) if !name.is_undefined() => {
                        rquickjs::Coerced::<String>::from_js(&ctx, name)?.0
                    }
                    _ => {
                        return Err(rquickjs::Exception::throw_type(
                            &ctx,
                            "require(name) requires a module name",
                        ));
                    }
                };
                registry.require(&ctx, &name).map(Object::into_value)
            },
        )?
        .with_name("require")?;
        ctx.globals().set("require", require)?;
        Ok(())
    }

    /// The resolver and loader to give the runtime (`Runtime::set_loader`).
    pub fn loader(&self) -> (NativeResolver, NativeLoader) {
        (
            NativeResolver {
                registry: self.clone(),
            },
            NativeLoader {
                registry: self.clone(),
                files: ScriptLoader::default().with_extension("mjs"),
            },
        )
    }
}

/// Resolves registered module names to themselves and everything else as files: a relative
/// name (`./x.mjs`, `../lib/y`) against the importing module's directory, an absolute one as is;
/// a name without extension may omit `.mjs` or `.js`.
pub struct NativeResolver {
    registry: ModuleRegistry,
}

impl Resolver for NativeResolver {
    fn resolve<'js>(
        &mut self,
        ctx: &Ctx<'js>,
        base: &str,
        name: &str,
        attributes: Option<rquickjs::loader::ImportAttributes<'js>>,
    ) -> rquickjs::Result<String> {
        let _ = (ctx, attributes);
        if self.registry.contains(name) {
            return Ok(name.to_string());
        }
        resolve_file(base, name).ok_or_else(|| rquickjs::Error::new_resolving(base, name))
    }
}

/// The file `name` imported from module `base` names, if it exists.
fn resolve_file(base: &str, name: &str) -> Option<String> {
    let path = if name.starts_with("./") || name.starts_with("../") {
        Path::new(base).parent()?.join(name)
    } else if Path::new(name).is_absolute() {
        PathBuf::from(name)
    } else {
        return None;
    };
    let path = normalize(&path);
    let candidates = [
        path.clone(),
        path.with_extension("mjs"),
        path.with_extension("js"),
    ];
    let has_extension = path.extension().is_some();
    candidates
        .into_iter()
        .take(if has_extension { 1 } else { 3 })
        .find(|candidate| candidate.is_file())
        .map(|found| found.to_string_lossy().into_owned())
}

/// `path` with `.` and `..` components folded away (without touching the file system).
fn normalize(path: &Path) -> PathBuf {
    let mut normalized = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                normalized.pop();
            }
            other => normalized.push(other.as_os_str()),
        }
    }
    normalized
}

/// Loads registered modules as ES modules re-exporting `require(name)` (default export plus one
/// named export per key), and everything else from files.
pub struct NativeLoader {
    registry: ModuleRegistry,
    files: ScriptLoader,
}

impl Loader for NativeLoader {
    fn load<'js>(
        &mut self,
        ctx: &Ctx<'js>,
        name: &str,
        attributes: Option<rquickjs::loader::ImportAttributes<'js>>,
    ) -> rquickjs::Result<Module<'js, Declared>> {
        if !self.registry.contains(name) {
            return self.files.load(ctx, name, attributes);
        }
        let exports = self.registry.require(ctx, name)?;
        let keys: Vec<String> = exports
            .keys::<String>()
            .filter_map(Result::ok)
            .filter(|key| is_identifier(key) && key != "default")
            .collect();
        let quoted = serde_json::to_string(name).unwrap_or_default();
        let mut source = format!("const m = require({quoted});\nexport default m;\n");
        if !keys.is_empty() {
            source.push_str(&format!("export const {{ {} }} = m;\n", keys.join(", ")));
        }
        Module::declare(ctx.clone(), name, source)
    }
}

fn is_identifier(key: &str) -> bool {
    let mut chars = key.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '$')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
}
