//! Serialization (spec rule 1), reentrancy (rule 2) and `wait_idle`.

mod common;

use common::{HANG, bounded};

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures_util::FutureExt;
use geppetto::owner::{Owner, OwnerError, OwnerHandle, OwnerOptions};

const SENDERS: u32 = 16;
const PER_SENDER: u32 = 100;

fn spawn_with_log(name: &str, mailbox_capacity: usize) -> OwnerHandle {
    Owner::spawn(OwnerOptions {
        name: name.into(),
        mailbox_capacity,
        setup_context: Some(Box::new(|ctx| ctx.eval::<(), _>("globalThis.log = [];"))),
        ..OwnerOptions::default()
    })
    .unwrap()
}

/// The check of this area: the owner-side log holds every item of every sender exactly once,
/// each sender's items in the order sent.
fn check_per_sender_order(log: &[(u32, u32)], senders: u32, per_sender: u32) {
    assert_eq!(
        log.len(),
        (senders * per_sender) as usize,
        "items lost or duplicated"
    );
    let mut next = vec![0u32; senders as usize];
    for &(sender, seq) in log {
        assert_eq!(
            seq, next[sender as usize],
            "sender {sender}: item {seq} ran out of order"
        );
        next[sender as usize] += 1;
    }
    assert!(next.iter().all(|&n| n == per_sender));
}

