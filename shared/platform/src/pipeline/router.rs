//! `event-router`: sends each outbox envelope from the table's stream to
//! every event queue that takes it.
//!
//! Invariants:
//! - **Nothing committed is skipped.** An envelope that could not reach a
//!   queue for a passing reason (throttling, an outage, a missing queue) is
//!   reported as the batch's first failed record, so Lambda retries from
//!   there; a queue may then see an envelope twice (consumers are
//!   idempotent on its id).
//! - **Nothing stalls the stream.** What SQS refuses for good (a sender
//!   fault such as `InvalidMessageContents`, a message too long) is never
//!   retried: the envelope is parked in the router's quarantine queue, with
//!   the reason and its exact text, and the stream moves on. Bodies are made
//!   valid for SQS before they are sent ([`queue_safe`]), and batches are
//!   sized by bytes as well as by count, so neither is a reason in practice.
//! - **Lanes take what their module asks for, when it is due.** A module's
//!   [`QueueLane`](crate::registry::QueueLane) (the jobs queues) takes the
//!   platform events it picks, each delayed as its envelope says (at most
//!   15 minutes: SQS's limit; the consumer waits out the rest itself).
//! - **Client events are audit-only.** `client.*` events (what callers
//!   report through `POST /api/v1/auditLogs`) never reach a queue marked
//!   [`EventQueue::platform_only`], the automation queue: a caller cannot
//!   make rules act by describing an event.
//!
//! An event item whose envelope is missing is logged and passed over, as
//! no retry can mend it.

use crate::events::{queue_safe, MAX_QUEUE_MESSAGE_BYTES};
use aws_lambda_events::event::dynamodb::Event as StreamEvent;
use aws_lambda_events::event::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use aws_sdk_sqs::error::ProvideErrorMetadata;
use aws_sdk_sqs::types::SendMessageBatchRequestEntry;
use base64::Engine;
use std::time::Duration;

mod message;
mod outgoing;
use message::{batches, Message};
pub use outgoing::{envelopes, Outgoing};

/// Attempts per batch before a record is reported as failed. Public so
/// that fault tests can refuse an envelope more often than this and so
/// reach the stream mapping's retry.
pub const SEND_ATTEMPTS: u32 = 3;
/// Error codes with which SQS refuses a request for its contents, so that
/// sending it again can never succeed.
const CONTENT_ERRORS: [&str; 3] = [
    "InvalidMessageContents",
    "MessageTooLong",
    "BatchRequestTooLong",
];

/// A queue the router feeds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventQueue {
    pub url: String,
    /// Only platform events: client-reported ones are left out.
    pub platform_only: bool,
}

impl EventQueue {
    /// A queue that receives every event.
    pub fn every_event(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            platform_only: false,
        }
    }

    /// A queue that receives platform events only.
    pub fn platform_events(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            platform_only: true,
        }
    }

    fn takes(&self, outgoing: &Outgoing) -> bool {
        !(self.platform_only && outgoing.is_client_event())
    }
}

/// How sending one envelope to one queue ended.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Sent {
    Delivered,
    /// Worth trying again later (the stream mapping's retry).
    Retry,
    /// Refused for good, with the reason: to the quarantine.
    Refused(String),
}

/// A lane of the router: a module's queue and how it picks its events.
#[derive(Debug, Clone)]
pub struct Lane {
    pub url: String,
    /// [`QueueLane::takes`](crate::registry::QueueLane::takes).
    pub takes: fn(&serde_json::Value) -> Option<u32>,
}

pub struct Router {
    sqs: aws_sdk_sqs::Client,
    queues: Vec<EventQueue>,
    lanes: Vec<Lane>,
    quarantine: String,
}

impl Router {
    /// A router feeding `queues`, parking what SQS refuses for good in
    /// `quarantine`.
    pub fn new(sqs: aws_sdk_sqs::Client, queues: Vec<EventQueue>, quarantine: String) -> Self {
        Self {
            sqs,
            queues,
            lanes: Vec::new(),
            quarantine,
        }
    }

    /// The same router, also feeding `lanes`.
    pub fn with_lanes(mut self, lanes: Vec<Lane>) -> Self {
        self.lanes = lanes;
        self
    }

