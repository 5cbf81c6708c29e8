//! The llama.cpp reranker (`gp.reranker(settings)`): `POST <rerank-base-url>/v1/rerank` with
//! strict request validation and strict decoding of the answer. Errors never contain the query,
//! document texts, the body, the URL or credentials.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use super::from_settings::{client_timeout, outbound_policy};
use super::outbound::OutboundPolicy;
use crate::profiles::InferenceSettings;

/// The provider name in `model()` and responses.
pub const RERANK_PROVIDER: &str = "llama.cpp";
/// Default `rerank.max_request_bytes` (2 MiB).
pub const DEFAULT_MAX_REQUEST_BYTES: usize = 2 << 20;
/// Default `rerank.max_response_bytes` (1 MiB).
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 1 << 20;
/// Whole-request timeout when `client.timeout_second` is not set.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(120);

/// Why a rerank could not be set up or done. Texts end as the contract says.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RerankError {
    /// Bad settings or a bad request: `<reason>: invalid rerank request`.
    #[error("{0}: invalid rerank request")]
    InvalidRequest(String),
    /// An answer that breaks the wire contract: `<reason>: invalid rerank response`.
    #[error("{0}: invalid rerank response")]
    InvalidResponse(String),
    /// No HTTP answer.
    #[error("llamacpp provider transport failed: rerank provider unavailable")]
    Transport,
    /// A non-2xx answer (redirects included: they are not followed).
    #[error("llamacpp endpoint returned status {0}: rerank provider unavailable")]
    Status(u16),
    /// The answer is bigger than `max_response_bytes`.
    #[error("llamacpp response body exceeds {0} bytes: rerank response too large")]
    TooLarge(usize),
    /// The caller cancelled.
    #[error("rerank canceled")]
    Canceled,
}

/// One document to rank.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RerankDocument {
    /// Caller's id (unique, non-empty).
    pub id: String,
    /// Text (non-empty).
    pub text: String,
}

/// A rerank request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RerankRequest {
    /// The query.
    pub query: String,
    /// The documents.
    pub documents: Vec<RerankDocument>,
    /// How many results (must be 1..=documents; signed so out-of-range input is reported as given).
    pub top_n: i64,
    /// Expected model; must equal the provider model when given.
    pub model: Option<String>,
}

/// One ranked document.
#[derive(Debug, Clone, PartialEq)]
pub struct RerankResult {
    /// The document's id.
    pub document_id: String,
    /// Its index in the request.
    pub index: usize,
    /// Relevance score.
    pub score: f64,
    /// 1 = best.
    pub rank: usize,
}

/// A rerank answer.
#[derive(Debug, Clone, PartialEq)]
pub struct RerankResponse {
    /// [`RERANK_PROVIDER`].
    pub provider: &'static str,
    /// The model.
    pub model: String,
    /// Score descending.
    pub results: Vec<RerankResult>,
    /// `(input tokens, total tokens)` when reported.
    pub usage: Option<(u64, u64)>,
    /// USD: input tokens × `model_info.cost.input` / 10^6, when both are known.
    pub cost: Option<f64>,
    /// `X-Request-Id`.
    pub request_id: Option<String>,
    /// Wall time of the request.
    pub duration_ms: u64,
}

/// A configured reranker. Building one touches no network.
#[derive(Debug, Clone)]
pub struct Reranker {
    model: String,
    endpoint: String,
    policy: OutboundPolicy,
    max_request_bytes: usize,
    max_response_bytes: usize,
    cost_per_million_input: Option<f64>,
    http: reqwest::Client,
}

fn invalid(reason: impl Into<String>) -> RerankError {
    RerankError::InvalidRequest(reason.into())
}

