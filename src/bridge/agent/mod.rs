//! The agent API's JS face (js-api-agent.md): the native ops behind `js/agent.js` (agents,
//! sessions, runs, results and event delivery), and the glue that adds `agent`, `schema`,
//! `tool` and `toolRegistry` to the module's exports.

mod events;
mod runs;
mod stores;

use std::sync::Arc;

use base64::Engine as _;
use rquickjs::function::Opt;
use rquickjs::{Array, Ctx, Function, Object, Value};

use super::argument::{error, type_error};
use super::codec::{js_to_json, turn_from_js, turn_to_js};
use super::module::{GeppettoModule, hooks_from_js, middleware_from_spec, registry_of};
use super::{options, table};
use crate::inference::agent::keys::canonical_key;
use crate::inference::agent::session::agent_tool_loop_defaults;
use crate::inference::agent::{
    AgentConfig, AgentSession, AgentTools, ImportSource, SessionSpec, TurnStore,
};
use crate::inference::turn::Turn;

/// Adds the agent ops to the module's `native` object.
pub fn install<'js>(
    ctx: &Ctx<'js>,
    native: &Object<'js>,
    module: &GeppettoModule,
) -> rquickjs::Result<()> {
    let host_tools = module.host_tools.clone();
    native.set(
        "agentBuild",
        Function::new(ctx.clone(), move |ctx: Ctx<'js>, spec: Object<'js>| {
            agent_build(&ctx, spec, host_tools.clone())
        })?,
    )?;
    let turn_stores = module.turn_stores.clone();
    native.set(
        "agentSession",
        Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>, agent: f64, spec: Object<'js>| {
                new_session(&ctx, agent, spec, &turn_stores)
            },
        )?,
    )?;
    store_ops(ctx, native, module)?;
    session_ops(ctx, native)?;
    run_ops(ctx, native)?;
    native.set(
        "checkHostMiddleware",
        Function::new(ctx.clone(), |ctx: Ctx<'js>, name: String| {
            crate::inference::middlewares::host_middleware(&name, None)
                .map(|_| ())
                .map_err(|message| error(&ctx, &message.to_string()))
        })?,
    )?;
    native.set(
        "canonicalKey",
        Function::new(ctx.clone(), |key: String| canonical_key(&key))?,
    )?;
    native.set(
        "readFileBase64",
        Function::new(ctx.clone(), |ctx: Ctx<'js>, path: String| {
            std::fs::read(&path)
                .map(|bytes| base64::engine::general_purpose::STANDARD.encode(bytes))
                .map_err(|failure| error(&ctx, &format!("imageFile {path}: {failure}")))
        })?,
    )?;
    native.set(
        "logEventListenerError",
        Function::new(ctx.clone(), |message: String| {
            tracing::warn!(target: "geppetto::bridge", "geppetto event listener threw: {message}");
        })?,
    )?;
    Ok(())
}

/// Evaluates `js/agent.js` over the module's exports, adding the agent API to them.
pub fn extend<'js>(
    ctx: &Ctx<'js>,
    native: Object<'js>,
    exports: Object<'js>,
) -> rquickjs::Result<Object<'js>> {
    let glue: Function = ctx.eval(include_str!("../../../js/agent.js"))?;
    let shared: Object = native.get("internal")?;
    glue.call::<_, ()>((native, exports.clone(), shared))?;
    Ok(exports)
}

fn agent_session(ctx: &Ctx<'_>, id: f64) -> rquickjs::Result<AgentSession> {
    table::agent_session(id as u64)
        .ok_or_else(|| type_error(ctx, "expected agent session reference"))
}

fn agent_build<'js>(
    ctx: &Ctx<'js>,
    spec: Object<'js>,
    host_tools: Option<crate::inference::ToolRegistry>,
) -> rquickjs::Result<f64> {
    let engine: f64 = spec.get("engine")?;
    let engine =
        table::engine(engine as u64).ok_or_else(|| type_error(ctx, "expected engine reference"))?;
    let mut config = AgentConfig::new(engine);
    config.name = spec.get::<_, Option<String>>("name")?.unwrap_or_default();
    for middleware in spec.get::<_, Vec<Array>>("middlewares")? {
        config
            .middlewares
            .push(middleware_from_spec(ctx, middleware)?);
    }
    let registry = |key: &str| -> rquickjs::Result<Option<crate::inference::ToolRegistry>> {
        spec.get::<_, Option<f64>>(key)?
            .map(|id| registry_of(ctx, id))
            .transpose()
    };
    config.tools = AgentTools {
        added: registry("added")?,
        registry: registry("registry")?,
        only: spec.get::<_, Vec<String>>("only")?,
        host: host_tools,
    };
    let settings: Value = spec.get("toolLoop")?;
    if let Some(object) = settings.as_object() {
        let mut parsed = options::tool_loop_settings(ctx, &settings)?;
        let given: Value = object.get("maxIterations")?;
        if !given
            .as_number()
            .is_some_and(|iterations| iterations >= 1.0)
        {
            parsed.max_iterations = agent_tool_loop_defaults().max_iterations;
        }
        config.tool_loop = parsed;
    }
    config.hooks = hooks_from_js(ctx, spec.get("hooks")?)?;
    Ok(table::add_agent(Arc::new(config)) as f64)
}

