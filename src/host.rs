//! The host: which built-in modules and host tools a `geppetto` runtime gets.

use crate::runtime::ScriptHost;

/// Names of the host tools the CLI registers.
pub fn host_tool_names() -> Vec<String> {
    Vec::new()
}

/// `host` with the `geppetto` module registered.
pub fn with_geppetto(host: ScriptHost) -> ScriptHost {
    host
}
