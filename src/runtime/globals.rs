//! The script-harness globals: `console`, `assert`, `ENV`, `sleep`, `setTimeout`, `clearTimeout`.
//!
//! Durations taken from JS never reach `Duration` unchecked: `setTimeout` converts its delay as
//! browsers do (see [`MAX_DELAY_MS`]), `sleep` rejects what is not a duration with a catchable
//! `TypeError`/`RangeError`.

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
            |ctx: Ctx<'js>, ms: Opt<Value<'js>>| -> rquickjs::Result<()> {
                let delay = sleep_duration(&ctx, ms.0)?;
                local::sleep(&ctx, "sleep", delay)
                    .map_err(|error| rquickjs::Exception::throw_message(&ctx, &error.message()))
            },
        )?,
    )?;

    globals.set(
        "setTimeout",
        Function::new(
            ctx.clone(),
            |ctx: Ctx<'js>,
             callback: Opt<Value<'js>>,
             ms: Opt<Value<'js>>,
             args: Rest<Value<'js>>| {
                let Some(callback) = callback.0.and_then(|callback| callback.into_function())
                else {
                    return Err(rquickjs::Exception::throw_type(
                        &ctx,
                        "setTimeout requires a callback function",
                    ));
                };
                let delay = timer_delay(&ctx, ms.0)?;
                set_timeout(&ctx, callback, delay, args.0)
            },
        )?,
    )?;
    globals.set(
        "clearTimeout",
        Function::new(ctx.clone(), |id: Opt<Value<'_>>| {
            if let Some(id) = id.0.and_then(|id| id.as_number())
                && (1.0..=MAX_TIMER_ID).contains(&id)
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

/// The longest delay a timer or `sleep` takes: 2^31 - 1 ms (about 24.8 days), the largest
/// value of the WebIDL `long` that browsers use for `setTimeout`'s delay.
pub const MAX_DELAY_MS: u32 = i32::MAX as u32;

/// Timer ids are handed out as JS numbers; above 2^53 they are no longer exact.
const MAX_TIMER_ID: f64 = 9_007_199_254_740_991.0;

/// `setTimeout`'s delay as browsers compute it (HTML timer initialisation steps): the argument
/// converted to a number (`undefined` is 0), then to a WebIDL `long` (ToInt32: NaN and ±Infinity
/// become 0, other values wrap modulo 2^32, so a delay above 2^31 - 1 ms overflows), and a
/// negative result clamped to 0. Only a value that cannot become a number (a Symbol, an object
/// whose `valueOf` throws) throws, with the conversion's own error.
fn timer_delay<'js>(ctx: &Ctx<'js>, ms: Option<Value<'js>>) -> rquickjs::Result<Duration> {
    let number = match ms {
        None => 0.0,
        Some(value) if value.is_undefined() => 0.0,
        Some(value) => rquickjs::Coerced::<f64>::from_js(ctx, value)?.0,
    };
    let delay = to_int32(number).max(0);
    Ok(Duration::from_millis(u64::from(delay.unsigned_abs())))
}

/// ECMAScript ToInt32 of a number: truncate, wrap modulo 2^32, reinterpret as signed.
fn to_int32(number: f64) -> i32 {
    if !number.is_finite() {
        return 0;
    }
    let wrapped = number.trunc().rem_euclid(4_294_967_296.0);
    // `wrapped` is an integer in [0, 2^32): the casts are exact.
    wrapped as u32 as i32
}

/// `sleep(ms)`'s duration: no argument or `undefined` is 0; anything else must be a number from 0
/// to [`MAX_DELAY_MS`] (a blocking sleep has no sensible wrap-around): a `TypeError` for a
/// non-number, a `RangeError` for NaN, a negative, an infinite or a too large value.
fn sleep_duration<'js>(ctx: &Ctx<'js>, ms: Option<Value<'js>>) -> rquickjs::Result<Duration> {
    let value = match ms {
        None => return Ok(Duration::ZERO),
        Some(value) if value.is_undefined() => return Ok(Duration::ZERO),
        Some(value) => value,
    };
    let Some(number) = value.as_number() else {
        return Err(rquickjs::Exception::throw_type(
            ctx,
            &format!(
                "sleep(ms) requires a number of milliseconds, got {}",
                value.type_name()
            ),
        ));
    };
    if !(0.0..=f64::from(MAX_DELAY_MS)).contains(&number) {
        return Err(rquickjs::Exception::throw_range(
            ctx,
            &format!("sleep(ms) requires 0 <= ms <= {MAX_DELAY_MS}, got {number}"),
        ));
    }
    // In range and not NaN: the conversion cannot fail.
    Ok(Duration::from_secs_f64(number / 1000.0))
}

fn set_timeout<'js>(
    ctx: &Ctx<'js>,
    callback: Function<'js>,
    delay: Duration,
    args: Vec<Value<'js>>,
) -> rquickjs::Result<f64> {
    let callback = Persistent::save(ctx, callback);
    let args: Vec<Persistent<Value<'static>>> = args
        .into_iter()
        .map(|arg| Persistent::save(ctx, arg))
        .collect();
    let id = local::set_timeout(
        delay,
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
