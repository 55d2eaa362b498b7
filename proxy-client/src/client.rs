//! The API client: one method per request of the subset `proxyctl serve` speaks
//! (upstream's paths, queries and bodies). Each returns the server's [`Reply`]
//! unchanged, so that `--json` prints what the server sent; an error status becomes
//! [`ClientError::Api`] with the server's message.

use hyper::Method;
use proxy_store::doc::ActivationBrief;
use serde_json::{Map, Value};

use crate::config::{ApiHost, Config};
use crate::http::{Reply, Transport};
use crate::name::{encode, namespace_path, query, EntityName, OWN_NAMESPACE};
use crate::request::ActionPut;
use crate::ClientError;

/// A page of a list (`limit`, `skip`), the server's defaults where `None`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Page {
    /// At most this many.
    pub limit: Option<u32>,
    /// After skipping this many.
    pub skip: Option<u32>,
}

/// The filters of `GET .../activations`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ActivationFilter {
    /// Only activations of this action (`name` or `pkg/name`).
    pub name: Option<String>,
    /// The page.
    pub page: Page,
    /// Only those started at or after this instant (ms since the epoch).
    pub since: Option<u64>,
    /// Only those started before this instant (ms since the epoch).
    pub upto: Option<u64>,
    /// Whole documents rather than the brief form.
    pub docs: bool,
}

/// How to invoke.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct InvokeOptions {
    /// Wait for the activation (`blocking=true`).
    pub blocking: bool,
    /// Answer with the result only (`result=true`; implies `blocking`).
    pub result: bool,
}

/// A client of one API host with one key.
///
/// ```
/// use proxy_client::config::{Config, Sources};
/// use proxy_client::Client;
/// let config = Config::resolve(Some("127.0.0.1:3233"), None, &Sources::default()).unwrap();
/// let error = Client::new(&config).unwrap_err();
/// assert!(error.to_string().contains("run `proxyctl serve` and pass the guest key it printed with --auth"));
/// let config = Config::resolve(Some("127.0.0.1:3233"), Some("uuid:key"), &Sources::default()).unwrap();
/// assert_eq!(Client::new(&config).unwrap().apihost().url(), "http://127.0.0.1:3233");
/// ```
#[derive(Debug, Clone)]
pub struct Client {
    transport: Transport,
}

impl Client {
    /// A client for `config`; an error when it has no key, or one not of the form
    /// `uuid:key`.
    pub fn new(config: &Config) -> Result<Self, ClientError> {
        let key =
            config.auth.as_ref().ok_or_else(|| ClientError::NoAuth { apihost: config.apihost.url() })?;
        if !key.value.contains(':') {
            return Err(ClientError::MalformedAuth { origin: key.origin.to_string() });
        }
        Ok(Client { transport: Transport::new(config.apihost.clone(), Some(&key.value)) })
    }

    /// The API host.
    pub fn apihost(&self) -> &ApiHost {
        self.transport.apihost()
    }

    /// `PUT .../actions/{name}?overwrite=..`: creates the action, or with `overwrite`
    /// replaces the fields `body` sets.
    pub async fn put_action(
        &self,
        name: &EntityName,
        body: &ActionPut,
        overwrite: bool,
    ) -> Result<Reply, ClientError> {
        // Serializing plain data with string keys cannot fail.
        let body = serde_json::to_vec(body).unwrap_or_default();
        let query = query(&[("overwrite", Some(overwrite.to_string()))]);
        self.call(Method::PUT, name.path("actions"), &query, Some(body)).await
    }

    /// `GET .../actions/{name}`.
    pub async fn get_action(&self, name: &EntityName) -> Result<Reply, ClientError> {
        self.call(Method::GET, name.path("actions"), "", None).await
    }

    /// `GET .../actions?limit=..&skip=..` of the caller's namespace.
    pub async fn list_actions(&self, page: Page) -> Result<Reply, ClientError> {
        let path = format!("{}/actions", namespace_path(OWN_NAMESPACE));
        self.call(Method::GET, path, &page_query(page, &[]), None).await
    }

