//! The `proxyctl` binary: `proxyctl serve` (the server); the client subcommands come
//! from the `proxy-client` crate.

use clap::Parser;
use proxyctl::cli::{Cli, Command};

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    proxyctl::logging::init(cli.log_json);
    match cli.command {
        Command::Serve(args) => proxyctl::serve::main(args),
        // When proxy-client lands: add its arm here,
        // `Command::Client(command) => proxy_client::run(command)` (see cli::Command).
    }
}
