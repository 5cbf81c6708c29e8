//! The agent API's provider side against an in-process HTTP server on 127.0.0.1: engines built
//! from registry-resolved settings (wire mapping, validation, outbound policy), registries from
//! YAML and SQLite sources, embeddings (OpenAI, Ollama, caches) and the llama.cpp reranker (wire
//! shapes, strict decoding, errors without secrets). No network.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use geppetto::inference::{Engine, RunContext, Turn};
use geppetto::profiles::{InferenceSettings, ProfileRegistry, ResolveInput};
use geppetto::providers::embeddings::{EmbeddingsClient, EmbeddingsConfig};
use geppetto::providers::engine_from_settings;
use geppetto::providers::from_settings::provider_config_from_settings;
use geppetto::providers::reranker::{RerankDocument, RerankError, RerankRequest, Reranker};
use parking_lot::Mutex;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

/// A request as the server saw it.
#[derive(Debug, Clone)]
struct Captured {
    uri: String,
    headers: HeaderMap,
    body: Value,
}

/// One scripted answer: status, headers, body.
type Reply = (u16, Vec<(&'static str, String)>, String);

#[derive(Default)]
struct Shared {
    replies: Mutex<VecDeque<Reply>>,
    requests: Mutex<Vec<Captured>>,
}

struct Server {
    url: String,
    shared: Arc<Shared>,
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    shared.requests.lock().push(Captured {
        uri: uri.to_string(),
        headers,
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
    });
    let (status, headers, body) =
        shared
            .replies
            .lock()
            .pop_front()
            .unwrap_or((599, Vec::new(), "no scripted reply".into()));
    let mut builder = Response::builder().status(status);
    for (name, value) in headers {
        builder = builder.header(name, value);
    }
    builder.body(Body::from(body)).unwrap()
}

impl Server {
    async fn start(replies: Vec<Reply>) -> Server {
        let shared = Arc::new(Shared::default());
        shared.replies.lock().extend(replies);
        let app = axum::Router::new()
            .fallback(handle)
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Server { url, shared }
    }

    fn requests(&self) -> Vec<Captured> {
        self.shared.requests.lock().clone()
    }
}

fn json_reply(body: Value) -> Reply {
    (
        200,
        vec![("content-type", "application/json".into())],
        body.to_string(),
    )
}

fn fixture(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read_to_string(path).unwrap()
}

/// A fresh directory under the system temp dir.
fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "geppetto-agent-providers-{tag}-{}",
        uuid::Uuid::new_v4()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Settings resolved from a one-registry YAML document with one profile `p` holding `settings`.
fn settings(inference: Value) -> InferenceSettings {
    let dir = temp_dir("yaml");
    let path = dir.join("registry.yaml");
    let document = json!({"slug": "test", "profiles": {"p": {"inference_settings": inference}}});
    std::fs::write(&path, serde_norway::to_string(&document).unwrap()).unwrap();
    let registry = ProfileRegistry::load(&[path.display().to_string()]).unwrap();
    registry
        .resolve(&ResolveInput {
            registry: None,
            profile: Some("p".into()),
        })
        .unwrap()
}

fn user_turn(text: &str) -> Turn {
    let mut turn = Turn::default();
    turn.blocks.push(geppetto::inference::Block::user(text));
    turn
}

async fn run(engine: &Arc<dyn Engine>, turn: Turn) -> Result<Turn, String> {
    let ctx = RunContext::detached();
    engine
        .run_inference(&ctx, turn)
        .await
        .map_err(|e| e.to_string())
}

#[tokio::test]
async fn settings_engine_maps_stacked_settings_onto_the_wire() {
    let server = Server::start(vec![(
        200,
        vec![("content-type", "text/event-stream".into())],
        fixture("openai/text.sse"),
    )])
    .await;
    let dir = temp_dir("stack");
    let path = dir.join("team.yaml");
    std::fs::write(
        &path,
        format!(
            "slug: team\nprofiles:\n  provider:\n    inference_settings:\n      api:\n        api_keys: {{openai-api-key: sk-test-secret-123}}\n        base_urls: {{openai-base-url: {}/v1}}\n        allow_http: {{openai: true}}\n        allow_local_networks: {{openai: true}}\n  assistant:\n    stack: [{{profile_slug: provider}}]\n    inference_settings:\n      chat: {{api_type: openai, engine: gpt-4o-mini, temperature: 0.2, top_p: 0.9, max_response_tokens: 64, stop: [\"END\"]}}\n",
            server.url
        ),
    )
    .unwrap();
    let registry = ProfileRegistry::load(&[path.display().to_string()]).unwrap();
    let settings = registry
        .resolve(&ResolveInput {
            registry: None,
            profile: Some("assistant".into()),
        })
        .unwrap();
    let engine = engine_from_settings(&settings).unwrap();
    assert_eq!(engine.name(), "inferenceSettings");
    let turn = run(&engine, user_turn("hi")).await.unwrap();
    assert_eq!(
        turn.blocks.last().unwrap().text_payload(),
        Some("Hello, world!")
    );
    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].uri, "/v1/chat/completions");
    assert_eq!(
        requests[0].headers["authorization"],
        "Bearer sk-test-secret-123"
    );
    let body = &requests[0].body;
    assert_eq!(body["model"], "gpt-4o-mini");
    assert_eq!(body["temperature"], 0.2);
    assert_eq!(body["top_p"], 0.9);
    assert_eq!(body["max_tokens"], 64);
    assert_eq!(body["stop"], json!(["END"]));
}