/// The host's turn stores by name.
type Stores = std::collections::BTreeMap<String, Arc<dyn TurnStore>>;

fn store_named(ctx: &Ctx<'_>, stores: &Stores, name: &str) -> rquickjs::Result<Arc<dyn TurnStore>> {
    stores.get(name).cloned().ok_or_else(|| {
        error(
            ctx,
            &format!("geppetto turn store \"{name}\" is not configured"),
        )
    })
}

fn store_ops<'js>(
    ctx: &Ctx<'js>,
    native: &Object<'js>,
    module: &GeppettoModule,
) -> rquickjs::Result<()> {
    let stores = module.turn_stores.clone();
    native.set(
        "storeExists",
        Function::new(ctx.clone(), move |name: String| stores.contains_key(&name))?,
    )?;
    let stores = module.turn_stores.clone();
    native.set(
        "storeList",
        Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>, name: String, query: Value<'js>| {
                let store = store_named(&ctx, &stores, &name)?;
                let query = stores::query_from_js(&ctx, query, stores::QueryUse::List)?;
                let snapshots = stores::wait(&ctx, store.list(query))?;
                stores::snapshots_to_js(&ctx, &snapshots)
            },
        )?,
    )?;
    let stores = module.turn_stores.clone();
    native.set(
        "storeLoadLatest",
        Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>, name: String, query: Value<'js>| {
                let store = store_named(&ctx, &stores, &name)?;
                let query = stores::query_from_js(&ctx, query, stores::QueryUse::Latest)?;
                match stores::wait(&ctx, store.load_latest(query))? {
                    Some(snapshot) => {
                        stores::snapshot_to_js(&ctx, &snapshot).map(Object::into_value)
                    }
                    None => Ok(Value::new_null(ctx.clone())),
                }
            },
        )?,
    )?;
    let stores = module.turn_stores.clone();
    native.set(
        "storeClose",
        Function::new(ctx.clone(), move |ctx: Ctx<'js>, name: String| {
            store_named(&ctx, &stores, &name).map(|store| store.close())
        })?,
    )?;
    Ok(())
}

fn new_session<'js>(
    ctx: &Ctx<'js>,
    agent: f64,
    spec: Object<'js>,
    stores: &Stores,
) -> rquickjs::Result<f64> {
    let agent =
        table::agent(agent as u64).ok_or_else(|| type_error(ctx, "expected agent reference"))?;
    let metadata = match js_to_json(ctx, spec.get("metadata")?)? {
        serde_json::Value::Object(metadata) => metadata,
        _ => Default::default(),
    };
    let base: Value = spec.get("base")?;
    let base = if base.is_object() {
        let source = match spec.get::<_, String>("source")?.as_str() {
            "fork" => ImportSource::Fork,
            "resume" => ImportSource::Resume,
            _ => ImportSource::Base,
        };
        Some((turn_from_js(ctx, base)?, source))
    } else {
        None
    };
    let session = AgentSession::new(
        agent,
        SessionSpec {
            id: spec.get::<_, Option<String>>("id")?.unwrap_or_default(),
            name: spec.get::<_, Option<String>>("name")?.unwrap_or_default(),
            metadata,
            base,
            store: match spec.get::<_, Option<String>>("store")? {
                Some(name) => Some(store_named(ctx, stores, &name)?),
                None => None,
            },
        },
    );
    Ok(table::add_agent_session(session) as f64)
}

fn optional_turn<'js>(ctx: &Ctx<'js>, turn: Option<Turn>) -> rquickjs::Result<Value<'js>> {
    match turn {
        Some(turn) => turn_to_js(ctx, &turn, false),
        None => Ok(Value::new_null(ctx.clone())),
    }
}

