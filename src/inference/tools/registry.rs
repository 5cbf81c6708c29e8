//! The tool registry: named tools, in insertion order, shared by every clone.

use std::sync::Arc;

use futures_util::future::BoxFuture;
use parking_lot::{Mutex, RwLock};
use serde::Serialize;
use serde_json::Value;

use super::{Tool, ToolContext};
use crate::inference::engine::{EngineTools, ToolChoice, ToolDefinition};

/// A set of tools by name, in registration order.
///
/// A clone is an `Arc` clone: every clone sees the same tools, so a tool registered after a session
/// was built is callable in its next run (as in the original).
#[derive(Clone, Default)]
pub struct ToolRegistry {
    tools: Arc<RwLock<Vec<Arc<dyn Tool>>>>,
    /// The tools last offered to an engine ([`ToolRegistry::offered`]); cleared by `register`.
    offered: Arc<Mutex<Option<Offered>>>,
}

/// What [`ToolRegistry::offered`] built last, and for which arguments.
struct Offered {
    allowed: Option<Vec<String>>,
    choice: ToolChoice,
    tools: Arc<EngineTools>,
}

/// One entry of [`ToolRegistry::list`] (`{name, description, version, tags}` in JS).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ToolListing {
    /// Tool name.
    pub name: String,
    /// What the tool does.
    pub description: String,
    /// The tool's version, possibly empty.
    pub version: String,
    /// The tool's tags.
    pub tags: Vec<String>,
}

impl std::fmt::Debug for ToolRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.names()).finish()
    }
}

impl ToolRegistry {
    /// An empty registry.
    pub fn new() -> ToolRegistry {
        ToolRegistry::default()
    }

    /// Adds `tool`; a tool of the same name is replaced in place (keeping its position).
    pub fn register(&self, tool: Arc<dyn Tool>) -> &ToolRegistry {
        let mut tools = self.tools.write();
        *self.offered.lock() = None;
        let name = tool.definition().name.clone();
        match tools
            .iter_mut()
            .find(|existing| existing.definition().name == name)
        {
            Some(existing) => *existing = tool,
            None => tools.push(tool),
        }
        self
    }

    /// The tool called `name`.
    pub fn get(&self, name: &str) -> Option<Arc<dyn Tool>> {
        self.tools
            .read()
            .iter()
            .find(|tool| tool.definition().name == name)
            .cloned()
    }

    /// Tool names, in registration order.
    pub fn names(&self) -> Vec<String> {
        self.tools
            .read()
            .iter()
            .map(|tool| tool.definition().name.clone())
            .collect()
    }

    /// Number of tools.
    pub fn len(&self) -> usize {
        self.tools.read().len()
    }

    /// Whether the registry has no tools.
    pub fn is_empty(&self) -> bool {
        self.tools.read().is_empty()
    }

    /// `{name, description, version, tags}` of every tool, in registration order.
    pub fn list(&self) -> Vec<ToolListing> {
        self.tools
            .read()
            .iter()
            .map(|tool| {
                let definition = tool.definition();
                ToolListing {
                    name: definition.name.clone(),
                    description: definition.description.clone(),
                    version: tool.version().to_string(),
                    tags: tool.tags().to_vec(),
                }
            })
            .collect()
    }

    /// The definitions of every tool, in registration order (what an engine offers the model).
    pub fn definitions(&self) -> Vec<ToolDefinition> {
        self.tools
            .read()
            .iter()
            .map(|tool| tool.definition().clone())
            .collect()
    }

    /// The tools an engine may offer: the definitions `allowed` lets through (all of them when
    /// `None`), in registration order, and `choice`. Every step of every run asks for these, so the
    /// result is shared: the same `Arc` while no tool is registered and the arguments repeat.
    pub fn offered(&self, allowed: Option<&[String]>, choice: ToolChoice) -> Arc<EngineTools> {
        let tools = self.tools.read();
        // Under the read lock: `register` (write lock) cannot change the tools meanwhile.
        let mut offered = self.offered.lock();
        if let Some(last) = offered.as_ref()
            && last.choice == choice
            && last.allowed.as_deref() == allowed
        {
            return last.tools.clone();
        }
        let built = Arc::new(EngineTools {
            definitions: tools
                .iter()
                .map(|tool| tool.definition())
                .filter(|definition| {
                    allowed.is_none_or(|allowed| allowed.contains(&definition.name))
                })
                .cloned()
                .collect(),
            choice,
        });
        *offered = Some(Offered {
            allowed: allowed.map(<[String]>::to_vec),
            choice,
            tools: built.clone(),
        });
        built
    }

