//! [`InferenceSettings`]: what a profile resolves to. The merged settings in YAML shape, their
//! redacted view, the provenance of the resolution and the typed `model_info`.

use serde_json::{Map, Value, json};

/// The value every secret is replaced by in redacted views.
pub const REDACTED: &str = "[REDACTED]";

/// Key names whose values are secrets, at any depth.
pub const SECRET_KEYS: [&str; 7] = [
    "api_keys", "apiKeys", "api_key", "apiKey", "key", "secret", "token",
];

/// Resolved inference settings: the merged layers of a profile's stack plus where they came from.
#[derive(Clone, PartialEq)]
pub struct InferenceSettings {
    values: Map<String, Value>,
    provenance: Provenance,
}

impl std::fmt::Debug for InferenceSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InferenceSettings")
            .field("values", &redact(&Value::Object(self.values.clone())))
            .field("provenance", &self.provenance)
            .finish()
    }
}

/// Where resolved settings came from.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Provenance {
    /// The resolved profile's registry.
    pub registry_slug: String,
    /// The resolved profile.
    pub profile_slug: String,
    /// Every applied profile, bases first, the resolved profile last.
    pub stack_lineage: Vec<LineageEntry>,
    /// The registry chain's sources, as given.
    pub sources: Vec<String>,
}

/// One applied profile of a stack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineageEntry {
    /// Its registry.
    pub registry_slug: String,
    /// Its slug.
    pub profile_slug: String,
    /// `metadata.version`, when non-zero.
    pub version: Option<u64>,
    /// `metadata.source`, when non-empty.
    pub source: Option<String>,
}

/// The typed `model_info` section.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ModelInfo {
    /// `id`.
    pub id: Option<String>,
    /// `name`.
    pub name: Option<String>,
    /// `reasoning`.
    pub reasoning: Option<bool>,
    /// `input` (modalities).
    pub input: Option<Vec<String>>,
    /// `context_window`.
    pub context_window: Option<u64>,
    /// `quality_high_watermark`.
    pub quality_high_watermark: Option<u64>,
    /// `max_output_tokens`.
    pub max_output_tokens: Option<u64>,
    /// `cost` (USD per million tokens).
    pub cost: Option<ModelCost>,
    /// `metadata`.
    pub metadata: Option<Map<String, Value>>,
}

/// `model_info.cost`, USD per million tokens.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ModelCost {
    /// `input`.
    pub input: f64,
    /// `output`.
    pub output: f64,
    /// `cache_read`.
    pub cache_read: f64,
    /// `cache_write`.
    pub cache_write: f64,
}

impl InferenceSettings {
    /// Settings from merged `values` (YAML shape) and their `provenance`.
    pub fn new(values: Map<String, Value>, provenance: Provenance) -> InferenceSettings {
        InferenceSettings { values, provenance }
    }

    /// The merged settings, secrets included (for building clients, never for display).
    pub fn values(&self) -> &Map<String, Value> {
        &self.values
    }

    /// A section (`chat`, `api`, `embeddings`, ...), if set.
    pub fn section(&self, name: &str) -> Option<&Map<String, Value>> {
        self.values.get(name).and_then(Value::as_object)
    }

    /// `section.key` as a string map lookup: `api.api_keys.<name>` is `lookup("api", "api_keys", name)`.
    pub fn lookup(&self, section: &str, map: &str, name: &str) -> Option<&Value> {
        self.section(section)?.get(map)?.as_object()?.get(name)
    }

    /// Where the settings came from.
    pub fn provenance(&self) -> &Provenance {
        &self.provenance
    }

    /// The settings in YAML shape with every secret redacted (see [`redact`]), without provenance.
    pub fn redacted(&self) -> Value {
        redact(&Value::Object(self.values.clone()))
    }

    /// The sorted names of `api.api_keys`, `None` when there are none.
    pub fn api_key_names(&self) -> Option<Vec<String>> {
        self.names_in("api_keys")
    }

    /// The sorted names of `api.base_urls`, `None` when there are none.
    pub fn base_url_names(&self) -> Option<Vec<String>> {
        self.names_in("base_urls")
    }

