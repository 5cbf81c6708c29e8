//! The agent API's profile side of the `geppetto` module: native ops behind `js/profiles.js` for
//! `gp.inferenceProfiles`, `gp.engine()`, `gp.embeddings()` and `gp.reranker()`.
//!
//! The Rust objects behind these wrappers live in an owner-local table of their own (kinds
//! `inferenceRegistry`, `inferenceSettings`, `embeddings`, `reranker`, `rerankRun`); engines built
//! from settings go into the shared handle table as ordinary engines, so every API that takes an
//! engine (`createSession`, `agent().engine()`) takes them.
//!
//! **Entry point for agents:** [`settings_of`] turns a settings wrapper id into its
//! [`InferenceSettings`], and [`crate::providers::engine_from_settings`] turns those into an
//! `Arc<dyn Engine>` (what `agent().inference(settings)` needs). In JS, `native.internal.settingsId(value,
//! missingText)` checks a wrapper (the contract's texts) and `native.internal.engineFromSettings(settings)`
//! builds the engine handle.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

use rquickjs::function::Opt;
use rquickjs::{Array, Ctx, Function, Object, Value};
use serde_json::{Value as Json, json};
use tokio_util::sync::CancellationToken;

use super::argument::{error, type_error};
use super::codec::{self, json_to_js};
use super::module::GeppettoModule;
use super::module::handle_id;
use super::table;
use crate::owner::local;
use crate::profiles::{
    HostProfiles, InferenceSettings, ProfileError, ProfileRegistry, ResolveInput,
};
use crate::providers::embeddings::{EmbeddingsClient, EmbeddingsConfig};
use crate::providers::reranker::{RerankDocument, RerankRequest, RerankResponse, Reranker};
use crate::providers::{BearerTokenSource, engine_from_settings_with_tokens};

/// A registry wrapper: the chain it shows and whether this wrapper was closed.
struct RegistryEntry {
    registry: Arc<ProfileRegistry>,
    closed: bool,
    /// The host registry (`default()`): its default profile applies to `resolve()`.
    host_default_profile: Option<String>,
}

#[derive(Default)]
struct Objects {
    next_id: u64,
    registries: HashMap<u64, RegistryEntry>,
    settings: HashMap<u64, Arc<InferenceSettings>>,
    embeddings: HashMap<u64, Arc<EmbeddingsClient>>,
    rerankers: HashMap<u64, Arc<Reranker>>,
    rerank_runs: HashMap<u64, CancellationToken>,
}

thread_local! {
    static OBJECTS: RefCell<Objects> = RefCell::new(Objects::default());
}

fn with<T>(f: impl FnOnce(&mut Objects) -> T) -> T {
    OBJECTS.with(|objects| f(&mut objects.borrow_mut()))
}

/// Stores `value` in the map `pick` selects; returns its new id.
fn insert<T>(pick: impl FnOnce(&mut Objects) -> &mut HashMap<u64, T>, value: T) -> u64 {
    with(|objects| {
        objects.next_id += 1;
        let id = objects.next_id;
        pick(objects).insert(id, value);
        id
    })
}

/// The object with that id in the map `pick` selects; `missing` (a TypeError) when absent.
fn lookup<T: Clone>(
    ctx: &Ctx<'_>,
    pick: impl FnOnce(&Objects) -> &HashMap<u64, T>,
    id: f64,
    missing: &str,
) -> rquickjs::Result<T> {
    with(|objects| pick(objects).get(&handle_id(id)).cloned())
        .ok_or_else(|| type_error(ctx, missing))
}

/// Forgets the object of `kind` with that id (its JS wrapper was collected); returns whether the
/// kind is one of this table's.
pub fn release(kind: &str, id: u64) -> bool {
    with(|objects| {
        match kind {
            "inferenceRegistry" => drop(objects.registries.remove(&id)),
            "inferenceSettings" => drop(objects.settings.remove(&id)),
            "embeddings" => drop(objects.embeddings.remove(&id)),
            "reranker" => drop(objects.rerankers.remove(&id)),
            _ => return false,
        }
        true
    })
}