#[tokio::test]
async fn the_outbound_policy_refuses_plain_http_and_local_networks_at_request_time() {
    let server = Server::start(vec![(400, Vec::new(), "{}".into())]).await;
    let base = |extra: Value| {
        let mut api = json!({"api_keys": {"openai-api-key": "sk-x"}, "base_urls": {"openai-base-url": format!("{}/v1", server.url)}});
        api.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        settings(json!({"chat": {"engine": "m"}, "api": api}))
    };
    // Building never touches the network; the refusal comes with the first request.
    let strict = engine_from_settings(&base(json!({}))).unwrap();
    let error = run(&strict, user_turn("hi")).await.unwrap_err();
    assert!(error.contains("plain http base URL refused by the outbound policy (set api.allow_http.openai to allow it)"), "{error}");
    let http_only = engine_from_settings(&base(json!({"allow_http": {"openai": true}}))).unwrap();
    let error = run(&http_only, user_turn("hi")).await.unwrap_err();
    assert!(
        error.contains("local network base URL refused by the outbound policy"),
        "{error}"
    );
    // The `<p>-allow-*` spellings count too.
    let dashed = engine_from_settings(&base(
        json!({"allow_http": {"openai-allow-http": true}, "openai-allow-local-networks": true}),
    ))
    .unwrap();
    let error = run(&dashed, user_turn("hi")).await.unwrap_err();
    assert!(error.contains("HTTP 400"), "{error}");
    assert_eq!(
        server.requests().len(),
        1,
        "only the allowed engine reached the server"
    );
}

