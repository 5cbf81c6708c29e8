//! End to end: an ES module script (`tests/providers_js/<provider>.mjs`, which runs the scenario
//! shared in `tests/providers_js/common.mjs`) runs a two-step tool loop through `geppetto run`
//! against a fake provider, an axum server on 127.0.0.1 in this test process.
//!
//! The server answers the first request with a streamed tool call round (the fixture of
//! `tests/fixtures/<provider>/`, sent in 7-byte chunks so frames and argument pieces straddle
//! chunks) and the second with streamed text. The script registers JS tools, runs the session with
//! `start()`, collects events, and asserts the tool arguments, the final text, the turn metadata
//! and the events; it prints `<provider>.mjs: ok` last. This file asserts the exit status, that
//! line, and the two requests the server saw: endpoint, headers, stream flags, tools, tool choice,
//! and in the second request the tool results paired with their calls in the provider's format.
//!
//! No network; no timing assumptions beyond a generous guard against a hung child process.

#[path = "support/child.rs"]
mod child;

use std::collections::VecDeque;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::Response;
use parking_lot::Mutex;
use serde_json::{Value, json};

/// How long a script may run before it is killed and the test fails (a hang, not slowness: the
/// scripts finish in well under a second).
const CHILD_GUARD: Duration = Duration::from_secs(120);

/// A request as the fake provider saw it.
#[derive(Debug, Clone)]
struct Captured {
    method: Method,
    /// Path and query.
    uri: String,
    headers: HeaderMap,
    /// JSON body (`null` if it was not JSON).
    body: Value,
}

impl Captured {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }
}

#[derive(Default)]
struct Shared {
    replies: Mutex<VecDeque<String>>,
    requests: Mutex<Vec<Captured>>,
}

/// The fake provider: answers requests with scripted event streams, in order, and 599 once they
/// run out (so an unexpected third request fails the script and shows in the request count).
struct FakeProvider {
    /// `http://127.0.0.1:<port>`.
    url: String,
    shared: Arc<Shared>,
    _runtime: tokio::runtime::Runtime,
}

/// Splits `text` into chunks of `size` bytes.
fn chunks(text: &str, size: usize) -> Vec<Result<Bytes, std::io::Error>> {
    text.as_bytes()
        .chunks(size)
        .map(|chunk| Ok(Bytes::copy_from_slice(chunk)))
        .collect()
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    shared.requests.lock().push(Captured {
        method,
        uri: uri.to_string(),
        headers,
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
    });
    let reply = shared.replies.lock().pop_front();
    match reply {
        Some(sse) => Response::builder()
            .status(200)
            .header("content-type", "text/event-stream")
            .body(Body::from_stream(futures_util::stream::iter(chunks(
                &sse, 7,
            ))))
            .unwrap(),
        None => Response::builder()
            .status(StatusCode::from_u16(599).unwrap())
            .body(Body::from("no scripted reply"))
            .unwrap(),
    }
}

impl FakeProvider {
    /// Starts a server on its own runtime (the test thread blocks on the child process).
    fn start(replies: Vec<String>) -> FakeProvider {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let shared = Arc::new(Shared::default());
        shared.replies.lock().extend(replies);
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let app = axum::Router::new()
            .fallback(handle)
            .with_state(shared.clone());
        runtime.spawn(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            axum::serve(listener, app).await.unwrap();
        });
        FakeProvider {
            url,
            shared,
            _runtime: runtime,
        }
    }

    fn requests(&self) -> Vec<Captured> {
        self.shared.requests.lock().clone()
    }
}

fn fixture(path: &str) -> String {
    let full = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(path);
    std::fs::read_to_string(&full)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", full.display()))
}

/// What `geppetto run` did.
struct Run {
    status: std::process::ExitStatus,
    stdout: String,
    stderr: String,
}

impl Run {
    fn describe(&self) -> String {
        format!(
            "exit {:?}\nstdout:\n{}\nstderr:\n{}",
            self.status.code(),
            self.stdout,
            self.stderr
        )
    }
}

