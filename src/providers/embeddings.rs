//! Embeddings clients (`gp.embeddings(settings)`): OpenAI (`POST <base>/embeddings`) and Ollama
//! (`POST <base>/api/embeddings`, one text per request), with an optional memory (LRU) or file
//! cache. Errors never carry the texts or the API key.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use parking_lot::Mutex;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::config::ApiKey;
use super::from_settings::{BearerTokenSource, client_timeout};
use crate::profiles::InferenceSettings;

/// Dimensions used for OpenAI models when the settings name none.
pub const OPENAI_DEFAULT_DIMENSIONS: u32 = 1536;
/// Entries of the memory cache when `cache_max_entries` is not set.
pub const MEMORY_CACHE_DEFAULT_ENTRIES: usize = 1000;
/// Entries of the file cache when `cache_max_entries` is not set.
pub const FILE_CACHE_DEFAULT_ENTRIES: usize = 10_000;
/// Bytes of the file cache when `cache_max_size` is not set (1 GiB).
pub const FILE_CACHE_DEFAULT_BYTES: u64 = 1 << 30;

const OPENAI_DEFAULT_BASE_URL: &str = "https://api.openai.com/v1";
const OLLAMA_DEFAULT_BASE_URL: &str = "http://localhost:11434";
/// Whole-request timeout when `client.timeout_second` is not set.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(120);

/// Which embeddings API a client speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmbeddingsProvider {
    /// OpenAI (`openai`).
    OpenAi,
    /// Ollama (`ollama`).
    Ollama,
}

/// Where embeddings are cached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CacheKind {
    /// No cache (`cache_type` absent, `none` or anything else).
    None,
    /// An in-memory LRU of at most `max_entries` texts.
    Memory {
        /// `cache_max_entries`.
        max_entries: usize,
    },
    /// One JSON file per text (named by the SHA-256 of the text) under `directory`.
    File {
        /// `cache_directory`.
        directory: PathBuf,
        /// `cache_max_entries`.
        max_entries: usize,
        /// `cache_max_size`, in bytes.
        max_bytes: u64,
    },
}

/// What an embeddings client is configured with.
#[derive(Debug, Clone, PartialEq)]
pub struct EmbeddingsConfig {
    /// The API.
    pub provider: EmbeddingsProvider,
    /// `embeddings.engine`.
    pub model: String,
    /// `embeddings.dimensions`.
    pub dimensions: u32,
    /// The OpenAI key (`openai-api-key`).
    pub api_key: Option<ApiKey>,
    /// Base URL without trailing slash.
    pub base_url: String,
    /// The cache.
    pub cache: CacheKind,
    /// Whole-request timeout (`client.timeout_second`, default two minutes).
    pub timeout: Duration,
}

/// The model description of `model()`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmbeddingModel {
    /// Model name.
    pub name: String,
    /// Vector size.
    pub dimensions: u32,
}

/// Why embeddings could not be configured or computed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmbeddingsError {
    /// `embeddings.type` missing.
    #[error("no embeddings type specified")]
    NoType,
    /// `embeddings.engine` missing.
    #[error("no embeddings model specified")]
    NoModel,
    /// Ollama without `embeddings.dimensions`.
    #[error("no dimensions specified for embeddings")]
    NoDimensions,
    /// OpenAI without a key.
    #[error("no API key provided for OpenAI")]
    NoApiKey,
    /// An unknown `embeddings.type`.
    #[error("unsupported provider type for embeddings: {0}")]
    UnsupportedType(String),
    /// A setting of the wrong type or range.
    #[error("invalid embeddings settings: {0}")]
    Invalid(String),
    /// The request failed (no texts, no key, no body in the message).
    #[error("{provider} embeddings request failed: {reason}")]
    Request {
        /// `OpenAI` or `Ollama`.
        provider: &'static str,
        /// `status 401`, `transport error`, ...
        reason: String,
    },
    /// OpenAI answered without data.
    #[error("no embedding data received from OpenAI")]
    NoData,
    /// OpenAI answered with the wrong number of vectors.
    #[error("received {received} embeddings but expected {expected}")]
    Count {
        /// Vectors received.
        received: usize,
        /// Texts sent.
        expected: usize,
    },
    /// The answer was not the expected JSON.
    #[error("{0} embeddings response is malformed")]
    Malformed(&'static str),
}

impl EmbeddingsConfig {
    /// Reads `embeddings.{type, engine, dimensions, api_keys, base_urls, cache_*}`; keys and base
    /// URLs come from `api.*` overlaid by `embeddings.*`.
    pub fn from_settings(
        settings: &InferenceSettings,
    ) -> Result<EmbeddingsConfig, EmbeddingsError> {
        EmbeddingsConfig::from_settings_with_tokens(settings, None)
    }