#[test]
fn settings_validation_has_the_go_texts() {
    let check = |inference: Value, expected: &str| {
        let error = provider_config_from_settings(&settings(inference))
            .unwrap_err()
            .to_string();
        assert_eq!(error, expected);
    };
    check(
        json!({"api": {}}),
        "invalid settings for provider openai: chat settings cannot be nil",
    );
    check(
        json!({"chat": {"api_type": "mistral", "engine": "m"}}),
        "invalid settings for provider mistral: unknown provider mistral",
    );
    check(
        json!({"chat": {"engine": "m"}}),
        "invalid settings for provider openai: missing API key openai-api-key",
    );
    check(
        json!({"chat": {"api_type": "openai-responses", "engine": "m"}}),
        "invalid settings for provider openai-responses: missing API key openai-responses-api-key (or fallback open-responses-api-key, openai-responses-api-key, openai-api-key)",
    );
    check(
        json!({"chat": {"api_type": "anthropic", "engine": "m"}, "api": {"api_keys": {"anthropic-api-key": "k"}}}),
        "invalid settings for provider anthropic: missing API key claude-api-key",
    );
    check(
        json!({"chat": {"api_type": "fireworks", "engine": "m"}, "api": {"api_keys": {"fireworks-api-key": "k"}}}),
        "invalid settings for provider fireworks: missing base URL fireworks-base-url for provider fireworks",
    );
    let config = |inference: Value| provider_config_from_settings(&settings(inference)).unwrap();
    let claude = config(
        json!({"chat": {"api_type": "claude", "engine": "c"}, "api": {"api_keys": {"claude-api-key": ""}}}),
    );
    assert_eq!(claude.base_url, "https://api.anthropic.com/v1");
    let gemini = config(
        json!({"chat": {"api_type": "gemini", "engine": "g"}, "api": {"api_keys": {"gemini-api-key": "k"}, "base_urls": {"gemini-base-url": "https://g.example/"}}}),
    );
    assert_eq!(gemini.base_url, "https://g.example/v1beta");
    let responses = config(
        json!({"chat": {"api_type": "open-responses", "engine": "r"}, "api": {"api_keys": {"openai-api-key": "k"}}, "client": {"timeout_second": 5}}),
    );
    assert_eq!(responses.base_url, "https://api.openai.com/v1");
    assert_eq!(responses.timeout, Some(std::time::Duration::from_secs(5)));
}

#[test]
fn sqlite_sources_load_and_the_last_source_wins() {
    let dir = temp_dir("sqlite");
    let db = dir.join("profiles.db");
    let connection = rusqlite::Connection::open(&db).unwrap();
    connection
        .execute_batch("CREATE TABLE profile_registries(slug TEXT PRIMARY KEY, payload_json TEXT NOT NULL, updated_at_ms INTEGER NOT NULL DEFAULT 0);")
        .unwrap();
    let payload = json!({"slug": "db", "profiles": {"shared": {"inference_settings": {"chat": {"engine": "from-db"}}}}});
    connection
        .execute(
            "INSERT INTO profile_registries(slug, payload_json) VALUES (?1, ?2)",
            ("db", payload.to_string()),
        )
        .unwrap();
    drop(connection);
    let yaml = dir.join("y.yaml");
    std::fs::write(
        &yaml,
        "slug: y\nprofiles:\n  shared:\n    inference_settings: {chat: {engine: from-yaml}}\n",
    )
    .unwrap();
    let sources = vec![
        yaml.display().to_string(),
        format!("sqlite:{}", db.display()),
    ];
    let registry = ProfileRegistry::load(&sources).unwrap();
    let resolved = registry
        .resolve(&ResolveInput {
            registry: None,
            profile: Some("shared".into()),
        })
        .unwrap();
    assert_eq!(resolved.values()["chat"]["engine"], "from-db");
    assert_eq!(resolved.provenance().registry_slug, "db");
    // A database under any name is recognized by its header; an SQLite URI opens read-only.
    let disguised = dir.join("registry.conf");
    std::fs::copy(&db, &disguised).unwrap();
    let dsn = format!("sqlite-dsn:file:{}?mode=ro", db.display());
    for source in [disguised.display().to_string(), dsn] {
        let registry = ProfileRegistry::load(std::slice::from_ref(&source)).unwrap();
        assert_eq!(registry.list_registries()[0].slug, "db", "{source}");
    }
    let reversed = ProfileRegistry::load(&[sources[1].clone(), sources[0].clone()]).unwrap();
    let resolved = reversed
        .resolve(&ResolveInput {
            registry: None,
            profile: Some("shared".into()),
        })
        .unwrap();
    assert_eq!(resolved.values()["chat"]["engine"], "from-yaml");
    let error = ProfileRegistry::load(&["missing-dir/none.yaml".to_string()])
        .unwrap_err()
        .to_string();
    assert!(
        error.starts_with("cannot read profile registry source \"missing-dir/none.yaml\""),
        "{error}"
    );
    let empty = dir.join("empty.yaml");
    std::fs::write(&empty, "\n").unwrap();
    let error = ProfileRegistry::load(&[empty.display().to_string()])
        .unwrap_err()
        .to_string();
    assert_eq!(
        error,
        format!(
            "yaml profile registry source \"{}\" did not contain a registry",
            empty.display()
        )
    );
}

