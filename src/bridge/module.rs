//! The `geppetto` module: the native ops behind `js/geppetto.js`, and the module definition.

use std::collections::BTreeMap;
use std::sync::Arc;

use rquickjs::function::Opt;
use rquickjs::{Array, Ctx, Function, Object, Value};
use serde_json::Value as Json;

use super::argument::{
    NO_HOST_TOOLS, NO_OWNER, NO_PROVIDERS, NOT_A_MIDDLEWARE, NOT_A_REGISTRY, NOT_A_SESSION,
    NOT_AN_ENGINE, error, type_error,
};
use super::codec::{block_from_js, js_to_json, json_to_js, turn_from_js, turn_to_js};
use super::js_engine::JsFunctionEngine;
use super::js_middleware::JsMiddleware;
use super::js_tools::{JsHooks, JsTool};
use super::options;
use super::{runs, table};
use crate::generated::consts::JS_CONST_GROUPS;
use crate::inference::engines::EchoEngine;
use crate::inference::session::RunMode;
use crate::inference::{
    Engine, Middleware, Session, SessionConfig, ToolContext, ToolDefinition, ToolRegistry, Turn,
};
use crate::owner::{WeakOwnerHandle, local};
use crate::profiles::HostProfiles;
use crate::providers::EngineOptions;
use crate::runtime::NativeModule;

/// Builds a provider engine from JS options (`fromConfig`), or from a profile name and options
/// (`fromProfile`); returns the engine and its name.
pub type ProviderFactory =
    Arc<dyn Fn(ProviderRequest<'_>) -> Result<(Arc<dyn Engine>, String), String> + Send + Sync>;

/// What a [`ProviderFactory`] is asked for, with the script's options already checked.
#[derive(Debug)]
pub enum ProviderRequest<'a> {
    /// `engines.fromConfig(opts)` (a model is set).
    Config(EngineOptions),
    /// `engines.fromProfile(profile, opts)` (`profile` empty when not given).
    Profile(&'a str, EngineOptions),
}

/// The hidden property of a JS handle object holding `{kind, id}` (`REF` in `js/geppetto.js`).
pub(crate) const REF_PROPERTY: &str = "__geppetto_ref";

/// The `geppetto` module with its host configuration.
#[derive(Clone, Default)]
pub struct GeppettoModule {
    /// Host tools scripts can import with `useGoTools`; `None`: `no go tool registry configured`.
    pub host_tools: Option<ToolRegistry>,
    /// Provider engines for `fromConfig`/`fromProfile`.
    pub providers: Option<ProviderFactory>,
    /// Environment for provider resolution (API keys, `PINOCCHIO_PROFILE`).
    pub env: BTreeMap<String, String>,
    /// Middlewares the embedder offers to `middlewares.go(name, options?)`, by name; a name here
    /// takes precedence over a built-in host middleware of the same name.
    pub host_middlewares: BTreeMap<String, HostMiddlewareFactory>,
    /// Turn stores for the agent API (`gp.turnStores`), by name; `"default"` is the host default
    /// store that agent runs persist to unless they opt out.
    pub turn_stores: BTreeMap<String, Arc<dyn crate::inference::agent::TurnStore>>,
    /// The host profile registry of `inferenceProfiles.resolve()`/`default()`; `None`: not
    /// configured (nothing is loaded implicitly).
    pub profiles: Option<HostProfiles>,
    /// Base inference settings (YAML shape) every resolved profile is merged over, for the host
    /// registry and registries scripts load alike; `None`: no base layer.
    pub profile_base_settings: Option<serde_json::Map<String, Json>>,
    /// API keys for settings-built engines and embeddings that profiles do not hold; `None`:
    /// keys come from the settings only.
    pub bearer_tokens: Option<Arc<dyn crate::providers::BearerTokenSource>>,
}

/// Builds an embedder's host middleware from the script's options (a JSON object, or none).
pub type HostMiddlewareFactory =
    Arc<dyn Fn(Option<&Json>) -> Result<Arc<dyn Middleware>, String> + Send + Sync>;

impl std::fmt::Debug for GeppettoModule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GeppettoModule")
            .field("host_tools", &self.host_tools)
            .field("providers", &self.providers.is_some())
            .field("turn_stores", &self.turn_stores.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl NativeModule for GeppettoModule {
    fn name(&self) -> &'static str {
        "geppetto"
    }

    fn exports<'js>(&self, ctx: &Ctx<'js>) -> rquickjs::Result<Object<'js>> {
        let native = self.native_ops(ctx)?;
        super::agent::install(ctx, &native, self)?;
        let glue: Function = ctx.eval(include_str!("../../js/geppetto.js"))?;
        let exports: Object = glue.call((native.clone(),))?;
        let profiles: Function = ctx.eval(include_str!("../../js/profiles.js"))?;
        profiles.call::<_, ()>((native.clone(), exports.clone()))?;
        super::agent::extend(ctx, native, exports)
    }
}

