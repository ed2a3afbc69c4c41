//! The envelopes of a stream batch: the outbox items the table's stream
//! (filtered to event items) hands the router, in stream order.

use aws_lambda_events::event::dynamodb::Event as StreamEvent;

/// One envelope to forward, with the stream record it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    pub sequence_number: String,
    pub event_type: String,
    /// The envelope as committed.
    pub envelope: String,
}

impl Outgoing {
    /// Whether the event was reported by a client (`POST /api/v1/auditLogs`).
    pub fn is_client_event(&self) -> bool {
        self.event_type
            .starts_with(crate::events::CLIENT_EVENT_PREFIX)
    }

    /// The envelope id, for logs and the quarantine.
    pub(super) fn event_id(&self) -> Option<String> {
        let value: serde_json::Value = serde_json::from_str(&self.envelope).ok()?;
        value.get("id")?.as_str().map(str::to_owned)
    }
}

/// The envelopes in a stream batch, in stream order. Records that are not
/// event items (the mapping's filter should already have removed them) are
/// skipped.
pub fn envelopes(event: &StreamEvent) -> Vec<Outgoing> {
    let text = |item: &serde_dynamo::Item, name: &str| match item.get(name) {
        Some(serde_dynamo::AttributeValue::S(value)) => Some(value.clone()),
        _ => None,
    };
    event
        .records
        .iter()
        .filter_map(|record| {
            let image = &record.change.new_image;
            if text(image, "type").as_deref() != Some("event") {
                return None;
            }
            let sequence_number = record.change.sequence_number.clone().unwrap_or_default();
            let Some(envelope) = text(image, "envelope") else {
                tracing::error!(%sequence_number, "event item without an envelope; passed over");
                return None;
            };
            Some(Outgoing {
                sequence_number,
                event_type: text(image, "event_type").unwrap_or_default(),
                envelope,
            })
        })
        .collect()
}
