//! Collected JS handles release their Rust objects and JS callbacks: a runtime that creates
//! sessions without bound does not grow without bound.

mod common;

use std::sync::Arc;

use common::{bounded, hold};
use geppetto::bridge::{JsFunctionEngine, live_objects};
use geppetto::host::geppetto_module;
use geppetto::inference::tools::default_host_tools;
use geppetto::owner::{Owner, OwnerError, OwnerOptions, local};
use geppetto::runtime::ScriptHost;

const CREATE: &str = r#"
  const gp = require("geppetto");
  globalThis.keep = [];
  (function () {
    for (let i = 0; i < 200; i++) {
      const tools = gp.tools.createRegistry().register({ name: "t", handler: () => i });
      const session = gp.createSession({
        engine: gp.engines.fromFunction((turn) => turn),
        middlewares: [(turn, next) => next(turn), gp.middlewares.fromJS((turn, next) => next(turn))],
        tools,
        toolHooks: { beforeToolCall: () => undefined },
      });
      session.run({ blocks: [{ kind: "user", payload: { text: "hi " + i } }] });
      keep.push(session, tools);
    }
  })();
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn collected_handles_release_their_objects_and_callbacks() {
    let host = ScriptHost::default().with_module(Arc::new(geppetto_module(default_host_tools())));
    let owner = Owner::spawn(host.configure(OwnerOptions::default())).expect("owner");
    let created = owner
        .call("handles", |ctx| {
            ctx.eval::<(), _>(CREATE)?;
            ctx.run_gc();
            local::run_ready(ctx);
            let created = (live_objects(), local::callback_count());
            // Drop the last references, collect, then run the FinalizationRegistry jobs the
            // collection queued.
            ctx.eval::<(), _>("globalThis.keep = null;")?;
            ctx.run_gc();
            local::run_ready(ctx);
            Ok(created)
        })
        .await
        .expect("call");
    // Objects whose last reference dropped on a tokio thread release their callbacks with a
    // message to the owner: let those run first.
    owner.wait_idle().await.expect("idle");
    let after_gc = owner
        .call("count", |_| Ok((live_objects(), local::callback_count())))
        .await
        .expect("call");
    // Kept alive: each session holds its engine, middlewares, tools and hooks (their table entries
    // go with their own handles, but their callbacks stay while the session lives).
    assert!(created.0 >= 400, "objects while referenced: {created:?}");
    assert!(created.1 >= 800, "callbacks while referenced: {created:?}");
    assert!(
        after_gc.0 < 10,
        "objects left after collection: {after_gc:?} (created {created:?})"
    );
    assert!(
        after_gc.1 < 10,
        "callbacks left after collection: {after_gc:?} (created {created:?})"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn engines_dropped_off_the_owner_under_a_full_mailbox_release_their_callbacks() {
    const ENGINES: usize = 100;
    let owner = Owner::spawn(OwnerOptions {
        name: "full-releases".into(),
        mailbox_capacity: 2,
        ..OwnerOptions::default()
    })
    .expect("owner");
    let count = || owner.call("count", |_| Ok(local::callback_count()));
    let baseline = bounded("baseline", count()).await.expect("count");
    let ids = bounded(
        "register",
        owner.call("register", |ctx| {
            (0..ENGINES)
                .map(|_| {
                    let function = ctx.eval::<rquickjs::Value, _>("(turn) => turn")?;
                    Ok(local::register_callback(ctx, function).expect("on the owner"))
                })
                .collect::<rquickjs::Result<Vec<_>>>()
        }),
    )
    .await
    .expect("register");
    let engines: Vec<JsFunctionEngine> = ids
        .into_iter()
        .map(|callback| JsFunctionEngine {
            callback,
            owner: owner.downgrade(),
        })
        .collect();
    // The owner is busy and its mailbox full: posting anything now is refused.
    let gate = hold(&owner).await;
    while owner.try_post("filler", |_| Ok(())).is_ok() {}
    assert!(matches!(
        owner.try_post("filler", |_| Ok(())),
        Err(OwnerError::Full { .. })
    ));
    // The last references drop on a tokio thread, as when a finished run lets go of its engine.
    tokio::task::spawn_blocking(move || drop(engines))
        .await
        .expect("drop");
    gate.send(()).expect("gate");
    bounded("idle", owner.wait_idle()).await.expect("idle");
    assert_eq!(bounded("after", count()).await, Ok(baseline));
}
