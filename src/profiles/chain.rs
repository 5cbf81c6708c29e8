//! A loaded [`ProfileRegistry`]: the registries of all sources, in precedence order, and how a
//! profile resolves (which registry, which profile, its stack, the merge).

use std::collections::HashSet;

use serde_json::{Map, Value};

use super::ProfileError;
use super::document::{Profile, Registry, SlugKind, normalize_slug};
use super::load::load_source;
use super::settings::{InferenceSettings, LineageEntry, Provenance, merge_layer};
use super::source::RegistrySource;

/// Deepest stack chain accepted.
pub const MAX_STACK_DEPTH: usize = 32;

/// The registries of a source list. The **last** source has the highest precedence; the top
/// registry is the first registry of the last source.
#[derive(Debug, Clone, PartialEq)]
pub struct ProfileRegistry {
    sources: Vec<String>,
    /// Top first.
    registries: Vec<Registry>,
    base: Option<Map<String, Value>>,
}

/// Which profile to resolve; slugs are normalized when resolving.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResolveInput {
    /// Registry slug.
    pub registry: Option<String>,
    /// Profile slug.
    pub profile: Option<String>,
}

/// One line of `listRegistries()`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistrySummary {
    /// Slug.
    pub slug: String,
    /// `display_name`.
    pub display_name: Option<String>,
    /// The profile resolved when only the registry is named.
    pub default_profile_slug: Option<String>,
    /// Number of profiles.
    pub profile_count: usize,
}

impl Registry {
    /// `default` if present, else the alphabetically first profile.
    pub fn default_profile(&self) -> Option<&Profile> {
        self.profiles
            .get("default")
            .or_else(|| self.profiles.values().next())
    }
}

impl ProfileRegistry {
    /// Loads every source entry (as given; see [`super::RegistrySource`]). An unreadable source
    /// fails naming it; a registry slug defined by two sources fails with
    /// `duplicate registry slug "<s>" across profile registry sources`.
    pub fn load(sources: &[String]) -> Result<ProfileRegistry, ProfileError> {
        if sources.is_empty() {
            return Err(ProfileError::Sources(
                "profile registry sources must not be empty".into(),
            ));
        }
        // Every entry is classified before any is read (as Go does): a malformed entry fails
        // before an unreadable one.
        let classified = sources
            .iter()
            .map(|entry| RegistrySource::parse(entry))
            .collect::<Result<Vec<_>, _>>()?;
        let mut loaded = Vec::new();
        for (entry, source) in sources.iter().zip(classified) {
            loaded.push(load_source(entry, source)?);
        }
        ProfileRegistry::from_registries(sources.to_vec(), loaded)
    }

    /// A chain from registries already loaded, one list per source, sources in the order given
    /// (the last has the highest precedence).
    pub fn from_registries(
        sources: Vec<String>,
        per_source: Vec<Vec<Registry>>,
    ) -> Result<ProfileRegistry, ProfileError> {
        let mut seen = HashSet::new();
        let mut registries = Vec::new();
        for group in per_source.into_iter().rev() {
            for registry in group {
                if !seen.insert(registry.slug.clone()) {
                    return Err(ProfileError::DuplicateRegistry(registry.slug));
                }
                registries.push(registry);
            }
        }
        Ok(ProfileRegistry {
            sources,
            registries,
            base: None,
        })
    }

    /// This chain with `base` settings that every resolved profile is merged over.
    pub fn with_base_settings(mut self, base: Map<String, Value>) -> ProfileRegistry {
        self.base = Some(base);
        self
    }

    /// The source entries, as given.
    pub fn sources(&self) -> &[String] {
        &self.sources
    }

    /// The registry with that (normalized) slug.
    pub fn registry(&self, slug: &str) -> Option<&Registry> {
        self.registries.iter().find(|r| r.slug == slug)
    }

    /// The first registry of the last source.
    pub fn top_registry(&self) -> Option<&Registry> {
        self.registries.first()
    }

    /// Every registry, sorted by slug.
    pub fn list_registries(&self) -> Vec<RegistrySummary> {
        let mut out: Vec<RegistrySummary> = self
            .registries
            .iter()
            .map(|r| RegistrySummary {
                slug: r.slug.clone(),
                display_name: r.display_name.clone(),
                default_profile_slug: r.default_profile().map(|p| p.slug.clone()),
                profile_count: r.profiles.len(),
            })
            .collect();
        out.sort_by(|a, b| a.slug.cmp(&b.slug));
        out
    }

    /// The profiles of `registry` (default: the top registry), sorted by slug.
    pub fn list_profiles(&self, registry: Option<&str>) -> Result<Vec<&Profile>, ProfileError> {
        let registry = match registry {
            Some(slug) => {
                let slug = normalize_slug(slug, SlugKind::Registry)?;
                self.registry(&slug)
                    .ok_or(ProfileError::RegistryNotFound(slug))?
            }
            None => self.top_registry().ok_or(ProfileError::NoRegistries)?,
        };
        Ok(registry.profiles.values().collect())
    }