pub(super) fn owner(ctx: &Ctx<'_>) -> rquickjs::Result<WeakOwnerHandle> {
    local::weak_handle().ok_or_else(|| error(ctx, NO_OWNER))
}

pub(super) fn register<'js>(
    ctx: &Ctx<'js>,
    function: Function<'js>,
) -> rquickjs::Result<crate::owner::CallbackId> {
    local::register_callback(ctx, function.into_value()).ok_or_else(|| error(ctx, NO_OWNER))
}

/// A handle id from the glue as a table key; ids are whole numbers from 1, anything else names no
/// object (0 never does).
pub(super) fn handle_id(id: f64) -> u64 {
    if id.is_finite() && id >= 1.0 && id.fract() == 0.0 && id <= u64::MAX as f64 {
        id as u64
    } else {
        0
    }
}

fn session_of(ctx: &Ctx<'_>, id: f64) -> rquickjs::Result<Session> {
    table::session(handle_id(id)).ok_or_else(|| type_error(ctx, NOT_A_SESSION))
}

pub(super) fn registry_of(ctx: &Ctx<'_>, id: f64) -> rquickjs::Result<ToolRegistry> {
    table::registry(handle_id(id)).ok_or_else(|| type_error(ctx, NOT_A_REGISTRY))
}

fn optional_turn<'js>(ctx: &Ctx<'js>, value: Value<'js>) -> rquickjs::Result<Option<Turn>> {
    if value.is_undefined() || value.is_null() {
        Ok(None)
    } else {
        turn_from_js(ctx, value).map(Some)
    }
}

fn turns_to_js<'js>(ctx: &Ctx<'js>, turns: &[Arc<Turn>]) -> rquickjs::Result<Value<'js>> {
    let array = Array::new(ctx.clone())?;
    for (index, turn) in turns.iter().enumerate() {
        array.set(index, turn_to_js(ctx, turn, false)?)?;
    }
    Ok(array.into_value())
}

fn optional_turn_to_js<'js>(
    ctx: &Ctx<'js>,
    turn: Option<Arc<Turn>>,
) -> rquickjs::Result<Value<'js>> {
    match turn {
        Some(turn) => turn_to_js(ctx, &turn, false),
        None => Ok(Value::new_null(ctx.clone())),
    }
}

