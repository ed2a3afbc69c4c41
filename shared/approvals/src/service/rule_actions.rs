//! The actions rules take on the approval an event is about: `approve`,
//! `reject`, `assign` and `set_field`. Each acts only on a pending
//! approval, and commits, in one transaction, the approval at the version
//! it read with the event that describes the change (by the system, one
//! level deeper, under the action's derived id):
//!
//! | action | event | `changes` |
//! |---|---|---|
//! | `approve` / `reject` | `approval.approved` / `approval.rejected` | `status`, `decision` (rule, causing event id, comment) |
//! | `assign` | `approval.approver_assigned` | `steps[<i>].assigned_ids` of the current step |
//! | `set_field` | `approval.payload_updated` | `payload.<path>` (old value or null, new value) |
//!
//! Which approval: the one the event is about, and only when the event is
//! the platform's account of a change to that approval: not a client's
//! report (`client.…`), about an `approval`, of an `approval.<verb>` type.
//! An approval named anywhere else (in `data` or `changes`) is never acted
//! on; any other event fails permanently, naming why.
//!
//! An action whose change is already there writes nothing. A concurrent
//! change is read again, up to [`VERSION_RETRIES`] times; an event id
//! already in the outbox means an earlier delivery did it.

use super::approvals::lost_race;
use crate::clock;
use crate::domain::approval;
use crate::domain::{EntityId, Role, Verdict};
use crate::events::{self, Envelope};
use crate::store::approvals::{transition, ApprovalRecord, ApprovalStore};
use crate::store::{keys, Store};
use opsflow_platform::registry::{ActionFailure, EntityAction};
use serde::Deserialize;
use serde_json::{json, Value};

/// How often an action re-reads an approval that changed under it.
pub const VERSION_RETRIES: usize = 3;

/// The actions, by their names in the rule language.
pub const ACTIONS: &[&str] = &["approve", "reject", "assign", "set_field"];

/// The prefix of a client's own reports, on which no rule acts.
const CLIENT_EVENT_PREFIX: &str = "client.";

/// What an action makes of the approval it read.
enum Edit {
    /// Nothing to write; the detail says why.
    Unchanged(String),
    /// The next version, with the type of its event and the fields it
    /// changed (name, old value, new value); `detail` reports the commit.
    Commit {
        after: Box<ApprovalRecord>,
        event_type: &'static str,
        changes: Vec<(String, Value, Value)>,
        detail: String,
    },
}

impl Edit {
    /// Commits `after` with an `event_type` event recording `changes`.
    fn commit(
        after: ApprovalRecord,
        event_type: &'static str,
        changes: Vec<(String, Value, Value)>,
        detail: String,
    ) -> Result<Self, ActionFailure> {
        Ok(Self::Commit {
            after: Box::new(after),
            event_type,
            changes,
            detail,
        })
    }
}

/// The approval an action is about, and the action.
struct Act<'a> {
    store: &'a Store,
    action: &'a EntityAction<'a>,
    id: EntityId,
}

/// What `assign` needs of a user: read through the kernel's user keys.
#[derive(Deserialize)]
struct Assignee {
    id: EntityId,
    role: Role,
    is_active: bool,
}

#[derive(Deserialize)]
struct CommentArgs {
    comment: String,
}

#[derive(Deserialize)]
struct AssignArgs {
    user_id: EntityId,
}

#[derive(Deserialize)]
struct SetFieldArgs {
    path: String,
    value: Value,
}

fn permanent(message: impl Into<String>) -> ActionFailure {
    ActionFailure::Permanent(message.into())
}

fn args<T: serde::de::DeserializeOwned>(action: &EntityAction<'_>) -> Result<T, ActionFailure> {
    serde_json::from_value(action.args.clone())
        .map_err(|e| permanent(format!("the {} action's arguments: {e}", action.name)))
}

/// Carries out `action` on the approval its event is about.
pub async fn act(store: &Store, action: EntityAction<'_>) -> Result<String, ActionFailure> {
    let id = approval_id(action.event)?;
    let act = Act {
        store,
        action: &action,
        id,
    };
    match action.name {
        "approve" => decide(&act, Verdict::Approved).await,
        "reject" => decide(&act, Verdict::Rejected).await,
        "assign" => assign(&act).await,
        "set_field" => set_field(&act).await,
        other => Err(permanent(format!("approvals take no {other} action"))),
    }
}

/// The approval a platform event about an approval names.
fn approval_id(event: &Envelope) -> Result<EntityId, ActionFailure> {
    if event.event_type.starts_with(CLIENT_EVENT_PREFIX) {
        return Err(permanent(format!(
            "acts only on the platform's events, and {} is a client's report",
            event.event_type
        )));
    }
    if event.entity != events::APPROVAL {
        return Err(permanent(format!(
            "acts on an approval, and the event is about a {}",
            event.entity
        )));
    }
    if !event.event_type.starts_with("approval.") {
        return Err(permanent(format!(
            "acts on the approval an approval event is about, and {} is not one",
            event.event_type
        )));
    }
    EntityId::parse(&event.entity_id).map_err(|e| permanent(format!("the event's entity_id {e}")))
}

