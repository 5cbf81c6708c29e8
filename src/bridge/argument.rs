//! Arguments from JS: the error texts of the native ops and the checked readers of option objects.
//!
//! Every value a script passes is validated here, where it enters: a wrong type is a `TypeError`,
//! a number out of range (`NaN`, `±Infinity`, negative, fractional where a count is meant, too
//! large) a `RangeError`, each naming the option and what it accepts. Nothing a script passes can
//! reach a Rust panic (a `Duration` overflow, a saturating `as` cast) past this module. The texts
//! the spec fixes are used exactly; the JS glue (`js/geppetto.js`) checks argument counts and
//! shapes before calling in, with the spec's texts.

use rquickjs::{Ctx, Exception, Object, Value};
use serde_json::Value as Json;

use super::codec::{self, js_to_json};

/// `session.run`/`start` options that are not an object.
pub const RUN_OPTIONS_NOT_OBJECT: &str = "run options must be an object";
/// A negative run `timeoutMs` (the spec's text).
pub const TIMEOUT_NEGATIVE: &str = "timeoutMs must be >= 0";
/// `fromConfig` without a model.
pub const FROM_CONFIG_NEEDS_MODEL: &str = "fromConfig requires model";
/// Options (tool loop settings, profile options) that are not an object.
pub const OPTIONS_NOT_OBJECT: &str = "options must be an object";
/// Tool hooks that are not an object.
pub const HOOKS_NOT_OBJECT: &str = "tool hooks must be an object";
/// A handle id that names no session.
pub const NOT_A_SESSION: &str = "expected session reference";
/// A handle id that names no tool registry.
pub const NOT_A_REGISTRY: &str = "expected tool registry reference";
/// A handle id that names no engine.
pub const NOT_AN_ENGINE: &str = "expected engine reference";
/// A middleware spec that names no middleware.
pub const NOT_A_MIDDLEWARE: &str = "unsupported middleware specification";
/// A native op called off an owner thread.
pub const NO_OWNER: &str = "the geppetto module needs an owner thread";
/// `fromConfig`/`fromProfile` in a runtime without provider engines.
pub const NO_PROVIDERS: &str = "no provider engines configured in this runtime";
/// `useGoTools` in a runtime without host tools (the spec's text).
pub const NO_HOST_TOOLS: &str = "no go tool registry configured";

/// The largest integer a JS number holds exactly (`Number.MAX_SAFE_INTEGER`): the upper bound of
/// every millisecond duration a script passes.
pub const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

/// A `TypeError` with `message`.
pub fn type_error(ctx: &Ctx<'_>, message: &str) -> rquickjs::Error {
    Exception::throw_type(ctx, message)
}

/// A `RangeError` with `message`.
pub fn range_error(ctx: &Ctx<'_>, message: &str) -> rquickjs::Error {
    Exception::throw_range(ctx, message)
}

/// An `Error` with `message`.
pub fn error(ctx: &Ctx<'_>, message: &str) -> rquickjs::Error {
    Exception::throw_message(ctx, message)
}

/// A number as JS prints it (`NaN`, `Infinity`, `1e+300`, `1.5`, `3`).
pub fn number_text(value: f64) -> String {
    if value.is_nan() {
        "NaN".into()
    } else if value.is_infinite() {
        if value > 0.0 { "Infinity" } else { "-Infinity" }.into()
    } else if value.fract() == 0.0 && value.abs() < 1e21 {
        format!("{value:.0}")
    } else if value.abs() >= 1e21 || value.abs() < 1e-6 {
        let text = format!("{value:e}");
        match text.split_once('e') {
            Some((mantissa, exponent)) if !exponent.starts_with('-') => {
                format!("{mantissa}e+{exponent}")
            }
            _ => text,
        }
    } else {
        value.to_string()
    }
}

/// The JS type name of `value` for error texts (`null`, `array`, `string`, ...).
pub fn type_name(value: &Value<'_>) -> &'static str {
    if value.is_null() {
        "null"
    } else if value.is_array() {
        "array"
    } else if value.is_function() {
        "function"
    } else if value.is_string() {
        "string"
    } else if value.is_number() {
        "number"
    } else if value.is_bool() {
        "boolean"
    } else if value.is_symbol() {
        "symbol"
    } else if value.is_big_int() {
        "bigint"
    } else if value.is_undefined() {
        "undefined"
    } else {
        "object"
    }
}

/// The accepted range of a numeric option.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Range {
    /// Smallest accepted value.
    pub min: f64,
    /// Largest accepted value.
    pub max: f64,
    /// Whether only whole numbers are accepted.
    pub integer: bool,
}