impl GeppettoModule {
    fn native_ops<'js>(&self, ctx: &Ctx<'js>) -> rquickjs::Result<Object<'js>> {
        let native = Object::new(ctx.clone())?;
        native.set("version", env!("CARGO_PKG_VERSION"))?;
        native.set("consts", consts(ctx)?)?;
        self.turn_ops(ctx, &native)?;
        self.engine_ops(ctx, &native)?;
        self.tool_ops(ctx, &native)?;
        self.session_ops(ctx, &native)?;
        super::profiles::register(ctx, &native, self)?;
        Ok(native)
    }

    fn turn_ops<'js>(&self, ctx: &Ctx<'js>, native: &Object<'js>) -> rquickjs::Result<()> {
        native.set(
            "normalizeTurn",
            Function::new(
                ctx.clone(),
                |ctx: Ctx<'js>, turn: Value<'js>, full: Opt<bool>| {
                    let decoded = turn_from_js(&ctx, turn)?;
                    turn_to_js(&ctx, &decoded, full.0.unwrap_or(false))
                },
            )?,
        )?;
        native.set(
            "appendBlock",
            Function::new(
                ctx.clone(),
                |ctx: Ctx<'js>, turn: Value<'js>, block: Value<'js>| {
                    let mut decoded = turn_from_js(&ctx, turn)?;
                    decoded.blocks.push(block_from_js(&ctx, block)?);
                    turn_to_js(&ctx, &decoded, false)
                },
            )?,
        )?;
        native.set(
            "newId",
            Function::new(ctx.clone(), crate::inference::turn::new_id)?,
        )?;
        Ok(())
    }

    fn engine_ops<'js>(&self, ctx: &Ctx<'js>, native: &Object<'js>) -> rquickjs::Result<()> {
        native.set(
            "echoEngine",
            Function::new(ctx.clone(), |reply: String| {
                table::add_engine(Arc::new(EchoEngine::new(&reply))) as f64
            })?,
        )?;
        native.set(
            "functionEngine",
            Function::new(ctx.clone(), |ctx: Ctx<'js>, function: Function<'js>| {
                let engine = JsFunctionEngine {
                    callback: register(&ctx, function)?,
                    owner: owner(&ctx)?,
                };
                Ok::<_, rquickjs::Error>(table::add_engine(Arc::new(engine)) as f64)
            })?,
        )?;
        let providers = self.providers.clone();
        native.set(
            "configEngine",
            Function::new(ctx.clone(), move |ctx: Ctx<'js>, options: Value<'js>| {
                let options = options::config_options(&ctx, &options)?;
                provider_engine(&ctx, providers.as_ref(), ProviderRequest::Config(options))
            })?,
        )?;
        let providers = self.providers.clone();
        native.set(
            "profileEngine",
            Function::new(
                ctx.clone(),
                move |ctx: Ctx<'js>, profile: String, options: Value<'js>| {
                    let options = options::engine_options(&ctx, &options)?;
                    provider_engine(
                        &ctx,
                        providers.as_ref(),
                        ProviderRequest::Profile(&profile, options),
                    )
                },
            )?,
        )?;
        native.set(
            "jsMiddleware",
            Function::new(
                ctx.clone(),
                |ctx: Ctx<'js>, function: Function<'js>, name: String| {
                    let middleware: Arc<dyn Middleware> = Arc::new(JsMiddleware {
                        callback: register(&ctx, function)?,
                        name,
                        owner: owner(&ctx)?,
                    });
                    Ok::<_, rquickjs::Error>(table::add_middleware(middleware) as f64)
                },
            )?,
        )?;
        Ok(())
    }

    fn tool_ops<'js>(&self, ctx: &Ctx<'js>, native: &Object<'js>) -> rquickjs::Result<()> {
        native.set(
            "newRegistry",
            Function::new(ctx.clone(), || {
                table::add_registry(ToolRegistry::new()) as f64
            })?,
        )?;
        native.set(
            "registerTool",
            Function::new(
                ctx.clone(),
                |ctx: Ctx<'js>,
                 id: f64,
                 name: String,
                 description: String,
                 parameters: Value<'js>,
                 handler: Function<'js>| {
                    let registry = registry_of(&ctx, id)?;
                    let parameters = match js_to_json(&ctx, parameters)? {
                        Json::Null => serde_json::json!({"type": "object", "properties": {}}),
                        schema => schema,
                    };
                    let tool = JsTool {
                        definition: ToolDefinition {
                            name,
                            description,
                            parameters,
                        },
                        callback: register(&ctx, handler)?,
                        owner: owner(&ctx)?,
                    };
                    registry.register(Arc::new(tool));
                    Ok::<_, rquickjs::Error>(())
                },
            )?,
        )?;
        let host_tools = self.host_tools.clone();
        native.set(
            "useHostTools",
            Function::new(
                ctx.clone(),
                move |ctx: Ctx<'js>, id: f64, names: Option<Vec<String>>| {
                    let registry = registry_of(&ctx, id)?;
                    let Some(host) = &host_tools else {
                        return Err(error(&ctx, NO_HOST_TOOLS));
                    };
                    let names = names.unwrap_or_else(|| host.names());
                    registry
                        .import(host, &names)
                        .map_err(|message| error(&ctx, &message.to_string()))
                },
            )?,
        )?;
        native.set(
            "listTools",
            Function::new(ctx.clone(), |ctx: Ctx<'js>, id: f64| {
                let registry = registry_of(&ctx, id)?;
                let listing: Vec<Json> = registry
                    .list()
                    .into_iter()
                    .map(|tool| {
                        serde_json::json!({
                            "name": tool.name,
                            "description": tool.description,
                            "version": tool.version,
                            "tags": tool.tags,
                        })
                    })
                    .collect();
                json_to_js(&ctx, &Json::Array(listing))
            })?,
        )?;
        native.set(
            "callTool",
            Function::new(
                ctx.clone(),
                |ctx: Ctx<'js>, id: f64, name: String, args: Value<'js>| {
                    let registry = registry_of(&ctx, id)?;
                    let args = js_to_json(&ctx, args)?;
                    let context = ToolContext::detached(&name);
                    let call = registry.call(&name, args, context);
                    match local::block_on(&ctx, "tool-call", call) {
                        Ok(Ok(value)) => json_to_js(&ctx, &value),
                        Ok(Err(message)) => Err(error(&ctx, &message)),
                        Err(failure) => Err(error(&ctx, &failure.message())),
                    }
                },
            )?,
        )?;
        native.set(
            "validateToolLoop",
            Function::new(ctx.clone(), |ctx: Ctx<'js>, settings: Value<'js>| {
                options::tool_loop_settings(&ctx, &settings).map(|_| ())
            })?,
        )?;
        native.set(
            "releaseHandle",
            Function::new(ctx.clone(), |kind: String, id: f64| {
                if !super::profiles::release(&kind, handle_id(id)) {
                    table::release(&kind, handle_id(id))
                }
            })?,
        )?;
        native.set(
            "logListenerError",
            Function::new(ctx.clone(), |message: String| {
                tracing::warn!(target: "geppetto::bridge", "run event listener threw: {message}");
            })?,
        )?;
        Ok(())
    }

    fn session_ops<'js>(&self, ctx: &Ctx<'js>, native: &Object<'js>) -> rquickjs::Result<()> {
        let host_middlewares = self.host_middlewares.clone();
        native.set(
            "createSession",
            Function::new(
                ctx.clone(),
                move |ctx: Ctx<'js>,
                      engine: f64,
                      middlewares: Vec<Array<'js>>,
                      tools: Option<f64>,
                      settings: Value<'js>,
                      hooks: Value<'js>| {
                    let specs = SessionSpecs {
                        engine,
                        middlewares,
                        tools,
                        settings,
                        hooks,
                    };
                    create_session(&ctx, &host_middlewares, specs)
                },
            )?,
        )?;
        native.set(
            "sessionAppend",
            Function::new(ctx.clone(), |ctx: Ctx<'js>, id: f64, turn: Value<'js>| {
                let session = session_of(&ctx, id)?;
                let turn = turn_from_js(&ctx, turn)?;
                turn_to_js(&ctx, &session.append(turn), false)
            })?,
        )?;
        native.set(
            "sessionLatest",
            Function::new(ctx.clone(), |ctx: Ctx<'js>, id: f64| {
                let session = session_of(&ctx, id)?;
                optional_turn_to_js(&ctx, session.latest())
            })?,
        )?;
        native.set(
            "sessionTurnCount",
            Function::new(ctx.clone(), |ctx: Ctx<'js>, id: f64| {
                session_of(&ctx, id).map(|session| session.turn_count() as f64)
            })?,
        )?;
        native.set(
            "sessionTurns",
            Function::new(ctx.clone(), |ctx: Ctx<'js>, id: f64| {
                let session = session_of(&ctx, id)?;
                turns_to_js(&ctx, &session.turns())
            })?,
        )?;
        native.set(
            "sessionGetTurn",
            Function::new(ctx.clone(), |ctx: Ctx<'js>, id: f64, index: f64| {
                let session = session_of(&ctx, id)?;
                let turn = (index.is_finite() && index >= 0.0 && index.fract() == 0.0)
                    .then(|| session.get_turn(index as usize))
                    .flatten();
                optional_turn_to_js(&ctx, turn)
            })?,
        )?;
        native.set(
            "sessionTurnsRange",
            Function::new(
                ctx.clone(),
                |ctx: Ctx<'js>, id: f64, start: Option<f64>, end: Option<f64>| {
                    let session = session_of(&ctx, id)?;
                    let clamp = |value: Option<f64>| {
                        value
                            .filter(|value| !value.is_nan())
                            .map(|value| value.clamp(-1e15, 1e15) as i64)
                    };
                    turns_to_js(&ctx, &session.turns_range(clamp(start), clamp(end)))
                },
            )?,
        )?;
        native.set(
            "sessionIsRunning",
            Function::new(ctx.clone(), |ctx: Ctx<'js>, id: f64| {
                session_of(&ctx, id).map(|session| session.is_running())
            })?,
        )?;
        native.set(
            "sessionCancelActive",
            Function::new(ctx.clone(), |ctx: Ctx<'js>, id: f64| {
                let session = session_of(&ctx, id)?;
                session
                    .cancel_active()
                    .map_err(|failure| error(&ctx, &failure.to_string()))
            })?,
        )?;
        native.set(
            "sessionRun",
            Function::new(
                ctx.clone(),
                |ctx: Ctx<'js>, id: f64, seed: Value<'js>, options: Value<'js>| {
                    let session = session_of(&ctx, id)?;
                    let options = options::run_options(&ctx, &options)?;
                    let seed = optional_turn(&ctx, seed)?;
                    runs::run_sync(&ctx, &session, seed, options)
                },
            )?,
        )?;
        native.set(
            "sessionStart",
            Function::new(
                ctx.clone(),
                |ctx: Ctx<'js>,
                 id: f64,
                 seed: Value<'js>,
                 options: Value<'js>,
                 deliver: Function<'js>,
                 settle: Function<'js>,
                 asynchronous: Opt<bool>| {
                    let session = session_of(&ctx, id)?;
                    let mut options = options::run_options(&ctx, &options)?;
                    options.mode = if asynchronous.0 == Some(true) {
                        RunMode::RunAsync
                    } else {
                        RunMode::Start
                    };
                    let seed = optional_turn(&ctx, seed)?;
                    let started = runs::start(&ctx, &session, seed, options, deliver, settle)?;
                    let ids = Array::new(ctx.clone())?;
                    ids.set(0, started.run_id)?;
                    ids.set(1, started.session_id)?;
                    ids.set(2, started.inference_id)?;
                    ids.set(3, started.cancel_id as f64)?;
                    Ok::<_, rquickjs::Error>(ids)
                },
            )?,
        )?;
        native.set(
            "releaseRun",
            Function::new(ctx.clone(), |id: f64| table::release_run(handle_id(id)))?,
        )?;
        native.set(
            "cancelRun",
            Function::new(ctx.clone(), |id: f64| {
                if let Some(token) = table::run(handle_id(id)) {
                    token.cancel();
                }
            })?,
        )?;
        Ok(())
    }
}

