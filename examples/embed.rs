//! Embedding geppetto-rs in a Rust service: one owner thread with the `geppetto` module and a custom
//! host tool. Rust runs a setup script, then many tokio tasks call into JS concurrently; the owner
//! serializes them, and no JS value ever leaves its thread.
//!
//!     cargo run --example embed

use std::sync::Arc;

use geppetto::host::geppetto_module;
use geppetto::inference::tools::{HostTool, default_host_tools};
use geppetto::owner::{CallOptions, CpuBudget, Owner, OwnerOptions, ShutdownMode};
use geppetto::runtime::{ScriptHost, ScriptKind, run_to_completion};

/// Input of the `greet` host tool; its JSON schema is derived for the model.
#[derive(serde::Deserialize, schemars::JsonSchema)]
struct Greet {
    /// Who to greet.
    name: String,
}

const SETUP: &str = r#"
  const gp = require("geppetto");
  const tools = gp.tools.createRegistry().useHostTools(["greet", "go_double"]);
  // Called from Rust: a synchronous echo session whose reply comes from the host tool.
  globalThis.answer = function (who) {
    const reply = tools.call("greet", { name: who });
    const session = gp.createSession({ engine: gp.engines.echo({ reply }) });
    return session.run({ blocks: [{ kind: "user", payload: { text: who } }] }).blocks[1].payload.text;
  };
"#;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let tools = default_host_tools();
    tools.register(Arc::new(HostTool::new(
        "greet",
        "Greet someone by name",
        |input: Greet| Ok::<_, std::convert::Infallible>(format!("hello, {}", input.name)),
    )));
    let host = ScriptHost::default().with_module(Arc::new(geppetto_module(tools)));
    let owner = Owner::spawn(host.configure(OwnerOptions {
        name: "embed".into(),
        ..OwnerOptions::default()
    }))?;

    let setup = CallOptions {
        cpu_budget: CpuBudget::Unlimited,
        ..CallOptions::default()
    };
    owner
        .call_with(setup, "eval", |ctx| {
            Ok(run_to_completion(
                ctx,
                "setup.js",
                SETUP,
                ScriptKind::Classic,
            ))
        })
        .await?
        .map_err(|failure| format!("setup failed: {}", failure.message))?;

    let mut tasks = Vec::new();
    for i in 0..4 {
        let owner = owner.clone();
        tasks.push(tokio::spawn(async move {
            owner
                .call("answer", move |ctx| {
                    let answer: rquickjs::Function = ctx.globals().get("answer")?;
                    answer.call::<_, String>((format!("task {i}"),))
                })
                .await
        }));
    }
    for task in tasks {
        println!("{}", task.await??);
    }
    println!("{:?}", owner.stats().per_op);
    owner.shutdown(ShutdownMode::Drain, None).await;
    Ok(())
}
