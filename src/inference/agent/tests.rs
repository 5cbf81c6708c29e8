//! Runs of agent sessions with offline engines: history, results and event order.

use std::sync::Arc;

use futures_util::future::BoxFuture;
use serde_json::json;

use super::*;
use crate::inference::context::RunContext;
use crate::inference::engine::Engine;
use crate::inference::engines::EchoEngine;
use crate::inference::error::InferenceError;
use crate::inference::event::EventKind;
use crate::inference::tools::default_host_tools;
use crate::inference::turn::{Block, BlockKind, Turn};

/// Scripted steps: asks for `go_double {n: 2}` with usage when the turn has no tool result, then
/// answers with two text blocks; fails on "fail"; waits for cancellation on "hang".
struct Scripted;

impl Engine for Scripted {
    fn name(&self) -> &str {
        "jsFunction"
    }

    fn run_inference<'a>(
        &'a self,
        ctx: &'a RunContext,
        mut turn: Turn,
    ) -> BoxFuture<'a, Result<Turn, InferenceError>> {
        Box::pin(async move {
            let prompt = turn
                .blocks
                .last()
                .and_then(|b| b.text_payload())
                .unwrap_or("");
            if prompt == "fail" {
                ctx.emit(EventKind::Error {
                    error: "js engine callback: boom".into(),
                });
                return Err(InferenceError::failed("js engine callback: boom"));
            }
            if prompt == "hang" {
                ctx.cancel.cancelled().await;
                return Err(ctx.cancellation_error());
            }
            if turn.blocks.iter().any(|b| b.kind == BlockKind::ToolUse) {
                turn.blocks.push(Block::assistant("one"));
                turn.blocks.push(Block::assistant("two"));
                turn.metadata.insert(
                    "usage".into(),
                    json!({"input_tokens": 5, "output_tokens": 2}),
                );
                return Ok(turn);
            }
            turn.metadata.insert(
                "usage".into(),
                json!({"input_tokens": 3, "output_tokens": 1}),
            );
            Ok(turn.with_block(Block::tool_call("c1", "go_double", json!({"n": 2}))))
        })
    }
}

fn session(engine: Arc<dyn Engine>, tools: bool) -> AgentSession {
    let mut config = AgentConfig::new(engine);
    config.name = "demo".into();
    if tools {
        config.tools.registry = Some(default_host_tools());
    }
    AgentSession::new(Arc::new(config), SessionSpec::default())
}

fn input(session: &AgentSession, text: &str) -> Turn {
    session.next_seed().unwrap().with_block(Block::user(text))
}

async fn run(
    session: &AgentSession,
    text: &str,
    timeout_ms: u64,
) -> (Result<RunResult, InferenceError>, Vec<AgentEvent>) {
    let sink = CollectingAgentSink::new();
    let options = AgentRunOptions {
        timeout_ms,
        sink: Arc::new(sink.clone()),
        ..AgentRunOptions::default()
    };
    let prepared = session.prepare_run(input(session, text), options).unwrap();
    let (result, guard) = prepared.execute().await;
    drop(guard);
    (result, sink.events())
}

fn types(events: &[AgentEvent]) -> Vec<&'static str> {
    events.iter().map(|event| event.kind.type_name()).collect()
}

