//! `proxyctl activation list|get|logs|result [--last]`.

use clap::{Args, Subcommand};
use serde_json::Value;

use super::{Exit, Output};
use crate::client::{ActivationFilter, Page};
use crate::render::{activation_table, pretty, pretty_value};
use crate::{Client, ClientError, Reply};

/// The activation subcommands.
#[derive(Debug, Clone, Subcommand)]
pub enum ActivationCommand {
    /// List activations, newest first.
    List(ActivationListArgs),
    /// Show an activation.
    Get(WhichActivation),
    /// Show an activation's logs.
    Logs(WhichActivation),
    /// Show an activation's result.
    Result(WhichActivation),
}

/// The filters of `activation list`.
#[derive(Debug, Clone, Default, Args)]
pub struct ActivationListArgs {
    /// Only activations of this action.
    pub name: Option<String>,
    /// At most this many.
    #[arg(short, long)]
    pub limit: Option<u32>,
    /// After skipping this many.
    #[arg(short, long)]
    pub skip: Option<u32>,
    /// Only those started at or after this instant (ms since the epoch).
    #[arg(long, value_name = "MS")]
    pub since: Option<u64>,
    /// Only those started before this instant (ms since the epoch).
    #[arg(long, value_name = "MS")]
    pub upto: Option<u64>,
    /// Whole activations (`docs=true`): with --json, their responses and logs too.
    #[arg(short, long)]
    pub full: bool,
}

/// An activation by id, or the newest.
#[derive(Debug, Clone, Default, Args)]
pub struct WhichActivation {
    /// The activation's id.
    #[arg(required_unless_present = "last", conflicts_with = "last")]
    pub id: Option<String>,
    /// The newest activation instead.
    #[arg(short, long)]
    pub last: bool,
}

impl WhichActivation {
    async fn id(self, client: &Client) -> Result<String, ClientError> {
        match self.id {
            Some(id) => Ok(id),
            None => client.last_activation_id(None).await,
        }
    }
}

pub(super) async fn run(
    command: ActivationCommand,
    client: &Client,
    out: &mut Output<'_>,
) -> Result<Exit, ClientError> {
    match command {
        ActivationCommand::List(args) => {
            let filter = ActivationFilter {
                name: args.name,
                page: Page { limit: args.limit, skip: args.skip },
                since: args.since,
                upto: args.upto,
                docs: args.full,
            };
            let reply = client.list_activations(&filter).await?;
            out.reply(&reply, activation_table)?;
        }
        ActivationCommand::Get(which) => {
            let id = which.id(client).await?;
            let reply = client.get_activation(&id).await?;
            out.reply(&reply, |reply| Ok(format!("ok: got activation {id}\n{}", pretty(reply))))?;
        }
        ActivationCommand::Logs(which) => {
            let reply = client.activation_logs(&which.id(client).await?).await?;
            out.reply(&reply, log_lines)?;
        }
        ActivationCommand::Result(which) => {
            let reply = client.activation_result(&which.id(client).await?).await?;
            out.reply(&reply, result_only)?;
        }
    }
    Ok(Exit::Success)
}

/// The lines of `{"logs": [..]}`, one per line, as the runtime wrote them.
fn log_lines(reply: &Reply) -> Result<String, ClientError> {
    #[derive(serde::Deserialize)]
    struct Logs {
        logs: Vec<String>,
    }
    let Logs { logs } = reply.json()?;
    Ok(logs.iter().map(|line| format!("{line}\n")).collect())
}

/// The `result` of a `/result` answer (`{"result": .., "status": .., ..}`), as `wsk
/// activation result` shows it.
fn result_only(reply: &Reply) -> Result<String, ClientError> {
    let response: Value = reply.json()?;
    Ok(pretty_value(response.get("result").unwrap_or(&response)))
}
