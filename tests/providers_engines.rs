//! Provider engines against an in-process HTTP server on 127.0.0.1 replaying fixture transcripts in
//! each provider's documented wire format (tests/fixtures/<provider>/). No network.

mod support {
    use std::collections::VecDeque;
    use std::sync::Arc;

    use axum::body::{Body, Bytes};
    use axum::extract::State;
    use axum::http::{HeaderMap, StatusCode, Uri};
    use axum::response::Response;
    use futures_util::StreamExt;
    use geppetto::inference::event::CollectingSink;
    use geppetto::inference::{
        Engine, EngineTools, Event, EventKind, EventSink, InferenceError, RunContext, Turn,
    };
    use geppetto::providers::{Env, ProviderConfig, ProviderEngine, RetryPolicy};
    use parking_lot::Mutex;
    use serde_json::Value;
    use tokio::sync::oneshot;

    /// One scripted answer of the test server.
    pub enum Reply {
        /// A complete answer: status, headers, body sent in small chunks.
        Full {
            status: u16,
            headers: Vec<(&'static str, String)>,
            body: String,
        },
        /// A 200 event stream that sends `prefix` and then stays open until the client goes away;
        /// `closed` fires when the server notices (the body stream is dropped).
        Hang {
            prefix: String,
            closed: oneshot::Sender<()>,
        },
        /// Never answers (for timeouts).
        Silent,
    }

    impl Reply {
        /// A 200 `text/event-stream` answer with `body`.
        pub fn sse(body: &str) -> Reply {
            Reply::Full {
                status: 200,
                headers: vec![("content-type", "text/event-stream".into())],
                body: body.to_string(),
            }
        }

        /// An error answer with a JSON body.
        pub fn error(status: u16, body: &str) -> Reply {
            Reply::Full {
                status,
                headers: vec![("content-type", "application/json".into())],
                body: body.to_string(),
            }
        }

        /// An error answer with a `Retry-After` header.
        pub fn error_retry_after(status: u16, body: &str, seconds: &str) -> Reply {
            Reply::Full {
                status,
                headers: vec![
                    ("content-type", "application/json".into()),
                    ("retry-after", seconds.to_string()),
                ],
                body: body.to_string(),
            }
        }
    }

    /// A request as the server saw it.
    #[derive(Debug, Clone)]
    pub struct Captured {
        /// Path and query.
        pub uri: String,
        /// Headers.
        pub headers: HeaderMap,
        /// JSON body.
        pub body: Value,
    }

    #[derive(Default)]
    struct Shared {
        replies: Mutex<VecDeque<Reply>>,
        requests: Arc<Mutex<Vec<Captured>>>,
    }

    /// The scripted server.
    pub struct Server {
        /// `http://127.0.0.1:<port>`.
        pub url: String,
        shared: Arc<Shared>,
    }

    struct OnDrop(Option<oneshot::Sender<()>>);

    impl Drop for OnDrop {
        fn drop(&mut self) {
            if let Some(sender) = self.0.take() {
                let _ = sender.send(());
            }
        }
    }

    /// Splits `text` into chunks of `size` bytes, so SSE frames and JSON arguments straddle chunks.
    fn chunks(text: &str, size: usize) -> Vec<Result<Bytes, std::io::Error>> {
        text.as_bytes()
            .chunks(size)
            .map(|chunk| Ok(Bytes::copy_from_slice(chunk)))
            .collect()
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
        let reply = shared.replies.lock().pop_front();
        match reply {
            Some(Reply::Full {
                status,
                headers,
                body,
            }) => {
                let mut builder = Response::builder().status(StatusCode::from_u16(status).unwrap());
                for (name, value) in headers {
                    builder = builder.header(name, value);
                }
                builder
                    .body(Body::from_stream(futures_util::stream::iter(chunks(
                        &body, 7,
                    ))))
                    .unwrap()
            }
            Some(Reply::Hang { prefix, closed }) => {
                let guard = OnDrop(Some(closed));
                let stream = futures_util::stream::iter(chunks(&prefix, 64))
                    .chain(futures_util::stream::pending())
                    .map(move |chunk| {
                        let _keep = &guard;
                        chunk
                    });
                Response::builder()
                    .status(200)
                    .header("content-type", "text/event-stream")
                    .body(Body::from_stream(stream))
                    .unwrap()
            }
            Some(Reply::Silent) => {
                futures_util::future::pending::<()>().await;
                unreachable!()
            }
            None => Response::builder()
                .status(599)
                .body(Body::from("no scripted reply"))
                .unwrap(),
        }
    }

    impl Server {
        /// Starts a server answering with `replies`, in order.
        pub async fn start(replies: Vec<Reply>) -> Server {
            let shared = Arc::new(Shared::default());
            shared.replies.lock().extend(replies);
            let app = axum::Router::new()
                .fallback(handle)
                .with_state(shared.clone());
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let url = format!("http://{}", listener.local_addr().unwrap());
            tokio::spawn(async move {
                axum::serve(listener, app).await.unwrap();
            });
            Server { url, shared }
        }

        /// The shared request log (for tasks that wait for a request to arrive).
        pub fn requests_handle(&self) -> Arc<Mutex<Vec<Captured>>> {
            self.shared.requests.clone()
        }

        /// The requests received so far.
        pub fn requests(&self) -> Vec<Captured> {
            self.shared.requests.lock().clone()
        }
    }

    /// An engine for `options` (a JSON object with the spec's names) with fast retries.
    pub fn engine(options: Value) -> ProviderEngine {
        let options = geppetto::providers::profiles::profile_options(&options).unwrap();
        let mut config = ProviderConfig::resolve(options, &Env::new()).unwrap();
        config.retry.initial_backoff = std::time::Duration::from_millis(1);
        ProviderEngine::new("config", config).unwrap()
    }

    /// An engine for `options` with the given retry policy.
    pub fn engine_with_retry(options: Value, retry: RetryPolicy) -> ProviderEngine {
        let options = geppetto::providers::profiles::profile_options(&options).unwrap();
        let mut config = ProviderConfig::resolve(options, &Env::new()).unwrap();
        config.retry = retry;
        ProviderEngine::new("config", config).unwrap()
    }

    /// A sink that collects events and cancels the run at the first `partial` event.
    pub struct CancelOnPartial {
        pub inner: CollectingSink,
        pub token: tokio_util::sync::CancellationToken,
    }

    impl EventSink for CancelOnPartial {
        fn emit(&self, event: Event) {
            if matches!(event.kind, EventKind::Partial { .. }) {
                self.token.cancel();
            }
            self.inner.emit(event);
        }
    }

