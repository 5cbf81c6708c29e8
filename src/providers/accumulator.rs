//! What a streamed answer adds up to: text, reasoning, tool calls merged from their pieces, usage,
//! stop reason. Text deltas are emitted as `partial` events as they arrive; reasoning deltas, tool
//! calls with their argument pieces, and stop reason and usage are reported as stream details
//! ([`StreamDetail`]) as they arrive, for agent runs.

use serde_json::Value;

use crate::inference::event::{SharedText, json_or_string};
use crate::inference::{
    Block, BlockKind, EventKind, JsonMap, ReasoningSource, RunContext, StreamDetail,
};

/// A tool call being assembled from streamed pieces.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct PendingCall {
    /// How the provider addresses the call while streaming (index or item id).
    pub key: String,
    /// Call id (generated when the provider sends none, as Gemini does).
    pub id: String,
    /// Tool name.
    pub name: String,
    /// Argument JSON text, concatenated from the streamed pieces.
    pub args_text: String,
    /// Arguments received whole, as a value (Gemini); takes precedence over `args_text`.
    pub args_value: Option<Value>,
    /// Provider-specific payload fields kept on the block (for example Gemini's thought signature).
    pub extra: JsonMap,
    /// Whether `tool-call-started` was reported (then argument pieces are reported as they come).
    pub announced: bool,
}

/// A completed tool call, ready for the `tool-call` event.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CompletedCall {
    /// Call id.
    pub id: String,
    /// Tool name.
    pub name: String,
    /// Arguments as compact JSON text.
    pub input: String,
}

/// The accumulated answer of one inference step.
pub(crate) struct Accumulator<'a> {
    ctx: &'a RunContext,
    /// Text so far, shared with the `partial` events that show it.
    text: SharedText,
    /// Reasoning text so far.
    pub reasoning: String,
    /// Signature of the reasoning (Anthropic), needed to send it back.
    pub reasoning_signature: String,
    calls: Vec<PendingCall>,
    /// Normalized usage (`input_tokens`, `output_tokens`, ...), when reported.
    pub usage: Option<JsonMap>,
    /// The provider's stop reason, verbatim.
    pub stop_reason: Option<String>,
    /// The stop sequence that ended the answer, when reported.
    pub stop_sequence: Option<String>,
    /// The model that answered, when reported.
    pub model: Option<String>,
    /// Stop reason, stop sequence and usage as last reported in a [`StreamDetail::Metadata`].
    reported: ReportedMetadata,
}

/// What the last [`StreamDetail::Metadata`] said.
type ReportedMetadata = (Option<String>, Option<String>, Option<JsonMap>);

