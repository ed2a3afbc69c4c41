//! A batch's messages grouped by the entity their event is about, so that
//! the runner runs one entity's events in the order they arrived and the
//! others side by side.

use crate::events::Envelope;
use aws_lambda_events::event::sqs::SqsMessage;

/// A message with its position in the batch, and its envelope or why it
/// is not one.
pub(super) type Positioned<'m> = (usize, &'m SqsMessage, Result<Envelope, String>);

/// The batch's messages grouped by the entity their event is about, each
/// group in arrival order, the groups in the order of their first
/// message. A message that is not an envelope is a group of its own.
pub(super) fn in_order_groups(messages: &[SqsMessage]) -> Vec<Vec<Positioned<'_>>> {
    let mut groups: Vec<Vec<Positioned<'_>>> = Vec::new();
    let mut keys: Vec<Option<(String, String)>> = Vec::new();
    for (position, message) in messages.iter().enumerate() {
        let body = message.body.as_deref().unwrap_or_default();
        let envelope = serde_json::from_str::<Envelope>(body)
            .map_err(|error| format!("not an event envelope: {error}"));
        let key = envelope
            .as_ref()
            .ok()
            .map(|e| (e.entity.clone(), e.entity_id.clone()));
        let group = key
            .as_ref()
            .and_then(|key| keys.iter().position(|k| k.as_ref() == Some(key)));
        match group {
            Some(index) => groups[index].push((position, message, envelope)),
            None => {
                keys.push(key);
                groups.push(vec![(position, message, envelope)]);
            }
        }
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::Actor;

    fn message(body: String) -> SqsMessage {
        let mut message = SqsMessage::default();
        message.body = Some(body);
        message
    }

    fn about(entity_id: &str) -> SqsMessage {
        let event = Envelope::new(
            "approval.created",
            "approval",
            entity_id,
            Actor::system(),
            "corr-1",
            serde_json::Value::Null,
        );
        message(serde_json::to_string(&event).unwrap_or_default())
    }

    #[test]
    fn a_batch_is_grouped_by_entity_in_arrival_order() {
        let messages = [
            about("a"),
            about("b"),
            message("not an envelope".into()),
            about("a"),
            message("nor this".into()),
            about("b"),
            about("c"),
        ];
        let groups: Vec<Vec<usize>> = in_order_groups(&messages)
            .iter()
            .map(|group| group.iter().map(|(position, ..)| *position).collect())
            .collect();
        assert_eq!(groups, [vec![0, 3], vec![1, 5], vec![2], vec![4], vec![6]]);
    }
}
