//! Tool loop tests: a scripted engine, test tools and hooks with canned decisions.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures_util::future::BoxFuture;
use parking_lot::Mutex;
use serde_json::{Value, json};

use super::*;
use crate::inference::engine::{Engine, ToolDefinition};
use crate::inference::event::{CollectingSink, EventKind};
use crate::inference::hooks::{
    AfterDecision, AfterToolCallPayload, BeforeDecision, BeforeToolCallPayload, CallRewrite,
    HookPhase, HookPolicy, ToolErrorDecision, ToolErrorPayload,
};
use crate::inference::middleware::chain;
use crate::inference::tools::{Tool, ToolContext, default_host_tools};
use crate::inference::turn::{Block, BlockKind};

/// Each step appends the next scripted block list; past the script it answers "done".
struct Scripted {
    steps: Mutex<Vec<Vec<Block>>>,
    seen_tools: Mutex<Vec<Vec<String>>>,
}

impl Scripted {
    fn new(steps: Vec<Vec<Block>>) -> Arc<Scripted> {
        let mut steps = steps;
        steps.reverse();
        Arc::new(Scripted {
            steps: Mutex::new(steps),
            seen_tools: Mutex::new(Vec::new()),
        })
    }
}

impl Engine for Scripted {
    fn name(&self) -> &str {
        "scripted"
    }

    fn run_inference<'a>(
        &'a self,
        ctx: &'a RunContext,
        mut turn: Turn,
    ) -> BoxFuture<'a, Result<Turn, InferenceError>> {
        Box::pin(async move {
            let offered = ctx
                .tools
                .as_ref()
                .map(|tools| tools.definitions.iter().map(|d| d.name.clone()).collect())
                .unwrap_or_default();
            self.seen_tools.lock().push(offered);
            let step = self
                .steps
                .lock()
                .pop()
                .unwrap_or_else(|| vec![Block::assistant("done")]);
            turn.blocks.extend(step);
            Ok(turn)
        })
    }
}

/// Always asks for one more tool call.
struct Insatiable;

impl Engine for Insatiable {
    fn name(&self) -> &str {
        "insatiable"
    }

    fn run_inference<'a>(
        &'a self,
        _ctx: &'a RunContext,
        turn: Turn,
    ) -> BoxFuture<'a, Result<Turn, InferenceError>> {
        let id = format!("c{}", turn.blocks.len());
        Box::pin(
            async move { Ok(turn.with_block(Block::tool_call(id, "go_double", json!({"n": 1})))) },
        )
    }
}

/// What a [`TestTool`] does.
#[derive(Clone)]
enum Behavior {
    /// Sleeps, logs its name, returns the value.
    Sleep(u64, Value),
    /// Fails the first `n` calls, then returns `"ok"`.
    FailTimes(usize),
    /// Waits for its token; records that it fired.
    Hang,
}

struct TestTool {
    definition: ToolDefinition,
    behavior: Behavior,
    calls: Arc<AtomicUsize>,
    log: Arc<Mutex<Vec<String>>>,
}

impl TestTool {
    fn new(name: &str, behavior: Behavior, log: &Arc<Mutex<Vec<String>>>) -> Arc<TestTool> {
        Arc::new(TestTool {
            definition: ToolDefinition {
                name: name.into(),
                description: String::new(),
                parameters: json!({"type": "object"}),
            },
            behavior,
            calls: Arc::new(AtomicUsize::new(0)),
            log: Arc::clone(log),
        })
    }
}

impl Tool for TestTool {
    fn definition(&self) -> &ToolDefinition {
        &self.definition
    }