    /// Captures tracing output of the current thread (tests run on a current-thread runtime, so
    /// the engine, the client and the server all log here).
    #[derive(Clone, Default)]
    pub struct LogCapture(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for LogCapture {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl LogCapture {
        /// Makes this capture the thread's default subscriber (all levels) until the guard drops.
        pub fn install(&self) -> tracing::subscriber::DefaultGuard {
            let writer = self.clone();
            let subscriber = tracing_subscriber::fmt()
                .with_max_level(tracing::Level::TRACE)
                .with_ansi(false)
                .with_writer(move || writer.clone())
                .finish();
            tracing::subscriber::set_default(subscriber)
        }

        /// Everything logged so far.
        pub fn text(&self) -> String {
            String::from_utf8_lossy(&self.0.lock()).into_owned()
        }
    }

    /// The outcome of one run.
    pub struct Outcome {
        pub result: Result<Turn, InferenceError>,
        pub events: Vec<EventKind>,
    }

    impl Outcome {
        /// The output turn; panics with the error otherwise.
        pub fn turn(&self) -> &Turn {
            match &self.result {
                Ok(turn) => turn,
                Err(error) => panic!("inference failed: {error}"),
            }
        }

        /// The error text; panics if the run succeeded.
        pub fn error(&self) -> String {
            match &self.result {
                Ok(turn) => panic!("inference succeeded: {turn:?}"),
                Err(error) => error.to_string(),
            }
        }

        /// The event type names, in order, with consecutive `partial`s collapsed.
        pub fn event_types(&self) -> Vec<&'static str> {
            let mut types: Vec<&'static str> = Vec::new();
            for event in &self.events {
                let name = event.type_name();
                if name == "partial" && types.last() == Some(&"partial") {
                    continue;
                }
                types.push(name);
            }
            types
        }

        /// The concatenated `partial` deltas.
        pub fn partial_text(&self) -> String {
            self.events
                .iter()
                .filter_map(|event| match event {
                    EventKind::Partial { delta, .. } => Some(delta.as_str()),
                    _ => None,
                })
                .collect()
        }
    }

    /// Runs `engine` on `turn` with `tools`.
    pub async fn run(engine: &ProviderEngine, turn: Turn, tools: Option<EngineTools>) -> Outcome {
        let sink = CollectingSink::new();
        let mut ctx = RunContext::detached();
        ctx.sink = Arc::new(sink.clone());
        ctx.tools = tools.map(Arc::new);
        let result = engine.run_inference(&ctx, turn).await;
        Outcome {
            result,
            events: sink.events().into_iter().map(|event| event.kind).collect(),
        }
    }

    /// Runs `engine` and cancels it at the first `partial` event.
    pub async fn run_cancel_on_partial(engine: &ProviderEngine, turn: Turn) -> Outcome {
        let sink = Arc::new(CancelOnPartial {
            inner: CollectingSink::new(),
            token: tokio_util::sync::CancellationToken::new(),
        });
        let mut ctx = RunContext::detached();
        ctx.cancel = sink.token.clone();
        ctx.sink = sink.clone();
        let result = engine.run_inference(&ctx, turn).await;
        Outcome {
            result,
            events: sink
                .inner
                .events()
                .into_iter()
                .map(|event| event.kind)
                .collect(),
        }
    }
}

mod shared {
    use geppetto::inference::{Block, EngineTools, ToolChoice, ToolDefinition, Turn};
    use serde_json::json;

    /// A system prompt and a user question.
    pub fn question() -> Turn {
        Turn::new()
            .with_block(Block::system("You are terse."))
            .with_block(Block::user("Say hello"))
    }

    /// A conversation with an answered tool call round, for request mapping tests.
    pub fn tool_round() -> Turn {
        Turn::new()
            .with_block(Block::system("Use tools."))
            .with_block(Block::user("Weather in Paris and double 21?"))
            .with_block(Block::assistant("Let me check."))
            .with_block(Block::tool_call(
                "call_weather",
                "get_weather",
                json!({"location": "Paris"}),
            ))
            .with_block(Block::tool_call(
                "call_double",
                "go_double",
                json!("{\"n\":21}"),
            ))
            .with_block(Block::tool_use("call_double", json!("{\"value\":42}"), ""))
            .with_block(Block::tool_use("call_weather", json!(null), "service down"))
    }

    /// Two tool definitions, `required` choice.
    pub fn tools(choice: ToolChoice) -> EngineTools {
        EngineTools {
            definitions: vec![
                ToolDefinition {
                    name: "get_weather".into(),
                    description: "Weather for a city".into(),
                    parameters: json!({"type":"object","properties":{"location":{"type":"string"}},"required":["location"]}),
                },
                ToolDefinition {
                    name: "go_double".into(),
                    description: "Double a number and return {value}".into(),
                    parameters: json!(null),
                },
            ],
            choice,
        }
    }
}

/// The checks the provider modules share, one per area: each starts a server with scripted
/// replies, runs an engine built for it and asserts what every provider does alike, then hands back
/// what the provider's test checks further.
mod check {
    use geppetto::inference::{Block, BlockKind, EngineTools, EventKind, InferenceError, Turn};
    use geppetto::providers::ProviderEngine;
    use serde_json::{Value, json};

    use super::shared::question;
    use super::support::{Captured, Outcome, Reply, Server, run, run_cancel_on_partial};

    /// Builds the engine under test for a server.
    pub type MakeEngine = fn(&Server) -> ProviderEngine;

    /// Starts a server answering `replies` and runs `turn` with `tools` on the engine `make` builds.
    pub async fn serve(
        replies: Vec<Reply>,
        make: MakeEngine,
        turn: Turn,
        tools: Option<EngineTools>,
    ) -> (Server, Outcome) {
        let server = Server::start(replies).await;
        let outcome = run(&make(&server), turn, tools).await;
        (server, outcome)
    }

    /// [`serve`] with one streamed answer, `fixture`.
    pub async fn serve_sse(
        fixture: &str,
        make: MakeEngine,
        turn: Turn,
        tools: Option<EngineTools>,
    ) -> (Server, Outcome) {
        serve(vec![Reply::sse(fixture)], make, turn, tools).await
    }

