//! The actions a matched rule carries out. Each returns a short detail on
//! success; every event or message it produces carries an id derived from
//! (event id, rule id, action index), so a repeat of the action is seen as
//! done rather than done twice. `log` and the queue actions are carried
//! out here; the actions on another module's entity (`approve`, `reject`,
//! `assign`, `set_field`) by the module that registered them, which checks
//! that the event is its own account of that entity, `enqueue_job` by
//! the jobs module (a job record, queued through the outbox), and
//! `hold_order` and `release_order` by the orders module.

use super::{ActionError, Runner};
use crate::domain::EntityId;
use crate::events::{Actor, Envelope, Notice};
use crate::language::Action;
use crate::store::StoreError;
use aws_sdk_sqs::error::{DisplayErrorContext, ProvideErrorMetadata};
use opsflow_platform::registry::{ActionFailure, EntityAction};
use serde_json::{json, Value};

/// One action of one rule on one event.
pub(super) struct Act<'a> {
    pub runner: &'a Runner,
    pub rule_id: EntityId,
    pub envelope: &'a Envelope,
    pub index: usize,
}

impl Act<'_> {
    pub async fn run(&self, action: &Action) -> Result<String, ActionError> {
        match action {
            Action::Log { message } => self.log(message).await,
            Action::Approve { .. }
            | Action::Reject { .. }
            | Action::Assign { .. }
            | Action::SetField { .. }
            | Action::EnqueueJob { .. }
            | Action::HoldOrder { .. }
            | Action::ReleaseOrder {} => self.on_entity(action).await,
            Action::NotifyWebhook { topic } => {
                let notice = Notice {
                    id: self.derived_id(),
                    topic: topic.clone(),
                    event: self.envelope.clone(),
                };
                let body = serde_json::to_value(&notice)
                    .map_err(|e| ActionError::Permanent(format!("the notice: {e}")))?;
                let url = self.runner.webhooks_queue_url.clone();
                self.send(&url, body).await?;
                Ok(format!(
                    "sent to the webhooks queue under {}",
                    topic.as_str()
                ))
            }
        }
    }

    /// An action another module carries out, through its registered
    /// target: `args` is the action as the rule states it.
    async fn on_entity(&self, action: &Action) -> Result<String, ActionError> {
        let args = serde_json::to_value(action)
            .map_err(|e| ActionError::Permanent(format!("the action: {e}")))?;
        let name = args["type"].as_str().unwrap_or_default().to_owned();
        let target = self
            .runner
            .registry
            .action_target_offering(&name)
            .ok_or_else(|| ActionError::Permanent(format!("no module carries out {name}")))?;
        let request = EntityAction {
            name: &name,
            args: &args,
            event: self.envelope,
            rule_id: self.rule_id,
            event_id: self.derived_id(),
        };
        target
            .act(&self.runner.store, request)
            .await
            .map_err(|failure| match failure {
                ActionFailure::Transient(why) => ActionError::Transient(why),
                ActionFailure::Permanent(why) => ActionError::Permanent(why),
            })
    }

    /// The id of what this action produces: the same on every delivery.
    fn derived_id(&self) -> EntityId {
        let millis = self.envelope.occurred_at.unix_timestamp_nanos() / 1_000_000;
        EntityId::derived(
            u64::try_from(millis).unwrap_or(0),
            &[
                self.envelope.id.to_string().as_bytes(),
                self.rule_id.to_string().as_bytes(),
                self.index.to_string().as_bytes(),
            ],
        )
    }

    /// An event caused by this action: one level deeper, by the system,
    /// in the triggering event's correlation.
    fn event(&self, event_type: &str, entity: &str, entity_id: &str, data: Value) -> Envelope {
        let mut event = Envelope::new(
            event_type,
            entity,
            entity_id,
            Actor::system(),
            &self.envelope.correlation_id,
            data,
        );
        event.id = self.derived_id();
        event.depth = self.envelope.depth + 1;
        event
    }

    async fn log(&self, message: &str) -> Result<String, ActionError> {
        let event = self.event(
            "automation.logged",
            "rule",
            &self.rule_id.to_string(),
            json!({
                "message": message,
                "event_id": self.envelope.id,
                "rule_id": self.rule_id,
            }),
        );
        match self.runner.store.publish_event(&event).await {
            Ok(()) => Ok("logged".into()),
            Err(StoreError::ConditionFailed) => Ok("already logged".into()),
            Err(error) => Err(error.into()),
        }
    }

    async fn send(&self, url: &str, body: Value) -> Result<(), ActionError> {
        opsflow_platform::auth::gate::cleared().await?;
        self.runner
            .sqs
            .send_message()
            .queue_url(url)
            // Data written before the edge refused such characters may
            // still hold some SQS cannot carry: escaped, they parse back.
            .message_body(crate::events::queue_safe(&body.to_string()))
            .send()
            .await
            .map(|_| ())
            .map_err(|error| {
                // The run (which admins read) gets the error's code; the
                // whole chain, with its endpoint and account, goes to the log.
                tracing::warn!(error = %DisplayErrorContext(&error), "SendMessage failed");
                let cause = error
                    .code()
                    .map_or_else(|| "the queue did not answer".to_owned(), str::to_owned);
                let message = format!("SendMessage failed: {cause}");
                // Refused for its contents, a message never gets through.
                if ["InvalidMessageContents", "MessageTooLong"]
                    .iter()
                    .any(|code| cause.ends_with(code))
                {
                    ActionError::Permanent(message)
                } else {
                    ActionError::Transient(message)
                }
            })
    }
}
