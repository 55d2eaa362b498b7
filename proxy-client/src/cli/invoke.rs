//! `proxyctl invoke NAME -p k v [--blocking] [--result]`.

use clap::Args;
use serde_json::Value;

use super::{Exit, Output};
use crate::client::InvokeOptions;
use crate::render::{pretty, pretty_value};
use crate::request::params;
use crate::{Client, ClientError, EntityName, Reply};

/// What to invoke, and how.
#[derive(Debug, Clone, Args)]
pub struct InvokeArgs {
    /// The action's name.
    pub name: String,
    /// A parameter: its value is JSON if it parses as JSON, else a string.
    #[arg(short = 'p', long = "param", num_args = 2, value_names = ["KEY", "VALUE"])]
    pub param: Vec<String>,
    /// Wait for the activation and show it.
    #[arg(short, long)]
    pub blocking: bool,
    /// Wait, and show only the result (implies --blocking).
    #[arg(short, long)]
    pub result: bool,
}

pub(super) async fn run(
    args: InvokeArgs,
    client: &Client,
    out: &mut Output<'_>,
) -> Result<Exit, ClientError> {
    let name = EntityName::parse(&args.name);
    let options = InvokeOptions { blocking: args.blocking, result: args.result };
    let reply = client.invoke(&name, &params(&args.param), options).await?;
    // A 202 to a blocking call is upstream's answer to one that outlasted its wait:
    // the body holds only the id, as for a non-blocking call.
    let blocking = args.blocking || args.result;
    let exit = if reply.status == 202 || !blocking { Exit::Success } else { outcome(&reply) };
    out.reply(&reply, |reply| human(reply, &name, blocking, args.result))?;
    Ok(exit)
}

/// Whether the activation in `reply` succeeded: 200 is success, 502 (or 500 with an
/// activation) is a failed activation.
fn outcome(reply: &Reply) -> Exit {
    if reply.status == 200 {
        Exit::Success
    } else {
        Exit::ActivationFailed
    }
}

fn human(reply: &Reply, name: &EntityName, blocking: bool, result_only: bool) -> Result<String, ClientError> {
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Id {
        activation_id: String,
    }
    if reply.status == 202 {
        let Id { activation_id } = reply.json()?;
        return Ok(if !blocking {
            format!("ok: invoked {name} with id {activation_id}")
        } else {
            format!("ok: invoked {name}, but the request has not yet finished, with id {activation_id}")
        });
    }
    if result_only {
        return Ok(pretty(reply));
    }
    let activation: Value = reply.json()?;
    let id = activation.get("activationId").and_then(Value::as_str).unwrap_or("?");
    let head = if reply.status == 200 {
        format!("ok: invoked {name} with id {id}")
    } else {
        let status = activation.pointer("/response/status").and_then(Value::as_str).unwrap_or("failed");
        format!("error: the activation {id} of {name} did not succeed: {status}")
    };
    Ok(format!("{head}\n{}", pretty_value(&activation)))
}
