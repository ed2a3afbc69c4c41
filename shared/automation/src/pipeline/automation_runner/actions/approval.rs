//! The actions on the approval an event is about: `approve`, `reject`,
//! `assign` and `set_field`. Each acts only on a pending approval, and
//! commits, in one transaction, the approval at the version it read with
//! the event that describes the change (by the system, one level deeper,
//! under the action's derived id):
//!
//! | action | event | `changes` |
//! |---|---|---|
//! | `approve` / `reject` | `approval.approved` / `approval.rejected` | `status`, `decision` (rule, causing event id, comment) |
//! | `assign` | `approval.approver_assigned` | `steps[<i>].assigned_ids` of the current step |
//! | `set_field` | `approval.payload_updated` | `payload.<path>` (old value or null, new value) |
//!
//! Which approval: the one the event is about, and only when the event is
//! the platform's account of a change to that approval. That is, the
//! event is not a client's report (`client.…`), its `entity` is
//! `approval`, its type is an approval event (`approval.<verb>`), and its
//! `entity_id` is the approval's id. An approval named anywhere else (in
//! `data` or `changes`, or by an event about another entity) is never
//! acted on: those are whatever the change's author wrote, and rules act
//! as the system. Any other event fails the run at once, naming why.
//!
//! An action whose change is already there (the user already decides the
//! step, the field already holds the value) writes nothing. A concurrent
//! change to the approval is read again, up to [`VERSION_RETRIES`] times;
//! an event id already in the outbox means an earlier delivery did it.

use super::Act;
use crate::clock;
use crate::domain::approval::{self, Progress};
use crate::domain::{ApprovalStatus, EntityId};
use crate::events::Envelope;
use crate::language::PayloadPath;
use crate::pipeline::automation_runner::ActionError;
use crate::store::StoreError;
use opsflow_approvals::api::approvals::view_value;
use opsflow_approvals::store::approvals::ApprovalRecord;
use opsflow_approvals::store::ApprovalStore;
use opsflow_audit::store::audit::AuditSource;
use opsflow_identity::store::UserStore;
use serde_json::{json, Value};

/// How often an approval action re-reads an approval that changed under it.
const VERSION_RETRIES: usize = 3;

/// What an action makes of the approval it read.
enum Edit {
    /// Nothing to write; the detail says why.
    Unchanged(String),
    /// The next version of the approval and its event; `detail` reports
    /// the commit.
    Commit {
        after: Box<ApprovalRecord>,
        event: Box<Envelope>,
        detail: String,
    },
}

