//! [`SpanLogLayer`]: a `tracing-subscriber` layer writing one line per event and one per span when
//! it closes, as JSON objects or readable text.
//!
//! A JSON event line:
//! `{"kind":"event","timestamp_ms":…,"level":"WARN","target":"geppetto::provider","message":"…",
//! "fields":{…},"parents":[{"name":"session.run","id":2},…]}`.
//! A JSON span line (written when the span closes):
//! `{"kind":"span","timestamp_ms":…,"level":"INFO","target":"geppetto::session","name":"session.run",
//! "id":2,"fields":{…},"duration_us":…,"parents":[{"name":"script","id":1}]}`.
//! `parents` lists the enclosing spans root first. Span ids are numbers unique for the layer's
//! lifetime (tracing's own ids are reused after a span closes).

use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use serde_json::{Map, Value};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::registry::{LookupSpan, SpanRef};

/// How [`SpanLogLayer`] writes its lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineFormat {
    /// One JSON object per line.
    Json,
    /// One readable line per event or closed span.
    Text,
}

/// Writes events and closed spans (name, fields, duration, parents) to a writer, one line each.
/// Filtering is left to the subscriber (for example an `EnvFilter` layer).
pub struct SpanLogLayer<W> {
    format: LineFormat,
    make_writer: W,
    next_id: AtomicU64,
}

impl<W> SpanLogLayer<W>
where
    W: for<'writer> MakeWriter<'writer> + 'static,
{
    /// A layer writing `format` lines to the writers `make_writer` makes (`std::io::stderr`, a
    /// file, a test buffer).
    pub fn new(format: LineFormat, make_writer: W) -> SpanLogLayer<W> {
        SpanLogLayer {
            format,
            make_writer,
            next_id: AtomicU64::new(1),
        }
    }

    fn write_line(&self, line: String) {
        let mut writer = self.make_writer.make_writer();
        // One write per line keeps lines whole when several threads log at once.
        let _ = writer.write_all(line.as_bytes());
    }
}

/// What the layer keeps per open span.
struct SpanData {
    id: u64,
    fields: Map<String, Value>,
    opened: Instant,
}

impl<S, W> Layer<S> for SpanLogLayer<W>
where
    S: Subscriber + for<'lookup> LookupSpan<'lookup>,
    W: for<'writer> MakeWriter<'writer> + 'static,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else {
            return;
        };
        let mut fields = Map::new();
        attrs.record(&mut JsonVisitor(&mut fields));
        span.extensions_mut().insert(SpanData {
            id: self.next_id.fetch_add(1, Ordering::Relaxed),
            fields,
            opened: Instant::now(),
        });
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        if let Some(span) = ctx.span(id)
            && let Some(data) = span.extensions_mut().get_mut::<SpanData>()
        {
            values.record(&mut JsonVisitor(&mut data.fields));
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let mut fields = Map::new();
        event.record(&mut JsonVisitor(&mut fields));
        let message = match fields.remove("message") {
            Some(Value::String(message)) => message,
            Some(other) => other.to_string(),
            None => String::new(),
        };
        let parents: Vec<(String, u64)> = ctx
            .event_scope(event)
            .map(|scope| scope.from_root().map(|span| name_and_id(&span)).collect())
            .unwrap_or_default();
        let metadata = event.metadata();
        let line = Line {
            kind: "event",
            level: *metadata.level(),
            target: metadata.target(),
            name: None,
            message: Some(&message),
            fields,
            duration_us: None,
            parents,
        };
        self.write_line(line.render(self.format));
    }

    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(&id) else {
            return;
        };
        let Some(data) = span.extensions_mut().remove::<SpanData>() else {
            return;
        };
        let parents: Vec<(String, u64)> = span
            .parent()
            .map(|parent| {
                parent
                    .scope()
                    .from_root()
                    .map(|span| name_and_id(&span))
                    .collect()
            })
            .unwrap_or_default();
        let metadata = span.metadata();
        let line = Line {
            kind: "span",
            level: *metadata.level(),
            target: metadata.target(),
            name: Some((metadata.name(), data.id)),
            message: None,
            fields: data.fields,
            duration_us: Some(u64::try_from(data.opened.elapsed().as_micros()).unwrap_or(u64::MAX)),
            parents,
        };
        self.write_line(line.render(self.format));
    }
}

