//! The hand-written core types agree with the generated constants, so the spec stays the single
//! source of the wire names.

use geppetto::generated::consts::{block_kind, event_type, tool_choice};
use geppetto::inference::{BlockKind, EventKind, ToolChoice};

/// Compares the wire names of a core type with a generated `ALL` list, in order.
fn check(core: &[&str], generated: &[&str]) {
    assert_eq!(core, generated);
}

#[test]
fn core_wire_names_match_the_spec() {
    let kinds: Vec<&str> = BlockKind::ALL.iter().map(|kind| kind.as_str()).collect();
    check(&kinds, block_kind::ALL);

    let choices: Vec<&str> = [ToolChoice::Auto, ToolChoice::None, ToolChoice::Required]
        .iter()
        .map(|choice| choice.as_str())
        .collect();
    check(&choices, tool_choice::ALL);

    let text = String::new;
    let events: Vec<&str> = [
        EventKind::Start,
        EventKind::Partial {
            delta: text(),
            completion: text().into(),
        },
        EventKind::Final { text: text() },
        EventKind::ToolCall {
            id: text(),
            name: text(),
            input: text(),
        },
        EventKind::ToolResult {
            id: text(),
            result: text(),
        },
        EventKind::Error { error: text() },
        EventKind::ToolCallExecute {
            id: text(),
            name: text(),
            input: text(),
        },
        EventKind::ToolCallExecutionResult {
            id: text(),
            result: text(),
        },
        EventKind::Interrupt { text: text() },
    ]
    .iter()
    .map(EventKind::type_name)
    .collect();
    check(&events, event_type::ALL);
}
