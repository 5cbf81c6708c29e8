//! Backpressure: a tiny mailbox with thousands of senders waiting for room. Every sender gets in,
//! each post runs exactly once, and the mailbox stays bounded. Size: GEPPETTO_STRESS_SENDERS (default
//! 2000); the timeout is only a hang detector.

mod common;

use common::knob;

use std::sync::Arc;
use std::time::Duration;

use geppetto::owner::{Owner, OwnerOptions};
use parking_lot::Mutex;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousands_of_waiting_senders_all_get_in() {
    let owner = Owner::spawn(OwnerOptions {
        name: "backpressure".into(),
        mailbox_capacity: 2,
        ..OwnerOptions::default()
    })
    .expect("owner");
    let seen = Arc::new(Mutex::new(Vec::new()));
    // Hold the owner busy so the mailbox fills and senders queue up behind it.
    let gate = Arc::new(std::sync::Barrier::new(2));
    let owner_gate = gate.clone();
    let busy = owner.call("hold", move |_| {
        owner_gate.wait();
        std::thread::sleep(Duration::from_millis(50));
        Ok(())
    });
    let busy = tokio::spawn(busy);
    tokio::task::spawn_blocking(move || gate.wait())
        .await
        .expect("gate");

    let count = knob("GEPPETTO_STRESS_SENDERS", 2000) as usize;
    let mut tasks = Vec::with_capacity(count);
    for i in 0..count {
        let owner = owner.clone();
        let seen = seen.clone();
        tasks.push(tokio::spawn(async move {
            owner
                .post("record", move |_| {
                    seen.lock().push(i);
                    Ok(())
                })
                .await
        }));
    }
    let all = async {
        for task in tasks {
            task.await.expect("task").expect("post");
        }
        busy.await.expect("busy task").expect("busy call");
        owner.wait_idle().await.expect("idle");
    };
    tokio::time::timeout(Duration::from_secs(120), all)
        .await
        .expect("every waiting sender got in (hang detector)");
    let mut seen = seen.lock().clone();
    assert_eq!(seen.len(), count, "no post lost");
    seen.sort_unstable();
    assert!(
        seen.iter().copied().eq(0..count),
        "each post ran exactly once"
    );
    assert!(
        owner.stats().queue_depth_max <= 4,
        "the mailbox stayed bounded"
    );
}