    /// Text: `fixture` answers the question with "Hello, world!". Checks the text, the turn's
    /// provider, model and stop reason, and the events; returns the outcome and the one request.
    pub async fn text(
        fixture: &str,
        make: MakeEngine,
        provider: &str,
        model: &str,
        stop_reason: &str,
    ) -> (Outcome, Captured) {
        let (server, outcome) = serve_sse(fixture, make, question(), None).await;
        let turn = outcome.turn();
        assert_eq!(turn.last_assistant_text(), Some("Hello, world!"));
        assert_eq!(turn.metadata["provider"], provider);
        assert_eq!(turn.metadata["model"], model);
        assert_eq!(turn.metadata["stop_reason"], stop_reason);
        assert_eq!(outcome.event_types(), ["start", "partial", "final"]);
        let mut requests = server.requests();
        assert_eq!(requests.len(), 1);
        (outcome, requests.remove(0))
    }

    /// Tool calls: `fixture` answers the question (offered `tools`) with blocks of `added_kinds`,
    /// among them `get_weather` for Paris in °C, then `go_double` of 21. Checks the added blocks'
    /// kinds, the two tool_call blocks' names and arguments and the event types; returns the
    /// outcome, the added blocks and the request body.
    pub async fn tool_calls(
        fixture: &str,
        make: MakeEngine,
        tools: EngineTools,
        added_kinds: &[BlockKind],
        event_types: &[&str],
    ) -> (Outcome, Vec<Block>, Value) {
        let (server, outcome) = serve_sse(fixture, make, question(), Some(tools)).await;
        let added = outcome.turn().blocks[2..].to_vec();
        let kinds: Vec<BlockKind> = added.iter().map(|block| block.kind).collect();
        assert_eq!(kinds, added_kinds);
        let calls: Vec<&Block> = added
            .iter()
            .filter(|block| block.kind == BlockKind::ToolCall)
            .collect();
        assert_eq!(calls.len(), 2);
        assert_eq!(calls[0].payload["name"], "get_weather");
        assert_eq!(
            calls[0].payload["args"],
            json!({"location": "Paris", "unit": "c"})
        );
        assert_eq!(calls[1].payload["name"], "go_double");
        assert_eq!(calls[1].payload["args"], json!({"n": 21}));
        assert_eq!(outcome.event_types(), event_types);
        let body = server.requests()[0].body.clone();
        (outcome, added, body)
    }

    /// Request mapping: the body of the request for `turn` with `tools` (answered by `fixture`;
    /// the run must succeed).
    pub async fn request_body(
        fixture: &str,
        make: MakeEngine,
        turn: Turn,
        tools: Option<EngineTools>,
    ) -> Value {
        let (server, outcome) = serve_sse(fixture, make, turn, tools).await;
        outcome.turn();
        server.requests()[0].body.clone()
    }

    /// Failures: the question answered by `replies` fails with `expected`, which is also the last
    /// event; returns the outcome and how many requests the server saw.
    pub async fn failure(
        replies: Vec<Reply>,
        make: MakeEngine,
        expected: &str,
    ) -> (Outcome, usize) {
        let (server, outcome) = serve(replies, make, question(), None).await;
        assert_eq!(outcome.error(), expected);
        assert_eq!(
            outcome.events.last(),
            Some(&EventKind::Error {
                error: expected.into()
            })
        );
        (outcome, server.requests().len())
    }

    /// Stream failures: the question answered by the stream `fixture` fails with an error that
    /// starts with `prefix` and ends with the partial text `partial` (names none when it is empty),
    /// which is also the last event; returns the outcome.
    pub async fn stream_failure(
        fixture: &str,
        make: MakeEngine,
        prefix: &str,
        partial: &str,
    ) -> Outcome {
        let (_, outcome) = serve_sse(fixture, make, question(), None).await;
        let error = outcome.error();
        assert!(error.starts_with(prefix), "{error}");
        if partial.is_empty() {
            assert!(!error.contains("partial text"), "{error}");
        } else {
            assert!(
                error.ends_with(&format!("(partial text: {partial:?})")),
                "{error}"
            );
        }
        assert_eq!(outcome.events.last(), Some(&EventKind::Error { error }));
        outcome
    }

    /// Cancellation: a stream that sends `slow_prefix` and hangs, cancelled at the first partial.
    /// Checks the run was cancelled and the server saw the connection go away; returns the outcome.
    pub async fn cancel_mid_stream(slow_prefix: &str, make: MakeEngine) -> Outcome {
        let (closed_tx, closed_rx) = tokio::sync::oneshot::channel();
        let server = Server::start(vec![Reply::Hang {
            prefix: slow_prefix.into(),
            closed: closed_tx,
        }])
        .await;
        let outcome = run_cancel_on_partial(&make(&server), question()).await;
        assert_eq!(outcome.result, Err(InferenceError::Canceled));
        // The server sees the connection go away (its body stream is dropped). Generous bound:
        // this only fails if the stream is never closed.
        tokio::time::timeout(std::time::Duration::from_secs(30), closed_rx)
            .await
            .expect("server body stream still open after cancel")
            .unwrap();
        outcome
    }

    /// [`cancel_mid_stream`] for a `slow_prefix` whose first partial is "Counting: one": the last
    /// event is the interrupt with that text.
    pub async fn cancel_mid_stream_interrupts(slow_prefix: &str, make: MakeEngine) {
        let outcome = cancel_mid_stream(slow_prefix, make).await;
        assert_eq!(
            outcome.events.last(),
            Some(&EventKind::Interrupt {
                text: "Counting: one".into()
            })
        );
    }
}

mod openai {
    use std::time::Duration;

    use geppetto::inference::{BlockKind, EventKind, InferenceError, ToolChoice};
    use geppetto::providers::{ProviderEngine, RetryPolicy};
    use serde_json::json;

    use super::check;
    use super::shared::{question, tool_round, tools};
    use super::support::{LogCapture, Reply, Server, engine, run};

    const KEY: &str = "sk-test-SECRET-0123456789";

    fn openai(server: &Server) -> geppetto::providers::ProviderEngine {
        engine(json!({
            "apiType": "openai",
            "model": "gpt-4o-mini",
            "apiKey": KEY,
            "baseURL": format!("{}/v1/", server.url),
            "temperature": 0.2,
            "topP": 0.9,
            "maxTokens": 256,
        }))
    }