fn provider_engine<'js>(
    ctx: &Ctx<'js>,
    providers: Option<&ProviderFactory>,
    request: ProviderRequest<'_>,
) -> rquickjs::Result<Array<'js>> {
    let Some(providers) = providers else {
        return Err(error(ctx, NO_PROVIDERS));
    };
    let (engine, name) = providers(request).map_err(|message| error(ctx, &message))?;
    let made = Array::new(ctx.clone())?;
    made.set(0, table::add_engine(engine) as f64)?;
    made.set(1, name)?;
    Ok(made)
}

/// The arguments of the `createSession` op.
struct SessionSpecs<'js> {
    engine: f64,
    middlewares: Vec<Array<'js>>,
    tools: Option<f64>,
    settings: Value<'js>,
    hooks: Value<'js>,
}

fn create_session<'js>(
    ctx: &Ctx<'js>,
    host_middlewares: &BTreeMap<String, HostMiddlewareFactory>,
    specs: SessionSpecs<'js>,
) -> rquickjs::Result<f64> {
    let SessionSpecs {
        engine,
        middlewares: middleware_specs,
        tools,
        settings,
        hooks,
    } = specs;
    let engine = table::engine(handle_id(engine)).ok_or_else(|| type_error(ctx, NOT_AN_ENGINE))?;
    let mut config = SessionConfig::new(engine);
    for spec in middleware_specs {
        config
            .middlewares
            .push(host_or_script_middleware(ctx, host_middlewares, spec)?);
    }
    if let Some(tools) = tools {
        config.tools = Some(registry_of(ctx, tools)?);
    }
    if !settings.is_undefined() && !settings.is_null() {
        config.tool_loop = Some(options::tool_loop_settings(ctx, &settings)?);
    }
    config.hooks = hooks_from_js(ctx, hooks)?;
    Ok(table::add_session(Session::new(config)) as f64)
}