/// The settings behind a settings wrapper id.
pub fn settings_of(id: u64) -> Option<Arc<InferenceSettings>> {
    with(|objects| objects.settings.get(&id).cloned())
}

const WRAPPER_EXPECTED: &str = "expected registry-resolved InferenceSettings wrapper";

/// `value` as a Rust string when it is a JS string (lone surrogates replaced), else `None`.
fn js_string<'js>(ctx: &Ctx<'js>, value: &Value<'js>) -> rquickjs::Result<Option<String>> {
    value
        .as_string()
        .map(|text| codec::string(ctx, text))
        .transpose()
}

/// The source entries of `load(source)`, with the contract's texts.
fn source_entries<'js>(ctx: &Ctx<'js>, value: &Value<'js>) -> rquickjs::Result<Vec<String>> {
    if let Some(text) = js_string(ctx, value)? {
        return crate::profiles::parse_sources(&text).map_err(|e| error(ctx, &e.to_string()));
    }
    let Some(array) = value.as_array() else {
        return Err(error(
            ctx,
            "profile registry sources must be a comma-separated string or string array",
        ));
    };
    let mut entries = Vec::with_capacity(array.len());
    for (index, item) in array.iter::<Value>().enumerate() {
        let item = item?;
        match js_string(ctx, &item)? {
            Some(entry) if !entry.trim().is_empty() => entries.push(entry.trim().to_string()),
            _ => {
                return Err(error(
                    ctx,
                    &format!("profile registry source entry {index} must be a non-empty string"),
                ));
            }
        }
    }
    if entries.is_empty() {
        return Err(error(ctx, "profile registry sources must not be empty"));
    }
    Ok(entries)
}

/// The resolve input: `undefined`/`null` → `default_profile`, a string → a profile, an object →
/// `{registry | registrySlug, profile | profileSlug}` (the second spelling wins).
fn resolve_input<'js>(
    ctx: &Ctx<'js>,
    value: &Value<'js>,
    method: &str,
    default_profile: Option<&String>,
) -> rquickjs::Result<ResolveInput> {
    if value.is_undefined() || value.is_null() {
        return Ok(ResolveInput {
            registry: None,
            profile: default_profile.cloned(),
        });
    }
    let expects = || {
        error(
            ctx,
            &format!("{method} expects a profile string or options object"),
        )
    };
    if let Some(text) = js_string(ctx, value)? {
        // A blank string is no profile slug (Go treats it as a non-object: the same text).
        if text.trim().is_empty() {
            return Err(expects());
        }
        return Ok(ResolveInput {
            registry: None,
            profile: Some(text),
        });
    }
    let object = value
        .as_object()
        .filter(|_| !value.is_array() && !value.is_function())
        .ok_or_else(expects)?;
    let field = |names: [&str; 2]| -> rquickjs::Result<Option<String>> {
        let mut found = None;
        for name in names {
            let item: Value = object.get(name)?;
            if let Some(text) = js_string(ctx, &item)? {
                if !text.trim().is_empty() {
                    found = Some(text);
                }
            } else if !(item.is_undefined() || item.is_null()) {
                return Err(error(ctx, &format!("{method} {name} must be a string")));
            }
        }
        Ok(found)
    };
    Ok(ResolveInput {
        registry: field(["registry", "registrySlug"])?,
        profile: field(["profile", "profileSlug"])?,
    })
}

fn profile_error(ctx: &Ctx<'_>, e: ProfileError) -> rquickjs::Error {
    error(ctx, &e.to_string())
}

fn registry_entry(
    ctx: &Ctx<'_>,
    id: f64,
    method: &str,
) -> rquickjs::Result<(Arc<ProfileRegistry>, Option<String>)> {
    with(|objects| match objects.registries.get(&handle_id(id)) {
        Some(entry) if entry.closed => Err(format!("{method} called after registry.close")),
        Some(entry) => Ok((entry.registry.clone(), entry.host_default_profile.clone())),
        None => Err(format!("{method} called after registry.close")),
    })
    .map_err(|message| error(ctx, &message))
}