    #[tokio::test]
    async fn streams_text_with_usage() {
        let (outcome, request) = check::text(
            include_str!("fixtures/openai/text.sse"),
            openai,
            "openai",
            "gpt-4o-mini-2024-07-18",
            "stop",
        )
        .await;
        let turn = outcome.turn();
        assert_eq!(turn.metadata["usage"]["input_tokens"], 12);
        assert_eq!(turn.metadata["usage"]["output_tokens"], 4);
        assert_eq!(outcome.partial_text(), "Hello, world!");
        let completions: Vec<String> = outcome
            .events
            .iter()
            .filter_map(|event| match event {
                EventKind::Partial { completion, .. } => Some(completion.to_string()),
                _ => None,
            })
            .collect();
        assert_eq!(completions, ["Hello", "Hello, wor", "Hello, world!"]);
        assert_eq!(
            outcome.events.last(),
            Some(&EventKind::Final {
                text: "Hello, world!".into()
            })
        );

        assert_eq!(request.uri, "/v1/chat/completions");
        assert_eq!(request.headers["authorization"], format!("Bearer {KEY}"));
        assert_eq!(
            request.body,
            json!({
                "model": "gpt-4o-mini",
                "messages": [
                    {"role": "system", "content": "You are terse."},
                    {"role": "user", "content": "Say hello"},
                ],
                "stream": true,
                "stream_options": {"include_usage": true},
                "temperature": 0.2,
                "top_p": 0.9,
                "max_tokens": 256,
            })
        );
    }

    #[tokio::test]
    async fn merges_streamed_tool_calls() {
        let (outcome, calls, body) = check::tool_calls(
            include_str!("fixtures/openai/tool_calls.sse"),
            openai,
            tools(ToolChoice::Auto),
            &[BlockKind::ToolCall, BlockKind::ToolCall],
            &["start", "tool-call", "tool-call", "final"],
        )
        .await;
        let turn = outcome.turn();
        assert_eq!(calls[0].id, "call_weather");
        assert_eq!(calls[1].payload["id"], "call_double");
        assert_eq!(turn.metadata["stop_reason"], "tool_calls");
        assert_eq!(turn.metadata["usage"]["output_tokens"], 40);
        assert_eq!(
            outcome.events[1],
            EventKind::ToolCall {
                id: "call_weather".into(),
                name: "get_weather".into(),
                input: r#"{"location":"Paris","unit":"c"}"#.into(),
            }
        );
        assert_eq!(body["tool_choice"], "auto");
        assert_eq!(
            body["tools"][0],
            json!({"type": "function", "function": {
                "name": "get_weather",
                "description": "Weather for a city",
                "parameters": {"type":"object","properties":{"location":{"type":"string"}},"required":["location"]},
            }})
        );
        assert_eq!(
            body["tools"][1]["function"]["parameters"],
            json!({"type": "object", "properties": {}})
        );
    }

    #[tokio::test]
    async fn maps_tool_round_to_messages() {
        let body = check::request_body(
            include_str!("fixtures/openai/text.sse"),
            openai,
            tool_round(),
            Some(tools(ToolChoice::Required)),
        )
        .await;
        assert_eq!(body["tool_choice"], "required");
        assert_eq!(
            body["messages"],
            json!([
                {"role": "system", "content": "Use tools."},
                {"role": "user", "content": "Weather in Paris and double 21?"},
                {"role": "assistant", "content": "Let me check.", "tool_calls": [
                    {"id": "call_weather", "type": "function",
                     "function": {"name": "get_weather", "arguments": "{\"location\":\"Paris\"}"}},
                    {"id": "call_double", "type": "function",
                     "function": {"name": "go_double", "arguments": "{\"n\":21}"}},
                ]},
                {"role": "tool", "tool_call_id": "call_weather", "content": "Error: service down"},
                {"role": "tool", "tool_call_id": "call_double", "content": "{\"value\":42}"},
            ])
        );
    }

    #[tokio::test]
    async fn unauthorized_names_provider_status_and_message_without_the_key() {
        let logs = LogCapture::default();
        let _guard = logs.install();
        let server = Server::start(vec![Reply::error(
            401,
            include_str!("fixtures/openai/error_401.json"),
        )])
        .await;
        let engine = openai(&server);
        let outcome = run(&engine, question(), None).await;
        let error = outcome.error();
        assert!(error.starts_with("openai: HTTP 401 Unauthorized: invalid_request_error: Incorrect API key provided: [redacted]"), "{error}");
        assert_eq!(outcome.event_types(), ["start", "error"]);
        assert_eq!(
            outcome.events[1],
            EventKind::Error {
                error: error.clone()
            }
        );
        assert_eq!(server.requests().len(), 1, "401 is not retried");
        let everything = format!(
            "{error}\n{:?}\n{:?}\n{:?}\n{}",
            outcome.events,
            engine,
            engine.config(),
            logs.text()
        );
        assert!(
            everything.contains("provider inference failed"),
            "logs captured: {everything}"
        );
        assert!(!everything.contains(KEY), "API key leaked: {everything}");
        assert!(
            !everything.contains("SECRET"),
            "API key leaked: {everything}"
        );
    }

    #[tokio::test]
    async fn retries_429_and_5xx_honouring_retry_after() {
        let (server, outcome) = check::serve(
            vec![
                Reply::error_retry_after(429, include_str!("fixtures/openai/error_429.json"), "0"),
                Reply::error(500, include_str!("fixtures/openai/error_500.json")),
                Reply::sse(include_str!("fixtures/openai/text.sse")),
            ],
            openai,
            question(),
            None,
        )
        .await;
        assert_eq!(outcome.turn().last_assistant_text(), Some("Hello, world!"));
        assert_eq!(server.requests().len(), 3);
        assert_eq!(outcome.event_types(), ["start", "partial", "final"]);
    }

    /// An engine for `server` allowed one retry, waiting `backoff` (also the cap) before it.
    fn one_retry(server: &Server, backoff: Duration) -> ProviderEngine {
        super::support::engine_with_retry(
            json!({"apiType": "openai", "model": "m", "baseURL": server.url}),
            RetryPolicy {
                max_retries: 1,
                initial_backoff: backoff,
                max_backoff: backoff,
            },
        )
    }

    /// The retry check: `first` fails, the retry (after `backoff`) answers with text, and the run
    /// finishes within a minute (else panics with `why`). Returns the server.
    async fn check_retry_once(first: Reply, backoff: Duration, why: &str) -> Server {
        let server = Server::start(vec![
            first,
            Reply::sse(include_str!("fixtures/openai/text.sse")),
        ])
        .await;
        let engine = one_retry(&server, backoff);
        let outcome = tokio::time::timeout(Duration::from_secs(60), run(&engine, question(), None))
            .await
            .expect(why);
        assert_eq!(outcome.turn().last_assistant_text(), Some("Hello, world!"));
        server
    }

    #[tokio::test]
    async fn retry_after_replaces_backoff_and_is_capped() {
        // Backoff of an hour: the run only finishes in time because `Retry-After: 0` replaces it.
        check_retry_once(
            Reply::error_retry_after(429, include_str!("fixtures/openai/error_429.json"), "0"),
            Duration::from_secs(3600),
            "Retry-After: 0 was not honoured",
        )
        .await;
        // `Retry-After: 3600` is capped by `max_backoff`.
        let server = check_retry_once(
            Reply::error_retry_after(503, include_str!("fixtures/openai/error_500.json"), "3600"),
            Duration::from_millis(1),
            "Retry-After was not capped by max_backoff",
        )
        .await;
        assert_eq!(server.requests().len(), 2);
    }