    fn names_in(&self, map: &str) -> Option<Vec<String>> {
        let names = self.section("api")?.get(map)?.as_object()?;
        let mut names: Vec<String> = names.keys().cloned().collect();
        names.sort();
        (!names.is_empty()).then_some(names)
    }

    /// The typed `model_info` section, if set. Fields of the wrong type are left out.
    pub fn model_info(&self) -> Option<ModelInfo> {
        let info = self.section("model_info")?;
        let string = |key: &str| info.get(key).and_then(Value::as_str).map(str::to_string);
        let count = |key: &str| info.get(key).and_then(Value::as_u64);
        let cost = info.get("cost").and_then(Value::as_object).map(|cost| {
            let number = |key: &str| cost.get(key).and_then(Value::as_f64).unwrap_or(0.0);
            ModelCost {
                input: number("input"),
                output: number("output"),
                cache_read: number("cache_read"),
                cache_write: number("cache_write"),
            }
        });
        Some(ModelInfo {
            id: string("id"),
            name: string("name"),
            reasoning: info.get("reasoning").and_then(Value::as_bool),
            input: info.get("input").and_then(Value::as_array).map(|items| {
                items
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            }),
            context_window: count("context_window"),
            quality_high_watermark: count("quality_high_watermark"),
            max_output_tokens: count("max_output_tokens"),
            cost,
            metadata: info.get("metadata").and_then(Value::as_object).cloned(),
        })
    }
}

impl Provenance {
    /// The JSON shape of `provenance`: `{registrySlug, profileSlug, stackLineage, sources,
    /// metadata}`, empty fields omitted.
    pub fn to_json(&self) -> Value {
        let mut out = Map::new();
        if !self.registry_slug.is_empty() {
            out.insert("registrySlug".into(), json!(self.registry_slug));
        }
        if !self.profile_slug.is_empty() {
            out.insert("profileSlug".into(), json!(self.profile_slug));
        }
        if !self.stack_lineage.is_empty() {
            let lineage: Vec<Value> = self
                .stack_lineage
                .iter()
                .map(|entry| {
                    let mut item = Map::new();
                    item.insert("registrySlug".into(), json!(entry.registry_slug));
                    item.insert("profileSlug".into(), json!(entry.profile_slug));
                    if let Some(version) = entry.version {
                        item.insert("version".into(), json!(version));
                    }
                    if let Some(source) = &entry.source {
                        item.insert("source".into(), json!(source));
                    }
                    Value::Object(item)
                })
                .collect();
            out.insert("stackLineage".into(), Value::Array(lineage));
        }
        if !self.sources.is_empty() {
            out.insert("sources".into(), json!(self.sources));
        }
        out.insert("metadata".into(), self.metadata());
        Value::Object(out)
    }

    /// `provenance.metadata`: `profile.registry`, `profile.slug`, `profile.version`,
    /// `profile.source`, `profile.stack.lineage`; empty fields omitted.
    fn metadata(&self) -> Value {
        let mut out = Map::new();
        if !self.registry_slug.is_empty() {
            out.insert("profile.registry".into(), json!(self.registry_slug));
        }
        if !self.profile_slug.is_empty() {
            out.insert("profile.slug".into(), json!(self.profile_slug));
        }
        let leaf = self.stack_lineage.last();
        if let Some(version) = leaf.and_then(|leaf| leaf.version) {
            out.insert("profile.version".into(), json!(version));
        }
        if let Some(source) = leaf.and_then(|leaf| leaf.source.as_ref()) {
            out.insert("profile.source".into(), json!(source));
        }
        if !self.stack_lineage.is_empty() {
            let lineage: Vec<Value> = self
                .stack_lineage
                .iter()
                .map(|entry| {
                    json!({
                        "registry_slug": entry.registry_slug,
                        "profile_slug": entry.profile_slug,
                        "version": entry.version.unwrap_or(0),
                        "source": entry.source.clone().unwrap_or_default(),
                    })
                })
                .collect();
            out.insert("profile.stack.lineage".into(), Value::Array(lineage));
        }
        Value::Object(out)
    }
}

