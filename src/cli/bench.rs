pub async fn run(_w: BenchCommand) -> std::process::ExitCode {
    std::process::ExitCode::SUCCESS
}
#[derive(Debug, clap::Subcommand)]
pub enum BenchCommand {
    Owner,
}
