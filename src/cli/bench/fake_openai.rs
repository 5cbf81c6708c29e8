//! A fake OpenAI Chat Completions server on loopback, for `geppetto bench stream`: it answers
//! `POST /v1/chat/completions` with the same server-sent-event stream as the peer's
//! `fake-openai/server.mjs`: a role chunk, K content deltas of `"tok "` (K = the request's
//! `max_tokens` or `max_completion_tokens`, else 1000), a final chunk with `finish_reason: "stop"`
//! and usage, then `[DONE]`. The stream is written in pieces as it is read (memory stays O(1) in
//! K), over keep-alive HTTP/1.1 connections.

use std::io;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// K when the request names none (as the peer server's default).
const DEFAULT_DELTAS: usize = 1000;

/// Deltas written per socket write.
const DELTAS_PER_WRITE: usize = 256;

const CHUNK_HEAD: &str = r#"data: {"id":"chatcmpl-bench","object":"chat.completion.chunk","created":0,"model":"bench-model","choices":[{"index":0,"delta":"#;
const ROLE_CHUNK_TAIL: &str = r#"{"role":"assistant","content":""},"finish_reason":null}]}"#;
const DELTA_CHUNK_TAIL: &str = r#"{"content":"tok "},"finish_reason":null}]}"#;
const DONE: &str = "data: [DONE]\n\n";

/// The running server; stops when dropped.
pub(crate) struct FakeOpenAi {
    base_url: String,
    task: JoinHandle<()>,
}

impl FakeOpenAi {
    /// Listens on an ephemeral loopback port and serves on the current tokio runtime.
    pub(crate) async fn start() -> io::Result<FakeOpenAi> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let base_url = format!("http://{}/v1", listener.local_addr()?);
        let task = tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                tokio::spawn(async move {
                    if let Err(error) = serve_connection(socket).await {
                        tracing::debug!(target: "geppetto::bench", %error, "fake server connection ended");
                    }
                });
            }
        });
        Ok(FakeOpenAi { base_url, task })
    }

    /// `http://127.0.0.1:<port>/v1`, the engine's `baseURL`.
    pub(crate) fn base_url(&self) -> &str {
        &self.base_url
    }
}

impl Drop for FakeOpenAi {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Serves the requests of one connection, one after the other.
async fn serve_connection(mut socket: TcpStream) -> io::Result<()> {
    socket.set_nodelay(true)?;
    let mut received = Vec::with_capacity(4096);
    loop {
        let head_end = loop {
            if let Some(at) = received.windows(4).position(|w| w == b"\r\n\r\n") {
                break at + 4;
            }
            if socket.read_buf(&mut received).await? == 0 {
                return Ok(());
            }
        };
        let length = content_length(&received[..head_end]);
        while received.len() < head_end + length {
            if socket.read_buf(&mut received).await? == 0 {
                return Ok(());
            }
        }
        let deltas = requested_deltas(&received[head_end..head_end + length]);
        received.drain(..head_end + length);
        write_stream(&mut socket, deltas).await?;
    }
}

/// The `content-length` of a request head (0 when absent).
fn content_length(head: &[u8]) -> usize {
    String::from_utf8_lossy(head)
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.trim()
                .eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse().ok())?
        })
        .unwrap_or(0)
}

/// K: the request's `max_tokens`, else `max_completion_tokens`, else [`DEFAULT_DELTAS`].
fn requested_deltas(body: &[u8]) -> usize {
    let request: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
    ["max_tokens", "max_completion_tokens"]
        .iter()
        .find_map(|key| request.get(key).and_then(serde_json::Value::as_u64))
        .map_or(DEFAULT_DELTAS, |k| k as usize)
}

/// Writes one streamed answer of `deltas` deltas.
async fn write_stream(socket: &mut TcpStream, deltas: usize) -> io::Result<()> {
    let role = format!("{CHUNK_HEAD}{ROLE_CHUNK_TAIL}\n\n");
    let delta = format!("{CHUNK_HEAD}{DELTA_CHUNK_TAIL}\n\n");
    let last = format!(
        "{CHUNK_HEAD}{{}},\"finish_reason\":\"stop\"}}],\"usage\":{{\"prompt_tokens\":5,\"completion_tokens\":{deltas},\"total_tokens\":{}}}}}\n\n",
        deltas + 5
    );
    let length = role.len() + deltas * delta.len() + last.len() + DONE.len();
    let head = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-cache\r\ncontent-length: {length}\r\n\r\n{role}"
    );
    socket.write_all(head.as_bytes()).await?;
    let piece = delta.repeat(DELTAS_PER_WRITE.min(deltas));
    let mut left = deltas;
    while left > 0 {
        let count = left.min(DELTAS_PER_WRITE);
        socket
            .write_all(&piece.as_bytes()[..count * delta.len()])
            .await?;
        left -= count;
    }
    socket.write_all(format!("{last}{DONE}").as_bytes()).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_parsing() {
        assert_eq!(
            content_length(b"POST / HTTP/1.1\r\nContent-Length: 12\r\n\r\n"),
            12
        );
        assert_eq!(content_length(b"POST / HTTP/1.1\r\n\r\n"), 0);
        assert_eq!(requested_deltas(br#"{"max_tokens": 7}"#), 7);
        assert_eq!(requested_deltas(br#"{"max_completion_tokens": 9}"#), 9);
        assert_eq!(requested_deltas(b"not json"), DEFAULT_DELTAS);
    }
}
