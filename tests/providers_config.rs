//! Provider configuration and profile resolution: errors, precedence, the profiles file (its flat
//! layout uses the script option names), provider inference and API keys from the caller's
//! environment. No network. (Reading a script's option objects is tested in `bridge/options.rs`.)

use std::path::PathBuf;
use std::time::Duration;

use geppetto::providers::profiles::profile_options;
use geppetto::providers::{
    ApiType, EngineOptions, Env, ProviderConfig, engine_from_config, engine_from_config_with_env,
    engine_from_profile, resolve_profile,
};
use serde_json::{Value, json};

fn fixture(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/profiles")
        .join(name)
        .display()
        .to_string()
}

/// An environment whose profiles file is the test fixture.
fn env_with_profiles() -> Env {
    Env::new().with("GEPPETTO_PROFILES", fixture("profiles.yaml"))
}

/// An environment with no profiles file at all.
fn bare_env() -> Env {
    Env::new()
}

/// Engine options written as a flat profile (the script option names), plus `profile`.
fn options(value: &Value) -> EngineOptions {
    EngineOptions {
        profile: value["profile"].as_str().map(str::to_string),
        ..profile_options(value).unwrap()
    }
}

fn resolve(profile: Option<&str>, opts: Option<Value>, env: &Env) -> (String, ProviderConfig) {
    let overrides = opts.as_ref().map(options).unwrap_or_default();
    let resolved = resolve_profile(profile, overrides, env).unwrap();
    (resolved.name, resolved.config)
}

#[test]
fn config_errors() {
    let cases = [
        (json!({}), "provider options require model"),
        (
            json!({"apiType": "mistral", "model": "m"}),
            "unknown provider \"mistral\", expected one of: openai, openai-responses, claude, anthropic, gemini",
        ),
        (
            json!({"provider": "cohere", "model": "m"}),
            "unknown provider \"cohere\", expected one of: openai, openai-responses, claude, anthropic, gemini",
        ),
        (
            json!({"model": "m", "temperature": "hot"}),
            "invalid type: string \"hot\", expected f64",
        ),
        (
            json!({"model": "m", "temperature": 3}),
            "temperature must be a non-negative number no larger than 2, got 3",
        ),
        (
            json!({"model": "m", "maxTokens": 1.5}),
            "maxTokens must be a positive integer, got 1.5",
        ),
        (
            json!({"model": "m", "timeoutSeconds": -1}),
            "timeoutSeconds must be a non-negative number no larger than 9007199254740.99, got -1",
        ),
        (
            json!({"model": "m", "baseURL": "localhost:8080"}),
            "baseURL must start with http:// or https://, got \"localhost:8080\"",
        ),
    ];
    for (opts, expected) in cases {
        let error = profile_options(&opts)
            .and_then(engine_from_config)
            .err()
            .unwrap_or_else(|| panic!("{opts} accepted"));
        assert_eq!(error.to_string(), expected, "options {opts}");
    }
}

#[test]
fn flat_profile_parses_every_option() {
    let parsed = options(&json!({
        "apiType": "Claude",
        "model": "claude-sonnet-4-5",
        "apiKey": "sk-ant-x",
        "baseURL": "https://proxy.example.com/v1/",
        "temperature": 0.7,
        "topP": 0.95,
        "maxTokens": 300,
        "timeoutSeconds": 10,
    }));
    let config = ProviderConfig::resolve(parsed, &bare_env()).unwrap();
    assert_eq!(config.api_type, ApiType::Claude);
    assert_eq!(config.model, "claude-sonnet-4-5");
    assert_eq!(config.api_key.as_ref().unwrap().expose(), "sk-ant-x");
    assert_eq!(config.base_url, "https://proxy.example.com/v1");
    assert_eq!(config.temperature, Some(0.7));
    assert_eq!(config.top_p, Some(0.95));
    assert_eq!(config.max_tokens, Some(300));
    assert_eq!(config.timeout, Some(Duration::from_secs(10)));

    let parsed = options(&json!({"model": "m", "timeoutMs": 1500, "timeoutSeconds": 9}));
    assert_eq!(parsed.timeout, Some(Duration::from_millis(1500)));
    let parsed = options(&json!({"model": "m", "provider": "anthropic"}));
    assert_eq!(parsed.api_type, Some(ApiType::Claude));
}