    /// [`from_settings`](Self::from_settings), asking `tokens` for `openai-api-key` when the
    /// settings lack it.
    pub fn from_settings_with_tokens(
        settings: &InferenceSettings,
        tokens: Option<&dyn BearerTokenSource>,
    ) -> Result<EmbeddingsConfig, EmbeddingsError> {
        let section = settings.section("embeddings");
        let get = |key: &str| section.and_then(|s| s.get(key)).filter(|v| !v.is_null());
        let text = |key: &str| {
            get(key)
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        let kind = text("type").ok_or(EmbeddingsError::NoType)?;
        let provider = match kind.to_ascii_lowercase().as_str() {
            "openai" => EmbeddingsProvider::OpenAi,
            "ollama" => EmbeddingsProvider::Ollama,
            _ => return Err(EmbeddingsError::UnsupportedType(kind)),
        };
        let model = text("engine").ok_or(EmbeddingsError::NoModel)?;
        let count = |key: &str| -> Result<Option<u64>, EmbeddingsError> {
            match get(key) {
                None => Ok(None),
                Some(value) => value.as_u64().filter(|n| *n > 0).map(Some).ok_or_else(|| {
                    EmbeddingsError::Invalid(format!("embeddings.{key} must be a positive integer"))
                }),
            }
        };
        let dimensions = match (count("dimensions")?, provider) {
            (Some(n), _) => u32::try_from(n).map_err(|_| {
                EmbeddingsError::Invalid("embeddings.dimensions is too large".into())
            })?,
            (None, EmbeddingsProvider::OpenAi) => OPENAI_DEFAULT_DIMENSIONS,
            (None, EmbeddingsProvider::Ollama) => return Err(EmbeddingsError::NoDimensions),
        };
        let overlaid = |map: &str, name: &str| {
            section
                .and_then(|s| s.get(map))
                .and_then(|m| m.get(name))
                .or_else(|| settings.lookup("api", map, name))
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        let (api_key, base_url) = match provider {
            EmbeddingsProvider::OpenAi => (
                Some(ApiKey::new(
                    overlaid("api_keys", "openai-api-key")
                        .or_else(|| tokens.and_then(|t| t.token("openai-api-key")))
                        .ok_or(EmbeddingsError::NoApiKey)?,
                )),
                overlaid("base_urls", "openai-base-url")
                    .unwrap_or_else(|| OPENAI_DEFAULT_BASE_URL.into()),
            ),
            EmbeddingsProvider::Ollama => (
                None,
                overlaid("base_urls", "ollama-base-url")
                    .unwrap_or_else(|| OLLAMA_DEFAULT_BASE_URL.into()),
            ),
        };
        let cache = match text("cache_type")
            .map(|t| t.to_ascii_lowercase())
            .as_deref()
        {
            Some("memory") => CacheKind::Memory {
                max_entries: count("cache_max_entries")?
                    .map_or(MEMORY_CACHE_DEFAULT_ENTRIES, |n| n as usize),
            },
            Some("file") => CacheKind::File {
                directory: text("cache_directory").map(PathBuf::from).ok_or_else(|| {
                    EmbeddingsError::Invalid(
                        "cache_type file requires embeddings.cache_directory".into(),
                    )
                })?,
                max_entries: count("cache_max_entries")?
                    .map_or(FILE_CACHE_DEFAULT_ENTRIES, |n| n as usize),
                max_bytes: count("cache_max_size")?.unwrap_or(FILE_CACHE_DEFAULT_BYTES),
            },
            _ => CacheKind::None,
        };
        let timeout = client_timeout(settings)
            .map_err(|reason| EmbeddingsError::Invalid(reason.into()))?
            .unwrap_or(REQUEST_TIMEOUT);
        Ok(EmbeddingsConfig {
            timeout,
            provider,
            model,
            dimensions,
            api_key,
            base_url: base_url.trim_end_matches('/').to_string(),
            cache,
        })
    }
}

/// An embeddings client. Creating one touches no network.
pub struct EmbeddingsClient {
    config: EmbeddingsConfig,
    http: reqwest::Client,
    cache: Cache,
}

impl std::fmt::Debug for EmbeddingsClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmbeddingsClient")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl EmbeddingsClient {
    /// A client for `config`.
    pub fn new(config: EmbeddingsConfig) -> Result<EmbeddingsClient, EmbeddingsError> {
        let http = reqwest::Client::builder()
            .user_agent(concat!("geppetto-rs/", env!("CARGO_PKG_VERSION")))
            .timeout(config.timeout)
            .build()
            .map_err(|_| EmbeddingsError::Invalid("cannot build the HTTP client".into()))?;
        let cache = match &config.cache {
            CacheKind::None => Cache::None,
            CacheKind::Memory { max_entries } => Cache::Memory(Mutex::new(Lru::new(*max_entries))),
            CacheKind::File {
                directory,
                max_entries,
                max_bytes,
            } => Cache::File {
                directory: directory.clone(),
                max_entries: *max_entries,
                max_bytes: *max_bytes,
            },
        };
        Ok(EmbeddingsClient {
            config,
            http,
            cache,
        })
    }

    /// `{name, dimensions}`; no network.
    pub fn model(&self) -> EmbeddingModel {
        EmbeddingModel {
            name: self.config.model.clone(),
            dimensions: self.config.dimensions,
        }
    }

    /// The embedding of `text`.
    pub async fn embed(&self, text: &str) -> Result<Vec<f64>, EmbeddingsError> {
        let mut vectors = self.embed_batch(&[text.to_string()]).await?;
        vectors.pop().ok_or(EmbeddingsError::NoData)
    }

    /// The embeddings of `texts`, in order (`[]` for `[]`); cached texts are not sent.
    pub async fn embed_batch(&self, texts: &[String]) -> Result<Vec<Vec<f64>>, EmbeddingsError> {
        let mut out: Vec<Option<Vec<f64>>> = texts
            .iter()
            .map(|t| self.cache.get(t, &self.config))
            .collect();
        let missing: Vec<usize> = (0..texts.len()).filter(|i| out[*i].is_none()).collect();
        if !missing.is_empty() {
            let wanted: Vec<&str> = missing.iter().map(|i| texts[*i].as_str()).collect();
            let vectors = match self.config.provider {
                EmbeddingsProvider::OpenAi => self.openai(&wanted).await?,
                EmbeddingsProvider::Ollama => {
                    let mut vectors = Vec::with_capacity(wanted.len());
                    for text in &wanted {
                        vectors.push(self.ollama(text).await?);
                    }
                    vectors
                }
            };
            for (index, vector) in missing.into_iter().zip(vectors) {
                self.cache.put(&texts[index], &vector, &self.config);
                out[index] = Some(vector);
            }
        }
        Ok(out.into_iter().map(Option::unwrap_or_default).collect())
    }

    async fn post(
        &self,
        provider: &'static str,
        url: String,
        body: Value,
    ) -> Result<Value, EmbeddingsError> {
        let failed = |reason: String| EmbeddingsError::Request { provider, reason };
        let mut request = self.http.post(url).json(&body);
        if let Some(key) = &self.config.api_key {
            let mut value =
                reqwest::header::HeaderValue::from_str(&format!("Bearer {}", key.expose()))
                    .map_err(|_| failed("the API key is not a valid header value".into()))?;
            value.set_sensitive(true);
            request = request.header(reqwest::header::AUTHORIZATION, value);
        }
        let response = request.send().await.map_err(|error| {
            failed(if error.is_timeout() {
                "timed out".into()
            } else {
                "transport error".into()
            })
        })?;
        let status = response.status();
        if !status.is_success() {
            return Err(failed(format!("status {}", status.as_u16())));
        }
        let bytes = response
            .bytes()
            .await
            .map_err(|_| failed("transport error".into()))?;
        serde_json::from_slice(&bytes).map_err(|_| EmbeddingsError::Malformed(provider))
    }

    async fn openai(&self, texts: &[&str]) -> Result<Vec<Vec<f64>>, EmbeddingsError> {
        let mut body = json!({"input": texts, "model": self.config.model});
        if self.config.model.starts_with("text-embedding-3") {
            body["dimensions"] = json!(self.config.dimensions);
        }
        let answer = self
            .post(
                "OpenAI",
                format!("{}/embeddings", self.config.base_url),
                body,
            )
            .await?;
        let data = match answer.get("data") {
            None | Some(Value::Null) => return Err(EmbeddingsError::NoData),
            Some(Value::Array(items)) if items.is_empty() => return Err(EmbeddingsError::NoData),
            Some(Value::Array(items)) => items,
            Some(_) => return Err(EmbeddingsError::Malformed("OpenAI")),
        };
        if data.len() != texts.len() {
            return Err(EmbeddingsError::Count {
                received: data.len(),
                expected: texts.len(),
            });
        }
        let mut indexed = Vec::with_capacity(data.len());
        for (position, item) in data.iter().enumerate() {
            let index = item
                .get("index")
                .and_then(Value::as_u64)
                .map_or(position, |i| i as usize);
            let vector =
                vector(item.get("embedding")).ok_or(EmbeddingsError::Malformed("OpenAI"))?;
            indexed.push((index, vector));
        }
        indexed.sort_by_key(|(index, _)| *index);
        Ok(indexed.into_iter().map(|(_, vector)| vector).collect())
    }

    async fn ollama(&self, text: &str) -> Result<Vec<f64>, EmbeddingsError> {
        let body = json!({"model": self.config.model, "prompt": text});
        let answer = self
            .post(
                "Ollama",
                format!("{}/api/embeddings", self.config.base_url),
                body,
            )
            .await?;
        vector(answer.get("embedding")).ok_or(EmbeddingsError::Malformed("Ollama"))
    }
}

fn vector(value: Option<&Value>) -> Option<Vec<f64>> {
    value?.as_array()?.iter().map(Value::as_f64).collect()
}

enum Cache {
    None,
    Memory(Mutex<Lru>),
    File {
        directory: PathBuf,
        max_entries: usize,
        max_bytes: u64,
    },
}

impl Cache {
    fn get(&self, text: &str, config: &EmbeddingsConfig) -> Option<Vec<f64>> {
        match self {
            Cache::None => None,
            Cache::Memory(lru) => lru.lock().get(text),
            Cache::File { directory, .. } => {
                let bytes = std::fs::read(directory.join(file_name(text))).ok()?;
                let entry: Value = serde_json::from_slice(&bytes).ok()?;
                let matches = entry.get("model").and_then(Value::as_str)
                    == Some(config.model.as_str())
                    && entry.get("dimensions").and_then(Value::as_u64)
                        == Some(u64::from(config.dimensions));
                matches.then(|| vector(entry.get("embedding"))).flatten()
            }
        }
    }

