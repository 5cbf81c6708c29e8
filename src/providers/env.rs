//! Environment variables as plain data, passed in by the caller.
//!
//! **Architecture Invariant:** the library never reads the process environment itself. The CLI
//! (or an embedder) builds an [`Env`] from `std::env::vars()` and hands it to
//! [`engine_from_profile`](super::engine_from_profile); tests build one from a few pairs.

use std::collections::BTreeMap;

/// A snapshot of environment variables. Values are never printed by `Debug`, because they hold
/// API keys.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Env {
    vars: BTreeMap<String, String>,
}

impl Env {
    /// An empty environment.
    pub fn new() -> Env {
        Env::default()
    }

    /// This environment with `key` set to `value`.
    pub fn with(mut self, key: impl Into<String>, value: impl Into<String>) -> Env {
        self.vars.insert(key.into(), value.into());
        self
    }

    /// The value of `key`, if set and not empty (an empty variable counts as unset, as shells
    /// commonly export `FOO=` to clear a value).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.vars
            .get(key)
            .map(String::as_str)
            .filter(|value| !value.trim().is_empty())
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for Env {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Env {
        Env {
            vars: iter
                .into_iter()
                .map(|(key, value)| (key.into(), value.into()))
                .collect(),
        }
    }
}

impl std::fmt::Debug for Env {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Env")
            .field("keys", &self.vars.keys().collect::<Vec<_>>())
            .finish()
    }
}
