//! The host: which built-in modules and host tools a `geppetto` runtime gets.

use std::sync::Arc;

use crate::bridge::{GeppettoModule, ProviderFactory, ProviderRequest};
use crate::inference::ToolRegistry;
use crate::inference::tools::default_host_tools;
use crate::profiles::HostProfiles;
use crate::providers::{self, Env};
use crate::runtime::ScriptHost;

/// Names of the host tools the CLI registers.
pub fn host_tool_names() -> Vec<String> {
    default_host_tools().names()
}

/// `host` with the `geppetto` module registered, offering the default host tools and the
/// environment in `host.env` for provider resolution; no profile registry.
pub fn with_geppetto(host: ScriptHost) -> ScriptHost {
    with_geppetto_profiles(host, None)
}

/// [`with_geppetto`] with `profiles` as the host profile registry of
/// `inferenceProfiles.resolve()`/`default()`.
pub fn with_geppetto_profiles(host: ScriptHost, profiles: Option<HostProfiles>) -> ScriptHost {
    let module = GeppettoModule {
        host_tools: Some(default_host_tools()),
        providers: Some(provider_factory(host.env.iter().collect())),
        env: host.env.clone(),
        profiles,
        profile_base_settings: None,
        bearer_tokens: None,
    };
    host.with_module(Arc::new(module))
}

/// Provider engines for `fromConfig` and `fromProfile`, resolving API keys and profiles against
/// `env` (options first, then the provider's usual environment variable).
pub fn provider_factory(env: Env) -> ProviderFactory {
    Arc::new(move |request| match request {
        ProviderRequest::Config(options) => {
            let engine = providers::engine_from_config_with_env(options, &env)?;
            let name = engine.name().to_string();
            Ok((engine, name))
        }
        ProviderRequest::Profile(profile, options) => {
            let profile = (!profile.is_empty()).then_some(profile);
            let engine = providers::engine_from_profile(profile, options, &env)?;
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
