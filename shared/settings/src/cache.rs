//! Settings as the functions that act on them read them: every setting,
//! read in one go and kept for [`TTL`] in the process, so a warm function
//! reads the table once a minute at most, and a change applies everywhere
//! within a minute (a cold start reads it at once). A failed read serves
//! the values last read, or the defaults before any: a setting never
//! stops the work that consults it.

use crate::domain::DEFINITIONS;
use crate::store::Store;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long values are kept before they are read again.
pub const TTL: Duration = Duration::from_secs(60);

/// Every setting's value, read at most once per [`TTL`].
#[derive(Debug)]
pub struct SettingsCache {
    ttl: Duration,
    read: Mutex<Option<(Instant, HashMap<&'static str, Value>)>>,
}

impl Default for SettingsCache {
    fn default() -> Self {
        Self::new(TTL)
    }
}

impl SettingsCache {
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            read: Mutex::new(None),
        }
    }

    /// The value of `key` (a defined key; `Null` for any other).
    pub async fn value(&self, store: &Store, key: &str) -> Value {
        if let Some(value) = self.fresh(key) {
            return value;
        }
        match crate::service::all(store).await {
            Ok(settings) => {
                let values: HashMap<&'static str, Value> = settings
                    .iter()
                    .map(|(definition, record)| {
                        let value = record
                            .as_ref()
                            .map(|r| r.value())
                            .unwrap_or_else(|| definition.default.value());
                        (definition.key, value)
                    })
                    .collect();
                let value = values.get(key).cloned().unwrap_or(Value::Null);
                if let Ok(mut read) = self.read.lock() {
                    *read = Some((Instant::now(), values));
                }
                value
            }
            Err(error) => {
                tracing::warn!(%error, key, "settings unreadable; serving the last values read");
                self.stale(key)
            }
        }
    }

    /// The value read less than a TTL ago, if any.
    fn fresh(&self, key: &str) -> Option<Value> {
        let read = self.read.lock().ok()?;
        let (at, values) = read.as_ref()?;
        (at.elapsed() < self.ttl).then(|| values.get(key).cloned().unwrap_or(Value::Null))
    }

    /// The value last read, or the default.
    fn stale(&self, key: &str) -> Value {
        let last = self.read.lock().ok().and_then(|read| {
            read.as_ref()
                .and_then(|(_, values)| values.get(key).cloned())
        });
        last.or_else(|| {
            DEFINITIONS
                .iter()
                .find(|d| d.key == key)
                .map(|d| d.default.value())
        })
        .unwrap_or(Value::Null)
    }
}