impl ModelInfo {
    /// The JS shape: `{id?, name?, reasoning?, input?, contextWindow?, qualityHighWatermark?,
    /// maxOutputTokens?, cost?: {input, output, cacheRead, cacheWrite}, metadata?}`.
    pub fn to_json(&self) -> Value {
        let mut out = Map::new();
        let mut put = |key: &str, value: Option<Value>| {
            if let Some(value) = value {
                out.insert(key.into(), value);
            }
        };
        put("id", self.id.as_ref().map(|v| json!(v)));
        put("name", self.name.as_ref().map(|v| json!(v)));
        put("reasoning", self.reasoning.map(|v| json!(v)));
        put("input", self.input.as_ref().map(|v| json!(v)));
        put("contextWindow", self.context_window.map(|v| json!(v)));
        put(
            "qualityHighWatermark",
            self.quality_high_watermark.map(|v| json!(v)),
        );
        put("maxOutputTokens", self.max_output_tokens.map(|v| json!(v)));
        put(
            "cost",
            self.cost.map(|c| {
                json!({"input": c.input, "output": c.output, "cacheRead": c.cache_read, "cacheWrite": c.cache_write})
            }),
        );
        put("metadata", self.metadata.clone().map(Value::Object));
        Value::Object(out)
    }
}

/// `value` with every secret redacted: the value of a key in [`SECRET_KEYS`], at any depth,
/// becomes `"[REDACTED]"`; a map keeps its keys with every value redacted; a list becomes a list
/// of `"[REDACTED]"`; `null` stays `null`.
pub fn redact(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(key, value)| {
                    let value = if SECRET_KEYS.contains(&key.as_str()) {
                        redact_all(value)
                    } else {
                        redact(value)
                    };
                    (key.clone(), value)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(redact).collect()),
        other => other.clone(),
    }
}

fn redact_all(value: &Value) -> Value {
    match value {
        Value::Null => Value::Null,
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(key, value)| {
                    let value = if value.is_null() {
                        Value::Null
                    } else {
                        json!(REDACTED)
                    };
                    (key.clone(), value)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(|_| json!(REDACTED)).collect()),
        _ => json!(REDACTED),
    }
}

/// Merges `layer` over `base`: maps merge recursively, a scalar or list replaces, and
/// `model_info.cost` is replaced as a whole.
pub fn merge_layer(base: &mut Map<String, Value>, layer: &Map<String, Value>) {
    merge_into(base, layer, "");
}

fn merge_into(base: &mut Map<String, Value>, layer: &Map<String, Value>, path: &str) {
    for (key, value) in layer {
        let here = if path.is_empty() {
            key.clone()
        } else {
            format!("{path}.{key}")
        };
        match (base.get_mut(key), value) {
            (Some(Value::Object(existing)), Value::Object(over)) if here != "model_info.cost" => {
                merge_into(existing, over, &here);
            }
            _ => {
                base.insert(key.clone(), value.clone());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_secret_key_name_is_redacted_at_any_depth() {
        let input = json!({
            "api": {"api_keys": {"openai-api-key": "sk-1", "unset": null}, "base_urls": {"x": "http://h"}},
            "embeddings": {"apiKeys": ["a", "b"], "api_key": "k", "apiKey": "k"},
            "deep": {"nested": [{"key": "k", "secret": {"a": 1}, "token": null}]},
        });
        let out = redact(&input);
        assert_eq!(
            out,
            json!({
                "api": {"api_keys": {"openai-api-key": REDACTED, "unset": null}, "base_urls": {"x": "http://h"}},
                "embeddings": {"apiKeys": [REDACTED, REDACTED], "api_key": REDACTED, "apiKey": REDACTED},
                "deep": {"nested": [{"key": REDACTED, "secret": {"a": REDACTED}, "token": null}]},
            })
        );
    }

    #[test]
    fn merge_replaces_scalars_lists_and_cost() {
        let mut base = json!({"chat": {"engine": "a", "stop": ["x"], "temperature": 1},
            "model_info": {"cost": {"input": 1, "output": 2}, "name": "n"}})
        .as_object()
        .cloned()
        .unwrap();
        let layer =
            json!({"chat": {"engine": "b", "stop": []}, "model_info": {"cost": {"input": 5}}});
        merge_layer(&mut base, layer.as_object().unwrap());
        assert_eq!(
            Value::Object(base),
            json!({"chat": {"engine": "b", "stop": [], "temperature": 1},
                "model_info": {"cost": {"input": 5}, "name": "n"}})
        );
    }
}