    /// The `event-router` function's router, from its configuration
    /// (`AUDIT_QUEUE_URL`, `AUTOMATION_QUEUE_URL`, `WEBHOOKS_QUEUE_URL`,
    /// `STATS_QUEUE_URL`, `QUARANTINE_QUEUE_URL`): every event to the audit
    /// and webhooks queues, platform events only to the automation queue
    /// (rules act on platform events, never on what a caller reports) and
    /// to the stats queue (a caller's report counts nothing), and what SQS
    /// refuses for good to the quarantine queue; and the lanes that the
    /// modules in `registry` ask for, each at the queue its variable names.
    pub fn from_config(
        config: crate::config::Config,
        sdk: &aws_config::SdkConfig,
        registry: &crate::registry::Registry,
    ) -> anyhow::Result<Self> {
        let [audit, automation, webhooks, stats] =
            crate::config::EVENT_QUEUE_VARIABLES.map(|var| config.vars.required(var));
        let queues = vec![
            EventQueue::every_event(audit?.to_owned()),
            EventQueue::platform_events(automation?.to_owned()),
            EventQueue::every_event(webhooks?.to_owned()),
            EventQueue::platform_events(stats?.to_owned()),
        ];
        let quarantine = config.vars.required("QUARANTINE_QUEUE_URL")?.to_owned();
        let lanes = registry
            .lanes()
            .iter()
            .map(|lane| {
                Ok(Lane {
                    url: config.vars.required(lane.queue_variable)?.to_owned(),
                    takes: lane.takes,
                })
            })
            .collect::<anyhow::Result<_>>()?;
        Ok(Self::new(aws_sdk_sqs::Client::new(sdk), queues, quarantine).with_lanes(lanes))
    }

    /// Forwards a stream batch; the response names the first record that
    /// must be tried again (and so everything after it is retried).
    #[tracing::instrument(skip_all, fields(records = event.records.len()))]
    pub async fn route(&self, event: &StreamEvent) -> DynamoDbEventResponse {
        let outgoing = envelopes(event);
        // Made valid for SQS once, for every queue.
        let messages: Vec<Message> = outgoing
            .iter()
            .enumerate()
            .map(|(index, o)| Message::new(index, o))
            .collect();
        let mut first_retry: Option<usize> = None;
        // Who must retry from where, and what was refused for good (by
        // record index, queue and reason).
        let mut note = |queue: &str, results: Vec<(usize, Sent)>| -> Vec<(usize, String, String)> {
            let mut parked = Vec::new();
            for (index, sent) in results {
                match sent {
                    Sent::Delivered => {}
                    Sent::Retry => first_retry = Some(first_retry.map_or(index, |f| f.min(index))),
                    Sent::Refused(reason) => parked.push((index, queue.to_owned(), reason)),
                }
            }
            parked
        };
        let mut refused = Vec::new();
        for queue in &self.queues {
            let taken = messages.iter().filter(|m| queue.takes(&outgoing[m.index]));
            refused.extend(note(&queue.url, self.send_all(&queue.url, taken).await));
        }
        if !self.lanes.is_empty() {
            let envelopes: Vec<Option<serde_json::Value>> = outgoing
                .iter()
                .map(|o| {
                    (!o.is_client_event())
                        .then(|| serde_json::from_str(&o.envelope).ok())
                        .flatten()
                })
                .collect();
            for lane in &self.lanes {
                let taken: Vec<Message> = messages
                    .iter()
                    .filter_map(|m| {
                        let delay = (lane.takes)(envelopes[m.index].as_ref()?)?;
                        Some(m.delayed(delay))
                    })
                    .collect();
                if !taken.is_empty() {
                    refused.extend(note(&lane.url, self.send_all(&lane.url, &taken).await));
                }
            }
        }
        // Records from the first retry on are sent again anyway; the
        // quarantine takes only those before it, in record order, so that
        // a failed park (which moves the retry point back) never follows a
        // park of a later record: nothing is parked twice.
        refused.sort_by_key(|(index, _, _)| *index);
        for (index, queue, reason) in refused {
            if first_retry.is_some_and(|first| index >= first) {
                continue;
            }
            if !self.quarantine(&outgoing[index], &queue, &reason).await {
                first_retry = Some(first_retry.map_or(index, |f| f.min(index)));
            }
        }
        let mut response = DynamoDbEventResponse::default();
        if let Some(index) = first_retry {
            let mut failure = DynamoDbBatchItemFailure::default();
            failure.item_identifier = Some(outgoing[index].sequence_number.clone());
            response.batch_item_failures.push(failure);
        }
        response
    }

