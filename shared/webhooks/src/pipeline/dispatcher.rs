//! `webhook-dispatcher`: the `webhooks` queue's consumer.
//!
//! - An event (from the router) or a rule's notice fans out: one delivery
//!   per subscription that wants it (an active one whose pattern matches
//!   the event type, or whose topics hold the notice's; a `webhook.ping`
//!   goes to the subscription it names alone), each written once and
//!   announced by its own queue message ([`AttemptDue`]). So one
//!   subscription's failure never holds up another's delivery.
//! - An attempt message makes that attempt ([`super::attempt`]).
//! - A `webhook.redelivered` event (an admin's redelivery, written by the
//!   API with its new delivery) queues that delivery's first attempt.
//!
//! Each queue message is answered on its own: a failure names it in the
//! batch response and SQS brings it back (its DLQ after 5 receives);
//! every step is idempotent, so a message handled twice does no harm.

use super::message::{payload, AttemptDue, Message};
use super::send::Sender;
use crate::domain::retry::hop;
use crate::domain::subscription::Interests;
use crate::domain::target::AllowList;
use crate::events::{Envelope, WebhookTopic, WEBHOOK_PING, WEBHOOK_REDELIVERED};
use crate::store::deliveries::{DeliveryRecord, DeliveryStore};
use crate::store::subscriptions::{SubscriptionRecord, SubscriptionStore};
use crate::store::{Store, Written};
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use aws_sdk_sqs::error::DisplayErrorContext;
use opsflow_platform::config::Config;
use opsflow_platform::domain::EntityId;
use opsflow_platform::pipeline::consumer::{each_in_its_span, retry};
use time::OffsetDateTime;

/// The dispatcher's context, built once per cold start.
pub struct Dispatcher {
    pub store: Store,
    sqs: aws_sdk_sqs::Client,
    /// The `webhooks` queue, where attempt messages go.
    queue_url: String,
    pub(super) allow: AllowList,
    pub(super) sender: Sender,
}

impl Dispatcher {
    pub fn new(
        store: Store,
        sqs: aws_sdk_sqs::Client,
        queue_url: String,
        allow: AllowList,
        sender: Sender,
    ) -> Self {
        Self {
            store,
            sqs,
            queue_url,
            allow,
            sender,
        }
    }

    /// From `TABLE_NAME`, `WEBHOOKS_QUEUE_URL` and `WEBHOOK_ALLOW_HOSTS`
    /// (hosts reachable over plain `http` and at any address: the local
    /// inbox; unset in a deployment).
    pub fn from_config(config: Config, sdk: &aws_config::SdkConfig) -> anyhow::Result<Self> {
        let allow = AllowList::parse(config.vars.get("WEBHOOK_ALLOW_HOSTS").unwrap_or(""));
        Ok(Self::new(
            Store::new(
                opsflow_platform::store::client(sdk),
                config.table_name.clone(),
            ),
            aws_sdk_sqs::Client::new(sdk),
            config.vars.required("WEBHOOKS_QUEUE_URL")?.to_owned(),
            allow.clone(),
            Sender::new(allow)?,
        ))
    }

    /// Handles a batch; the response names the messages to retry.
    pub async fn handle_batch(&self, event: &SqsEvent) -> SqsBatchResponse {
        let outcomes = each_in_its_span(&event.records, |m| self.handle(m)).await;
        let mut response = SqsBatchResponse::default();
        for (message, outcome, span) in outcomes {
            if let Err(problem) = outcome {
                let _in_message = span.enter();
                tracing::warn!(%problem, "webhook message to retry");
                response.batch_item_failures.push(retry(message));
            }
        }
        response
    }

    async fn handle(&self, message: &SqsMessage) -> Result<(), String> {
        let body = message.body.as_deref().unwrap_or_default();
        match Message::parse(body) {
            Ok(Message::Event(event)) => {
                if event.event_type == WEBHOOK_REDELIVERED {
                    self.redelivery(&event).await?;
                }
                self.fan_out(&event.id.clone(), event, None).await
            }
            Ok(Message::Notice(notice)) => {
                self.fan_out(&notice.id, notice.event, Some(notice.topic))
                    .await
            }
            Ok(Message::Attempt(due)) => self.attempt(due).await,
            // Retrying cannot make it readable, but dropping it would hide
            // it: it goes to the dead-letter queue, whose alarm fires.
            Err(problem) => Err(format!("an unreadable message: {problem}")),
        }
    }