#[tokio::test]
async fn echo_run_appends_one_turn_and_reports_offline_events() {
    let session = session(Arc::new(EchoEngine::new("pong")), false);
    let (result, events) = run(&session, "ping", 0).await;
    let result = result.unwrap();
    assert_eq!(session.turn_count(), 1);
    assert_eq!(result.text, "pong");
    assert_eq!(result.stop_reason.as_deref(), Some("stop"));
    assert_eq!(result.usage, None);
    assert_eq!(
        types(&events),
        [
            "run-started",
            "provider-call-started",
            "text-segment-started",
            "text-delta",
            "text-segment-finished",
            "provider-call-finished",
            "run-finished"
        ]
    );
    // Every event carries the run's ids; the delta is not recorded.
    assert!(events.iter().all(|e| e.ids.turn_id == result.effective.id));
    assert_eq!(result.events.len(), events.len() - 1);
    let runtime = &result.effective.metadata["runtime"];
    assert_eq!(runtime, &json!({"agentName": "demo", "sessionName": ""}));
    assert_eq!(result.output.metadata["stop_reason"], json!("stop"));
    // The next run sends the whole conversation and adds one turn.
    let (second, _) = run(&session, "again", 0).await;
    let second = second.unwrap();
    assert_eq!(second.output.blocks.len(), 4);
    assert_eq!(second.text, "pong", "only this run's answer");
    assert_eq!(session.turn_count(), 2);
}

