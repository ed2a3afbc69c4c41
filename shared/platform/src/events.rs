//! Domain events and the transactional outbox (DESIGN §4).
//!
//! A change to an entity and the event describing it are written in one
//! `TransactWriteItems`: the entity item plus an event item
//! (`pk = "EVENT#<id>"`, `type = "event"`, `expires_at` = now + 24 h). The
//! table's stream, filtered to `type = event`, carries the envelope on to
//! the queues. So no event is lost between the database and the queue, and
//! none exists for a change that did not commit.

pub mod names;
mod pattern;
mod schema;
mod topic;

pub use pattern::EventPattern;
pub use schema::{ENVELOPE_SCHEMA, NEWEST_ENVELOPE_SCHEMA_READ};
pub use topic::{Notice, WebhookTopic};

use crate::auth::Principal;
use crate::domain::EntityId;
use crate::store::{keys, to_item, Item, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use time::{Duration, OffsetDateTime};

/// How long an event item stays in the entity table after its write.
pub const OUTBOX_RETENTION: Duration = Duration::hours(24);
/// Automation stops at this depth, so rules cannot loop.
pub const MAX_DEPTH: u32 = 3;
/// The largest SQS message body, and the largest `SendMessageBatch`
/// (256 KiB; Amazon SQS quotas). The router sizes its batches by it.
pub const MAX_QUEUE_MESSAGE_BYTES: usize = 262_144;
/// The largest envelope the outbox accepts, measured as the router will
/// send it ([`queue_safe`]): a message's room less what its attributes
/// take. A change whose event would be larger is refused when it is
/// written (413), so every committed envelope fits a queue message.
pub const MAX_ENVELOPE_BYTES: usize = MAX_QUEUE_MESSAGE_BYTES - 2_048;

/// Whether SQS accepts `c` in a message body or attribute: `#x9 | #xA |
/// #xD | #x20–#xD7FF | #xE000–#xFFFD | #x10000–#x10FFFF`.
pub fn queue_accepts(c: char) -> bool {
    matches!(c, '\u{9}' | '\u{A}' | '\u{D}' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// `text` with every character SQS refuses written as a JSON `\uXXXX`
/// escape. Envelopes are JSON, whose structure is ASCII, so such a
/// character can only stand inside a string, where the escape means the
/// same character: the consumer parses back exactly what was committed.
/// (serde_json already escapes control characters; U+FFFE and U+FFFF are
/// the ones it writes as they are.)
pub fn queue_safe(text: &str) -> std::borrow::Cow<'_, str> {
    if text.chars().all(queue_accepts) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut safe = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if queue_accepts(c) {
            safe.push(c);
        } else {
            // Every refused character is in the Basic Multilingual Plane.
            safe.push_str(&format!("\\u{:04x}", c as u32));
        }
    }
    std::borrow::Cow::Owned(safe)
}

/// The type prefix of events a client reports about its own actions
/// (`POST /api/v1/auditLogs`): they are recorded in the audit log but are never
/// platform facts, so no rule runs on them.
pub const CLIENT_EVENT_PREFIX: &str = "client.";

/// Who caused an event: a user, or the platform itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    pub id: String,
    pub role: String,
}

impl Actor {
    pub fn system() -> Self {
        Self {
            id: "system".into(),
            role: "system".into(),
        }
    }
}

impl From<&Principal> for Actor {
    fn from(principal: &Principal) -> Self {
        Self {
            id: principal.user_id.to_string(),
            role: principal.role.to_string(),
        }
    }
}

/// The event envelope, as sent to the queues (SQS message body).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Envelope {
    pub id: EntityId,
    /// `<entity>.<verb>`, e.g. `user.registered`, `approval.approved`.
    #[serde(rename = "type")]
    pub event_type: String,
    pub entity: String,
    pub entity_id: String,
    pub actor: Actor,
    #[serde(with = "time::serde::rfc3339")]
    pub occurred_at: OffsetDateTime,
    pub correlation_id: String,
    pub depth: u32,
    /// The entity after the change (never secrets such as password hashes).
    pub data: Value,
    /// Changed fields: `{"field": [before, after]}`.
    pub changes: Map<String, Value>,
    /// The envelope's format, [`ENVELOPE_SCHEMA`] when written; not
    /// written while it is 1 (see `schema`).
    #[serde(
        default = "schema::first",
        skip_serializing_if = "schema::is_first",
        deserialize_with = "schema::known"
    )]
    pub schema: u32,
}

impl Envelope {
    pub fn new(
        event_type: impl Into<String>,
        entity: impl Into<String>,
        entity_id: impl ToString,
        actor: Actor,
        correlation_id: impl Into<String>,
        data: Value,
    ) -> Self {
        Self {
            id: EntityId::new(),
            event_type: event_type.into(),
            entity: entity.into(),
            entity_id: entity_id.to_string(),
            actor,
            occurred_at: crate::clock::now(),
            correlation_id: correlation_id.into(),
            depth: 0,
            data,
            changes: Map::new(),
            schema: ENVELOPE_SCHEMA,
        }
    }

    /// Whether this is a client's report about its own action
    /// (`client.…`), which is recorded but is never a platform fact.
    pub fn is_client_report(&self) -> bool {
        self.event_type.starts_with(CLIENT_EVENT_PREFIX)
    }

