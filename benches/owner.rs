//! `cargo bench --bench owner`: the same measurement as `geppetto bench owner`.
//!
//! Options: `--json`, `--iterations N`, `--posts N`, `--owners N` (other arguments, such as the
//! `--bench` cargo passes, are ignored).

use std::process::ExitCode;

use geppetto::cli::bench::{OwnerBenchOptions, owner_report_blocking};

fn main() -> ExitCode {
    let mut options = OwnerBenchOptions::default();
    let mut json = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let slot = match arg.as_str() {
            "--json" => {
                json = true;
                continue;
            }
            "--iterations" => &mut options.iterations,
            "--posts" => &mut options.posts,
            "--owners" => &mut options.owners,
            _ => continue,
        };
        match args.next().and_then(|value| value.parse().ok()) {
            Some(value) => *slot = value,
            None => {
                eprintln!("{arg} needs a number");
                return ExitCode::FAILURE;
            }
        }
    }
    match owner_report_blocking(&options) {
        Ok(report) if json => println!("{}", report.to_json_line()),
        Ok(report) => print!("{}", report.to_text()),
        Err(error) => {
            eprintln!("owner bench failed: {error}");
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}