/// Reads approval `id` and commits what `edit` makes of it, reading it
/// again when another writer changed it in between.
async fn edit_approval(
    act: &Act<'_>,
    doing: &str,
    edit: impl Fn(&ApprovalRecord) -> Result<Edit, ActionFailure>,
) -> Result<String, ActionFailure> {
    let Act { store, action, id } = *act;
    for _ in 0..VERSION_RETRIES {
        let Some(before) = store
            .approval_by_id(&id)
            .await
            .map_err(ActionFailure::storage)?
        else {
            return Err(permanent(format!("approval {id} not found")));
        };
        let (after, event, detail) = match edit(&before)? {
            Edit::Unchanged(detail) => return Ok(detail),
            Edit::Commit {
                after,
                event_type,
                changes,
                detail,
            } => {
                let event = changes.into_iter().fold(
                    events::approval_by_rule(event_type, &after, action.event, action.event_id),
                    |event, (field, old, new)| event.change(&field, old, new),
                );
                (after, event, detail)
            }
        };
        let (tx, named) =
            transition(store, &before, &after, None, &event).map_err(ActionFailure::storage)?;
        match store.commit(tx).await {
            Ok(()) => return Ok(detail),
            Err(error) if error.failed(named.event) => {
                return Ok("already done by an earlier delivery".into())
            }
            Err(error) if lost_race(&error, named.approval) => continue,
            Err(error) => return Err(ActionFailure::storage(error)),
        }
    }
    Err(ActionFailure::Transient(format!(
        "approval {id} kept changing while {doing}"
    )))
}

async fn decide(act: &Act<'_>, verdict: Verdict) -> Result<String, ActionFailure> {
    let action = act.action;
    let CommentArgs { comment } = args(action)?;
    edit_approval(act, "being decided", |before| {
        let progress = match approval::settle(&before.progress(), verdict) {
            Ok(progress) => progress,
            Err(_) => {
                return Ok(Edit::Unchanged(format!(
                    "already {}",
                    before.status.as_str()
                )))
            }
        };
        let after = before.advanced(progress, clock::now());
        let event_type = match verdict {
            Verdict::Approved => events::APPROVAL_APPROVED,
            Verdict::Rejected => events::APPROVAL_REJECTED,
        };
        let changes = vec![
            (
                "status".to_owned(),
                json!(before.status),
                json!(after.status),
            ),
            (
                "decision".to_owned(),
                Value::Null,
                // The event that caused the decision: the audit trail leads
                // from the approval to it, for good.
                json!({"rule_id": action.rule_id, "event_id": action.event.id, "comment": comment}),
            ),
        ];
        let detail = format!("{} by the rule", after.status.as_str());
        Edit::commit(after, event_type, changes, detail)
    })
    .await
}

async fn assign(act: &Act<'_>) -> Result<String, ActionFailure> {
    let action = act.action;
    let AssignArgs { user_id } = args(action)?;
    let user: Option<Assignee> = act
        .store
        .get(keys::user_pk(&user_id), keys::USER_SK)
        .await
        .map_err(ActionFailure::storage)?;
    let Some(user) = user else {
        return Err(permanent(format!("user {user_id} not found")));
    };
    if !user.is_active {
        return Err(permanent(format!("user {user_id} is deactivated")));
    }
    if !crate::permissions::APPROVALS_DECIDE.allows(user.role) {
        return Err(permanent(format!(
            "user {user_id} is an {}: auditors decide nothing",
            user.role
        )));
    }
    edit_approval(act, "being assigned", |before| {
        let step_name = before.current().map(|s| s.name.clone()).unwrap_or_default();
        let assigned = approval::assign(
            &before.steps,
            before.separation(),
            &before.progress(),
            &before.requester_id,
            &user.id,
            user.role,
        )
        .map_err(|refusal| permanent(refusal.to_string()))?;
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
        let change = (
            format!("steps[{}].assigned_ids", before.current_step),
            json!(assigned_ids(before)),
            json!(assigned_ids(&after)),
        );
        let detail = format!("user {user_id} is now an approver of step {step_name}");
        Edit::commit(
            after,
            events::APPROVAL_APPROVER_ASSIGNED,
            vec![change],
            detail,
        )
    })
    .await
}

async fn set_field(act: &Act<'_>) -> Result<String, ActionFailure> {
    let action = act.action;
    let SetFieldArgs { path, value } = args(action)?;
    let keys: Vec<&str> = path.split('.').collect();
    let field = format!("payload.{path}");
    edit_approval(act, "its payload was being set", |before| {
        if before.status.is_final() {
            return Err(permanent(format!(
                "the approval is already {}; only a pending approval's payload changes",
                before.status
            )));
        }
        let previous = before.payload.field(&keys);
        if previous == Some(&value) {
            return Ok(Edit::Unchanged(format!("{field} already set")));
        }
        let payload = before
            .payload
            .with_field(&keys, value.clone())
            .map_err(permanent)?;
        let mut after = before.revised(clock::now());
        after.payload = payload;
        let change = (
            field.clone(),
            previous.cloned().unwrap_or(Value::Null),
            value.clone(),
        );
        let detail = format!("{field} set");
        Edit::commit(
            after,
            events::APPROVAL_PAYLOAD_UPDATED,
            vec![change],
            detail,
        )
    })
    .await
}