impl Range {
    /// Whole numbers from `min` to `max`.
    pub const fn integer(min: i64, max: i64) -> Range {
        Range {
            min: min as f64,
            max: max as f64,
            integer: true,
        }
    }

    /// Any number from `min` to `max`.
    pub const fn number(min: f64, max: f64) -> Range {
        Range {
            min,
            max,
            integer: false,
        }
    }

    /// Milliseconds: any number from 0 to 2^53 - 1 (fractions are cut to whole milliseconds).
    pub const MILLISECONDS: Range = Range::number(0.0, MAX_SAFE_INTEGER as f64);

    /// Milliseconds where the original gave negative values a meaning: from -(2^53 - 1) to
    /// 2^53 - 1.
    pub const SIGNED_MILLISECONDS: Range =
        Range::number(-(MAX_SAFE_INTEGER as f64), MAX_SAFE_INTEGER as f64);

    /// Any finite number.
    pub const FINITE: Range = Range::number(-f64::MAX, f64::MAX);

    /// Checks `value`; the error names `name` and the range.
    pub fn check(&self, name: &str, value: f64) -> Result<f64, String> {
        let inside = value >= self.min && value <= self.max;
        if inside && (!self.integer || value.fract() == 0.0) {
            return Ok(value);
        }
        if *self == Range::FINITE {
            return Err(format!(
                "{name} must be a finite number, got {}",
                number_text(value)
            ));
        }
        let what = if self.integer {
            "an integer"
        } else {
            "a number"
        };
        Err(format!(
            "{name} must be {what} from {} to {}, got {}",
            number_text(self.min),
            number_text(self.max),
            number_text(value)
        ))
    }
}

/// A JS options object being read: absent keys (`undefined` or `null`) are `None`, present ones
/// are checked. An absent object (`undefined`/`null`) reads as empty.
pub struct Options<'a, 'js> {
    ctx: &'a Ctx<'js>,
    object: Option<Object<'js>>,
}

impl<'a, 'js> Options<'a, 'js> {
    /// Reads `value`; anything but an object, `undefined` or `null` is a `TypeError` with
    /// `not_object`.
    pub fn new(
        ctx: &'a Ctx<'js>,
        value: &Value<'js>,
        not_object: &str,
    ) -> rquickjs::Result<Options<'a, 'js>> {
        if value.is_undefined() || value.is_null() {
            return Ok(Options { ctx, object: None });
        }
        match value.as_object() {
            Some(object) if !value.is_array() && !value.is_function() => Ok(Options {
                ctx,
                object: Some(object.clone()),
            }),
            _ => Err(type_error(ctx, not_object)),
        }
    }

