//! One run's event emitter: stamps events with the run's ids, records them for
//! `RunResult.events()` (deltas excepted), forwards them to the run's sink, collects the engine
//! steps' stop reasons and usage, and translates the tool loop's events into agent events.

use std::collections::HashMap;
use std::sync::Arc;

use parking_lot::Mutex;

use super::event::{AgentEvent, AgentEventKind, AgentSink, RunIds, add_usage};
use crate::inference::event::{Event, EventKind, EventSink, Room, now_ms};
use crate::inference::turn::JsonMap;

/// What one engine step reported.
#[derive(Debug, Clone, PartialEq)]
pub struct StepReport {
    /// The step's stop reason.
    pub stop_reason: String,
    /// The step's usage, when reported.
    pub usage: Option<JsonMap>,
}

/// Emits the events of one run. Shared (`Arc`) by the run, its steps and the tool loop.
pub struct RunEmitter {
    ids: Arc<RunIds>,
    sink: Arc<dyn AgentSink>,
    recorded: Mutex<Vec<AgentEvent>>,
    steps: Mutex<Vec<StepReport>>,
    /// Tool names by call id, from `tool-execution-started`, for the result events.
    tool_names: Mutex<HashMap<String, String>>,
}

impl std::fmt::Debug for RunEmitter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunEmitter")
            .field("ids", &self.ids)
            .field("recorded", &self.recorded.lock().len())
            .finish_non_exhaustive()
    }
}

/// Where an event belongs besides its run.
#[derive(Debug, Clone, Default)]
pub struct EventScope {
    /// The engine step.
    pub provider_call_id: Option<Arc<str>>,
    /// The text segment.
    pub segment_id: Option<Arc<str>>,
    /// The tool call.
    pub tool_call_id: Option<String>,
    /// The raw provider event the event came from.
    pub raw_payload: Option<Arc<str>>,
}

impl RunEmitter {
    /// An emitter for the run with these ids, sending to `sink`.
    pub fn new(ids: RunIds, sink: Arc<dyn AgentSink>) -> RunEmitter {
        RunEmitter {
            ids: Arc::new(ids),
            sink,
            recorded: Mutex::new(Vec::new()),
            steps: Mutex::new(Vec::new()),
            tool_names: Mutex::new(HashMap::new()),
        }
    }

    /// The run's ids.
    pub fn ids(&self) -> &RunIds {
        &self.ids
    }

    /// Emits an event of the run itself.
    pub fn emit(&self, kind: AgentEventKind) {
        self.emit_in(kind, EventScope::default());
    }

    /// Emits an event with its scope.
    pub fn emit_in(&self, kind: AgentEventKind, scope: EventScope) {
        let event = AgentEvent {
            kind,
            timestamp_ms: now_ms(),
            ids: self.ids.clone(),
            provider_call_id: scope.provider_call_id,
            segment_id: scope.segment_id,
            tool_call_id: scope.tool_call_id,
            raw_payload: scope.raw_payload,
        };
        if !event.kind.is_delta() {
            self.recorded.lock().push(event.clone());
        }
        self.sink.emit(event);
    }

    /// Records what an engine step reported.
    pub fn record_step(&self, report: StepReport) {
        self.steps.lock().push(report);
    }

    /// The last step's stop reason; `None` when no step ran.
    pub fn stop_reason(&self) -> Option<String> {
        self.steps
            .lock()
            .last()
            .map(|step| step.stop_reason.clone())
    }

    /// The steps' usage summed key by key; `None` when no step reported usage.
    pub fn usage(&self) -> Option<JsonMap> {
        let steps = self.steps.lock();
        let mut total: Option<JsonMap> = None;
        for usage in steps.iter().filter_map(|step| step.usage.as_ref()) {
            add_usage(total.get_or_insert_with(JsonMap::new), usage);
        }
        total
    }

    /// The events recorded so far (no deltas), in emission order.
    pub fn recorded(&self) -> Vec<AgentEvent> {
        self.recorded.lock().clone()
    }
}

/// The tool loop's events, as agent events: `tool-call-execute` becomes `tool-execution-started`;
/// `tool-call-execution-result` becomes `tool-result-ready` and `tool-call-finished`. Engine events
/// never arrive here (each step translates its own); anything else is ignored.
impl EventSink for RunEmitter {
    fn emit(&self, event: Event) {
        match event.kind {
            EventKind::ToolCallExecute { id, name, input } => {
                self.tool_names.lock().insert(id.clone(), name.clone());
                let scope = EventScope {
                    tool_call_id: Some(id.clone()),
                    ..EventScope::default()
                };
                self.emit_in(
                    AgentEventKind::ToolExecutionStarted { id, name, input },
                    scope,
                );
            }
            EventKind::ToolCallExecutionResult { id, result } => {
                let name = self.tool_names.lock().remove(&id).unwrap_or_default();
                let failed = result.starts_with("Error: ") || result.contains(" | Error: ");
                let scope = EventScope {
                    tool_call_id: Some(id.clone()),
                    ..EventScope::default()
                };
                self.emit_in(
                    AgentEventKind::ToolResultReady {
                        id: id.clone(),
                        name: name.clone(),
                        result,
                        failed,
                    },
                    scope.clone(),
                );
                self.emit_in(AgentEventKind::ToolCallFinished { id, name, failed }, scope);
            }
            _ => {}
        }
    }

    /// The run's sink's room: a provider stream of the run waits for the agent events' consumer.
    fn room(&self) -> Room<'_> {
        self.sink.room()
    }
}

/// A sink that collects agent events in memory (tests, embedders inspecting a run afterwards).
#[derive(Debug, Default, Clone)]
pub struct CollectingAgentSink {
    events: Arc<Mutex<Vec<AgentEvent>>>,
}

impl CollectingAgentSink {
    /// A new, empty collector.
    pub fn new() -> CollectingAgentSink {
        CollectingAgentSink::default()
    }

    /// A copy of the events collected so far.
    pub fn events(&self) -> Vec<AgentEvent> {
        self.events.lock().clone()
    }
}

impl AgentSink for CollectingAgentSink {
    fn emit(&self, event: AgentEvent) {
        self.events.lock().push(event);
    }
}
