//! Stray panics: panics of native functions that rquickjs caught, turned into JS exceptions, and
//! still holds after JS caught those exceptions.

use std::panic::{AssertUnwindSafe, catch_unwind};

use rquickjs::Ctx;

/// Takes a panic that rquickjs caught in a native function but still holds: rquickjs turns the
/// panic into a JS exception and resumes it only when an exception next reaches Rust, so when JS
/// catches that exception the panic would surface in some later, unrelated call.
pub(crate) fn take_stray_panic(ctx: &Ctx<'_>) -> Option<Box<dyn std::any::Any + Send>> {
    use rquickjs::FromJs;
    // SAFETY: `JS_EXCEPTION` is a tag-only value (not reference counted). Converting it with
    // `FromJs for Result` resumes a stored panic (caught here) or yields `Ok(Err(Exception))`,
    // without touching the pending exception.
    let marker = unsafe { rquickjs::Value::from_raw(ctx.clone(), rquickjs::qjs::JS_EXCEPTION) };
    catch_unwind(AssertUnwindSafe(|| {
        let _ = <rquickjs::Result<()> as FromJs>::from_js(ctx, marker);
    }))
    .err()
}

/// Logs a stray panic of work that ran outside any item (promise jobs, timers, top-level work).
pub(crate) fn log_stray_panic(ctx: &Ctx<'_>, owner: &str, what: &str) {
    if let Some(panic) = take_stray_panic(ctx) {
        tracing::error!(target: "geppetto::owner", owner, "{what} panicked: {}", panic_text(&*panic));
    }
}

/// The text of a panic payload.
pub(crate) fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<&str>() {
        (*text).to_string()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "unknown panic payload".into()
    }
}
