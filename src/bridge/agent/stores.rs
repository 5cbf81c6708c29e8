//! `gp.turnStores` ops: the host's turn stores by name, queries, snapshots.

use rquickjs::{Array, Ctx, Object, Value};

use super::super::argument::error;
use super::super::codec::turn_to_js;
use crate::inference::agent::store::{DEFAULT_LIST_LIMIT, FINAL_PHASE};
use crate::inference::agent::{TurnQuery, TurnSnapshot};
use crate::owner::local;

/// Which call a query is for: `list` (no default phase) or `loadLatest` (phase `final`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueryUse {
    /// `list(q)`.
    List,
    /// `loadLatest(q)` and `resumeLatest(q)`.
    Latest,
}

/// A query from JS: `{convId | conversationId, sessionId | sessionID, phase, sinceMs, limit}`;
/// `undefined`/`null` is the empty query.
pub fn query_from_js<'js>(
    ctx: &Ctx<'js>,
    value: Value<'js>,
    purpose: QueryUse,
) -> rquickjs::Result<TurnQuery> {
    let mut query = TurnQuery {
        limit: DEFAULT_LIST_LIMIT,
        phase: (purpose == QueryUse::Latest).then(|| FINAL_PHASE.to_string()),
        ..TurnQuery::default()
    };
    if value.is_undefined() || value.is_null() {
        return Ok(query);
    }
    let Some(object) = value
        .as_object()
        .filter(|_| !value.is_array() && !value.is_function())
    else {
        return Err(error(ctx, "turn store query must be an object"));
    };
    let text = |keys: &[&str]| -> rquickjs::Result<Option<String>> {
        for key in keys {
            let value: Value = object.get(*key)?;
            if let Some(text) = value.as_string() {
                return Ok(Some(text.to_string()?));
            }
            if !(value.is_undefined() || value.is_null()) {
                return Err(error(
                    ctx,
                    &format!("turn store query {key} must be a string"),
                ));
            }
        }
        Ok(None)
    };
    let number = |key: &str| -> rquickjs::Result<Option<f64>> {
        let value: Value = object.get(key)?;
        if value.is_undefined() || value.is_null() {
            return Ok(None);
        }
        match value.as_number() {
            Some(number) if number.is_finite() && number >= 0.0 && number.fract() == 0.0 => {
                Ok(Some(number))
            }
            _ => Err(error(
                ctx,
                &format!("turn store query {key} must be a non-negative integer"),
            )),
        }
    };
    query.conv_id = text(&["convId", "conversationId"])?;
    query.session_id = text(&["sessionId", "sessionID"])?;
    if let Some(phase) = text(&["phase"])? {
        query.phase = Some(phase);
    }
    query.since_ms = number("sinceMs")?.map(|since| since as i64);
    if let Some(limit) = number("limit")?.filter(|limit| *limit > 0.0) {
        query.limit = limit as usize;
    }
    Ok(query)
}

/// A snapshot as `{convId, sessionId, turnId, phase, runtimeKey, inferenceId, createdAtMs, turn}`
/// (a plain turn or `null`; the glue wraps it).
pub fn snapshot_to_js<'js>(
    ctx: &Ctx<'js>,
    snapshot: &TurnSnapshot,
) -> rquickjs::Result<Object<'js>> {
    let object = Object::new(ctx.clone())?;
    object.set("convId", snapshot.conv_id.as_str())?;
    object.set("sessionId", snapshot.session_id.as_str())?;
    object.set("turnId", snapshot.turn_id.as_str())?;
    object.set("phase", snapshot.phase.as_str())?;
    object.set("runtimeKey", snapshot.runtime_key.as_str())?;
    object.set("inferenceId", snapshot.inference_id.as_str())?;
    object.set("createdAtMs", snapshot.created_at_ms as f64)?;
    let turn = match &snapshot.turn {
        Some(turn) => turn_to_js(ctx, turn, false)?,
        None => Value::new_null(ctx.clone()),
    };
    object.set("turn", turn)?;
    Ok(object)
}

/// Waits for a store call like a synchronous `run()` (the owner keeps serving other work).
pub fn wait<'js, T: Send + 'static>(
    ctx: &Ctx<'js>,
    call: impl std::future::Future<Output = Result<T, crate::inference::agent::StoreError>>
    + Send
    + 'static,
) -> rquickjs::Result<T> {
    match local::block_on(ctx, "turn-store", call) {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(failure)) => Err(error(ctx, &failure.to_string())),
        Err(failure) => Err(error(ctx, &failure.message())),
    }
}

/// Snapshots as a JS array.
pub fn snapshots_to_js<'js>(
    ctx: &Ctx<'js>,
    snapshots: &[TurnSnapshot],
) -> rquickjs::Result<Array<'js>> {
    let array = Array::new(ctx.clone())?;
    for (index, snapshot) in snapshots.iter().enumerate() {
        array.set(index, snapshot_to_js(ctx, snapshot)?)?;
    }
    Ok(array)
}
