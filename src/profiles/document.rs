//! One registry document (the YAML shape, also the JSON of an SQLite row) decoded and validated.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::ProfileError;

/// A registry: named profiles under a slug.
#[derive(Debug, Clone, PartialEq)]
pub struct Registry {
    /// The registry slug (normalized).
    pub slug: String,
    /// `display_name`.
    pub display_name: Option<String>,
    /// `description`.
    pub description: Option<String>,
    /// `metadata` (empty when absent).
    pub metadata: Map<String, Value>,
    /// The profiles by slug.
    pub profiles: BTreeMap<String, Profile>,
    /// The source entry the registry was loaded from, as given.
    pub source: String,
}

/// A profile: settings plus the base profiles stacked under them.
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    /// The profile slug (normalized).
    pub slug: String,
    /// `display_name`.
    pub display_name: Option<String>,
    /// `description`.
    pub description: Option<String>,
    /// Base layers, applied first, in order.
    pub stack: Vec<StackRef>,
    /// `inference_settings` in YAML shape (snake_case sections).
    pub inference_settings: Option<Map<String, Value>>,
    /// `metadata` (empty when absent); `version` and `source` feed provenance.
    pub metadata: Map<String, Value>,
    /// `extensions`.
    pub extensions: Option<Map<String, Value>>,
}

impl Profile {
    /// `metadata.version` when it is a positive integer.
    pub fn version(&self) -> Option<u64> {
        self.metadata
            .get("version")
            .and_then(Value::as_u64)
            .filter(|v| *v > 0)
    }

    /// `metadata.source` when it is a non-empty string.
    pub fn source(&self) -> Option<&str> {
        self.metadata
            .get("source")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    }
}

/// One entry of a profile's `stack`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackRef {
    /// `registry_slug`; `None`: the profile's own registry.
    pub registry_slug: Option<String>,
    /// `profile_slug`.
    pub profile_slug: String,
}

/// Which kind of slug is checked (names the error).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlugKind {
    /// A profile slug.
    Profile,
    /// A registry slug.
    Registry,
}

/// Trims and lowercases `raw` and checks it against `^[a-z0-9](?:[a-z0-9._-]{0,126}[a-z0-9])?$`:
/// `profile slug cannot be empty`, `profile slug "<x>" is invalid` (`registry slug …` likewise).
pub fn normalize_slug(raw: &str, kind: SlugKind) -> Result<String, ProfileError> {
    let noun = match kind {
        SlugKind::Profile => "profile",
        SlugKind::Registry => "registry",
    };
    let slug = raw.trim().to_lowercase();
    if slug.is_empty() {
        return Err(ProfileError::Slug(format!("{noun} slug cannot be empty")));
    }
    let edge = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
    let inner = |c: char| edge(c) || matches!(c, '.' | '_' | '-');
    let chars: Vec<char> = slug.chars().collect();
    let valid = chars.len() <= 128
        && edge(chars[0])
        && edge(chars[chars.len() - 1])
        && chars.iter().all(|c| inner(*c));
    if valid {
        Ok(slug)
    } else {
        Err(ProfileError::Slug(format!(
            "{noun} slug \"{raw}\" is invalid"
        )))
    }
}

const SINGLE_DOCUMENT: &str = "engine profile YAML must define a single registry document";

/// Decodes a registry document loaded from `source`.
pub fn decode_registry(document: &Value, source: &str) -> Result<Registry, ProfileError> {
    let Some(map) = document.as_object() else {
        return Err(ProfileError::validation(
            "registry",
            format!("{SINGLE_DOCUMENT} (expected a mapping)"),
        ));
    };
    if map.contains_key("registries") {
        return Err(ProfileError::validation(
            "registries",
            format!("{SINGLE_DOCUMENT} (top-level registries is not supported)"),
        ));
    }
    if map.contains_key("default_profile_slug") {
        return Err(ProfileError::validation(
            "default_profile_slug",
            "engine profile YAML does not support default_profile_slug; use profile slug \"default\"",
        ));
    }
    if !map.contains_key("slug") && !map.contains_key("profiles") {
        return Err(ProfileError::validation(
            "registry",
            format!("{SINGLE_DOCUMENT} (legacy profile-map format is not supported)"),
        ));
    }
    let slug = match map.get("slug") {
        None | Some(Value::Null) => {
            return Err(ProfileError::validation(
                "registry.slug",
                "must be set for engine profile YAML sources",
            ));
        }
        Some(Value::String(slug)) => normalize_slug(slug, SlugKind::Registry)
            .map_err(|e| ProfileError::validation("registry.slug", e.to_string()))?,
        Some(_) => {
            return Err(ProfileError::validation(
                "registry.slug",
                "must be a string",
            ));
        }
    };
    let mut profiles = BTreeMap::new();
    match map.get("profiles") {
        None | Some(Value::Null) => {}
        Some(Value::Object(entries)) => {
            for (key, value) in entries {
                let profile = decode_profile(key, value)?;
                if profiles.contains_key(&profile.slug) {
                    return Err(ProfileError::validation(
                        format!("registry.profiles[{key}]"),
                        format!("duplicate profile slug \"{}\"", profile.slug),
                    ));
                }
                profiles.insert(profile.slug.clone(), profile);
            }
        }
        Some(_) => {
            return Err(ProfileError::validation(
                "registry.profiles",
                "must be a mapping from profile slug to profile",
            ));
        }
    }
    Ok(Registry {
        slug,
        display_name: text(map, "display_name", "registry.display_name")?,
        description: text(map, "description", "registry.description")?,
        metadata: object(map, "metadata", "registry.metadata")?.unwrap_or_default(),
        profiles,
        source: source.to_string(),
    })
}