#[tokio::test]
async fn openai_embeddings_wire_cache_and_errors() {
    let server = Server::start(vec![
        json_reply(json!({"data": [{"index": 1, "embedding": [0.3, 0.4]}, {"index": 0, "embedding": [0.1, 0.2]}]})),
        json_reply(json!({"data": [{"embedding": [0.5, 0.6]}]})),
        json_reply(json!({"data": []})),
        json_reply(json!({"data": [{"embedding": [1.0]}, {"embedding": [2.0]}]})),
        (401, Vec::new(), "{\"error\": \"bad key sk-embed-secret for text secret-text\"}".into()),
    ])
    .await;
    let settings = settings(json!({
        "api": {"api_keys": {"openai-api-key": "sk-api-level"}},
        "embeddings": {"type": "openai", "engine": "text-embedding-3-small", "dimensions": 2,
            "api_keys": {"openai-api-key": "sk-embed-secret"}, "base_urls": {"openai-base-url": format!("{}/v1", server.url)},
            "cache_type": "memory", "cache_max_entries": 10},
    }));
    let client =
        EmbeddingsClient::new(EmbeddingsConfig::from_settings(&settings).unwrap()).unwrap();
    assert_eq!(client.model().name, "text-embedding-3-small");
    let vectors = client.embed_batch(&["a".into(), "b".into()]).await.unwrap();
    assert_eq!(vectors, vec![vec![0.1, 0.2], vec![0.3, 0.4]]);
    // Cached texts are not sent again; only `c` is.
    let vectors = client.embed_batch(&["b".into(), "c".into()]).await.unwrap();
    assert_eq!(vectors, vec![vec![0.3, 0.4], vec![0.5, 0.6]]);
    assert_eq!(
        client.embed_batch(&[]).await.unwrap(),
        Vec::<Vec<f64>>::new()
    );
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].uri, "/v1/embeddings");
    assert_eq!(
        requests[0].headers["authorization"],
        "Bearer sk-embed-secret"
    );
    assert_eq!(
        requests[0].body,
        json!({"input": ["a", "b"], "model": "text-embedding-3-small", "dimensions": 2})
    );
    assert_eq!(requests[1].body["input"], json!(["c"]));
    assert_eq!(
        client.embed("d").await.unwrap_err().to_string(),
        "no embedding data received from OpenAI"
    );
    assert_eq!(
        client.embed("e").await.unwrap_err().to_string(),
        "received 2 embeddings but expected 1"
    );
    let error = client.embed("secret-text").await.unwrap_err().to_string();
    assert_eq!(error, "OpenAI embeddings request failed: status 401");
}

#[tokio::test]
async fn ollama_embeddings_one_request_per_text_with_a_file_cache() {
    let server = Server::start(vec![
        json_reply(json!({"embedding": [1.0, 2.0, 3.0]})),
        json_reply(json!({"embedding": [4.0, 5.0, 6.0]})),
    ])
    .await;
    let cache = temp_dir("file-cache");
    let make = || {
        let settings = settings(json!({
            "api": {"base_urls": {"ollama-base-url": server.url}},
            "embeddings": {"type": "ollama", "engine": "nomic", "dimensions": 3, "cache_type": "file",
                "cache_directory": cache.display().to_string(), "cache_max_entries": 1},
        }));
        EmbeddingsClient::new(EmbeddingsConfig::from_settings(&settings).unwrap()).unwrap()
    };
    let first = make();
    assert_eq!(
        first.embed_batch(&["x".into(), "y".into()]).await.unwrap(),
        vec![vec![1.0, 2.0, 3.0], vec![4.0, 5.0, 6.0]]
    );
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].uri, "/api/embeddings");
    assert_eq!(requests[0].body, json!({"model": "nomic", "prompt": "x"}));
    // The file cache is bounded to one entry and survives the client.
    assert_eq!(std::fs::read_dir(&cache).unwrap().count(), 1);
    assert_eq!(make().embed("y").await.unwrap(), vec![4.0, 5.0, 6.0]);
    assert_eq!(server.requests().len(), 2);
}