#[tokio::test]
async fn tool_steps_report_tool_events_and_sum_usage() {
    let session = session(Arc::new(Scripted), true);
    let (result, events) = run(&session, "double", 0).await;
    let result = result.unwrap();
    assert_eq!(
        types(&events),
        [
            "run-started",
            "provider-call-started",
            "tool-call-started",
            "tool-call-requested",
            "provider-call-finished",
            "tool-execution-started",
            "tool-result-ready",
            "tool-call-finished",
            "provider-call-started",
            "text-segment-started",
            "text-delta",
            "text-segment-finished",
            "text-segment-started",
            "text-delta",
            "text-segment-finished",
            "provider-call-finished",
            "run-finished"
        ]
    );
    assert_eq!(result.text, "one\ntwo");
    assert_eq!(
        result.usage.map(serde_json::Value::Object),
        Some(json!({"input_tokens": 8, "output_tokens": 3}))
    );
    assert_eq!(result.stop_reason.as_deref(), Some("stop"));
    match &events[4].kind {
        AgentEventKind::ProviderCallFinished {
            finish_class,
            has_tool_calls,
            stop_reason,
            ..
        } => {
            assert_eq!(*finish_class, FinishClass::ToolCallsPending);
            assert!(*has_tool_calls);
            assert_eq!(stop_reason.as_deref(), Some("tool_calls"));
        }
        other => panic!("unexpected {other:?}"),
    }
    match &events[6].kind {
        AgentEventKind::ToolResultReady {
            name,
            result,
            failed,
            ..
        } => assert_eq!(
            (name.as_str(), result.as_str(), *failed),
            ("go_double", r#"{"value":4}"#, false)
        ),
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(events[6].tool_call_id.as_deref(), Some("c1"));
    assert_eq!(
        result.effective.data.get("tool_definitions"),
        None,
        "the definitions are written inside the loop"
    );
    assert!(result.output.data["tool_definitions"][0]["name"] == json!("go_concat"));
}

#[tokio::test]
async fn failed_and_cancelled_runs_leave_the_history_alone() {
    let session = session(Arc::new(Scripted), false);
    let (result, events) = run(&session, "fail", 0).await;
    assert_eq!(result.unwrap_err().to_string(), "js engine callback: boom");
    assert_eq!(
        types(&events),
        [
            "run-started",
            "provider-call-started",
            "error",
            "provider-call-finished",
            "run-failed"
        ]
    );
    assert_eq!(session.turn_count(), 0);
    let (result, events) = run(&session, "hang", 20).await;
    assert_eq!(result.unwrap_err(), InferenceError::DeadlineExceeded);
    assert_eq!(
        types(&events),
        [
            "run-started",
            "provider-call-started",
            "interrupt",
            "provider-call-finished",
            "run-stopped"
        ]
    );
    assert_eq!(
        events[4].kind,
        AgentEventKind::RunStopped {
            cause: StopCause::DeadlineExceeded
        }
    );
    assert_eq!(session.turn_count(), 0);
    assert!(!session.is_running());
}

#[tokio::test]
async fn refusals_change_nothing() {
    let session = session(Arc::new(Scripted), false);
    let empty = session.next_seed().unwrap();
    let error = session
        .prepare_run(empty, AgentRunOptions::default())
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "session has no seed turn (or seed turn is empty)"
    );
    let running = session
        .prepare_run(input(&session, "hang"), AgentRunOptions::default())
        .unwrap();
    assert!(session.is_running());
    assert_eq!(
        session.next_seed().unwrap_err().to_string(),
        "session already has an active inference"
    );
    session.close();
    let (result, guard) = running.execute().await;
    assert_eq!(result.unwrap_err(), InferenceError::Canceled);
    drop(guard);
    assert!(!session.is_running());
    assert_eq!(
        session.next_seed().unwrap_err().to_string(),
        "session is closed"
    );
}

#[test]
fn go_tool_names_resolve_at_run_time() {
    let tools = AgentTools {
        only: vec!["go_double".into()],
        ..AgentTools::default()
    };
    assert_eq!(
        tools.resolve().unwrap_err().to_string(),
        "resolved runtime requested tools but no tool registry is configured"
    );
    let tools = AgentTools {
        only: vec!["nope".into()],
        host: Some(default_host_tools()),
        ..AgentTools::default()
    };
    assert_eq!(
        tools.resolve().unwrap_err().to_string(),
        "resolved runtime tool \"nope\" not present in registry: tool not found: nope"
    );
    let tools = AgentTools {
        only: vec!["go_double".into()],
        host: Some(default_host_tools()),
        ..AgentTools::default()
    };
    assert_eq!(tools.resolve().unwrap().unwrap().names(), ["go_double"]);
}

#[test]
fn imported_turns_are_stamped() {
    let mut base = Turn::new().with_block(Block::user("hi"));
    base.id = "t0".into();
    base.metadata.insert("session_id".into(), json!("old"));
    let agent = Arc::new(AgentConfig::new(Arc::new(EchoEngine::default())));
    let session = AgentSession::new(
        agent,
        SessionSpec {
            id: " s1 ".into(),
            base: Some((base, ImportSource::Fork)),
            ..SessionSpec::default()
        },
    );
    assert_eq!(session.id(), "s1");
    let first = session.turn(0).unwrap();
    assert_eq!(first.id, "t0");
    assert_eq!(first.metadata["session_id"], json!("s1"));
    assert_eq!(
        first.metadata["geppetto.forkedFromSource@v1"],
        json!("fork")
    );
    assert_eq!(
        first.metadata["geppetto.forkedFromSessionID@v1"],
        json!("old")
    );
    assert_eq!(first.metadata["geppetto.forkedFromTurnID@v1"], json!("t0"));
    assert!(first.metadata["geppetto.forkedAtMs@v1"].is_u64());
}

/// Streams three deltas and a tool call, like a provider engine.
struct Streaming;

impl Engine for Streaming {
    fn name(&self) -> &str {
        "openai"
    }

    fn run_inference<'a>(
        &'a self,
        ctx: &'a RunContext,
        turn: Turn,
    ) -> BoxFuture<'a, Result<Turn, InferenceError>> {
        Box::pin(async move {
            ctx.emit(EventKind::Start);
            let mut completion = String::new();
            for delta in ["Hel", "lo", "!"] {
                completion.push_str(delta);
                ctx.emit(EventKind::Partial {
                    delta: delta.into(),
                    completion: completion.clone().into(),
                });
            }
            ctx.emit(EventKind::Final {
                text: completion.clone(),
            });
            let mut out = turn.with_block(Block::assistant(completion));
            out.metadata.insert("stop_reason".into(), json!("end_turn"));
            out.metadata.insert(
                "usage".into(),
                json!({"input_tokens": 9, "output_tokens": 3}),
            );
            Ok(out)
        })
    }
}