fn add_settings(settings: InferenceSettings) -> f64 {
    insert(|o| &mut o.settings, Arc::new(settings)) as f64
}

fn settings_by_id(ctx: &Ctx<'_>, id: f64) -> rquickjs::Result<Arc<InferenceSettings>> {
    settings_of(handle_id(id)).ok_or_else(|| error(ctx, &format!("{WRAPPER_EXPECTED}, got object")))
}

/// `toJSON()`: the redacted settings plus `provenance`.
fn settings_json(settings: &InferenceSettings) -> Json {
    let mut out = settings.redacted();
    if let Json::Object(map) = &mut out {
        map.insert("provenance".into(), settings.provenance().to_json());
    }
    out
}

/// A profile of `listProfiles()` in YAML shape, settings redacted.
fn profile_json(profile: &crate::profiles::Profile) -> Json {
    let mut out = serde_json::Map::new();
    out.insert("slug".into(), json!(profile.slug));
    if let Some(name) = &profile.display_name {
        out.insert("display_name".into(), json!(name));
    }
    if let Some(description) = &profile.description {
        out.insert("description".into(), json!(description));
    }
    if !profile.stack.is_empty() {
        let stack: Vec<Json> = profile
            .stack
            .iter()
            .map(|entry| match &entry.registry_slug {
                Some(registry) => {
                    json!({"registry_slug": registry, "profile_slug": entry.profile_slug})
                }
                None => json!({"profile_slug": entry.profile_slug}),
            })
            .collect();
        out.insert("stack".into(), Json::Array(stack));
    }
    if let Some(settings) = &profile.inference_settings {
        out.insert(
            "inference_settings".into(),
            crate::profiles::redact(&Json::Object(settings.clone())),
        );
    }
    out.insert(
        "metadata".into(),
        crate::profiles::redact(&Json::Object(profile.metadata.clone())),
    );
    if let Some(extensions) = &profile.extensions {
        out.insert(
            "extensions".into(),
            crate::profiles::redact(&Json::Object(extensions.clone())),
        );
    }
    Json::Object(out)
}

fn block_on<'js, T: Send + 'static>(
    ctx: &Ctx<'js>,
    op: &'static str,
    future: impl Future<Output = Result<T, String>> + Send + 'static,
) -> rquickjs::Result<T> {
    match local::block_on(ctx, op, future) {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(message)) => Err(error(ctx, &message)),
        Err(failure) => Err(error(ctx, &failure.message())),
    }
}

/// The rerank response in its JS shape.
fn rerank_json(response: &RerankResponse) -> Json {
    let results: Vec<Json> = response
        .results
        .iter()
        .map(|r| json!({"documentId": r.document_id, "index": r.index, "score": r.score, "rank": r.rank}))
        .collect();
    let mut out = json!({"provider": response.provider, "model": response.model, "results": results, "durationMs": response.duration_ms});
    if let Some((input, total)) = response.usage {
        out["usage"] = json!({"inputTokens": input, "totalTokens": total});
    }
    if let Some(cost) = response.cost {
        out["cost"] = json!(cost);
    }
    if let Some(id) = &response.request_id {
        out["requestId"] = json!(id);
    }
    out
}

const REQUEST_SUFFIX: &str = ": invalid rerank request";

