//! Cancellation, deadlines and CPU budgets of owner calls (spec rules 4 and 5).
//!
//! Every wait here is bounded by `HANG` (a hang detector, never a speed assertion).

mod common;

use common::{HANG, bounded, check_usable, spawn};

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use geppetto::owner::{
    CallOptions, CpuBudget, InterruptReason, Outcome, Owner, OwnerError, OwnerHandle, OwnerOptions,
};
use tokio_util::sync::CancellationToken;

/// Starts `while(true){}` on the owner with `options` and returns the caller's future once the
/// loop is known to have started.
async fn start_runaway(
    owner: &OwnerHandle,
    options: CallOptions,
) -> tokio::task::JoinHandle<Result<(), OwnerError>> {
    let (started_tx, started_rx) = tokio::sync::oneshot::channel();
    let call = owner.call_with(options, "runaway", move |ctx| {
        let _ = started_tx.send(());
        ctx.eval::<(), _>("while (true) {}")
    });
    let task = tokio::spawn(call);
    bounded("runaway start", started_rx)
        .await
        .expect("runaway loop started");
    task
}

fn assert_interrupted(result: &Result<(), OwnerError>, expected: InterruptReason) {
    match result {
        Err(OwnerError::Interrupted { op, reason, .. }) => {
            assert_eq!(*op, "runaway");
            assert_eq!(*reason, expected);
        }
        other => panic!("expected Interrupted({expected:?}), got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelled_before_start_never_runs() {
    let owner = spawn("cancel-before");
    let token = CancellationToken::new();
    token.cancel();
    let ran = Arc::new(AtomicBool::new(false));
    let flag = ran.clone();
    let result = bounded(
        "cancelled call",
        owner.call_with(
            CallOptions {
                cancel: Some(token),
                ..CallOptions::default()
            },
            "never",
            move |_ctx| {
                flag.store(true, Ordering::SeqCst);
                Ok(1)
            },
        ),
    )
    .await;
    assert!(
        matches!(result, Err(OwnerError::Canceled { op: "never", .. })),
        "{result:?}"
    );
    bounded("idle", owner.wait_idle()).await.unwrap();
    assert!(!ran.load(Ordering::SeqCst), "a cancelled call must not run");
    check_usable(&owner).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelled_while_queued_never_runs() {
    let owner = spawn("cancel-queued");
    // A slow item holds the owner until the gate opens.
    let (gate_tx, gate_rx) = std::sync::mpsc::channel::<()>();
    let (busy_tx, busy_rx) = tokio::sync::oneshot::channel();
    let slow = tokio::spawn(owner.call("slow", move |_ctx| {
        let _ = busy_tx.send(());
        let _ = gate_rx.recv_timeout(HANG);
        Ok(())
    }));
    bounded("slow start", busy_rx).await.unwrap();

    let token = CancellationToken::new();
    let ran = Arc::new(AtomicBool::new(false));
    let flag = ran.clone();
    let queued = tokio::spawn(owner.call_with(
        CallOptions {
            cancel: Some(token.clone()),
            ..CallOptions::default()
        },
        "queued",
        move |_ctx| {
            flag.store(true, Ordering::SeqCst);
            Ok(())
        },
    ));
    // Wait until it sits in the mailbox, then cancel it there.
    bounded("enqueue", async {
        while owner.queue_depth() == 0 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    })
    .await;
    token.cancel();
    let result = bounded("queued answer", queued).await.unwrap();
    assert!(
        matches!(result, Err(OwnerError::Canceled { op: "queued", .. })),
        "{result:?}"
    );

    gate_tx.send(()).unwrap();
    assert_eq!(bounded("slow answer", slow).await.unwrap(), Ok(()));
    bounded("idle", owner.wait_idle()).await.unwrap();
    assert!(
        !ran.load(Ordering::SeqCst),
        "a call cancelled in the mailbox must not run"
    );
    // The owner saw the dead item and recorded it as canceled, without running it.
    let stats = owner.stats();
    assert_eq!(stats.per_op.get("queued"), Some(&1));
    assert_eq!(stats.outcome(Outcome::Canceled), 1);
    check_usable(&owner).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_interrupts_infinite_loop() {
    let owner = spawn("cancel-loop");
    let token = CancellationToken::new();
    let task = start_runaway(
        &owner,
        CallOptions {
            cancel: Some(token.clone()),
            ..CallOptions::default()
        },
    )
    .await;
    token.cancel();
    let result = bounded("interrupted call", task).await.unwrap();
    assert_interrupted(&result, InterruptReason::Canceled);
    check_usable(&owner).await;
    // The owner itself interrupted the JS (not only the caller giving up).
    assert_eq!(owner.stats().outcome(Outcome::Interrupted), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deadline_interrupts_infinite_loop() {
    let owner = spawn("deadline-loop");
    let task = start_runaway(
        &owner,
        CallOptions {
            deadline: Some(Instant::now() + Duration::from_millis(200)),
            ..CallOptions::default()
        },
    )
    .await;
    let result = bounded("interrupted call", task).await.unwrap();
    assert_interrupted(&result, InterruptReason::Deadline);
    check_usable(&owner).await;
    assert_eq!(owner.stats().outcome(Outcome::Interrupted), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deadline_passed_while_queued_is_timeout_and_never_runs() {
    let owner = spawn("deadline-queued");
    let (gate_tx, gate_rx) = std::sync::mpsc::channel::<()>();
    let (busy_tx, busy_rx) = tokio::sync::oneshot::channel();
    let slow = tokio::spawn(owner.call("slow", move |_ctx| {
        let _ = busy_tx.send(());
        let _ = gate_rx.recv_timeout(HANG);
        Ok(())
    }));
    bounded("slow start", busy_rx).await.unwrap();
    let ran = Arc::new(AtomicBool::new(false));
    let flag = ran.clone();
    let result = bounded(
        "queued call",
        owner.call_with(
            CallOptions {
                deadline: Some(Instant::now() + Duration::from_millis(50)),
                ..CallOptions::default()
            },
            "late",
            move |_ctx| {
                flag.store(true, Ordering::SeqCst);
                Ok(())
            },
        ),
    )
    .await;
    assert!(
        matches!(result, Err(OwnerError::Timeout { op: "late", .. })),
        "{result:?}"
    );
    gate_tx.send(()).unwrap();
    assert_eq!(bounded("slow answer", slow).await.unwrap(), Ok(()));
    bounded("idle", owner.wait_idle()).await.unwrap();
    assert!(!ran.load(Ordering::SeqCst), "an expired call must not run");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cpu_budget_interrupts_infinite_loop() {
    let owner = Owner::spawn(OwnerOptions {
        name: "budget".into(),
        cpu_budget: Some(Duration::from_millis(200)),
        ..OwnerOptions::default()
    })
    .unwrap();
    let task = start_runaway(&owner, CallOptions::default()).await;
    let result = bounded("budget call", task).await.unwrap();
    assert_interrupted(
        &result,
        InterruptReason::CpuBudget(Duration::from_millis(200)),
    );
    let text = result.unwrap_err().to_string();
    assert!(
        text.starts_with("owner \"budget\" op runaway: interrupted after ")
            && text.ends_with("CPU budget"),
        "unexpected display text: {text}"
    );
    check_usable(&owner).await;

    // A per-call budget overrides the owner's.
    let task = start_runaway(
        &owner,
        CallOptions {
            cpu_budget: CpuBudget::Limit(Duration::from_millis(50)),
            ..CallOptions::default()
        },
    )
    .await;
    let result = bounded("per-call budget", task).await.unwrap();
    assert_interrupted(
        &result,
        InterruptReason::CpuBudget(Duration::from_millis(50)),
    );
    check_usable(&owner).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_releases_caller_blocked_in_rust_code() {
    // Rust code cannot be interrupted, but the caller stops waiting when its token fires.
    let owner = spawn("cancel-rust");
    let (gate_tx, gate_rx) = std::sync::mpsc::channel::<()>();
    let (busy_tx, busy_rx) = tokio::sync::oneshot::channel();
    let token = CancellationToken::new();
    let call = tokio::spawn(owner.call_with(
        CallOptions {
            cancel: Some(token.clone()),
            ..CallOptions::default()
        },
        "rust-wait",
        move |_ctx| {
            let _ = busy_tx.send(());
            let _ = gate_rx.recv_timeout(HANG);
            Ok(())
        },
    ));
    bounded("start", busy_rx).await.unwrap();
    token.cancel();
    let result = bounded("cancelled caller", call).await.unwrap();
    assert!(result.is_err(), "{result:?}");
    gate_tx.send(()).unwrap();
    check_usable(&owner).await;
}
