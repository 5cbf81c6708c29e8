//! Stress: many tokio tasks making many owner calls with random cancellation, deadlines, posts,
//! JS errors and short busy loops; every caller must get an answer.
//!
//! Size knobs (environment variables, read at test start):
//! - `GEPPETTO_STRESS_TASKS`: concurrent tasks (default 32).
//! - `GEPPETTO_STRESS_CALLS`: operations per task (default 200).
//! - `GEPPETTO_STRESS_SEED`: fastrand seed (default: random; printed so a failure can be replayed).
//!
//! The defaults keep CI fast; raise them locally, e.g.
//! `GEPPETTO_STRESS_TASKS=256 GEPPETTO_STRESS_CALLS=5000 cargo test --release --test owner_stress`.

mod common;

use common::knob;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use geppetto::owner::{
    CallOptions, InterruptReason, Owner, OwnerError, OwnerHandle, OwnerOptions, OwnerState,
    ShutdownMode,
};
use tokio_util::sync::CancellationToken;

/// Hang detector for the whole run (scaled with the size): never a speed assertion.
const HANG_PER_100K_OPS: Duration = Duration::from_secs(120);

/// Answers by kind, summed over all tasks.
#[derive(Default)]
struct Tally {
    ok: AtomicU64,
    canceled: AtomicU64,
    timeout: AtomicU64,
    interrupted: AtomicU64,
    js: AtomicU64,
    full: AtomicU64,
}

impl Tally {
    fn total(&self) -> u64 {
        [
            &self.ok,
            &self.canceled,
            &self.timeout,
            &self.interrupted,
            &self.js,
            &self.full,
        ]
        .iter()
        .map(|counter| counter.load(Ordering::Relaxed))
        .sum()
    }

