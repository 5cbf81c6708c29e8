//! Shared by the generated-input tests (`hostile_input`, `soak`, `providers_fuzz`): environment
//! knobs, seeds, and a `geppetto run` child process watched with a time limit. The JS scripts they
//! run live next to this file.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The whole number in environment variable `name`, or `default` when it is not set.
pub fn env_number(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(text) => text
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{name} must be a whole number, got {text:?}")),
        Err(_) => default,
    }
}

/// The seed in environment variable `name`, else a fresh one from the clock (so every CI run
/// explores new inputs); 32 bits, as the JS PRNG takes. Print it for replay.
pub fn seed(name: &str) -> u64 {
    let fresh = || {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|elapsed| elapsed.subsec_nanos())
            .unwrap_or(0);
        u64::from(nanos ^ std::process::id())
    };
    let seed = match std::env::var(name) {
        Ok(_) => env_number(name, 0),
        Err(_) => fresh(),
    };
    seed & 0xffff_ffff
}

/// A script of this folder.
pub fn script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/generated_input")
        .join(name)
}

/// How a `geppetto run` child ended.
pub struct Outcome {
    /// `None` when it was killed at the time limit.
    pub status: Option<ExitStatus>,
    pub stdout: String,
    pub stderr: String,
}

impl Outcome {
    /// Exit status, time-out and the tails of both outputs, for assertion messages.
    pub fn describe(&self) -> String {
        format!(
            "exit: {:?}\nstdout (tail):\n{}\nstderr (tail):\n{}",
            self.status.map(|status| status.code()),
            tail(&self.stdout, 4000),
            tail(&self.stderr, 8000)
        )
    }

    /// Whether panic text reached either output.
    pub fn shows_panic(&self) -> bool {
        [&self.stdout, &self.stderr]
            .iter()
            .any(|text| text.contains("panicked") || text.contains("RUST_BACKTRACE"))
    }
}

/// The last `limit` bytes of `text` (from a character boundary).
fn tail(text: &str, limit: usize) -> &str {
    let start = text.len().saturating_sub(limit);
    let start = (start..text.len())
        .find(|index| text.is_char_boundary(*index))
        .unwrap_or(text.len());
    &text[start..]
}

/// Runs `geppetto run <script>` with `env` (and no provider keys in the environment), killing it
/// after `limit`; `watch` is called with the child's pid about every 250 ms while it runs.
pub fn run_geppetto(
    script: &Path,
    env: &[(&str, String)],
    limit: Duration,
    mut watch: impl FnMut(u32),
) -> Outcome {
    let mut command = Command::new(env!("CARGO_BIN_EXE_geppetto"));
    command.arg("run").arg(script);
    for key in [
        "OPENAI_API_KEY",
        "ANTHROPIC_API_KEY",
        "GEMINI_API_KEY",
        "GOOGLE_API_KEY",
        "PINOCCHIO_PROFILE",
    ] {
        command.env_remove(key);
    }
    command
        .env(
            "HOME",
            std::env::temp_dir().join("geppetto-generated-input-home"),
        )
        .env("RUST_LOG", "error")
        .env("RUST_BACKTRACE", "0")
        .envs(env.iter().map(|(key, value)| (*key, value)))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().expect("cannot start geppetto");
    let read = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            String::from_utf8_lossy(&bytes).into_owned()
        })
    };
    let stdout = read(Box::new(child.stdout.take().expect("stdout")));
    let stderr = read(Box::new(child.stderr.take().expect("stderr")));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for geppetto") {
            break Some(status);
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        watch(child.id());
        std::thread::sleep(Duration::from_millis(250));
    };
    Outcome {
        status,
        stdout: stdout.join().expect("stdout reader"),
        stderr: stderr.join().expect("stderr reader"),
    }
}