/// Runs `tests/providers_js/<script>` with `FAKE_PROVIDER_URL=<url>` and the provider key variables
/// removed (plus `extra_env`), killing it if it outlives [`CHILD_GUARD`].
fn run_script(script: &str, url: &str, extra_env: &[(&str, &str)]) -> Run {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/providers_js")
        .join(script);
    let mut command = Command::new(env!("CARGO_BIN_EXE_geppetto"));
    // The scripts import `./common.mjs`, resolved against the script's own directory.
    command.arg("run").arg(&path);
    for name in [
        "OPENAI_API_KEY",
        "ANTHROPIC_API_KEY",
        "GEMINI_API_KEY",
        "GOOGLE_API_KEY",
        "PINOCCHIO_PROFILE",
        "GEPPETTO_PROFILES",
        "XDG_CONFIG_HOME",
        // The HTTP client honours proxy variables; the fake provider must be reached directly.
        "HTTP_PROXY",
        "http_proxy",
        "HTTPS_PROXY",
        "https_proxy",
        "ALL_PROXY",
        "all_proxy",
    ] {
        command.env_remove(name);
    }
    command
        .env("NO_PROXY", "*")
        .env(
            "HOME",
            std::env::temp_dir().join("geppetto-providers-e2e-home"),
        )
        .env("RUST_LOG", "error")
        .env("FAKE_PROVIDER_URL", url);
    for (name, value) in extra_env {
        command.env(name, value);
    }
    let output = child::run_guarded(command, script, CHILD_GUARD);
    Run {
        status: output.status,
        stdout: output.stdout,
        stderr: output.stderr,
    }
}

/// Runs the script and checks it passed: exit 0 and its last line `<script>: ok`.
fn run_passing(script: &str, url: &str, extra_env: &[(&str, &str)]) -> Run {
    let run = run_script(script, url, extra_env);
    assert!(run.status.success(), "{script} failed: {}", run.describe());
    assert_eq!(
        run.stdout.lines().last(),
        Some(format!("{script}: ok").as_str()),
        "{script} did not reach its end: {}",
        run.describe()
    );
    run
}

/// Both requests the server must have seen, with what every request shares checked: method, path
/// and the stream flag.
fn two_requests(server: &FakeProvider, path: &str, run: &Run) -> (Captured, Captured) {
    let requests = server.requests();
    assert_eq!(
        requests.len(),
        2,
        "expected exactly 2 requests, got {}: {:#?}\n{}",
        requests.len(),
        requests.iter().map(|r| &r.uri).collect::<Vec<_>>(),
        run.describe()
    );
    for request in &requests {
        assert_eq!(request.method, Method::POST);
        assert_eq!(request.uri, path);
        assert_eq!(request.header("content-type"), Some("application/json"));
        assert_eq!(request.header("accept"), Some("text/event-stream"));
        assert!(request.body.is_object(), "body not JSON: {request:?}");
    }
    (requests[0].clone(), requests[1].clone())
}

/// Starts a fake provider answering with the `fixtures` (two step replies), runs `script` against it
/// (see [`run_passing`]) and returns the two requests it saw on `path` (see [`two_requests`]).
fn tool_loop(
    script: &str,
    fixtures: [&str; 2],
    path: &str,
    extra_env: &[(&str, &str)],
) -> (Captured, Captured) {
    let server = FakeProvider::start(fixtures.into_iter().map(fixture).collect());
    let run = run_passing(script, &server.url, extra_env);
    two_requests(&server, path, &run)
}

/// The tool calls the fixtures stream, `ids` being the provider's call ids: (id, name, arguments).
fn expected_calls(ids: [&str; 2]) -> [(&str, &str, Value); 2] {
    [
        (
            ids[0],
            "get_weather",
            json!({"location": "Paris", "unit": "c"}),
        ),
        (ids[1], "go_double", json!({"n": 21})),
    ]
}

/// The results of [`expected_calls`], paired with their call ids.
fn expected_results(ids: [&str; 2]) -> [(&str, Value); 2] {
    [(ids[0], weather_result()), (ids[1], double_result())]
}

/// The JSON schema the scripts register `get_weather` with.
fn weather_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "location": {"type": "string", "description": "City name"},
            "unit": {"type": "string", "enum": ["c", "f"]}
        },
        "required": ["location"]
    })
}

/// The JSON schema the scripts register `go_double` with.
fn double_schema() -> Value {
    json!({
        "type": "object",
        "properties": {"n": {"type": "number"}},
        "required": ["n"]
    })
}

/// What the scripts' `get_weather` returns for Paris.
fn weather_result() -> Value {
    json!({"location": "Paris", "temperature": 18, "unit": "c"})
}

/// What the scripts' `go_double` returns for 21.
fn double_result() -> Value {
    json!({"value": 42})
}

/// Parses JSON text found in a request (tool arguments, tool result content).
fn parsed(value: &Value) -> Value {
    let text = value
        .as_str()
        .unwrap_or_else(|| panic!("expected JSON text, got {value}"));
    serde_json::from_str(text).unwrap_or_else(|error| panic!("not JSON ({error}): {text}"))
}

