//! The tables a test runs on and what it reads back from them: every
//! table is fresh and uniquely named on DynamoDB Local, and every read is
//! a consistent scan, so a test sees all it wrote and nothing of another
//! test's.

use super::{sdk_config, TestEnv};
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;
use opsflow_platform::domain::EntityId;
use serde_json::Value;
use std::collections::HashMap;

/// A stored item, attribute by attribute.
pub type Item = HashMap<String, AttributeValue>;

/// What a test is told when it cannot make its table.
pub const EMULATOR_DOWN: &str = "DynamoDB Local must be running: run `make emulators`";

/// An emulator client and a fresh table name starting with `prefix` (the
/// caller creates the table).
pub async fn fresh_table(prefix: &str) -> (aws_config::SdkConfig, Client, String) {
    let sdk = sdk_config().await;
    let client = Client::new(&sdk);
    (sdk, client, format!("{prefix}-{}", EntityId::new()))
}

/// Every item of `table`, read consistently.
pub async fn scan(client: &Client, table: &str) -> Vec<Item> {
    let output = client
        .scan()
        .table_name(table)
        .consistent_read(true)
        .send()
        .await
        .expect("a scan of the test's table");
    output.items.unwrap_or_default()
}

/// The `type` attribute of a stored item (`user`, `event`, ...).
pub fn item_type(item: &Item) -> Option<&str> {
    item.get("type")
        .and_then(|t| t.as_s().ok())
        .map(String::as_str)
}

impl TestEnv {
    /// Every item of the table (tests only: checking nothing was written).
    pub async fn all_items(&self) -> Vec<Item> {
        scan(&self.client, &self.table).await
    }

    /// The items of the table whose `type` is `kind`.
    pub async fn items_of_type(&self, kind: &str) -> Vec<Item> {
        let mut items = self.all_items().await;
        items.retain(|item| item_type(item) == Some(kind));
        items
    }

    /// The outbox events in the table, as envelopes.
    pub async fn events(&self) -> Vec<Value> {
        self.items_of_type("event")
            .await
            .into_iter()
            .map(|item| {
                let text = item["envelope"].as_s().unwrap();
                serde_json::from_str(text).unwrap()
            })
            .collect()
    }

    /// The outbox events of type `event_type`, as envelopes.
    pub async fn events_of_type(&self, event_type: &str) -> Vec<Value> {
        let mut events = self.events().await;
        events.retain(|e| e["type"] == event_type);
        events
    }
}
