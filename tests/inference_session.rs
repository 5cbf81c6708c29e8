//! A session driven from Rust only: a scripted engine that asks for a tool and then answers, a Rust
//! middleware, a host middleware, host tools, hooks, cancellation and timeouts.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use futures_util::future::BoxFuture;
use parking_lot::Mutex;
use serde_json::{Value, json};

use geppetto::inference::engine::ToolDefinition;
use geppetto::inference::event::CollectingSink;
use geppetto::inference::hooks::{BeforeDecision, BeforeToolCallPayload, CallRewrite, HookPhase};
use geppetto::inference::middlewares::host_middleware;
use geppetto::inference::tools::default_host_tools;
use geppetto::inference::{
    Block, BlockKind, Engine, EventKind, InferenceError, Middleware, Next, RunContext, RunOptions,
    Session, SessionConfig, Tool, ToolContext, ToolHooks, ToolLoopSettings, ToolRegistry, Turn,
};

/// First step: asks for `go_double {n: 20}`; once answered: says the tool's result.
struct ToolThenText;

impl Engine for ToolThenText {
    fn name(&self) -> &str {
        "tool-then-text"
    }

    fn run_inference<'a>(
        &'a self,
        ctx: &'a RunContext,
        turn: Turn,
    ) -> BoxFuture<'a, Result<Turn, InferenceError>> {
        Box::pin(async move {
            ctx.emit(EventKind::Start);
            let answer = turn
                .blocks
                .iter()
                .rev()
                .find(|block| block.kind == BlockKind::ToolUse)
                .map(|block| {
                    block.payload["result"]
                        .as_str()
                        .unwrap_or("null")
                        .to_string()
                });
            let turn = match answer {
                None => turn.with_block(Block::tool_call("call-1", "go_double", json!({"n": 20}))),
                Some(result) => {
                    ctx.emit(EventKind::Final {
                        text: result.clone(),
                    });
                    turn.with_block(Block::assistant(result))
                }
            };
            Ok(turn)
        })
    }
}

/// Waits until its run is cancelled.
struct Hang;

impl Engine for Hang {
    fn name(&self) -> &str {
        "hang"
    }

    fn run_inference<'a>(
        &'a self,
        ctx: &'a RunContext,
        _turn: Turn,
    ) -> BoxFuture<'a, Result<Turn, InferenceError>> {
        Box::pin(async move {
            ctx.cancel.cancelled().await;
            Err(ctx.cancellation_error())
        })
    }
}

/// Counts the steps it wraps and stamps the output's metadata.
#[derive(Default)]
struct Counting {
    steps: Arc<AtomicUsize>,
}

impl Middleware for Counting {
    fn name(&self) -> &str {
        "counting"
    }

    fn handle(
        &self,
        ctx: RunContext,
        turn: Turn,
        next: Next,
    ) -> BoxFuture<'static, Result<Turn, InferenceError>> {
        let steps = Arc::clone(&self.steps);
        Box::pin(async move {
            let step = steps.fetch_add(1, Ordering::SeqCst) + 1;
            let mut out = next.run(ctx, turn).await?;
            out.metadata.insert("steps".into(), json!(step));
            Ok(out)
        })
    }
}

/// Adds one to `n` before every call.
#[derive(Default)]
struct PlusOne {
    seen: Mutex<Vec<BeforeToolCallPayload>>,
}

impl ToolHooks for PlusOne {
    fn handles(&self, phase: HookPhase) -> bool {
        phase == HookPhase::BeforeToolCall
    }

    fn before_tool_call(
        &self,
        payload: BeforeToolCallPayload,
    ) -> BoxFuture<'static, Result<BeforeDecision, String>> {
        let n = payload.call.args["n"].as_i64().unwrap_or_default();
        self.seen.lock().push(payload);
        let decision = BeforeDecision::Rewrite(CallRewrite {
            args: Some(json!({"n": n + 1})),
            ..CallRewrite::default()
        });
        Box::pin(async move { Ok(decision) })
    }
}