    /// Makes the deliveries of one event (or notice) and queues the first
    /// attempt of each.
    async fn fan_out(
        &self,
        id: &EntityId,
        event: Envelope,
        topic: Option<WebhookTopic>,
    ) -> Result<(), String> {
        let now = opsflow_platform::clock::now();
        let subscriptions = self.recipients(&event, topic.as_ref()).await?;
        let body = payload(id, &event, topic.as_ref().map(WebhookTopic::as_str));
        let mut due = Vec::new();
        for subscription in subscriptions {
            let delivery_id =
                crate::domain::delivery::delivery_id(id, &subscription.id, event.occurred_at);
            let record = DeliveryRecord::new(
                delivery_id,
                subscription.id,
                *id,
                event.event_type.clone(),
                topic.as_ref().map(ToString::to_string),
                body.clone(),
                now,
            );
            let written = self.store.create_delivery(&record).await.map_err(text)?;
            let first = AttemptDue {
                webhook_id: subscription.id,
                delivery_id,
                attempt: 1,
                due_at: now,
            };
            match written {
                Written::New => due.push(first),
                // Made by an earlier try of this message: its first attempt
                // may not have been queued.
                Written::AlreadyThere => {
                    let existing = self.store.delivery_by_id(&subscription.id, &delivery_id);
                    if let Some(existing) = existing.await.map_err(text)? {
                        if existing.attempts.is_empty() && !existing.status.is_final() {
                            due.push(first);
                        }
                    }
                }
            }
        }
        for attempt in &due {
            self.queue(attempt, now).await?;
        }
        if !due.is_empty() {
            tracing::info!(event_id = %event.id, event_type = %event.event_type, deliveries = due.len(), "webhook deliveries made");
        }
        Ok(())
    }

    /// Queues the first attempt of the delivery a `webhook.redelivered`
    /// event names, unless it has been attempted already.
    async fn redelivery(&self, event: &Envelope) -> Result<(), String> {
        let id = |field: &str| EntityId::parse(event.data[field].as_str().unwrap_or_default());
        let (Ok(webhook), Ok(delivery)) = (id("webhook_id"), id("delivery_id")) else {
            tracing::error!(event_id = %event.id, "a redelivery event without its ids was dropped");
            return Ok(());
        };
        let found = self.store.delivery_by_id(&webhook, &delivery).await;
        match found.map_err(text)? {
            Some(record) if record.attempts.is_empty() && !record.status.is_final() => {
                let now = opsflow_platform::clock::now();
                let first = AttemptDue {
                    webhook_id: webhook,
                    delivery_id: delivery,
                    attempt: 1,
                    due_at: now,
                };
                self.queue(&first, now).await
            }
            _ => Ok(()),
        }
    }

    /// The subscriptions an event (or a notice under `topic`) goes to.
    async fn recipients(
        &self,
        event: &Envelope,
        topic: Option<&WebhookTopic>,
    ) -> Result<Vec<SubscriptionRecord>, String> {
        if topic.is_none() && event.event_type == WEBHOOK_PING {
            let Ok(id) = EntityId::parse(&event.entity_id) else {
                return Ok(Vec::new());
            };
            let named = self.store.subscription_by_id(&id).await.map_err(text)?;
            return Ok(named.into_iter().collect());
        }
        let active = self.store.active_subscriptions().await.map_err(text)?;
        Ok(active
            .into_iter()
            .filter(
                |record| match Interests::parse(&record.events, &record.topics) {
                    Ok(interests) => match topic {
                        Some(topic) => interests.wants_topic(topic),
                        None => interests.wants_event(&event.event_type),
                    },
                    Err(_) => false,
                },
            )
            .collect())
    }

    /// Sends `attempt` to the queue, delayed until it is due (by at most
    /// SQS's 15 minutes: a later one comes back and is sent again).
    pub(super) async fn queue(
        &self,
        attempt: &AttemptDue,
        now: OffsetDateTime,
    ) -> Result<(), String> {
        let wait = (attempt.due_at - now).max(time::Duration::ZERO);
        let delay = hop(std::time::Duration::try_from(wait).unwrap_or_default());
        self.sqs
            .send_message()
            .queue_url(&self.queue_url)
            .message_body(attempt.body())
            .delay_seconds(i32::try_from(delay.as_secs()).unwrap_or(900))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| format!("queueing an attempt: {}", DisplayErrorContext(&e)))
    }
}

pub(super) fn text(error: impl std::fmt::Display) -> String {
    error.to_string()
}
