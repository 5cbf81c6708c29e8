//! Uncaught errors outside the script's main body: unhandled promise rejections and exceptions
//! thrown by timer callbacks. Recorded per owner thread as plain text (no JS values are kept).

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;

use rquickjs::{Ctx, Object, Value};

/// A script failure: message and JS stack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptFailure {
    /// What went wrong (an exception's `message`, or the thrown value as text).
    pub message: String,
    /// The JS stack, when there was one.
    pub stack: Option<String>,
}

impl ScriptFailure {
    /// Describes a thrown JS value.
    pub fn from_value(value: &Value<'_>) -> ScriptFailure {
        let thrown = crate::owner::local::describe_thrown(value);
        ScriptFailure {
            message: thrown.0,
            stack: thrown.1,
        }
    }
}

thread_local! {
    static NEXT_ID: Cell<u64> = const { Cell::new(1) };
    static UNHANDLED: RefCell<BTreeMap<u64, ScriptFailure>> = const { RefCell::new(BTreeMap::new()) };
    static UNCAUGHT: RefCell<Vec<ScriptFailure>> = const { RefCell::new(Vec::new()) };
}

/// Hidden property naming a tracked rejected promise.
const ID_PROPERTY: &str = "__unhandled_rejection_id";

/// The runtime's promise rejection tracker: remembers rejections nobody handles, forgets them
/// when a handler is attached later.
pub fn track<'js>(ctx: Ctx<'js>, promise: Value<'js>, reason: Value<'js>, is_handled: bool) {
    let Some(promise) = promise.as_object() else {
        return;
    };
    if is_handled {
        if let Ok(Some(id)) = promise.get::<_, Option<f64>>(ID_PROPERTY) {
            UNHANDLED.with(|unhandled| unhandled.borrow_mut().remove(&(id as u64)));
        }
        return;
    }
    let id = NEXT_ID.with(|next| {
        let id = next.get();
        next.set(id + 1);
        id
    });
    if mark(&ctx, promise, id).is_err() {
        let _ = ctx.catch();
    }
    let failure = ScriptFailure::from_value(&reason);
    UNHANDLED.with(|unhandled| unhandled.borrow_mut().insert(id, failure));
}

fn mark<'js>(_ctx: &Ctx<'js>, promise: &Object<'js>, id: u64) -> rquickjs::Result<()> {
    promise.prop(ID_PROPERTY, rquickjs::object::Property::from(id as f64))
}

/// Records an exception thrown where no script code can catch it (a timer callback).
pub fn report_uncaught(ctx: &Ctx<'_>, error: rquickjs::Error) {
    let failure = match error {
        rquickjs::Error::Exception => ScriptFailure::from_value(&ctx.catch()),
        other => ScriptFailure {
            message: other.to_string(),
            stack: None,
        },
    };
    UNCAUGHT.with(|uncaught| uncaught.borrow_mut().push(failure));
}

/// Whether an uncaught exception or unhandled rejection is pending.
pub fn has_failure() -> bool {
    UNCAUGHT.with(|uncaught| !uncaught.borrow().is_empty())
        || UNHANDLED.with(|unhandled| !unhandled.borrow().is_empty())
}

/// Takes the first pending failure (uncaught exceptions first), clearing the record.
pub fn take_failure() -> Option<ScriptFailure> {
    let uncaught = UNCAUGHT.with(|uncaught| std::mem::take(&mut *uncaught.borrow_mut()));
    let unhandled = UNHANDLED.with(|unhandled| std::mem::take(&mut *unhandled.borrow_mut()));
    uncaught
        .into_iter()
        .next()
        .or_else(|| unhandled.into_values().next())
}