/// The middleware a glue spec `[kind, idOrName, options]` names: `["go", name, options]` is a
/// host middleware, `["js", id]` one from the handle table.
pub(super) fn middleware_from_spec<'js>(
    ctx: &Ctx<'js>,
    spec: Array<'js>,
) -> rquickjs::Result<Arc<dyn Middleware>> {
    host_or_script_middleware(ctx, &BTreeMap::new(), spec)
}

/// Like [`middleware_from_spec`], a `go` middleware looked up among the embedder's
/// `host_middlewares` first.
fn host_or_script_middleware<'js>(
    ctx: &Ctx<'js>,
    host_middlewares: &BTreeMap<String, HostMiddlewareFactory>,
    spec: Array<'js>,
) -> rquickjs::Result<Arc<dyn Middleware>> {
    let kind: String = spec.get(0)?;
    if kind == "go" {
        let name: String = spec.get(1)?;
        let options = options::middleware_options(ctx, spec.get(2)?)?;
        match host_middlewares.get(&name) {
            Some(factory) => factory(options.as_ref()),
            None => crate::inference::middlewares::host_middleware(&name, options.as_ref())
                .map_err(|error| error.to_string()),
        }
        .map_err(|message| error(ctx, &message))
    } else {
        let id: f64 = spec.get(1)?;
        table::middleware(handle_id(id)).ok_or_else(|| type_error(ctx, NOT_A_MIDDLEWARE))
    }
}

