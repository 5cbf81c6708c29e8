//! Built-in engines that need no provider: [`EchoEngine`].
//!
//! Provider engines (OpenAI, Anthropic, Gemini) live in `providers/`.

mod echo;

pub use echo::{DEFAULT_REPLY, EchoEngine};