    /// Resolves `input`: neither slug → the top registry's default profile; only a profile → the
    /// first registry, top first, that has it; only a registry → its default profile. The stack
    /// is expanded depth-first (bases first, each profile once) and merged base to leaf over the
    /// base settings.
    pub fn resolve(&self, input: &ResolveInput) -> Result<InferenceSettings, ProfileError> {
        let registry_slug = input
            .registry
            .as_deref()
            .map(|s| normalize_slug(s, SlugKind::Registry))
            .transpose()?;
        let profile_slug = input
            .profile
            .as_deref()
            .map(|s| normalize_slug(s, SlugKind::Profile))
            .transpose()?;
        let (registry, profile) = match (registry_slug, profile_slug) {
            (Some(registry), profile) => {
                let registry = self
                    .registry(&registry)
                    .ok_or(ProfileError::RegistryNotFound(registry))?;
                let profile = match profile {
                    Some(slug) => registry
                        .profiles
                        .get(&slug)
                        .ok_or(ProfileError::ProfileNotFound(slug))?,
                    None => registry
                        .default_profile()
                        .ok_or_else(|| ProfileError::ProfileNotFound("default".into()))?,
                };
                (registry, profile)
            }
            (None, Some(slug)) => self
                .registries
                .iter()
                .find_map(|r| r.profiles.get(&slug).map(|p| (r, p)))
                .ok_or(ProfileError::ProfileNotFound(slug))?,
            (None, None) => {
                let registry = self.top_registry().ok_or(ProfileError::NoRegistries)?;
                let profile = registry
                    .default_profile()
                    .ok_or_else(|| ProfileError::ProfileNotFound("default".into()))?;
                (registry, profile)
            }
        };
        let mut layers = Vec::new();
        let mut path = vec![(registry.slug.clone(), profile.slug.clone())];
        let mut done = HashSet::new();
        self.expand(registry, profile, &mut path, &mut done, &mut layers)?;
        let mut values = self.base.clone().unwrap_or_default();
        let mut lineage = Vec::new();
        for (registry, profile) in layers {
            if let Some(settings) = &profile.inference_settings {
                merge_layer(&mut values, settings);
            }
            lineage.push(LineageEntry {
                registry_slug: registry.slug.clone(),
                profile_slug: profile.slug.clone(),
                version: profile.version(),
                source: profile.source().map(str::to_string),
            });
        }
        Ok(InferenceSettings::new(
            values,
            Provenance {
                registry_slug: registry.slug.clone(),
                profile_slug: profile.slug.clone(),
                stack_lineage: lineage,
                sources: self.sources.clone(),
            },
        ))
    }

