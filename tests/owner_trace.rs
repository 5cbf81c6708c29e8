//! The `owner.item` span (issue 10's owner row): its fields, and its parent, the span of the Rust
//! code that sent the work. One global subscriber, so this file holds one test.

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;

use common::{bounded, spawn};
use geppetto::owner::{CallOptions, OwnerHandle};
use parking_lot::Mutex;
use tracing::Instrument;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;

/// One recorded span: its name, its parent's name, and its fields as text.
#[derive(Debug, Clone)]
struct Recorded {
    name: String,
    parent: Option<String>,
    fields: BTreeMap<String, String>,
    closed: bool,
}

#[derive(Default, Clone)]
struct Recorder {
    spans: Arc<Mutex<BTreeMap<u64, Recorded>>>,
}

struct Fields<'a>(&'a mut BTreeMap<String, String>);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.insert(field.name().into(), format!("{value:?}"));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().into(), value.into());
    }
}

impl<S: tracing::Subscriber + for<'a> LookupSpan<'a>> tracing_subscriber::Layer<S> for Recorder {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let span = ctx.span(id).expect("new span");
        let mut fields = BTreeMap::new();
        attrs.record(&mut Fields(&mut fields));
        let recorded = Recorded {
            name: span.name().into(),
            parent: span.parent().map(|parent| parent.name().into()),
            fields,
            closed: false,
        };
        self.spans.lock().insert(id.into_u64(), recorded);
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, _ctx: Context<'_, S>) {
        if let Some(span) = self.spans.lock().get_mut(&id.into_u64()) {
            values.record(&mut Fields(&mut span.fields));
        }
    }

    fn on_close(&self, id: Id, _ctx: Context<'_, S>) {
        if let Some(span) = self.spans.lock().get_mut(&id.into_u64()) {
            span.closed = true;
        }
    }
}

impl Recorder {
    /// The recorded `owner.item` spans of `op`.
    fn items(&self, op: &str) -> Vec<Recorded> {
        self.spans
            .lock()
            .values()
            .filter(|span| {
                span.name == "owner.item" && span.fields.get("op").map(String::as_str) == Some(op)
            })
            .cloned()
            .collect()
    }
}

/// Exactly one `owner.item` span of `op`, once it has closed (the caller has its answer a moment
/// before the owner records `exec_us` and `outcome`).
async fn one_item(recorder: &Recorder, op: &str) -> Recorded {
    let items = bounded("span close", async {
        loop {
            let items = recorder.items(op);
            if items.iter().all(|item| item.closed) {
                return items;
            }
            tokio::time::sleep(std::time::Duration::from_millis(1)).await;
        }
    })
    .await;
    assert_eq!(items.len(), 1, "owner.item spans of {op}: {items:?}");
    let item = items.into_iter().next().unwrap();
    for field in ["owner", "op", "queue_wait_us", "exec_us", "outcome"] {
        assert!(
            item.fields.contains_key(field),
            "{op}: no {field} in {item:?}"
        );
    }
    item
}

async fn call(owner: &OwnerHandle, op: &'static str) {
    bounded(op, owner.call(op, |_ctx| Ok(()))).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn owner_items_carry_their_fields_and_hang_under_the_sender() {
    let recorder = Recorder::default();
    let subscriber = tracing_subscriber::registry()
        .with(tracing_subscriber::filter::LevelFilter::DEBUG)
        .with(recorder.clone());
    tracing::subscriber::set_global_default(subscriber).expect("one subscriber per test binary");
    let owner = spawn("traced");

    // Sent from inside a span: that span is the parent.
    call(&owner, "in-request")
        .instrument(tracing::info_span!("request"))
        .await;
    let item = one_item(&recorder, "in-request").await;
    assert_eq!(item.parent.as_deref(), Some("request"), "{item:?}");
    assert_eq!(item.fields["owner"], "traced");
    assert_eq!(item.fields["outcome"], "ok");

    // Sent from no span: a root span, whatever the owner was doing.
    call(&owner, "no-parent").await;
    assert_eq!(one_item(&recorder, "no-parent").await.parent, None);

    // A failing call records its outcome; the run's ids are fields.
    let options = CallOptions {
        session_id: Some("s-1".into()),
        inference_id: Some("i-1".into()),
        ..CallOptions::default()
    };
    let failed = owner
        .call_with(options, "failing", |ctx| {
            ctx.eval::<(), _>("throw new Error('no')")
        })
        .instrument(tracing::info_span!("run"))
        .await;
    assert!(failed.is_err());
    let item = one_item(&recorder, "failing").await;
    assert_eq!(item.parent.as_deref(), Some("run"));
    assert_eq!(item.fields["outcome"], "error");
    assert_eq!(item.fields["session_id"], "s-1");
    assert_eq!(item.fields["inference_id"], "i-1");

    // A call made on the owner thread runs inline, under the item that made it.
    let inner_owner = owner.clone();
    bounded(
        "outer",
        owner.call("outer", move |_ctx| {
            let inner = inner_owner.call("inner", |_ctx| Ok(()));
            // Inline: already answered, no await needed.
            futures_util::FutureExt::now_or_never(inner)
                .expect("inline call is ready at once")
                .map_err(|error| {
                    rquickjs::Error::new_from_js_message("owner", "inner", error.to_string())
                })
        }),
    )
    .await
    .unwrap();
    assert_eq!(
        one_item(&recorder, "inner").await.parent.as_deref(),
        Some("owner.item")
    );
    assert_eq!(one_item(&recorder, "outer").await.parent, None);
}