    fn put(&self, text: &str, vector: &[f64], config: &EmbeddingsConfig) {
        match self {
            Cache::None => {}
            Cache::Memory(lru) => lru.lock().put(text.to_string(), vector.to_vec()),
            Cache::File {
                directory,
                max_entries,
                max_bytes,
            } => {
                let entry = json!({"model": config.model, "dimensions": config.dimensions, "embedding": vector});
                let written = std::fs::create_dir_all(directory).and_then(|()| {
                    std::fs::write(directory.join(file_name(text)), entry.to_string())
                });
                if let Err(error) = written {
                    tracing::warn!(target: "geppetto::embeddings", %error, "cannot write the embeddings file cache");
                    return;
                }
                trim_directory(directory, *max_entries, *max_bytes);
            }
        }
    }
}

/// The cache file of `text`: the hex SHA-256 of the text plus `.json`.
fn file_name(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    let hex: String = digest.iter().map(|byte| format!("{byte:02x}")).collect();
    format!("{hex}.json")
}

/// Deletes the oldest cache files until at most `max_entries` files of at most `max_bytes` remain.
fn trim_directory(directory: &std::path::Path, max_entries: usize, max_bytes: u64) {
    let Ok(entries) = std::fs::read_dir(directory) else {
        return;
    };
    let mut files: Vec<(std::time::SystemTime, u64, PathBuf)> = entries
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
        .filter_map(|e| {
            let meta = e.metadata().ok()?;
            Some((meta.modified().ok()?, meta.len(), e.path()))
        })
        .collect();
    let mut total: u64 = files.iter().map(|(_, len, _)| len).sum();
    if files.len() <= max_entries && total <= max_bytes {
        return;
    }
    files.sort();
    let mut count = files.len();
    for (_, len, path) in files {
        if count <= max_entries && total <= max_bytes {
            break;
        }
        if std::fs::remove_file(&path).is_ok() {
            count -= 1;
            total -= len;
        }
    }
}

/// A least-recently-used map of texts to vectors.
struct Lru {
    capacity: usize,
    tick: u64,
    entries: HashMap<String, (u64, Vec<f64>)>,
}

impl Lru {
    fn new(capacity: usize) -> Lru {
        Lru {
            capacity: capacity.max(1),
            tick: 0,
            entries: HashMap::new(),
        }
    }

    fn get(&mut self, text: &str) -> Option<Vec<f64>> {
        self.tick += 1;
        let tick = self.tick;
        self.entries.get_mut(text).map(|(used, vector)| {
            *used = tick;
            vector.clone()
        })
    }

    fn put(&mut self, text: String, vector: Vec<f64>) {
        self.tick += 1;
        if !self.entries.contains_key(&text) && self.entries.len() >= self.capacity {
            let oldest = self
                .entries
                .iter()
                .min_by_key(|(_, (used, _))| *used)
                .map(|(k, _)| k.clone());
            if let Some(oldest) = oldest {
                self.entries.remove(&oldest);
            }
        }
        self.entries.insert(text, (self.tick, vector));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lru_evicts_the_least_recently_used() {
        let mut lru = Lru::new(2);
        lru.put("a".into(), vec![1.0]);
        lru.put("b".into(), vec![2.0]);
        assert!(lru.get("a").is_some());
        lru.put("c".into(), vec![3.0]);
        assert!(lru.get("b").is_none());
        assert_eq!(lru.get("a"), Some(vec![1.0]));
        assert_eq!(lru.get("c"), Some(vec![3.0]));
    }
}