/// `rerank(query, docs, opts)` arguments as a request, with the contract's texts.
fn rerank_request<'js>(
    ctx: &Ctx<'js>,
    query: &Value<'js>,
    documents: &Value<'js>,
    options: &Value<'js>,
) -> rquickjs::Result<RerankRequest> {
    let fail = |reason: String| error(ctx, &format!("{reason}{REQUEST_SUFFIX}"));
    // The contract's order: query, documents, then options (so an empty query or document list
    // is reported before an options mistake, as in one validation pass).
    let Some(query) = js_string(ctx, query)?.filter(|query| !query.trim().is_empty()) else {
        return Err(fail("rerank query is required".into()));
    };
    let Some(array) = documents.as_array().filter(|array| !array.is_empty()) else {
        return Err(fail("rerank requires at least one document".into()));
    };
    let mut docs = Vec::with_capacity(array.len());
    for (index, item) in array.iter::<Value>().enumerate() {
        let item = item?;
        if item.is_null() || item.is_undefined() {
            return Err(fail(format!("rerank document {index} is null")));
        }
        let Some(object) = item.as_object() else {
            return Err(fail(format!(
                "rerank document {index} requires a non-empty string id"
            )));
        };
        let text_field = |name: &str| -> rquickjs::Result<Option<String>> {
            let value: Value = object.get(name)?;
            js_string(ctx, &value)
        };
        let id = text_field("id")?
            .filter(|id| !id.is_empty())
            .ok_or_else(|| {
                fail(format!(
                    "rerank document {index} requires a non-empty string id"
                ))
            })?;
        let text = text_field("text")?
            .filter(|text| !text.is_empty())
            .ok_or_else(|| {
                fail(format!(
                    "rerank document {index} requires non-empty string text"
                ))
            })?;
        docs.push(RerankDocument { id, text });
    }
    let Some(options) = options
        .as_object()
        .filter(|_| !options.is_array() && !options.is_function())
    else {
        return Err(fail(
            "rerank options are required (expected {topN, model?})".into(),
        ));
    };
    for key in options.keys::<String>() {
        let key = key?;
        if key != "topN" && key != "model" {
            return Err(fail(format!(
                "rerank options: unknown key \"{key}\" (expected topN, model)"
            )));
        }
    }
    let top_n: Value = options.get("topN")?;
    if top_n.is_undefined() || top_n.is_null() {
        return Err(fail("rerank options.topN is required".into()));
    }
    let number = top_n.as_number().unwrap_or(f64::NAN);
    if !(number.is_finite() && number.fract() == 0.0 && number.abs() <= 9_007_199_254_740_991.0) {
        return Err(fail(
            "rerank options.topN must be an integer: value is not a JavaScript safe integer".into(),
        ));
    }
    let model: Value = options.get("model")?;
    let model = if model.is_undefined() || model.is_null() {
        None
    } else {
        Some(
            js_string(ctx, &model)?
                .ok_or_else(|| fail("rerank options.model must be a string".into()))?,
        )
    };
    Ok(RerankRequest {
        query,
        documents: docs,
        top_n: number as i64,
        model,
    })
}

/// Registers the native ops of this file on `native`, configured by `module`'s profile fields
/// (host registry, base settings, bearer-token source).
pub fn register<'js>(
    ctx: &Ctx<'js>,
    native: &Object<'js>,
    module: &GeppettoModule,
) -> rquickjs::Result<()> {
    let base_settings = module.profile_base_settings.clone();
    let host = module.profiles.clone().map(|host| match &base_settings {
        Some(base) => host.with_base_settings(base.clone()),
        None => host,
    });
    registry_ops(ctx, native, host, base_settings)?;
    settings_ops(ctx, native, module.bearer_tokens.clone())?;
    client_ops(ctx, native, module.bearer_tokens.clone())
}

