//! The host: which built-in modules and host tools a `geppetto` runtime gets.

use std::sync::Arc;

use crate::bridge::GeppettoModule;
use crate::inference::ToolRegistry;
use crate::inference::tools::default_host_tools;
use crate::runtime::ScriptHost;

/// Names of the host tools the CLI registers.
pub fn host_tool_names() -> Vec<String> {
    default_host_tools().names()
}

/// `host` with the `geppetto` module registered, offering the default host tools and the
/// environment in `host.env` for provider resolution.
pub fn with_geppetto(host: ScriptHost) -> ScriptHost {
    let module = GeppettoModule {
        host_tools: Some(default_host_tools()),
        providers: None,
        env: host.env.clone(),
    };
    host.with_module(Arc::new(module))
}

/// A module with host tools from `registry` (for embedders).
pub fn geppetto_module(registry: ToolRegistry) -> GeppettoModule {
    GeppettoModule {
        host_tools: Some(registry),
        ..GeppettoModule::default()
    }
}