#[test]
fn engine_names() {
    let engine = engine_from_config(options(
        &json!({"apiType": "openai", "model": "gpt-4o-mini"}),
    ))
    .unwrap();
    assert_eq!(engine.name(), "config");
    let engine =
        engine_from_profile(Some("fast"), EngineOptions::default(), &env_with_profiles()).unwrap();
    assert_eq!(engine.name(), "profile:fast");
    let engine = engine_from_profile(None, EngineOptions::default(), &bare_env()).unwrap();
    assert_eq!(engine.name(), "profile:4o-mini");
}

#[test]
fn creating_engines_never_touches_the_network() {
    // Port 9 (discard) on a reserved documentation address: a request would fail or hang;
    // creation must do neither.
    for provider in ["openai", "openai-responses", "claude", "gemini"] {
        let engine = engine_from_config(options(&json!({
            "apiType": provider,
            "model": "m",
            "baseURL": "http://192.0.2.1:9/v1",
            "timeoutMs": 1,
        })))
        .unwrap();
        assert_eq!(engine.name(), "config");
    }
}

#[test]
fn profile_precedence() {
    let env = env_with_profiles().with("PINOCCHIO_PROFILE", "sonnet");
    assert_eq!(
        resolve(Some("fast"), Some(json!({"profile": "local"})), &env).0,
        "fast"
    );
    assert_eq!(
        resolve(None, Some(json!({"profile": "local"})), &env).0,
        "local"
    );
    assert_eq!(resolve(Some("  "), Some(json!({})), &env).0, "sonnet");
    assert_eq!(resolve(None, None, &env_with_profiles()).0, "4o-mini");
}

#[test]
fn profiles_from_file_with_overrides() {
    let env = env_with_profiles();
    let (_, fast) = resolve(Some("fast"), None, &env);
    assert_eq!(fast.api_type, ApiType::OpenAi);
    assert_eq!(fast.model, "gpt-4o-mini");
    assert_eq!(fast.temperature, Some(0.3));
    assert_eq!(fast.max_tokens, Some(512));
    assert_eq!(fast.base_url, "https://api.openai.com/v1");

    let (_, fast) = resolve(
        Some("fast"),
        Some(json!({"temperature": 0.9, "model": "gpt-4.1"})),
        &env,
    );
    assert_eq!(fast.temperature, Some(0.9));
    assert_eq!(fast.model, "gpt-4.1");
    assert_eq!(fast.max_tokens, Some(512));

    let (_, local) = resolve(Some("local"), None, &env);
    assert_eq!(local.base_url, "http://127.0.0.1:8080/v1");
    assert_eq!(local.timeout, Some(Duration::from_secs(120)));
    assert!(local.api_key.is_none());

    let (_, sonnet) = resolve(Some("sonnet"), None, &env);
    assert_eq!(sonnet.api_type, ApiType::Claude, "inferred from the model");
    assert_eq!(sonnet.api_key.unwrap().expose(), "sk-ant-from-profile");

    let (_, layered) = resolve(Some("pinocchio-style"), None, &env);
    assert_eq!(layered.api_type, ApiType::Claude);
    assert_eq!(layered.model, "claude-3-5-haiku-latest");
    assert_eq!(layered.max_tokens, Some(2048));
    assert_eq!(layered.api_key.unwrap().expose(), "sk-ant-layered");

    let (_, default) = resolve(None, None, &env);
    assert_eq!(default.model, "gpt-4o-mini");
    assert_eq!(default.base_url, "https://proxy.example.com/v1");

    let resolved = resolve_profile(Some("fast"), EngineOptions::default(), &env).unwrap();
    assert_eq!(
        resolved.source,
        Some(PathBuf::from(fixture("profiles.yaml")))
    );
    let resolved = resolve_profile(Some("gpt-4.1-nano"), EngineOptions::default(), &env).unwrap();
    assert_eq!(resolved.source, None);
}