fn registry_ops<'js>(
    ctx: &Ctx<'js>,
    native: &Object<'js>,
    host: Option<HostProfiles>,
    base_settings: Option<serde_json::Map<String, Json>>,
) -> rquickjs::Result<()> {
    native.set(
        "profilesLoad",
        Function::new(ctx.clone(), move |ctx: Ctx<'js>, source: Value<'js>| {
            let entries = source_entries(&ctx, &source)?;
            let mut registry =
                ProfileRegistry::load(&entries).map_err(|e| profile_error(&ctx, e))?;
            if let Some(base) = &base_settings {
                registry = registry.with_base_settings(base.clone());
            }
            Ok::<_, rquickjs::Error>(insert(
                |o| &mut o.registries,
                RegistryEntry {
                    registry: Arc::new(registry),
                    closed: false,
                    host_default_profile: None,
                },
            ) as f64)
        })?,
    )?;
    let default_host = host.clone();
    native.set(
        "profilesDefault",
        Function::new(ctx.clone(), move |ctx: Ctx<'js>| {
            let Some(host) = &default_host else {
                return Err(error(
                    &ctx,
                    "inferenceProfiles.default requires a configured profile registry",
                ));
            };
            Ok(insert(
                |o| &mut o.registries,
                RegistryEntry {
                    registry: host.registry.clone(),
                    closed: false,
                    host_default_profile: host.default_profile.clone(),
                },
            ) as f64)
        })?,
    )?;
    native.set(
        "profilesHostResolve",
        Function::new(ctx.clone(), move |ctx: Ctx<'js>, input: Value<'js>| {
            let Some(host) = &host else {
                return Err(error(
                    &ctx,
                    "inferenceProfiles.resolve requires a configured profile registry",
                ));
            };
            let input = resolve_input(
                &ctx,
                &input,
                "inferenceProfiles.resolve",
                host.default_profile.as_ref(),
            )?;
            let settings = host
                .registry
                .resolve(&input)
                .map_err(|e| profile_error(&ctx, e))?;
            Ok(add_settings(settings))
        })?,
    )?;
    native.set(
        "registrySources",
        Function::new(ctx.clone(), |ctx: Ctx<'js>, id: f64| {
            let (registry, _) = registry_entry(&ctx, id, "registry.sources")?;
            Ok::<_, rquickjs::Error>(registry.sources().to_vec())
        })?,
    )?;
    native.set(
        "registryResolve",
        Function::new(ctx.clone(), |ctx: Ctx<'js>, id: f64, input: Value<'js>| {
            let (registry, default_profile) = registry_entry(&ctx, id, "registry.resolve")?;
            let input = resolve_input(&ctx, &input, "registry.resolve", default_profile.as_ref())?;
            let settings = registry
                .resolve(&input)
                .map_err(|e| profile_error(&ctx, e))?;
            Ok::<_, rquickjs::Error>(add_settings(settings))
        })?,
    )?;
    native.set(
        "registryListRegistries",
        Function::new(ctx.clone(), |ctx: Ctx<'js>, id: f64| {
            let (registry, _) = registry_entry(&ctx, id, "registry.listRegistries")?;
            let list: Vec<Json> = registry
                .list_registries()
                .into_iter()
                .map(|summary| {
                    let mut item =
                        json!({"slug": summary.slug, "profile_count": summary.profile_count});
                    if let Some(name) = summary.display_name {
                        item["display_name"] = json!(name);
                    }
                    if let Some(slug) = summary.default_profile_slug {
                        item["default_profile_slug"] = json!(slug);
                    }
                    item
                })
                .collect();
            json_to_js(&ctx, &Json::Array(list))
        })?,
    )?;
    native.set(
        "registryListProfiles",
        Function::new(
            ctx.clone(),
            |ctx: Ctx<'js>, id: f64, slug: Opt<Value<'js>>| {
                let (registry, _) = registry_entry(&ctx, id, "registry.listProfiles")?;
                let slug = match slug.0 {
                    Some(value) if value.is_string() => js_string(&ctx, &value)?,
                    Some(value) if !(value.is_undefined() || value.is_null()) => {
                        return Err(type_error(
                            &ctx,
                            "registry.listProfiles registry slug must be a string",
                        ));
                    }
                    _ => None,
                };
                let profiles = registry
                    .list_profiles(slug.as_deref())
                    .map_err(|e| profile_error(&ctx, e))?;
                json_to_js(
                    &ctx,
                    &Json::Array(profiles.into_iter().map(profile_json).collect()),
                )
            },
        )?,
    )?;
    native.set(
        "registryClose",
        Function::new(ctx.clone(), |id: f64| {
            with(|objects| {
                if let Some(entry) = objects.registries.get_mut(&handle_id(id)) {
                    entry.closed = true;
                }
            })
        })?,
    )?;
    Ok(())
}