/// A tool that records its context and then waits for its token.
struct Recorder {
    definition: ToolDefinition,
    contexts: Arc<Mutex<Vec<ToolContext>>>,
}

impl Tool for Recorder {
    fn definition(&self) -> &ToolDefinition {
        &self.definition
    }

    fn call(&self, _args: Value, ctx: ToolContext) -> BoxFuture<'static, Result<Value, String>> {
        let contexts = Arc::clone(&self.contexts);
        Box::pin(async move {
            contexts.lock().push(ctx.clone());
            ctx.cancel.cancelled().await;
            Err("canceled".into())
        })
    }
}

fn seed(text: &str) -> Turn {
    Turn::new().with_block(Block::user(text))
}

fn tool_session(hooks: Option<Arc<dyn ToolHooks>>, steps: &Arc<AtomicUsize>) -> Session {
    let counting = Counting {
        steps: Arc::clone(steps),
    };
    let system = host_middleware("systemPrompt", Some(&json!({"prompt": "be exact"}))).unwrap();
    Session::new(SessionConfig {
        engine: Arc::new(ToolThenText),
        middlewares: vec![Arc::new(counting), system],
        tools: Some(default_host_tools()),
        tool_loop: Some(ToolLoopSettings::default()),
        hooks,
    })
}

#[tokio::test]
async fn tool_call_then_text_through_middlewares_and_host_tools() {
    let steps = Arc::new(AtomicUsize::new(0));
    let session = tool_session(None, &steps);
    let sink = CollectingSink::new();
    let options = RunOptions {
        sink: Arc::new(sink.clone()),
        tags: Some(json!({"suite": "integration"})),
        ..RunOptions::default()
    };
    let out = session.run(Some(seed("double 20")), options).await.unwrap();

    let kinds: Vec<BlockKind> = out.blocks.iter().map(|block| block.kind).collect();
    assert_eq!(
        kinds,
        [
            BlockKind::System,
            BlockKind::User,
            BlockKind::ToolCall,
            BlockKind::ToolUse,
            BlockKind::LlmText
        ]
    );
    assert_eq!(out.last_assistant_text(), Some("{\"value\":40}"));
    assert_eq!(steps.load(Ordering::SeqCst), 2);
    assert_eq!(out.metadata["steps"], json!(2));
    assert_eq!(out.metadata["session_id"], json!(session.id()));
    assert!(out.data.contains_key("tool_config"));
    assert_eq!(session.turn_count(), 1);
    assert_eq!(session.latest(), Some(out.clone()));

    let events = sink.events();
    let types: Vec<&str> = events.iter().map(|event| event.kind.type_name()).collect();
    assert_eq!(
        types,
        [
            "start",
            "tool-call-execute",
            "tool-call-execution-result",
            "start",
            "final"
        ]
    );
    let inference_id = out.metadata["inference_id"].as_str().unwrap();
    assert!(
        events
            .iter()
            .all(|event| event.session_id == session.id() && event.inference_id == inference_id)
    );
}

#[tokio::test]
async fn hooks_rewrite_the_call_and_see_the_run() {
    let steps = Arc::new(AtomicUsize::new(0));
    let hooks = Arc::new(PlusOne::default());
    let session = tool_session(Some(hooks.clone()), &steps);
    let options = RunOptions {
        tags: Some(json!({"k": "v"})),
        ..RunOptions::default()
    };
    let out = session.run(Some(seed("go")), options).await.unwrap();
    assert_eq!(out.last_assistant_text(), Some("{\"value\":42}"));
    let seen = hooks.seen.lock();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].meta.session_id.as_deref(), Some(session.id()));
    assert_eq!(
        seen[0].meta.inference_id.as_deref(),
        out.metadata["inference_id"].as_str()
    );
    assert_eq!(seen[0].meta.tags, Some(json!({"k": "v"})));
}