    #[tokio::test]
    async fn cancel_interrupts_a_retry_wait() {
        use geppetto::inference::{Engine, RunContext, event::CollectingSink};
        use std::sync::Arc;
        let server = Server::start(vec![Reply::error_retry_after(
            429,
            include_str!("fixtures/openai/error_429.json"),
            "3600",
        )])
        .await;
        let engine = one_retry(&server, Duration::from_secs(3600));
        let sink = CollectingSink::new();
        let mut ctx = RunContext::detached();
        ctx.sink = Arc::new(sink.clone());
        let token = ctx.cancel.clone();
        let requests = server.requests_handle();
        tokio::spawn(async move {
            // Cancel once the first attempt was answered (the engine is then waiting).
            while requests.lock().is_empty() {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
            token.cancel();
        });
        let result = tokio::time::timeout(
            Duration::from_secs(60),
            engine.run_inference(&ctx, question()),
        )
        .await
        .expect("cancel did not interrupt the retry wait");
        assert_eq!(result, Err(InferenceError::Canceled));
        let kinds: Vec<EventKind> = sink.events().into_iter().map(|event| event.kind).collect();
        assert_eq!(
            kinds,
            [
                EventKind::Start,
                EventKind::Interrupt {
                    text: String::new()
                }
            ]
        );
        assert_eq!(server.requests().len(), 1);
    }

    #[tokio::test]
    async fn gives_up_after_bounded_retries() {
        let (_, requests) = check::failure(
            vec![
                Reply::error(503, include_str!("fixtures/openai/error_500.json")),
                Reply::error(503, include_str!("fixtures/openai/error_500.json")),
                Reply::error_retry_after(
                    429,
                    include_str!("fixtures/openai/error_429.json"),
                    "0.001",
                ),
                Reply::sse(include_str!("fixtures/openai/text.sse")),
            ],
            openai,
            "openai: HTTP 429 Too Many Requests (after 3 attempts): requests: Rate limit reached for gpt-4o-mini in organization org-test on requests per min (RPM): Limit 3, Used 3, Requested 1.",
        )
        .await;
        assert_eq!(requests, 3);
    }

    #[tokio::test]
    async fn connection_refused_names_the_base_url() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        let engine = engine(json!({
            "apiType": "openai",
            "model": "gpt-4o-mini",
            "baseURL": format!("http://127.0.0.1:{port}/v1"),
        }));
        let outcome = run(&engine, question(), None).await;
        let error = outcome.error();
        assert!(
            error.starts_with(&format!(
                "openai: cannot connect to http://127.0.0.1:{port}/v1: "
            )),
            "{error}"
        );
        assert_eq!(outcome.event_types(), ["start", "error"]);
    }

    #[tokio::test]
    async fn timeout_names_the_base_url() {
        let server = Server::start(vec![Reply::Silent]).await;
        let engine = engine(json!({
            "apiType": "openai",
            "model": "gpt-4o-mini",
            "baseURL": server.url,
            "timeoutMs": 300,
        }));
        let error = run(&engine, question(), None).await.error();
        assert!(
            error.starts_with(&format!(
                "openai: request to {} timed out after 300ms",
                server.url
            )),
            "{error}"
        );
    }

    #[tokio::test]
    async fn whole_request_timeout_while_streaming_keeps_partial_text() {
        let (closed_tx, _closed_rx) = tokio::sync::oneshot::channel();
        let server = Server::start(vec![Reply::Hang {
            prefix: include_str!("fixtures/openai/slow_prefix.sse").into(),
            closed: closed_tx,
        }])
        .await;
        let engine = engine(json!({
            "apiType": "openai",
            "model": "gpt-4o-mini",
            "baseURL": server.url,
            // Long enough for the first chunks to arrive on a loaded machine; the stream then
            // stays silent, so the timeout fires mid-stream.
            "timeoutMs": 3000,
        }));
        let outcome = run(&engine, question(), None).await;
        let error = outcome.error();
        assert!(
            error.starts_with(&format!(
                "openai: stream from {} timed out after event \"message\"",
                server.url
            )),
            "{error}"
        );
        assert!(
            error.ends_with("(partial text: \"Counting: one, two\")"),
            "{error}"
        );
    }

    #[tokio::test]
    async fn truncated_stream_keeps_partial_text() {
        let outcome = check::stream_failure(
            include_str!("fixtures/openai/truncated.sse"),
            openai,
            "openai: stream ended before the answer was complete (truncated after event \"message\" (data: {\"id\":\"chatcmpl-4\"",
            "Once upon a time",
        )
        .await;
        assert_eq!(outcome.event_types(), ["start", "partial", "error"]);
    }

    #[tokio::test]
    async fn malformed_event_is_named() {
        check::stream_failure(
            include_str!("fixtures/openai/malformed.sse"),
            openai,
            "openai: malformed stream event \"message\" (data: {\"id\":\"chatcmpl-5\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":): EOF while parsing",
            "Partial",
        )
        .await;
    }

    #[tokio::test]
    async fn error_event_in_stream_fails() {
        check::failure(
            vec![Reply::sse(include_str!("fixtures/openai/stream_error.sse"))],
            openai,
            "openai: stream error: server_error: The server had an error while processing your request. Sorry about that! (partial text: \"Thinking about\")",
        )
        .await;
    }

    #[tokio::test]
    async fn cancel_mid_stream_closes_the_connection() {
        let outcome =
            check::cancel_mid_stream(include_str!("fixtures/openai/slow_prefix.sse"), openai).await;
        let types = outcome.event_types();
        assert_eq!(types.first(), Some(&"start"));
        assert_eq!(types.last(), Some(&"interrupt"));
        let EventKind::Interrupt { text } = outcome.events.last().unwrap() else {
            unreachable!()
        };
        assert!(text.starts_with("Counting: one"), "{text}");
    }

    #[tokio::test]
    async fn missing_key_for_public_endpoint_fails_without_request() {
        let engine = engine(json!({"apiType": "openai", "model": "gpt-4o-mini"}));
        let error = run(&engine, question(), None).await.error();
        assert_eq!(error, "openai: no API key: set apiKey or OPENAI_API_KEY");
    }