fn settings_ops<'js>(
    ctx: &Ctx<'js>,
    native: &Object<'js>,
    tokens: Option<Arc<dyn BearerTokenSource>>,
) -> rquickjs::Result<()> {
    native.set(
        "settingsJSON",
        Function::new(ctx.clone(), |ctx: Ctx<'js>, id: f64| {
            let settings = settings_by_id(&ctx, id)?;
            json_to_js(&ctx, &settings_json(&settings))
        })?,
    )?;
    native.set(
        "settingsProvenance",
        Function::new(ctx.clone(), |ctx: Ctx<'js>, id: f64| {
            let settings = settings_by_id(&ctx, id)?;
            json_to_js(&ctx, &settings.provenance().to_json())
        })?,
    )?;
    native.set(
        "settingsDebug",
        Function::new(ctx.clone(), |ctx: Ctx<'js>, id: f64| {
            let settings = settings_by_id(&ctx, id)?;
            let debug = json!({
                "kind": "InferenceSettings",
                "snapshot": settings_json(&settings),
                "provenance": settings.provenance().to_json(),
                "apiKeyNames": settings.api_key_names(),
                "baseURLNames": settings.base_url_names(),
            });
            json_to_js(&ctx, &debug)
        })?,
    )?;
    native.set(
        "settingsClone",
        Function::new(ctx.clone(), |ctx: Ctx<'js>, id: f64| {
            let settings = settings_by_id(&ctx, id)?;
            Ok::<_, rquickjs::Error>(add_settings((*settings).clone()))
        })?,
    )?;
    native.set(
        "settingsEngine",
        Function::new(ctx.clone(), move |ctx: Ctx<'js>, id: f64| {
            let settings = settings_by_id(&ctx, id)?;
            let engine = engine_from_settings_with_tokens(&settings, tokens.as_deref())
                .map_err(|e| error(&ctx, &e.to_string()))?;
            let made = Array::new(ctx.clone())?;
            made.set(0, table::add_engine(engine) as f64)?;
            made.set(1, json_to_js(&ctx, &settings.provenance().to_json())?)?;
            let info = match settings.model_info() {
                Some(info) => json_to_js(&ctx, &info.to_json())?,
                None => Value::new_undefined(ctx.clone()),
            };
            made.set(2, info)?;
            Ok::<_, rquickjs::Error>(made)
        })?,
    )?;
    Ok(())
}

