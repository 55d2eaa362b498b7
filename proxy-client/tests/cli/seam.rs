//! The seam the `proxyctl` binary uses: flattened subcommands, global options on
//! either side of them, and a `run` future it may spawn.

use clap::Parser as _;
use proxy_client::cli::{Command, GlobalOpts};

use crate::support::{Cli, Top};

fn globals(args: &[&str]) -> GlobalOpts {
    Cli::try_parse_from(args).unwrap().global
}

#[test]
fn global_options_go_before_or_after_the_subcommand() {
    for args in [
        &["proxyctl", "--apihost", "http://h:1", "-u", "a:b", "--json", "action", "list"][..],
        &["proxyctl", "action", "list", "--apihost", "http://h:1", "--auth", "a:b", "--json"],
        &["proxyctl", "action", "--json", "list", "--apihost=http://h:1", "-u", "a:b"],
    ] {
        let global = globals(args);
        assert_eq!(
            (global.apihost.as_deref(), global.auth.as_deref(), global.json),
            (Some("http://h:1"), Some("a:b"), true),
            "{args:?}"
        );
    }
}

#[test]
fn the_client_subcommands_sit_beside_the_servers() {
    let cli = Cli::try_parse_from(["proxyctl", "serve"]).unwrap();
    assert!(matches!(cli.command, Top::Serve));
    let cli = Cli::try_parse_from(["proxyctl", "activation", "logs", "--last"]).unwrap();
    assert!(matches!(cli.command, Top::Client(Command::Activation(_))));
}

#[test]
fn run_is_a_send_future() {
    fn assert_send<T: Send>(_: &T) {}
    let Top::Client(command) = Cli::try_parse_from(["proxyctl", "action", "list"]).unwrap().command else {
        unreachable!()
    };
    let future = proxy_client::cli::run(command, GlobalOpts::default());
    assert_send(&future);
}