    #[tokio::test]
    async fn pairs_tool_calls_and_results_by_id() {
        use geppetto::inference::{Block, Turn};
        // A result before its call, an orphan result, and a call nobody answered.
        let turn = Turn::new()
            .with_block(Block::user("go"))
            .with_block(Block::tool_use("call_b", json!("\"b-result\""), ""))
            .with_block(Block::tool_use("call_orphan", json!("1"), ""))
            .with_block(Block::tool_call("call_a", "tool_a", json!({})))
            .with_block(Block::tool_call("call_pending", "tool_p", json!({})))
            .with_block(Block::tool_call("call_b", "tool_b", json!({"x": 1})))
            .with_block(Block::tool_use("call_a", json!({"ok": true}), ""));
        let body =
            check::request_body(include_str!("fixtures/openai/text.sse"), openai, turn, None).await;
        assert!(body.get("tools").is_none() && body.get("tool_choice").is_none());
        assert_eq!(
            body["messages"],
            json!([
                {"role": "user", "content": "go"},
                {"role": "assistant", "content": null, "tool_calls": [
                    {"id": "call_a", "type": "function", "function": {"name": "tool_a", "arguments": "{}"}},
                    {"id": "call_b", "type": "function", "function": {"name": "tool_b", "arguments": "{\"x\":1}"}},
                ]},
                {"role": "tool", "tool_call_id": "call_a", "content": "{\"ok\":true}"},
                {"role": "tool", "tool_call_id": "call_b", "content": "\"b-result\""},
            ])
        );
    }

    #[test]
    fn public_endpoint_uses_max_completion_tokens() {
        let engine =
            engine(json!({"apiType": "openai", "model": "gpt-4o", "apiKey": KEY, "maxTokens": 10}));
        let body = engine.request_body(&question(), None).unwrap();
        assert_eq!(body["max_completion_tokens"], 10);
        assert!(body.get("max_tokens").is_none());
    }

    #[tokio::test]
    async fn keeps_reasoning_of_compatible_servers() {
        let (_, outcome) = check::serve_sse(
            include_str!("fixtures/openai/reasoning.sse"),
            openai,
            question(),
            None,
        )
        .await;
        let turn = outcome.turn();
        assert_eq!(turn.blocks[2].kind, BlockKind::Reasoning);
        assert_eq!(turn.blocks[2].payload["text"], "The user greets me.");
        assert_eq!(turn.last_assistant_text(), Some("Hi there"));
        assert_eq!(turn.metadata["usage"]["reasoning_tokens"], 4);
    }
}

mod claude {
    use geppetto::inference::{BlockKind, EventKind, ToolChoice};
    use serde_json::json;

    use super::check;
    use super::shared::{question, tool_round, tools};
    use super::support::{Reply, Server, engine};

    const KEY: &str = "sk-ant-test-SECRET-42";

    fn claude(server: &Server) -> geppetto::providers::ProviderEngine {
        engine(json!({
            "provider": "anthropic",
            "model": "claude-sonnet-4-5",
            "apiKey": KEY,
            "baseURL": format!("{}/v1", server.url),
            "temperature": 0.5,
        }))
    }

    #[tokio::test]
    async fn streams_text_with_usage() {
        let (outcome, request) = check::text(
            include_str!("fixtures/claude/text.sse"),
            claude,
            "claude",
            "claude-sonnet-4-5-20250929",
            "end_turn",
        )
        .await;
        let turn = outcome.turn();
        assert_eq!(turn.metadata["usage"]["input_tokens"], 25);
        assert_eq!(turn.metadata["usage"]["output_tokens"], 15);
        assert_eq!(request.uri, "/v1/messages");
        assert_eq!(request.headers["x-api-key"], KEY);
        assert_eq!(request.headers["anthropic-version"], "2023-06-01");
        assert!(request.headers.get("authorization").is_none());
        assert_eq!(
            request.body,
            json!({
                "model": "claude-sonnet-4-5",
                "max_tokens": 4096,
                "system": "You are terse.",
                "messages": [{"role": "user", "content": [{"type": "text", "text": "Say hello"}]}],
                "stream": true,
                "temperature": 0.5,
            })
        );
    }

    #[tokio::test]
    async fn thinking_text_and_two_tool_uses() {
        let (outcome, added, body) = check::tool_calls(
            include_str!("fixtures/claude/thinking_tool_use.sse"),
            claude,
            tools(ToolChoice::Required),
            &[
                BlockKind::Reasoning,
                BlockKind::LlmText,
                BlockKind::ToolCall,
                BlockKind::ToolCall,
            ],
            &["start", "partial", "tool-call", "tool-call", "final"],
        )
        .await;
        let turn = outcome.turn();
        assert_eq!(
            added[0].payload["text"],
            "I need the weather and a doubling."
        );
        assert_eq!(
            added[0].payload["signature"],
            "EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds"
        );
        assert_eq!(added[1].payload["text"], "Checking both.");
        assert_eq!(added[2].payload["id"], "toolu_weather");
        assert_eq!(turn.metadata["stop_reason"], "tool_use");
        assert_eq!(turn.metadata["usage"]["output_tokens"], 89);
        assert_eq!(
            outcome.events.last(),
            Some(&EventKind::Final {
                text: "Checking both.".into()
            })
        );
        assert_eq!(body["tool_choice"], json!({"type": "any"}));
        assert_eq!(
            body["tools"],
            json!([
                {"name": "get_weather", "description": "Weather for a city",
                 "input_schema": {"type":"object","properties":{"location":{"type":"string"}},"required":["location"]}},
                {"name": "go_double", "description": "Double a number and return {value}",
                 "input_schema": {"type": "object", "properties": {}}},
            ])
        );
    }

    #[tokio::test]
    async fn maps_tool_round_and_thinking_to_messages() {
        let mut turn = tool_round();
        let mut thinking =
            geppetto::inference::Block::text(BlockKind::Reasoning, "assistant", "Hmm.");
        thinking.payload.insert("signature".into(), json!("sig-1"));
        turn.blocks.insert(2, thinking);
        let body = check::request_body(
            include_str!("fixtures/claude/text.sse"),
            claude,
            turn,
            Some(tools(ToolChoice::None)),
        )
        .await;
        assert_eq!(body["system"], "Use tools.");
        assert_eq!(body["tool_choice"], json!({"type": "none"}));
        assert_eq!(
            body["messages"],
            json!([
                {"role": "user", "content": [{"type": "text", "text": "Weather in Paris and double 21?"}]},
                {"role": "assistant", "content": [
                    {"type": "thinking", "thinking": "Hmm.", "signature": "sig-1"},
                    {"type": "text", "text": "Let me check."},
                    {"type": "tool_use", "id": "call_weather", "name": "get_weather", "input": {"location": "Paris"}},
                    {"type": "tool_use", "id": "call_double", "name": "go_double", "input": {"n": 21}},
                ]},
                {"role": "user", "content": [
                    {"type": "tool_result", "tool_use_id": "call_weather", "content": "Error: service down", "is_error": true},
                    {"type": "tool_result", "tool_use_id": "call_double", "content": "{\"value\":42}"},
                ]},
            ])
        );
    }