async fn read_log(owner: &OwnerHandle) -> Vec<(u32, u32)> {
    bounded(
        "read log",
        owner.call("read-log", |ctx| {
            ctx.eval::<Vec<Vec<u32>>, _>("log")
                .map(|log| log.into_iter().map(|pair| (pair[0], pair[1])).collect())
        }),
    )
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn posts_from_concurrent_senders_keep_per_sender_order() {
    // A small mailbox: senders regularly wait for room (backpressure must keep order too).
    let owner = spawn_with_log("serial-post", 8);
    let mut tasks = Vec::new();
    for sender in 0..SENDERS {
        let owner = owner.clone();
        tasks.push(tokio::spawn(async move {
            for seq in 0..PER_SENDER {
                owner
                    .post("append", move |ctx| {
                        ctx.eval::<(), _>(format!("log.push([{sender}, {seq}])"))
                    })
                    .await
                    .unwrap();
                if seq % 16 == 0 {
                    tokio::task::yield_now().await;
                }
            }
        }));
    }
    for task in tasks {
        bounded("sender", task).await.unwrap();
    }
    bounded("idle", owner.wait_idle()).await.unwrap();
    check_per_sender_order(&read_log(&owner).await, SENDERS, PER_SENDER);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_posts_and_blocking_calls_interleave_in_order() {
    let owner = spawn_with_log("serial-mixed", 8);
    let mut tasks = Vec::new();
    for sender in 0..SENDERS {
        let owner = owner.clone();
        tasks.push(tokio::spawn(async move {
            for seq in 0..PER_SENDER {
                let append = move |ctx: &rquickjs::Ctx<'_>| {
                    ctx.eval::<(), _>(format!("log.push([{sender}, {seq}])"))
                };
                match seq % 3 {
                    0 => owner.post("append", append).await.unwrap(),
                    1 => owner.call("append", append).await.unwrap(),
                    _ => {
                        // A post followed by try_post when there is room, else a post.
                        if let Err(OwnerError::Full { .. }) = owner.try_post("append", append) {
                            owner.post("append", append).await.unwrap();
                        }
                    }
                }
            }
        }));
    }
    // One more sender from a plain thread with call_blocking.
    let blocking_owner = owner.clone();
    let blocking = std::thread::spawn(move || {
        for seq in 0..PER_SENDER {
            blocking_owner
                .call_blocking("append", move |ctx| {
                    ctx.eval::<(), _>(format!("log.push([{SENDERS}, {seq}])"))
                })
                .unwrap();
        }
    });
    for task in tasks {
        bounded("sender", task).await.unwrap();
    }
    bounded(
        "blocking sender",
        tokio::task::spawn_blocking(move || blocking.join()),
    )
    .await
    .unwrap()
    .unwrap();
    bounded("idle", owner.wait_idle()).await.unwrap();
    check_per_sender_order(&read_log(&owner).await, SENDERS + 1, PER_SENDER);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reentrant_calls_on_the_owner_thread_run_inline() {
    let owner = spawn_with_log("reentrant", 1024);
    assert!(!owner.is_owner_thread());
    let inner = owner.clone();
    let result = bounded(
        "outer call",
        owner.call("outer", move |ctx| {
            assert!(inner.is_owner_thread(), "closures run on the owner thread");
            // call_blocking from the owner thread runs at once instead of deadlocking on the
            // mailbox the thread itself serves.
            let a = inner
                .call_blocking("inner-blocking", |ctx| ctx.eval::<i32, _>("20"))
                .expect("inline call_blocking");
            // The async call is ready immediately.
            let b = inner
                .call("inner-async", |ctx| ctx.eval::<i32, _>("22"))
                .now_or_never()
                .expect("inline call resolves at once")
                .expect("inline call");
            // A post runs before it returns.
            inner
                .post("inner-post", |ctx| ctx.eval::<(), _>("log.push([0, 0])"))
                .now_or_never()
                .expect("inline post resolves at once")
                .expect("inline post");
            let seen: u32 = ctx.eval("log.length")?;
            assert_eq!(seen, 1, "the inline post already ran");
            // try_post runs inline too.
            inner
                .try_post("inner-try", |ctx| ctx.eval::<(), _>("log.push([0, 1])"))
                .expect("inline try_post");
            // A reentrant JS failure is a value, and the outer call goes on.
            let failed = inner.call_blocking("inner-throw", |ctx| {
                ctx.eval::<(), _>("throw new Error('inner')")
            });
            assert!(
                matches!(
                    failed,
                    Err(OwnerError::Js {
                        op: "inner-throw",
                        ..
                    })
                ),
                "{failed:?}"
            );
            Ok(a + b)
        }),
    )
    .await;
    assert_eq!(result, Ok(42));
    assert_eq!(read_log(&owner).await, vec![(0, 0), (0, 1)]);
    let stats = owner.stats();
    for op in [
        "outer",
        "inner-blocking",
        "inner-async",
        "inner-post",
        "inner-try",
    ] {
        assert_eq!(
            stats.per_op.get(op),
            Some(&1),
            "op {op} in {:?}",
            stats.per_op
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wait_idle_resolves_after_queued_work() {
    let owner = spawn_with_log("idle", 1024);
    let done = Arc::new(AtomicUsize::new(0));
    let (gate_tx, gate_rx) = std::sync::mpsc::channel::<()>();
    let (busy_tx, busy_rx) = tokio::sync::oneshot::channel();
    owner
        .post("slow", move |_ctx| {
            let _ = busy_tx.send(());
            let _ = gate_rx.recv_timeout(HANG);
            Ok(())
        })
        .await
        .unwrap();
    bounded("slow start", busy_rx).await.unwrap();
    for _ in 0..50 {
        let done = done.clone();
        owner
            .post("count", move |ctx| {
                ctx.eval::<(), _>("log.push([0, 0])")?;
                done.fetch_add(1, Ordering::SeqCst);
                Ok(())
            })
            .await
            .unwrap();
    }
    let waiter = {
        let owner = owner.clone();
        tokio::spawn(async move { owner.wait_idle().await })
    };
    // Not idle while the slow item holds the owner.
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(
        !waiter.is_finished(),
        "wait_idle resolved while work was queued"
    );
    gate_tx.send(()).unwrap();
    bounded("wait_idle", waiter).await.unwrap().unwrap();
    assert_eq!(done.load(Ordering::SeqCst), 50);
    assert_eq!(owner.queue_depth(), 0);
    // An idle owner is idle at once.
    bounded("idle again", owner.wait_idle()).await.unwrap();
}
