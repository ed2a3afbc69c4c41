//! The router's pure parts: which stream records it forwards, how it
//! batches messages, which queues take client events, and bodies made
//! valid for SQS.

use super::*;

#[test]
fn only_event_items_with_envelopes_are_forwarded_in_order() {
    let event: StreamEvent =
        serde_json::from_str(include_str!("../../../../events/event-router/stream.json"))
            .expect("the fixture is a stream event");
    let outgoing = envelopes(&event);
    let types: Vec<&str> = outgoing.iter().map(|o| o.event_type.as_str()).collect();
    assert_eq!(types, ["user.registered", "user.role_changed"]);
    assert!(outgoing.iter().all(|o| o.envelope.starts_with('{')));
    assert!(outgoing[0].sequence_number < outgoing[1].sequence_number);
}

fn message(index: usize, bytes: usize) -> Message {
    Message {
        index,
        body: "x".repeat(bytes),
        event_type: String::new(),
        delay_seconds: 0,
    }
}

#[test]
fn a_delayed_message_is_held_back_at_most_fifteen_minutes() {
    let delayed = message(0, 10).delayed(60);
    assert_eq!(delayed.entry(0).unwrap().delay_seconds(), Some(60));
    assert_eq!(message(0, 10).delayed(3600).delay_seconds, 900);
    assert_eq!(message(0, 10).entry(0).unwrap().delay_seconds(), None);
}

#[test]
fn batches_hold_at_most_ten_messages_and_256_kib() {
    let large_messages: Vec<Message> = (0..10).map(|i| message(i, 30 * 1024)).collect();
    let (large, too_large) = batches(&large_messages);
    assert!(too_large.is_empty());
    let sizes: Vec<usize> = large.iter().map(Vec::len).collect();
    assert_eq!(sizes, [8, 2], "ten 30 KiB envelopes do not fit one batch");
    let small_messages: Vec<Message> = (0..25).map(|i| message(i, 10)).collect();
    let (small, _) = batches(&small_messages);
    let sizes: Vec<usize> = small.iter().map(Vec::len).collect();
    assert_eq!(sizes, [10, 10, 5]);
    for batch in large.iter().chain(&small) {
        assert!(batch.iter().map(|m| m.size()).sum::<usize>() <= MAX_QUEUE_MESSAGE_BYTES);
    }
}

#[test]
fn a_message_over_the_limit_on_its_own_is_set_apart_in_order() {
    let messages = [
        message(0, 10),
        message(1, MAX_QUEUE_MESSAGE_BYTES + 1),
        message(2, 10),
    ];
    let (batches, too_large) = batches(&messages);
    assert_eq!(too_large.iter().map(|m| m.index).collect::<Vec<_>>(), [1]);
    let sent: Vec<usize> = batches.iter().flatten().map(|m| m.index).collect();
    assert_eq!(sent, [0, 2]);
}

#[test]
fn client_events_skip_platform_only_queues() {
    let client = Outgoing {
        sequence_number: "1".into(),
        event_type: "client.created".into(),
        envelope: "{}".into(),
    };
    let platform = Outgoing {
        event_type: "approval.created".into(),
        ..client.clone()
    };
    let automation = EventQueue::platform_events("automation");
    let audit = EventQueue::every_event("audit");
    assert!(!automation.takes(&client));
    assert!(automation.takes(&platform));
    assert!(audit.takes(&client) && audit.takes(&platform));
}

#[test]
fn bodies_and_attributes_are_made_valid_for_sqs() {
    let outgoing = Outgoing {
        sequence_number: "1".into(),
        event_type: "client.x\u{FFFF}".into(),
        envelope: "{\"name\":\"\u{FFFF}\"}".into(),
    };
    let message = Message::new(0, &outgoing);
    assert_eq!(message.body, "{\"name\":\"\\uffff\"}");
    assert_eq!(message.event_type, "client.x\\uffff");
}
