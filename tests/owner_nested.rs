//! Nested pumping (spec rule 3): a native function JS calls blocks on tokio work with
//! `owner::local::block_on`, and that work calls back into the same owner, which keeps serving its
//! mailbox meanwhile. Also the nesting limit.

mod common;

use common::{DoomedCall, bounded};

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use geppetto::owner::{self, Owner, OwnerError, OwnerHandle, OwnerOptions};
use parking_lot::Mutex;
use rquickjs::{Ctx, Exception, Function};

/// The handle of the owner of this thread (native functions must not hold a strong handle in
/// the runtime, or the owner could never stop by dropping its handles).
fn this_owner<'js>(ctx: &Ctx<'js>) -> rquickjs::Result<OwnerHandle> {
    owner::local::weak_handle()
        .and_then(|weak| weak.upgrade())
        .ok_or_else(|| Exception::throw_message(ctx, "not on a live owner thread"))
}

fn throw<'js>(ctx: &Ctx<'js>, error: &OwnerError) -> rquickjs::Error {
    Exception::throw_message(ctx, &error.to_string())
}

/// `roundTrip(n)`: blocks on a tokio task that calls back into this owner to compute `n * 2` in JS.
fn install_round_trip<'js>(ctx: &Ctx<'js>) -> rquickjs::Result<()> {
    let function = Function::new(
        ctx.clone(),
        |ctx: Ctx<'js>, n: i32| -> rquickjs::Result<i32> {
            let handle = this_owner(&ctx)?;
            assert!(handle.is_owner_thread());
            let work = async move {
                assert!(!handle.is_owner_thread());
                handle
                    .call("double", move |ctx| ctx.eval::<i32, _>(format!("{n} * 2")))
                    .await
            };
            match owner::local::block_on(&ctx, "round-trip", work) {
                Ok(Ok(value)) => Ok(value),
                Ok(Err(error)) | Err(error) => Err(throw(&ctx, &error)),
            }
        },
    )?;
    ctx.globals().set("roundTrip", function)
}