    #[tokio::test]
    async fn http_errors() {
        for (status, fixture, expected) in [
            (
                401,
                include_str!("fixtures/claude/error_401.json"),
                "claude: HTTP 401 Unauthorized: authentication_error: invalid x-api-key",
            ),
            (
                403,
                include_str!("fixtures/claude/error_403.json"),
                "claude: HTTP 403 Forbidden: permission_error: Your API key does not have permission to use the specified resource.",
            ),
        ] {
            let (outcome, _) =
                check::failure(vec![Reply::error(status, fixture)], claude, expected).await;
            assert_eq!(outcome.event_types(), ["start", "error"]);
        }
    }

    #[tokio::test]
    async fn retries_overloaded() {
        let (server, outcome) = check::serve(
            vec![
                Reply::error_retry_after(529, include_str!("fixtures/claude/error_529.json"), "0"),
                Reply::sse(include_str!("fixtures/claude/text.sse")),
            ],
            claude,
            question(),
            None,
        )
        .await;
        assert_eq!(outcome.turn().last_assistant_text(), Some("Hello, world!"));
        assert_eq!(server.requests().len(), 2);
    }

    #[tokio::test]
    async fn stream_failures() {
        for (fixture, prefix, partial) in [
            (
                include_str!("fixtures/claude/stream_error.sse"),
                "claude: stream error: overloaded_error: Overloaded",
                "Partial answ",
            ),
            (
                include_str!("fixtures/claude/truncated.sse"),
                "claude: stream ended before the answer was complete (truncated after event \"message_delta\"",
                "Once upon a time",
            ),
            (
                include_str!("fixtures/claude/malformed.sse"),
                "claude: malformed stream event \"content_block_delta\" (data: {\"type\":\"content_block_delta\"",
                "",
            ),
        ] {
            check::stream_failure(fixture, claude, prefix, partial).await;
        }
    }

    #[tokio::test]
    async fn cancel_mid_stream() {
        check::cancel_mid_stream_interrupts(
            include_str!("fixtures/claude/slow_prefix.sse"),
            claude,
        )
        .await;
    }
}

mod openai_responses {
    use geppetto::inference::{BlockKind, ToolChoice};
    use serde_json::json;

    use super::check;
    use super::shared::{tool_round, tools};
    use super::support::{Reply, Server, engine};

    fn responses(server: &Server) -> geppetto::providers::ProviderEngine {
        engine(json!({
            "apiType": "openai-responses",
            "model": "o4-mini",
            "apiKey": "sk-test-SECRET-0123456789",
            "baseURL": format!("{}/v1", server.url),
            "maxTokens": 1000,
        }))
    }

    #[tokio::test]
    async fn streams_reasoning_text_and_usage() {
        let (outcome, request) = check::text(
            include_str!("fixtures/openai-responses/reasoning_text.sse"),
            responses,
            "openai-responses",
            "o4-mini-2025-04-16",
            "completed",
        )
        .await;
        let turn = outcome.turn();
        assert_eq!(turn.blocks[2].kind, BlockKind::Reasoning);
        assert_eq!(
            turn.blocks[2].payload["text"],
            "**Greeting** The user says hello."
        );
        assert_eq!(
            turn.metadata["usage"],
            json!({"input_tokens": 20, "output_tokens": 50, "total_tokens": 70, "cached_tokens": 0, "reasoning_tokens": 38})
        );
        assert_eq!(request.uri, "/v1/responses");
        assert_eq!(
            request.body,
            json!({
                "model": "o4-mini",
                "instructions": "You are terse.",
                "input": [{"role": "user", "content": "Say hello"}],
                "stream": true,
                "max_output_tokens": 1000,
            })
        );
    }

    #[tokio::test]
    async fn merges_function_call_argument_deltas() {
        let (_, calls, body) = check::tool_calls(
            include_str!("fixtures/openai-responses/function_calls.sse"),
            responses,
            tools(ToolChoice::Auto),
            &[BlockKind::ToolCall, BlockKind::ToolCall],
            &["start", "tool-call", "tool-call", "final"],
        )
        .await;
        assert_eq!(calls[0].payload["id"], "call_weather");
        assert_eq!(calls[1].payload["id"], "call_double");
        assert_eq!(body["tool_choice"], "auto");
        assert_eq!(
            body["tools"][0],
            json!({"type": "function", "name": "get_weather", "description": "Weather for a city",
                   "parameters": {"type":"object","properties":{"location":{"type":"string"}},"required":["location"]}})
        );
    }

    #[tokio::test]
    async fn maps_tool_round_to_input_items() {
        let body = check::request_body(
            include_str!("fixtures/openai-responses/reasoning_text.sse"),
            responses,
            tool_round(),
            Some(tools(ToolChoice::None)),
        )
        .await;
        assert_eq!(body["tool_choice"], "none");
        assert_eq!(body["instructions"], "Use tools.");
        assert_eq!(
            body["input"],
            json!([
                {"role": "user", "content": "Weather in Paris and double 21?"},
                {"role": "assistant", "content": "Let me check."},
                {"type": "function_call", "call_id": "call_weather", "name": "get_weather", "arguments": "{\"location\":\"Paris\"}"},
                {"type": "function_call", "call_id": "call_double", "name": "go_double", "arguments": "{\"n\":21}"},
                {"type": "function_call_output", "call_id": "call_weather", "output": "Error: service down"},
                {"type": "function_call_output", "call_id": "call_double", "output": "{\"value\":42}"},
            ])
        );
    }

    #[tokio::test]
    async fn failures() {
        for (reply, expected) in [
            (
                Reply::error(
                    401,
                    include_str!("fixtures/openai-responses/error_401.json"),
                ),
                "openai-responses: HTTP 401 Unauthorized: invalid_request_error: Incorrect API key provided: [redacted]. You can find your API key at https://platform.openai.com/account/api-keys.",
            ),
            (
                Reply::sse(include_str!("fixtures/openai-responses/failed.sse")),
                "openai-responses: response failed: server_error: The model failed to generate a response. (partial text: \"Partial\")",
            ),
            (
                Reply::sse(include_str!("fixtures/openai-responses/error_event.sse")),
                "openai-responses: stream error: rate_limit_exceeded: Rate limit reached for o4-mini.",
            ),
            (
                Reply::sse(include_str!("fixtures/openai-responses/truncated.sse")),
                "openai-responses: stream ended before the answer was complete (truncated after event \"response.output_text.done\" (data: {\"type\":\"response.output_text.done\",\"sequence_number\":2,\"item_id\":\"msg_4\",\"output_index\":0,\"content_index\":0,\"text\":\"Once upon a time\"})) (partial text: \"Once upon a time\")",
            ),
        ] {
            check::failure(vec![reply], responses, expected).await;
        }
    }

