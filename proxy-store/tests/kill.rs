//! What the store reported durable survives a `kill -9`. A child process (this test
//! binary, running the ignored `child_writes_until_killed`) writes activations in
//! rounds and prints the id of each one once its `Durable` resolved; the parent reads
//! those lines, SIGKILLs the child in the middle of its writing, re-opens the
//! database and finds every acknowledged record, whole.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Stdio};

use common::activation;
use proxy_store::{SqliteStore, Store};

const DIR_ENV: &str = "PROXY_STORE_KILL_CHILD_DIR";
const ENOUGH: usize = 600;

#[test]
fn acknowledged_activations_survive_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--ignored", "--exact", "child_writes_until_killed", "--nocapture", "--test-threads=1"])
        .env(DIR_ENV, dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut acked = Vec::new();
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
        let line = line.unwrap();
        if let Some(id) = line.strip_prefix("ACK ") {
            acked.push(id.to_string());
            if acked.len() == ENOUGH {
                // The child is still writing: more rounds are queued or committing.
                child.kill().unwrap();
                break;
            }
        }
    }
    let status = child.wait().unwrap();
    assert_eq!(status.signal(), Some(9), "the child died of SIGKILL, not by itself: {status:?}");
    assert_eq!(acked.len(), ENOUGH, "the child acknowledged enough before it was killed");

    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let store = SqliteStore::open(dir.path()).expect("the database opens after a kill").store;
        for id in &acked {
            let (round, _) = parse(id);
            let found = store.get_activation("guest", id).await.unwrap();
            assert_eq!(found, Some(activation("guest", id, "writer", round)), "acknowledged {id} is whole");
        }
    });
}

fn parse(id: &str) -> (u64, u64) {
    let (round, i) = id.trim_start_matches('r').split_once('-').unwrap();
    (round.parse().unwrap(), i.parse().unwrap())
}

/// The child: writes rounds of 25 activations concurrently, and prints each id once
/// it is durable, until it is killed.
#[test]
#[ignore = "the child process of acknowledged_activations_survive_sigkill"]
fn child_writes_until_killed() {
    let dir = std::env::var_os(DIR_ENV).expect("run by acknowledged_activations_survive_sigkill");
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    runtime.block_on(async move {
        let store = SqliteStore::open(dir.as_ref()).unwrap().store;
        let mut stdout = std::io::stdout();
        for round in 0u64.. {
            let mut durables = Vec::new();
            for i in 0..25 {
                let id = format!("r{round}-{i}");
                durables.push((
                    store.insert_activation(activation("guest", &id, "writer", round)).await.unwrap(),
                    id,
                ));
            }
            for (durable, id) in durables {
                durable.await.unwrap();
                writeln!(stdout, "ACK {id}").unwrap();
            }
            stdout.flush().unwrap();
        }
    });
}
