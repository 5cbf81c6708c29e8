//! The profile registry source list: a comma-separated string or a list of entries, each a YAML
//! file, an SQLite file or an SQLite URI.

use std::path::{Path, PathBuf};

use super::ProfileError;

/// One source of registries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegistrySource {
    /// A YAML file holding one registry (`yaml:P`, `yaml://P`, or a path that is not SQLite).
    Yaml(PathBuf),
    /// An SQLite database file (`sqlite:P`, a `.db`/`.sqlite`/`.sqlite3` path, or a file starting
    /// with `SQLite format 3`).
    Sqlite(PathBuf),
    /// An SQLite URI filename (`sqlite-dsn:DSN`).
    SqliteDsn(String),
}

impl RegistrySource {
    /// Classifies one entry. A plain path is SQLite by extension or by the file's header (read
    /// when the file exists), anything else YAML. Relative paths stay relative (to the working
    /// directory). A prefix without a path fails with Go's texts (`yaml profile registry source
    /// path is empty`, `sqlite profile registry source path is empty`, `sqlite-dsn profile
    /// registry source is empty`).
    pub fn parse(entry: &str) -> Result<RegistrySource, ProfileError> {
        let prefixed = [
            ("yaml://", "yaml profile registry source path is empty"),
            ("yaml:", "yaml profile registry source path is empty"),
            ("sqlite-dsn:", "sqlite-dsn profile registry source is empty"),
            ("sqlite:", "sqlite profile registry source path is empty"),
        ];
        for (prefix, empty) in prefixed {
            let Some(rest) = entry.strip_prefix(prefix) else {
                continue;
            };
            let rest = rest.trim();
            if rest.is_empty() {
                return Err(ProfileError::Sources(empty.into()));
            }
            return Ok(match prefix {
                "sqlite-dsn:" => RegistrySource::SqliteDsn(rest.to_string()),
                "sqlite:" => RegistrySource::Sqlite(PathBuf::from(rest)),
                _ => RegistrySource::Yaml(PathBuf::from(rest)),
            });
        }
        let path = PathBuf::from(entry);
        Ok(if has_sqlite_extension(&path) || has_sqlite_header(&path) {
            RegistrySource::Sqlite(path)
        } else {
            RegistrySource::Yaml(path)
        })
    }
}

fn has_sqlite_extension(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("db" | "sqlite" | "sqlite3")
    )
}

fn has_sqlite_header(path: &Path) -> bool {
    use std::io::Read;
    let mut header = [0u8; 15];
    std::fs::File::open(path)
        .and_then(|mut file| file.read_exact(&mut header))
        .map(|()| &header == b"SQLite format 3")
        .unwrap_or(false)
}

/// Splits a comma-separated source string into trimmed entries. An empty entry fails with
/// `profile registry source entry <i> is empty`; no entries with
/// `profile registry sources must not be empty`.
pub fn parse_sources(text: &str) -> Result<Vec<String>, ProfileError> {
    if text.trim().is_empty() {
        return Err(ProfileError::Sources(
            "profile registry sources must not be empty".into(),
        ));
    }
    text.split(',')
        .enumerate()
        .map(|(index, entry)| {
            let entry = entry.trim();
            if entry.is_empty() {
                Err(ProfileError::Sources(format!(
                    "profile registry source entry {index} is empty"
                )))
            } else {
                Ok(entry.to_string())
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_prefixed_entries_have_go_texts() {
        for (entry, text) in [
            ("yaml:", "yaml profile registry source path is empty"),
            ("yaml:// ", "yaml profile registry source path is empty"),
            ("sqlite:", "sqlite profile registry source path is empty"),
            ("sqlite-dsn:", "sqlite-dsn profile registry source is empty"),
        ] {
            assert_eq!(RegistrySource::parse(entry).unwrap_err().to_string(), text);
        }
    }

    #[test]
    fn entries_are_classified() {
        assert_eq!(
            RegistrySource::parse("yaml:a.db"),
            Ok(RegistrySource::Yaml("a.db".into()))
        );
        assert_eq!(
            RegistrySource::parse("yaml://x/y.yaml"),
            Ok(RegistrySource::Yaml("x/y.yaml".into()))
        );
        assert_eq!(
            RegistrySource::parse("sqlite:p.yaml"),
            Ok(RegistrySource::Sqlite("p.yaml".into()))
        );
        assert_eq!(
            RegistrySource::parse("sqlite-dsn:file:x?mode=ro"),
            Ok(RegistrySource::SqliteDsn("file:x?mode=ro".into()))
        );
        assert_eq!(
            RegistrySource::parse("p.sqlite3"),
            Ok(RegistrySource::Sqlite("p.sqlite3".into()))
        );
        assert_eq!(
            RegistrySource::parse("missing.yaml"),
            Ok(RegistrySource::Yaml("missing.yaml".into()))
        );
    }

    #[test]
    fn source_strings_are_split_and_checked() {
        assert_eq!(parse_sources(" a.yaml , b.db").unwrap(), ["a.yaml", "b.db"]);
        assert_eq!(
            parse_sources("a.yaml,,b").unwrap_err().to_string(),
            "profile registry source entry 1 is empty"
        );
        assert_eq!(
            parse_sources("  ").unwrap_err().to_string(),
            "profile registry sources must not be empty"
        );
    }
}
