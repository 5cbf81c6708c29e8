//! The `geppetto` command.

fn main() -> std::process::ExitCode {
    geppetto::cli::main()
}
