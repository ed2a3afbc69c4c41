//! The actions a matched rule carries out. Each returns a short detail on
//! success; every event or message it produces carries an id derived from
//! (event id, rule id, action index), so a repeat of the action is seen as
//! done rather than done twice.

use super::{ActionError, Runner};
use crate::automation::Action;
use crate::clock;
use crate::domain::approval::Progress;
use crate::domain::{ApprovalStatus, EntityId};
use crate::events::{Actor, Envelope};
use crate::store::StoreError;
use aws_sdk_sqs::error::DisplayErrorContext;
use serde_json::{json, Value};

/// How often an approval action re-reads an approval that changed under it.
const VERSION_RETRIES: usize = 3;

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
            Action::Approve { comment } => self.decide(ApprovalStatus::Approved, comment).await,
            Action::Reject { comment } => self.decide(ApprovalStatus::Rejected, comment).await,
            Action::NotifyWebhook { topic } => {
                let body = json!({
                    "id": self.derived_id(),
                    "topic": topic.as_str(),
                    "event": self.envelope,
                });
                let url = self.runner.webhooks_queue_url.clone();
                self.send(&url, body).await?;
                Ok(format!(
                    "sent to the webhooks queue under {}",
                    topic.as_str()
                ))
            }
            Action::EnqueueJob { job_type, payload } => {
                let Some(url) = self.runner.jobs_queue_url.clone() else {
                    return Err(ActionError::Permanent("no jobs queue configured".into()));
                };
                let body = json!({
                    "id": self.derived_id(),
                    "job_type": job_type.as_str(),
                    "payload": payload,
                    "rule_id": self.rule_id,
                    "event_id": self.envelope.id,
                    "correlation_id": self.envelope.correlation_id,
                    "depth": self.envelope.depth + 1,
                });
                self.send(&url, body).await?;
                Ok(format!("job {} enqueued", job_type.as_str()))
            }
            Action::Assign { .. } | Action::SetField { .. } => Err(ActionError::Permanent(
                format!("the runner cannot carry out {} actions yet", action.kind()),
            )),
        }
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

    /// Makes the event's approval final as `target`, if it is pending.
    async fn decide(&self, target: ApprovalStatus, comment: &str) -> Result<String, ActionError> {
        if self.envelope.entity != "approval" {
            return Err(ActionError::Permanent(format!(
                "acts on an approval, and the event is about a {}",
                self.envelope.entity
            )));
        }
        let id = EntityId::parse(&self.envelope.entity_id)
            .map_err(|e| ActionError::Permanent(format!("the event's entity_id {e}")))?;
        let store = &self.runner.store;
        for _ in 0..VERSION_RETRIES {
            let Some(before) = store.approval_by_id(&id).await? else {
                return Err(ActionError::Permanent(format!("approval {id} not found")));
            };
            if before.status.is_final() {
                return Ok(format!("already {}", before.status.as_str()));
            }
            let progress = Progress {
                status: target,
                current_step: before.current_step,
                step_approvals: before.step_approvals.clone(),
            };
            let after = before.advanced(progress, clock::now());
            let event_type = match target {
                ApprovalStatus::Rejected => "approval.rejected",
                _ => "approval.approved",
            };
            let event = self
                .event(
                    event_type,
                    "approval",
                    &id.to_string(),
                    crate::api::approvals::view_value(&after),
                )
                .change("status", before.status, after.status)
                .change(
                    "decision",
                    Value::Null,
                    json!({"rule_id": self.rule_id, "comment": comment}),
                );
            match store.commit_transition(&before, &after, None, &event).await {
                Ok(()) => return Ok(format!("{} by the rule", after.status.as_str())),
                // Another writer changed the approval: read it again.
                Err(StoreError::ConditionFailed) => continue,
                Err(StoreError::TransactionCancelled(reasons))
                    if reasons.last().map(String::as_str) == Some("ConditionalCheckFailed") =>
                {
                    return Ok("already done by an earlier delivery".into());
                }
                Err(error) => return Err(error.into()),
            }
        }
        Err(ActionError::Transient(format!(
            "approval {id} kept changing while being decided"
        )))
    }

    async fn send(&self, url: &str, body: Value) -> Result<(), ActionError> {
        self.runner
            .sqs
            .send_message()
            .queue_url(url)
            .message_body(body.to_string())
            .send()
            .await
            .map(|_| ())
            .map_err(|e| ActionError::Transient(format!("SendMessage: {}", DisplayErrorContext(e))))
    }
}
