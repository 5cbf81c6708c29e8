//! Runs `examples/stream_chat.js` through `geppetto run` against the in-process fake provider
//! (an OpenAI-compatible profile in a temporary profiles file, chosen with `PINOCCHIO_PROFILE`),
//! so the streaming example is exercised in CI without an API key, and checks its output.

// Each test binary uses part of the shared helper.
#[allow(dead_code)]
mod fake_provider;

use std::path::Path;
use std::process::Command;

use fake_provider::{FakeProvider, FakeReply};

#[test]
fn stream_chat_example_streams_from_a_profile() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/openai/text.sse");
    let sse = std::fs::read_to_string(&fixture).expect("fixture");
    let provider = FakeProvider::start(move |request| {
        // The example's request: streamed, with its system and user messages.
        let streamed = request["stream"] == true;
        let messages = request["messages"].to_string();
        if streamed
            && messages.contains("rivers of tokens")
            && messages.contains("You are concise.")
        {
            FakeReply::sse(sse.clone())
        } else {
            FakeReply::error(
                400,
                format!("{{\"error\":{{\"message\":\"unexpected request {request}\"}}}}"),
            )
        }
    });
    let dir = std::env::temp_dir().join(format!("geppetto-stream-chat-{}", std::process::id()));
    let profiles = provider.write_profile(&dir, "fake");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/stream_chat.js");
    let output = Command::new(env!("CARGO_BIN_EXE_geppetto"))
        .arg("run")
        .arg(&script)
        .env("PINOCCHIO_PROFILE", "fake")
        .env("GEPPETTO_PROFILES", &profiles)
        .env_remove("OPENAI_API_KEY")
        .env_remove("ANTHROPIC_API_KEY")
        .env_remove("GEMINI_API_KEY")
        .env_remove("GOOGLE_API_KEY")
        .env("RUST_LOG", "error")
        .output()
        .expect("cannot start geppetto");
    let _ = std::fs::remove_dir_all(&dir);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "exit {:?}\nstdout:\n{stdout}\nstderr:\n{stderr}",
        output.status.code()
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines,
        [
            "engine: profile:fake",
            "partial: \"Hello\"",
            "partial: \", wor\"",
            "partial: \"ld!\"",
            "deltas: 3",
            "answer: Hello, world!",
            "usage: {\"input_tokens\":12,\"output_tokens\":4,\"total_tokens\":16,\"cached_tokens\":0,\"reasoning_tokens\":0}",
        ],
        "stderr:\n{stderr}"
    );
}
