//! `tests/js/agent_events*.{js,mjs}` and `tests/js/agent_spec_events*.js` must pass under Node 20 as
//! under `geppetto run`: the events module follows Node's EventEmitter. Skipped (with a note on stderr) when `node` is not
//! installed; `tests/js_scripts.rs` runs the same scripts under geppetto in every case.

use std::path::Path;
use std::process::Command;

#[test]
fn events_scripts_pass_under_node() {
    let Ok(version) = Command::new("node").arg("--version").output() else {
        eprintln!("node is not installed: the events scripts ran under geppetto only");
        return;
    };
    let version = String::from_utf8_lossy(&version.stdout);
    assert!(
        version.starts_with('v'),
        "unexpected node --version: {version}"
    );
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/js");
    for script in [
        "agent_events.js",
        "agent_events_import.mjs",
        "agent_spec_events_node.js",
    ] {
        let output = Command::new("node")
            .arg(root.join(script))
            .output()
            .expect("cannot start node");
        assert!(
            output.status.success(),
            "{script} failed under node {version}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}