#[test]
fn embeddings_settings_errors() {
    let check = |embeddings: Value, expected: &str| {
        let error = EmbeddingsConfig::from_settings(&settings(json!({"embeddings": embeddings})))
            .unwrap_err()
            .to_string();
        assert_eq!(error, expected);
    };
    check(json!({}), "no embeddings type specified");
    check(json!({"type": "openai"}), "no embeddings model specified");
    check(
        json!({"type": "ollama", "engine": "e"}),
        "no dimensions specified for embeddings",
    );
    check(
        json!({"type": "openai", "engine": "e"}),
        "no API key provided for OpenAI",
    );
    check(
        json!({"type": "cohere", "engine": "e"}),
        "unsupported provider type for embeddings: cohere",
    );
    let config = EmbeddingsConfig::from_settings(&settings(json!({"api": {"api_keys": {"openai-api-key": "k"}}, "embeddings": {"type": "openai", "engine": "e"}}))).unwrap();
    assert_eq!(config.dimensions, 1536);
    assert_eq!(config.timeout, std::time::Duration::from_secs(120));
    let config = EmbeddingsConfig::from_settings(&settings(json!({"api": {"api_keys": {"openai-api-key": "k"}}, "client": {"timeout_second": 7}, "embeddings": {"type": "openai", "engine": "e"}}))).unwrap();
    assert_eq!(config.timeout, std::time::Duration::from_secs(7));
}

fn rerank_settings(base_url: &str, extra: Value) -> InferenceSettings {
    let mut rerank = json!({"type": "llamacpp", "engine": "bge-reranker"});
    rerank
        .as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    settings(json!({
        "api": {"base_urls": {"rerank-base-url": base_url}, "allow_http": {"rerank": true}, "allow_local_networks": {"rerank": true}},
        "rerank": rerank,
        "model_info": {"cost": {"input": 2.0, "output": 0}},
    }))
}

fn documents() -> RerankRequest {
    RerankRequest {
        query: "secret query".into(),
        documents: vec![
            RerankDocument {
                id: "a".into(),
                text: "secret alpha".into(),
            },
            RerankDocument {
                id: "b".into(),
                text: "secret beta".into(),
            },
            RerankDocument {
                id: "c".into(),
                text: "secret gamma".into(),
            },
        ],
        top_n: 2,
        model: None,
    }
}

#[tokio::test]
async fn reranker_wire_and_response_shape() {
    let answer = json!({"model": "bge-reranker", "object": "list", "usage": {"prompt_tokens": 500, "total_tokens": 510},
        "results": [{"index": 0, "relevance_score": 0.1}, {"index": 2, "relevance_score": 0.9}]});
    let server = Server::start(vec![(
        200,
        vec![("x-request-id", "req-7".into())],
        answer.to_string(),
    )])
    .await;
    let reranker = Reranker::from_settings(&rerank_settings(&server.url, json!({}))).unwrap();
    assert_eq!(reranker.model(), "bge-reranker");
    let response = reranker
        .rerank(&documents(), &CancellationToken::new())
        .await
        .unwrap();
    let requests = server.requests();
    assert_eq!(requests[0].uri, "/v1/rerank");
    assert_eq!(
        requests[0].body,
        json!({"model": "bge-reranker", "query": "secret query", "documents": ["secret alpha", "secret beta", "secret gamma"], "top_n": 2})
    );
    let ranked: Vec<(&str, usize, usize)> = response
        .results
        .iter()
        .map(|r| (r.document_id.as_str(), r.index, r.rank))
        .collect();
    assert_eq!(ranked, [("c", 2, 1), ("a", 0, 2)]);
    assert_eq!(response.usage, Some((500, 510)));
    assert_eq!(response.cost, Some(0.001));
    assert_eq!(response.request_id.as_deref(), Some("req-7"));
    assert_eq!(response.provider, "llama.cpp");
}

