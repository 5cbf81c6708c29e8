//! The canonical agent events of the four provider engines, against an in-process HTTP server on
//! 127.0.0.1 replaying the fixture streams (tests/fixtures/<provider>/) in 7-byte chunks: exact
//! event sequences (segments, deltas and their numbering, tool calls and argument pieces, stop
//! reason and usage as they arrive), correlation ids, recorded events without deltas, a deadline
//! mid-stream, and a provider stream that waits for a slow agent event consumer. No network.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::body::{Body, Bytes};
use axum::response::Response;
use geppetto::inference::agent::{
    AgentConfig, AgentEvent, AgentEventKind, AgentRunOptions, AgentSession, AgentSink,
    CollectingAgentSink, RunResult, SegmentKind, SessionSpec,
};
use geppetto::inference::{Block, BlockKind, Engine, InferenceError, Room};
use geppetto::providers::{Env, ProviderConfig, ProviderEngine};
use serde_json::{Value, json};
use tokio::sync::Notify;

/// Starts a server answering every request with `body` as an event stream, in 7-byte chunks (so
/// frames straddle chunks); returns its base URL.
async fn serve(body: String) -> String {
    serve_stream(body, false).await
}

/// Like [`serve`], but the stream stays open after `body` (a provider that stalls mid-answer).
async fn serve_stream(body: String, then_hang: bool) -> String {
    use futures_util::StreamExt;
    let body = Arc::new(body);
    let app = axum::Router::new().fallback(move || {
        let body = body.clone();
        async move {
            let chunks: Vec<Result<Bytes, std::io::Error>> = body
                .as_bytes()
                .chunks(7)
                .map(|chunk| Ok(Bytes::copy_from_slice(chunk)))
                .collect();
            let stream = futures_util::stream::iter(chunks);
            let stream = if then_hang {
                stream.chain(futures_util::stream::pending()).boxed()
            } else {
                stream.boxed()
            };
            Response::builder()
                .status(200)
                .header("content-type", "text/event-stream")
                .body(Body::from_stream(stream))
                .unwrap()
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

/// A provider engine of `api_type` talking to `url`.
fn engine(api_type: &str, model: &str, url: &str) -> Arc<dyn Engine> {
    let options = json!({
        "apiType": api_type,
        "model": model,
        "apiKey": "sk-test-0123456789",
        "baseURL": url,
    });
    let options = geppetto::providers::profiles::profile_options(&options).unwrap();
    let config = ProviderConfig::resolve(options, &Env::new()).unwrap();
    Arc::new(ProviderEngine::new("config", config).unwrap())
}

/// Runs one agent turn ("hi") on `engine`, its events going to `sink`.
async fn run_with(engine: Arc<dyn Engine>, sink: Arc<dyn AgentSink>) -> RunResult {
    run_within(engine, sink, 0).await.unwrap()
}

/// [`run_with`] with a deadline (`timeout_ms` > 0), returning the failure too.
async fn run_within(
    engine: Arc<dyn Engine>,
    sink: Arc<dyn AgentSink>,
    timeout_ms: u64,
) -> Result<RunResult, InferenceError> {
    let session = AgentSession::new(Arc::new(AgentConfig::new(engine)), SessionSpec::default());
    let input = session.next_seed().unwrap().with_block(Block::user("hi"));
    let options = AgentRunOptions {
        sink,
        timeout_ms,
        ..AgentRunOptions::default()
    };
    let (result, guard) = session.prepare_run(input, options).unwrap().execute().await;
    drop(guard);
    result
}

/// Serves `fixture` to an engine of `api_type` and runs one agent turn; returns the result and
/// every event the sink got.
async fn run_fixture(api_type: &str, model: &str, fixture: &str) -> (RunResult, Vec<AgentEvent>) {
    let path = format!("{}/tests/fixtures/{fixture}", env!("CARGO_MANIFEST_DIR"));
    let url = serve(std::fs::read_to_string(path).unwrap()).await;
    let sink = CollectingAgentSink::new();
    let result = run_with(engine(api_type, model, &url), Arc::new(sink.clone())).await;
    (result, sink.events())
}

fn source(kind: &SegmentKind) -> &'static str {
    match kind {
        SegmentKind::Text => "-",
        SegmentKind::Reasoning(source) => source.as_str(),
    }
}

/// One line per event with the fields that matter here.
fn describe(event: &AgentEvent) -> String {
    let name = event.kind.type_name();
    match &event.kind {
        AgentEventKind::ProviderCallMetadataUpdated {
            stop_reason,
            stop_sequence,
            usage,
        } => format!(
            "{name} {stop_reason:?} {stop_sequence:?} {}",
            usage.clone().map_or(Value::Null, Value::Object)
        ),
        AgentEventKind::ProviderCallFinished {
            stop_reason,
            finish_class,
            has_tool_calls,
            ..
        } => format!(
            "{name} {stop_reason:?} {} {has_tool_calls}",
            finish_class.as_str()
        ),
        AgentEventKind::SegmentStarted { kind, role } => format!("{name} {} {role}", source(kind)),
        AgentEventKind::SegmentDelta {
            kind,
            delta,
            text,
            sequence,
        } => format!(
            "{name} {} #{sequence} {delta:?} {:?}",
            source(kind),
            text.to_string()
        ),
        AgentEventKind::SegmentFinished {
            kind,
            text,
            finish_reason,
        } => format!("{name} {} {text:?} {finish_reason:?}", source(kind)),
        AgentEventKind::ToolCallStarted { id, name: tool } => format!("{name} {id} {tool}"),
        AgentEventKind::ToolCallArgumentsDelta {
            id,
            delta,
            arguments,
            sequence,
        } => format!(
            "{name} {id} #{sequence} {delta:?} {:?}",
            arguments.to_string()
        ),
        AgentEventKind::ToolCallRequested {
            id,
            name: tool,
            input,
        } => format!("{name} {id} {tool} {input}"),
        _ => name.to_string(),
    }
}

fn describe_all(events: &[AgentEvent]) -> Vec<String> {
    events.iter().map(describe).collect()
}

/// Checks the correlation ids: one provider call id on every step event, one segment id per
/// segment (from started to finished, on nothing else), the call id on every tool event.
fn check_correlation(events: &[AgentEvent]) {
    let step: Vec<&AgentEvent> = events
        .iter()
        .filter(|event| !event.kind.type_name().starts_with("run-"))
        .collect();
    let call_id = step[0].provider_call_id.clone().expect("provider call id");
    for event in &step {
        assert_eq!(event.provider_call_id.as_ref(), Some(&call_id), "{event:?}");
    }
    let mut open: Option<Arc<str>> = None;
    let mut seen = Vec::new();
    for event in events {
        match &event.kind {
            AgentEventKind::SegmentStarted { .. } => {
                assert!(open.is_none(), "one segment at a time");
                let id = event.segment_id.clone().expect("segment id");
                assert!(!seen.contains(&id), "fresh segment id");
                seen.push(id.clone());
                open = Some(id);
            }
            AgentEventKind::SegmentDelta { .. } => {
                assert_eq!(event.segment_id, open, "{event:?}");
            }
            AgentEventKind::SegmentFinished { .. } => {
                assert_eq!(event.segment_id, open.take(), "{event:?}");
            }
            _ => assert_eq!(event.segment_id, None, "{event:?}"),
        }
        let tool_id = match &event.kind {
            AgentEventKind::ToolCallStarted { id, .. }
            | AgentEventKind::ToolCallArgumentsDelta { id, .. }
            | AgentEventKind::ToolCallRequested { id, .. } => Some(id.clone()),
            _ => None,
        };
        assert_eq!(event.tool_call_id, tool_id, "{event:?}");
    }
    assert!(open.is_none(), "every segment finished");
}

/// The recorded events (`RunResult.events()`) are the delivered ones without deltas.
fn check_recorded(result: &RunResult, events: &[AgentEvent]) {
    let without_deltas: Vec<&AgentEvent> = events
        .iter()
        .filter(|event| !event.kind.is_delta())
        .collect();
    let recorded: Vec<&AgentEvent> = result.events.iter().collect();
    assert_eq!(recorded, without_deltas);
}

/// `rawPayload`: every streamed delta carries the raw provider event it was decoded from (a text
/// or reasoning delta's text is in it; Gemini's arguments arrive as an object, re-encoded); the
/// run's own events and the step's start and end carry none.
fn check_raw_payloads(events: &[AgentEvent]) {
    for event in events {
        match &event.kind {
            AgentEventKind::SegmentDelta { delta, .. } => {
                let raw = event
                    .raw_payload
                    .as_deref()
                    .expect("a delta has its raw event");
                let escaped = serde_json::to_string(delta).unwrap();
                assert!(
                    raw.contains(&escaped[1..escaped.len() - 1]),
                    "{raw:?} holds {delta:?}"
                );
            }
            AgentEventKind::ToolCallArgumentsDelta { .. } => {
                assert!(event.raw_payload.is_some(), "{event:?}");
            }
            AgentEventKind::RunStarted { .. }
            | AgentEventKind::RunFinished
            | AgentEventKind::ProviderCallStarted
            | AgentEventKind::ProviderCallFinished { .. } => {
                assert_eq!(event.raw_payload, None, "{event:?}")
            }
            _ => {}
        }
    }
}

fn check(result: &RunResult, events: &[AgentEvent], expected: &[&str]) {
    assert_eq!(describe_all(events), expected);
    check_correlation(events);
    check_recorded(result, events);
    check_raw_payloads(events);
}

#[tokio::test]
async fn openai_chat_reasoning_content_then_text() {
    let (result, events) = run_fixture("openai", "qwen3-8b", "openai/reasoning.sse").await;
    check(
        &result,
        &events,
        &[
            "run-started",
            "provider-call-started",
            "reasoning-segment-started text assistant",
            r#"reasoning-delta text #1 "The user greets" "The user greets""#,
            r#"reasoning-delta text #2 " me." "The user greets me.""#,
            r#"reasoning-segment-finished text "The user greets me." None"#,
            "text-segment-started - assistant",
            r#"text-delta - #1 "Hi there" "Hi there""#,
            r#"provider-call-metadata-updated Some("stop") None {"input_tokens":9,"output_tokens":7,"total_tokens":16,"reasoning_tokens":4}"#,
            r#"text-segment-finished - "Hi there" Some("stop")"#,
            r#"provider-call-finished Some("stop") completed false"#,
            "run-finished",
        ],
    );
    assert_eq!(result.text, "Hi there");
}

#[tokio::test]
async fn openai_chat_tool_calls_stream_their_arguments() {
    let (result, events) = run_fixture("openai", "gpt-4o-mini", "openai/tool_calls.sse").await;
    check(
        &result,
        &events,
        &[
            "run-started",
            "provider-call-started",
            "tool-call-started call_weather get_weather",
            r#"tool-call-arguments-delta call_weather #1 "{\"lo" "{\"lo""#,
            r#"tool-call-arguments-delta call_weather #2 "cation\": \"Par" "{\"location\": \"Par""#,
            r#"tool-call-arguments-delta call_weather #3 "is\", \"unit\"" "{\"location\": \"Paris\", \"unit\"""#,
            r#"tool-call-arguments-delta call_weather #4 ": \"c\"}" "{\"location\": \"Paris\", \"unit\": \"c\"}""#,
            "tool-call-started call_double go_double",
            r#"tool-call-arguments-delta call_double #1 "{\"n\"" "{\"n\"""#,
            r#"tool-call-arguments-delta call_double #2 ": 21}" "{\"n\": 21}""#,
            r#"provider-call-metadata-updated Some("tool_calls") None null"#,
            r#"provider-call-metadata-updated Some("tool_calls") None {"input_tokens":80,"output_tokens":40,"total_tokens":120}"#,
            r#"tool-call-requested call_weather get_weather {"location":"Paris","unit":"c"}"#,
            r#"tool-call-requested call_double go_double {"n":21}"#,
            r#"provider-call-finished Some("tool_calls") tool_calls_pending true"#,
            "run-finished",
        ],
    );
}

#[tokio::test]
async fn anthropic_thinking_text_and_tool_uses() {
    let (result, events) = run_fixture(
        "claude",
        "claude-sonnet-4-5",
        "claude/thinking_tool_use.sse",
    )
    .await;
    check(
        &result,
        &events,
        &[
            "run-started",
            "provider-call-started",
            r#"provider-call-metadata-updated None None {"input_tokens":472,"output_tokens":2}"#,
            "reasoning-segment-started thinking assistant",
            r#"reasoning-delta thinking #1 "I need the weather" "I need the weather""#,
            r#"reasoning-delta thinking #2 " and a doubling." "I need the weather and a doubling.""#,
            r#"reasoning-segment-finished thinking "I need the weather and a doubling." None"#,
            "text-segment-started - assistant",
            r#"text-delta - #1 "Checking both." "Checking both.""#,
            "tool-call-started toolu_weather get_weather",
            r#"tool-call-arguments-delta toolu_weather #1 "{\"location\": \"Pa" "{\"location\": \"Pa""#,
            r#"tool-call-arguments-delta toolu_weather #2 "ris\", \"un" "{\"location\": \"Paris\", \"un""#,
            r#"tool-call-arguments-delta toolu_weather #3 "it\": \"c\"}" "{\"location\": \"Paris\", \"unit\": \"c\"}""#,
            "tool-call-started toolu_double go_double",
            r#"tool-call-arguments-delta toolu_double #1 "{\"n\": " "{\"n\": ""#,
            r#"tool-call-arguments-delta toolu_double #2 "21}" "{\"n\": 21}""#,
            r#"provider-call-metadata-updated Some("tool_use") None {"input_tokens":472,"output_tokens":89}"#,
            r#"text-segment-finished - "Checking both." Some("tool_use")"#,
            r#"tool-call-requested toolu_weather get_weather {"location":"Paris","unit":"c"}"#,
            r#"tool-call-requested toolu_double go_double {"n":21}"#,
            r#"provider-call-finished Some("tool_use") tool_calls_pending true"#,
            "run-finished",
        ],
    );
}

#[tokio::test]
async fn anthropic_stop_sequence_is_reported() {
    let body = [
        r#"{"type":"message_start","message":{"model":"claude-sonnet-4-5","usage":{"input_tokens":5,"output_tokens":1}}}"#,
        r#"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#,
        r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"one two"}}"#,
        r#"{"type":"content_block_stop","index":0}"#,
        r#"{"type":"message_delta","delta":{"stop_reason":"stop_sequence","stop_sequence":"three"},"usage":{"output_tokens":3}}"#,
        r#"{"type":"message_stop"}"#,
    ]
    .map(|data| format!("data: {data}\n\n"))
    .concat();
    let url = serve(body).await;
    let sink = CollectingAgentSink::new();
    let result = run_with(
        engine("claude", "claude-sonnet-4-5", &url),
        Arc::new(sink.clone()),
    )
    .await;
    let events = sink.events();
    check(
        &result,
        &events,
        &[
            "run-started",
            "provider-call-started",
            r#"provider-call-metadata-updated None None {"input_tokens":5,"output_tokens":1}"#,
            "text-segment-started - assistant",
            r#"text-delta - #1 "one two" "one two""#,
            r#"provider-call-metadata-updated Some("stop_sequence") Some("three") {"input_tokens":5,"output_tokens":3}"#,
            r#"text-segment-finished - "one two" Some("stop_sequence")"#,
            r#"provider-call-finished Some("stop_sequence") completed false"#,
            "run-finished",
        ],
    );
}

#[tokio::test]
async fn openai_responses_reasoning_summary_then_text() {
    let (result, events) = run_fixture(
        "openai-responses",
        "o4-mini",
        "openai-responses/reasoning_text.sse",
    )
    .await;
    check(
        &result,
        &events,
        &[
            "run-started",
            "provider-call-started",
            "reasoning-segment-started summary assistant",
            r#"reasoning-delta summary #1 "**Greeting** The user" "**Greeting** The user""#,
            r#"reasoning-delta summary #2 " says hello." "**Greeting** The user says hello.""#,
            r#"reasoning-segment-finished summary "**Greeting** The user says hello." None"#,
            "text-segment-started - assistant",
            r#"text-delta - #1 "Hello" "Hello""#,
            r#"text-delta - #2 ", world!" "Hello, world!""#,
            r#"provider-call-metadata-updated Some("completed") None {"input_tokens":20,"output_tokens":50,"total_tokens":70,"cached_tokens":0,"reasoning_tokens":38}"#,
            r#"text-segment-finished - "Hello, world!" Some("completed")"#,
            r#"provider-call-finished Some("completed") completed false"#,
            "run-finished",
        ],
    );
}

#[tokio::test]
async fn openai_responses_function_call_argument_deltas() {
    let (result, events) = run_fixture(
        "openai-responses",
        "o4-mini",
        "openai-responses/function_calls.sse",
    )
    .await;
    check(
        &result,
        &events,
        &[
            "run-started",
            "provider-call-started",
            "tool-call-started call_weather get_weather",
            r#"tool-call-arguments-delta call_weather #1 "{\"loc" "{\"loc""#,
            r#"tool-call-arguments-delta call_weather #2 "ation\":\"Paris\"," "{\"location\":\"Paris\",""#,
            r#"tool-call-arguments-delta call_weather #3 "\"unit\":\"c\"}" "{\"location\":\"Paris\",\"unit\":\"c\"}""#,
            "tool-call-started call_double go_double",
            r#"tool-call-arguments-delta call_double #1 "{\"n\":" "{\"n\":""#,
            r#"tool-call-arguments-delta call_double #2 "21}" "{\"n\":21}""#,
            r#"provider-call-metadata-updated Some("completed") None {"input_tokens":90,"output_tokens":30,"total_tokens":120}"#,
            r#"tool-call-requested call_weather get_weather {"location":"Paris","unit":"c"}"#,
            r#"tool-call-requested call_double go_double {"n":21}"#,
            r#"provider-call-finished Some("completed") tool_calls_pending true"#,
            "run-finished",
        ],
    );
}

#[tokio::test]
async fn gemini_thought_and_whole_function_calls() {
    let (result, events) = run_fixture(
        "gemini",
        "gemini-2.5-pro",
        "gemini/thought_function_calls.sse",
    )
    .await;
    // Gemini sends no call ids: the engine makes them up when the call arrives, and the started,
    // arguments and requested events and the output block all carry the same one.
    let ids: Vec<String> = result
        .output
        .blocks
        .iter()
        .filter(|block| block.kind == BlockKind::ToolCall)
        .map(|block| block.payload_str("id").unwrap().to_string())
        .collect();
    assert_eq!(ids.len(), 2);
    assert!(ids.iter().all(|id| id.starts_with("call_")), "{ids:?}");
    let (weather, double) = (&ids[0], &ids[1]);
    let expected = [
        "run-started".to_string(),
        "provider-call-started".into(),
        "reasoning-segment-started thought assistant".into(),
        r#"reasoning-delta thought #1 "Weather first, then doubling." "Weather first, then doubling.""#.into(),
        format!("tool-call-started {weather} get_weather"),
        format!(
            r#"tool-call-arguments-delta {weather} #1 "{{\"location\":\"Paris\",\"unit\":\"c\"}}" "{{\"location\":\"Paris\",\"unit\":\"c\"}}""#
        ),
        format!("tool-call-started {double} go_double"),
        format!(r#"tool-call-arguments-delta {double} #1 "{{\"n\":21}}" "{{\"n\":21}}""#),
        r#"provider-call-metadata-updated Some("STOP") None {"input_tokens":120,"output_tokens":30,"total_tokens":190,"reasoning_tokens":40}"#.into(),
        r#"reasoning-segment-finished thought "Weather first, then doubling." Some("STOP")"#.into(),
        format!(r#"tool-call-requested {weather} get_weather {{"location":"Paris","unit":"c"}}"#),
        format!(r#"tool-call-requested {double} go_double {{"n":21}}"#),
        r#"provider-call-finished Some("STOP") tool_calls_pending true"#.into(),
        "run-finished".into(),
    ];
    check(&result, &events, &expected.each_ref().map(String::as_str));
}

/// A sink whose consumer takes `allowance` events, then stalls until `release` is notified.
struct StallingSink {
    inner: CollectingAgentSink,
    allowance: usize,
    received: AtomicUsize,
    released: std::sync::atomic::AtomicBool,
    release: Notify,
}

impl AgentSink for StallingSink {
    fn emit(&self, event: AgentEvent) {
        self.received.fetch_add(1, Ordering::SeqCst);
        self.inner.emit(event);
    }

    fn room(&self) -> Room<'_> {
        Box::pin(async move {
            while self.received.load(Ordering::SeqCst) >= self.allowance
                && !self.released.load(Ordering::SeqCst)
            {
                let released = self.release.notified();
                tokio::pin!(released);
                released.as_mut().enable();
                if self.released.load(Ordering::SeqCst) {
                    return;
                }
                released.await;
            }
        })
    }
}

/// A long provider stream into an agent whose event consumer stalls: the engine stops reading
/// (the events taken stay within one stream event of the allowance) and finishes once the
/// consumer goes on.
#[tokio::test]
async fn a_stalled_agent_event_consumer_pauses_the_provider_stream() {
    const DELTAS: usize = 5_000;
    const ALLOWANCE: usize = 100;
    let mut body = String::new();
    for _ in 0..DELTAS {
        body.push_str("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"x\"}}]}\n\n");
    }
    body.push_str(
        "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n",
    );
    body.push_str("data: [DONE]\n\n");
    let url = serve(body).await;
    let sink = Arc::new(StallingSink {
        inner: CollectingAgentSink::new(),
        allowance: ALLOWANCE,
        received: AtomicUsize::new(0),
        released: Default::default(),
        release: Notify::new(),
    });
    let run = tokio::spawn(run_with(engine("openai", "m", &url), sink.clone()));
    // Wait until the consumer is full, give the stream time to (wrongly) go on, then check.
    while sink.received.load(Ordering::SeqCst) < ALLOWANCE {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let stalled_at = sink.received.load(Ordering::SeqCst);
    assert!(
        stalled_at <= ALLOWANCE + 2,
        "the stream went on while the consumer stalled: {stalled_at} events"
    );
    assert!(!run.is_finished());
    sink.released.store(true, Ordering::SeqCst);
    sink.release.notify_waiters();
    let result = run.await.unwrap();
    assert_eq!(result.text.len(), DELTAS);
    let deltas = sink
        .inner
        .events()
        .iter()
        .filter(|event| event.kind.type_name() == "text-delta")
        .count();
    assert_eq!(deltas, DELTAS);
}

/// The output turn of a streamed step holds the same text the segments showed.
#[tokio::test]
async fn segments_add_up_to_the_output_blocks() {
    let (result, events) = run_fixture(
        "claude",
        "claude-sonnet-4-5",
        "claude/thinking_tool_use.sse",
    )
    .await;
    let finished = |wanted: fn(&SegmentKind) -> bool| -> Vec<String> {
        events
            .iter()
            .filter_map(|event| match &event.kind {
                AgentEventKind::SegmentFinished { kind, text, .. } if wanted(kind) => {
                    Some(text.clone())
                }
                _ => None,
            })
            .collect()
    };
    let block_texts = |kind: BlockKind| -> Vec<String> {
        result
            .output
            .blocks
            .iter()
            .filter(|block| block.kind == kind && !result.effective.blocks.contains(block))
            .map(|block| block.text_payload().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        finished(|kind| *kind == SegmentKind::Text),
        block_texts(BlockKind::LlmText)
    );
    assert_eq!(
        finished(|kind| matches!(kind, SegmentKind::Reasoning(_))),
        block_texts(BlockKind::Reasoning)
    );
}

/// A provider that stalls mid-reasoning until the run's deadline: the open segment gets no
/// `*-finished`; `interrupt` (no text was streamed) and a cancelled step end it.
#[tokio::test]
async fn a_deadline_mid_reasoning_interrupts_the_step() {
    let body = [
        r#"{"type":"message_start","message":{"model":"claude-sonnet-4-5","usage":{"input_tokens":5,"output_tokens":1}}}"#,
        r#"{"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":""}}"#,
        r#"{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"Let me"}}"#,
    ]
    .map(|data| format!("data: {data}\n\n"))
    .concat();
    let url = serve_stream(body, true).await;
    let sink = CollectingAgentSink::new();
    let engine = engine("claude", "claude-sonnet-4-5", &url);
    let error = run_within(engine, Arc::new(sink.clone()), 300)
        .await
        .expect_err("the deadline fails the run");
    assert_eq!(error.to_string(), "inference canceled: deadline exceeded");
    let events = sink.events();
    assert_eq!(
        describe_all(&events),
        [
            "run-started",
            "provider-call-started",
            r#"provider-call-metadata-updated None None {"input_tokens":5,"output_tokens":1}"#,
            "reasoning-segment-started thinking assistant",
            r#"reasoning-delta thinking #1 "Let me" "Let me""#,
            "interrupt",
            r#"provider-call-finished None cancelled false"#,
            "run-stopped",
        ]
    );
    let AgentEventKind::Interrupt { text } = &events[5].kind else {
        unreachable!()
    };
    assert_eq!(text, "");
}

/// A compatible chat server that streams a call without an id: the call is reported only at the
/// end (no argument pieces), under the id the engine makes up, started and requested together.
#[tokio::test]
async fn a_chat_call_without_id_is_reported_at_the_end() {
    let body = [
        r#"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"name":"go_double","arguments":"{\"n\":"}}]}}]}"#,
        r#"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"21}"}}]}}]}"#,
        r#"{"choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}"#,
        "[DONE]",
    ]
    .map(|data| format!("data: {data}\n\n"))
    .concat();
    let url = serve(body).await;
    let sink = CollectingAgentSink::new();
    let result = run_with(engine("openai", "m", &url), Arc::new(sink.clone())).await;
    let events = sink.events();
    let id = result
        .output
        .blocks
        .iter()
        .find(|block| block.kind == BlockKind::ToolCall)
        .and_then(|block| block.payload_str("id"))
        .expect("a tool call block")
        .to_string();
    assert!(id.starts_with("call_"), "{id}");
    let expected = [
        "run-started".to_string(),
        "provider-call-started".into(),
        r#"provider-call-metadata-updated Some("tool_calls") None null"#.into(),
        format!("tool-call-started {id} go_double"),
        format!(r#"tool-call-requested {id} go_double {{"n":21}}"#),
        r#"provider-call-finished Some("tool_calls") tool_calls_pending true"#.into(),
        "run-finished".into(),
    ];
    check(&result, &events, &expected.each_ref().map(String::as_str));
}