impl<'a> Accumulator<'a> {
    /// An empty accumulator emitting into `ctx`.
    pub fn new(ctx: &'a RunContext) -> Accumulator<'a> {
        Accumulator {
            ctx,
            text: SharedText::new(),
            reasoning: String::new(),
            reasoning_signature: String::new(),
            calls: Vec::new(),
            usage: None,
            stop_reason: None,
            stop_sequence: None,
            model: None,
            reported: (None, None, None),
        }
    }

    /// Appends a text delta and emits `partial`.
    pub fn push_text(&mut self, delta: &str) {
        if delta.is_empty() {
            return;
        }
        let completion = self.text.push_str(delta);
        self.ctx.emit(EventKind::Partial {
            delta: delta.to_string(),
            completion,
        });
    }

    /// The text so far, copied.
    pub fn text(&self) -> String {
        self.text.to_text()
    }

    /// Completes when the run's event consumer can take more events (see [`crate::inference::EventSink::room`]):
    /// awaited before reading more of a stream, so a slow consumer slows the reading down.
    pub async fn room(&self) {
        self.ctx.sink.room().await
    }

    /// Appends a reasoning delta and reports it.
    pub fn push_reasoning(&mut self, source: ReasoningSource, delta: &str) {
        if delta.is_empty() {
            return;
        }
        self.reasoning.push_str(delta);
        self.ctx
            .emit_detail(StreamDetail::ReasoningDelta { source, delta });
    }

    /// Appends a piece of the argument text of the call streamed under `key`, reporting it once
    /// the call was announced (see [`Accumulator::end_event`]).
    pub fn push_arguments(&mut self, key: &str, delta: &str) {
        let ctx = self.ctx;
        let call = self.call(key);
        call.args_text.push_str(delta);
        if call.announced && !delta.is_empty() {
            ctx.emit_detail(StreamDetail::ToolCallArgumentsDelta {
                id: &call.id,
                delta,
            });
        }
    }

    /// Sets the whole argument text of the call streamed under `key` (a provider's `done` event);
    /// what extends the pieces seen so far is reported as one more piece.
    pub fn set_arguments(&mut self, key: &str, arguments: &str) {
        let call = self.call(key);
        match arguments.strip_prefix(call.args_text.as_str()) {
            Some(rest) if !rest.is_empty() => {
                let rest = rest.to_string();
                self.push_arguments(key, &rest);
            }
            Some(_) => {}
            None => call.args_text = arguments.to_string(),
        }
    }

    /// Says which server-sent event is being decoded (its raw data), or with `None` that it is
    /// done: what is reported meanwhile came from it (an agent event's `rawPayload`).
    pub fn raw_event(&self, data: Option<&str>) {
        self.ctx.emit_detail(StreamDetail::RawEvent { data });
    }

    /// Ends one stream event: announces the calls whose id and name became known
    /// (`tool-call-started`, then their argument text so far) and reports stop reason, stop
    /// sequence and usage when they changed. A call never named with an id while streaming is
    /// reported only at the end, by its `tool-call` event.
    pub fn end_event(&mut self) {
        for call in self.calls.iter_mut().filter(|call| !call.announced) {
            if call.id.is_empty() || call.name.is_empty() {
                continue;
            }
            call.announced = true;
            self.ctx.emit_detail(StreamDetail::ToolCallStarted {
                id: &call.id,
                name: &call.name,
            });
            let whole = match &call.args_value {
                Some(value) if call.args_text.is_empty() => value.to_string(),
                _ => String::new(),
            };
            let arguments = if whole.is_empty() {
                &call.args_text
            } else {
                &whole
            };
            if !arguments.is_empty() {
                self.ctx.emit_detail(StreamDetail::ToolCallArgumentsDelta {
                    id: &call.id,
                    delta: arguments,
                });
            }
        }
        let (stop_reason, stop_sequence, usage) = &self.reported;
        let changed = *stop_reason != self.stop_reason
            || *stop_sequence != self.stop_sequence
            || *usage != self.usage;
        if changed {
            self.reported = (
                self.stop_reason.clone(),
                self.stop_sequence.clone(),
                self.usage.clone(),
            );
            self.ctx.emit_detail(StreamDetail::Metadata {
                stop_reason: self.stop_reason.as_deref(),
                stop_sequence: self.stop_sequence.as_deref(),
                usage: self.usage.as_ref(),
            });
        }
    }

    /// The call streamed under `key`, created (in arrival order) if new.
    pub fn call(&mut self, key: &str) -> &mut PendingCall {
        let position = match self.calls.iter().position(|call| call.key == key) {
            Some(position) => position,
            None => {
                self.calls.push(PendingCall {
                    key: key.to_string(),
                    ..PendingCall::default()
                });
                self.calls.len() - 1
            }
        };
        &mut self.calls[position]
    }

    /// Adds a usage counter (summing when a provider reports the same counter twice is wrong, so
    /// the latest value wins).
    pub fn set_usage(&mut self, key: &str, value: Option<&Value>) {
        if let Some(count) = value.and_then(Value::as_u64) {
            self.usage
                .get_or_insert_with(JsonMap::new)
                .insert(key.to_string(), Value::from(count));
        }
    }

    /// Records the model that answered, when `model` is a string.
    pub fn set_model(&mut self, model: Option<&Value>) {
        if let Some(model) = model.and_then(Value::as_str) {
            self.model = Some(model.to_string());
        }
    }

    /// Records the counters of a provider's usage object (nothing unless it is an object): each
    /// `(key, pointer)` sets the counter `key` from the value at the JSON `pointer` in it.
    pub fn set_usage_from(&mut self, usage: Option<&Value>, fields: &[(&str, &str)]) {
        let Some(usage) = usage.filter(|usage| usage.is_object()) else {
            return;
        };
        for (key, pointer) in fields {
            self.set_usage(key, usage.pointer(pointer));
        }
    }

    /// The blocks of the answer (reasoning, text, tool calls, in that order), the completed calls
    /// and the turn metadata entries.
    pub fn finish(self, provider: &str, configured_model: &str) -> Finished {
        let mut blocks = Vec::new();
        if !self.reasoning.is_empty() {
            let mut block = Block::text(BlockKind::Reasoning, "assistant", self.reasoning);
            if !self.reasoning_signature.is_empty() {
                block
                    .payload
                    .insert("signature".into(), Value::String(self.reasoning_signature));
            }
            blocks.push(block);
        }
        let text = self.text.to_text();
        if !text.is_empty() {
            blocks.push(Block::assistant(text.clone()));
        }
        let mut calls = Vec::new();
        for call in self.calls {
            let args = match call.args_value {
                Some(value) => value,
                None if call.args_text.trim().is_empty() => Value::Object(JsonMap::new()),
                None => json_or_string(&call.args_text),
            };
            let id = if call.id.is_empty() {
                generated_call_id()
            } else {
                call.id
            };
            calls.push(CompletedCall {
                id: id.clone(),
                name: call.name.clone(),
                input: match &args {
                    Value::String(text) => text.clone(),
                    other => other.to_string(),
                },
            });
            let mut block = Block::tool_call(id, call.name, args);
            block.payload.extend(call.extra);
            blocks.push(block);
        }
        let mut metadata = JsonMap::new();
        metadata.insert("provider".into(), Value::String(provider.to_string()));
        metadata.insert(
            "model".into(),
            Value::String(self.model.unwrap_or_else(|| configured_model.to_string())),
        );
        if let Some(usage) = self.usage {
            metadata.insert("usage".into(), Value::Object(usage));
        }
        if let Some(stop_reason) = self.stop_reason {
            metadata.insert("stop_reason".into(), Value::String(stop_reason));
        }
        Finished {
            blocks,
            calls,
            metadata,
            text,
        }
    }
}

/// The result of [`Accumulator::finish`].
pub(crate) struct Finished {
    /// Blocks to append to the turn.
    pub blocks: Vec<Block>,
    /// Completed tool calls, for `tool-call` events.
    pub calls: Vec<CompletedCall>,
    /// Entries for the turn's metadata (`provider`, `model`, `usage`, `stop_reason`).
    pub metadata: JsonMap,
    /// The step's text, for the `final` event.
    pub text: String,
}

/// An id for a call the provider sent without one (Gemini).
pub(crate) fn generated_call_id() -> String {
    format!("call_{}", uuid::Uuid::new_v4().simple())
}