    /// Registers the tools of `source` named in `names`, or all of them when `names` is empty
    /// (`useGoTools(names?)`). An unknown name fails with `tool not found: <name>` and registers
    /// nothing.
    pub fn import(&self, source: &ToolRegistry, names: &[String]) -> Result<(), ToolNotFound> {
        let picked: Vec<Arc<dyn Tool>> = if names.is_empty() {
            source.tools.read().clone()
        } else {
            names
                .iter()
                .map(|name| {
                    source
                        .get(name)
                        .ok_or_else(|| ToolNotFound { name: name.clone() })
                })
                .collect::<Result<_, _>>()?
        };
        for tool in picked {
            self.register(tool);
        }
        Ok(())
    }

    /// Calls tool `name` directly (`registry.call(name, args)`); an unknown name fails with
    /// `tool not found: <name>`.
    pub fn call(
        &self,
        name: &str,
        args: Value,
        ctx: ToolContext,
    ) -> BoxFuture<'static, Result<Value, String>> {
        match self.get(name) {
            Some(tool) => tool.call(args, ctx),
            None => {
                let error = format!("tool not found: {name}");
                Box::pin(async move { Err(error) })
            }
        }
    }
}

/// A tool name that is not in the registry (`tool not found: <name>`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("tool not found: {name}")]
pub struct ToolNotFound {
    /// The name asked for.
    pub name: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inference::tools::default_host_tools;
    use serde_json::json;

    #[test]
    fn clones_share_tools_and_keep_order() {
        let registry = ToolRegistry::new();
        let clone = registry.clone();
        clone.import(&default_host_tools(), &[]).unwrap();
        assert_eq!(registry.names(), ["go_double", "go_concat"]);
        // Registering an existing name replaces it in place.
        registry
            .import(&default_host_tools(), &["go_double".into()])
            .unwrap();
        assert_eq!(registry.names(), ["go_double", "go_concat"]);
        assert_eq!(registry.len(), 2);
    }

    #[test]
    fn offered_tools_are_shared_until_a_tool_is_registered() {
        let registry = ToolRegistry::new();
        registry
            .import(&default_host_tools(), &["go_double".into()])
            .unwrap();
        let names = |tools: &EngineTools| -> Vec<String> {
            tools.definitions.iter().map(|d| d.name.clone()).collect()
        };
        let first = registry.offered(None, ToolChoice::Auto);
        assert_eq!(names(&first), ["go_double"]);
        assert!(Arc::ptr_eq(
            &first,
            &registry.offered(None, ToolChoice::Auto)
        ));
        // Other arguments are built anew.
        let required = registry.offered(None, ToolChoice::Required);
        assert_eq!(required.choice, ToolChoice::Required);
        let none_allowed = registry.offered(Some(&["go_concat".into()]), ToolChoice::Required);
        assert!(none_allowed.definitions.is_empty());
        // A registration (through any clone) is offered at once.
        registry
            .clone()
            .import(&default_host_tools(), &["go_concat".into()])
            .unwrap();
        let after = registry.offered(None, ToolChoice::Auto);
        assert_eq!(names(&after), ["go_double", "go_concat"]);
        let allowed = registry.offered(Some(&["go_concat".into()]), ToolChoice::Auto);
        assert_eq!(names(&allowed), ["go_concat"]);
    }

    #[test]
    fn import_table() {
        type Case = (
            &'static [&'static str],
            Result<&'static [&'static str], &'static str>,
        );
        let cases: [Case; 3] = [
            (&[], Ok(&["go_double", "go_concat"])),
            (&["go_concat"], Ok(&["go_concat"])),
            (&["go_concat", "nope"], Err("tool not found: nope")),
        ];
        for (names, expected) in cases {
            let registry = ToolRegistry::new();
            let names: Vec<String> = names.iter().map(|name| name.to_string()).collect();
            match (registry.import(&default_host_tools(), &names), expected) {
                (Ok(()), Ok(expected)) => assert_eq!(registry.names(), expected),
                (Err(error), Err(expected)) => {
                    assert_eq!(error.to_string(), expected);
                    assert!(registry.is_empty());
                }
                (got, expected) => panic!("{names:?}: got {got:?}, expected {expected:?}"),
            }
        }
    }

    #[test]
    fn list_shows_name_description_version_tags() {
        let listing = default_host_tools().list();
        assert_eq!(
            listing[0],
            ToolListing {
                name: "go_double".into(),
                description: "Double a number and return {value}".into(),
                version: String::new(),
                tags: vec![],
            }
        );
    }

    #[tokio::test]
    async fn call_table() {
        let registry = default_host_tools();
        let cases = [
            ("go_double", json!({"n": 21}), Ok(json!({"value": 42}))),
            (
                "go_concat",
                json!({"a": "x", "b": "y"}),
                Ok(json!({"value": "xy"})),
            ),
            ("nope", json!({}), Err("tool not found: nope".to_string())),
        ];
        for (name, args, expected) in cases {
            let got = registry.call(name, args, ToolContext::detached(name)).await;
            assert_eq!(got, expected, "tool {name}");
        }
    }
}
