//! The seam between the server and a database: [`Store`]. The SQLite store implements
//! it for one node; a shared database (PostgreSQL) serving several invokers would
//! implement the same trait.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use async_trait::async_trait;
use tokio::sync::oneshot;

use crate::doc::{
    ActionDoc, ActivationBrief, ActivationDoc, Credentials, ResponseDoc, Revision, StoredAction, Subject,
};
use crate::StoreError;

/// How a put treats an action that exists already.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PutMode {
    /// Create only: an existing action is a [`StoreError::Conflict`].
    Create,
    /// Create, or replace whatever is there (upstream's `overwrite=true`).
    Overwrite,
    /// Replace the action only if it is still at this revision (a read-modify-write
    /// that must not lose a concurrent update); a missing action or another revision
    /// is a [`StoreError::Conflict`].
    Replace(Revision),
}

/// Which part of a newest-first list: `skip` entries, then at most `limit`. The server
/// applies upstream's defaults and bounds (30, at most 200) before asking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    /// How many to return at most.
    pub limit: usize,
    /// How many to pass over first.
    pub skip: usize,
}

impl Default for Page {
    /// Upstream's default page: the first 30.
    fn default() -> Self {
        Page { limit: 30, skip: 0 }
    }
}

/// Which activations of a namespace a list returns, newest (latest `start`) first.
///
/// ```
/// use proxy_store::{ActivationQuery, Page};
/// let query = ActivationQuery { name: Some("hello".into()), since: Some(1_000), ..ActivationQuery::default() };
/// assert_eq!(query.page, Page { limit: 30, skip: 0 });
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ActivationQuery {
    /// Only activations of this action (`name`, or `pkg/name` for an action in a
    /// package; see [`ActivationDoc::entity_path`]).
    pub name: Option<String>,
    /// Only those that started at or after this, in ms since the epoch (inclusive, as
    /// upstream's view keys are).
    pub since: Option<u64>,
    /// Only those that started at or before this, in ms since the epoch (inclusive).
    pub upto: Option<u64>,
    /// Which part of the list.
    pub page: Page,
}

/// Resolves once the record it was given for is durable (its batch committed), or with
/// the reason it never will be.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let (done, durable) = proxy_store::Durable::pair();
/// done.send(Ok(())).unwrap();
/// assert!(durable.await.is_ok());
/// # });
/// ```
#[derive(Debug)]
#[must_use = "a record may not be durable yet: await this to know"]
pub struct Durable(oneshot::Receiver<Result<(), StoreError>>);

impl Durable {
    /// A durability future and the sender that resolves it (for implementations of
    /// [`Store`]; one that commits before returning resolves it at once).
    pub fn pair() -> (oneshot::Sender<Result<(), StoreError>>, Durable) {
        let (tx, rx) = oneshot::channel();
        (tx, Durable(rx))
    }
}

impl Future for Durable {
    type Output = Result<(), StoreError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // A dropped sender means the writer went away without committing.
        Pin::new(&mut self.0).poll(cx).map(|answer| answer.unwrap_or(Err(StoreError::WriterGone)))
    }
}

/// Actions, activations and subjects. Every method may be called from many tasks at
/// once; "not there" is `None`, not an error.
#[async_trait]
pub trait Store: Send + Sync {
    /// Writes `action` as `mode` allows; returns it as stored: `version` as given on
    /// creation and one patch up from the replaced one's on an update (upstream's
    /// `upPatch`), `updated` now, a new revision.
    async fn put_action(&self, action: ActionDoc, mode: PutMode) -> Result<StoredAction, StoreError>;

    /// Action `name` of `namespace`.
    async fn get_action(&self, namespace: &str, name: &str) -> Result<Option<StoredAction>, StoreError>;

    /// The actions of `namespace`, most recently updated first.
    async fn list_actions(&self, namespace: &str, page: Page) -> Result<Vec<StoredAction>, StoreError>;

    /// Deletes action `name` of `namespace`; returns what was there.
    async fn delete_action(&self, namespace: &str, name: &str) -> Result<Option<StoredAction>, StoreError>;

    /// Queues `activation` for storing; returns once it is queued. Await the
    /// [`Durable`] to know it is committed.
    async fn insert_activation(&self, activation: ActivationDoc) -> Result<Durable, StoreError>;

    /// Returns once every activation queued before the call is durable, or with the
    /// error of a batch that failed.
    async fn flush(&self) -> Result<(), StoreError>;

    /// Activation `activation_id` of `namespace`.
    async fn get_activation(
        &self,
        namespace: &str,
        activation_id: &str,
    ) -> Result<Option<ActivationDoc>, StoreError>;

    /// The activations of `namespace` that `query` selects, whole (`docs=true`).
    async fn list_activations(
        &self,
        namespace: &str,
        query: &ActivationQuery,
    ) -> Result<Vec<ActivationDoc>, StoreError>;

    /// The same selection in brief, without responses or logs (what upstream lists
    /// without `docs`).
    async fn list_activation_briefs(
        &self,
        namespace: &str,
        query: &ActivationQuery,
    ) -> Result<Vec<ActivationBrief>, StoreError>;

    /// The log lines of activation `activation_id` of `namespace`.
    async fn activation_logs(
        &self,
        namespace: &str,
        activation_id: &str,
    ) -> Result<Option<Vec<String>>, StoreError>;

    /// The response of activation `activation_id` of `namespace`.
    async fn activation_result(
        &self,
        namespace: &str,
        activation_id: &str,
    ) -> Result<Option<ResponseDoc>, StoreError>;

    /// A new key for `subject` in `namespace`. The key is returned only here: the
    /// store keeps its hash.
    async fn create_subject(&self, subject: &str, namespace: &str) -> Result<Credentials, StoreError>;

    /// The subject whose key is `uuid:key`, if the key is right. The key is checked
    /// in constant time.
    async fn authenticate(&self, uuid: &str, key: &str) -> Result<Option<Subject>, StoreError>;
}
