//! Reading one source: a YAML file (one registry) or the `profile_registries` table of an SQLite
//! database (one registry per row, `payload_json` in the YAML document's shape).

use std::path::Path;

use rusqlite::{Connection, OpenFlags};
use serde_json::Value;

use super::ProfileError;
use super::document::{Registry, decode_registry};
use super::source::RegistrySource;

/// The registries of `source` (classified from `entry`, the source as given), in the source's
/// order.
pub fn load_source(entry: &str, source: RegistrySource) -> Result<Vec<Registry>, ProfileError> {
    match source {
        RegistrySource::Yaml(path) => load_yaml(&path, entry).map(|registry| vec![registry]),
        RegistrySource::Sqlite(path) => {
            if !path.exists() {
                return Err(unreadable(entry, "no such file"));
            }
            let connection = Connection::open_with_flags(&path, OpenFlags::SQLITE_OPEN_READ_ONLY)
                .map_err(|e| unreadable(entry, e))?;
            load_sqlite(&connection, entry)
        }
        RegistrySource::SqliteDsn(dsn) => {
            let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_URI;
            let connection =
                Connection::open_with_flags(&dsn, flags).map_err(|e| unreadable(entry, e))?;
            load_sqlite(&connection, entry)
        }
    }
}

fn unreadable(entry: &str, reason: impl std::fmt::Display) -> ProfileError {
    ProfileError::Unreadable {
        entry: entry.to_string(),
        reason: reason.to_string(),
    }
}

fn load_yaml(path: &Path, entry: &str) -> Result<Registry, ProfileError> {
    let text = std::fs::read_to_string(path).map_err(|e| unreadable(entry, e))?;
    let document: Value = if text.trim().is_empty() {
        Value::Null
    } else {
        serde_norway::from_str(&text)
            .map_err(|e| unreadable(entry, format!("invalid YAML: {e}")))?
    };
    if document.is_null() {
        return Err(ProfileError::EmptyYaml(path.display().to_string()));
    }
    decode_registry(&document, entry)
}

/// The registries stored in `connection`'s `profile_registries` table, ordered by slug.
pub fn load_sqlite(connection: &Connection, entry: &str) -> Result<Vec<Registry>, ProfileError> {
    let mut statement = connection
        .prepare("SELECT slug, payload_json FROM profile_registries ORDER BY slug")
        .map_err(|e| unreadable(entry, e))?;
    let rows = statement
        .query_map([], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
        })
        .map_err(|e| unreadable(entry, e))?;
    let mut registries = Vec::new();
    for row in rows {
        let (slug, payload) = row.map_err(|e| unreadable(entry, e))?;
        let mut document: Value = serde_json::from_str(&payload).map_err(|e| {
            unreadable(
                entry,
                format!("registry \"{slug}\": invalid payload_json: {e}"),
            )
        })?;
        if let Some(map) = document.as_object_mut() {
            map.entry("slug").or_insert(Value::String(slug));
        }
        registries.push(decode_registry(&document, entry)?);
    }
    Ok(registries)
}
