//! Exporting spans over OTLP/HTTP (protobuf) to an OpenTelemetry collector.
//!
//! [`OtlpExporter`] owns an OpenTelemetry tracer provider with a batch processor (its own
//! thread, a blocking HTTP client); [`OtlpExporter::layer`] is the `tracing` layer feeding it.
//! Call [`OtlpExporter::shutdown`] before the process ends, or spans still in the batch are lost.

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::{Protocol, WithExportConfig};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::{SdkTracer, SdkTracerProvider};
use tracing::Subscriber;
use tracing_opentelemetry::OpenTelemetryLayer;
use tracing_subscriber::registry::LookupSpan;

/// The service name spans are exported under when none is given.
pub const DEFAULT_SERVICE_NAME: &str = "geppetto";

/// The path of the traces endpoint under an OTLP/HTTP base URL.
const TRACES_PATH: &str = "/v1/traces";

/// Why exporting could not start or finish.
#[derive(Debug, thiserror::Error)]
pub enum OtlpError {
    /// The endpoint is not an `http://` or `https://` URL.
    #[error("invalid OTLP endpoint {endpoint:?}: expected an http:// or https:// URL")]
    InvalidEndpoint {
        /// The endpoint as given.
        endpoint: String,
    },
    /// The exporter could not be built.
    #[error("cannot build the OTLP exporter: {0}")]
    Build(#[from] opentelemetry_otlp::ExporterBuildError),
    /// Flushing or shutting down failed (for example, the collector was unreachable).
    #[error("OTLP export failed at shutdown: {0}")]
    Shutdown(#[from] opentelemetry_sdk::error::OTelSdkError),
}

/// An OTLP/HTTP span exporter.
#[derive(Debug)]
pub struct OtlpExporter {
    provider: SdkTracerProvider,
}

impl OtlpExporter {
    /// Exports to the collector at `endpoint`, an OTLP/HTTP base URL such as
    /// `http://127.0.0.1:4318` (`/v1/traces` is appended unless it is already there), as
    /// `service_name`. Reads no environment variable; touches no network until spans are sent.
    ///
    /// Call it outside an async context: the blocking HTTP client must not be built on a tokio
    /// worker.
    pub fn new(endpoint: &str, service_name: &str) -> Result<OtlpExporter, OtlpError> {
        let endpoint = traces_url(endpoint)?;
        let exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_http()
            .with_protocol(Protocol::HttpBinary)
            .with_endpoint(endpoint)
            .build()?;
        let resource = Resource::builder()
            .with_service_name(service_name.to_string())
            .build();
        let provider = SdkTracerProvider::builder()
            .with_batch_exporter(exporter)
            .with_resource(resource)
            .build();
        Ok(OtlpExporter { provider })
    }

    /// The `tracing` layer that turns spans (and their events) into OpenTelemetry spans.
    pub fn layer<S>(&self) -> OpenTelemetryLayer<S, SdkTracer>
    where
        S: Subscriber + for<'span> LookupSpan<'span>,
    {
        tracing_opentelemetry::layer().with_tracer(self.provider.tracer("geppetto"))
    }

    /// Sends the spans still buffered and stops the exporter.
    pub fn shutdown(self) -> Result<(), OtlpError> {
        self.provider.force_flush()?;
        self.provider.shutdown()?;
        Ok(())
    }
}

/// `endpoint` with [`TRACES_PATH`] appended (once).
fn traces_url(endpoint: &str) -> Result<String, OtlpError> {
    let trimmed = endpoint.trim().trim_end_matches('/');
    if !(trimmed.starts_with("http://") || trimmed.starts_with("https://")) {
        return Err(OtlpError::InvalidEndpoint {
            endpoint: endpoint.to_string(),
        });
    }
    Ok(if trimmed.ends_with(TRACES_PATH) {
        trimmed.to_string()
    } else {
        format!("{trimmed}{TRACES_PATH}")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traces_url_table() {
        let cases = [
            (
                "http://127.0.0.1:4318",
                Some("http://127.0.0.1:4318/v1/traces"),
            ),
            ("http://h:4318/", Some("http://h:4318/v1/traces")),
            ("https://h/v1/traces", Some("https://h/v1/traces")),
            ("127.0.0.1:4318", None),
            ("", None),
        ];
        for (input, expected) in cases {
            assert_eq!(traces_url(input).ok().as_deref(), expected, "{input}");
        }
    }
}
