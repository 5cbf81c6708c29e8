//! The host: which built-in modules and host tools a `geppetto` runtime gets.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::bridge::{
    DatabaseSource, GeppettoModule, ProviderFactory, ProviderRequest, database_modules,
};
use crate::inference::ToolRegistry;
use crate::inference::agent::TurnStore;
use crate::inference::tools::default_host_tools;
use crate::profiles::HostProfiles;
use crate::providers::{self, Env};
use crate::runtime::{EventsModule, ScriptHost};

/// Names of the host tools the CLI registers.
pub fn host_tool_names() -> Vec<String> {
    default_host_tools().names()
}

/// `host` with the `geppetto` module registered, offering the default host tools and the
/// environment in `host.env` for provider resolution, and the `events` module (`node:events`)
/// that agent scripts use; no profile registry, no turn stores.
pub fn with_geppetto(host: ScriptHost) -> ScriptHost {
    with_geppetto_agent(host, AgentHost::default())
}

/// [`with_geppetto`] with `profiles` as the host profile registry of
/// `inferenceProfiles.resolve()`/`default()`.
pub fn with_geppetto_profiles(host: ScriptHost, profiles: Option<HostProfiles>) -> ScriptHost {
    with_geppetto_agent(
        host,
        AgentHost {
            profiles,
            ..AgentHost::default()
        },
    )
}

/// What the agent API gets from its host.
#[derive(Default)]
pub struct AgentHost {
    /// The host profile registry of `inferenceProfiles.resolve()`/`default()`; `None`: none.
    pub profiles: Option<HostProfiles>,
    /// Turn stores by name (`"default"`: the store agent runs persist to unless they opt out).
    pub turn_stores: BTreeMap<String, Arc<dyn TurnStore>>,
}

/// [`with_geppetto`] with the agent API's host configuration.
pub fn with_geppetto_agent(host: ScriptHost, agent: AgentHost) -> ScriptHost {
    let module = GeppettoModule {
        host_tools: Some(default_host_tools()),
        providers: Some(provider_factory(host.env.iter().collect())),
        env: host.env.clone(),
        turn_stores: agent.turn_stores,
        profiles: agent.profiles,
        profile_base_settings: None,
        bearer_tokens: None,
        host_middlewares: Default::default(),
    };
    EventsModule::ALL
        .into_iter()
        .fold(host, |host, events| host.with_module(Arc::new(events)))
        .with_module(Arc::new(module))
}

/// `host` with the `database` module registered under both its names (`database`, `db`),
/// starting from `source`.
pub fn with_database(host: ScriptHost, source: DatabaseSource) -> ScriptHost {
    database_modules(source)
        .into_iter()
        .fold(host, ScriptHost::with_module)
}

/// Provider engines for `fromConfig` and `fromProfile`, resolving API keys and profiles against
/// `env` (options first, then the provider's usual environment variable).
pub fn provider_factory(env: Env) -> ProviderFactory {
    Arc::new(move |request| match request {
        ProviderRequest::Config(options) => {
            let engine = providers::engine_from_config_with_env(options, &env)
                .map_err(|error| error.to_string())?;
            let name = engine.name().to_string();
            Ok((engine, name))
        }
        ProviderRequest::Profile(profile, options) => {
            let profile = (!profile.is_empty()).then_some(profile);
            let engine = providers::engine_from_profile(profile, options, &env)
                .map_err(|error| error.to_string())?;
            let name = engine.name().to_string();
            Ok((engine, name))
        }
    })
}

/// A module with host tools from `registry` (for embedders).
pub fn geppetto_module(registry: ToolRegistry) -> GeppettoModule {
    GeppettoModule {
        host_tools: Some(registry),
        ..GeppettoModule::default()
    }
}
