//! Domain events and the transactional outbox (DESIGN §4).
//!
//! A change to an entity and the event describing it are written in one
//! `TransactWriteItems`: the entity item plus an event item
//! (`pk = "EVENT#<id>"`, `type = "event"`, `expires_at` = now + 24 h). The
//! table's stream, filtered to `type = event`, carries the envelope on to
//! the queues. So no event is lost between the database and the queue, and
//! none exists for a change that did not commit.

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

/// Security events about sign-in sessions (platform events: they reach the
/// audit log like every other). `entity` is `session`; `entity_id` is the
/// session's id, except for [`SESSION_REVOKED`], which ends every session
/// of a user and names the user. `data.user_id` is always the user.
pub const SESSION_LOGIN: &str = "session.login";
pub const SESSION_LOGOUT: &str = "session.logout";
/// A spent refresh token came back: its session (token family) is revoked.
pub const SESSION_REFRESH_REUSED: &str = "session.refresh_reused";
/// Every session of a user ended with a deactivation (or reactivation),
/// a role change or a new password (`data.reason`).
pub const SESSION_REVOKED: &str = "session.revoked";

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
        }
    }

    /// Records a changed field as `[before, after]`.
    pub fn change(mut self, field: &str, before: impl Serialize, after: impl Serialize) -> Self {
        let pair = serde_json::json!([before, after]);
        self.changes.insert(field.to_owned(), pair);
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
}
