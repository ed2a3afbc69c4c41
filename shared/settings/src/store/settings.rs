//! Settings an admin has set (a key never set has no item: its default
//! applies).
//!
//! Access patterns:
//! - one setting: `GetItem pk=SETTING#<key>, sk=SETTING`
//! - every setting: `BatchGetItem` of the defined keys (a handful; no
//!   `Query`, no `Scan`)
//! - set one: `TransactWriteItems` of the item, on the condition that it
//!   is still at the version read (absent for version 0), and its event

use super::{keys, Entity, Keys, Store, StoreError, StoreFuture};
use crate::domain::DEFINITIONS;
use crate::events::Envelope;
use opsflow_platform::domain::EntityId;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SettingRecord {
    pub key: String,
    /// The value as JSON text: keys have different types, and the text
    /// keeps each as it was checked.
    value: String,
    pub updated_by: EntityId,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    pub version: u64,
}

impl SettingRecord {
    pub fn new(
        key: &str,
        value: &Value,
        updated_by: EntityId,
        updated_at: OffsetDateTime,
        version: u64,
    ) -> Self {
        Self {
            key: key.to_owned(),
            value: value.to_string(),
            updated_by,
            updated_at,
            version,
        }
    }

    /// The stored value (`null` if the text no longer parses, which only a
    /// hand edit of the table can cause).
    pub fn value(&self) -> Value {
        serde_json::from_str(&self.value).unwrap_or(Value::Null)
    }
}

impl Entity for SettingRecord {
    const TYPE: &'static str = "setting";

    fn keys(&self) -> Keys {
        Keys::table(keys::setting_pk(&self.key), keys::SETTING_SK)
    }
}

/// The access patterns of this file, as methods of the kernel's [`Store`].
pub trait SettingStore {
    fn setting(&self, key: &str) -> impl StoreFuture<Option<SettingRecord>>;

    /// Every setting that has been set, in any order.
    fn settings(&self) -> impl StoreFuture<Vec<SettingRecord>>;

    /// Stores `record` (its version one more than `expected`), if the
    /// stored one is still at `expected` (0: never set); else
    /// `ConditionFailed`.
    fn put_setting(
        &self,
        record: &SettingRecord,
        expected: u64,
        event: &Envelope,
    ) -> impl StoreFuture<()>;
}

impl SettingStore for Store {
    async fn setting(&self, key: &str) -> Result<Option<SettingRecord>, StoreError> {
        self.get(keys::setting_pk(key), keys::SETTING_SK).await
    }

    async fn settings(&self) -> Result<Vec<SettingRecord>, StoreError> {
        let wanted = DEFINITIONS
            .iter()
            .map(|d| (keys::setting_pk(d.key), keys::SETTING_SK.to_owned()))
            .collect();
        self.batch_get(wanted)
            .await?
            .into_iter()
            .map(super::from_item)
            .collect()
    }

    async fn put_setting(
        &self,
        record: &SettingRecord,
        expected: u64,
        event: &Envelope,
    ) -> Result<(), StoreError> {
        if expected == 0 {
            self.insert_with_event(record.item()?, event).await
        } else {
            self.replace_versioned(record.item()?, expected, Vec::new(), Some(event))
                .await
        }
    }
}