/// Tool hooks from a JS hooks object (`beforeToolCall`, `afterToolCall`, `onToolError` and the
/// policy keys); `None` for anything that is not an object.
pub(super) fn hooks_from_js<'js>(
    ctx: &Ctx<'js>,
    hooks: Value<'js>,
) -> rquickjs::Result<Option<Arc<dyn crate::inference::ToolHooks>>> {
    let Some(hooks) = hooks.as_object() else {
        return Ok(None);
    };
    let function = |name: &str| -> rquickjs::Result<Option<crate::owner::CallbackId>> {
        match hooks.get::<_, Value>(name)?.into_function() {
            Some(function) => register(ctx, function).map(Some),
            None => Ok(None),
        }
    };
    let policy = options::hook_policy(ctx, &hooks.clone().into_value())?;
    Ok(Some(Arc::new(JsHooks {
        before: function("beforeToolCall")?,
        after: function("afterToolCall")?,
        on_error: function("onToolError")?,
        policy,
        owner: owner(ctx)?,
    })))
}

/// The frozen `consts` object, built from the generated groups.
fn consts<'js>(ctx: &Ctx<'js>) -> rquickjs::Result<Object<'js>> {
    let freeze: Function = ctx.globals().get::<_, Object>("Object")?.get("freeze")?;
    let consts = Object::new(ctx.clone())?;
    for (group, values) in JS_CONST_GROUPS {
        let object = Object::new(ctx.clone())?;
        for (name, value) in values.iter() {
            object.set(*name, *value)?;
        }
        consts.set(*group, freeze.call::<_, Object>((object,))?)?;
    }
    freeze.call((consts,))
}
