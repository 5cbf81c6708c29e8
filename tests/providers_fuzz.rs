//! Fuzz-style test of every provider's response decoding: each case mutates a recorded fixture
//! (tests/fixtures/<provider>/) or generates a body from scratch — truncated, byte-flipped,
//! interleaved with garbage, oversized, deeply nested, invalid UTF-8, wrong status or content
//! type — serves it from an in-process HTTP server on 127.0.0.1 in random chunk sizes, and runs
//! one inference step against it. Every outcome must be an `Ok` turn or an `InferenceError`
//! with a non-empty message: never a panic, never a hang.
//!
//! Knobs (see docs/reliability.md): `GEPPETTO_FUZZ_SEED` (default: a fresh seed, printed),
//! `GEPPETTO_FUZZ_CASES` (cases per provider, default 150).

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::response::Response;
use generated_input::{env_number, seed};
use geppetto::inference::{Block, Engine, RunContext, Turn};
use geppetto::providers::{Env, ProviderConfig, ProviderEngine};
use parking_lot::Mutex;
use serde_json::json;

// Each test binary uses part of the shared helpers.
#[allow(dead_code)]
mod generated_input;

/// What the server sends for the next request.
#[derive(Clone, Default)]
struct Reply {
    status: u16,
    content_type: &'static str,
    body: Vec<u8>,
    chunk: usize,
    retry_after: Option<&'static str>,
}

async fn answer(State(reply): State<Arc<Mutex<Reply>>>) -> Response {
    let reply = reply.lock().clone();
    let chunks: Vec<Result<Bytes, std::io::Error>> = reply
        .body
        .chunks(reply.chunk.max(1))
        .map(|chunk| Ok(Bytes::copy_from_slice(chunk)))
        .collect();
    let mut response = Response::builder()
        .status(reply.status)
        .header("content-type", reply.content_type);
    if let Some(retry_after) = reply.retry_after {
        response = response.header("retry-after", retry_after);
    }
    response
        .body(Body::from_stream(futures_util::stream::iter(chunks)))
        .expect("response")
}

const PROVIDERS: [&str; 4] = ["openai", "openai-responses", "claude", "gemini"];

fn fixtures(provider: &str) -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(provider);
    let mut bodies: Vec<Vec<u8>> = std::fs::read_dir(&dir)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", dir.display()))
        .map(|entry| entry.expect("fixture entry").path())
        .filter(|path| {
            matches!(
                path.extension().and_then(|e| e.to_str()),
                Some("sse" | "json")
            )
        })
        .map(|path| std::fs::read(&path).expect("fixture"))
        .collect();
    bodies.sort();
    assert!(!bodies.is_empty(), "no fixtures for {provider}");
    bodies
}

/// Garbage that is close to what a decoder expects.
fn garbage_line(rng: &mut fastrand::Rng) -> Vec<u8> {
    let nested = "[".repeat(rng.usize(1..5000));
    let huge_text = "y".repeat(rng.usize(1..2_000_000));
    let options: [String; 14] = [
        "data: {".into(),
        "data: [DONE]".into(),
        "data: null".into(),
        "data: 1e999999".into(),
        "data: \"\\ud800\"".into(),
        format!("data: {nested}"),
        format!("data: {{\"choices\":[{{\"delta\":{{\"content\":\"{huge_text}\"}}}}]}}"),
        "data: {\"type\":\"content_block_delta\",\"index\":18446744073709551616,\"delta\":{\"type\":\"text_delta\",\"text\":\"x\"}}".into(),
        "data: {\"choices\":[{\"index\":-1,\"delta\":{\"tool_calls\":[{\"index\":4294967296,\"id\":\"c\",\"function\":{\"name\":\"f\",\"arguments\":\"{\"}}]}}]}".into(),
        "data: {\"type\":\"response.output_item.added\",\"output_index\":1e300,\"item\":{}}".into(),
        "data: {\"candidates\":[{\"content\":{\"parts\":[{\"functionCall\":{\"name\":7,\"args\":[]}}]}}]}".into(),
        "event: error\ndata: {\"error\":{\"message\":\"\"}}".into(),
        ": comment only".into(),
        "retry: -5".into(),
    ];
    let mut line = options[rng.usize(..options.len())].clone().into_bytes();
    line.extend_from_slice(b"\n\n");
    line
}