    fn call(&self, _args: Value, ctx: ToolContext) -> BoxFuture<'static, Result<Value, String>> {
        let call = self.calls.fetch_add(1, Ordering::SeqCst);
        let behavior = self.behavior.clone();
        let log = Arc::clone(&self.log);
        let name = self.definition.name.clone();
        Box::pin(async move {
            match behavior {
                Behavior::Sleep(ms, value) => {
                    tokio::time::sleep(Duration::from_millis(ms)).await;
                    log.lock().push(name);
                    Ok(value)
                }
                Behavior::FailTimes(n) if call < n => Err(format!("flaky {call}")),
                Behavior::FailTimes(_) => Ok(json!("ok")),
                Behavior::Hang => {
                    ctx.cancel.cancelled().await;
                    log.lock().push(format!("{name} canceled"));
                    Err("canceled".into())
                }
            }
        })
    }
}

/// Hooks answering fixed JSON values (as JS hooks would), or failing with a message.
/// A payload a test hook was called with.
#[derive(Debug, Clone)]
enum Seen {
    Before(BeforeToolCallPayload),
    After(AfterToolCallPayload),
    OnError(ToolErrorPayload),
}

/// Hooks answering canned decisions (or failures) and recording their payloads.
#[derive(Default)]
struct CannedHooks {
    before: Option<Result<BeforeDecision, String>>,
    after: Option<Result<AfterDecision, String>>,
    on_error: Option<Result<ToolErrorDecision, String>>,
    policy: HookPolicy,
    seen: Mutex<Vec<Seen>>,
}

impl ToolHooks for CannedHooks {
    fn handles(&self, phase: HookPhase) -> bool {
        match phase {
            HookPhase::BeforeToolCall => self.before.is_some(),
            HookPhase::AfterToolCall => self.after.is_some(),
            HookPhase::OnToolError => self.on_error.is_some(),
        }
    }

    fn policy(&self) -> HookPolicy {
        self.policy
    }

    fn before_tool_call(
        &self,
        payload: BeforeToolCallPayload,
    ) -> BoxFuture<'static, Result<BeforeDecision, String>> {
        self.seen.lock().push(Seen::Before(payload));
        let answer = self.before.clone().unwrap_or(Ok(BeforeDecision::Continue));
        Box::pin(async move { answer })
    }

    fn after_tool_call(
        &self,
        payload: AfterToolCallPayload,
    ) -> BoxFuture<'static, Result<AfterDecision, String>> {
        self.seen.lock().push(Seen::After(payload));
        let answer = self.after.clone().unwrap_or(Ok(AfterDecision::default()));
        Box::pin(async move { answer })
    }

    fn on_tool_error(
        &self,
        payload: ToolErrorPayload,
    ) -> BoxFuture<'static, Result<ToolErrorDecision, String>> {
        self.seen.lock().push(Seen::OnError(payload));
        let answer = self
            .on_error
            .clone()
            .unwrap_or(Ok(ToolErrorDecision::Default));
        Box::pin(async move { answer })
    }
}

fn call_step(calls: &[(&str, &str, Value)]) -> Vec<Block> {
    calls
        .iter()
        .map(|(id, name, args)| Block::tool_call(*id, *name, args.clone()))
        .collect()
}

fn seed() -> Turn {
    Turn::new().with_block(Block::user("go"))
}

/// `(id, result, error)` of every tool_use block.
fn tool_uses(turn: &Turn) -> Vec<(String, Value, String)> {
    turn.blocks
        .iter()
        .filter(|block| block.kind == BlockKind::ToolUse)
        .map(|block| {
            (
                block.payload_str("id").unwrap_or_default().to_string(),
                block.payload["result"].clone(),
                block.payload_str("error").unwrap_or_default().to_string(),
            )
        })
        .collect()
}

async fn run_loop(
    engine: Arc<dyn Engine>,
    tool_loop: &ToolLoop,
    ctx: &RunContext,
) -> Result<Turn, InferenceError> {
    tool_loop.run(ctx, &chain(&[], engine), seed()).await
}

