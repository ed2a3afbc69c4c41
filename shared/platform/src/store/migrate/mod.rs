//! Data migrations: rewriting the entity table's items from one format
//! (`schema`, [`super::Entity::SCHEMA`]) to the next, for
//! `opsflow-admin migrate`. A module registers each of its migrations
//! ([`crate::registry::Registry::migration`]); the runner scans the table a
//! page at a time and applies each item's [`Change`] as one conditional
//! `UpdateItem`.
//!
//! Invariants:
//! - Idempotent: a change applies only while the item is still as it was
//!   read — in the format `from_schema`, at the same `version`, with the
//!   attributes the change was computed from ([`Change::read`]) unchanged —
//!   and moves it to `to_schema`, so an item is never changed twice and a
//!   write made in the meantime is never overwritten: the item is read
//!   again and changed only if it still needs it.
//! - Resumable: after each page the scan's position is kept in the
//!   migration's own item (`MIGRATION#<id>`); the next run goes on from
//!   there, and a finished migration is not run again.
//! - A dry run writes nothing, its position included: it scans every item
//!   and counts what a run would change (nothing, for a finished one,
//!   which it does not scan).
//! - Only the changed attributes are written (never the whole item), the
//!   item's `version` is untouched, and no event is written: a migration
//!   changes a format, not what the entity says.

mod change;

pub use change::Change;

use super::keys::{migration_pk as progress_pk, MIGRATION_SK as PROGRESS_SK};
use super::{classify, s, Entity, Item, Keys, Store, StoreError, SCHEMA_ATTRIBUTE};
use aws_sdk_dynamodb::types::AttributeValue;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use time::OffsetDateTime;

/// One migration of the items of a module.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    /// Unique and never reused: `<module>-<nnnn>-<what>`, in the order
    /// they must run.
    pub id: &'static str,
    /// What it does, for `opsflow-admin migrate --list`.
    pub summary: &'static str,
    /// The change `item` needs, or `None`.
    pub change: fn(&Item) -> Option<Change>,
}

/// The format of an item: its `schema`, or 1 when it has none (written
/// before items carried one).
pub fn schema_of(item: &Item) -> u32 {
    match item.get(SCHEMA_ATTRIBUTE) {
        Some(AttributeValue::N(number)) => number.parse().unwrap_or(0),
        _ => 1,
    }
}

/// How a run goes.
#[derive(Debug, Clone, Copy)]
pub struct RunOptions {
    /// Count what would change; write nothing.
    pub dry_run: bool,
    /// Items per scanned page (each page is one `Scan`, then its writes).
    pub page_size: i32,
    /// Stop after this many pages (the next run goes on from there).
    pub max_pages: Option<u32>,
}

impl Default for RunOptions {
    fn default() -> Self {
        Self {
            dry_run: false,
            page_size: 100,
            max_pages: None,
        }
    }
}

/// Where a migration stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Not started.
    Pending,
    /// Started, not finished (stopped or interrupted): a run goes on.
    Running,
    Done,
}

/// A migration's progress, kept in its item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    pub id: String,
    pub status: Status,
    /// Items read, changed, already in the new format or not concerned,
    /// and changed by the platform while the migration ran (so not
    /// changed by it).
    pub scanned: u64,
    pub changed: u64,
    pub unchanged: u64,
    pub changed_meanwhile: u64,
    /// The scan's position after the last finished page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resume_pk: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resume_sk: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

impl Entity for Progress {
    const TYPE: &'static str = "migration";

    fn keys(&self) -> Keys {
        Keys::table(progress_pk(&self.id), PROGRESS_SK)
    }
}

impl Progress {
    fn new(id: &str, now: OffsetDateTime) -> Self {
        Self {
            id: id.to_owned(),
            status: Status::Pending,
            scanned: 0,
            changed: 0,
            unchanged: 0,
            changed_meanwhile: 0,
            resume_pk: None,
            resume_sk: None,
            updated_at: now,
        }
    }

    fn resume_key(&self) -> Option<HashMap<String, AttributeValue>> {
        let (pk, sk) = (self.resume_pk.as_ref()?, self.resume_sk.as_ref()?);
        Some(HashMap::from([("pk".into(), s(pk)), ("sk".into(), s(sk))]))
    }
}

/// The progress of `migration` on this table (pending if never run).
pub async fn progress(store: &Store, id: &str) -> Result<Progress, StoreError> {
    Ok(store
        .get::<Progress>(progress_pk(id), PROGRESS_SK)
        .await?
        .unwrap_or_else(|| Progress::new(id, crate::clock::now())))
}