#[tokio::test]
async fn reranker_decodes_strictly_and_errors_carry_no_secrets() {
    let results = |items: Value| json!({"results": items}).to_string();
    let cases: Vec<(Reply, &str)> = vec![
        (
            (200, vec![], json!({"results": [], "extra": 1}).to_string()),
            "llamacpp response does not match the rerank response schema: invalid rerank response",
        ),
        (
            (
                200,
                vec![],
                format!(
                    "{} trailing",
                    results(
                        json!([{"index": 0, "relevance_score": 1}, {"index": 1, "relevance_score": 0}])
                    )
                ),
            ),
            "llamacpp response does not match the rerank response schema: invalid rerank response",
        ),
        (
            (
                200,
                vec![],
                results(
                    json!([{"index": 0, "relevance_score": 1}, {"index": 0, "relevance_score": 0}]),
                ),
            ),
            "llamacpp response has duplicate index 0: invalid rerank response",
        ),
        (
            (
                200,
                vec![],
                results(
                    json!([{"index": 0, "relevance_score": 1}, {"index": 3, "relevance_score": 0}]),
                ),
            ),
            "llamacpp response has out-of-range index 3: invalid rerank response",
        ),
        (
            (
                200,
                vec![],
                results(json!([{"index": 0, "relevance_score": 1}])),
            ),
            "llamacpp response has 1 results but topN is 2: invalid rerank response",
        ),
        (
            (
                200,
                vec![],
                results(json!([{"index": 0}, {"index": 1, "relevance_score": 0}])),
            ),
            "llamacpp response does not match the rerank response schema: invalid rerank response",
        ),
        (
            (
                200,
                vec![],
                json!({"model": "other", "results": []}).to_string(),
            ),
            "llamacpp response names another model: invalid rerank response",
        ),
        (
            (500, vec![], "secret query".into()),
            "llamacpp endpoint returned status 500: rerank provider unavailable",
        ),
        (
            (
                302,
                vec![("location", "http://example.com/".into())],
                String::new(),
            ),
            "llamacpp endpoint returned status 302: rerank provider unavailable",
        ),
        (
            (200, vec![], "x".repeat(300)),
            "llamacpp response body exceeds 256 bytes: rerank response too large",
        ),
    ];
    let expected: Vec<&str> = cases.iter().map(|(_, e)| *e).collect();
    let server = Server::start(cases.into_iter().map(|(reply, _)| reply).collect()).await;
    let reranker = Reranker::from_settings(&rerank_settings(
        &server.url,
        json!({"max_response_bytes": 256}),
    ))
    .unwrap();
    for text in expected {
        let error = reranker
            .rerank(&documents(), &CancellationToken::new())
            .await
            .unwrap_err()
            .to_string();
        assert_eq!(error, text);
        assert!(
            !error.contains("secret") && !error.contains("127.0.0.1"),
            "{error}"
        );
    }
    // Nothing listens on a closed port.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let reranker = Reranker::from_settings(&rerank_settings(&url, json!({}))).unwrap();
    let error = reranker
        .rerank(&documents(), &CancellationToken::new())
        .await
        .unwrap_err();
    assert_eq!(error, RerankError::Transport);
    assert_eq!(
        error.to_string(),
        "llamacpp provider transport failed: rerank provider unavailable"
    );
}