// ---- OpenAI Chat Completions -------------------------------------------------------------------

/// The call ids of the OpenAI fixtures (Chat Completions and Responses).
const OPENAI_CALL_IDS: [&str; 2] = ["call_weather", "call_double"];

/// The fixtures of the OpenAI Chat Completions tool loop.
const OPENAI_FIXTURES: [&str; 2] = ["openai/tool_calls.sse", "openai/text.sse"];

fn check_openai_requests(first: &Captured, second: &Captured, key: Option<&str>) {
    for request in [first, second] {
        let body = &request.body;
        let bearer = key.map(|key| format!("Bearer {key}"));
        assert_eq!(request.header("authorization"), bearer.as_deref());
        assert_eq!(body["model"], "gpt-4o-mini");
        assert_eq!(body["stream"], true);
        assert_eq!(body["stream_options"], json!({"include_usage": true}));
        assert_eq!(body["tool_choice"], "auto");
        assert_eq!(
            body["tools"],
            json!([
                {"type": "function", "function": {
                    "name": "get_weather", "description": "Current weather for a city",
                    "parameters": weather_schema()}},
                {"type": "function", "function": {
                    "name": "go_double", "description": "Double a number",
                    "parameters": double_schema()}},
            ])
        );
    }
    let question = json!([
        {"role": "system", "content": "You are a weather bot."},
        {"role": "user", "content": "Weather in Paris, and double 21?"},
    ]);
    assert_eq!(first.body["messages"], question);

    let messages = second.body["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 5, "{messages:#?}");
    assert_eq!(messages[..2], question.as_array().unwrap()[..]);
    let assistant = &messages[2];
    assert_eq!(assistant["role"], "assistant");
    assert_eq!(assistant["content"], Value::Null);
    let calls = assistant["tool_calls"].as_array().unwrap();
    assert_eq!(calls.len(), 2);
    for (call, (id, name, args)) in calls.iter().zip(expected_calls(OPENAI_CALL_IDS)) {
        assert_eq!(call["id"], id);
        assert_eq!(call["type"], "function");
        assert_eq!(call["function"]["name"], name);
        assert_eq!(parsed(&call["function"]["arguments"]), args);
    }
    for (message, (id, result)) in messages[3..].iter().zip(expected_results(OPENAI_CALL_IDS)) {
        assert_eq!(message["role"], "tool");
        assert_eq!(message["tool_call_id"], id);
        assert_eq!(parsed(&message["content"]), result);
    }
}

#[test]
fn openai_chat_tool_loop() {
    let (first, second) = tool_loop("openai.mjs", OPENAI_FIXTURES, "/v1/chat/completions", &[]);
    check_openai_requests(&first, &second, Some("sk-fake-openai-e2e-0001"));
}

/// The agent API over the same provider engine and fixtures: the requests are the session API's,
/// and the script checks the canonical agent events (tests/providers_js/agent_openai.mjs).
#[test]
fn agent_run_over_openai_chat() {
    let (first, second) = tool_loop(
        "agent_openai.mjs",
        OPENAI_FIXTURES,
        "/v1/chat/completions",
        &[],
    );
    check_openai_requests(&first, &second, Some("sk-fake-openai-e2e-0001"));
}

/// `fromConfig` without `apiKey` and with a custom `baseURL` never sends the `OPENAI_API_KEY` of
/// the environment to that server.
#[test]
fn openai_chat_tool_loop_keeps_the_environment_key_from_a_custom_base_url() {
    let (first, second) = tool_loop(
        "openai.mjs",
        OPENAI_FIXTURES,
        "/v1/chat/completions",
        &[
            ("FAKE_PROVIDER_KEY_FROM_ENV", "1"),
            ("OPENAI_API_KEY", "sk-from-environment-0002"),
        ],
    );
    check_openai_requests(&first, &second, None);
}

// ---- OpenAI Responses ----------------------------------------------------------------------------

#[test]
fn openai_responses_tool_loop() {
    let (first, second) = tool_loop(
        "openai-responses.mjs",
        [
            "openai-responses/function_calls.sse",
            "openai-responses/reasoning_text.sse",
        ],
        "/v1/responses",
        &[],
    );
    for request in [&first, &second] {
        let body = &request.body;
        assert_eq!(
            request.header("authorization"),
            Some("Bearer sk-fake-responses-e2e-0003")
        );
        assert_eq!(body["model"], "gpt-5-mini");
        assert_eq!(body["stream"], true);
        assert!(body.get("stream_options").is_none());
        assert_eq!(body["instructions"], "You are a weather bot.");
        assert_eq!(body["max_output_tokens"], 2000);
        // No toolChoice in the script: the default is sent.
        assert_eq!(body["tool_choice"], "auto");
        assert_eq!(
            body["tools"],
            json!([
                {"type": "function", "name": "get_weather",
                 "description": "Current weather for a city", "parameters": weather_schema()},
                {"type": "function", "name": "go_double",
                 "description": "Double a number", "parameters": double_schema()},
            ])
        );
    }
    let question = json!({"role": "user", "content": "Weather in Paris, and double 21?"});
    assert_eq!(first.body["input"], json!([question]));

    let input = second.body["input"].as_array().unwrap();
    assert_eq!(input.len(), 5, "{input:#?}");
    assert_eq!(input[0], question);
    for (item, (id, name, args)) in input[1..3].iter().zip(expected_calls(OPENAI_CALL_IDS)) {
        assert_eq!(item["type"], "function_call");
        assert_eq!(item["call_id"], id);
        assert_eq!(item["name"], name);
        assert_eq!(parsed(&item["arguments"]), args);
    }
    for (item, (id, result)) in input[3..].iter().zip(expected_results(OPENAI_CALL_IDS)) {
        assert_eq!(item["type"], "function_call_output");
        assert_eq!(item["call_id"], id);
        assert_eq!(parsed(&item["output"]), result);
    }
}

// ---- Anthropic Messages -------------------------------------------------------------------------

/// The agent API over a provider that streams reasoning: the script checks the reasoning, text,
/// tool-call and metadata events and their JS shapes (tests/providers_js/agent_claude.mjs).
#[test]
fn agent_run_over_anthropic_messages() {
    let (first, second) = tool_loop(
        "agent_claude.mjs",
        ["claude/thinking_tool_use.sse", "claude/text.sse"],
        "/v1/messages",
        &[],
    );
    assert_eq!(first.body["system"], "You are a weather bot.");
    assert_eq!(second.body["messages"].as_array().map(Vec::len), Some(3));
}

#[test]
fn claude_tool_loop() {
    let (first, second) = tool_loop(
        "claude.mjs",
        ["claude/thinking_tool_use.sse", "claude/text.sse"],
        "/v1/messages",
        &[],
    );
    for (step, request) in [&first, &second].into_iter().enumerate() {
        let body = &request.body;
        assert_eq!(request.header("x-api-key"), Some("sk-ant-fake-e2e-0004"));
        assert_eq!(request.header("anthropic-version"), Some("2023-06-01"));
        assert_eq!(request.header("authorization"), None);
        assert_eq!(body["model"], "claude-sonnet-4-5");
        assert_eq!(body["stream"], true);
        assert_eq!(body["max_tokens"], 1024);
        assert_eq!(body["system"], "You are a weather bot.");
        // toolChoice "required" in the script: the first step must call a tool, later steps are
        // free to answer.
        let expected_choice = if step == 0 {
            json!({"type": "any"})
        } else {
            json!({"type": "auto"})
        };
        assert_eq!(body["tool_choice"], expected_choice);
        assert_eq!(
            body["tools"],
            json!([
                {"name": "get_weather", "description": "Current weather for a city",
                 "input_schema": weather_schema()},
                {"name": "go_double", "description": "Double a number",
                 "input_schema": double_schema()},
            ])
        );
    }
    let question = json!({"role": "user", "content": [
        {"type": "text", "text": "Weather in Paris, and double 21?"}
    ]});
    assert_eq!(first.body["messages"], json!([question]));

    let messages = second.body["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 3, "{messages:#?}");
    assert_eq!(messages[0], question);
    // The assistant message holds the thinking (with its signature), the text and both calls.
    assert_eq!(
        messages[1],
        json!({"role": "assistant", "content": [
            {"type": "thinking", "thinking": "I need the weather and a doubling.",
             "signature": "EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds"},
            {"type": "text", "text": "Checking both."},
            {"type": "tool_use", "id": "toolu_weather", "name": "get_weather",
             "input": {"location": "Paris", "unit": "c"}},
            {"type": "tool_use", "id": "toolu_double", "name": "go_double", "input": {"n": 21}},
        ]})
    );
    // The results come back in one user message, paired by tool_use_id, in call order.
    assert_eq!(messages[2]["role"], "user");
    let results = messages[2]["content"].as_array().unwrap();
    assert_eq!(results.len(), 2, "{results:#?}");
    for (block, (id, result)) in results
        .iter()
        .zip(expected_results(["toolu_weather", "toolu_double"]))
    {
        assert_eq!(block["type"], "tool_result");
        assert_eq!(block["tool_use_id"], id);
        assert_eq!(parsed(&block["content"]), result);
        assert!(block.get("is_error").is_none(), "{block}");
    }
}

// ---- Gemini ------------------------------------------------------------------------------------

#[test]
fn gemini_tool_loop() {
    // Gemini streams by endpoint (`:streamGenerateContent?alt=sse`), not by a body flag.
    let (first, second) = tool_loop(
        "gemini.mjs",
        ["gemini/thought_function_calls.sse", "gemini/text.sse"],
        "/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse",
        &[],
    );
    for request in [&first, &second] {
        let body = &request.body;
        assert_eq!(
            request.header("x-goog-api-key"),
            Some("fake-gemini-e2e-key-0005")
        );
        assert_eq!(request.header("authorization"), None);
        assert!(body.get("stream").is_none() && body.get("model").is_none());
        assert_eq!(
            body["systemInstruction"],
            json!({"parts": [{"text": "You are a weather bot."}]})
        );
        assert_eq!(body["generationConfig"], json!({"temperature": 0.5}));
        assert_eq!(
            body["toolConfig"],
            json!({"functionCallingConfig": {"mode": "AUTO"}})
        );
        assert_eq!(
            body["tools"],
            json!([{"functionDeclarations": [
                {"name": "get_weather", "description": "Current weather for a city",
                 "parameters": weather_schema()},
                {"name": "go_double", "description": "Double a number",
                 "parameters": double_schema()},
            ]}])
        );
    }
    let question = json!({"role": "user", "parts": [{"text": "Weather in Paris, and double 21?"}]});
    assert_eq!(first.body["contents"], json!([question]));

    // Gemini pairs calls and responses by name and position (it sends no call ids): the model turn
    // with both calls (the first with its thought signature), then one user turn with both
    // responses, in call order.
    assert_eq!(
        second.body["contents"],
        json!([
            question,
            {"role": "model", "parts": [
                {"functionCall": {"name": "get_weather", "args": {"location": "Paris", "unit": "c"}},
                 "thoughtSignature": "CiQB0e2Kb0sig"},
                {"functionCall": {"name": "go_double", "args": {"n": 21}}},
            ]},
            {"role": "user", "parts": [
                {"functionResponse": {"name": "get_weather", "response": weather_result()}},
                {"functionResponse": {"name": "go_double", "response": double_result()}},
            ]},
        ])
    );
}

// ---- A long stream below a JS middleware ---------------------------------------------------------

/// An OpenAI Chat Completions stream of `deltas` text deltas `t1 `, `t2 `, ...
fn long_chat_stream(deltas: usize) -> String {
    let mut sse = String::new();
    for i in 1..=deltas {
        let chunk = json!({"id": "chatcmpl-long", "object": "chat.completion.chunk",
            "model": "gpt-4o-mini", "choices": [{"index": 0, "delta": {"content": format!("t{i} ")}}]});
        sse.push_str(&format!("data: {chunk}\n\n"));
    }
    let last = json!({"id": "chatcmpl-long", "object": "chat.completion.chunk", "model": "gpt-4o-mini",
        "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]});
    sse.push_str(&format!("data: {last}\n\ndata: [DONE]\n\n"));
    sse
}

#[test]
fn long_stream_below_a_js_middleware_is_not_held_back() {
    // Three times the delivery backlog: every event waits for the middleware's turn to end.
    let deltas = 6_000;
    let server = FakeProvider::start(vec![long_chat_stream(deltas)]);
    run_passing(
        "long-stream-middleware.mjs",
        &server.url,
        &[("DELTAS", &deltas.to_string())],
    );
    assert_eq!(server.requests().len(), 1);
}

/// The same long stream into an agent whose pass-through JS middleware waits in `next()` while the
/// stream runs, and whose listener checks every delta: every delta arrives once, in
/// order, through `run()` and `runAsync()` (tests/providers_js/agent_long_stream.mjs). Size:
/// `GEPPETTO_AGENT_STRESS_DELTAS` (default 3,000, more than the delivery backlog holds).
#[test]
fn agent_long_stream_below_a_js_middleware_reaches_the_listener_in_order() {
    let deltas: usize = std::env::var("GEPPETTO_AGENT_STRESS_DELTAS")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(3_000);
    let stream = long_chat_stream(deltas);
    let server = FakeProvider::start(vec![stream.clone(), stream]);
    let run = run_passing(
        "agent_long_stream.mjs",
        &server.url,
        &[("DELTAS", &deltas.to_string())],
    );
    two_requests(&server, "/v1/chat/completions", &run);
}