/// `nativeNest(n)`: blocks on a tokio task that calls back into this owner to evaluate `nest(n)`,
/// which calls `nativeNest(n - 1)` again: each level nests one pump deeper. Errors from
/// `block_on` are recorded in `errors` and thrown to JS.
fn install_nest<'js>(ctx: &Ctx<'js>, errors: Arc<Mutex<Vec<OwnerError>>>) -> rquickjs::Result<()> {
    let function = Function::new(
        ctx.clone(),
        move |ctx: Ctx<'js>, n: i32| -> rquickjs::Result<i32> {
            let handle = this_owner(&ctx)?;
            let work = async move {
                handle
                    .call("nest", move |ctx| ctx.eval::<i32, _>(format!("nest({n})")))
                    .await
            };
            match owner::local::block_on(&ctx, "native-nest", work) {
                Ok(Ok(value)) => Ok(value),
                Ok(Err(error)) => Err(throw(&ctx, &error)),
                Err(error) => {
                    errors.lock().push(error.clone());
                    Err(throw(&ctx, &error))
                }
            }
        },
    )?;
    ctx.globals().set("nativeNest", function)?;
    ctx.eval::<(), _>("function nest(n) { return n <= 0 ? 0 : 1 + nativeNest(n - 1); }")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousand_nested_callbacks_complete() {
    let owner = Owner::spawn(OwnerOptions {
        name: "nested".into(),
        setup_context: Some(Box::new(install_round_trip)),
        ..OwnerOptions::default()
    })
    .unwrap();
    let sum = bounded(
        "1,000 nested round trips",
        owner.call("loop", |ctx| {
            ctx.eval::<i64, _>(
                "let sum = 0; for (let i = 0; i < 1000; i++) { sum += roundTrip(i); } sum",
            )
        }),
    )
    .await;
    assert_eq!(sum, Ok(999_000));
    let stats = owner.stats();
    assert_eq!(stats.per_op.get("double"), Some(&1000));
    // Still serving normally afterwards.
    assert_eq!(
        bounded("after", owner.call("after", |ctx| ctx.eval::<i32, _>("1"))).await,
        Ok(1)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nesting_within_limit_works_and_beyond_fails() {
    let errors = Arc::new(Mutex::new(Vec::new()));
    let recorded = errors.clone();
    let owner = Owner::spawn(OwnerOptions {
        name: "nest".into(),
        max_nesting: 3,
        setup_context: Some(Box::new(move |ctx| install_nest(ctx, recorded))),
        ..OwnerOptions::default()
    })
    .unwrap();

    // Three levels of nested pumping fit the limit.
    let within = bounded(
        "nest(3)",
        owner.call("outer", |ctx| ctx.eval::<i32, _>("nest(3)")),
    )
    .await;
    assert_eq!(within, Ok(3));
    assert!(errors.lock().is_empty());

    // Ten do not: the fourth nested block_on fails with NestingTooDeep, which reaches the
    // outer caller as a JS exception naming it.
    let beyond = bounded(
        "nest(10)",
        owner.call("outer", |ctx| ctx.eval::<i32, _>("nest(10)")),
    )
    .await;
    match &beyond {
        Err(OwnerError::Js { op, message, .. }) => {
            assert_eq!(*op, "outer");
            assert!(message.contains("nesting too deep (limit 3)"), "{message}");
        }
        other => panic!("expected a Js error from nest(10), got {other:?}"),
    }
    {
        let errors = errors.lock();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(
            matches!(
                &errors[0],
                OwnerError::NestingTooDeep {
                    op: "native-nest",
                    limit: 3,
                    ..
                }
            ),
            "{:?}",
            errors[0]
        );
    }

    // Nothing is left behind: the owner goes idle and serves again.
    bounded("idle", owner.wait_idle()).await.unwrap();
    assert_eq!(
        bounded(
            "again",
            owner.call("outer", |ctx| ctx.eval::<i32, _>("nest(2)"))
        )
        .await,
        Ok(2)
    );
}

/// `sideEffect()`: block_on with a future that only counts that it ran.
fn install_side_effect<'js>(ctx: &Ctx<'js>, started: Arc<AtomicUsize>) -> rquickjs::Result<()> {
    let function = Function::new(ctx.clone(), move |ctx: Ctx<'js>| -> rquickjs::Result<()> {
        let started = started.clone();
        let work = async move {
            started.fetch_add(1, Ordering::SeqCst);
        };
        owner::local::block_on(&ctx, "side-effect", work).map_err(|error| throw(&ctx, &error))
    })?;
    ctx.globals().set("sideEffect", function)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nesting_too_deep_never_starts_the_work() {
    // With max_nesting 0 every block_on is beyond the limit: it must fail without starting the
    // future (the caller is told the operation failed; its side effects must not happen).
    let started = Arc::new(AtomicUsize::new(0));
    let counter = started.clone();
    let owner = Owner::spawn(OwnerOptions {
        name: "no-nest".into(),
        max_nesting: 0,
        setup_context: Some(Box::new(move |ctx| install_side_effect(ctx, counter))),
        ..OwnerOptions::default()
    })
    .unwrap();
    let failures = bounded(
        "attempts",
        owner.call("attempts", |ctx| {
            ctx.eval::<i32, _>(
                "let failed = 0;
                 for (let i = 0; i < 200; i++) {
                   try { sideEffect(); } catch (e) {
                     if (String(e.message).includes('nesting too deep (limit 0)')) failed++;
                   }
                 }
                 failed",
            )
        }),
    )
    .await;
    assert_eq!(failures, Ok(200));
    // Give any wrongly started task time to run before checking it never did.
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(
        started.load(Ordering::SeqCst),
        0,
        "block_on started work it then reported as failed"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn block_on_off_the_owner_thread_is_an_error() {
    // owner::local functions are for owner threads only; elsewhere they fail cleanly.
    let owner = Owner::spawn(OwnerOptions::default()).unwrap();
    let result = std::thread::spawn(|| {
        let runtime = rquickjs::Runtime::new().unwrap();
        let context = rquickjs::Context::full(&runtime).unwrap();
        context.with(|ctx| owner::local::block_on(&ctx, "stray", async { 1 }).map(|_| ()))
    })
    .join()
    .unwrap();
    assert!(
        matches!(result, Err(OwnerError::Closed { op: "stray", .. })),
        "{result:?}"
    );
    assert!(owner::local::weak_handle().is_none());
    assert!(!owner.is_owner_thread());
}

/// `waitForever()`: nested pumping on a future that never completes.
fn install_wait_forever<'js>(ctx: &Ctx<'js>) -> rquickjs::Result<()> {
    let function = Function::new(ctx.clone(), |ctx: Ctx<'js>| -> rquickjs::Result<()> {
        owner::local::block_on(&ctx, "wait-forever", std::future::pending::<()>())
            .map_err(|error| throw(&ctx, &error))
    })?;
    ctx.globals().set("waitForever", function)
}

fn spawn_waiter(name: &str) -> OwnerHandle {
    Owner::spawn(OwnerOptions {
        name: name.into(),
        setup_context: Some(Box::new(install_wait_forever)),
        ..OwnerOptions::default()
    })
    .unwrap()
}

/// Starts `waitForever()` in a call with `options`; returns once the owner runs it.
async fn start_waiting(
    owner: &OwnerHandle,
    options: geppetto::owner::CallOptions,
) -> tokio::task::JoinHandle<Result<(), OwnerError>> {
    let (started_tx, started_rx) = tokio::sync::oneshot::channel();
    let task = tokio::spawn(owner.call_with(options, "waits", move |ctx| {
        let _ = started_tx.send(());
        ctx.eval::<(), _>("waitForever()")
    }));
    bounded("wait started", started_rx).await.unwrap();
    task
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nested_wait_ends_on_cancel_deadline_and_abort() {
    use geppetto::owner::{CallOptions, InterruptReason, ShutdownMode};
    use tokio_util::sync::CancellationToken;

    let owner = spawn_waiter("nested-stop");
    let token = CancellationToken::new();
    let waiting = start_waiting(
        &owner,
        CallOptions {
            cancel: Some(token.clone()),
            ..CallOptions::default()
        },
    )
    .await;
    // While it waits, the owner keeps serving other callers.
    assert_eq!(
        bounded(
            "served meanwhile",
            owner.call("other", |ctx| ctx.eval::<i32, _>("5"))
        )
        .await,
        Ok(5)
    );
    token.cancel();
    let cancelled = bounded("cancelled wait", waiting).await.unwrap();
    assert!(
        matches!(
            cancelled,
            Err(OwnerError::Interrupted {
                reason: InterruptReason::Canceled,
                ..
            })
        ),
        "{cancelled:?}"
    );

    // A deadline ends the nested wait too.
    let waiting = start_waiting(
        &owner,
        CallOptions {
            deadline: Some(std::time::Instant::now() + Duration::from_millis(50)),
            ..CallOptions::default()
        },
    )
    .await;
    let expired = bounded("deadline wait", waiting).await.unwrap();
    assert!(
        matches!(
            expired,
            Err(OwnerError::Interrupted {
                reason: InterruptReason::Deadline,
                ..
            })
        ),
        "{expired:?}"
    );
    bounded("idle", owner.wait_idle()).await.unwrap();

    // Abort ends it as well, and every queued caller is answered.
    let waiting = start_waiting(&owner, CallOptions::default()).await;
    let queued: Vec<_> = (0..10)
        .map(|_| tokio::spawn(owner.call("queued", |_ctx| Ok(()))))
        .collect();
    bounded("abort", owner.shutdown(ShutdownMode::Abort, None)).await;
    let answer = bounded("aborted wait", waiting).await.unwrap();
    assert!(answer.is_err(), "{answer:?}");
    for task in queued {
        let answer = bounded("queued", task).await.unwrap();
        assert!(
            matches!(answer, Ok(()) | Err(OwnerError::Closed { .. })),
            "{answer:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panic_unwinding_through_a_nested_wait_restores_the_owner_state() {
    let owner = spawn_waiter("nested-panic");
    let waiting = start_waiting(&owner, Default::default()).await;
    // Served by the nested wait, abandoned by its caller: the owner drops its result, which panics.
    DoomedCall::start(&owner).await.abandon().await;
    // The panic unwinds through the nested pump into `waitForever()`, whose native-function
    // boundary turns it into a JS exception: the waiting item fails as `Panicked`.
    let waited = bounded("waiting item", waiting).await.unwrap();
    assert!(
        matches!(&waited, Err(OwnerError::Panicked { op: "waits", message, .. }) if message.contains("nobody waiting")),
        "{waited:?}"
    );
    // The mid-turn count went back to zero: top-level work runs at once again.
    let ran_now = bounded(
        "top-level",
        owner.call("top-level", |ctx| {
            let ran = Arc::new(std::sync::atomic::AtomicBool::new(false));
            let flag = ran.clone();
            owner::local::run_at_top_level(
                ctx,
                Box::new(move |_ctx| flag.store(true, Ordering::SeqCst)),
            );
            Ok(ran.load(Ordering::SeqCst))
        }),
    )
    .await;
    assert_eq!(ran_now, Ok(true));
    // The nesting depth went back to zero: a new nested wait starts (and ends on its token)
    // instead of failing with `NestingTooDeep`.
    let token = tokio_util::sync::CancellationToken::new();
    let again = start_waiting(
        &owner,
        geppetto::owner::CallOptions {
            cancel: Some(token.clone()),
            ..Default::default()
        },
    )
    .await;
    token.cancel();
    let again = bounded("second wait", again).await.unwrap();
    assert!(
        matches!(again, Err(OwnerError::Interrupted { .. })),
        "{again:?}"
    );
    common::check_usable(&owner).await;
    owner
        .shutdown(geppetto::owner::ShutdownMode::Abort, None)
        .await;
}