#[test]
fn reranker_settings_and_request_validation() {
    let build = |inference: Value| {
        Reranker::from_settings(&settings(inference))
            .map(|_| ())
            .unwrap_err()
            .to_string()
    };
    assert_eq!(
        build(json!({})),
        "selected profile is not rerank-capable: missing inference_settings.rerank: invalid rerank request"
    );
    assert_eq!(
        build(json!({"rerank": {"engine": "e"}})),
        "selected profile is not rerank-capable: missing inference_settings.rerank.type: invalid rerank request"
    );
    assert_eq!(
        build(json!({"rerank": {"type": "llamacpp"}})),
        "selected profile is not rerank-capable: missing inference_settings.rerank.engine: invalid rerank request"
    );
    assert_eq!(
        build(json!({"rerank": {"type": "cohere", "engine": "e"}})),
        "unsupported rerank provider type \"cohere\"; supported values are [llamacpp]: invalid rerank request"
    );
    assert_eq!(
        build(json!({"rerank": {"type": "llamacpp", "engine": "e"}})),
        "selected rerank profile has no rerank-base-url; set inference_settings.api.base_urls.rerank-base-url: invalid rerank request"
    );
    assert_eq!(
        build(
            json!({"rerank": {"type": "llamacpp", "engine": "e"}, "api": {"base_urls": {"rerank-base-url": "http://127.0.0.1:18012"}}})
        ),
        "plain http base URL refused by the outbound policy (set api.allow_http.rerank to allow it): invalid rerank request"
    );
    let reranker =
        Reranker::from_settings(&rerank_settings("http://127.0.0.1:9", json!({}))).unwrap();
    let check = |change: &dyn Fn(&mut RerankRequest), expected: &str| {
        let mut request = documents();
        change(&mut request);
        assert_eq!(
            reranker.validate(&request).unwrap_err().to_string(),
            expected
        );
    };
    check(
        &|r| r.query = " ".into(),
        "rerank query is required: invalid rerank request",
    );
    check(
        &|r| r.documents.clear(),
        "rerank requires at least one document: invalid rerank request",
    );
    check(
        &|r| r.documents[1].id = String::new(),
        "rerank document 1 requires a non-empty string id: invalid rerank request",
    );
    check(
        &|r| r.documents[2].text = String::new(),
        "rerank document 2 requires non-empty string text: invalid rerank request",
    );
    check(
        &|r| r.documents[2].id = "a".into(),
        "rerank documents contain a duplicate id: invalid rerank request",
    );
    check(
        &|r| r.top_n = 4,
        "rerank options.topN (4) must be between 1 and 3: invalid rerank request",
    );
    check(
        &|r| r.model = Some("x".into()),
        "rerank request model \"x\" does not match provider model \"bge-reranker\": invalid rerank request",
    );
}

#[test]
fn stop_sequences_reach_every_wire_format_that_has_them() {
    use geppetto::providers::ProviderEngine;
    let body = |api_type: &str, key: &str| {
        let settings = settings(json!({
            "api": {"api_keys": {key: "k"}},
            "chat": {"api_type": api_type, "engine": "m", "stop": ["STOP"], "max_response_tokens": 10},
        }));
        let config = provider_config_from_settings(&settings).unwrap();
        ProviderEngine::new("t", config)
            .unwrap()
            .request_body(&user_turn("hi"), None)
            .unwrap()
    };
    assert_eq!(body("openai", "openai-api-key")["stop"], json!(["STOP"]));
    assert_eq!(
        body("claude", "claude-api-key")["stop_sequences"],
        json!(["STOP"])
    );
    assert_eq!(
        body("gemini", "gemini-api-key")["generationConfig"]["stopSequences"],
        json!(["STOP"])
    );
    let responses = body("openai-responses", "openai-api-key");
    assert_eq!(responses["max_output_tokens"], 10);
    assert!(
        responses.get("stop").is_none(),
        "the Responses API has no stop field"
    );
}

#[tokio::test]
async fn a_cancelled_rerank_stops_waiting_for_a_silent_server() {
    // Accepts connections and never answers.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let reranker = Reranker::from_settings(&rerank_settings(&url, json!({}))).unwrap();
    let cancel = CancellationToken::new();
    let trigger = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        trigger.cancel();
    });
    let error = reranker.rerank(&documents(), &cancel).await.unwrap_err();
    assert_eq!(error, RerankError::Canceled);
}
