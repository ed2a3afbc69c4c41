//! The audit log table (`opsflow-audit-<env>`): one immutable record per
//! event, written only by the `audit-writer` function and read by the
//! `audit-logs` function.
//!
//! Keys (all sort keys are `<sortable time>#<event id>`, so newest-first
//! is a descending query and a time window is a `BETWEEN` on the sort key):
//!
//! | records …                    | key                                | index  |
//! |------------------------------|------------------------------------|--------|
//! | about one entity             | `pk = ENTITY#<entity>#<entity_id>` | table  |
//! | by one actor                 | `gsi1pk = ACTOR#<user_id>`         | `gsi1` |
//! | of one action                | `gsi2pk = ACTION#<action>`         | `gsi2` |
//! | about one kind of entity     | `gsi3pk = ENTITY#<entity>`         | `gsi3` |
//! | all, one day at a time       | `gsi4pk = DAY#<yyyy-mm-dd>`        | `gsi4` |
//! | one, by its id               | `gsi5pk = RECORD#<event id>`       | `gsi5` |
//!
//! Reads are in `audit/query.rs` (which key serves which filters); what a
//! key may contain is in `audit/names.rs`.
//!
//! `details` (the event's changes, or what a client reported) is stored
//! as its JSON text, a string attribute: any valid JSON fits, whatever its
//! numbers (`1e300` is beyond DynamoDB's number range) or its nesting
//! (DynamoDB refuses more than 32 levels), so no event's details can stop
//! its record from being written. Records written before kept `details`
//! as a map; both read back as the same JSON.
//!
//! Invariant: a record's keys follow from its event alone, and it is
//! written with `attribute_not_exists(pk)`, so delivering an event twice
//! writes one record. Nothing updates or deletes a record.

/// The vocabulary of audit keys is the events' own (the kernel's).
mod names {
    pub use opsflow_platform::events::names::*;
}
mod query;

pub use names::{ActionName, AuditId, ClientAction, EntityKind, CLIENT_ACTION_PREFIX};
pub use query::{AuditFilter, AuditQuery, AuditQueryStore, DEFAULT_WINDOW, MAX_ROUND_TRIPS};

use super::{Entity, Keys, Store, StoreError, StoreFuture};
use crate::clock;
use crate::events::Envelope;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Where an audit record came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AuditSource {
    /// A change committed by the platform (through the outbox).
    Platform,
    /// An action a client reported about itself.
    Client,
}

impl AuditSource {
    /// The source of an event's record: the `client.` actions are what
    /// clients reported (`POST /api/v1/auditLogs`); everything else is the
    /// platform's.
    pub fn of(event: &Envelope) -> Self {
        if event.event_type.starts_with(CLIENT_ACTION_PREFIX) {
            Self::Client
        } else {
            Self::Platform
        }
    }
}

/// `pk`: the records about one entity.
pub fn entity_pk(entity: &str, entity_id: &str) -> String {
    format!("ENTITY#{entity}#{entity_id}")
}

/// `gsi1pk`: the records of one actor.
pub fn actor_pk(user_id: &str) -> String {
    format!("ACTOR#{user_id}")
}

/// `gsi2pk`: the records of one action.
pub fn action_pk(action: &str) -> String {
    format!("ACTION#{action}")
}

/// `gsi3pk`: the records about one kind of entity.
pub fn kind_pk(entity: &str) -> String {
    format!("ENTITY#{entity}")
}

/// `gsi5pk`: the record of event `id`.
pub fn record_pk(id: &str) -> String {
    format!("RECORD#{id}")
}