#[tokio::test]
async fn executes_host_tools_and_appends_results() {
    let engine = Scripted::new(vec![call_step(&[
        ("c1", "go_double", json!({"n": 21})),
        ("c2", "go_concat", json!("{\"a\":\"x\",\"b\":\"y\"}")),
    ])]);
    let sink = CollectingSink::new();
    let mut ctx = RunContext::detached();
    ctx.sink = Arc::new(sink.clone());
    let out = run_loop(engine.clone(), &ToolLoop::new(default_host_tools()), &ctx)
        .await
        .unwrap();
    assert_eq!(
        tool_uses(&out),
        [
            ("c1".into(), json!("{\"value\":42}"), String::new()),
            ("c2".into(), json!("{\"value\":\"xy\"}"), String::new()),
        ]
    );
    assert_eq!(out.last_assistant_text(), Some("done"));
    assert_eq!(out.data[TOOL_CONFIG_KEY]["max_iterations"], 5);
    assert_eq!(engine.seen_tools.lock()[0], ["go_double", "go_concat"]);
    let events: Vec<EventKind> = sink.events().into_iter().map(|event| event.kind).collect();
    assert_eq!(
        events,
        [
            EventKind::ToolCallExecute {
                id: "c1".into(),
                name: "go_double".into(),
                input: "{\"n\":21}".into()
            },
            EventKind::ToolCallExecutionResult {
                id: "c1".into(),
                result: "{\"value\":42}".into()
            },
            EventKind::ToolCallExecute {
                id: "c2".into(),
                name: "go_concat".into(),
                input: "{\"a\":\"x\",\"b\":\"y\"}".into()
            },
            EventKind::ToolCallExecutionResult {
                id: "c2".into(),
                result: "{\"value\":\"xy\"}".into()
            },
        ]
    );
}

#[tokio::test]
async fn tool_errors_are_recorded_and_the_loop_goes_on() {
    let engine = Scripted::new(vec![call_step(&[
        ("c1", "nope", json!({})),
        ("c2", "go_concat", json!({})),
        ("c3", "go_double", json!({"n": "x"})),
    ])]);
    let mut tool_loop = ToolLoop::new(default_host_tools());
    tool_loop.settings.allowed_tools = Some(vec!["go_double".into(), "nope".into()]);
    let out = run_loop(engine.clone(), &tool_loop, &RunContext::detached())
        .await
        .unwrap();
    let errors: Vec<String> = tool_uses(&out)
        .into_iter()
        .map(|(_, _, error)| error)
        .collect();
    assert_eq!(
        errors,
        [
            "tool not found: nope",
            "tool not allowed: go_concat",
            "invalid arguments for go_double: invalid type: string \"x\", expected i64",
        ]
    );
    assert!(
        tool_uses(&out)
            .iter()
            .all(|(_, result, _)| result.is_null())
    );
    assert_eq!(engine.seen_tools.lock()[0], ["go_double"]);
}

#[tokio::test]
async fn abort_handling_fails_the_run_on_the_first_tool_error() {
    let engine = Scripted::new(vec![call_step(&[
        ("c1", "go_double", json!({"n": 1})),
        ("c2", "nope", json!({})),
    ])]);
    let mut tool_loop = ToolLoop::new(default_host_tools());
    tool_loop.settings.tool_error_handling = ToolErrorHandling::Abort;
    let error = run_loop(engine, &tool_loop, &RunContext::detached())
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "tool execution aborted due to error in nope: tool not found: nope"
    );
}

#[tokio::test]
async fn max_iterations_reached() {
    let mut tool_loop = ToolLoop::new(default_host_tools());
    tool_loop.settings.max_iterations = 2;
    let error = run_loop(Arc::new(Insatiable), &tool_loop, &RunContext::detached())
        .await
        .unwrap_err();
    assert_eq!(error.to_string(), "max iterations (2) reached");
}