    #[tokio::test]
    async fn cancel_mid_stream() {
        check::cancel_mid_stream_interrupts(
            include_str!("fixtures/openai-responses/slow_prefix.sse"),
            responses,
        )
        .await;
    }
}

mod gemini {
    use geppetto::inference::{BlockKind, ToolChoice};
    use serde_json::json;

    use super::check;
    use super::shared::{tool_round, tools};
    use super::support::{Reply, Server, engine};

    const KEY: &str = "AIza-test-SECRET-key";

    fn gemini(server: &Server) -> geppetto::providers::ProviderEngine {
        engine(json!({
            "model": "gemini-2.5-flash",
            "apiKey": KEY,
            "baseURL": format!("{}/v1beta", server.url),
            "temperature": 0.1,
            "topP": 0.5,
            "maxTokens": 64,
        }))
    }

    #[tokio::test]
    async fn streams_text_with_usage() {
        let (outcome, request) = check::text(
            include_str!("fixtures/gemini/text.sse"),
            gemini,
            "gemini",
            "gemini-2.5-flash",
            "STOP",
        )
        .await;
        assert_eq!(
            outcome.turn().metadata["usage"],
            json!({"input_tokens": 9, "output_tokens": 4, "total_tokens": 13})
        );
        assert_eq!(
            request.uri,
            "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse"
        );
        assert_eq!(request.headers["x-goog-api-key"], KEY);
        assert_eq!(
            request.body,
            json!({
                "systemInstruction": {"parts": [{"text": "You are terse."}]},
                "contents": [{"role": "user", "parts": [{"text": "Say hello"}]}],
                "generationConfig": {"temperature": 0.1, "topP": 0.5, "maxOutputTokens": 64},
            })
        );
    }

    #[tokio::test]
    async fn thoughts_and_two_function_calls() {
        let (outcome, added, body) = check::tool_calls(
            include_str!("fixtures/gemini/thought_function_calls.sse"),
            gemini,
            tools(ToolChoice::Required),
            &[
                BlockKind::Reasoning,
                BlockKind::ToolCall,
                BlockKind::ToolCall,
            ],
            &["start", "tool-call", "tool-call", "final"],
        )
        .await;
        let turn = outcome.turn();
        assert_eq!(added[0].payload["text"], "Weather first, then doubling.");
        assert_eq!(added[1].payload["thought_signature"], "CiQB0e2Kb0sig");
        let first_id = added[1].payload["id"].as_str().unwrap();
        let second_id = added[2].payload["id"].as_str().unwrap();
        assert!(first_id.starts_with("call_") && first_id != second_id);
        assert_eq!(turn.metadata["usage"]["reasoning_tokens"], 40);
        assert_eq!(
            body["toolConfig"],
            json!({"functionCallingConfig": {"mode": "ANY"}})
        );
        assert_eq!(
            body["tools"][0]["functionDeclarations"][1],
            json!({"name": "go_double", "description": "Double a number and return {value}",
                   "parameters": {"type": "object", "properties": {}}})
        );
    }

    #[tokio::test]
    async fn maps_tool_round_to_function_responses() {
        let mut turn = tool_round();
        turn.blocks[3]
            .payload
            .insert("thought_signature".into(), json!("sig-w"));
        let body = check::request_body(
            include_str!("fixtures/gemini/text.sse"),
            gemini,
            turn,
            Some(tools(ToolChoice::Auto)),
        )
        .await;
        assert_eq!(
            body["toolConfig"],
            json!({"functionCallingConfig": {"mode": "AUTO"}})
        );
        assert_eq!(
            body["systemInstruction"],
            json!({"parts": [{"text": "Use tools."}]})
        );
        assert_eq!(
            body["contents"],
            json!([
                {"role": "user", "parts": [{"text": "Weather in Paris and double 21?"}]},
                {"role": "model", "parts": [
                    {"text": "Let me check."},
                    {"functionCall": {"name": "get_weather", "args": {"location": "Paris"}}, "thoughtSignature": "sig-w"},
                    {"functionCall": {"name": "go_double", "args": {"n": 21}}},
                ]},
                {"role": "user", "parts": [
                    {"functionResponse": {"name": "get_weather", "response": {"error": "service down"}}},
                    {"functionResponse": {"name": "go_double", "response": {"value": 42}}},
                ]},
            ])
        );
    }

    #[tokio::test]
    async fn failures() {
        for (replies, expected, requests) in [
            (
                vec![Reply::error(
                    403,
                    include_str!("fixtures/gemini/error_403.json"),
                )],
                "gemini: HTTP 403 Forbidden: PERMISSION_DENIED: Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.",
                1,
            ),
            (
                vec![
                    Reply::error(503, include_str!("fixtures/gemini/error_503.json")),
                    Reply::error(503, include_str!("fixtures/gemini/error_503.json")),
                    Reply::error(503, include_str!("fixtures/gemini/error_503.json")),
                ],
                "gemini: HTTP 503 Service Unavailable (after 3 attempts): UNAVAILABLE: The model is overloaded. Please try again later.",
                3,
            ),
            (
                vec![Reply::sse(include_str!("fixtures/gemini/stream_error.sse"))],
                "gemini: stream error: INTERNAL: An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting (partial text: \"Partial\")",
                1,
            ),
            (
                vec![Reply::sse(include_str!("fixtures/gemini/truncated.sse"))],
                "gemini: stream ended before the answer was complete (truncated after event \"message\" (data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \" a time\"}],\"role\": \"model\"},\"index\": 0}],\"modelVersion\": \"gemini-2.5-flash\"})) (partial text: \"Once upon a time\")",
                1,
            ),
        ] {
            let (_, seen) = check::failure(replies, gemini, expected).await;
            assert_eq!(seen, requests);
        }
    }

    #[tokio::test]
    async fn cancel_mid_stream() {
        check::cancel_mid_stream_interrupts(
            include_str!("fixtures/gemini/slow_prefix.sse"),
            gemini,
        )
        .await;
    }
}