#[tokio::test]
async fn streamed_deltas_share_one_segment_buffer() {
    let session = session(Arc::new(Streaming), false);
    let (result, events) = run(&session, "hi", 0).await;
    assert_eq!(
        types(&events),
        [
            "run-started",
            "provider-call-started",
            "text-segment-started",
            "text-delta",
            "text-delta",
            "text-delta",
            "text-segment-finished",
            "provider-call-metadata-updated",
            "provider-call-finished",
            "run-finished"
        ]
    );
    let deltas: Vec<(String, String, u64)> = events
        .iter()
        .filter_map(|event| match &event.kind {
            AgentEventKind::SegmentDelta {
                kind: SegmentKind::Text,
                delta,
                text,
                sequence,
            } => Some((delta.clone(), text.to_string(), *sequence)),
            _ => None,
        })
        .collect();
    assert_eq!(
        deltas,
        [
            ("Hel".to_string(), "Hel".to_string(), 1),
            ("lo".to_string(), "Hello".to_string(), 2),
            ("!".to_string(), "Hello!".to_string(), 3)
        ]
    );
    let segment_ids: Vec<_> = events[2..7].iter().map(|e| e.segment_id.clone()).collect();
    assert!(
        segment_ids
            .iter()
            .all(|id| id.is_some() && *id == segment_ids[0])
    );
    assert_eq!(
        events[6].kind,
        AgentEventKind::SegmentFinished {
            kind: SegmentKind::Text,
            text: "Hello!".into(),
            finish_reason: Some("end_turn".into())
        }
    );
    let result = result.unwrap();
    assert_eq!(result.stop_reason.as_deref(), Some("end_turn"));
    assert_eq!(result.text, "Hello!");
}

/// An embedder's store: keeps turns in memory, or fails every write.
#[derive(Default)]
struct MemoryStore {
    turns: parking_lot::Mutex<Vec<Turn>>,
    failing: bool,
}

impl TurnStore for MemoryStore {
    fn name(&self) -> &str {
        "memory"
    }

    fn persist(&self, turn: Turn, _phase: &str) -> BoxFuture<'static, Result<(), StoreError>> {
        let result = if self.failing {
            Err(StoreError::Backend("disk full".into()))
        } else {
            self.turns.lock().push(turn);
            Ok(())
        };
        Box::pin(async move { result })
    }

    fn list(&self, _query: TurnQuery) -> BoxFuture<'static, Result<Vec<TurnSnapshot>, StoreError>> {
        Box::pin(async { Ok(Vec::new()) })
    }

    fn load_latest(
        &self,
        _query: TurnQuery,
    ) -> BoxFuture<'static, Result<Option<TurnSnapshot>, StoreError>> {
        Box::pin(async { Ok(None) })
    }

    fn close(&self) {}
}

#[tokio::test]
async fn runs_persist_successes_and_report_store_failures() {
    for failing in [false, true] {
        let store = Arc::new(MemoryStore {
            failing,
            ..MemoryStore::default()
        });
        let agent = Arc::new(AgentConfig::new(Arc::new(EchoEngine::new("ok"))));
        let session = AgentSession::new(
            agent,
            SessionSpec {
                store: Some(store.clone()),
                ..SessionSpec::default()
            },
        );
        let (result, events) = run(&session, "hi", 0).await;
        let result = result.unwrap();
        assert_eq!(session.turn_count(), 1, "the run succeeds either way");
        let report = result.persistence.unwrap();
        assert_eq!(report.store, "memory");
        if failing {
            assert_eq!(report.error.as_deref(), Some("disk full"));
            let log = &events[events.len() - 2];
            assert_eq!(log.kind.type_name(), "log");
            assert!(
                matches!(&log.kind, AgentEventKind::Log { message, .. } if message == "turn store persist failed")
            );
        } else {
            assert_eq!(report.error, None);
            assert_eq!(
                store.turns.lock().as_slice(),
                std::slice::from_ref(&result.output)
            );
        }
    }
}
