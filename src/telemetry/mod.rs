//! Observability: the tracing spans a run produces, and the layers that print or export them.
//!
//! The library only creates spans and events (through [`tracing`]); it never installs a global
//! subscriber. Whoever owns the process composes the layers it wants: the `geppetto` command uses
//! [`SpanLogLayer`] for `--log-format json|text` and [`otlp::OtlpExporter`] for `--otlp-endpoint`;
//! an embedder adds the same layers to its own subscriber.
//!
//! # Layout
//! - [`spans`]: the span tree (names, fields, levels, parents). The names and fields are a
//!   contract: dashboards and tests rely on them.
//! - [`log_layer`]: [`SpanLogLayer`], one line per event and per closed span, as JSON or text.
//! - [`otlp`]: export over OTLP/HTTP (tracing-opentelemetry + opentelemetry-otlp).
//!
//! # Example: an embedder's subscriber with JSON span lines and its own fmt layer
//! ```
//! use tracing_subscriber::prelude::*;
//! use geppetto::telemetry::{LineFormat, SpanLogLayer};
//!
//! let subscriber = tracing_subscriber::registry()
//!     .with(tracing_subscriber::EnvFilter::new("warn,geppetto=info"))
//!     .with(SpanLogLayer::new(LineFormat::Json, std::io::stderr));
//! // `set_global_default` in a real program; here only for this scope.
//! tracing::subscriber::with_default(subscriber, || {
//!     tracing::info!(target: "geppetto::example", "hello");
//! });
//! ```

pub mod log_layer;
pub mod otlp;
pub mod spans;

pub use log_layer::{LineFormat, SpanLogLayer};
