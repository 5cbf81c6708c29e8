//! Describing a thrown JS value (an exception taken off the context) as plain text.

use rquickjs::Ctx;

/// A thrown JS value taken off the context: its message and stack.
pub(crate) struct JsThrown {
    /// `Error.message`, or the thrown value as text.
    pub(crate) message: String,
    /// `Error.stack`, when present and not empty.
    pub(crate) stack: Option<String>,
}

impl JsThrown {
    /// Takes the pending exception for `error` (or describes `error` when it is not an exception).
    pub(crate) fn take(ctx: &Ctx<'_>, error: &rquickjs::Error) -> JsThrown {
        if !matches!(error, rquickjs::Error::Exception) {
            return JsThrown {
                message: error.to_string(),
                stack: None,
            };
        }
        let value = ctx.catch();
        JsThrown::from_value(&value)
    }

    /// Describes a thrown value.
    pub(crate) fn from_value(value: &rquickjs::Value<'_>) -> JsThrown {
        if let Some(object) = value.as_object() {
            let message = object.get::<_, Option<String>>("message").ok().flatten();
            let stack = object
                .get::<_, Option<String>>("stack")
                .ok()
                .flatten()
                .filter(|stack| !stack.trim().is_empty());
            if let Some(message) = message {
                return JsThrown { message, stack };
            }
        }
        let message = match value.as_string() {
            Some(text) => text.to_string().unwrap_or_default(),
            None => value
                .ctx()
                .json_stringify(value.clone())
                .ok()
                .flatten()
                .and_then(|text| text.to_string().ok())
                .unwrap_or_else(|| format!("{value:?}")),
        };
        JsThrown {
            message,
            stack: None,
        }
    }

    /// The pending exception for `error` as one text: message, then stack.
    pub(crate) fn text(ctx: &Ctx<'_>, error: rquickjs::Error) -> String {
        let thrown = JsThrown::take(ctx, &error);
        match thrown.stack {
            Some(stack) => format!("{}\n{stack}", thrown.message),
            None => thrown.message,
        }
    }
}