fn session_ops<'js>(ctx: &Ctx<'js>, native: &Object<'js>) -> rquickjs::Result<()> {
    native.set(
        "agentSessionInfo",
        Function::new(ctx.clone(), |ctx: Ctx<'js>, id: f64| {
            let session = agent_session(&ctx, id)?;
            Ok::<_, rquickjs::Error>(vec![session.id().to_string(), session.name().to_string()])
        })?,
    )?;
    native.set(
        "agentSessionNext",
        Function::new(ctx.clone(), |ctx: Ctx<'js>, id: f64| {
            let seed = agent_session(&ctx, id)?
                .next_seed()
                .map_err(|failure| error(&ctx, &failure.to_string()))?;
            turn_to_js(&ctx, &seed, false)
        })?,
    )?;
    native.set(
        "agentSessionLatest",
        Function::new(ctx.clone(), |ctx: Ctx<'js>, id: f64| {
            optional_turn(&ctx, agent_session(&ctx, id)?.latest())
        })?,
    )?;
    native.set(
        "agentSessionTurns",
        Function::new(ctx.clone(), |ctx: Ctx<'js>, id: f64| {
            let array = Array::new(ctx.clone())?;
            for (index, turn) in agent_session(&ctx, id)?.turns().iter().enumerate() {
                array.set(index, turn_to_js(&ctx, turn, false)?)?;
            }
            Ok::<_, rquickjs::Error>(array)
        })?,
    )?;
    native.set(
        "agentSessionTurn",
        Function::new(ctx.clone(), |ctx: Ctx<'js>, id: f64, index: f64| {
            let session = agent_session(&ctx, id)?;
            let turn = (index.is_finite() && index >= 0.0 && index.fract() == 0.0)
                .then(|| session.turn(index as usize))
                .flatten();
            optional_turn(&ctx, turn)
        })?,
    )?;
    native.set(
        "agentSessionTurnCount",
        Function::new(ctx.clone(), |ctx: Ctx<'js>, id: f64| {
            agent_session(&ctx, id).map(|session| session.turn_count() as f64)
        })?,
    )?;
    native.set(
        "agentSessionIsRunning",
        Function::new(ctx.clone(), |ctx: Ctx<'js>, id: f64| {
            agent_session(&ctx, id).map(|session| session.is_running())
        })?,
    )?;
    native.set(
        "agentSessionCancel",
        Function::new(ctx.clone(), |ctx: Ctx<'js>, id: f64| {
            agent_session(&ctx, id).map(|session| session.cancel())
        })?,
    )?;
    native.set(
        "agentSessionClose",
        Function::new(ctx.clone(), |ctx: Ctx<'js>, id: f64| {
            agent_session(&ctx, id).map(|session| session.close())
        })?,
    )?;
    Ok(())
}

fn run_ops<'js>(ctx: &Ctx<'js>, native: &Object<'js>) -> rquickjs::Result<()> {
    native.set(
        "checkRunOptions",
        Function::new(ctx.clone(), |ctx: Ctx<'js>, layers: Array<'js>| {
            runs::run_options(&ctx, layers).map(|_| ())
        })?,
    )?;
    native.set(
        "agentRun",
        Function::new(
            ctx.clone(),
            |ctx: Ctx<'js>,
             id: f64,
             turn: Value<'js>,
             layers: Array<'js>,
             deliver: Opt<Value<'js>>| {
                let session = agent_session(&ctx, id)?;
                let options = runs::run_options(&ctx, layers)?;
                let turn = turn_from_js(&ctx, turn)?;
                let deliver = deliver
                    .0
                    .unwrap_or_else(|| Value::new_undefined(ctx.clone()));
                runs::run_sync(&ctx, &session, turn, options, deliver)
            },
        )?,
    )?;
    native.set(
        "agentStart",
        Function::new(
            ctx.clone(),
            |ctx: Ctx<'js>,
             id: f64,
             turn: Value<'js>,
             layers: Array<'js>,
             deliver: Value<'js>,
             settle: Function<'js>| {
                let session = agent_session(&ctx, id)?;
                let options = runs::run_options(&ctx, layers)?;
                let turn = turn_from_js(&ctx, turn)?;
                runs::start(&ctx, &session, turn, options, deliver, settle).map(|id| id as f64)
            },
        )?,
    )?;
    native.set(
        "agentReleaseRun",
        Function::new(ctx.clone(), |ctx: Ctx<'js>, id: f64| {
            runs::release(&ctx, id as u64)
        })?,
    )?;
    Ok(())
}