/// `gsi4pk`: the records of one UTC day; `day` is `yyyy-mm-dd`.
pub fn day_pk(day: &str) -> String {
    format!("DAY#{day}")
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditRecord {
    /// The event's id.
    pub id: String,
    pub entity: String,
    pub entity_id: String,
    /// The event type, e.g. `user.role_changed`.
    pub action: String,
    pub user_id: String,
    pub user_role: String,
    /// The changes, `{"field": [before, after]}`; stored as JSON text.
    #[serde(with = "details_text")]
    pub details: Value,
    /// When the change happened (RFC 3339, milliseconds).
    pub timestamp: String,
    pub correlation_id: String,
    pub source: AuditSource,
}

impl AuditRecord {
    pub fn from_event(event: &Envelope, source: AuditSource) -> Self {
        Self {
            id: event.id.to_string(),
            entity: event.entity.clone(),
            entity_id: event.entity_id.clone(),
            action: event.event_type.clone(),
            user_id: event.actor.id.clone(),
            user_role: event.actor.role.clone(),
            details: Value::Object(event.changes.clone()),
            timestamp: clock::sortable(event.occurred_at),
            correlation_id: event.correlation_id.clone(),
            source,
        }
    }
}

/// Every key sorts by `<timestamp>#<event id>`, all of them taken from the
/// event the record is about.
impl Entity for AuditRecord {
    const TYPE: &'static str = "audit";

    fn keys(&self) -> Keys {
        let order = format!("{}#{}", self.timestamp, self.id);
        Keys::table(entity_pk(&self.entity, &self.entity_id), order.clone())
            .gsi1(actor_pk(&self.user_id), order.clone())
            .gsi2(action_pk(&self.action), order.clone())
            .gsi(3, kind_pk(&self.entity), order.clone())
            .gsi(4, day_pk(&self.timestamp[..10]), order.clone())
            .gsi(5, record_pk(&self.id), order)
    }
}

/// `details` as a string attribute holding its JSON text. Reading also
/// takes the map that records written before this held: a stored string
/// is always JSON text written here (details are an object, never a
/// string), so the two cannot be confused.
mod details_text {
    use serde::de::Error as _;
    use serde::{Deserialize, Deserializer, Serializer};
    use serde_json::Value;

    pub fn serialize<S: Serializer>(details: &Value, serializer: S) -> Result<S::Ok, S::Error> {
        let text = serde_json::to_string(details).map_err(serde::ser::Error::custom)?;
        serializer.serialize_str(&text)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Value, D::Error> {
        match Value::deserialize(deserializer)? {
            Value::String(text) => serde_json::from_str(&text).map_err(D::Error::custom),
            stored_as_map => Ok(stored_as_map),
        }
    }
}

pub use opsflow_platform::store::Written;

/// The access patterns of this file, as methods of the kernel's [`Store`].
pub trait AuditStore {
    /// Writes an audit record once; a second delivery of its event is a
    /// no-op.
    fn put_audit_record(&self, record: &AuditRecord) -> impl StoreFuture<Written>;
}

impl AuditStore for Store {
    #[tracing::instrument(skip_all, fields(event_id = %record.id))]
    async fn put_audit_record(&self, record: &AuditRecord) -> Result<Written, StoreError> {
        self.put_once(record.item()?).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::Actor;
    use crate::store::{from_item, to_item};
    use aws_sdk_dynamodb::types::AttributeValue;
    use serde_json::json;

    #[test]
    fn records_are_keyed_by_their_event_alone() {
        let event = Envelope::new(
            "user.role_changed",
            "user",
            "u-1",
            Actor {
                id: "admin-1".into(),
                role: "admin".into(),
            },
            "corr-9",
            serde_json::json!({}),
        )
        .change("role", "user", "approver");
        let record = AuditRecord::from_event(&event, AuditSource::Platform);
        assert_eq!(
            record,
            AuditRecord::from_event(&event, AuditSource::Platform)
        );
        let item = record.item().unwrap();
        let attribute = |name: &str| item[name].as_s().unwrap().clone();
        let order = format!("{}#{}", record.timestamp, event.id);
        assert_eq!(attribute("type"), "audit");
        assert_eq!(attribute("pk"), "ENTITY#user#u-1");
        assert_eq!(attribute("sk"), order);
        assert_eq!(attribute("gsi1pk"), "ACTOR#admin-1");
        assert_eq!(attribute("gsi2pk"), "ACTION#user.role_changed");
        assert_eq!(attribute("gsi3pk"), "ENTITY#user");
        assert_eq!(
            attribute("gsi4pk"),
            format!("DAY#{}", &record.timestamp[..10])
        );
        assert_eq!(attribute("gsi5pk"), format!("RECORD#{}", event.id));
        for index in 1..=5 {
            assert_eq!(attribute(&format!("gsi{index}sk")), order, "gsi{index}");
        }
        assert_eq!(
            record.details["role"],
            serde_json::json!(["user", "approver"])
        );
    }

    fn deep(levels: usize) -> Value {
        (0..levels).fold(json!(1e300), |inner, _| json!({ "in": inner }))
    }

    #[test]
    fn details_are_stored_as_json_text_and_read_back_whatever_they_hold() {
        let mut event = Envelope::new(
            "client.report.exported",
            "user",
            "u-1",
            Actor::system(),
            "corr-1",
            Value::Null,
        );
        event.changes.insert("deep".into(), deep(40));
        event.changes.insert("huge".into(), json!(-1e300));
        let record = AuditRecord::from_event(&event, AuditSource::Client);
        let item = to_item(&record).unwrap();
        let Some(AttributeValue::S(text)) = item.get("details") else {
            panic!("details are a string attribute: {:?}", item.get("details"));
        };
        assert_eq!(serde_json::from_str::<Value>(text).unwrap(), record.details);
        let read: AuditRecord = from_item(item).unwrap();
        assert_eq!(read, record);
        assert_eq!(read.details["huge"], json!(-1e300));
    }

    #[test]
    fn records_stored_with_details_as_a_map_still_read() {
        let event = Envelope::new(
            "user.role_changed",
            "user",
            "u-1",
            Actor::system(),
            "corr-1",
            Value::Null,
        )
        .change("role", "user", "approver");
        let record = AuditRecord::from_event(&event, AuditSource::Platform);
        let mut item = to_item(&record).unwrap();
        let as_map: AttributeValue = serde_dynamo::to_attribute_value(&record.details).unwrap();
        assert!(matches!(as_map, AttributeValue::M(_)));
        item.insert("details".into(), as_map);
        let read: AuditRecord = from_item(item).unwrap();
        assert_eq!(read.details, json!({"role": ["user", "approver"]}));
    }

    #[test]
    fn only_client_actions_are_client_records() {
        let event = |event_type: &str| {
            Envelope::new(
                event_type,
                "report",
                "r-1",
                Actor::system(),
                "corr-1",
                serde_json::Value::Null,
            )
        };
        assert_eq!(
            AuditSource::of(&event("client.report.exported")),
            AuditSource::Client
        );
        assert_eq!(
            AuditSource::of(&event("user.registered")),
            AuditSource::Platform
        );
        assert_eq!(
            AuditSource::of(&event("clientele.updated")),
            AuditSource::Platform
        );
    }
}
