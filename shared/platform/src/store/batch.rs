//! The first reads of a request go out together: inside a read window
//! ([`within`]), every [`Store::get_item`] made before the window closes
//! joins one strongly consistent `BatchGetItem`, so the session check's
//! two reads and a route's first read by key cost one round trip, not
//! three concurrent ones.
//!
//! A window closes after one turn of the scheduler: the reads that the
//! session check and the route issue when they are first polled are in
//! it, later ones are plain `GetItem`s. The same key asked twice is read
//! once and given to both. When the batch fails, or DynamoDB leaves a key
//! unprocessed, each read it held is made on its own: a window never
//! changes what a read returns, only how many requests carry it.

use super::{s, string_attribute, Item, Store};
use aws_sdk_dynamodb::types::KeysAndAttributes;
use aws_sdk_dynamodb::Client;
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use tokio::sync::oneshot;

tokio::task_local! {
    static WINDOW: Window;
}

/// DynamoDB's limit of keys in one `BatchGetItem`.
const MAX_KEYS: usize = 100;

/// What a read held by a window gets.
pub(super) enum Shared {
    /// The batch read it: the item, or `None` when there is none.
    Found(Option<Item>),
    /// The batch did not read it: the read is made on its own.
    Alone,
}

pub(super) type Key = (String, String);

/// The reads waiting for a window's batch.
#[derive(Default)]
struct Pending {
    closed: bool,
    /// The client and table of the first read: the batch's.
    target: Option<(Client, String)>,
    reads: HashMap<Key, Vec<oneshot::Sender<Shared>>>,
}

#[derive(Clone, Default)]
struct Window(Arc<Mutex<Pending>>);

/// Runs `work` inside a read window that `work`'s first reads by key join
/// (those of the futures it polls at once, on this task).
pub async fn within<T>(work: impl Future<Output = T>) -> T {
    let window = Window::default();
    let flush = {
        let window = window.clone();
        async move {
            // One turn: every branch of `work` issues its first reads.
            tokio::task::yield_now().await;
            window.flush().await;
        }
    };
    let (output, ()) = WINDOW
        .scope(window, futures::future::join(work, flush))
        .await;
    output
}

/// Joins the read of (`pk`, `sk`) on `store` to the current window, if one
/// is open on this task for the store's table: the batch's answer.
pub(super) fn join(store: &Store, pk: &str, sk: &str) -> Option<oneshot::Receiver<Shared>> {
    WINDOW
        .try_with(|window| window.join(store, pk, sk))
        .ok()
        .flatten()
}

impl Window {
    fn join(&self, store: &Store, pk: &str, sk: &str) -> Option<oneshot::Receiver<Shared>> {
        let mut pending = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let key = (pk.to_owned(), sk.to_owned());
        let full = pending.reads.len() >= MAX_KEYS && !pending.reads.contains_key(&key);
        if pending.closed || full {
            return None;
        }
        match &pending.target {
            Some((_, table)) if table != store.table() => return None,
            Some(_) => {}
            None => pending.target = Some((store.client().clone(), store.table().to_owned())),
        }
        let (answer, shared) = oneshot::channel();
        pending.reads.entry(key).or_default().push(answer);
        Some(shared)
    }

    /// Closes the window and answers every read it holds.
    async fn flush(&self) {
        let (target, reads) = {
            let mut pending = self.0.lock().unwrap_or_else(PoisonError::into_inner);
            pending.closed = true;
            (pending.target.take(), std::mem::take(&mut pending.reads))
        };
        let Some((client, table)) = target else {
            return;
        };
        if reads.len() < 2 {
            // One key: a `GetItem` of its own is the same round trip.
            return answer_alone(reads);
        }
        let mut found = match read_together(&client, &table, reads.keys()).await {
            Ok(found) => found,
            Err(error) => {
                tracing::warn!(%error, "a request's batched reads failed; each is made alone");
                return answer_alone(reads);
            }
        };
        for (key, waiters) in reads {
            let outcome = found.remove(&key);
            for waiter in waiters {
                let shared = match &outcome {
                    Some(Some(item)) => Shared::Found(Some(item.clone())),
                    Some(None) => Shared::Found(None),
                    None => Shared::Alone,
                };
                // A reader that has gone away wants nothing.
                let _ = waiter.send(shared);
            }
        }
    }
}

fn answer_alone(reads: HashMap<Key, Vec<oneshot::Sender<Shared>>>) {
    for waiter in reads.into_values().flatten() {
        let _ = waiter.send(Shared::Alone);
    }
}

/// One strongly consistent `BatchGetItem` of `keys` on `table`: the items
/// found, by key, and the keys DynamoDB left unprocessed. A key in
/// neither has no item. (Also [`Store::batch_get`]'s round.)
pub(super) async fn get_round(
    client: &Client,
    table: &str,
    keys: &[Key],
) -> Result<(HashMap<Key, Item>, Vec<Key>), super::StoreError> {
    let request = KeysAndAttributes::builder()
        .set_keys(Some(
            keys.iter()
                .map(|(pk, sk)| Item::from([("pk".to_owned(), s(pk)), ("sk".to_owned(), s(sk))]))
                .collect(),
        ))
        .consistent_read(true)
        .build();
    let request = super::error::built(request, "a BatchGetItem")?;
    let output = client
        .batch_get_item()
        .request_items(table, request)
        .send()
        .await
        .map_err(|e| super::classify(e, "BatchGetItem"))?;
    let key_of = |item: &Item| (string_attribute(item, "pk"), string_attribute(item, "sk"));
    let unprocessed = output
        .unprocessed_keys
        .and_then(|mut u| u.remove(table))
        .map(|k| k.keys)
        .unwrap_or_default()
        .iter()
        .map(key_of)
        .collect();
    let found = output
        .responses
        .and_then(|mut r| r.remove(table))
        .unwrap_or_default()
        .into_iter()
        .map(|item| (key_of(&item), item))
        .collect();
    Ok((found, unprocessed))
}

/// One `BatchGetItem` of `keys`: for each key read, its item or `None`;
/// keys left unprocessed are absent from the answer.
async fn read_together<'k>(
    client: &Client,
    table: &str,
    keys: impl Iterator<Item = &'k Key>,
) -> Result<HashMap<Key, Option<Item>>, super::StoreError> {
    let keys: Vec<Key> = keys.cloned().collect();
    let (mut found, unprocessed) = get_round(client, table, &keys).await?;
    Ok(keys
        .into_iter()
        .filter(|key| !unprocessed.contains(key))
        .map(|key| {
            let item = found.remove(&key);
            (key, item)
        })
        .collect())
}
