//! Lifecycle (spec rule 8) and backpressure (rule 9): abort, drain, calls after stop, states,
//! dropping the last handle, a full mailbox.

mod common;

use common::{DoomedCall, HANG, bounded, hold, wait_for_depth};

use std::cell::RefCell;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use geppetto::owner::{
    CallOptions, InterruptReason, Owner, OwnerError, OwnerHandle, OwnerOptions, OwnerState,
    ShutdownMode,
};
use tokio_util::sync::CancellationToken;

fn spawn(name: &str, mailbox_capacity: usize) -> OwnerHandle {
    Owner::spawn(OwnerOptions {
        name: name.into(),
        mailbox_capacity,
        ..OwnerOptions::default()
    })
    .unwrap()
}

/// The check of this area: a stopped owner answers every kind of request with `Closed`.
async fn check_closed(owner: &OwnerHandle) {
    assert_eq!(owner.state(), OwnerState::Stopped);
    let closed = |result: &Result<(), OwnerError>| matches!(result, Err(OwnerError::Closed { .. }));
    let call = bounded("call", owner.call("late", |_ctx| Ok(()))).await;
    assert!(closed(&call), "call: {call:?}");
    let post = bounded("post", owner.post("late", |_ctx| Ok(()))).await;
    assert!(closed(&post), "post: {post:?}");
    let try_post = owner.try_post("late", |_ctx| Ok(()));
    assert!(closed(&try_post), "try_post: {try_post:?}");
    let blocking_owner = owner.clone();
    let blocking = bounded(
        "call_blocking",
        tokio::task::spawn_blocking(move || blocking_owner.call_blocking("late", |_ctx| Ok(()))),
    )
    .await
    .unwrap();
    assert!(closed(&blocking), "call_blocking: {blocking:?}");
    let idle = bounded("wait_idle", owner.wait_idle()).await;
    assert!(closed(&idle), "wait_idle: {idle:?}");
    if let Err(error) = call {
        assert_eq!(
            error.to_string(),
            format!("owner {:?} op late: closed", owner.name())
        );
    }
    // Shutdown is idempotent.
    bounded("second shutdown", owner.shutdown(ShutdownMode::Abort, None)).await;
    bounded("third shutdown", owner.shutdown(ShutdownMode::Drain, None)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn abort_interrupts_running_js_and_answers_every_queued_caller() {
    let owner = spawn("abort", 1024);
    assert_eq!(owner.state(), OwnerState::Running);
    let (started_tx, started_rx) = tokio::sync::oneshot::channel();
    let runaway = tokio::spawn(owner.call("runaway", move |ctx| {
        let _ = started_tx.send(());
        ctx.eval::<(), _>("while (true) {}")
    }));
    bounded("runaway start", started_rx).await.unwrap();

    let ran = Arc::new(AtomicUsize::new(0));
    let mut queued = Vec::new();
    for i in 0..200 {
        let ran = ran.clone();
        queued.push(tokio::spawn(owner.call("queued", move |_ctx| {
            ran.fetch_add(1, Ordering::SeqCst);
            Ok(i)
        })));
    }
    wait_for_depth(&owner, 200).await;

    bounded("abort", owner.shutdown(ShutdownMode::Abort, None)).await;
    let result = bounded("runaway answer", runaway).await.unwrap();
    assert!(
        matches!(
            result,
            Err(OwnerError::Interrupted {
                reason: InterruptReason::Shutdown,
                ..
            })
        ),
        "{result:?}"
    );
    for task in queued {
        let answer = bounded("queued answer", task).await.unwrap();
        assert!(
            matches!(answer, Err(OwnerError::Closed { op: "queued", .. })),
            "{answer:?}"
        );
    }
    assert_eq!(ran.load(Ordering::SeqCst), 0, "aborted work must not run");
    check_closed(&owner).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn abort_behind_rust_work_answers_queued_callers_and_waiting_senders() {
    // A tiny mailbox: some callers wait for room when the abort comes.
    let owner = spawn("abort-rust", 4);
    let gate = hold(&owner).await;
    let mut callers = Vec::new();
    for i in 0..32u32 {
        callers.push(tokio::spawn(owner.call("queued", move |_ctx| Ok(i))));
    }
    wait_for_depth(&owner, 4).await;
    let shutdown = {
        let owner = owner.clone();
        tokio::spawn(async move { owner.shutdown(ShutdownMode::Abort, None).await })
    };
    bounded("stopping", async {
        while owner.state() == OwnerState::Running {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    })
    .await;
    drop(gate);
    bounded("abort", shutdown).await.unwrap();
    for caller in callers {
        let answer = bounded("caller answer", caller).await.unwrap();
        // Each caller is answered: either it ran before the abort or it got Closed.
        assert!(
            matches!(answer, Ok(_) | Err(OwnerError::Closed { .. })),
            "{answer:?}"
        );
    }
    check_closed(&owner).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drain_runs_queued_work_then_stops() {
    let owner = spawn("drain", 1024);
    let gate = hold(&owner).await;
    let ran = Arc::new(AtomicUsize::new(0));
    for _ in 0..100 {
        let ran = ran.clone();
        owner
            .post("queued", move |_ctx| {
                ran.fetch_add(1, Ordering::SeqCst);
                Ok(())
            })
            .await
            .unwrap();
    }
    let queued_call = tokio::spawn(owner.call("queued-call", |ctx| ctx.eval::<i32, _>("7")));
    wait_for_depth(&owner, 101).await;

    let shutdown = {
        let owner = owner.clone();
        tokio::spawn(async move { owner.shutdown(ShutdownMode::Drain, None).await })
    };
    bounded("stopping", async {
        while owner.state() != OwnerState::Stopping {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    })
    .await;
    // Stopping: no new work is accepted.
    let refused = bounded("post while stopping", owner.post("new", |_ctx| Ok(()))).await;
    assert!(
        matches!(refused, Err(OwnerError::Closed { op: "new", .. })),
        "{refused:?}"
    );
    assert_eq!(ran.load(Ordering::SeqCst), 0);

    gate.send(()).unwrap();
    bounded("drain", shutdown).await.unwrap();
    assert_eq!(
        ran.load(Ordering::SeqCst),
        100,
        "drain runs all queued work"
    );
    assert_eq!(bounded("queued call", queued_call).await.unwrap(), Ok(7));
    check_closed(&owner).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drain_past_its_deadline_becomes_abort() {
    let owner = spawn("drain-deadline", 1024);
    let (started_tx, started_rx) = tokio::sync::oneshot::channel();
    let runaway = tokio::spawn(owner.call("runaway", move |ctx| {
        let _ = started_tx.send(());
        ctx.eval::<(), _>("while (true) {}")
    }));
    bounded("runaway start", started_rx).await.unwrap();
    let queued = tokio::spawn(owner.call("queued", |_ctx| Ok(())));
    wait_for_depth(&owner, 1).await;
    bounded(
        "drain with deadline",
        owner.shutdown(
            ShutdownMode::Drain,
            Some(Instant::now() + Duration::from_millis(100)),
        ),
    )
    .await;
    let result = bounded("runaway", runaway).await.unwrap();
    assert!(
        matches!(
            result,
            Err(OwnerError::Interrupted {
                reason: InterruptReason::Shutdown,
                ..
            })
        ),
        "{result:?}"
    );
    let queued = bounded("queued", queued).await.unwrap();
    assert!(
        matches!(queued, Err(OwnerError::Closed { .. })),
        "{queued:?}"
    );
    check_closed(&owner).await;
}

thread_local! {
    /// Lives on the owner thread; its destructor runs when that thread exits.
    static THREAD_GUARD: RefCell<Option<(std::sync::mpsc::Sender<()>, Arc<()>)>> =
        const { RefCell::new(None) };
}

/// An owner whose thread holds `exit_tx` and a clone of `token` until it exits.
fn spawn_guarded(name: &str) -> (OwnerHandle, std::sync::mpsc::Receiver<()>, Arc<()>) {
    let (exit_tx, exit_rx) = std::sync::mpsc::channel();
    let token = Arc::new(());
    let held = token.clone();
    let owner = Owner::spawn(OwnerOptions {
        name: name.into(),
        setup_context: Some(Box::new(move |_ctx| {
            THREAD_GUARD.with(|guard| *guard.borrow_mut() = Some((exit_tx, held)));
            Ok(())
        })),
        ..OwnerOptions::default()
    })
    .unwrap();
    (owner, exit_rx, token)
}

#[test]
fn dropping_the_last_handle_drains_and_joins_the_thread() {
    // Plain test: no tokio runtime around (the owner uses its fallback runtime).
    let (owner, exit_rx, token) = spawn_guarded("dropped");
    let thread_name = owner
        .call_blocking("name", |_ctx| {
            Ok(std::thread::current().name().map(String::from))
        })
        .unwrap();
    assert_eq!(thread_name.as_deref(), Some("js-owner-dropped"));
    assert_eq!(Arc::strong_count(&token), 2);

    let ran = Arc::new(AtomicUsize::new(0));
    for _ in 0..100 {
        let ran = ran.clone();
        owner
            .try_post("queued", move |_ctx| {
                ran.fetch_add(1, Ordering::SeqCst);
                Ok(())
            })
            .unwrap();
    }
    let clone = owner.clone();
    let weak = owner.downgrade();
    drop(owner);
    assert_eq!(
        exit_rx.try_recv(),
        Err(std::sync::mpsc::TryRecvError::Empty),
        "a clone is alive"
    );
    drop(clone);
    // The drop returned only after the thread ended: its thread-locals are gone already.
    assert_eq!(
        exit_rx.try_recv(),
        Err(std::sync::mpsc::TryRecvError::Disconnected),
        "owner thread still running after the last handle was dropped"
    );
    assert_eq!(Arc::strong_count(&token), 1);
    assert_eq!(
        ran.load(Ordering::SeqCst),
        100,
        "queued work is drained on drop"
    );
    assert!(
        weak.upgrade().is_none(),
        "a weak handle does not keep the owner"
    );
}

#[test]
fn dropping_the_last_handle_on_the_owner_thread_stops_it() {
    let (owner, exit_rx, _token) = spawn_guarded("self-dropped");
    let last = owner.clone();
    let (dropped_tx, dropped_rx) = std::sync::mpsc::channel();
    owner.call_blocking("setup", |_ctx| Ok(())).unwrap();
    let gate = {
        let (gate_tx, gate_rx) = std::sync::mpsc::channel::<()>();
        owner
            .try_post("drop-last", move |_ctx| {
                let _ = gate_rx.recv_timeout(HANG);
                // The last handle dies on the owner thread: it must not join itself.
                drop(last);
                let _ = dropped_tx.send(());
                Ok(())
            })
            .unwrap();
        gate_tx
    };
    drop(owner);
    gate.send(()).unwrap();
    assert_eq!(dropped_rx.recv_timeout(HANG), Ok(()));
    assert_eq!(
        exit_rx.recv_timeout(HANG),
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected),
        "owner thread must exit after its last handle is dropped on it"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_serve_loop_still_stops_and_answers_everyone() {
    let owner = spawn("panicking", 64);
    let doomed = DoomedCall::start(&owner).await;
    let queued: Vec<_> = (0..3)
        .map(|_| {
            let owner = owner.clone();
            tokio::spawn(async move { owner.call("queued", |_ctx| Ok(())).await })
        })
        .collect();
    wait_for_depth(&owner, 3).await;
    doomed.abandon().await;
    for caller in queued {
        let answer = bounded("queued caller", caller).await.unwrap();
        assert!(
            matches!(answer, Err(OwnerError::Closed { op: "queued", .. })),
            "queued caller: {answer:?}"
        );
    }
    bounded("shutdown", owner.shutdown(ShutdownMode::Drain, None)).await;
    check_closed(&owner).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_mailbox_try_post_is_full_and_post_waits_cancellably() {
    let owner = spawn("full", 2);
    let gate = hold(&owner).await;
    let ran = Arc::new(AtomicUsize::new(0));
    let count = |ran: &Arc<AtomicUsize>| {
        let ran = ran.clone();
        move |_ctx: &rquickjs::Ctx<'_>| {
            ran.fetch_add(1, Ordering::SeqCst);
            Ok(())
        }
    };
    owner.try_post("fill", count(&ran)).unwrap();
    owner.try_post("fill", count(&ran)).unwrap();
    let full = owner.try_post("overflow", count(&ran));
    match &full {
        Err(error @ OwnerError::Full { op: "overflow", .. }) => {
            assert_eq!(
                error.to_string(),
                "owner \"full\" op overflow: mailbox full"
            );
        }
        other => panic!("expected Full, got {other:?}"),
    }

    // post waits for room; dropping the waiting future gives up without sending.
    let waited = tokio::time::timeout(
        Duration::from_millis(50),
        owner.post("waiting", count(&ran)),
    )
    .await;
    assert!(waited.is_err(), "post into a full mailbox must wait");
    // call_with waits for room too, and its token releases it.
    let token = CancellationToken::new();
    let waiting_call = tokio::spawn(owner.call_with(
        CallOptions {
            cancel: Some(token.clone()),
            ..CallOptions::default()
        },
        "waiting-call",
        |_ctx| Ok(()),
    ));
    tokio::time::sleep(Duration::from_millis(20)).await;
    token.cancel();
    let answer = bounded("cancelled waiting call", waiting_call)
        .await
        .unwrap();
    assert!(
        matches!(
            answer,
            Err(OwnerError::Canceled {
                op: "waiting-call",
                ..
            })
        ),
        "{answer:?}"
    );

    gate.send(()).unwrap();
    bounded("idle", owner.wait_idle()).await.unwrap();
    assert_eq!(
        ran.load(Ordering::SeqCst),
        2,
        "only the two accepted posts ran"
    );
    let stats = owner.stats();
    assert_eq!(stats.per_op.get("waiting-call"), None, "never sent");
    assert!(stats.queue_depth_max >= 2, "{stats:?}");
    // Room again.
    owner.try_post("room", |_ctx| Ok(())).unwrap();
}