impl Act<'_> {
    /// The id of the approval the event is about, for a platform event
    /// about an approval; anything else is a permanent failure.
    fn approval_id(&self) -> Result<EntityId, ActionError> {
        let event = self.envelope;
        if AuditSource::of(event) == AuditSource::Client {
            return Err(ActionError::Permanent(format!(
                "acts only on the platform's events, and {} is a client's report",
                event.event_type
            )));
        }
        if event.entity != "approval" {
            return Err(ActionError::Permanent(format!(
                "acts on an approval, and the event is about a {}",
                event.entity
            )));
        }
        if !event.event_type.starts_with("approval.") {
            return Err(ActionError::Permanent(format!(
                "acts on the approval an approval event is about, and {} is not one",
                event.event_type
            )));
        }
        EntityId::parse(&event.entity_id)
            .map_err(|e| ActionError::Permanent(format!("the event's entity_id {e}")))
    }

    /// Reads approval `id` and commits what `edit` makes of it, reading it
    /// again when another writer changed it in between. `doing` ends the
    /// message of giving up ("approval … kept changing while `doing`").
    async fn edit_approval(
        &self,
        id: EntityId,
        doing: &str,
        edit: impl Fn(&ApprovalRecord) -> Result<Edit, ActionError>,
    ) -> Result<String, ActionError> {
        let store = &self.runner.store;
        for _ in 0..VERSION_RETRIES {
            let Some(before) = store.approval_by_id(&id).await? else {
                return Err(ActionError::Permanent(format!("approval {id} not found")));
            };
            let (after, event, detail) = match edit(&before)? {
                Edit::Unchanged(detail) => return Ok(detail),
                Edit::Commit {
                    after,
                    event,
                    detail,
                } => (after, event, detail),
            };
            match store.commit_transition(&before, &after, None, &event).await {
                Ok(()) => return Ok(detail),
                // Another writer changed the approval: read it again.
                Err(StoreError::ConditionFailed) => continue,
                // Only the event's put is left to fail on a condition: its
                // derived id is taken, by this action on an earlier delivery.
                Err(StoreError::TransactionCancelled(reasons))
                    if reasons.last().map(String::as_str) == Some("ConditionalCheckFailed") =>
                {
                    return Ok("already done by an earlier delivery".into());
                }
                Err(error) => return Err(error.into()),
            }
        }
        Err(ActionError::Transient(format!(
            "approval {id} kept changing while {doing}"
        )))
    }

    /// Makes the event's approval final as `target`, if it is pending.
    pub(super) async fn decide(
        &self,
        target: ApprovalStatus,
        comment: &str,
    ) -> Result<String, ActionError> {
        let id = self.approval_id()?;
        self.edit_approval(id, "being decided", |before| {
            if before.status.is_final() {
                return Ok(Edit::Unchanged(format!(
                    "already {}",
                    before.status.as_str()
                )));
            }
            let progress = Progress {
                status: target,
                ..before.progress()
            };
            let after = before.advanced(progress, clock::now());
            let event_type = match target {
                ApprovalStatus::Rejected => "approval.rejected",
                _ => "approval.approved",
            };
            let event = self
                .event(event_type, "approval", &id.to_string(), view_value(&after))
                .change("status", before.status, after.status)
                .change(
                    "decision",
                    Value::Null,
                    // The event that caused the decision: the audit trail
                    // leads from the approval to it (and so to whoever
                    // executed rules on it), for good.
                    json!({"rule_id": self.rule_id, "event_id": self.envelope.id, "comment": comment}),
                );
            Ok(Edit::Commit {
                detail: format!("{} by the rule", after.status.as_str()),
                after: Box::new(after),
                event: Box::new(event),
            })
        })
        .await
    }

    /// Makes an active user an approver of the current step of the event's
    /// approval.
    pub(super) async fn assign(&self, user_id: &EntityId) -> Result<String, ActionError> {
        let id = self.approval_id()?;
        let Some(user) = self.runner.store.user_by_id(user_id).await? else {
            return Err(ActionError::Permanent(format!("user {user_id} not found")));
        };
        if !user.is_active {
            return Err(ActionError::Permanent(format!(
                "user {user_id} is deactivated"
            )));
        }
        self.edit_approval(id, "being assigned", |before| {
            let step_name = before.current().map(|s| s.name.clone()).unwrap_or_default();
            let assigned = approval::assign(
                &before.steps,
                before.separation(),
                &before.progress(),
                &before.requester_id,
                &user.id,
                user.role,
            )
            .map_err(|refusal| ActionError::Permanent(refusal.to_string()))?;
            let Some(steps) = assigned else {
                return Ok(Edit::Unchanged(format!(
                    "user {user_id} is already an approver of step {step_name}"
                )));
            };
            let mut after = before.revised(clock::now());
            after.steps = steps;
            let assigned_ids = |record: &ApprovalRecord| {
                record
                    .current()
                    .map(|step| step.assigned.clone())
                    .unwrap_or_default()
            };
            let event = self
                .event(
                    "approval.approver_assigned",
                    "approval",
                    &id.to_string(),
                    view_value(&after),
                )
                .change(
                    &format!("steps[{}].assigned_ids", before.current_step),
                    assigned_ids(before),
                    assigned_ids(&after),
                );
            Ok(Edit::Commit {
                detail: format!("user {user_id} is now an approver of step {step_name}"),
                after: Box::new(after),
                event: Box::new(event),
            })
        })
        .await
    }

    /// Sets `payload.<path>` of the event's approval to `value`.
    pub(super) async fn set_field(
        &self,
        path: &PayloadPath,
        value: &Value,
    ) -> Result<String, ActionError> {
        let id = self.approval_id()?;
        let keys: Vec<&str> = path.segments().collect();
        let field = format!("payload.{}", path.as_str());
        self.edit_approval(id, "its payload was being set", |before| {
            if before.status.is_final() {
                return Err(ActionError::Permanent(format!(
                    "the approval is already {}; only a pending approval's payload changes",
                    before.status
                )));
            }
            let previous = before.payload.field(&keys);
            if previous == Some(value) {
                return Ok(Edit::Unchanged(format!("{field} already set")));
            }
            let payload = before
                .payload
                .with_field(&keys, value.clone())
                .map_err(ActionError::Permanent)?;
            let mut after = before.revised(clock::now());
            after.payload = payload;
            let event = self
                .event(
                    "approval.payload_updated",
                    "approval",
                    &id.to_string(),
                    view_value(&after),
                )
                .change(&field, previous.unwrap_or(&Value::Null), value);
            Ok(Edit::Commit {
                detail: format!("{field} set"),
                after: Box::new(after),
                event: Box::new(event),
            })
        })
        .await
    }
}