#[tokio::test]
async fn cancel_while_a_tool_runs() {
    let contexts = Arc::new(Mutex::new(Vec::new()));
    let registry = ToolRegistry::new();
    registry.register(Arc::new(Recorder {
        definition: ToolDefinition {
            name: "go_double".into(),
            description: "records".into(),
            parameters: json!({"type": "object"}),
        },
        contexts: Arc::clone(&contexts),
    }));
    let session = Session::new(SessionConfig {
        tools: Some(registry),
        ..SessionConfig::new(Arc::new(ToolThenText))
    });
    let options = RunOptions {
        run_id: Some("run-1".into()),
        tags: Some(json!({"t": 1})),
        ..RunOptions::default()
    };
    let prepared = session.prepare_run(Some(seed("go")), options).unwrap();
    assert_eq!(prepared.run_id(), "run-1");
    assert_eq!(prepared.session_id(), session.id());
    let inference_id = prepared.inference_id().to_string();
    let cancel = prepared.cancel_token();
    let running = tokio::spawn(prepared.execute());
    // Wait until the tool runs, without sleeping on a clock.
    while contexts.lock().is_empty() {
        tokio::task::yield_now().await;
    }
    assert!(session.is_running());
    cancel.cancel();
    assert_eq!(running.await.unwrap(), Err(InferenceError::Canceled));
    assert!(!session.is_running());

    let contexts = contexts.lock();
    let tool_ctx = &contexts[0];
    assert!(tool_ctx.cancel.is_cancelled());
    assert_eq!(tool_ctx.call_id.as_deref(), Some("call-1"));
    assert_eq!(tool_ctx.call_name.as_deref(), Some("go_double"));
    assert_eq!(
        tool_ctx.inference_id.as_deref(),
        Some(inference_id.as_str())
    );
    assert_eq!(tool_ctx.tags, Some(json!({"t": 1})));
    assert_eq!(tool_ctx.deadline_ms, None);

    // History as before the run, plus the seed.
    assert_eq!(session.turn_count(), 1);
    assert_eq!(session.latest().unwrap().blocks.len(), 1);
}

#[tokio::test]
async fn cancel_active_and_one_run_at_a_time() {
    let session = Session::new(SessionConfig::new(Arc::new(Hang)));
    let running = tokio::spawn(session.run(Some(seed("a")), RunOptions::default()));
    let second = session.run(Some(seed("b")), RunOptions::default()).await;
    assert_eq!(
        second.unwrap_err().to_string(),
        "session already has an active inference"
    );
    session.cancel_active().unwrap();
    let error = running.await.unwrap().unwrap_err();
    assert!(error.to_string().contains("canceled"));
    assert_eq!(
        session.cancel_active().unwrap_err().to_string(),
        "session has no active inference"
    );
}

#[tokio::test(start_paused = true)]
async fn timeout_cancels_the_run_and_sets_the_deadline() {
    let session = Session::new(SessionConfig::new(Arc::new(Hang)));
    let options = RunOptions {
        timeout_ms: Some(250),
        ..RunOptions::default()
    };
    let prepared = session.prepare_run(Some(seed("a")), options).unwrap();
    assert!(prepared.context().deadline_ms.is_some());
    let error = prepared.execute().await.unwrap_err();
    assert_eq!(error, InferenceError::DeadlineExceeded);
    assert!(error.is_cancellation());
    assert!(!session.is_running());
    assert_eq!(session.turn_count(), 1);
}

#[tokio::test]
async fn disabled_tool_loop_runs_the_engine_once() {
    let session = Session::new(SessionConfig {
        tools: Some(default_host_tools()),
        tool_loop: Some(ToolLoopSettings {
            enabled: false,
            ..ToolLoopSettings::default()
        }),
        ..SessionConfig::new(Arc::new(ToolThenText))
    });
    let out = session
        .run(Some(seed("go")), RunOptions::default())
        .await
        .unwrap();
    assert_eq!(out.blocks.last().unwrap().kind, BlockKind::ToolCall);
    assert!(!out.data.contains_key("tool_config"));
}