    /// Records a changed field as `[before, after]`.
    pub fn change(mut self, field: &str, before: impl Serialize, after: impl Serialize) -> Self {
        let pair = serde_json::json!([before, after]);
        self.changes.insert(field.to_owned(), pair);
        self
    }

    /// Records each of `fields` whose value differs between the views
    /// `before` and `after` of an entity ([`Envelope::change`]).
    pub fn changes_between(mut self, before: &Value, after: &Value, fields: &[&str]) -> Self {
        for field in fields {
            let (old, new) = (&before[*field], &after[*field]);
            if old != new {
                self = self.change(field, old, new);
            }
        }
        self
    }
}

/// The outbox item of an event. The envelope is kept as its exact JSON
/// text (`envelope`), so what reaches the queue is byte-for-byte what the
/// writer committed.
#[derive(Debug, Serialize, Deserialize)]
pub struct OutboxItem {
    pub pk: String,
    pub sk: String,
    #[serde(rename = "type")]
    pub item_type: String,
    pub event_type: String,
    pub envelope: String,
    pub expires_at: i64,
}

impl OutboxItem {
    pub fn new(envelope: &Envelope) -> Result<Self, StoreError> {
        let text = serde_json::to_string(envelope).map_err(|e| StoreError::Other(e.into()))?;
        let bytes = queue_safe(&text).len();
        if bytes > MAX_ENVELOPE_BYTES {
            return Err(StoreError::EventTooLarge { bytes });
        }
        Ok(Self {
            pk: keys::event_pk(&envelope.id),
            sk: keys::EVENT_SK.into(),
            item_type: "event".into(),
            event_type: envelope.event_type.clone(),
            envelope: text,
            expires_at: (envelope.occurred_at + OUTBOX_RETENTION).unix_timestamp(),
        })
    }

    pub fn to_item(&self) -> Result<Item, StoreError> {
        to_item(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelopes_round_trip_through_the_outbox_item() {
        let envelope = Envelope::new(
            "user.role_changed",
            "user",
            "u-1",
            Actor::system(),
            "corr-1",
            serde_json::json!({"id": "u-1"}),
        )
        .change("role", "user", "approver");
        let item = OutboxItem::new(&envelope).unwrap();
        assert_eq!(item.item_type, "event");
        assert_eq!(item.pk, format!("EVENT#{}", envelope.id));
        assert_eq!(
            item.expires_at - envelope.occurred_at.unix_timestamp(),
            24 * 3600
        );
        let back: Envelope = serde_json::from_str(&item.envelope).unwrap();
        assert_eq!(back, envelope);
        assert_eq!(
            back.changes["role"],
            serde_json::json!(["user", "approver"])
        );
    }

    #[test]
    fn an_envelope_of_the_first_format_reads_and_writes_without_schema() {
        let envelope = Envelope::new(
            "item.created",
            "item",
            "i-1",
            Actor::system(),
            "corr-1",
            serde_json::json!({}),
        );
        assert_eq!(envelope.schema, 1);
        let mut json = serde_json::to_value(&envelope).unwrap();
        assert!(json.get("schema").is_none(), "{json}");
        // What a release from before formats wrote, and one that names it.
        assert_eq!(
            serde_json::from_value::<Envelope>(json.clone())
                .unwrap()
                .schema,
            1
        );
        json["schema"] = serde_json::json!(1);
        assert_eq!(
            serde_json::from_value::<Envelope>(json.clone()).unwrap(),
            envelope
        );
        // A format this release does not know is refused, never misread.
        for unknown in [0, NEWEST_ENVELOPE_SCHEMA_READ + 1] {
            json["schema"] = serde_json::json!(unknown);
            let error = serde_json::from_value::<Envelope>(json.clone()).unwrap_err();
            assert!(error.to_string().contains("schema"), "{error}");
        }
    }

    #[test]
    fn characters_sqs_refuses_are_escaped_and_parse_back_unchanged() {
        let name = "a\u{FFFF}b\u{FFFE}c\u{1F600}\u{7}";
        let text = serde_json::to_string(&serde_json::json!({ "name": name })).unwrap();
        assert!(
            !text.chars().all(queue_accepts),
            "serde_json keeps U+FFFF raw"
        );
        let safe = queue_safe(&text);
        assert!(safe.chars().all(queue_accepts));
        assert!(safe.contains("\\uffff") && safe.contains("\\ufffe"));
        let back: Value = serde_json::from_str(&safe).unwrap();
        assert_eq!(back["name"], name);
        let plain = r#"{"name":"Grace"}"#;
        assert!(matches!(queue_safe(plain), std::borrow::Cow::Borrowed(_)));
    }

    #[test]
    fn an_envelope_too_large_for_a_queue_message_is_refused_at_write_time() {
        let big = "x".repeat(MAX_ENVELOPE_BYTES);
        let envelope = Envelope::new(
            "approval.created",
            "approval",
            "a-1",
            Actor::system(),
            "corr-1",
            serde_json::json!({ "description": big }),
        );
        assert!(matches!(
            OutboxItem::new(&envelope),
            Err(StoreError::EventTooLarge { .. })
        ));
    }
}
