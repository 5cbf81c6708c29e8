//! Failures are values (spec rules 6 and 7): memory and stack limits, Rust panics (in a call and
//! in a native function JS calls), JS exceptions. The owner survives each one.

mod common;

use common::{bounded, check_usable};

use geppetto::owner::{DEFAULT_MEMORY_LIMIT, Outcome, Owner, OwnerError, OwnerOptions};
use rquickjs::{Ctx, Function};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_limit_is_an_error_not_a_crash() {
    let owner = Owner::spawn(OwnerOptions {
        name: "memory".into(),
        memory_limit: Some(8 * 1024 * 1024),
        ..OwnerOptions::default()
    })
    .unwrap();
    // Function scopes: the garbage dies with the failed call, so the owner can go on.
    for source in [
        // Many small objects.
        "(() => { const keep = []; while (true) { keep.push({ a: [1, 2, 3], b: 'x'.repeat(64) }); } })()",
        // Ever larger flat strings.
        "(() => { const keep = []; let n = 1024; while (true) { keep.push('x'.repeat(n)); n *= 2; } })()",
    ] {
        let result = bounded(
            "allocation",
            owner.call("hog", move |ctx| ctx.eval::<(), _>(source)),
        )
        .await;
        // Spec rule 6: past the limit the call fails with `OutOfMemory`, whether QuickJS could
        // still allocate its `InternalError: out of memory` (large strings) or had to throw `null`
        // (many small objects fill the heap to the last bytes).
        match &result {
            Err(error @ OwnerError::OutOfMemory { op: "hog", .. }) => {
                assert_eq!(error.to_string(), "owner \"memory\" op hog: out of memory")
            }
            other => panic!("expected OutOfMemory, got {other:?}"),
        }
        check_usable(&owner).await;
    }
    assert!(owner.stats().outcome(Outcome::Error) >= 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn out_of_memory_is_catchable_in_js_and_the_runtime_recovers() {
    // Every owner has a heap limit unless its embedder removes it.
    assert_eq!(DEFAULT_MEMORY_LIMIT, 1 << 30);
    assert_eq!(
        OwnerOptions::default().memory_limit,
        Some(DEFAULT_MEMORY_LIMIT)
    );
    let owner = Owner::spawn(OwnerOptions {
        name: "catch-oom".into(),
        memory_limit: Some(32 * 1024 * 1024),
        ..OwnerOptions::default()
    })
    .unwrap();
    for round in 0..3 {
        let seen = bounded(
            "catch",
            owner.call("catch-oom", |ctx| {
                ctx.eval::<Vec<String>, _>(
                    r#"
                    (() => {
                    let caught;
                    try {
                        (() => {
                            const held = [];
                            while (true) held.push("x".repeat(1 << 20) + held.length);
                        })();
                    } catch (error) {
                        caught = error;
                    }
                    const again = [];
                    for (let i = 0; i < 8; i++) again.push("y".repeat(1 << 20) + i);
                    return [caught.name, caught.message, String(again.length)];
                    })()
                    "#,
                )
            }),
        )
        .await;
        assert_eq!(
            seen,
            Ok(vec![
                "InternalError".to_string(),
                "out of memory".into(),
                "8".into()
            ]),
            "round {round}"
        );
    }
    check_usable(&owner).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stack_limit_is_a_js_error_not_a_crash() {
    for max_stack_size in [None, Some(512 * 1024)] {
        let owner = Owner::spawn(OwnerOptions {
            name: "stack".into(),
            max_stack_size,
            ..OwnerOptions::default()
        })
        .unwrap();
        let result = bounded(
            "deep recursion",
            owner.call("recurse", |ctx| {
                ctx.eval::<i32, _>("function down(n) { return down(n + 1) + 1; } down(0)")
            }),
        )
        .await;
        match &result {
            Err(OwnerError::Js {
                op: "recurse",
                message,
                ..
            }) => {
                assert!(
                    message.contains("stack overflow")
                        || message.contains("Maximum call stack size exceeded"),
                    "{message}"
                );
            }
            other => panic!("expected a stack overflow Js error, got {other:?}"),
        }
        check_usable(&owner).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn panic_in_a_call_is_panicked_and_the_owner_survives() {
    let owner = Owner::spawn(OwnerOptions {
        name: "panics".into(),
        ..OwnerOptions::default()
    })
    .unwrap();
    let result: Result<(), _> = bounded(
        "panicking call",
        owner.call("explode", |_ctx| panic!("boom in a call")),
    )
    .await;
    match &result {
        Err(
            error @ OwnerError::Panicked {
                op: "explode",
                message,
                ..
            },
        ) => {
            assert_eq!(message, "boom in a call");
            assert_eq!(
                error.to_string(),
                "owner \"panics\" op explode: panicked: boom in a call"
            );
        }
        other => panic!("expected Panicked, got {other:?}"),
    }
    check_usable(&owner).await;

    // A formatted (String) payload, from a post: logged, counted, survived.
    let n = 7;
    owner
        .post("explode-post", move |_ctx| panic!("post boom {n}"))
        .await
        .unwrap();
    bounded("idle", owner.wait_idle()).await.unwrap();
    assert_eq!(owner.stats().outcome(Outcome::Panicked), 2);
    check_usable(&owner).await;
}

fn install_panicking_native<'js>(ctx: &Ctx<'js>) -> rquickjs::Result<()> {
    let function = Function::new(ctx.clone(), |n: i32| -> i32 {
        if n > 2 {
            panic!("native boom at {n}");
        }
        n
    })?;
    ctx.globals().set("native", function)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn panic_in_a_native_function_called_from_js_is_panicked() {
    let owner = Owner::spawn(OwnerOptions {
        name: "native-panics".into(),
        setup_context: Some(Box::new(install_panicking_native)),
        ..OwnerOptions::default()
    })
    .unwrap();
    assert_eq!(
        bounded(
            "fine",
            owner.call("fine", |ctx| ctx.eval::<i32, _>("native(1) + native(2)"))
        )
        .await,
        Ok(3)
    );
    let result = bounded(
        "panicking native",
        owner.call("native-call", |ctx| {
            ctx.eval::<i32, _>("function viaJs(n) { return native(n) + 1; } viaJs(2) + viaJs(5)")
        }),
    )
    .await;
    match &result {
        Err(OwnerError::Panicked {
            op: "native-call",
            message,
            ..
        }) => {
            assert!(message.contains("native boom at 5"), "{message}");
        }
        other => panic!("expected Panicked, got {other:?}"),
    }
    check_usable(&owner).await;
    assert_eq!(
        bounded(
            "native again",
            owner.call("fine", |ctx| ctx.eval::<i32, _>("native(2)"))
        )
        .await,
        Ok(2)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn js_exception_is_js_error_with_message_and_stack() {
    let owner = Owner::spawn(OwnerOptions {
        name: "throws".into(),
        ..OwnerOptions::default()
    })
    .unwrap();
    let result = bounded(
        "throwing call",
        owner.call("invoke-tool", |ctx| {
            ctx.eval::<(), _>(
                "function innerThrower() { throw new TypeError('bad tool input'); }
                 function outerCaller() { innerThrower(); }
                 outerCaller();",
            )
        }),
    )
    .await;
    match &result {
        Err(
            error @ OwnerError::Js {
                op, message, stack, ..
            },
        ) => {
            assert_eq!(*op, "invoke-tool");
            assert_eq!(message, "bad tool input");
            let stack = stack.as_deref().expect("a JS stack");
            assert!(stack.contains("innerThrower"), "{stack}");
            assert!(stack.contains("outerCaller"), "{stack}");
            assert_eq!(
                error.to_string(),
                "owner \"throws\" op invoke-tool: bad tool input"
            );
            assert_eq!(error.message(), "bad tool input");
            assert_eq!(error.outcome(), Outcome::Error);
        }
        other => panic!("expected Js, got {other:?}"),
    }

    // A thrown non-Error value is described too.
    let thrown = bounded(
        "throw value",
        owner.call("throw-value", |ctx| ctx.eval::<(), _>("throw { code: 42 }")),
    )
    .await;
    match &thrown {
        Err(OwnerError::Js { message, .. }) => assert!(message.contains("42"), "{message}"),
        other => panic!("expected Js, got {other:?}"),
    }
    let thrown = bounded(
        "throw string",
        owner.call("throw-string", |ctx| {
            ctx.eval::<(), _>("throw 'plain text'")
        }),
    )
    .await;
    assert!(
        matches!(&thrown, Err(OwnerError::Js { message, stack: None, .. }) if message == "plain text"),
        "{thrown:?}"
    );
    // A syntax error is a Js error too.
    let syntax = bounded(
        "syntax",
        owner.call("syntax", |ctx| ctx.eval::<(), _>("function (")),
    )
    .await;
    assert!(
        matches!(syntax, Err(OwnerError::Js { op: "syntax", .. })),
        "{syntax:?}"
    );
    // A pending exception does not leak into the next item.
    check_usable(&owner).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_setup_is_a_spawn_error() {
    let error = Owner::spawn(OwnerOptions {
        name: "bad-setup".into(),
        setup_context: Some(Box::new(|ctx| {
            ctx.eval::<(), _>("throw new Error('setup failed')")
        })),
        ..OwnerOptions::default()
    })
    .unwrap_err();
    assert!(error.to_string().contains("setup failed"), "{error}");
    let error = Owner::spawn(OwnerOptions {
        name: "panicking-setup".into(),
        setup_context: Some(Box::new(|_ctx| panic!("setup panic"))),
        ..OwnerOptions::default()
    })
    .unwrap_err();
    assert!(error.to_string().contains("setup panic"), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn native_panic_caught_by_js_is_panicked_and_does_not_leak_into_later_items() {
    // rquickjs turns a panic in a native function into a JS exception and keeps the payload in
    // the runtime until an exception next reaches Rust. JS can catch that exception: the panic
    // must still fail the item it happened in, never a later, unrelated one.
    let owner = Owner::spawn(OwnerOptions {
        name: "caught-panic".into(),
        setup_context: Some(Box::new(install_panicking_native)),
        ..OwnerOptions::default()
    })
    .unwrap();
    let caught = bounded(
        "caught native panic",
        owner.call("catches", |ctx| {
            ctx.eval::<String, _>(
                "let r = 'none'; try { native(5); } catch (e) { r = 'caught'; } r",
            )
        }),
    )
    .await;
    match &caught {
        Err(OwnerError::Panicked {
            op: "catches",
            message,
            ..
        }) => {
            assert!(message.contains("native boom at 5"), "{message}");
        }
        other => panic!("expected Panicked for the item that panicked, got {other:?}"),
    }
    let unrelated = bounded(
        "unrelated failing item",
        owner.call("unrelated", |ctx| {
            ctx.eval::<(), _>("throw new Error('own error')")
        }),
    )
    .await;
    assert!(
        matches!(&unrelated, Err(OwnerError::Js { op: "unrelated", message, .. }) if message == "own error"),
        "a later item was blamed for an earlier panic: {unrelated:?}"
    );
    check_usable(&owner).await;
}