    /// `DELETE .../actions/{name}`.
    pub async fn delete_action(&self, name: &EntityName) -> Result<Reply, ClientError> {
        self.call(Method::DELETE, name.path("actions"), "", None).await
    }

    /// `POST .../actions/{name}?blocking=..&result=..` with `params` as the body.
    ///
    /// Besides 2xx, a 502 (the action failed: its activation, or its result, is the
    /// body) is a reply too, and a 500 whose body is an activation (a whisk error
    /// during the run); other statuses are errors.
    pub async fn invoke(
        &self,
        name: &EntityName,
        params: &Map<String, Value>,
        options: InvokeOptions,
    ) -> Result<Reply, ClientError> {
        let blocking = options.blocking || options.result;
        let query = query(&[
            ("blocking", Some(blocking.to_string())),
            ("result", options.result.then(|| "true".to_string())),
        ]);
        let body = serde_json::to_vec(params).unwrap_or_default();
        let reply = self.transport.send(Method::POST, name.path("actions"), &query, Some(body)).await?;
        let failed_activation = match reply.status {
            502 => true,
            500 => serde_json::from_slice::<Value>(&reply.body)
                .is_ok_and(|body| body.get("activationId").is_some()),
            _ => false,
        };
        if reply.is_success() || failed_activation {
            Ok(reply)
        } else {
            Err(reply.into_error())
        }
    }

    /// `GET .../activations` with `filter`.
    pub async fn list_activations(&self, filter: &ActivationFilter) -> Result<Reply, ClientError> {
        let path = format!("{}/activations", namespace_path(OWN_NAMESPACE));
        let query = page_query(
            filter.page,
            &[
                ("name", filter.name.clone()),
                ("since", filter.since.map(|ms| ms.to_string())),
                ("upto", filter.upto.map(|ms| ms.to_string())),
                ("docs", filter.docs.then(|| "true".to_string())),
            ],
        );
        self.call(Method::GET, path, &query, None).await
    }

    /// `GET .../activations/{id}`.
    pub async fn get_activation(&self, id: &str) -> Result<Reply, ClientError> {
        self.call(Method::GET, activation_path(id, ""), "", None).await
    }

    /// `GET .../activations/{id}/logs`.
    pub async fn activation_logs(&self, id: &str) -> Result<Reply, ClientError> {
        self.call(Method::GET, activation_path(id, "/logs"), "", None).await
    }

    /// `GET .../activations/{id}/result`.
    pub async fn activation_result(&self, id: &str) -> Result<Reply, ClientError> {
        self.call(Method::GET, activation_path(id, "/result"), "", None).await
    }

    /// The id of the newest activation (`wsk`'s `--last`: a list with `limit=1`), of
    /// action `name` when given.
    pub async fn last_activation_id(&self, name: Option<&str>) -> Result<String, ClientError> {
        let filter = ActivationFilter {
            name: name.map(str::to_string),
            page: Page { limit: Some(1), skip: None },
            ..ActivationFilter::default()
        };
        let newest: Vec<ActivationBrief> = self.list_activations(&filter).await?.json()?;
        newest.into_iter().next().map(|brief| brief.activation_id).ok_or(ClientError::NoActivations)
    }

    /// One request; a status other than 2xx is an error.
    async fn call(
        &self,
        method: Method,
        path: String,
        query: &str,
        body: Option<Vec<u8>>,
    ) -> Result<Reply, ClientError> {
        let reply = self.transport.send(method, path, query, body).await?;
        if reply.is_success() {
            Ok(reply)
        } else {
            Err(reply.into_error())
        }
    }
}

fn activation_path(id: &str, suffix: &str) -> String {
    format!("{}/activations/{}{suffix}", namespace_path(OWN_NAMESPACE), encode(id))
}

fn page_query(page: Page, rest: &[(&str, Option<String>)]) -> String {
    let mut pairs =
        vec![("limit", page.limit.map(|n| n.to_string())), ("skip", page.skip.map(|n| n.to_string()))];
    pairs.extend(rest.iter().cloned());
    query(&pairs)
}
