//! Envelopes as SQS messages: bodies and attributes made valid for SQS
//! ([`queue_safe`]), sized as SQS counts them, and grouped into batches
//! that SQS accepts (at most ten entries and [`MAX_QUEUE_MESSAGE_BYTES`]).

use super::Outgoing;
use crate::events::{queue_safe, MAX_QUEUE_MESSAGE_BYTES};
use aws_sdk_sqs::types::{MessageAttributeValue, SendMessageBatchRequestEntry};

/// The longest delay SQS takes on a message: 15 minutes.
pub const MAX_DELAY_SECONDS: u32 = 900;

/// Entries per `SendMessageBatch` (the SQS maximum).
const BATCH_ENTRIES: usize = 10;

/// One message ready to send: its body and attribute, made valid for SQS.
pub(super) struct Message {
    pub(super) index: usize,
    pub(super) body: String,
    pub(super) event_type: String,
    /// Seconds SQS holds the message before delivering it (≤ 900).
    pub(super) delay_seconds: u32,
}

impl Message {
    pub(super) fn new(index: usize, outgoing: &Outgoing) -> Self {
        Self {
            index,
            body: queue_safe(&outgoing.envelope).into_owned(),
            event_type: queue_safe(&outgoing.event_type).into_owned(),
            delay_seconds: 0,
        }
    }

    /// The same message, delivered after `seconds` (at most SQS's 900).
    pub(super) fn delayed(&self, seconds: u32) -> Self {
        Self {
            index: self.index,
            body: self.body.clone(),
            event_type: self.event_type.clone(),
            delay_seconds: seconds.min(MAX_DELAY_SECONDS),
        }
    }

    /// Bytes SQS counts against the message and batch limits: the body and
    /// the attribute's name, type and value.
    pub(super) fn size(&self) -> usize {
        let attribute = if self.event_type.is_empty() {
            0
        } else {
            "event_type".len() + "String".len() + self.event_type.len()
        };
        self.body.len() + attribute
    }

    pub(super) fn entry(&self, id: usize) -> Option<SendMessageBatchRequestEntry> {
        let mut entry = SendMessageBatchRequestEntry::builder()
            .id(id.to_string())
            .message_body(&self.body);
        if self.delay_seconds > 0 {
            entry = entry.delay_seconds(i32::try_from(self.delay_seconds).unwrap_or(0));
        }
        if !self.event_type.is_empty() {
            if let Ok(attribute) = MessageAttributeValue::builder()
                .data_type("String")
                .string_value(&self.event_type)
                .build()
            {
                entry = entry.message_attributes("event_type", attribute);
            }
        }
        entry.build().ok()
    }
}

/// Groups messages into batches of at most ten entries and
/// [`MAX_QUEUE_MESSAGE_BYTES`]; a message over the limit on its own is
/// returned apart, as it can never be sent.
pub(super) fn batches<'m>(
    messages: impl IntoIterator<Item = &'m Message>,
) -> (Vec<Vec<&'m Message>>, Vec<&'m Message>) {
    let mut batches: Vec<Vec<&Message>> = Vec::new();
    let mut too_large = Vec::new();
    let mut current: Vec<&Message> = Vec::new();
    let mut bytes = 0;
    for message in messages {
        let size = message.size();
        if size > MAX_QUEUE_MESSAGE_BYTES {
            too_large.push(message);
            continue;
        }
        if current.len() == BATCH_ENTRIES || bytes + size > MAX_QUEUE_MESSAGE_BYTES {
            batches.push(std::mem::take(&mut current));
            bytes = 0;
        }
        bytes += size;
        current.push(message);
    }
    if !current.is_empty() {
        batches.push(current);
    }
    (batches, too_large)
}