/// Checks a base URL: http(s), a host, no userinfo, query, fragment or dot segments.
fn check_base_url(raw: &str) -> Result<(), RerankError> {
    let url =
        reqwest::Url::parse(raw).map_err(|_| invalid("rerank-base-url is not a valid URL"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(invalid("rerank-base-url must use http or https"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(invalid("rerank-base-url must have a host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid("rerank-base-url must not contain userinfo"));
    }
    if url.query().is_some() {
        return Err(invalid("rerank-base-url must not contain a query"));
    }
    if url.fragment().is_some() {
        return Err(invalid("rerank-base-url must not contain a fragment"));
    }
    let after_scheme = raw.split_once("://").map_or(raw, |(_, rest)| rest);
    let path = after_scheme.split_once('/').map_or("", |(_, path)| path);
    let dot = |segment: &str| {
        let lower = segment.to_ascii_lowercase();
        matches!(
            lower.as_str(),
            "." | ".." | "%2e" | "%2e%2e" | ".%2e" | "%2e."
        )
    };
    if path.split(['/', '?', '#']).any(dot) {
        return Err(invalid("rerank-base-url must not contain dot segments"));
    }
    Ok(())
}

impl Reranker {
    /// A reranker from `settings`: `rerank.{type: llamacpp, engine, max_request_bytes,
    /// max_response_bytes}`, `api.base_urls.rerank-base-url`, the outbound policy of key `rerank`
    /// (checked here for what needs no DNS, and again per request).
    pub fn from_settings(settings: &InferenceSettings) -> Result<Reranker, RerankError> {
        const NOT_CAPABLE: &str =
            "selected profile is not rerank-capable: missing inference_settings.rerank";
        let rerank = settings
            .section("rerank")
            .ok_or_else(|| invalid(NOT_CAPABLE))?;
        let text = |key: &str| {
            rerank
                .get(key)
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty())
        };
        let kind = text("type").ok_or_else(|| invalid(format!("{NOT_CAPABLE}.type")))?;
        let model = text("engine").ok_or_else(|| invalid(format!("{NOT_CAPABLE}.engine")))?;
        if kind != "llamacpp" {
            return Err(invalid(format!(
                "unsupported rerank provider type \"{kind}\"; supported values are [llamacpp]"
            )));
        }
        let base_url = settings
            .lookup("api", "base_urls", "rerank-base-url")
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| {
                invalid("selected rerank profile has no rerank-base-url; set inference_settings.api.base_urls.rerank-base-url")
            })?;
        check_base_url(base_url)?;
        let policy = outbound_policy(settings, &["rerank"]);
        policy
            .check_static(base_url)
            .map_err(|refusal| invalid(refusal.to_string()))?;
        let limit = |key: &str, default: usize| -> Result<usize, RerankError> {
            match rerank.get(key) {
                None | Some(Value::Null) => Ok(default),
                Some(value) => value
                    .as_u64()
                    .filter(|n| *n > 0)
                    .map(|n| n as usize)
                    .ok_or_else(|| invalid(format!("rerank.{key} must be a positive integer"))),
            }
        };
        let timeout = client_timeout(settings)
            .map_err(invalid)?
            .unwrap_or(REQUEST_TIMEOUT);
        let http = reqwest::Client::builder()
            .user_agent(concat!("geppetto-rs/", env!("CARGO_PKG_VERSION")))
            .redirect(reqwest::redirect::Policy::none())
            .timeout(timeout)
            .build()
            .map_err(|_| RerankError::Transport)?;
        Ok(Reranker {
            model: model.to_string(),
            endpoint: format!("{}/v1/rerank", base_url.trim_end_matches('/')),
            policy,
            max_request_bytes: limit("max_request_bytes", DEFAULT_MAX_REQUEST_BYTES)?,
            max_response_bytes: limit("max_response_bytes", DEFAULT_MAX_RESPONSE_BYTES)?,
            cost_per_million_input: settings
                .model_info()
                .and_then(|info| info.cost)
                .map(|cost| cost.input),
            http,
        })
    }

    /// The model name (`rerank.engine`).
    pub fn model(&self) -> &str {
        &self.model
    }

    /// Checks `request` against the contract (before any network).
    pub fn validate(&self, request: &RerankRequest) -> Result<(), RerankError> {
        if request.query.trim().is_empty() {
            return Err(invalid("rerank query is required"));
        }
        if request.documents.is_empty() {
            return Err(invalid("rerank requires at least one document"));
        }
        let mut ids = HashSet::new();
        for (index, document) in request.documents.iter().enumerate() {
            if document.id.is_empty() {
                return Err(invalid(format!(
                    "rerank document {index} requires a non-empty string id"
                )));
            }
            if document.text.is_empty() {
                return Err(invalid(format!(
                    "rerank document {index} requires non-empty string text"
                )));
            }
            if !ids.insert(document.id.as_str()) {
                return Err(invalid("rerank documents contain a duplicate id"));
            }
        }
        if request.top_n < 1 || request.top_n as u64 > request.documents.len() as u64 {
            return Err(invalid(format!(
                "rerank options.topN ({}) must be between 1 and {}",
                request.top_n,
                request.documents.len()
            )));
        }
        if let Some(model) = &request.model
            && model != &self.model
        {
            return Err(invalid(format!(
                "rerank request model \"{model}\" does not match provider model \"{}\"",
                self.model
            )));
        }
        Ok(())
    }

    /// Ranks `request`'s documents. `cancel` aborts the request.
    pub async fn rerank(
        &self,
        request: &RerankRequest,
        cancel: &CancellationToken,
    ) -> Result<RerankResponse, RerankError> {
        self.validate(request)?;
        let texts: Vec<&str> = request.documents.iter().map(|d| d.text.as_str()).collect();
        let body = json!({"model": self.model, "query": request.query, "documents": texts, "top_n": request.top_n});
        let body =
            serde_json::to_vec(&body).map_err(|_| invalid("rerank request cannot be encoded"))?;
        if body.len() > self.max_request_bytes {
            return Err(invalid(format!(
                "rerank request body exceeds {} bytes",
                self.max_request_bytes
            )));
        }
        let started = Instant::now();
        let exchange = async {
            self.policy
                .check(&self.endpoint)
                .await
                .map_err(|refusal| invalid(refusal.to_string()))?;
            let response = self
                .http
                .post(&self.endpoint)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .map_err(|_| RerankError::Transport)?;
            let status = response.status();
            if !status.is_success() {
                return Err(RerankError::Status(status.as_u16()));
            }
            let request_id = response
                .headers()
                .get("x-request-id")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            let bytes = read_limited(response, self.max_response_bytes).await?;
            Ok((request_id, bytes))
        };
        let (request_id, bytes) = tokio::select! {
            biased;
            _ = cancel.cancelled() => return Err(RerankError::Canceled),
            outcome = exchange => outcome?,
        };
        let mut response = self.decode(&bytes, request)?;
        response.request_id = request_id;
        response.duration_ms = started.elapsed().as_millis() as u64;
        Ok(response)
    }

    fn decode(&self, bytes: &[u8], request: &RerankRequest) -> Result<RerankResponse, RerankError> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Wire {
            #[serde(default)]
            model: Option<String>,
            #[serde(default)]
            #[allow(dead_code)]
            object: Option<String>,
            #[serde(default)]
            usage: Option<WireUsage>,
            results: Vec<WireResult>,
        }
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct WireUsage {
            prompt_tokens: u64,
            total_tokens: u64,
        }
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct WireResult {
            index: usize,
            relevance_score: f64,
        }
        let bad =
            |reason: &str| RerankError::InvalidResponse(format!("llamacpp response {reason}"));
        let wire: Wire = serde_json::from_slice(bytes)
            .map_err(|_| bad("does not match the rerank response schema"))?;
        if let Some(model) = &wire.model
            && model != &self.model
        {
            return Err(bad("names another model"));
        }
        if wire.results.len() as i64 != request.top_n {
            return Err(bad(&format!(
                "has {} results but topN is {}",
                wire.results.len(),
                request.top_n
            )));
        }
        let mut seen = HashSet::new();
        let mut results = Vec::with_capacity(wire.results.len());
        for result in &wire.results {
            if result.index >= request.documents.len() {
                return Err(bad(&format!("has out-of-range index {}", result.index)));
            }
            if !seen.insert(result.index) {
                return Err(bad(&format!("has duplicate index {}", result.index)));
            }
            if !result.relevance_score.is_finite() {
                return Err(bad("has a non-finite score"));
            }
            results.push(RerankResult {
                document_id: request.documents[result.index].id.clone(),
                index: result.index,
                score: result.relevance_score,
                rank: 0,
            });
        }
        results.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.index.cmp(&b.index)));
        for (position, result) in results.iter_mut().enumerate() {
            result.rank = position + 1;
        }
        let usage = wire.usage.map(|u| (u.prompt_tokens, u.total_tokens));
        let cost = match (usage, self.cost_per_million_input) {
            (Some((input, _)), Some(price)) => Some(input as f64 * price / 1e6),
            _ => None,
        };
        Ok(RerankResponse {
            provider: RERANK_PROVIDER,
            model: self.model.clone(),
            results,
            usage,
            cost,
            request_id: None,
            duration_ms: 0,
        })
    }
}

/// The body of `response`, failing once it exceeds `limit` bytes.
async fn read_limited(
    mut response: reqwest::Response,
    limit: usize,
) -> Result<Vec<u8>, RerankError> {
    if response
        .content_length()
        .is_some_and(|len| len > limit as u64)
    {
        return Err(RerankError::TooLarge(limit));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|_| RerankError::Transport)? {
        if body.len() + chunk.len() > limit {
            return Err(RerankError::TooLarge(limit));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_are_checked() {
        for (url, reason) in [
            ("ftp://h", "rerank-base-url must use http or https"),
            ("http://u:p@h", "rerank-base-url must not contain userinfo"),
            ("http://h/?q=1", "rerank-base-url must not contain a query"),
            ("http://h/#f", "rerank-base-url must not contain a fragment"),
            (
                "http://h/a/../b",
                "rerank-base-url must not contain dot segments",
            ),
            (
                "http://h/./b",
                "rerank-base-url must not contain dot segments",
            ),
        ] {
            assert_eq!(check_base_url(url), Err(invalid(reason)), "{url}");
        }
        assert_eq!(check_base_url("http://127.0.0.1:18012"), Ok(()));
    }
}
