//! stub
use super::accumulator::Accumulator;
use super::config::ProviderConfig;
use super::decoder::{SseEvent, StreamDecoder};
use super::transport::HttpRequest;
use crate::inference::{EngineTools, Turn};
pub(crate) fn build_request(
    config: &ProviderConfig,
    _turn: &Turn,
    _tools: Option<&EngineTools>,
) -> HttpRequest {
    HttpRequest {
        url: config.base_url.clone(),
        headers: vec![],
        body: serde_json::Value::Null,
    }
}
#[derive(Debug, Default)]
pub(crate) struct MessagesDecoder;
impl StreamDecoder for MessagesDecoder {
    fn on_event(&mut self, _event: &SseEvent, _out: &mut Accumulator<'_>) -> Result<(), String> {
        Ok(())
    }
    fn is_complete(&self) -> bool {
        true
    }
}