#[test]
fn unknown_profile_is_a_model_name_with_inferred_provider() {
    for (model, provider) in [
        ("gemini-2.5-flash", ApiType::Gemini),
        ("models/gemini-2.0-pro", ApiType::Gemini),
        ("claude-3-7-sonnet", ApiType::Claude),
        ("anthropic/claude-opus", ApiType::Claude),
        ("o1-mini", ApiType::OpenAiResponses),
        ("o3", ApiType::OpenAiResponses),
        ("o4-mini", ApiType::OpenAiResponses),
        ("gpt-5-nano", ApiType::OpenAiResponses),
        ("gpt-4o", ApiType::OpenAi),
        ("4o-mini", ApiType::OpenAi),
        ("llama3.1:8b", ApiType::OpenAi),
    ] {
        let (name, config) = resolve(Some(model), None, &bare_env());
        assert_eq!(name, model);
        assert_eq!(config.model, model);
        assert_eq!(config.api_type, provider, "model {model}");
    }
    let (_, config) = resolve(
        Some("gpt-4o"),
        Some(json!({"apiType": "gemini"})),
        &bare_env(),
    );
    assert_eq!(config.api_type, ApiType::Gemini, "explicit apiType wins");
}

#[test]
fn api_keys_from_opts_profile_or_env() {
    let env = Env::new()
        .with("OPENAI_API_KEY", "sk-env-openai")
        .with("ANTHROPIC_API_KEY", "sk-env-anthropic")
        .with("GOOGLE_API_KEY", "google-env");
    let key = |profile: &str, opts: Option<Value>, env: &Env| {
        resolve(Some(profile), opts, env)
            .1
            .api_key
            .map(|key| key.expose().to_string())
    };
    assert_eq!(key("gpt-4o", None, &env).as_deref(), Some("sk-env-openai"));
    assert_eq!(key("o3", None, &env).as_deref(), Some("sk-env-openai"));
    assert_eq!(
        key("claude-x", None, &env).as_deref(),
        Some("sk-env-anthropic")
    );
    assert_eq!(key("gemini-x", None, &env).as_deref(), Some("google-env"));
    let env = env.with("GEMINI_API_KEY", "gemini-env");
    assert_eq!(key("gemini-x", None, &env).as_deref(), Some("gemini-env"));
    assert_eq!(
        key("gemini-x", Some(json!({"apiKey": "from-opts"})), &env).as_deref(),
        Some("from-opts")
    );
    assert_eq!(key("gpt-4o", None, &bare_env()), None);
    // A profile's own key beats the environment.
    let env = env_with_profiles().with("ANTHROPIC_API_KEY", "sk-env-anthropic");
    assert_eq!(
        key("sonnet", None, &env).as_deref(),
        Some("sk-ant-from-profile")
    );
    // fromConfig: the environment is consulted only through engine_from_config_with_env.
    assert!(engine_from_config_with_env(options(&json!({"model": "gpt-4o"})), &env).is_ok());
}

#[test]
fn profiles_file_errors_and_default_location() {
    // Resolving `fast` with the profiles file `name` (a fixture) fails.
    let file_error = |name: &str| {
        resolve_profile(
            Some("fast"),
            EngineOptions::default(),
            &Env::new().with("GEPPETTO_PROFILES", fixture(name)),
        )
        .unwrap_err()
        .to_string()
    };
    let error = file_error("malformed.yaml");
    assert!(error.starts_with("malformed profiles file "), "{error}");
    assert!(error.contains("malformed.yaml"), "{error}");

    let error = file_error("missing.yaml");
    assert!(error.starts_with("cannot read profiles file "), "{error}");

    // The default location ($XDG_CONFIG_HOME, else $HOME/.config) may simply not exist.
    let env = Env::new().with("HOME", "/nonexistent-home-for-test");
    assert_eq!(resolve(Some("fast"), None, &env).1.model, "fast");
    assert_eq!(
        geppetto::providers::profiles::profiles_file_path(&env),
        Some(PathBuf::from(
            "/nonexistent-home-for-test/.config/pinocchio/profiles.yaml"
        ))
    );
    let env = env.with("XDG_CONFIG_HOME", "/xdg");
    assert_eq!(
        geppetto::providers::profiles::profiles_file_path(&env),
        Some(PathBuf::from("/xdg/pinocchio/profiles.yaml"))
    );
}

#[test]
fn keys_never_show_in_debug_output() {
    let env = Env::new().with("OPENAI_API_KEY", "sk-debug-SECRET");
    let resolved = resolve_profile(Some("gpt-4o"), EngineOptions::default(), &env).unwrap();
    let engine =
        geppetto::providers::ProviderEngine::new("config", resolved.config.clone()).unwrap();
    let text = format!(
        "{env:?} {resolved:?} {engine:?} {:?}",
        resolved.config.api_key
    );
    assert!(!text.contains("SECRET"), "{text}");
    assert!(text.contains("<redacted>"), "{text}");
}