fn client_ops<'js>(
    ctx: &Ctx<'js>,
    native: &Object<'js>,
    tokens: Option<Arc<dyn BearerTokenSource>>,
) -> rquickjs::Result<()> {
    native.set(
        "embeddingsCreate",
        Function::new(ctx.clone(), move |ctx: Ctx<'js>, id: f64| {
            let settings = settings_by_id(&ctx, id)?;
            let client = EmbeddingsConfig::from_settings_with_tokens(&settings, tokens.as_deref())
                .and_then(EmbeddingsClient::new)
                .map_err(|e| error(&ctx, &format!("embeddings(settings): {e}")))?;
            Ok::<_, rquickjs::Error>(insert(|o| &mut o.embeddings, Arc::new(client)) as f64)
        })?,
    )?;
    let embeddings = |ctx: &Ctx<'_>, id: f64| {
        lookup(ctx, |o| &o.embeddings, id, "expected embeddings reference")
    };
    native.set(
        "embeddingsModel",
        Function::new(ctx.clone(), move |ctx: Ctx<'js>, id: f64| {
            let model = embeddings(&ctx, id)?.model();
            json_to_js(
                &ctx,
                &json!({"name": model.name, "dimensions": model.dimensions}),
            )
        })?,
    )?;
    native.set(
        "embeddingsEmbed",
        Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>, id: f64, texts: Vec<String>| {
                let client = embeddings(&ctx, id)?;
                let vectors = block_on(&ctx, "embeddings", async move {
                    client.embed_batch(&texts).await.map_err(|e| e.to_string())
                })?;
                json_to_js(&ctx, &json!(vectors))
            },
        )?,
    )?;
    native.set(
        "rerankerCreate",
        Function::new(ctx.clone(), |ctx: Ctx<'js>, id: f64| {
            let settings = settings_by_id(&ctx, id)?;
            let reranker = Reranker::from_settings(&settings)
                .map_err(|e| error(&ctx, &format!("reranker(settings): {e}")))?;
            Ok::<_, rquickjs::Error>(insert(|o| &mut o.rerankers, Arc::new(reranker)) as f64)
        })?,
    )?;
    let reranker =
        |ctx: &Ctx<'_>, id: f64| lookup(ctx, |o| &o.rerankers, id, "expected reranker reference");
    native.set(
        "rerankerModel",
        Function::new(ctx.clone(), move |ctx: Ctx<'js>, id: f64| {
            let reranker = reranker(&ctx, id)?;
            json_to_js(&ctx, &json!({"provider": crate::providers::reranker::RERANK_PROVIDER, "name": reranker.model()}))
        })?,
    )?;
    native.set(
        "rerankerRerank",
        Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>,
                  id: f64,
                  query: Value<'js>,
                  documents: Value<'js>,
                  options: Value<'js>| {
                let reranker = reranker(&ctx, id)?;
                let request = rerank_request(&ctx, &query, &documents, &options)?;
                reranker
                    .validate(&request)
                    .map_err(|e| error(&ctx, &e.to_string()))?;
                let response = block_on(&ctx, "rerank", async move {
                    reranker
                        .rerank(&request, &CancellationToken::new())
                        .await
                        .map_err(|e| e.to_string())
                })?;
                json_to_js(&ctx, &rerank_json(&response))
            },
        )?,
    )?;
    native.set(
        "rerankerStart",
        Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>,
                  id: f64,
                  query: Value<'js>,
                  documents: Value<'js>,
                  options: Value<'js>,
                  settle: Function<'js>| {
                let reranker = reranker(&ctx, id)?;
                let request = rerank_request(&ctx, &query, &documents, &options)?;
                start_rerank(&ctx, reranker, request, settle)
            },
        )?,
    )?;
    native.set(
        "rerankerCancel",
        Function::new(ctx.clone(), |id: f64| {
            if let Some(token) = with(|objects| objects.rerank_runs.get(&handle_id(id)).cloned()) {
                token.cancel();
            }
        })?,
    )?;
    Ok(())
}

/// Starts a rerank on tokio; `settle(ok, value)` is called on this owner when it ends. Returns
/// the id `rerankerCancel` takes.
fn start_rerank<'js>(
    ctx: &Ctx<'js>,
    reranker: Arc<Reranker>,
    request: RerankRequest,
    settle: Function<'js>,
) -> rquickjs::Result<f64> {
    let unavailable = || error(ctx, "rerankAsync must run on an owner thread");
    let owner = local::weak_handle().ok_or_else(unavailable)?;
    let tokio = local::tokio_handle().ok_or_else(unavailable)?;
    let keep_alive = local::keep_alive().ok_or_else(unavailable)?;
    let settle = local::register_callback(ctx, settle.into_value()).ok_or_else(unavailable)?;
    let token = CancellationToken::new();
    let run_id = insert(|o| &mut o.rerank_runs, token.clone());
    tokio.spawn(async move {
        let outcome = reranker.rerank(&request, &token).await;
        let Some(owner) = owner.upgrade() else { return };
        let _ = owner
            .post("rerank-settle", move |ctx| {
                local::run_at_top_level(
                    ctx,
                    Box::new(move |ctx: &Ctx<'_>| {
                        with(|objects| objects.rerank_runs.remove(&run_id));
                        if let Some(callback) =
                            local::callback(ctx, settle).and_then(|v| v.into_function())
                        {
                            let value = match &outcome {
                                Ok(response) => json_to_js(ctx, &rerank_json(response)),
                                Err(e) => json_to_js(ctx, &json!(e.to_string())),
                            };
                            if let Ok(value) = value {
                                let _: rquickjs::Result<()> =
                                    callback.call((outcome.is_ok(), value));
                            }
                        }
                        local::release_callback(settle);
                        drop(keep_alive);
                    }),
                );
                Ok(())
            })
            .await;
    });
    Ok(run_id as f64)
}