    /// The value under `key`, `None` when absent, `undefined` or `null`. A throwing getter or
    /// Proxy trap propagates as the JS exception it threw.
    pub fn value(&self, key: &str) -> rquickjs::Result<Option<Value<'js>>> {
        let Some(object) = &self.object else {
            return Ok(None);
        };
        let value: Value = object.get(key)?;
        Ok((!value.is_undefined() && !value.is_null()).then_some(value))
    }

    /// The first of `keys` that is present, with its name.
    pub fn first(
        &self,
        keys: &[&'static str],
    ) -> rquickjs::Result<Option<(&'static str, Value<'js>)>> {
        for key in keys {
            if let Some(value) = self.value(key)? {
                return Ok(Some((key, value)));
            }
        }
        Ok(None)
    }

    /// A boolean option; another type is a `TypeError`.
    pub fn bool(&self, key: &str) -> rquickjs::Result<Option<bool>> {
        match self.value(key)? {
            None => Ok(None),
            Some(value) => match value.as_bool() {
                Some(flag) => Ok(Some(flag)),
                None => Err(self.wrong_type(key, "a boolean", &value)),
            },
        }
    }

    /// A string option; another type is a `TypeError`.
    pub fn string(&self, key: &str) -> rquickjs::Result<Option<String>> {
        match self.value(key)? {
            None => Ok(None),
            Some(value) => self.as_string(key, &value).map(Some),
        }
    }

    /// `value` (found under `key`) as a string; another type is a `TypeError`.
    pub fn as_string(&self, key: &str, value: &Value<'js>) -> rquickjs::Result<String> {
        match value.as_string() {
            Some(text) => codec::string(self.ctx, text),
            None => Err(self.wrong_type(key, "a string", value)),
        }
    }

    /// A number option within `range`; another type is a `TypeError`, a number outside the range
    /// a `RangeError`.
    pub fn number(&self, key: &str, range: Range) -> rquickjs::Result<Option<f64>> {
        match self.value(key)? {
            None => Ok(None),
            Some(value) => self.as_number(key, &value, range).map(Some),
        }
    }

    /// `value` (found under `key`) as a number within `range`.
    pub fn as_number(&self, key: &str, value: &Value<'js>, range: Range) -> rquickjs::Result<f64> {
        let Some(number) = value.as_number() else {
            return Err(self.wrong_type(key, "a number", value));
        };
        range
            .check(key, number)
            .map_err(|message| range_error(self.ctx, &message))
    }

    /// A whole-number option within `range` (an integer range within ±2^63).
    pub fn integer(&self, key: &str, range: Range) -> rquickjs::Result<Option<i64>> {
        Ok(self.number(key, range)?.map(|number| number as i64))
    }

    /// A duration in milliseconds (0 to 2^53 - 1, fractions cut), as whole milliseconds.
    pub fn milliseconds(&self, key: &str) -> rquickjs::Result<Option<u64>> {
        Ok(self
            .number(key, Range::MILLISECONDS)?
            .map(|number| number.trunc() as u64))
    }

    /// A duration in milliseconds that may be negative ([`Range::SIGNED_MILLISECONDS`], fractions
    /// cut).
    pub fn signed_milliseconds(&self, key: &str) -> rquickjs::Result<Option<i64>> {
        Ok(self
            .number(key, Range::SIGNED_MILLISECONDS)?
            .map(|number| number.trunc() as i64))
    }

    /// An array of strings.
    pub fn strings(&self, key: &str) -> rquickjs::Result<Option<Vec<String>>> {
        let Some(value) = self.value(key)? else {
            return Ok(None);
        };
        let expected = || self.wrong_type(key, "an array of strings", &value);
        if !value.is_array() {
            return Err(expected());
        }
        match js_to_json(self.ctx, value.clone())? {
            Json::Array(items) => items
                .into_iter()
                .map(|item| match item {
                    Json::String(text) => Ok(text),
                    _ => Err(expected()),
                })
                .collect::<rquickjs::Result<Vec<_>>>()
                .map(Some),
            _ => Err(expected()),
        }
    }

    /// A JSON object (a copy); another type is a `TypeError`.
    pub fn json_object(&self, key: &str) -> rquickjs::Result<Option<Json>> {
        match self.value(key)? {
            None => Ok(None),
            Some(value) if value.is_object() && !value.is_array() && !value.is_function() => {
                js_to_json(self.ctx, value).map(Some)
            }
            Some(value) => Err(self.wrong_type(key, "an object", &value)),
        }
    }

    /// `TypeError: <key> must be <expected>, got <type>`.
    pub fn wrong_type(&self, key: &str, expected: &str, value: &Value<'js>) -> rquickjs::Error {
        type_error(
            self.ctx,
            &format!("{key} must be {expected}, got {}", type_name(value)),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_texts() {
        let cases = [
            (f64::NAN, "NaN"),
            (f64::INFINITY, "Infinity"),
            (f64::NEG_INFINITY, "-Infinity"),
            (1e300, "1e+300"),
            (1.5, "1.5"),
            (-3.0, "-3"),
            (9_007_199_254_740_991.0, "9007199254740991"),
            (1e-7, "1e-7"),
        ];
        for (value, expected) in cases {
            assert_eq!(number_text(value), expected, "{value}");
        }
    }

    #[test]
    fn range_checks() {
        let count = Range::integer(1, 10);
        let cases = [
            (count, 3.0, Ok(3.0)),
            (count, 0.0, Err("n must be an integer from 1 to 10, got 0")),
            (
                count,
                2.5,
                Err("n must be an integer from 1 to 10, got 2.5"),
            ),
            (
                count,
                f64::NAN,
                Err("n must be an integer from 1 to 10, got NaN"),
            ),
            (Range::number(0.0, 2.0), 0.7, Ok(0.7)),
            (
                Range::MILLISECONDS,
                1e300,
                Err("n must be a number from 0 to 9007199254740991, got 1e+300"),
            ),
            (
                Range::MILLISECONDS,
                f64::NEG_INFINITY,
                Err("n must be a number from 0 to 9007199254740991, got -Infinity"),
            ),
            (Range::FINITE, -1e300, Ok(-1e300)),
            (
                Range::FINITE,
                f64::NAN,
                Err("n must be a finite number, got NaN"),
            ),
        ];
        for (range, value, expected) in cases {
            assert_eq!(
                range.check("n", value),
                expected.map_err(str::to_string),
                "{value}"
            );
        }
    }
}
