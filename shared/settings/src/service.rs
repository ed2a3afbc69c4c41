//! The settings module's use cases: read them (defaults filled in) and set
//! one, the only writer, with its `setting.updated` event.

use crate::domain::{definition, Definition, DEFINITIONS};
use crate::events::{self, Actor, Envelope};
use crate::store::{SettingRecord, SettingStore, Store, StoreError};
use crate::view::setting_data;
use opsflow_platform::auth::Principal;
use opsflow_platform::clock;
use opsflow_platform::error::ApiError;
use serde_json::Value;

/// Why a settings use case did not happen.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// 404: no setting has this key.
    #[error("no such setting")]
    NotFound,
    /// 422: the value does not have the key's type.
    #[error("value: {0}")]
    Invalid(String),
    /// 409: the setting changed since it was read.
    #[error("the setting was changed concurrently; reload and retry")]
    Stale,
    /// The store failed (its own status: 409, 503 or 500).
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<SettingsError> for ApiError {
    fn from(error: SettingsError) -> Self {
        match error {
            SettingsError::NotFound => ApiError::NotFound(error.to_string()),
            SettingsError::Invalid(message) => ApiError::invalid_field("value", message),
            SettingsError::Stale => ApiError::Conflict(error.to_string()),
            SettingsError::Store(error) => error.into(),
        }
    }
}

/// A setting: its definition and, once set, its record.
pub type Setting = (&'static Definition, Option<SettingRecord>);

/// Every setting, in the definitions' order.
pub async fn all(store: &Store) -> Result<Vec<Setting>, SettingsError> {
    let mut stored = store.settings().await?;
    Ok(DEFINITIONS
        .iter()
        .map(|definition| {
            let record = stored
                .iter()
                .position(|r| r.key == definition.key)
                .map(|at| stored.swap_remove(at));
            (definition, record)
        })
        .collect())
}

/// Setting `key`.
pub async fn one(store: &Store, key: &str) -> Result<Setting, SettingsError> {
    let definition = definition(key).ok_or(SettingsError::NotFound)?;
    Ok((definition, store.setting(key).await?))
}

/// Sets `setting` (as it was read) to `value`, checked against its type,
/// if it is still at the version read; returns it after.
pub async fn set(
    store: &Store,
    principal: &Principal,
    correlation_id: &str,
    setting: &Setting,
    value: &Value,
) -> Result<SettingRecord, SettingsError> {
    let (definition, before) = setting;
    let value = definition.check(value).map_err(SettingsError::Invalid)?;
    let expected = before.as_ref().map_or(0, |r| r.version);
    let after = SettingRecord::new(
        definition.key,
        &value,
        principal.user_id,
        clock::now(),
        expected + 1,
    );
    let old = before
        .as_ref()
        .map_or_else(|| definition.default.value(), SettingRecord::value);
    let event = Envelope::new(
        events::SETTING_UPDATED,
        events::SETTING,
        definition.key,
        Actor::from(principal),
        correlation_id,
        setting_data(definition, Some(&after)),
    )
    .change("value", old, &value);
    match store.put_setting(&after, expected, &event).await {
        Err(StoreError::ConditionFailed) => Err(SettingsError::Stale),
        Err(other) => Err(other.into()),
        Ok(()) => Ok(after),
    }
}
