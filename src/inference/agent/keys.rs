//! Turn metadata keys in Go's canonical form: a well-known key (`consts.TurnMetadataKeys`) keeps
//! its short name, a key with a version (`@v`) is kept as given, any other key `k` is stored as
//! `geppetto.k@v1`.

use crate::generated::consts::{NAMESPACE, turn_metadata_keys};

/// The key `key` is stored under.
pub fn canonical_key(key: &str) -> String {
    if turn_metadata_keys::ALL.contains(&key) || key.contains("@v") {
        key.to_string()
    } else {
        format!("{NAMESPACE}.{key}@v1")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_keys() {
        for (key, expected) in [
            ("session_id", "session_id"),
            ("usage", "usage"),
            ("topic", "geppetto.topic@v1"),
            ("x.y@v2", "x.y@v2"),
            ("forkedFromSource", "geppetto.forkedFromSource@v1"),
        ] {
            assert_eq!(canonical_key(key), expected, "{key}");
        }
    }
}
