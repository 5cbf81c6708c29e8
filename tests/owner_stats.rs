//! Observability (`stats()`) and `OwnerPool`.

mod common;

use common::{bounded, hold};

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use geppetto::owner::{
    CallOptions, CpuBudget, Outcome, Owner, OwnerHandle, OwnerOptions, OwnerPool, OwnerState,
    ShutdownMode,
};
use tokio_util::sync::CancellationToken;

/// The check of this area: a snapshot is internally consistent.
fn check_consistent(stats: &geppetto::owner::OwnerStats) {
    let by_outcome: u64 = stats.outcomes.values().sum();
    let by_op: u64 = stats.per_op.values().sum();
    assert_eq!(
        by_outcome, by_op,
        "outcomes and ops count the same items: {stats:?}"
    );
    assert_eq!(stats.exec.count, by_outcome, "{stats:?}");
    assert_eq!(stats.queue_wait.count, by_outcome, "{stats:?}");
    for percentiles in [stats.exec, stats.queue_wait] {
        assert!(percentiles.p50 <= percentiles.p95, "{percentiles:?}");
        assert!(percentiles.p95 <= percentiles.p99, "{percentiles:?}");
        assert!(percentiles.p99 <= percentiles.max, "{percentiles:?}");
    }
    let labels: Vec<&str> = stats.outcomes.keys().copied().collect();
    let mut expected: Vec<&str> = Outcome::ALL.iter().map(|o| o.as_str()).collect();
    expected.sort_unstable();
    assert_eq!(labels, expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stats_count_outcomes_ops_latencies_and_queue_depth() {
    let owner = Owner::spawn(OwnerOptions {
        name: "stats".into(),
        ..OwnerOptions::default()
    })
    .unwrap();
    let fresh = owner.stats();
    assert_eq!(fresh.state, OwnerState::Running);
    assert_eq!(fresh.exec.count, 0);
    assert_eq!(fresh.exec.p50, Duration::ZERO);
    check_consistent(&fresh);

    for i in 0..20 {
        let value = owner
            .call("ok-op", move |ctx| {
                ctx.eval::<i32, _>(format!(
                    "let s{i} = 0; for (let i = 0; i < 2000; i++) s{i} += i; s{i}"
                ))
            })
            .await;
        assert_eq!(value, Ok(1_999_000));
    }
    for _ in 0..3 {
        let failed = owner
            .call("err-op", |ctx| ctx.eval::<(), _>("throw new Error('x')"))
            .await;
        assert!(failed.is_err());
    }
    let panicked: Result<(), _> = owner.call("panic-op", |_ctx| panic!("counted")).await;
    assert!(panicked.is_err());
    let interrupted = owner
        .call_with(
            CallOptions {
                cpu_budget: CpuBudget::Limit(Duration::from_millis(10)),
                ..CallOptions::default()
            },
            "loop-op",
            |ctx| ctx.eval::<(), _>("while (true) {}"),
        )
        .await;
    assert!(interrupted.is_err());

    // Queue 30 items behind a held owner: the depth is seen, and they wait.
    let gate = hold(&owner).await;
    let token = CancellationToken::new();
    let cancelled = tokio::spawn(owner.call_with(
        CallOptions {
            cancel: Some(token.clone()),
            ..CallOptions::default()
        },
        "cancel-op",
        |_ctx| Ok(()),
    ));
    for _ in 0..30 {
        owner.post("queued-op", |_ctx| Ok(())).await.unwrap();
    }
    bounded("queue fill", async {
        while owner.queue_depth() < 31 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    })
    .await;
    assert!(owner.stats().queue_depth >= 30);
    token.cancel();
    assert!(bounded("cancelled", cancelled).await.unwrap().is_err());
    tokio::time::sleep(Duration::from_millis(5)).await;
    gate.send(()).unwrap();
    bounded("idle", owner.wait_idle()).await.unwrap();

    let stats = owner.stats();
    check_consistent(&stats);
    assert_eq!(stats.per_op.get("ok-op"), Some(&20));
    assert_eq!(stats.per_op.get("err-op"), Some(&3));
    assert_eq!(stats.per_op.get("panic-op"), Some(&1));
    assert_eq!(stats.per_op.get("loop-op"), Some(&1));
    assert_eq!(stats.per_op.get("queued-op"), Some(&30));
    assert_eq!(stats.per_op.get("cancel-op"), Some(&1));
    assert_eq!(stats.outcome(Outcome::Error), 3);
    assert_eq!(stats.outcome(Outcome::Panicked), 1);
    assert_eq!(stats.outcome(Outcome::Interrupted), 1);
    assert_eq!(stats.outcome(Outcome::Canceled), 1);
    // ok: 20 calls, the hold, 30 posts, plus wait_idle's own marker item(s).
    assert!(stats.outcome(Outcome::Ok) >= 51, "{stats:?}");
    assert!(stats.queue_depth_max >= 31, "{stats:?}");
    assert_eq!(stats.queue_depth, 0);
    assert!(stats.exec.p50 > Duration::ZERO, "{:?}", stats.exec);
    assert!(
        stats.exec.max >= Duration::from_millis(10),
        "the interrupted loop ran at least its budget"
    );
    assert!(
        stats.queue_wait.max > Duration::ZERO,
        "{:?}",
        stats.queue_wait
    );
    assert!(
        stats.queue_wait.p99 > Duration::ZERO,
        "{:?}",
        stats.queue_wait
    );

    bounded("shutdown", owner.shutdown(ShutdownMode::Drain, None)).await;
    assert_eq!(owner.stats().state, OwnerState::Stopped);
}

async fn thread_name(owner: &OwnerHandle) -> String {
    bounded(
        "thread name",
        owner.call("name", |ctx| {
            assert_eq!(ctx.eval::<i32, _>("1 + 1")?, 2);
            Ok(std::thread::current()
                .name()
                .unwrap_or_default()
                .to_string())
        }),
    )
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pool_spreads_load_over_usable_owners() {
    let pool = OwnerPool::new(4, |i| OwnerOptions {
        name: format!("pool-{i}"),
        ..OwnerOptions::default()
    })
    .unwrap();
    assert_eq!(pool.len(), 4);
    assert!(!pool.is_empty());

    // Idle owners are handed out in turn.
    let picked: BTreeSet<String> = (0..4).map(|_| pool.get().name().to_string()).collect();
    assert_eq!(picked.len(), 4, "{picked:?}");

    // Every owner is a separate, usable thread.
    let mut threads = BTreeSet::new();
    for owner in pool.owners() {
        let name = thread_name(owner).await;
        assert_eq!(name, format!("js-owner-{}", owner.name()));
        threads.insert(name);
    }
    assert_eq!(threads.len(), 4);

    // Loaded owners are avoided: hold all four, queue work on three, and the fourth is picked.
    let mut gates = Vec::new();
    for owner in pool.owners() {
        gates.push(hold(owner).await);
    }
    for owner in &pool.owners()[..3] {
        for _ in 0..5 {
            owner.post("queued", |_ctx| Ok(())).await.unwrap();
        }
    }
    for _ in 0..8 {
        assert_eq!(pool.get().name(), "pool-3");
    }
    drop(gates);

    // Concurrent work through get() lands on every owner.
    let pool = Arc::new(pool);
    let mut tasks = Vec::new();
    for _ in 0..100 {
        let pool = pool.clone();
        tasks.push(tokio::spawn(async move {
            let owner = pool.get().clone();
            thread_name(&owner).await
        }));
    }
    let mut used = BTreeSet::new();
    for task in tasks {
        used.insert(bounded("pool task", task).await.unwrap());
    }
    assert_eq!(used.len(), 4, "{used:?}");

    // A pool of zero is a pool of one.
    let single = OwnerPool::new(0, |_| OwnerOptions::default()).unwrap();
    assert_eq!(single.len(), 1);
    assert_eq!(thread_name(single.get()).await, "js-owner-main");
}
