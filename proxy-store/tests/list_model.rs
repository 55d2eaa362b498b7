//! The filters of an activation list (`name`, `since`, `upto`, `limit`, `skip`) against
//! a simple in-memory model of upstream's semantics: the namespace's activations whose
//! entity path is `name` and whose start lies in `[since, upto]`, latest start first
//! (equal starts: latest insert first), `skip` of them passed over, `limit` returned.

mod common;

use common::activation;
use proptest::prelude::*;
use proxy_store::doc::{ActivationDoc, KeyValue};
use proxy_store::{ActivationQuery, Page, SqliteStore, Store};
use serde_json::json;

const NAMES: [&str; 3] = ["n0", "n1", "n2"];

/// One generated activation: its namespace, action, whether the action is in a
/// package, and its start.
#[derive(Debug, Clone)]
struct Gen {
    namespace: usize,
    name: usize,
    packaged: bool,
    start: u64,
}

impl Gen {
    fn namespace(&self) -> String {
        format!("ns{}", self.namespace)
    }

    /// What the `name` filter matches, written out here rather than taken from the crate.
    fn entity(&self) -> String {
        let name = NAMES[self.name];
        if self.packaged {
            format!("pkg/{name}")
        } else {
            name.to_string()
        }
    }

    fn doc(&self, id: &str) -> ActivationDoc {
        let name = NAMES[self.name];
        let path = if self.packaged {
            format!("{}/pkg/{name}", self.namespace())
        } else {
            format!("{}/{name}", self.namespace())
        };
        ActivationDoc {
            annotations: vec![KeyValue { key: "path".into(), value: json!(path) }],
            ..activation(&self.namespace(), id, name, self.start)
        }
    }
}

fn gen() -> impl Strategy<Value = Gen> {
    (0..2usize, 0..NAMES.len(), any::<bool>(), 0..20u64).prop_map(|(namespace, name, packaged, start)| Gen {
        namespace,
        name,
        packaged,
        start,
    })
}

fn query() -> impl Strategy<Value = (usize, ActivationQuery)> {
    let name = prop::option::of((0..NAMES.len(), any::<bool>()));
    (0..2usize, name, prop::option::of(0..22u64), prop::option::of(0..22u64), 0..12usize, 0..12usize)
        .prop_map(|(namespace, name, since, upto, limit, skip)| {
            let name = name
                .map(|(i, packaged)| if packaged { format!("pkg/{}", NAMES[i]) } else { NAMES[i].into() });
            (namespace, ActivationQuery { name, since, upto, page: Page { limit, skip } })
        })
}

/// The model: the ids the query selects, in order.
fn model(records: &[Gen], namespace: usize, query: &ActivationQuery) -> Vec<String> {
    let mut selected: Vec<(usize, &Gen)> = records
        .iter()
        .enumerate()
        .filter(|(_, r)| r.namespace == namespace)
        .filter(|(_, r)| query.name.as_ref().is_none_or(|name| *name == r.entity()))
        .filter(|(_, r)| query.since.is_none_or(|since| r.start >= since))
        .filter(|(_, r)| query.upto.is_none_or(|upto| r.start <= upto))
        .collect();
    selected.sort_by(|(ia, a), (ib, b)| b.start.cmp(&a.start).then(ib.cmp(ia)));
    selected.into_iter().skip(query.page.skip).take(query.page.limit).map(|(i, _)| format!("id{i}")).collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn list_filters_match_the_model(
        records in prop::collection::vec(gen(), 0..40),
        queries in prop::collection::vec(query(), 1..10),
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let dir = tempfile::tempdir().unwrap();
        runtime.block_on(async {
            let store = SqliteStore::open(dir.path()).unwrap().store;
            for (i, record) in records.iter().enumerate() {
                // Queued in order; one flush makes them all durable.
                let _durable = store.insert_activation(record.doc(&format!("id{i}"))).await.unwrap();
            }
            store.flush().await.unwrap();
            for (namespace, query) in &queries {
                let ns = format!("ns{namespace}");
                let docs = store.list_activations(&ns, query).await.unwrap();
                let got: Vec<String> = docs.iter().map(|doc| doc.activation_id.clone()).collect();
                prop_assert_eq!(&got, &model(&records, *namespace, query), "query {:?}", query);
                let briefs = store.list_activation_briefs(&ns, query).await.unwrap();
                let brief_ids: Vec<String> = briefs.into_iter().map(|brief| brief.activation_id).collect();
                prop_assert_eq!(brief_ids, got);
                for doc in docs {
                    let i: usize = doc.activation_id[2..].parse().unwrap();
                    prop_assert_eq!(&doc, &records[i].doc(&doc.activation_id));
                }
            }
            Ok(())
        })?;
    }
}
