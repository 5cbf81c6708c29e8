//! An in-process fake LLM provider for tests that run `geppetto run` as a child process: an axum
//! server on 127.0.0.1, on its own tokio runtime, answering every request with what a responder
//! function returns for the request's JSON body. No network.

use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::response::Response;
use futures_util::StreamExt;
use serde_json::Value;

/// One answer of the fake provider.
#[derive(Debug, Clone)]
pub struct FakeReply {
    /// HTTP status.
    pub status: u16,
    /// `content-type` header.
    pub content_type: &'static str,
    /// The body, sent in chunks of `chunk` bytes.
    pub body: String,
    /// Chunk size in bytes.
    pub chunk: usize,
    /// Pause before each chunk (a slow provider).
    pub pause: Duration,
}

impl FakeReply {
    /// A 200 event stream with `body`, in 7-byte chunks so frames straddle chunks.
    pub fn sse(body: impl Into<String>) -> FakeReply {
        FakeReply {
            status: 200,
            content_type: "text/event-stream",
            body: body.into(),
            chunk: 7,
            pause: Duration::ZERO,
        }
    }

    /// An error answer with a JSON body.
    pub fn error(status: u16, body: impl Into<String>) -> FakeReply {
        FakeReply {
            status,
            content_type: "application/json",
            body: body.into(),
            chunk: 4096,
            pause: Duration::ZERO,
        }
    }
}

type Responder = Arc<dyn Fn(&Value) -> FakeReply + Send + Sync>;

/// The running fake provider; stops when dropped.
pub struct FakeProvider {
    /// `http://127.0.0.1:<port>`.
    pub url: String,
    _runtime: tokio::runtime::Runtime,
}

async fn answer(State(responder): State<Responder>, body: Bytes) -> Response {
    let request = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let reply = responder(&request);
    let pause = reply.pause;
    let chunks: Vec<Bytes> = reply
        .body
        .as_bytes()
        .chunks(reply.chunk.max(1))
        .map(Bytes::copy_from_slice)
        .collect();
    let stream = futures_util::stream::iter(chunks).then(move |chunk| async move {
        if !pause.is_zero() {
            tokio::time::sleep(pause).await;
        }
        Ok::<_, std::io::Error>(chunk)
    });
    Response::builder()
        .status(reply.status)
        .header("content-type", reply.content_type)
        .body(Body::from_stream(stream))
        .expect("response")
}

impl FakeProvider {
    /// Starts the server; `responder` picks the answer for each request body.
    pub fn start(responder: impl Fn(&Value) -> FakeReply + Send + Sync + 'static) -> FakeProvider {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("fake provider runtime");
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.set_nonblocking(true).expect("nonblocking");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        let responder: Responder = Arc::new(responder);
        let app = axum::Router::new().fallback(answer).with_state(responder);
        runtime.spawn(async move {
            let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
            let _ = axum::serve(listener, app).await;
        });
        FakeProvider {
            url,
            _runtime: runtime,
        }
    }

    /// Writes a profiles file (YAML) into `dir` with one OpenAI-compatible profile `name` pointing
    /// at this server; returns its path (for `GEPPETTO_PROFILES`).
    pub fn write_profile(&self, dir: &std::path::Path, name: &str) -> std::path::PathBuf {
        std::fs::create_dir_all(dir).expect("profiles dir");
        let path = dir.join("profiles.yaml");
        let yaml = format!(
            "{name}:\n  apiType: openai\n  model: fake-model\n  apiKey: fake-key\n  baseURL: {}/v1\n",
            self.url
        );
        std::fs::write(&path, yaml).expect("write profiles");
        path
    }
}
