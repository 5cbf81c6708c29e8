//! Embedding geppetto-rs in a Rust service: one runtime with the `geppetto` module, a typed host
//! tool and a Rust-defined module. Rust evaluates a setup script, then many tokio tasks call into
//! JS concurrently (the owner serializes them), and one run's events stream back to Rust.
//!
//!     cargo run --example embed

use futures_util::StreamExt;
use geppetto::embed::{
    Block, CallSettings, CpuBudget, EmbedError, Exports, HostTool, JsName, Module, RunSettings,
    Runtime, Script, SetupError, Turn,
};

/// Input of the `greet` host tool; its JSON schema is derived for the model.
#[derive(serde::Deserialize, schemars::JsonSchema)]
struct Greet {
    /// Who to greet.
    name: String,
}

/// A module defined in Rust: `require("shout").shout(text)`.
struct Shout;

impl Module for Shout {
    fn name(&self) -> &str {
        "shout"
    }

    fn exports(&self) -> Result<Exports, SetupError> {
        Ok(Exports::new().function("shout", |(text,): (String,)| {
            Ok::<_, String>(text.to_uppercase())
        }))
    }
}

const SETUP: &str = r#"
  const gp = require("geppetto");
  const { shout } = require("shout");
  const tools = gp.tools.createRegistry().useGoTools(["greet"]);
  // Called from Rust: a synchronous echo session whose reply comes from the host tool.
  globalThis.answer = function (who) {
    const reply = shout(tools.call("greet", { name: who }));
    const session = gp.createSession({ engine: gp.engines.echo({ reply }) });
    return session.run({ blocks: [{ kind: "user", payload: { text: who } }] }).blocks[1].payload.text;
  };
  // Started from Rust: its events stream back.
  globalThis.session = gp.createSession({ engine: gp.engines.echo({ reply: "streamed" }) });
"#;

#[tokio::main]
async fn main() -> Result<(), EmbedError> {
    let runtime = Runtime::builder()
        .name("embed")
        .geppetto()
        .module(Shout)
        .host_tool(HostTool::new(
            "greet",
            "Greet someone by name",
            |input: Greet| Ok::<_, std::convert::Infallible>(format!("hello, {}", input.name)),
        ))
        .spawn()?;
    let instance = runtime.instance();
    instance
        .eval_with(
            CallSettings::new().cpu_budget(CpuBudget::Unlimited),
            Script::classic("setup.js", SETUP),
        )
        .await?;

    let mut tasks = Vec::new();
    for i in 0..4 {
        let instance = instance.clone();
        tasks.push(tokio::spawn(async move {
            instance
                .call::<String>(JsName::global("answer"), (format!("task {i}"),))
                .await
        }));
    }
    for task in tasks {
        println!("{}", task.await.expect("task panicked")?);
    }

    let mut run = instance
        .start(
            JsName::global("session"),
            Turn::new().with_block(Block::user("hello")),
            RunSettings::new(),
        )
        .await?;
    while let Some(event) = run.next().await {
        println!("event: {}", event.kind.type_name());
    }
    let output = run.outcome().await?;
    println!("output: {:?}", output.last_assistant_text());
    println!("{:?}", instance.stats().per_op);
    runtime.shutdown(None).await;
    Ok(())
}