#[tokio::test(start_paused = true)]
async fn parallel_calls_finish_in_any_order_but_results_keep_call_order() {
    let log = Arc::new(Mutex::new(Vec::new()));
    let registry = ToolRegistry::new();
    registry.register(TestTool::new(
        "slow",
        Behavior::Sleep(200, json!("s")),
        &log,
    ));
    registry.register(TestTool::new("fast", Behavior::Sleep(10, json!("f")), &log));
    let steps = || {
        Scripted::new(vec![call_step(&[
            ("c1", "slow", json!({})),
            ("c2", "fast", json!({})),
        ])])
    };
    let mut tool_loop = ToolLoop::new(registry);
    tool_loop.settings.max_parallel_tools = 2;
    let out = run_loop(steps(), &tool_loop, &RunContext::detached())
        .await
        .unwrap();
    assert_eq!(*log.lock(), ["fast", "slow"]);
    let ids: Vec<String> = tool_uses(&out).into_iter().map(|(id, _, _)| id).collect();
    assert_eq!(ids, ["c1", "c2"]);

    log.lock().clear();
    tool_loop.settings.max_parallel_tools = 1;
    run_loop(steps(), &tool_loop, &RunContext::detached())
        .await
        .unwrap();
    assert_eq!(*log.lock(), ["slow", "fast"]);
}

#[tokio::test(start_paused = true)]
async fn execution_timeout_fails_the_call_and_fires_its_token() {
    let log = Arc::new(Mutex::new(Vec::new()));
    let registry = ToolRegistry::new();
    registry.register(TestTool::new("stuck", Behavior::Hang, &log));
    let mut tool_loop = ToolLoop::new(registry);
    tool_loop.settings.execution_timeout_ms = 100;
    let engine = Scripted::new(vec![call_step(&[("c1", "stuck", json!({}))])]);
    let ctx = RunContext::detached();
    let out = run_loop(engine, &tool_loop, &ctx).await.unwrap();
    assert_eq!(tool_uses(&out)[0].2, "tool stuck timed out after 100 ms");
    // The attempt's own token fired, not the run's.
    tokio::task::yield_now().await;
    assert!(!ctx.cancel.is_cancelled());
}

#[tokio::test(start_paused = true)]
async fn retry_handling_retries_with_backoff() {
    let log = Arc::new(Mutex::new(Vec::new()));
    let cases = [
        (ToolErrorHandling::Retry, 2, "", 3),
        (ToolErrorHandling::Retry, 3, "flaky 2", 3),
        (ToolErrorHandling::Continue, 1, "flaky 0", 1),
    ];
    for (handling, failures, expected_error, expected_calls) in cases {
        let tool = TestTool::new("flaky", Behavior::FailTimes(failures), &log);
        let registry = ToolRegistry::new();
        registry.register(tool.clone());
        let mut tool_loop = ToolLoop::new(registry);
        tool_loop.settings.tool_error_handling = handling;
        let engine = Scripted::new(vec![call_step(&[("c1", "flaky", json!({}))])]);
        let started = tokio::time::Instant::now();
        let out = run_loop(engine, &tool_loop, &RunContext::detached())
            .await
            .unwrap();
        assert_eq!(
            tool_uses(&out)[0].2,
            expected_error,
            "{handling:?} {failures}"
        );
        assert_eq!(tool.calls.load(Ordering::SeqCst), expected_calls);
        if handling == ToolErrorHandling::Retry {
            // 1000 ms, then 2000 ms of backoff.
            assert!(started.elapsed() >= Duration::from_millis(3000));
        }
    }
}

fn hooks(configure: impl FnOnce(&mut CannedHooks)) -> Arc<CannedHooks> {
    let mut hooks = CannedHooks::default();
    configure(&mut hooks);
    Arc::new(hooks)
}