/// One mutation of `body`.
fn mutate(rng: &mut fastrand::Rng, mut body: Vec<u8>) -> Vec<u8> {
    match rng.u8(..9) {
        // Truncate anywhere (mid-frame, mid-UTF-8, mid-JSON).
        0 if !body.is_empty() => body.truncate(rng.usize(..body.len())),
        // Flip random bytes.
        1 => {
            for _ in 0..rng.usize(1..20) {
                if body.is_empty() {
                    break;
                }
                let at = rng.usize(..body.len());
                body[at] = rng.u8(..);
            }
        }
        // Insert garbage frames at line boundaries.
        2 => {
            let at = body
                .iter()
                .enumerate()
                .filter(|(_, byte)| **byte == b'\n')
                .map(|(index, _)| index + 1)
                .nth(rng.usize(..8))
                .unwrap_or(body.len());
            let garbage = garbage_line(rng);
            body.splice(at..at, garbage);
        }
        // Duplicate a slice (repeated events, repeated ids).
        3 if !body.is_empty() => {
            let start = rng.usize(..body.len());
            let end = rng.usize(start..=body.len());
            let copy = body[start..end].to_vec();
            body.splice(end..end, copy);
        }
        // Drop the `data:` prefixes, or turn LF into CR / CRLF.
        4 => {
            let text = String::from_utf8_lossy(&body).into_owned();
            body = match rng.u8(..3) {
                0 => text.replace("data: ", ""),
                1 => text.replace('\n', "\r"),
                _ => text.replace('\n', "\r\n"),
            }
            .into_bytes();
        }
        // Replace numbers by extreme ones.
        5 => {
            let text = String::from_utf8_lossy(&body).into_owned();
            let extreme = ["-1", "1e308", "18446744073709551616", "NaN", "-0", "0.5"];
            body = text
                .replace(":0", &format!(":{}", extreme[rng.usize(..extreme.len())]))
                .replace(":1", &format!(":{}", extreme[rng.usize(..extreme.len())]))
                .into_bytes();
        }
        // Invalid UTF-8.
        6 => {
            let at = rng.usize(..=body.len());
            body.splice(at..at, [0xff, 0xfe, 0xc3]);
        }
        // Only garbage.
        7 => {
            body = (0..rng.usize(1..6))
                .flat_map(|_| garbage_line(rng))
                .collect();
        }
        // Random bytes.
        _ => body = (0..rng.usize(..4096)).map(|_| rng.u8(..)).collect(),
    }
    body
}

fn engine(provider: &str, url: &str) -> ProviderEngine {
    let options = geppetto::providers::profiles::profile_options(&json!({
        "apiType": provider,
        "model": "fuzz-model",
        "apiKey": "k",
        "baseURL": url,
        "timeoutMs": 20000,
    }))
    .expect("options");
    let mut config = ProviderConfig::resolve(options, &Env::new()).expect("config");
    config.retry.max_retries = 0;
    ProviderEngine::new("config", config).expect("engine")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_truncated_and_oversized_responses_fail_cleanly() {
    let seed = seed("GEPPETTO_FUZZ_SEED");
    let cases = env_number("GEPPETTO_FUZZ_CASES", 150);
    eprintln!(
        "provider fuzz: seed {seed}, {cases} cases per provider (replay: GEPPETTO_FUZZ_SEED={seed})"
    );
    let mut rng = fastrand::Rng::with_seed(seed);

    let reply = Arc::new(Mutex::new(Reply::default()));
    let app = axum::Router::new()
        .fallback(answer)
        .with_state(reply.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    tokio::spawn(async move { axum::serve(listener, app).await });

    let turn = Turn::new().with_block(Block::user("hello"));
    let (mut ok, mut failed) = (0u64, 0u64);
    for provider in PROVIDERS {
        let bodies = fixtures(provider);
        let engine = engine(provider, &url);
        for case in 0..cases {
            let mut body = bodies[rng.usize(..bodies.len())].clone();
            for _ in 0..rng.usize(1..3) {
                body = mutate(&mut rng, body);
            }
            let status = [200, 200, 200, 200, 400, 429, 500, 503, 204, 302][rng.usize(..10)];
            let content_type =
                ["text/event-stream", "application/json", "text/plain"][rng.usize(..3)];
            *reply.lock() = Reply {
                status,
                content_type,
                // Tiny chunks only for small bodies (a 2 MB body in 1-byte chunks is slow, not hostile).
                chunk: [1, 3, 7, 64, 4096, 1 << 20][rng.usize(..6)].max(body.len() / 256),
                body,
                retry_after: [
                    None,
                    Some("1e300"),
                    Some("-1"),
                    Some("NaN"),
                    Some("inf"),
                    Some("0.001"),
                    Some("x"),
                ][rng.usize(..7)],
            };
            let what = format!(
                "{provider} case {case} (status {status}, {content_type}; replay: GEPPETTO_FUZZ_SEED={seed})"
            );
            let ctx = RunContext::detached();
            let outcome = tokio::time::timeout(
                Duration::from_secs(60),
                engine.run_inference(&ctx, turn.clone()),
            )
            .await
            .unwrap_or_else(|_| panic!("{what}: no outcome within 60 s"));
            match outcome {
                Ok(_) => ok += 1,
                Err(error) => {
                    assert!(!error.to_string().trim().is_empty(), "{what}: empty error");
                    assert!(
                        !error.to_string().contains("panicked"),
                        "{what}: panic text in the error: {error}"
                    );
                    failed += 1;
                }
            }
        }
    }
    eprintln!("provider fuzz: {ok} answers decoded, {failed} clean errors");
    assert!(
        failed > 0,
        "mutations that break every body must fail some cases"
    );
}