    fn expand<'a>(
        &'a self,
        registry: &'a Registry,
        profile: &'a Profile,
        path: &mut Vec<(String, String)>,
        done: &mut HashSet<(String, String)>,
        out: &mut Vec<(&'a Registry, &'a Profile)>,
    ) -> Result<(), ProfileError> {
        for (index, entry) in profile.stack.iter().enumerate() {
            let field = format!("registry.profiles[{}].stack[{index}]", profile.slug);
            let target_registry_slug = entry.registry_slug.as_deref().unwrap_or(&registry.slug);
            let target = (target_registry_slug.to_string(), entry.profile_slug.clone());
            let describe = |path: &[(String, String)]| {
                path.iter()
                    .chain(std::iter::once(&target))
                    .map(|(r, p)| format!("{r}/{p}"))
                    .collect::<Vec<_>>()
                    .join(" -> ")
            };
            if path.contains(&target) {
                return Err(ProfileError::validation(
                    field,
                    format!("stack cycle detected: {}", describe(path)),
                ));
            }
            let Some(base_registry) = self.registry(target_registry_slug) else {
                return Err(ProfileError::validation(
                    field,
                    format!("referenced registry \"{target_registry_slug}\" not found"),
                ));
            };
            let Some(base_profile) = base_registry.profiles.get(&entry.profile_slug) else {
                return Err(ProfileError::validation(
                    field,
                    format!(
                        "referenced profile \"{}\" not found in registry \"{target_registry_slug}\"",
                        entry.profile_slug
                    ),
                ));
            };
            if path.len() >= MAX_STACK_DEPTH {
                return Err(ProfileError::validation(
                    field,
                    format!(
                        "stack depth exceeds max_depth={MAX_STACK_DEPTH} while traversing {}",
                        describe(path)
                    ),
                ));
            }
            path.push(target);
            self.expand(base_registry, base_profile, path, done, out)?;
            path.pop();
        }
        if done.insert((registry.slug.clone(), profile.slug.clone())) {
            out.push((registry, profile));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profiles::document::decode_registry;
    use serde_json::json;

    fn chain(documents: &[Value]) -> ProfileRegistry {
        let per_source = documents
            .iter()
            .enumerate()
            .map(|(i, d)| vec![decode_registry(d, &format!("s{i}.yaml")).unwrap()])
            .collect();
        let sources = (0..documents.len()).map(|i| format!("s{i}.yaml")).collect();
        ProfileRegistry::from_registries(sources, per_source).unwrap()
    }

    fn resolve(
        chain: &ProfileRegistry,
        registry: Option<&str>,
        profile: Option<&str>,
    ) -> Result<InferenceSettings, String> {
        chain
            .resolve(&ResolveInput {
                registry: registry.map(str::to_string),
                profile: profile.map(str::to_string),
            })
            .map_err(|e| e.to_string())
    }

    #[test]
    fn precedence_default_profiles_and_diamond_stacks() {
        let base = json!({"slug": "base", "profiles": {
            "a": {"inference_settings": {"chat": {"engine": "a", "temperature": 0.1}}},
            "b": {"stack": [{"profile_slug": "a"}], "inference_settings": {"chat": {"engine": "b"}}},
            "c": {"stack": [{"profile_slug": "a"}], "inference_settings": {"chat": {"top_p": 0.5}}},
        }});
        let top = json!({"slug": "top", "profiles": {
            "zeta": {},
            "d": {"stack": [{"registry_slug": "base", "profile_slug": "b"}, {"registry_slug": "base", "profile_slug": "c"}],
                  "inference_settings": {"chat": {"temperature": 0.9}}},
            "a": {"inference_settings": {"chat": {"engine": "top-a"}}},
        }});
        let chain = chain(&[base, top]);
        let settings = resolve(&chain, None, Some("d")).unwrap();
        assert_eq!(
            settings.values()["chat"],
            json!({"engine": "b", "temperature": 0.9, "top_p": 0.5})
        );
        let lineage: Vec<String> = settings
            .provenance()
            .stack_lineage
            .iter()
            .map(|e| format!("{}/{}", e.registry_slug, e.profile_slug))
            .collect();
        assert_eq!(lineage, ["base/a", "base/b", "base/c", "top/d"]);
        // Only a profile: the top registry that has it wins.
        assert_eq!(
            resolve(&chain, None, Some("A")).unwrap().values()["chat"]["engine"],
            "top-a"
        );
        // Nothing: the top registry's default (alphabetically first without `default`).
        assert_eq!(
            resolve(&chain, None, None)
                .unwrap()
                .provenance()
                .profile_slug,
            "a"
        );
        assert_eq!(
            resolve(&chain, Some("base"), None)
                .unwrap()
                .provenance()
                .profile_slug,
            "a"
        );
        assert_eq!(
            resolve(&chain, Some("nope"), None).unwrap_err(),
            "registry not found: nope"
        );
        assert_eq!(
            resolve(&chain, None, Some("nope")).unwrap_err(),
            "profile not found: nope"
        );
    }

    #[test]
    fn stack_errors_name_the_field() {
        let chain = chain(&[json!({"slug": "r", "profiles": {
            "a": {"stack": [{"profile_slug": "b"}]},
            "b": {"stack": [{"profile_slug": "a"}]},
            "m": {"stack": [{"profile_slug": "missing"}]},
            "n": {"stack": [{"registry_slug": "other", "profile_slug": "a"}]},
        }})]);
        assert_eq!(
            resolve(&chain, None, Some("a")).unwrap_err(),
            "validation error (registry.profiles[b].stack[0]): stack cycle detected: r/a -> r/b -> r/a"
        );
        assert_eq!(
            resolve(&chain, None, Some("m")).unwrap_err(),
            "validation error (registry.profiles[m].stack[0]): referenced profile \"missing\" not found in registry \"r\""
        );
        assert_eq!(
            resolve(&chain, None, Some("n")).unwrap_err(),
            "validation error (registry.profiles[n].stack[0]): referenced registry \"other\" not found"
        );
    }

    #[test]
    fn deep_stacks_are_refused() {
        let mut profiles = Map::new();
        for i in 0..40 {
            let stack = if i + 1 < 40 {
                json!([{"profile_slug": format!("p{}", i + 1)}])
            } else {
                json!([])
            };
            profiles.insert(format!("p{i}"), json!({"stack": stack}));
        }
        let chain = chain(&[json!({"slug": "r", "profiles": profiles})]);
        let error = resolve(&chain, None, Some("p0")).unwrap_err();
        assert!(
            error.contains("stack depth exceeds max_depth=32 while traversing r/p0 -> r/p1"),
            "{error}"
        );
        assert!(resolve(&chain, None, Some("p10")).is_ok());
    }

    #[test]
    fn duplicate_registries_are_refused() {
        let document = json!({"slug": "same", "profiles": {}});
        let a = decode_registry(&document, "a.yaml").unwrap();
        let error = ProfileRegistry::from_registries(
            vec!["a".into(), "b".into()],
            vec![vec![a.clone()], vec![a]],
        )
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            "duplicate registry slug \"same\" across profile registry sources"
        );
    }

    #[test]
    fn base_settings_are_merged_under_every_profile() {
        let chain = chain(&[json!({"slug": "r", "profiles": {"a": {"inference_settings": {"chat": {"engine": "x"}}}}})])
            .with_base_settings(json!({"chat": {"engine": "base", "temperature": 0.3}}).as_object().cloned().unwrap());
        assert_eq!(
            resolve(&chain, None, None).unwrap().values()["chat"],
            json!({"engine": "x", "temperature": 0.3})
        );
    }
}
