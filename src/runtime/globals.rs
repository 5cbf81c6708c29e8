//! The script-harness globals: `console`, `assert`, `ENV`, `sleep`, `setTimeout`, `clearTimeout`.

use std::collections::BTreeMap;
use std::io::Write;
use std::time::Duration;

use rquickjs::function::{Opt, Rest};
use rquickjs::{Ctx, Function, Object, Persistent, Value};

use crate::owner::{TimerId, local};

/// Installs the harness globals. `env` becomes the frozen-by-convention `ENV` object.
pub fn install<'js>(ctx: &Ctx<'js>, env: &BTreeMap<String, String>) -> rquickjs::Result<()> {
    let globals = ctx.globals();
    let console = Object::new(ctx.clone())?;
    for name in ["log", "info"] {
        console.set(
            name,
            Function::new(ctx.clone(), |args: Rest<Value<'_>>| {
                print_line(&mut std::io::stdout().lock(), &args.0)
            })?,
        )?;
    }
    for name in ["error", "warn"] {
        console.set(
            name,
            Function::new(ctx.clone(), |args: Rest<Value<'_>>| {
                print_line(&mut std::io::stderr().lock(), &args.0)
            })?,
        )?;
    }
    globals.set("console", console)?;

    let env_object = Object::new(ctx.clone())?;
    for (key, value) in env {
        env_object.set(key.as_str(), value.as_str())?;
    }
    globals.set("ENV", env_object)?;

    globals.set(
        "sleep",
        Function::new(
            ctx.clone(),
            |ctx: Ctx<'_>, ms: Opt<f64>| -> rquickjs::Result<()> {
                let delay = duration_from_ms(ms.0.unwrap_or(0.0));
                local::sleep(&ctx, "sleep", delay)
                    .map_err(|error| rquickjs::Exception::throw_message(&ctx, &error.message()))
            },
        )?,
    )?;

    globals.set(
        "setTimeout",
        Function::new(
            ctx.clone(),
            |ctx: Ctx<'js>, callback: Function<'js>, ms: Opt<f64>, args: Rest<Value<'js>>| {
                set_timeout(&ctx, callback, ms.0.unwrap_or(0.0), args.0)
            },
        )?,
    )?;
    globals.set(
        "clearTimeout",
        Function::new(ctx.clone(), |id: Opt<Value<'_>>| {
            if let Some(id) = id.0.and_then(|id| id.as_number())
                && id >= 1.0
            {
                local::clear_timeout(TimerId(id as u64));
            }
        })?,
    )?;

    ctx.eval::<(), _>(include_str!("../../js/harness.js"))?;
    Ok(())
}

/// Sets `globalThis[name] = value` for each entry, in order.
pub fn install_values(
    ctx: &Ctx<'_>,
    values: &[(String, serde_json::Value)],
) -> rquickjs::Result<()> {
    let globals = ctx.globals();
    for (name, value) in values {
        let text = serde_json::to_string(value).map_err(|error| {
            rquickjs::Exception::throw_type(ctx, &format!("global {name}: {error}"))
        })?;
        globals.set(name.as_str(), ctx.json_parse(text)?)?;
    }
    Ok(())
}

fn duration_from_ms(ms: f64) -> Duration {
    if ms.is_finite() && ms > 0.0 {
        Duration::from_secs_f64(ms / 1000.0)
    } else {
        Duration::ZERO
    }
}

fn set_timeout<'js>(
    ctx: &Ctx<'js>,
    callback: Function<'js>,
    ms: f64,
    args: Vec<Value<'js>>,
) -> rquickjs::Result<f64> {
    let callback = Persistent::save(ctx, callback);
    let args: Vec<Persistent<Value<'static>>> = args
        .into_iter()
        .map(|arg| Persistent::save(ctx, arg))
        .collect();
    let id = local::set_timeout(
        duration_from_ms(ms),
        Box::new(move |ctx: &Ctx<'_>| {
            let run = || -> rquickjs::Result<()> {
                let callback = callback.restore(ctx)?;
                let mut call_args = rquickjs::function::Args::new(ctx.clone(), args.len());
                for arg in args {
                    call_args.push_arg(arg.restore(ctx)?)?;
                }
                callback.call_arg::<()>(call_args)
            };
            if let Err(error) = run() {
                crate::runtime::rejections::report_uncaught(ctx, error);
            }
        }),
    );
    match id {
        Some(id) => Ok(id.0 as f64),
        None => Err(rquickjs::Exception::throw_message(
            ctx,
            "setTimeout is only available on an owner thread",
        )),
    }
}

/// Formats console arguments: strings as they are, other values JSON-encoded (errors as
/// `Name: message`, values JSON cannot encode via `String(value)`), joined by spaces.
pub fn format_args(args: &[Value<'_>]) -> String {
    args.iter().map(format_value).collect::<Vec<_>>().join(" ")
}

fn format_value(value: &Value<'_>) -> String {
    if let Some(text) = value.as_string() {
        return text.to_string().unwrap_or_default();
    }
    if value.is_undefined() {
        return "undefined".into();
    }
    if value.is_function() {
        return "[Function]".into();
    }
    if let Some(object) = value.as_object()
        && value.is_error()
    {
        let name: String = object.get("name").unwrap_or_else(|_| "Error".into());
        let message: String = object.get("message").unwrap_or_default();
        return format!("{name}: {message}");
    }
    let ctx = value.ctx();
    match ctx.json_stringify(value.clone()) {
        Ok(Some(text)) => text.to_string().unwrap_or_default(),
        _ => {
            let _ = ctx.catch();
            rquickjs::Coerced::<String>::from_js(ctx, value.clone())
                .map(|text| text.0)
                .unwrap_or_else(|_| "[object]".into())
        }
    }
}

fn print_line(out: &mut dyn Write, args: &[Value<'_>]) {
    let mut line = format_args(args);
    line.push('\n');
    let _ = out.write_all(line.as_bytes());
    let _ = out.flush();
}

use rquickjs::FromJs;