    /// Sends every message to one queue; how each ended, by record index.
    async fn send_all<'m>(
        &self,
        queue: &str,
        messages: impl IntoIterator<Item = &'m Message>,
    ) -> Vec<(usize, Sent)> {
        let (batches, too_large) = batches(messages);
        let mut results: Vec<(usize, Sent)> = too_large
            .iter()
            .map(|m| {
                let reason = format!("MessageTooLong: {} bytes", m.size());
                (m.index, Sent::Refused(reason))
            })
            .collect();
        for batch in batches {
            results.extend(self.send_batch(queue, &batch).await);
        }
        results
    }

    /// Sends one batch, retrying what failed for a passing reason. A batch
    /// refused as a whole for its contents is sent again one message at a
    /// time, so that only the offending message is refused.
    async fn send_batch(&self, queue: &str, batch: &[&Message]) -> Vec<(usize, Sent)> {
        let mut results = Vec::with_capacity(batch.len());
        let mut pending: Vec<usize> = (0..batch.len()).collect();
        for attempt in 0..SEND_ATTEMPTS {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_millis(100 * 4u64.pow(attempt - 1))).await;
            }
            let entries: Vec<SendMessageBatchRequestEntry> =
                pending.iter().filter_map(|&i| batch[i].entry(i)).collect();
            match self
                .sqs
                .send_message_batch()
                .queue_url(queue)
                .set_entries(Some(entries))
                .send()
                .await
            {
                Ok(output) => {
                    // Every entry not listed as failed was delivered.
                    let mut outcomes: Vec<(usize, Sent)> =
                        pending.iter().map(|&i| (i, Sent::Delivered)).collect();
                    for failure in output.failed() {
                        let Some(outcome) = outcomes
                            .iter_mut()
                            .find(|(i, _)| failure.id() == i.to_string())
                        else {
                            continue;
                        };
                        let code = failure.code();
                        tracing::warn!(
                            queue,
                            code,
                            sender_fault = failure.sender_fault(),
                            "SQS refused an envelope"
                        );
                        outcome.1 = if failure.sender_fault() {
                            Sent::Refused(format!(
                                "{code}: {}",
                                failure.message().unwrap_or_default()
                            ))
                        } else {
                            Sent::Retry
                        };
                    }
                    pending.clear();
                    for (i, outcome) in outcomes {
                        match outcome {
                            Sent::Retry => pending.push(i),
                            done => results.push((batch[i].index, done)),
                        }
                    }
                }
                Err(error) => {
                    let code = error.code().unwrap_or_default().to_owned();
                    tracing::warn!(queue, error = %aws_sdk_sqs::error::DisplayErrorContext(&error), "sending envelopes failed");
                    if CONTENT_ERRORS.iter().any(|c| code.ends_with(c)) {
                        if pending.len() == 1 {
                            let reason = format!("{code}: {}", error.message().unwrap_or_default());
                            results.push((batch[pending[0]].index, Sent::Refused(reason)));
                            pending.clear();
                        } else {
                            for &i in &pending {
                                let single = [batch[i]];
                                results.extend(Box::pin(self.send_batch(queue, &single)).await);
                            }
                            pending.clear();
                        }
                    }
                }
            }
            if pending.is_empty() {
                break;
            }
        }
        results.extend(pending.into_iter().map(|i| (batch[i].index, Sent::Retry)));
        results
    }

    /// Parks an envelope that `queue` refused for good; whether the
    /// quarantine has it. The envelope travels base64-encoded, so the
    /// quarantine can take whatever the queue refused.
    async fn quarantine(&self, outgoing: &Outgoing, queue: &str, reason: &str) -> bool {
        let event_id = outgoing.event_id();
        tracing::error!(queue, reason, event_id, event_type = %outgoing.event_type, "envelope refused for good; quarantined");
        let encoded = base64::engine::general_purpose::STANDARD.encode(&outgoing.envelope);
        let mut message = serde_json::json!({
            "kind": "refused_envelope",
            "reason": reason,
            "queue": queue,
            "event_id": event_id,
            "event_type": outgoing.event_type,
            "sequence_number": outgoing.sequence_number,
            "envelope_bytes": outgoing.envelope.len(),
            "envelope_base64": encoded,
        });
        if message.to_string().len() > MAX_QUEUE_MESSAGE_BYTES {
            // Too large even for the quarantine: the event item itself
            // stays in the table for 24 hours under its id.
            message["envelope_base64"] = serde_json::Value::Null;
        }
        let body = queue_safe(&message.to_string()).into_owned();
        match self
            .sqs
            .send_message()
            .queue_url(&self.quarantine)
            .message_body(body)
            .send()
            .await
        {
            Ok(_) => true,
            Err(error) => {
                tracing::error!(error = %aws_sdk_sqs::error::DisplayErrorContext(&error), "the quarantine refused an envelope; the record is retried");
                false
            }
        }
    }
}

#[cfg(test)]
#[path = "router_tests.rs"]
mod tests;
