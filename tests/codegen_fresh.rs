//! The checked-in generated files equal a fresh rendering of `spec/` (the rust-analyzer
//! "sourcegen" habit). On failure, run `cargo run --bin gen` and commit the result.

use std::path::Path;

use geppetto::codegen;

#[test]
fn generated_files_are_fresh() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let stale = codegen::stale_files(root).unwrap_or_else(|err| panic!("codegen failed: {err}"));
    let report: String = stale
        .iter()
        .map(|file| format!("{} is stale:\n{}\n", file.path, file.diff))
        .collect();
    assert!(
        stale.is_empty(),
        "generated files are stale; run `cargo run --bin gen`\n{report}"
    );
}

#[test]
fn js_const_groups_match_the_spec() {
    use geppetto::generated::consts::{JS_CONST_GROUPS, agent_event, event_type, tool_choice};

    let names: Vec<&str> = JS_CONST_GROUPS.iter().map(|(name, _)| *name).collect();
    assert_eq!(
        names,
        [
            "ToolChoice",
            "ToolErrorHandling",
            "BlockKind",
            "HookAction",
            "MetadataKeys",
            "EventType",
            "TurnDataKeys",
            "TurnMetadataKeys",
            "BlockMetadataKeys",
            "RunMetadataKeys",
            "PayloadKeys",
            "AgentEvent"
        ]
    );
    assert_eq!(tool_choice::ALL, ["auto", "none", "required"]);
    assert_eq!(
        event_type::TOOL_CALL_EXECUTION_RESULT,
        "tool-call-execution-result"
    );
    assert_eq!(agent_event::INFERENCE_ERROR, "inference-error");
}
