//! The client's subcommands, for the `proxyctl` binary to flatten into its own:
//!
//! ```
//! use clap::{Parser, Subcommand};
//! use proxy_client::cli::{Command, GlobalOpts};
//!
//! #[derive(Parser)]
//! struct Cli {
//!     #[command(flatten)]
//!     global: GlobalOpts,
//!     #[command(subcommand)]
//!     command: Top,
//! }
//!
//! #[derive(Subcommand)]
//! enum Top {
//!     /// Run the server.
//!     Serve,
//!     #[command(flatten)]
//!     Client(Command),
//! }
//!
//! let cli = Cli::parse_from(["proxyctl", "invoke", "hello", "-p", "name", "Ada", "--result", "--json"]);
//! assert!(cli.global.json);
//! assert!(matches!(cli.command, Top::Client(Command::Invoke(_))));
//! // and then: proxy_client::cli::run(command, cli.global).await
//! ```
//!
//! [`run`] prints to stdout and returns an [`Exit`]; an `Err` is for the binary to
//! print (with [`error_report`], causes included) and exit non-zero.

mod action;
mod activation;
mod invoke;

use std::io::Write;

use clap::{Args, Subcommand};

pub use action::{ActionCommand, ActionSpec};
pub use activation::{ActivationCommand, ActivationListArgs, WhichActivation};
pub use invoke::InvokeArgs;

use crate::config::{Config, Sources};
use crate::{Client, ClientError, Reply};

/// The options every client subcommand takes (before or after it).
#[derive(Debug, Clone, Default, Args)]
pub struct GlobalOpts {
    /// The API host (`http://host:port`); else $PROXYCTL_APIHOST, $WHISK_APIHOST,
    /// APIHOST in ~/.wskprops (or $WSK_CONFIG_FILE), else http://127.0.0.1:3233.
    #[arg(long, global = true, value_name = "HOST")]
    pub apihost: Option<String>,
    /// The key, `uuid:key`; else $PROXYCTL_AUTH, $WHISK_AUTH, AUTH in ~/.wskprops.
    #[arg(short = 'u', long, global = true, value_name = "KEY")]
    pub auth: Option<String>,
    /// Print the server's JSON as it came, instead of human output.
    #[arg(long, global = true)]
    pub json: bool,
}

/// The client's subcommands.
#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// Create, update, get, list and delete actions.
    #[command(subcommand)]
    Action(ActionCommand),
    /// Invoke an action.
    Invoke(InvokeArgs),
    /// List activations, and get one, its logs or its result.
    #[command(subcommand)]
    Activation(ActivationCommand),
}

/// How a command that did not fail ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Done.
    Success,
    /// A blocking invocation ran and its activation did not succeed (application,
    /// developer or internal error): the activation was printed.
    ActivationFailed,
}

impl From<Exit> for std::process::ExitCode {
    /// 0 for success, 1 for a failed activation (the status the binary should also
    /// give an `Err`).
    fn from(exit: Exit) -> Self {
        match exit {
            Exit::Success => std::process::ExitCode::SUCCESS,
            Exit::ActivationFailed => std::process::ExitCode::FAILURE,
        }
    }
}

/// Runs `command` with the configuration from `global`, the process's environment
/// and `~/.wskprops`, printing to stdout.
pub async fn run(command: Command, global: GlobalOpts) -> Result<Exit, ClientError> {
    // Not a `StdoutLock`: that is not `Send`, and would make this future not `Send`.
    let mut stdout = std::io::stdout();
    run_with(command, &global, &Sources::from_process(), &mut stdout).await
}

/// [`run`] with the configuration's other sources and the output given.
pub async fn run_with(
    command: Command,
    global: &GlobalOpts,
    sources: &Sources,
    out: &mut (dyn Write + Send),
) -> Result<Exit, ClientError> {
    let config = Config::resolve(global.apihost.as_deref(), global.auth.as_deref(), sources)?;
    let client = Client::new(&config)?;
    let mut output = Output { out, json: global.json };
    match command {
        Command::Action(command) => action::run(command, &client, &mut output).await,
        Command::Invoke(args) => invoke::run(args, &client, &mut output).await,
        Command::Activation(command) => activation::run(command, &client, &mut output).await,
    }
}

/// `error` and its causes, each after a `: ` (what the binary prints after `error: `).
///
/// ```
/// let error = proxy_client::ClientError::NoActivations;
/// assert_eq!(proxy_client::cli::error_report(&error), error.to_string());
/// ```
pub fn error_report(error: &ClientError) -> String {
    let mut text = error.to_string();
    let mut next = std::error::Error::source(error);
    while let Some(cause) = next {
        text.push_str(&format!(": {cause}"));
        next = cause.source();
    }
    text
}

/// Where a command prints, and in which form.
pub(crate) struct Output<'a> {
    out: &'a mut (dyn Write + Send),
    json: bool,
}

impl Output<'_> {
    /// `--json`: the body as the server sent it; else `human(reply)`.
    pub(crate) fn reply(
        &mut self,
        reply: &Reply,
        human: impl FnOnce(&Reply) -> Result<String, ClientError>,
    ) -> Result<(), ClientError> {
        if self.json {
            self.raw(reply)
        } else {
            let text = human(reply)?;
            self.line(&text)
        }
    }

    /// The body as the server sent it, with a final newline.
    pub(crate) fn raw(&mut self, reply: &Reply) -> Result<(), ClientError> {
        self.out.write_all(&reply.body).map_err(ClientError::Output)?;
        if !reply.body.ends_with(b"\n") {
            self.out.write_all(b"\n").map_err(ClientError::Output)?;
        }
        Ok(())
    }

    /// `text`, with a final newline if it has none; nothing for no text (no logs).
    pub(crate) fn line(&mut self, text: &str) -> Result<(), ClientError> {
        let newline = if text.is_empty() || text.ends_with('\n') { "" } else { "\n" };
        write!(self.out, "{text}{newline}").map_err(ClientError::Output)
    }
}
