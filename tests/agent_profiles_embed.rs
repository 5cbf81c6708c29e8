//! The profile side of the `geppetto` module as an embedder configures it: a host registry and
//! base settings every resolved profile is merged over (host and script-loaded registries alike),
//! and a bearer-token source for keys the profiles lack.

use std::sync::Arc;

use geppetto::bridge::GeppettoModule;
use geppetto::owner::{Owner, OwnerOptions};
use geppetto::profiles::HostProfiles;
use geppetto::runtime::ScriptHost;
use serde_json::json;

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/profiles/50-hardcut-phase123.yaml"
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn base_settings_apply_to_host_and_loaded_registries() {
    let module = GeppettoModule {
        profiles: Some(HostProfiles::load(FIXTURE, Some("assistant".into())).unwrap()),
        profile_base_settings: json!({"chat": {"top_p": 0.3, "temperature": 1.0}})
            .as_object()
            .cloned(),
        ..GeppettoModule::default()
    };
    let host = ScriptHost::default().with_module(Arc::new(module));
    let owner = Owner::spawn(host.configure(OwnerOptions::default())).expect("owner");
    let script = format!(
        r#"
        const gp = require("geppetto");
        const host = gp.inferenceProfiles.resolve().toJSON().chat;
        const loaded = gp.inferenceProfiles.load({FIXTURE:?}).resolve("assistant").toJSON().chat;
        JSON.stringify([host, loaded]);
        "#
    );
    let out: String = owner
        .call("resolve", move |ctx| ctx.eval(script))
        .await
        .expect("call");
    let chat =
        json!({"top_p": 0.3, "temperature": 0.2, "api_type": "openai", "engine": "gpt-4o-mini"});
    let got: serde_json::Value = serde_json::from_str(&out).unwrap();
    for side in got.as_array().unwrap() {
        for (key, value) in chat.as_object().unwrap() {
            assert_eq!(&side[key], value, "{key} in {side}");
        }
    }
}

/// Keys by name, as an embedder's secret store would hand them out.
struct Vault;

impl geppetto::providers::BearerTokenSource for Vault {
    fn token(&self, key_name: &str) -> Option<String> {
        (key_name == "openai-api-key").then(|| "sk-from-the-vault".to_string())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bearer_token_source_supplies_keys_profiles_lack() {
    let engines = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/profiles/agent/engines.yaml"
    );
    let script = format!(
        r#"
        const gp = require("geppetto");
        const reg = gp.inferenceProfiles.load({engines:?});
        const engine = gp.engine().inference(reg.resolve("missing-key")).build();
        const model = gp.embeddings(reg.resolve("emb-openai-no-key")).model();
        JSON.stringify([engine.name, model.name, JSON.stringify(reg.resolve("missing-key")).includes("vault")]);
        "#
    );
    let run = |module: GeppettoModule, script: String| async move {
        let host = ScriptHost::default().with_module(Arc::new(module));
        let owner = Owner::spawn(host.configure(OwnerOptions::default())).expect("owner");
        owner
            .call("build", move |ctx| ctx.eval::<String, _>(script))
            .await
    };
    let with_vault = GeppettoModule {
        bearer_tokens: Some(Arc::new(Vault)),
        ..GeppettoModule::default()
    };
    let out = run(with_vault, script.clone()).await.expect("call");
    assert_eq!(
        out,
        r#"["inferenceSettings","text-embedding-3-small",false]"#
    );
    let error = run(GeppettoModule::default(), script).await.unwrap_err();
    assert!(
        error
            .message()
            .contains("invalid settings for provider openai: missing API key openai-api-key"),
        "{}",
        error.message()
    );
}