fn decode_profile(key: &str, value: &Value) -> Result<Profile, ProfileError> {
    let field = format!("registry.profiles[{key}]");
    let empty = Map::new();
    let map = match value {
        Value::Object(map) => map,
        Value::Null => &empty,
        _ => return Err(ProfileError::validation(field, "profile must be a mapping")),
    };
    let raw_slug = match map.get("slug") {
        Some(Value::String(slug)) if !slug.trim().is_empty() => slug.as_str(),
        _ => key,
    };
    let slug = normalize_slug(raw_slug, SlugKind::Profile)
        .map_err(|e| ProfileError::validation(format!("{field}.slug"), e.to_string()))?;
    let field = format!("registry.profiles[{slug}]");
    let stack = match map.get("stack") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(index, item)| decode_stack_ref(item, &format!("{field}.stack[{index}]")))
            .collect::<Result<_, _>>()?,
        Some(_) => {
            return Err(ProfileError::validation(
                format!("{field}.stack"),
                "must be a list",
            ));
        }
    };
    Ok(Profile {
        display_name: text(map, "display_name", &format!("{field}.display_name"))?,
        description: text(map, "description", &format!("{field}.description"))?,
        stack,
        inference_settings: object(
            map,
            "inference_settings",
            &format!("{field}.inference_settings"),
        )?,
        metadata: object(map, "metadata", &format!("{field}.metadata"))?.unwrap_or_default(),
        extensions: object(map, "extensions", &format!("{field}.extensions"))?,
        slug,
    })
}

fn decode_stack_ref(item: &Value, field: &str) -> Result<StackRef, ProfileError> {
    let Some(map) = item.as_object() else {
        return Err(ProfileError::validation(
            field,
            "stack entry must be a mapping with profile_slug",
        ));
    };
    let profile = match map.get("profile_slug") {
        Some(Value::String(slug)) => slug,
        _ => {
            return Err(ProfileError::validation(
                format!("{field}.profile_slug"),
                "must be set",
            ));
        }
    };
    let profile_slug = normalize_slug(profile, SlugKind::Profile)
        .map_err(|e| ProfileError::validation(format!("{field}.profile_slug"), e.to_string()))?;
    let registry_slug = match map.get("registry_slug") {
        None | Some(Value::Null) => None,
        Some(Value::String(slug)) if slug.trim().is_empty() => None,
        Some(Value::String(slug)) => {
            Some(normalize_slug(slug, SlugKind::Registry).map_err(|e| {
                ProfileError::validation(format!("{field}.registry_slug"), e.to_string())
            })?)
        }
        Some(_) => {
            return Err(ProfileError::validation(
                format!("{field}.registry_slug"),
                "must be a string",
            ));
        }
    };
    Ok(StackRef {
        registry_slug,
        profile_slug,
    })
}

fn text(map: &Map<String, Value>, key: &str, field: &str) -> Result<Option<String>, ProfileError> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text.clone())),
        Some(_) => Err(ProfileError::validation(field, "must be a string")),
    }
}

fn object(
    map: &Map<String, Value>,
    key: &str,
    field: &str,
) -> Result<Option<Map<String, Value>>, ProfileError> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(object)) => Ok(Some(object.clone())),
        Some(_) => Err(ProfileError::validation(field, "must be a mapping")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn slugs_are_normalized_and_checked() {
        assert_eq!(
            normalize_slug(" Team-A ", SlugKind::Profile).unwrap(),
            "team-a"
        );
        assert_eq!(
            normalize_slug("", SlugKind::Profile)
                .unwrap_err()
                .to_string(),
            "profile slug cannot be empty"
        );
        assert_eq!(
            normalize_slug("-x", SlugKind::Registry)
                .unwrap_err()
                .to_string(),
            "registry slug \"-x\" is invalid"
        );
        assert_eq!(
            normalize_slug(&"a".repeat(129), SlugKind::Profile)
                .unwrap_err()
                .to_string(),
            format!("profile slug \"{}\" is invalid", "a".repeat(129))
        );
        assert!(normalize_slug("a.b_c-1", SlugKind::Profile).is_ok());
    }

    #[test]
    fn rejected_documents_have_the_contract_texts() {
        let cases = [
            (
                json!({"registries": []}),
                "validation error (registries): engine profile YAML must define a single registry document (top-level registries is not supported)",
            ),
            (
                json!({"slug": "a", "default_profile_slug": "x"}),
                "validation error (default_profile_slug): engine profile YAML does not support default_profile_slug; use profile slug \"default\"",
            ),
            (
                json!({"assistant": {"chat": {}}}),
                "validation error (registry): engine profile YAML must define a single registry document (legacy profile-map format is not supported)",
            ),
            (
                json!({"profiles": {}}),
                "validation error (registry.slug): must be set for engine profile YAML sources",
            ),
        ];
        for (document, expected) in cases {
            assert_eq!(
                decode_registry(&document, "x.yaml")
                    .unwrap_err()
                    .to_string(),
                expected
            );
        }
    }

    #[test]
    fn profile_slug_field_wins_over_the_key() {
        let registry = decode_registry(
            &json!({"slug": "r", "profiles": {"key": {"slug": "Own", "stack": [{"profile_slug": "base"}]}}}),
            "x.yaml",
        )
        .unwrap();
        let profile = &registry.profiles["own"];
        assert_eq!(
            profile.stack,
            [StackRef {
                registry_slug: None,
                profile_slug: "base".into()
            }]
        );
    }
}
