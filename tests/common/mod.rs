//! Helpers shared by the `owner_*` integration tests: the hang detector, spawning, holding an
//! owner busy, and the "still usable" check. Each test binary uses a subset.
#![allow(dead_code)]

use std::time::Duration;

use geppetto::owner::{Owner, OwnerError, OwnerHandle, OwnerOptions};

/// Hang detector: a wait longer than this is a hang, never a speed assertion.
pub const HANG: Duration = Duration::from_secs(30);

/// Bounds a future by the hang detector.
pub async fn bounded<F: std::future::Future>(what: &str, future: F) -> F::Output {
    tokio::time::timeout(HANG, future)
        .await
        .unwrap_or_else(|_| panic!("{what}: no answer within {HANG:?} (hang)"))
}

/// An owner named `name` with default options.
pub fn spawn(name: &str) -> OwnerHandle {
    spawn_with(OwnerOptions {
        name: name.into(),
        ..OwnerOptions::default()
    })
}

/// An owner with `options`.
pub fn spawn_with(options: OwnerOptions) -> OwnerHandle {
    Owner::spawn(options).expect("owner spawns")
}

/// Holds the owner in a Rust closure until the returned gate is opened (or dropped).
pub async fn hold(owner: &OwnerHandle) -> std::sync::mpsc::Sender<()> {
    let (gate_tx, gate_rx) = std::sync::mpsc::channel::<()>();
    let (busy_tx, busy_rx) = tokio::sync::oneshot::channel();
    owner
        .post("hold", move |_ctx| {
            let _ = busy_tx.send(());
            let _ = gate_rx.recv_timeout(HANG);
            Ok(())
        })
        .await
        .unwrap();
    bounded("hold start", busy_rx).await.unwrap();
    gate_tx
}

/// Waits until at least `depth` items wait in the owner's mailbox.
pub async fn wait_for_depth(owner: &OwnerHandle, depth: usize) {
    bounded("queue fill", async {
        while owner.queue_depth() < depth {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    })
    .await;
}

/// After whatever happened, the owner still answers a JS call.
pub async fn check_usable(owner: &OwnerHandle) {
    let value = bounded(
        "follow-up call",
        owner.call("after", |ctx| {
            ctx.eval::<i32, _>("[1, 2, 3].map(x => x * 2).reduce((a, b) => a + b)")
        }),
    )
    .await;
    assert_eq!(value, Ok(12), "owner must stay usable");
}

/// A size knob read from the environment (CI runs the default; set it to run large).
pub fn knob(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}

/// A call result whose drop panics. When its caller has stopped waiting, the owner drops the
/// result after the item's guard (there is nobody to hand it to), so the panic unwinds through the
/// owner's own code: a path no `catch_unwind` around user code covers.
pub struct PanicsOnDrop;

impl Drop for PanicsOnDrop {
    fn drop(&mut self) {
        panic!("result dropped with nobody waiting");
    }
}

/// A call that returns a [`PanicsOnDrop`], running on the owner and blocked until
/// [`abandon`](Self::abandon).
pub struct DoomedCall {
    go: std::sync::mpsc::Sender<()>,
    caller: tokio::task::JoinHandle<Result<(), OwnerError>>,
}

impl DoomedCall {
    /// Sends the call (op `doomed`) and returns once the owner runs it.
    pub async fn start(owner: &OwnerHandle) -> DoomedCall {
        let (go, go_rx) = std::sync::mpsc::channel::<()>();
        let (started_tx, started_rx) = tokio::sync::oneshot::channel();
        let owner = owner.clone();
        let caller = tokio::spawn(async move {
            owner
                .call("doomed", move |_ctx| {
                    let _ = started_tx.send(());
                    let _ = go_rx.recv_timeout(HANG);
                    Ok(PanicsOnDrop)
                })
                .await
                .map(drop)
        });
        bounded("doomed start", started_rx).await.unwrap();
        DoomedCall { go, caller }
    }

    /// The caller gives up; then the call returns its value, which the owner must drop (and the
    /// drop panics).
    pub async fn abandon(self) {
        self.caller.abort();
        assert!(self.caller.await.unwrap_err().is_cancelled());
        self.go.send(()).unwrap();
    }
}