/// Runs one `go_double {n: 21}` call (id c1) under `hooks` with `handling`; returns the tool_use
/// `(result, error)` or the run's error.
async fn run_with_hooks(
    hooks: Arc<CannedHooks>,
    handling: ToolErrorHandling,
) -> Result<(Value, String), String> {
    let engine = Scripted::new(vec![call_step(&[("c1", "go_double", json!({"n": 21}))])]);
    let mut tool_loop = ToolLoop::new(default_host_tools());
    tool_loop.settings.tool_error_handling = handling;
    tool_loop.hooks = Some(hooks);
    let out = run_loop(engine, &tool_loop, &RunContext::detached())
        .await
        .map_err(|error| error.to_string())?;
    let (_, result, error) = tool_uses(&out).remove(0);
    Ok((result, error))
}

/// `(name, hooks, toolErrorHandling, expected)` of [`hook_table`].
type HookCase = (
    &'static str,
    Arc<CannedHooks>,
    ToolErrorHandling,
    Result<(Value, String), String>,
);

#[tokio::test]
async fn hook_table() {
    use ToolErrorHandling::{Abort, Continue};
    let ok = |text: &str| Ok((json!(text), String::new()));
    let failed = |error: &str| Ok((Value::Null, error.to_string()));
    let open = HookPolicy {
        fail_open: true,
        ..HookPolicy::default()
    };
    let rewrite = |name: Option<&str>, args: Option<Value>| {
        BeforeDecision::Rewrite(CallRewrite {
            id: None,
            name: name.map(str::to_string),
            args,
        })
    };
    let abort = |error: &str| BeforeDecision::Abort {
        error: error.to_string(),
    };
    let cases: Vec<HookCase> = vec![
        (
            "no answer",
            hooks(|h| h.before = Some(Ok(BeforeDecision::Continue))),
            Continue,
            ok("{\"value\":42}"),
        ),
        (
            "rewrite args",
            hooks(|h| h.before = Some(Ok(rewrite(None, Some(json!({"n": 1})))))),
            Continue,
            ok("{\"value\":2}"),
        ),
        (
            "rewrite tool",
            hooks(|h| {
                h.before = Some(Ok(rewrite(
                    Some("go_concat"),
                    Some(json!({"a": "p", "b": "q"})),
                )))
            }),
            Continue,
            ok("{\"value\":\"pq\"}"),
        ),
        (
            "before abort never fails the run",
            hooks(|h| h.before = Some(Ok(abort("aborted by beforeToolCall")))),
            Abort,
            failed("aborted by beforeToolCall"),
        ),
        (
            "before abort with error",
            hooks(|h| h.before = Some(Ok(abort("denied")))),
            Continue,
            failed("denied"),
        ),
        (
            "before fails closed",
            hooks(|h| h.before = Some(Err("boom".into()))),
            Continue,
            failed("beforeToolCall hook: boom"),
        ),
        (
            "before fails open",
            hooks(|h| {
                h.before = Some(Err("boom".into()));
                h.policy = open;
            }),
            Continue,
            ok("{\"value\":42}"),
        ),
        (
            "after replaces result",
            hooks(|h| {
                h.after = Some(Ok(AfterDecision {
                    result: Some(json!({"value": 0})),
                    ..AfterDecision::default()
                }))
            }),
            Continue,
            ok("{\"value\":0}"),
        ),
        (
            "after abort never fails the run",
            hooks(|h| {
                h.after = Some(Ok(AfterDecision {
                    error: Some("aborted by afterToolCall".into()),
                    aborted: true,
                    ..AfterDecision::default()
                }))
            }),
            Abort,
            failed("aborted by afterToolCall"),
        ),
        (
            "after sets error",
            hooks(|h| {
                h.after = Some(Ok(AfterDecision {
                    error: Some("bad".into()),
                    ..AfterDecision::default()
                }))
            }),
            Continue,
            failed("bad"),
        ),
        (
            "after fails closed",
            hooks(|h| h.after = Some(Err("oops".into()))),
            Continue,
            failed("afterToolCall hook: oops"),
        ),
        (
            "fail-closed hook error is a tool error",
            hooks(|h| h.before = Some(Err("boom".into()))),
            Abort,
            Err(
                "tool execution aborted due to error in go_double: beforeToolCall hook: boom"
                    .into(),
            ),
        ),
    ];
    for (name, hooks, handling, expected) in cases {
        assert_eq!(
            run_with_hooks(hooks, handling).await,
            expected,
            "case {name}"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn on_tool_error_decides_retries() {
    let log = Arc::new(Mutex::new(Vec::new()));
    let cases = [
        (
            "retry",
            Ok(ToolErrorDecision::Retry {
                backoff_ms: Some(0),
            }),
            HookPolicy::default(),
            3,
            "",
        ),
        (
            "stop",
            Ok(ToolErrorDecision::Stop),
            HookPolicy::default(),
            1,
            "flaky 0",
        ),
        (
            "default",
            Ok(ToolErrorDecision::Default),
            HookPolicy::default(),
            1,
            "flaky 0",
        ),
        (
            "hook retry limit",
            Ok(ToolErrorDecision::Retry { backoff_ms: None }),
            HookPolicy {
                max_hook_retries: 1,
                ..HookPolicy::default()
            },
            2,
            "flaky 1",
        ),
        (
            "fail-closed stops with the hook's error",
            Err("bad".to_string()),
            HookPolicy::default(),
            1,
            "onToolError hook: bad",
        ),
    ];
    for (name, answer, policy, expected_calls, expected_error) in cases {
        let tool = TestTool::new("flaky", Behavior::FailTimes(2), &log);
        let registry = ToolRegistry::new();
        registry.register(tool.clone());
        let mut tool_loop = ToolLoop::new(registry);
        let hooks = hooks(|h| {
            h.on_error = Some(answer);
            h.policy = policy;
        });
        tool_loop.hooks = Some(hooks.clone());
        let engine = Scripted::new(vec![call_step(&[("c1", "flaky", json!({}))])]);
        let out = run_loop(engine, &tool_loop, &RunContext::detached())
            .await
            .unwrap();
        assert_eq!(tool_uses(&out)[0].2, expected_error, "case {name}");
        assert_eq!(
            tool.calls.load(Ordering::SeqCst),
            expected_calls,
            "case {name}"
        );
        let Seen::OnError(first) = hooks.seen.lock()[0].clone() else {
            panic!("case {name}: the first hook call is onToolError");
        };
        assert_eq!(first.attempt, 0);
        assert_eq!(first.error, "flaky 0");
        assert!(!first.default_retry);
    }
}

#[tokio::test]
async fn hook_payloads_carry_run_ids_and_tags() {
    let hooks = hooks(|h| {
        h.before = Some(Ok(BeforeDecision::Continue));
        h.after = Some(Ok(AfterDecision::default()));
    });
    let engine = Scripted::new(vec![call_step(&[("c1", "go_double", json!({"n": 2}))])]);
    let mut tool_loop = ToolLoop::new(default_host_tools());
    tool_loop.hooks = Some(hooks.clone());
    let mut ctx = RunContext::detached();
    ctx.tags = Some(json!({"team": "a"}));
    run_loop(engine, &tool_loop, &ctx).await.unwrap();
    let seen = hooks.seen.lock();
    assert_eq!(seen.len(), 2);
    let (before, after) = match (&seen[0], &seen[1]) {
        (Seen::Before(before), Seen::After(after)) => (before, after),
        other => panic!("expected before then after, got {other:?}"),
    };
    for (call, meta) in [(&before.call, &before.meta), (&after.call, &after.meta)] {
        assert_eq!(meta.session_id.as_deref(), Some(ctx.session_id.as_str()));
        assert_eq!(
            meta.inference_id.as_deref(),
            Some(ctx.inference_id.as_str())
        );
        assert_eq!(meta.tags, Some(json!({"team": "a"})));
        assert_eq!(
            (call.id.as_str(), call.name.as_str(), &call.args),
            ("c1", "go_double", &json!({"n": 2}))
        );
    }
    assert_eq!(after.value, json!({"value": 4}));
}