    fn count<T>(&self, result: &Result<T, OwnerError>) {
        let counter = match result {
            Ok(_) => &self.ok,
            Err(OwnerError::Canceled { .. }) => &self.canceled,
            Err(OwnerError::Timeout { .. }) => &self.timeout,
            Err(OwnerError::Interrupted { .. }) => &self.interrupted,
            Err(OwnerError::Js { .. }) => &self.js,
            Err(OwnerError::Full { .. }) => &self.full,
            Err(other) => panic!("unexpected answer under stress: {other:?}"),
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

/// Small JS work: sometimes a short loop (long enough to meet an interrupt check).
fn js_work(rng: &mut fastrand::Rng) -> (String, i64) {
    let n = if rng.u8(..) < 32 {
        50_000
    } else {
        rng.i64(1..100)
    };
    (
        format!("(() => {{ let s = 0; for (let i = 0; i < {n}; i++) s += i; return s; }})()"),
        n * (n - 1) / 2,
    )
}

/// The check of this area: a call's answer is consistent with how it was made.
fn check_answer(
    result: &Result<i64, OwnerError>,
    expected: i64,
    kind: &str,
    cancelled_before: bool,
    ran: bool,
) {
    match result {
        Ok(value) => {
            assert_eq!(*value, expected, "{kind}: wrong value");
            assert!(ran, "{kind}: answered Ok without running");
        }
        Err(OwnerError::Canceled { .. }) => assert!(kind == "cancel", "{kind}: {result:?}"),
        Err(OwnerError::Timeout { .. }) => assert!(kind == "deadline", "{kind}: {result:?}"),
        Err(OwnerError::Interrupted { reason, .. }) => match (kind, reason) {
            ("cancel", InterruptReason::Canceled) | ("deadline", InterruptReason::Deadline) => {}
            _ => panic!("{kind}: {result:?}"),
        },
        Err(other) => panic!("{kind}: unexpected {other:?}"),
    }
    if cancelled_before {
        assert!(
            matches!(result, Err(OwnerError::Canceled { .. })),
            "{result:?}"
        );
        assert!(!ran, "a call cancelled before it was made ran");
    }
}

async fn one_task(owner: OwnerHandle, seed: u64, calls: u64, tally: Arc<Tally>) {
    let mut rng = fastrand::Rng::with_seed(seed);
    for _ in 0..calls {
        let (source, expected) = js_work(&mut rng);
        let ran = Arc::new(AtomicBool::new(false));
        let flag = ran.clone();
        let work = move |ctx: &rquickjs::Ctx<'_>| {
            flag.store(true, Ordering::SeqCst);
            ctx.eval::<i64, _>(source)
        };
        match rng.u8(..6) {
            0 => {
                let result = owner.call("plain", work).await;
                check_answer(
                    &result,
                    expected,
                    "plain",
                    false,
                    ran.load(Ordering::SeqCst),
                );
                tally.count(&result);
            }
            1 => {
                // Cancelled before, or at a random moment after, the call is made.
                let token = CancellationToken::new();
                let before = rng.u8(..4) == 0;
                if before {
                    token.cancel();
                } else {
                    let token = token.clone();
                    let delay = Duration::from_micros(rng.u64(0..2_000));
                    tokio::spawn(async move {
                        tokio::time::sleep(delay).await;
                        token.cancel();
                    });
                }
                let options = CallOptions {
                    cancel: Some(token),
                    ..CallOptions::default()
                };
                let result = owner.call_with(options, "cancel", work).await;
                check_answer(
                    &result,
                    expected,
                    "cancel",
                    before,
                    ran.load(Ordering::SeqCst),
                );
                tally.count(&result);
            }
            2 => {
                let options = CallOptions {
                    deadline: Some(Instant::now() + Duration::from_micros(rng.u64(0..3_000))),
                    ..CallOptions::default()
                };
                let result = owner.call_with(options, "deadline", work).await;
                check_answer(
                    &result,
                    expected,
                    "deadline",
                    false,
                    ran.load(Ordering::SeqCst),
                );
                tally.count(&result);
            }
            3 => {
                let result = owner.post("post", move |ctx| work(ctx).map(|_| ())).await;
                tally.count(&result);
                assert!(result.is_ok(), "{result:?}");
            }
            4 => {
                let result = owner.try_post("try-post", move |ctx| work(ctx).map(|_| ()));
                assert!(
                    matches!(result, Ok(()) | Err(OwnerError::Full { .. })),
                    "{result:?}"
                );
                tally.count(&result);
            }
            _ => {
                let result: Result<(), _> = owner
                    .call("throw", |ctx| {
                        ctx.eval::<(), _>("throw new Error('stress')")
                    })
                    .await;
                assert!(matches!(result, Err(OwnerError::Js { .. })), "{result:?}");
                tally.count(&result);
            }
        }
        if rng.u8(..8) == 0 {
            tokio::task::yield_now().await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_caller_is_answered_under_random_cancellation() {
    let tasks = knob("GEPPETTO_STRESS_TASKS", 32);
    let calls = knob("GEPPETTO_STRESS_CALLS", 200);
    let seed = knob("GEPPETTO_STRESS_SEED", fastrand::u64(..));
    eprintln!("owner_stress: {tasks} tasks x {calls} calls, GEPPETTO_STRESS_SEED={seed}");
    let total_ops = tasks * calls;
    let hang = HANG_PER_100K_OPS.mul_f64((total_ops as f64 / 100_000.0).max(0.25));

    let owner = Owner::spawn(OwnerOptions {
        name: "stress".into(),
        // Small: senders regularly wait for room and try_post meets Full.
        mailbox_capacity: 16,
        ..OwnerOptions::default()
    })
    .unwrap();
    let tally = Arc::new(Tally::default());
    let run = {
        let owner = owner.clone();
        let tally = tally.clone();
        async move {
            let mut handles = Vec::new();
            for task in 0..tasks {
                handles.push(tokio::spawn(one_task(
                    owner.clone(),
                    seed.wrapping_add(task),
                    calls,
                    tally.clone(),
                )));
            }
            for handle in handles {
                handle.await.expect("stress task panicked");
            }
            owner.wait_idle().await.expect("owner goes idle");
        }
    };
    tokio::time::timeout(hang, run).await.unwrap_or_else(|_| {
        panic!("stress run did not finish within {hang:?} (hang); seed {seed}")
    });

    assert_eq!(
        tally.total(),
        total_ops,
        "every operation got exactly one answer"
    );
    eprintln!(
        "owner_stress: ok {} canceled {} timeout {} interrupted {} js {} full {}",
        tally.ok.load(Ordering::Relaxed),
        tally.canceled.load(Ordering::Relaxed),
        tally.timeout.load(Ordering::Relaxed),
        tally.interrupted.load(Ordering::Relaxed),
        tally.js.load(Ordering::Relaxed),
        tally.full.load(Ordering::Relaxed),
    );

    // Still healthy, with consistent stats, and it stops cleanly.
    let stats = owner.stats();
    let by_outcome: u64 = stats.outcomes.values().sum();
    let by_op: u64 = stats.per_op.values().sum();
    assert_eq!(by_outcome, by_op);
    assert_eq!(stats.exec.count, by_outcome);
    assert!(
        stats.queue_depth_max <= 16 + 1,
        "bounded mailbox: {stats:?}"
    );
    let after = tokio::time::timeout(
        Duration::from_secs(30),
        owner.call("after", |ctx| ctx.eval::<i32, _>("6 * 7")),
    )
    .await
    .expect("hang");
    assert_eq!(after, Ok(42));
    tokio::time::timeout(
        Duration::from_secs(30),
        owner.shutdown(ShutdownMode::Drain, None),
    )
    .await
    .expect("shutdown hang");
    assert_eq!(owner.state(), OwnerState::Stopped);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn abort_under_load_answers_every_caller() {
    let tasks = knob("GEPPETTO_STRESS_TASKS", 32);
    let calls = knob("GEPPETTO_STRESS_CALLS", 200);
    let owner = Owner::spawn(OwnerOptions {
        name: "stress-abort".into(),
        mailbox_capacity: 16,
        ..OwnerOptions::default()
    })
    .unwrap();
    let answered = Arc::new(AtomicU64::new(0));
    let mut handles = Vec::new();
    for task in 0..tasks {
        let owner = owner.clone();
        let answered = answered.clone();
        handles.push(tokio::spawn(async move {
            for call in 0..calls {
                let result = owner
                    .call("load", move |ctx| {
                        ctx.eval::<u64, _>(format!("{task} + {call}"))
                    })
                    .await;
                match result {
                    Ok(value) => assert_eq!(value, task + call),
                    Err(OwnerError::Closed { .. }) => {}
                    Err(other) => panic!("unexpected {other:?}"),
                }
                answered.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    // Abort while the load runs.
    tokio::time::sleep(Duration::from_millis(20)).await;
    tokio::time::timeout(
        Duration::from_secs(30),
        owner.shutdown(ShutdownMode::Abort, None),
    )
    .await
    .expect("abort hang");
    tokio::time::timeout(Duration::from_secs(60), async {
        for handle in handles {
            handle.await.expect("load task panicked");
        }
    })
    .await
    .expect("a caller hangs after abort");
    assert_eq!(answered.load(Ordering::Relaxed), tasks * calls);
    assert_eq!(owner.state(), OwnerState::Stopped);
}

/// Owner-local tasks (`local::spawn_here`) under load: many tasks, each step woken from a tokio
/// worker, from a plain thread or by itself, each making an inline call, while tokio tasks keep
/// calling the same owner through its mailbox. Every task and every call must finish.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn owner_local_tasks_all_finish_under_mixed_wakes() {
    use geppetto::owner::local;

    let tasks = knob("GEPPETTO_STRESS_TASKS", 32);
    let steps = knob("GEPPETTO_STRESS_CALLS", 200);
    let seed = knob("GEPPETTO_STRESS_SEED", fastrand::u64(..));
    eprintln!("owner_local_tasks: {tasks} tasks x {steps} steps, GEPPETTO_STRESS_SEED={seed}");
    let owner = Owner::spawn(OwnerOptions {
        name: "stress-local-tasks".into(),
        ..OwnerOptions::default()
    })
    .unwrap();
    let finished = Arc::new(AtomicU64::new(0));
    let inline_sum = Arc::new(AtomicU64::new(0));
    let (all_done, done) = tokio::sync::oneshot::channel::<()>();
    let all_done = Arc::new(parking_lot::Mutex::new(Some(all_done)));
    let spawner = {
        let finished = finished.clone();
        let inline_sum = inline_sum.clone();
        owner.call("spawn-tasks", move |_ctx| {
            let handle = geppetto::owner::local::weak_handle().unwrap();
            for task in 0..tasks {
                let handle = handle.clone();
                let finished = finished.clone();
                let inline_sum = inline_sum.clone();
                let all_done = all_done.clone();
                let mut rng = fastrand::Rng::with_seed(seed.wrapping_add(task));
                local::spawn_here(async move {
                    for _ in 0..steps {
                        match rng.u8(0..3) {
                            0 => {
                                let (sender, receiver) = tokio::sync::oneshot::channel();
                                tokio::spawn(async move {
                                    tokio::task::yield_now().await;
                                    let _ = sender.send(());
                                });
                                receiver.await.unwrap();
                            }
                            1 => {
                                let (sender, receiver) = tokio::sync::oneshot::channel();
                                std::thread::spawn(move || {
                                    let _ = sender.send(());
                                });
                                receiver.await.unwrap();
                            }
                            _ => tokio::task::yield_now().await,
                        }
                        let owner = handle.upgrade().unwrap();
                        let one = owner
                            .call("inline", |ctx| ctx.eval::<i32, _>("1"))
                            .await
                            .unwrap();
                        inline_sum.fetch_add(one as u64, Ordering::Relaxed);
                    }
                    if finished.fetch_add(1, Ordering::AcqRel) + 1 == tasks
                        && let Some(all_done) = all_done.lock().take()
                    {
                        let _ = all_done.send(());
                    }
                });
            }
            Ok(())
        })
    };
    let hang = HANG_PER_100K_OPS.mul_f64(((tasks * steps) as f64 / 100_000.0).max(1.0));
    tokio::time::timeout(hang, spawner).await.unwrap().unwrap();
    // Meanwhile, remote callers keep the mailbox busy.
    let remote: Vec<_> = (0..4)
        .map(|_| {
            let owner = owner.clone();
            tokio::spawn(async move {
                for _ in 0..steps {
                    owner
                        .call("remote", |ctx| ctx.eval::<i32, _>("2"))
                        .await
                        .unwrap();
                }
            })
        })
        .collect();
    tokio::time::timeout(hang, done)
        .await
        .unwrap_or_else(|_| {
            panic!(
                "owner-local tasks: {} of {tasks} finished within {hang:?} (seed {seed})",
                finished.load(Ordering::Relaxed)
            )
        })
        .unwrap();
    for caller in remote {
        tokio::time::timeout(hang, caller).await.unwrap().unwrap();
    }
    assert_eq!(inline_sum.load(Ordering::Relaxed), tasks * steps);
}
