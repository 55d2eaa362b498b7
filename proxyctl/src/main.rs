//! The `proxyctl` binary: `proxyctl serve` (the server); the client subcommands come
//! from the `proxy-client` crate.

use clap::Parser;
use proxyctl::cli::{Cli, Command};

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    proxyctl::logging::init(cli.log_json);
    match cli.command {
        Command::Serve(args) => proxyctl::serve::main(args),
        Command::Client(command) => client(command, cli.client),
    }
}

/// Runs one client command on a runtime of its own; errors print with their causes.
fn client(
    command: proxy_client::cli::Command,
    global: proxy_client::cli::GlobalOpts,
) -> std::process::ExitCode {
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the client's runtime: {error}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(proxy_client::cli::run(command, global)) {
        Ok(exit) => exit.into(),
        Err(error) => {
            eprintln!("error: {}", proxy_client::cli::error_report(&error));
            std::process::ExitCode::FAILURE
        }
    }
}
