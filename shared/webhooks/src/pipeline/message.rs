//! What travels on the `webhooks` queue, and the body a receiver gets.
//!
//! Three kinds of message, told apart by their keys:
//! - an event envelope, from the event router (every event);
//! - a [`Notice`], from a rule's `notify_webhook` action (`topic`, `event`);
//! - an [`AttemptDue`] (`{"attempt": …}`), which the dispatcher sends itself:
//!   one per attempt of one delivery, delayed until it is due.

use crate::events::{Envelope, Notice};
use opsflow_platform::domain::EntityId;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use time::OffsetDateTime;

/// Attempt number `attempt` of a delivery, due at `due_at`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttemptDue {
    pub webhook_id: EntityId,
    pub delivery_id: EntityId,
    pub attempt: u32,
    #[serde(with = "time::serde::rfc3339")]
    pub due_at: OffsetDateTime,
}

impl AttemptDue {
    /// The queue message that carries it.
    pub fn body(&self) -> String {
        json!({ "attempt": self }).to_string()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    Event(Envelope),
    Notice(Notice),
    Attempt(AttemptDue),
}

impl Message {
    pub fn parse(body: &str) -> Result<Self, String> {
        let value: Value = serde_json::from_str(body).map_err(|e| format!("not JSON: {e}"))?;
        fn read(what: &'static str) -> impl Fn(serde_json::Error) -> String {
            move |e| format!("not {what}: {e}")
        }
        if let Some(attempt) = value.get("attempt") {
            let due = serde_json::from_value(attempt.clone()).map_err(read("an attempt"))?;
            Ok(Self::Attempt(due))
        } else if value.get("topic").is_some() {
            Ok(Self::Notice(
                serde_json::from_value(value).map_err(read("a notice"))?,
            ))
        } else {
            Ok(Self::Event(
                serde_json::from_value(value).map_err(read("an event"))?,
            ))
        }
    }
}

/// The JSON a receiver gets for `event` (under `topic`, for a notice):
/// `{"event", "data", "timestamp", "id"}` (and `"topic"`), where `id` is
/// also the `webhook-id` header.
pub fn payload(id: &EntityId, event: &Envelope, topic: Option<&str>) -> String {
    let mut body = json!({
        "id": id,
        "event": event.event_type,
        "timestamp": event.occurred_at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default(),
        "data": event.data,
    });
    if let Some(topic) = topic {
        body["topic"] = json!(topic);
    }
    body.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::{Actor, WebhookTopic};

    fn event() -> Envelope {
        Envelope::new(
            "approval.rejected",
            "approval",
            EntityId::new(),
            Actor::system(),
            "c-1",
            json!({"title": "Chairs"}),
        )
    }

    #[test]
    fn each_kind_of_message_is_told_by_its_keys() {
        let envelope = event();
        let text = serde_json::to_string(&envelope).unwrap();
        assert_eq!(
            Message::parse(&text).unwrap(),
            Message::Event(envelope.clone())
        );
        let notice = Notice {
            id: EntityId::new(),
            topic: WebhookTopic::parse("ops.alerts").unwrap(),
            event: envelope,
        };
        let text = serde_json::to_string(&notice).unwrap();
        assert_eq!(Message::parse(&text).unwrap(), Message::Notice(notice));
        let due = AttemptDue {
            webhook_id: EntityId::new(),
            delivery_id: EntityId::new(),
            attempt: 2,
            due_at: time::macros::datetime!(2026-12-04 10:00 UTC),
        };
        assert_eq!(Message::parse(&due.body()).unwrap(), Message::Attempt(due));
        assert!(Message::parse("{}")
            .unwrap_err()
            .starts_with("not an event"));
        assert!(Message::parse(r#"{"attempt": {"x": 1}}"#).is_err());
        assert!(Message::parse("[").unwrap_err().starts_with("not JSON"));
    }

    #[test]
    fn the_recorded_batch_holds_an_event_and_an_attempt() {
        let batch: Value = serde_json::from_str(include_str!(
            "../../../../events/webhook-dispatcher/sqs.json"
        ))
        .unwrap();
        let kinds: Vec<&str> = batch["Records"]
            .as_array()
            .unwrap()
            .iter()
            .map(
                |r| match Message::parse(r["body"].as_str().unwrap()).unwrap() {
                    Message::Event(_) => "event",
                    Message::Notice(_) => "notice",
                    Message::Attempt(_) => "attempt",
                },
            )
            .collect();
        assert_eq!(kinds, ["event", "attempt"]);
    }

    #[test]
    fn the_body_is_the_event_type_its_data_its_time_and_the_delivery_id() {
        let envelope = event();
        let body: Value = serde_json::from_str(&payload(&envelope.id, &envelope, None)).unwrap();
        assert_eq!(body["event"], "approval.rejected");
        assert_eq!(body["data"], json!({"title": "Chairs"}));
        assert_eq!(body["id"], envelope.id.to_string());
        let at = body["timestamp"].as_str().unwrap();
        assert!(OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339).is_ok());
        assert!(body.get("topic").is_none());
        let with_topic: Value =
            serde_json::from_str(&payload(&envelope.id, &envelope, Some("ops.alerts"))).unwrap();
        assert_eq!(with_topic["topic"], "ops.alerts");
    }
}