/// A span's name and layer id (0 when it was opened before the layer saw it).
fn name_and_id<S>(span: &SpanRef<'_, S>) -> (String, u64)
where
    S: for<'lookup> LookupSpan<'lookup>,
{
    let id = span
        .extensions()
        .get::<SpanData>()
        .map_or(0, |data| data.id);
    (span.name().to_string(), id)
}

/// One output line before rendering.
struct Line<'a> {
    kind: &'static str,
    level: Level,
    target: &'a str,
    /// A span's name and id.
    name: Option<(&'static str, u64)>,
    /// An event's message.
    message: Option<&'a str>,
    fields: Map<String, Value>,
    duration_us: Option<u64>,
    /// Enclosing spans, root first.
    parents: Vec<(String, u64)>,
}

impl Line<'_> {
    fn render(self, format: LineFormat) -> String {
        match format {
            LineFormat::Json => self.json(),
            LineFormat::Text => self.text(),
        }
    }

    fn json(self) -> String {
        let mut object = Map::new();
        object.insert("kind".into(), Value::from(self.kind));
        object.insert(
            "timestamp_ms".into(),
            Value::from(crate::inference::event::now_ms()),
        );
        object.insert("level".into(), Value::from(self.level.as_str()));
        object.insert("target".into(), Value::from(self.target));
        if let Some((name, id)) = self.name {
            object.insert("name".into(), Value::from(name));
            object.insert("id".into(), Value::from(id));
        }
        if let Some(message) = self.message {
            object.insert("message".into(), Value::from(message));
        }
        object.insert("fields".into(), Value::Object(self.fields));
        if let Some(duration) = self.duration_us {
            object.insert("duration_us".into(), Value::from(duration));
        }
        let parents = self
            .parents
            .into_iter()
            .map(|(name, id)| serde_json::json!({"name": name, "id": id}))
            .collect();
        object.insert("parents".into(), Value::Array(parents));
        let mut line = Value::Object(object).to_string();
        line.push('\n');
        line
    }

    fn text(self) -> String {
        use std::fmt::Write as _;
        let mut line = format!(
            "{} {:>5} {}",
            crate::inference::event::now_ms(),
            self.level.as_str(),
            self.target
        );
        if let Some((name, id)) = self.name {
            let _ = write!(line, " span {name}#{id}");
        }
        if let Some(duration) = self.duration_us {
            let _ = write!(line, " ({:.3} ms)", duration as f64 / 1000.0);
        }
        if let Some(message) = self.message {
            let _ = write!(line, ": {message}");
        }
        for (key, value) in &self.fields {
            let _ = write!(line, " {key}={value}");
        }
        if !self.parents.is_empty() {
            let chain: Vec<String> = self
                .parents
                .iter()
                .map(|(name, id)| format!("{name}#{id}"))
                .collect();
            let _ = write!(line, " in {}", chain.join(" > "));
        }
        line.push('\n');
        line
    }
}

/// Records tracing field values as JSON values.
struct JsonVisitor<'a>(&'a mut Map<String, Value>);

impl Visit for JsonVisitor<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().into(), Value::from(value));
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.insert(field.name().into(), Value::from(value));
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.0.insert(field.name().into(), Value::from(value));
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        self.0.insert(field.name().into(), Value::from(value));
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.0.insert(field.name().into(), Value::from(value));
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.0
            .insert(field.name().into(), Value::from(value.to_string()));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0
            .insert(field.name().into(), Value::from(format!("{value:?}")));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use tracing_subscriber::prelude::*;

    /// A writer appending to a shared buffer.
    #[derive(Clone, Default)]
    struct Buffer(Arc<parking_lot::Mutex<Vec<u8>>>);

    impl Write for Buffer {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn lines(format: LineFormat) -> Vec<String> {
        let buffer = Buffer::default();
        let writer = buffer.clone();
        let subscriber =
            tracing_subscriber::registry().with(SpanLogLayer::new(format, move || writer.clone()));
        tracing::subscriber::with_default(subscriber, || {
            let outer = tracing::info_span!("outer", path = "a.js");
            let inner = tracing::info_span!(parent: &outer, "inner", n = 1u64, later = tracing::field::Empty);
            inner.in_scope(|| tracing::warn!(answer = 42u64, "hello {}", "there"));
            inner.record("later", "set");
        });
        let text = String::from_utf8(buffer.0.lock().clone()).unwrap();
        text.lines().map(str::to_string).collect()
    }

    #[test]
    fn json_lines_carry_fields_durations_and_parents() {
        let lines: Vec<Value> = lines(LineFormat::Json)
            .iter()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect();
        assert_eq!(lines.len(), 3, "{lines:#?}");
        let (event, inner, outer) = (&lines[0], &lines[1], &lines[2]);
        assert_eq!(event["kind"], "event");
        assert_eq!(event["message"], "hello there");
        assert_eq!(event["fields"], serde_json::json!({"answer": 42}));
        assert_eq!(
            event["parents"],
            serde_json::json!([{"name": "outer", "id": 1}, {"name": "inner", "id": 2}])
        );
        assert_eq!(inner["name"], "inner");
        assert_eq!(inner["fields"], serde_json::json!({"n": 1, "later": "set"}));
        assert_eq!(
            inner["parents"],
            serde_json::json!([{"name": "outer", "id": 1}])
        );
        assert!(inner["duration_us"].is_u64());
        assert_eq!(outer["name"], "outer");
        assert_eq!(outer["parents"], serde_json::json!([]));
    }

    #[test]
    fn text_lines_are_readable() {
        let lines = lines(LineFormat::Text);
        assert!(
            lines[0].contains("WARN")
                && lines[0].contains(": hello there answer=42 in outer#1 > inner#2"),
            "{lines:?}"
        );
        assert!(
            lines[1].contains("span inner#2 (")
                && lines[1].contains("n=1 later=\"set\" in outer#1"),
            "{lines:?}"
        );
    }
}
