//! Guarded execution: one item runs under a frame (its cancellation, deadline and CPU budget, read
//! by the interrupt handler), inside its trace span, with JS exceptions, interrupts and panics
//! turned into `OwnerError` values.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Instant;

use rquickjs::Ctx;
use tracing::field::Empty;

use super::actor::OwnerLocal;
use super::error::{InterruptReason, OwnerError};
use super::frame::Frame;
use super::mailbox::Envelope;
use super::options::CallOptions;
use super::stray_panic::{panic_text, take_stray_panic};
use super::thrown::JsThrown;

impl OwnerLocal {
    /// Runs one item under a frame, inside its trace span, and records its stats.
    pub(crate) fn execute(&self, ctx: &Ctx<'_>, envelope: Envelope) {
        let Envelope {
            op,
            job,
            options,
            enqueued,
            parent,
        } = envelope;
        let CallOptions {
            cancel,
            deadline,
            cpu_budget,
            session_id,
            inference_id,
            group,
            may_wait: _,
        } = options.map(|options| *options).unwrap_or_default();
        // One clock read serves as the end of the queue wait, the frame's start and the start of
        // execution.
        let started = Instant::now();
        let queue_wait = started.saturating_duration_since(enqueued);
        // Items waiting in the inbox, and this one (bursts waiting in the channel are observed
        // when they are moved to the inbox).
        self.lifecycle.stats.observe_depth(self.inbox.waiting() + 1);
        // Parented to the sender's span (for a call made on the owner thread itself, the span of
        // the item that made it), never to whatever item happens to be pumping.
        let span = tracing::debug_span!(
            target: "geppetto::owner",
            parent: parent.as_deref().and_then(tracing::Span::id),
            "owner.item",
            owner = %self.name,
            op,
            session_id = session_id.as_deref(),
            inference_id = inference_id.as_deref(),
            queue_wait_us = micros(queue_wait),
            exec_us = Empty,
            outcome = Empty,
        );
        // A disabled span (no subscriber wants it) is neither entered nor recorded: with tracing's
        // `log` feature on, those calls cost more than the item itself for trivial work.
        let traced = !span.is_disabled();
        let _entered = traced.then(|| span.enter());
        let mut frame = Frame::started_at(
            op,
            cancel,
            deadline,
            cpu_budget.resolve(self.cpu_budget),
            started,
        );
        frame.group = group;
        let frame = self.frames.push(frame);
        let outcome = job(ctx, &frame);
        let exec = started.elapsed();
        drop(frame);
        if traced {
            span.record("exec_us", micros(exec));
            span.record("outcome", outcome.as_str());
        }
        self.lifecycle.stats.record(op, outcome, queue_wait, exec);
    }

    /// The interrupt handler: stops the innermost frame's JS when it is cancelled, past its
    /// deadline or over its CPU budget, or when the owner aborts.
    pub(crate) fn should_interrupt(&self) -> bool {
        let aborting = self.lifecycle.abort_requested();
        self.frames
            .with_top(|frame| {
                let reason = frame.stop_reason(aborting)?;
                frame.interrupted.set(Some(reason));
                Some(())
            })
            .is_some()
    }

    /// The error of an item stopped for `reason`.
    pub(crate) fn stop_error(&self, op: &'static str, reason: InterruptReason) -> OwnerError {
        match reason {
            InterruptReason::Canceled => OwnerError::Canceled {
                owner: self.name.clone(),
                op,
            },
            InterruptReason::Deadline => OwnerError::Timeout {
                owner: self.name.clone(),
                op,
            },
            reason => OwnerError::Interrupted {
                owner: self.name.clone(),
                op,
                reason,
            },
        }
    }

    /// Runs `f` as an item of this owner under a frame, turning JS exceptions, interrupts and
    /// panics into `OwnerError` values.
    pub(crate) fn run_guarded<'js, T>(
        &self,
        ctx: &Ctx<'js>,
        frame: &Frame,
        f: impl FnOnce(&Ctx<'js>) -> rquickjs::Result<T>,
    ) -> Result<T, OwnerError> {
        if let Some(reason) = frame.stop_reason_before_start() {
            return Err(self.stop_error(frame.op, reason));
        }
        let result = catch_unwind(AssertUnwindSafe(|| f(ctx)));
        // A native-function panic whose exception JS caught is still stored in the runtime: it
        // fails this item, and must not resurface in a later one.
        let result = match (result, take_stray_panic(ctx)) {
            (Ok(_), Some(panic)) => Err(panic),
            (result, _) => result,
        };
        match result {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(error)) => Err(self.convert_error(ctx, frame, error)),
            Err(panic) => {
                // A panic may leave an exception pending; clear it so the next item starts clean.
                let _ = ctx.catch();
                Err(OwnerError::Panicked {
                    owner: self.name.clone(),
                    op: frame.op,
                    message: panic_text(&*panic),
                })
            }
        }
    }

    fn convert_error(&self, ctx: &Ctx<'_>, frame: &Frame, error: rquickjs::Error) -> OwnerError {
        let owner = self.name.clone();
        let op = frame.op;
        // QuickJS throws `null` when it cannot even allocate the "out of memory" error.
        let (thrown, thrown_null) = if matches!(error, rquickjs::Error::Exception) {
            let value = ctx.catch();
            (JsThrown::from_value(&value), value.is_null())
        } else {
            (JsThrown::take(ctx, &error), false)
        };
        if let Some(reason) = frame.interrupted.take() {
            return OwnerError::Interrupted { owner, op, reason };
        }
        if matches!(error, rquickjs::Error::Allocation)
            || thrown.message == "out of memory"
            || (thrown_null && self.memory_limited)
        {
            return OwnerError::OutOfMemory { owner, op };
        }
        OwnerError::Js {
            owner,
            op,
            message: thrown.message,
            stack: thrown.stack,
        }
    }
}

/// A duration in whole microseconds as `i64` (saturating): OpenTelemetry exports `u64` span
/// fields as strings, `i64` as integers.
fn micros(duration: std::time::Duration) -> i64 {
    i64::try_from(duration.as_micros()).unwrap_or(i64::MAX)
}
