//! `proxyctl action create|update|get|list|delete`.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::{Exit, Output};
use crate::client::Page;
use crate::render::{action_table, pretty};
use crate::request::{key_values, ActionPut, ExecSource, LimitsPut};
use crate::{Client, ClientError, EntityName};

/// The action subcommands.
#[derive(Debug, Clone, Subcommand)]
pub enum ActionCommand {
    /// Create an action from a file (a script or a binary), or an image (--docker).
    Create {
        /// Its name (`hello`, `pkg/hello`, `/namespace/hello`).
        name: String,
        /// The code: a script (the native kind unless --kind says otherwise), or a
        /// binary (sent base64).
        #[arg(required_unless_present = "docker")]
        file: Option<PathBuf>,
        /// What to set.
        #[command(flatten)]
        spec: Box<ActionSpec>,
    },
    /// Update an action: only what is given changes (`overwrite=true`).
    Update {
        /// Its name.
        name: String,
        /// New code.
        file: Option<PathBuf>,
        /// What to set.
        #[command(flatten)]
        spec: Box<ActionSpec>,
    },
    /// Show an action.
    Get {
        /// Its name.
        name: String,
    },
    /// List the actions of your namespace.
    List {
        /// At most this many.
        #[arg(short, long)]
        limit: Option<u32>,
        /// After skipping this many.
        #[arg(short, long)]
        skip: Option<u32>,
    },
    /// Delete an action.
    Delete {
        /// Its name.
        name: String,
    },
}

/// What `create` and `update` set.
#[derive(Debug, Clone, Default, Args)]
pub struct ActionSpec {
    /// The runtime kind (`python:3.11`, `nodejs:20`, ..); default: native.
    #[arg(long, conflicts_with = "docker")]
    pub kind: Option<String>,
    /// Run this image (a `blackbox` action); the file, if any, is its code.
    #[arg(long, value_name = "IMAGE")]
    pub docker: Option<String>,
    /// The entry point in the code.
    #[arg(long)]
    pub main: Option<String>,
    /// Memory, in MB.
    #[arg(short, long, value_name = "MB")]
    pub memory: Option<u64>,
    /// Time limit, in ms.
    #[arg(short, long, value_name = "MS")]
    pub timeout: Option<u64>,
    /// Log size limit, in MB.
    #[arg(short, long, value_name = "MB")]
    pub logsize: Option<u64>,
    /// Activations at once in one container.
    #[arg(short, long)]
    pub concurrency: Option<u64>,
    /// A default parameter: its value is JSON if it parses as JSON, else a string.
    #[arg(short = 'p', long = "param", num_args = 2, value_names = ["KEY", "VALUE"])]
    pub param: Vec<String>,
}

impl ActionSpec {
    /// The body of a put with `file` as the code.
    fn body(&self, file: Option<&PathBuf>) -> Result<ActionPut, ClientError> {
        let exec = ExecSource {
            file: file.map(PathBuf::as_path),
            kind: self.kind.as_deref(),
            docker: self.docker.as_deref(),
            main: self.main.as_deref(),
        }
        .exec()?;
        let limits = LimitsPut {
            timeout: self.timeout,
            memory: self.memory,
            logs: self.logsize,
            concurrency: self.concurrency,
        };
        let parameters = (!self.param.is_empty()).then(|| key_values(&self.param));
        Ok(ActionPut { exec, limits: limits.if_any(), parameters })
    }
}

pub(super) async fn run(
    command: ActionCommand,
    client: &Client,
    out: &mut Output<'_>,
) -> Result<Exit, ClientError> {
    match command {
        ActionCommand::Create { name, file, spec } => {
            let reply =
                client.put_action(&EntityName::parse(&name), &spec.body(file.as_ref())?, false).await?;
            out.reply(&reply, |_| Ok(format!("ok: created action {name}")))?;
        }
        ActionCommand::Update { name, file, spec } => {
            let reply =
                client.put_action(&EntityName::parse(&name), &spec.body(file.as_ref())?, true).await?;
            out.reply(&reply, |_| Ok(format!("ok: updated action {name}")))?;
        }
        ActionCommand::Get { name } => {
            let reply = client.get_action(&EntityName::parse(&name)).await?;
            out.reply(&reply, |reply| Ok(format!("ok: got action {name}\n{}", pretty(reply))))?;
        }
        ActionCommand::List { limit, skip } => {
            let reply = client.list_actions(Page { limit, skip }).await?;
            out.reply(&reply, action_table)?;
        }
        ActionCommand::Delete { name } => {
            let reply = client.delete_action(&EntityName::parse(&name)).await?;
            out.reply(&reply, |_| Ok(format!("ok: deleted action {name}")))?;
        }
    }
    Ok(Exit::Success)
}