/// Runs `migration` on the store's table as `options` say, from where
/// the last run stopped; its progress afterwards. A dry run of a migration
/// not done tells what a run from the start would do: `changed` counts the
/// items it would change, and the status is `Pending` once it saw every
/// item (`Running` if `max_pages` stopped it first); a change the
/// migration would refuse fails the dry run too. One run at a time: two at
/// once change nothing twice, but each keeps its own position.
pub async fn run(
    store: &Store,
    migration: &Migration,
    options: RunOptions,
) -> Result<Progress, StoreError> {
    let stored = progress(store, migration.id).await?;
    if stored.status == Status::Done {
        return Ok(stored);
    }
    let mut progress = if options.dry_run {
        Progress::new(migration.id, crate::clock::now())
    } else {
        stored
    };
    progress.status = Status::Running;
    let mut pages = 0;
    loop {
        if options.max_pages.is_some_and(|max| pages >= max) {
            break;
        }
        let page = store
            .client()
            .scan()
            .table_name(store.table())
            .consistent_read(true)
            .limit(options.page_size)
            .set_exclusive_start_key(progress.resume_key())
            .send()
            .await
            .map_err(|e| classify(e, "Scan"))?;
        for item in page.items() {
            progress.scanned += 1;
            match apply(store, migration, item.clone(), options.dry_run).await? {
                Applied::Changed => progress.changed += 1,
                Applied::NotNeeded => progress.unchanged += 1,
                Applied::ChangedMeanwhile => progress.changed_meanwhile += 1,
            }
        }
        pages += 1;
        let next = page.last_evaluated_key();
        progress.resume_pk = next.and_then(|k| k.get("pk")?.as_s().ok().cloned());
        progress.resume_sk = next.and_then(|k| k.get("sk")?.as_s().ok().cloned());
        if next.is_none() {
            progress.status = Status::Done;
        }
        progress.updated_at = crate::clock::now();
        if !options.dry_run {
            store
                .client()
                .put_item()
                .table_name(store.table())
                .set_item(Some(progress.item()?))
                .send()
                .await
                .map_err(|e| classify(e, "PutItem"))?;
        }
        if progress.status == Status::Done {
            break;
        }
    }
    if options.dry_run && progress.status == Status::Done {
        // Nothing was done: the dry run saw every item.
        progress.status = Status::Pending;
    }
    Ok(progress)
}

/// What became of one item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// Changed (in a dry run: would be).
    Changed,
    /// Needed no change.
    NotNeeded,
    /// Changed by someone else since it was read, and so needing no change
    /// any more (or deleted).
    ChangedMeanwhile,
}

/// Applies the change `item`, as read, needs; a write that finds the item
/// changed since it was read reads it again (a few times at most).
pub async fn apply(
    store: &Store,
    migration: &Migration,
    mut item: Item,
    dry_run: bool,
) -> Result<Applied, StoreError> {
    let mut raced = false;
    for _ in 0..3 {
        let Some(change) = (migration.change)(&item) else {
            return Ok(if raced {
                Applied::ChangedMeanwhile
            } else {
                Applied::NotNeeded
            });
        };
        change.check(migration.id)?;
        if dry_run {
            return Ok(Applied::Changed);
        }
        let (Some(pk), Some(sk)) = (text(&item, "pk"), text(&item, "sk")) else {
            return Ok(Applied::NotNeeded);
        };
        match change::update(store, &pk, &sk, &change, &item).await {
            Ok(()) => return Ok(Applied::Changed),
            Err(StoreError::ConditionFailed) => {
                raced = true;
                match store.get_item(pk, &sk).await? {
                    Some(now) => item = now,
                    None => return Ok(Applied::ChangedMeanwhile),
                }
            }
            Err(other) => return Err(other),
        }
    }
    Err(StoreError::Other(anyhow::anyhow!(
        "{}: an item kept changing under the migration",
        migration.id
    )))
}

fn text(item: &Item, name: &str) -> Option<String> {
    item.get(name)?.as_s().ok().cloned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::n;

    #[test]
    fn an_item_without_schema_is_format_one() {
        let mut item = Item::new();
        assert_eq!(schema_of(&item), 1);
        item.insert("schema".into(), n(3));
        assert_eq!(schema_of(&item), 3);
    }
}
