//! Built-in turn stores (the agent API's persistence): the SQLite store with Go's schema and
//! YAML payload layout.

pub(crate) mod payload;
pub mod sqlite;
pub(crate) mod yaml_v3;

pub use sqlite::{SqliteLocation, SqliteTurnStore};
