//! The owner-thread API (`owner::local`): timers, keep-alives, the callback table.

mod common;

use common::{bounded, hold};

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use geppetto::owner::{self, CallbackId, Owner, OwnerHandle, OwnerOptions, local};
use rquickjs::{Ctx, Function, Persistent, Value};

fn spawn(name: &str) -> OwnerHandle {
    Owner::spawn(OwnerOptions {
        name: name.into(),
        setup_context: Some(Box::new(|ctx| ctx.eval::<(), _>("globalThis.log = [];"))),
        ..OwnerOptions::default()
    })
    .unwrap()
}

/// A timer callback that appends `entry` to the JS `log`.
fn push(entry: &'static str) -> owner::TimerCallback {
    Box::new(move |ctx: &Ctx<'_>| {
        ctx.eval::<(), _>(format!("log.push('{entry}')")).unwrap();
    })
}

/// The check of this area: the JS log, read on the owner.
async fn check_log(owner: &OwnerHandle, expected: &[&str]) {
    let log = bounded(
        "read log",
        owner.call("read-log", |ctx| ctx.eval::<Vec<String>, _>("log")),
    )
    .await
    .unwrap();
    assert_eq!(log, expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timers_fire_in_due_order_and_clear_timeout_cancels() {
    let owner = spawn("timers");
    let result = bounded(
        "timers",
        owner.call("timers", |ctx| {
            local::set_timeout(Duration::from_millis(30), push("third")).unwrap();
            local::set_timeout(Duration::from_millis(10), push("first")).unwrap();
            let cleared = local::set_timeout(Duration::from_millis(20), push("cleared")).unwrap();
            local::set_timeout(Duration::from_millis(20), push("second")).unwrap();
            // Same due time as "third": creation order breaks the tie.
            local::set_timeout(Duration::from_millis(30), push("fourth")).unwrap();
            local::set_timeout(Duration::ZERO, push("zero")).unwrap();
            // Beyond what `Instant` can represent: clamped, never a panic, never due here.
            let never = local::set_timeout(Duration::MAX, push("never")).unwrap();
            assert!(local::clear_timeout(never));
            assert!(local::clear_timeout(cleared));
            assert!(!local::clear_timeout(cleared), "already cleared");
            ctx.eval::<(), _>("log.push('sync')")?;
            local::run_until_idle(ctx, "run-timers")
                .map_err(|error| rquickjs::Exception::throw_message(ctx, &error.to_string()))?;
            ctx.eval::<usize, _>("log.length")
        }),
    )
    .await;
    assert_eq!(result, Ok(6));
    check_log(
        &owner,
        &["sync", "zero", "first", "second", "third", "fourth"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timers_fire_from_the_main_loop_and_promise_jobs_run() {
    let owner = spawn("loop-timers");
    bounded(
        "schedule",
        owner.call("schedule", |ctx| {
            local::set_timeout(Duration::from_millis(20), push("timer")).unwrap();
            ctx.eval::<(), _>("Promise.resolve().then(() => log.push('job'))")
        }),
    )
    .await
    .unwrap();
    // Nobody waits for the timer: the owner's own loop fires it when due.
    bounded("timer fired", async {
        loop {
            let fired = owner
                .call("poll", |ctx| ctx.eval::<bool, _>("log.includes('timer')"))
                .await
                .unwrap();
            if fired {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await;
    check_log(&owner, &["job", "timer"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keep_alive_holds_run_until_idle_until_dropped() {
    let owner = spawn("keep-alive");
    let released = Arc::new(AtomicBool::new(false));
    let flag = released.clone();
    let result = bounded(
        "run_until_idle with keep-alive",
        owner.call("wait-native", move |ctx| {
            let keep = local::keep_alive().unwrap();
            let handle = local::weak_handle().unwrap().upgrade().unwrap();
            local::tokio_handle().unwrap().spawn(async move {
                tokio::time::sleep(Duration::from_millis(30)).await;
                // The owner serves this call while it waits in run_until_idle.
                handle
                    .call("from-task", |ctx| ctx.eval::<(), _>("log.push('task')"))
                    .await
                    .unwrap();
                flag.store(true, Ordering::SeqCst);
                drop(keep);
            });
            local::run_until_idle(ctx, "wait-native")
                .map_err(|error| rquickjs::Exception::throw_message(ctx, &error.to_string()))?;
            ctx.eval::<(), _>("log.push('idle')")?;
            Ok(())
        }),
    )
    .await;
    assert_eq!(result, Ok(()));
    assert!(released.load(Ordering::SeqCst));
    check_log(&owner, &["task", "idle"]).await;
    // With nothing outstanding it returns at once.
    bounded(
        "idle run_until_idle",
        owner.call("nothing", |ctx| {
            local::run_until_idle(ctx, "nothing")
                .map_err(|error| rquickjs::Exception::throw_message(ctx, &error.to_string()))
        }),
    )
    .await
    .unwrap();
}

#[test]
fn local_api_off_the_owner_thread_is_inert() {
    assert!(local::set_timeout(Duration::ZERO, push("never")).is_none());
    assert!(!local::clear_timeout(owner::TimerId(1)));
    assert!(local::keep_alive().is_none());
    assert!(local::weak_handle().is_none());
    assert!(local::owner_name().is_none());
    assert!(!local::release_callback(CallbackId(1)));
    assert_eq!(local::callback_count(), 0);
}

fn register_tripler<'js>(ctx: &Ctx<'js>) -> rquickjs::Result<CallbackId> {
    let function: Value<'js> = ctx.eval("(x) => x * 3")?;
    Ok(local::register_callback(ctx, function).expect("on the owner thread"))
}

fn invoke<'js>(ctx: &Ctx<'js>, id: CallbackId, argument: i32) -> rquickjs::Result<Option<i32>> {
    match local::callback(ctx, id) {
        Some(value) => {
            let function: Function<'js> = value.get()?;
            function.call((argument,)).map(Some)
        }
        None => Ok(None),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callback_table_registers_invokes_and_releases() {
    let owner = spawn("callbacks");
    // The id is plain data: it leaves the owner...
    let id: CallbackId = bounded("register", owner.call("register", register_tripler))
        .await
        .unwrap();
    // ...and comes back in later calls, from any task.
    let mut tasks = Vec::new();
    for n in 0..10 {
        let owner = owner.clone();
        tasks.push(tokio::spawn(async move {
            owner.call("invoke", move |ctx| invoke(ctx, id, n)).await
        }));
    }
    for (n, task) in tasks.into_iter().enumerate() {
        assert_eq!(
            bounded("invoke", task).await.unwrap(),
            Ok(Some(3 * n as i32))
        );
    }
    assert_eq!(
        bounded(
            "count",
            owner.call("count", |_ctx| Ok(local::callback_count()))
        )
        .await,
        Ok(1)
    );
    let released = bounded(
        "release",
        owner.call("release", move |ctx| {
            let first = local::release_callback(id);
            let second = local::release_callback(id);
            Ok((first, second, invoke(ctx, id, 1)?, local::callback_count()))
        }),
    )
    .await;
    assert_eq!(released, Ok((true, false, None, 0)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn releases_under_a_full_mailbox_are_not_lost() {
    const CAPACITY: usize = 4;
    const HELD: usize = 50;
    let owner = Owner::spawn(OwnerOptions {
        name: "releases".into(),
        mailbox_capacity: CAPACITY,
        ..OwnerOptions::default()
    })
    .unwrap();
    let count = || owner.call("count", |_ctx| Ok(local::callback_count()));
    let baseline = bounded("baseline", count()).await.unwrap();
    let ids = bounded(
        "register",
        owner.call("register", |ctx| {
            (0..HELD)
                .map(|_| register_tripler(ctx))
                .collect::<rquickjs::Result<Vec<_>>>()
        }),
    )
    .await
    .unwrap();
    // The owner is busy and its mailbox is full: a post would be refused.
    let gate = hold(&owner).await;
    while owner.try_post("filler", |_ctx| Ok(())).is_ok() {}
    assert!(matches!(
        owner.try_post("filler", |_ctx| Ok(())),
        Err(geppetto::owner::OwnerError::Full { .. })
    ));
    // Releases from other threads, one by one, as dropped Rust objects send them.
    let releasers: Vec<_> = ids
        .chunks(10)
        .map(|chunk| {
            let owner = owner.clone();
            let chunk = chunk.to_vec();
            std::thread::spawn(move || {
                for id in chunk {
                    owner.release_callbacks([id]);
                }
            })
        })
        .collect();
    for releaser in releasers {
        releaser.join().unwrap();
    }
    gate.send(()).unwrap();
    bounded("idle", owner.wait_idle()).await.unwrap();
    assert_eq!(bounded("after", count()).await, Ok(baseline));
}

#[test]
fn js_values_held_at_shutdown_are_released_before_the_runtime() {
    // A Persistent outliving its runtime aborts the process: callbacks and pending timers that
    // hold JS values must be cleared when the owner stops.
    let owner = Owner::spawn(OwnerOptions {
        name: "held".into(),
        ..OwnerOptions::default()
    })
    .unwrap();
    owner
        .call_blocking("hold", |ctx| {
            for _ in 0..100 {
                register_tripler(ctx)?;
            }
            let function: Function = ctx.eval("() => 1")?;
            let saved = Persistent::save(ctx, function);
            local::set_timeout(
                Duration::from_secs(3600),
                Box::new(move |ctx: &Ctx<'_>| {
                    let _ = saved.restore(ctx);
                }),
            );
            Ok(())
        })
        .unwrap();
    assert_eq!(
        owner.call_blocking("count", |_ctx| Ok(local::callback_count())),
        Ok(100)
    );
    drop(owner); // joins the thread; reaching the next line means no abort
}

/// What a future polled on the owner thread saw: the thread polling it, a value sent from
/// another thread, and the result of an owner call it made.
type PolledHere = (std::thread::ThreadId, i32, i32);

/// The checks of a future polled on the owner thread: a wake-up from another thread reaches the
/// pump (7 is sent from a plain thread), and an owner call runs inline, at once (`6 * 7`).
async fn wake_from_a_thread_then_call_inline(handle: OwnerHandle) -> PolledHere {
    let polled_on = std::thread::current().id();
    let (sender, receiver) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(5));
        let _ = sender.send(7);
    });
    let sent = receiver.await.unwrap();
    let inline = handle
        .call("inline", |ctx| ctx.eval::<i32, _>("6 * 7"))
        .await
        .unwrap();
    (polled_on, sent, inline)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn block_on_here_polls_on_the_owner_thread_with_tokio_and_inline_calls() {
    let owner = spawn("poll-here");
    let seen: Result<(std::thread::ThreadId, PolledHere), _> = bounded(
        "poll here",
        owner.call("poll-here", |ctx| {
            let handle = local::weak_handle().unwrap().upgrade().unwrap();
            let future = async move {
                // tokio timers work: the runtime is entered while polling.
                tokio::time::sleep(Duration::from_millis(1)).await;
                wake_from_a_thread_then_call_inline(handle).await
            };
            let here = std::thread::current().id();
            local::block_on_here_group(ctx, "poll-here", None, future)
                .map(|seen| (here, seen))
                .map_err(|error| rquickjs::Exception::throw_message(ctx, &error.message()))
        }),
    )
    .await;
    let (owner_thread, (polled_on, sent, inline)) = seen.unwrap();
    assert_eq!(polled_on, owner_thread);
    assert_eq!((sent, inline), (7, 42));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn block_on_here_ends_when_the_item_is_cancelled() {
    let owner = spawn("poll-here-cancel");
    let token = tokio_util::sync::CancellationToken::new();
    let options = owner::CallOptions {
        cancel: Some(token.clone()),
        ..owner::CallOptions::default()
    };
    let dropped = Arc::new(AtomicBool::new(false));
    let dropped_in_future = dropped.clone();
    let call = owner.call_with(options, "poll-forever", move |ctx| {
        struct SetOnDrop(Arc<AtomicBool>);
        impl Drop for SetOnDrop {
            fn drop(&mut self) {
                self.0.store(true, Ordering::SeqCst);
            }
        }
        let guard = SetOnDrop(dropped_in_future);
        let future = async move {
            let _guard = guard;
            std::future::pending::<()>().await
        };
        local::block_on_here_group(ctx, "poll-forever", None, future)
            .map_err(|error| rquickjs::Exception::throw_message(ctx, &error.message()))
    });
    let cancel = async {
        tokio::time::sleep(Duration::from_millis(20)).await;
        token.cancel();
    };
    let (result, ()) = bounded("cancelled poll", async { tokio::join!(call, cancel) }).await;
    assert!(result.is_err(), "a cancelled item fails: {result:?}");
    // The caller's answer may come before the owner has unwound the item: wait for the drop.
    bounded("future dropped", async {
        while !dropped.load(Ordering::SeqCst) {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    })
    .await;
}

/// Returns `Pending` `times` times, waking itself during each of those polls (as a yielding
/// future does), then `Ready`.
struct WakesItselfWhilePolled {
    times: u32,
}

impl std::future::Future for WakesItselfWhilePolled {
    type Output = u32;

    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<u32> {
        if self.times == 0 {
            return std::task::Poll::Ready(7);
        }
        self.times -= 1;
        cx.waker().wake_by_ref();
        std::task::Poll::Pending
    }
}

/// A future that wakes itself during its own poll, on the owner thread, with nothing else to
/// wake the pump, is polled again: the pump does not park with the future due (that lost wake
/// once hung a provider stream below a JS middleware).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn block_on_here_repolls_a_future_that_woke_itself_while_polled() {
    let owner = spawn("poll-here-yield");
    let options = owner::CallOptions {
        // Without the re-poll the pump would wait for this deadline and fail the call.
        deadline: Some(std::time::Instant::now() + Duration::from_secs(30)),
        ..owner::CallOptions::default()
    };
    let call = owner.call_with(options, "poll-yielding", |ctx| {
        local::block_on_here_group(
            ctx,
            "poll-yielding",
            None,
            WakesItselfWhilePolled { times: 1_000 },
        )
        .map_err(|error| rquickjs::Exception::throw_message(ctx, &error.message()))
    });
    assert_eq!(bounded("yielding poll", call).await.unwrap(), 7);
}

/// A task spawned with `spawn_here` is polled on the owner thread, is woken from other threads,
/// and its owner calls run inline.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spawn_here_polls_on_the_owner_thread_with_inline_calls() {
    let owner = spawn("spawn-here");
    let (done, seen) = tokio::sync::oneshot::channel::<PolledHere>();
    let owner_thread = bounded(
        "spawn task",
        owner.call("spawn-task", move |_ctx| {
            let handle = local::weak_handle().unwrap().upgrade().unwrap();
            let task = async move {
                let _ = done.send(wake_from_a_thread_then_call_inline(handle).await);
            };
            assert!(local::spawn_here(task));
            Ok(std::thread::current().id())
        }),
    )
    .await
    .unwrap();
    let (polled_on, sent, inline) = bounded("task done", seen).await.unwrap();
    assert_eq!(polled_on, owner_thread);
    assert_eq!((sent, inline), (7, 42));
}

/// A task is polled between JS turns only: not while the item that spawned it waits in the
/// middle of its turn.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spawn_here_tasks_wait_for_the_end_of_the_turn() {
    let owner = spawn("spawn-here-turn");
    let order = Arc::new(parking_lot::Mutex::new(Vec::<&'static str>::new()));
    let (done, finished) = tokio::sync::oneshot::channel::<()>();
    let task_order = order.clone();
    let item_order = order.clone();
    bounded(
        "spawn and wait",
        owner.call("spawn-and-wait", move |ctx| {
            local::spawn_here(async move {
                task_order.lock().push("task");
                let _ = done.send(());
            });
            local::block_on(ctx, "wait", tokio::time::sleep(Duration::from_millis(30)))
                .map_err(|error| rquickjs::Exception::throw_message(ctx, &error.message()))?;
            item_order.lock().push("turn ended");
            Ok(())
        }),
    )
    .await
    .unwrap();
    bounded("task ran", finished).await.unwrap();
    assert_eq!(*order.lock(), ["turn ended", "task"]);
}

/// Tasks still pending when the owner stops are dropped on its thread, before its runtime.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spawn_here_tasks_are_dropped_at_shutdown() {
    struct SetOnDrop(Arc<AtomicBool>);
    impl Drop for SetOnDrop {
        fn drop(&mut self) {
            self.0.store(true, Ordering::SeqCst);
        }
    }
    let owner = spawn("spawn-here-shutdown");
    let dropped = Arc::new(AtomicBool::new(false));
    let guard = SetOnDrop(dropped.clone());
    bounded(
        "spawn pending task",
        owner.call("spawn-pending", move |_ctx| {
            local::spawn_here(async move {
                let _guard = guard;
                std::future::pending::<()>().await;
            });
            Ok(())
        }),
    )
    .await
    .unwrap();
    assert!(!dropped.load(Ordering::SeqCst));
    bounded("shutdown", owner.shutdown(owner::ShutdownMode::Drain, None)).await;
    // `shutdown` may return once the owner refuses work, before its thread has finished.
    bounded("task dropped", async {
        while !dropped.load(Ordering::SeqCst) {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    })
    .await;
}
