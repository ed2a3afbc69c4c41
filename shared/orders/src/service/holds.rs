//! Holds: a rule holds a pending order for approval, and the approval (or
//! an admin) releases it.
//!
//! - `hold_order {reason, workflow_id}` (a rule's action on an `order.*`
//!   event): the pending order gets a hold naming the approval request the
//!   action files next, on the workflow, requested by the order's owner,
//!   with the order in its payload (`order_id`, `total`, `items`). The
//!   approval's id is the action's derived id, so a repeated delivery
//!   finds both the hold and the request and does nothing twice. The hold
//!   is written first: should the filing fail, the order stays held (an
//!   admin releases it), never unheld with a request pending.
//! - `release_order` (a rule's action on an approval event): once that
//!   approval is `APPROVED`, the order whose hold names it is released.
//! - An admin releases a hold by hand (`PATCH {release_hold: true}`); the
//!   request stays as it is (approving it later finds nothing to release).
//!
//! A repeat of `hold_order` after its order was released holds nothing
//! (its request exists), and a hold's own events (`order.held`,
//! `order.released`) never cause one, so a rule on `order.*` cannot undo
//! a release.
//!
//! A held order cannot move to `processing` (409 naming the hold); it may
//! still be cancelled. Each hold and release is a versioned write of the
//! order with its event (`order.held`, `order.released`) and its timeline
//! entry (`held`, `released`); a rule's are the system's, one level deeper
//! than the event the rule matched.

use super::{commit, recorded, timeline_entry, OrdersError};
use crate::domain::OrderStatus;
use crate::events::{self, Actor, Envelope};
use crate::store::{Hold, OrderRecord, OrderStore, Store};
use crate::view::hold_view;
use opsflow_approvals::domain::{Amount, Description, Payload, Title};
use opsflow_approvals::service::approvals::{file_by_rule, filed, NewRequest, RuleFiling};
use opsflow_approvals::service::workflows;
use opsflow_approvals::service::ApprovalsError;
use opsflow_platform::auth::Principal;
use opsflow_platform::clock;
use opsflow_platform::domain::EntityId;
use opsflow_platform::registry::{ActionFailure, EntityAction};
use serde_json::{json, Map};

/// How often an action reads an order again that changed under it.
const VERSION_RETRIES: usize = 3;

fn permanent(why: impl Into<String>) -> ActionFailure {
    ActionFailure::Permanent(why.into())
}

/// An orders use case's failure, worth retrying: a storage failure as
/// [`ActionFailure::storage`] reports it, anything else by its text.
fn retry(error: OrdersError) -> ActionFailure {
    match error {
        OrdersError::Store(error) => ActionFailure::storage(error),
        other => ActionFailure::Transient(other.to_string()),
    }
}

/// The order an action is about, as stored.
async fn order(store: &Store, id: &str) -> Result<OrderRecord, ActionFailure> {
    let parsed = EntityId::parse(id).map_err(|_| permanent(format!("no order {id}")))?;
    store
        .order_by_id(&parsed)
        .await
        .map_err(ActionFailure::storage)?
        .ok_or_else(|| permanent(format!("no order {id}")))
}

/// Commits `after` (the next version of `before`, its hold set or lifted)
/// with its event and timeline entry; `Ok(false)` when `before` changed
/// meanwhile.
async fn commit_hold(
    store: &Store,
    actor: &Actor,
    cause: Option<(&Envelope, EntityId)>,
    correlation_id: &str,
    before: &OrderRecord,
    after: &OrderRecord,
) -> Result<bool, OrdersError> {
    let (event_type, kind) = match after.hold {
        Some(_) => (events::ORDER_HELD, "held"),
        None => (events::ORDER_RELEASED, "released"),
    };
    let mut changes = Map::new();
    let shown = |record: &OrderRecord| record.hold.as_ref().map(hold_view);
    changes.insert("hold".into(), json!([shown(before), shown(after)]));
    let mut event = recorded(
        event_type,
        kind,
        actor,
        correlation_id,
        after,
        changes.clone(),
    )
    .0;
    if let Some((cause, action_id)) = cause {
        // A rule's change: the system's, one level deeper, under an id
        // derived from the action's, as every event an action causes.
        let millis = action_id
            .time()
            .map_or(0, |t| t.unix_timestamp_nanos() / 1_000_000);
        event.id = EntityId::derived(
            u64::try_from(millis).unwrap_or_default(),
            &[action_id.to_string().as_bytes(), event_type.as_bytes()],
        );
        event.depth = cause.depth + 1;
    }
    let entry = timeline_entry(kind, &event, changes);
    let item = || store.next_order(before.version, after);
    match commit(store, item, &event, &entry, &[]).await {
        Ok(()) => Ok(true),
        Err(OrdersError::Stale) => Ok(false),
        Err(error) => Err(error),
    }
}

fn next_version(record: &OrderRecord, hold: Option<Hold>) -> OrderRecord {
    let mut after = record.clone();
    after.hold = hold;
    after.version += 1;
    after.updated_at = clock::now();
    after
}

/// The rule action `hold_order`: holds the event's pending order and
/// files its approval request; a short detail for the run.
pub async fn hold(store: &Store, action: &EntityAction<'_>) -> Result<String, ActionFailure> {
    let event = action.event;
    if event.is_client_report() || event.entity != events::ORDER {
        return Err(permanent(format!(
            "hold_order acts on an order, and the event is about a {}",
            event.entity
        )));
    }
    if [
        events::ORDER_HELD,
        events::ORDER_RELEASED,
        events::ORDER_DELETED,
    ]
    .contains(&event.event_type.as_str())
    {
        // A hold's own events never hold again (a rule on `order.*` would
        // undo every release), nor does a deletion.
        return Ok(format!("nothing to hold on {}", event.event_type));
    }
    let reason = action.args["reason"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let workflow = action.args["workflow_id"].as_str().unwrap_or_default();
    let workflow_id =
        EntityId::parse(workflow).map_err(|_| permanent("workflow_id is not a UUID"))?;
    // Checked before the hold, so that a rule naming a workflow no request
    // can be filed on holds nothing (the filing checks again).
    if !workflows::visible_to_all(store, workflow)
        .await
        .map_err(ActionFailure::storage)?
    {
        return Err(permanent(format!("workflow {workflow} is not active")));
    }
    // The approval's id: the action's, so that a repeat finds it.
    let approval_id = action.event_id;
    let filed_before = filed(store, &approval_id)
        .await
        .map_err(ActionFailure::storage)?;
    let mut held = None;
    for _ in 0..VERSION_RETRIES {
        let record = order(store, &event.entity_id).await?;
        match &record.hold {
            Some(hold) if hold.approval_id == approval_id => {
                held = Some(record);
                break;
            }
            Some(hold) => {
                return Ok(format!(
                    "order {} is held already, for approval {}",
                    record.id, hold.approval_id
                ))
            }
            // A repeat after the order was released: its request was
            // filed, and may be decided already; never hold again.
            None if filed_before => {
                return Ok(format!(
                    "order {} was held for approval {approval_id} before",
                    record.id
                ))
            }
            None if record.status != OrderStatus::Pending => {
                return Err(permanent(format!(
                    "order {} is {}: only a pending order is held",
                    record.id, record.status
                )))
            }
            None => {}
        }
        let hold = Hold {
            reason: reason.clone(),
            approval_id,
            rule_id: action.rule_id,
            at: clock::now(),
        };
        let after = next_version(&record, Some(hold));
        let cause = Some((event, action.event_id));
        let cid = &event.correlation_id;
        match commit_hold(store, &Actor::system(), cause, cid, &record, &after).await {
            Ok(true) => {
                held = Some(after);
                break;
            }
            Ok(false) => continue,
            Err(error) => return Err(retry(error)),
        }
    }
    let record = held.ok_or_else(|| {
        ActionFailure::Transient("the order kept changing; tried again later".into())
    })?;
    let request = request_for(&record, &reason, workflow_id)?;
    match file_by_rule(store, record.user_id, approval_id, event, request).await {
        Ok(RuleFiling::Filed(_)) => Ok(format!(
            "held order {} and filed approval {approval_id}",
            record.id
        )),
        Ok(RuleFiling::Before) => Ok(format!(
            "order {} held, approval {approval_id} filed before",
            record.id
        )),
        Err(ApprovalsError::Store(error)) => Err(ActionFailure::storage(error)),
        Err(error) => Err(permanent(format!(
            "order {} held, but its approval was not filed: {error}",
            record.id
        ))),
    }
}

/// The approval request for held order `record`.
fn request_for(
    record: &OrderRecord,
    reason: &str,
    workflow_id: EntityId,
) -> Result<NewRequest, ActionFailure> {
    let id = record.id.to_string();
    let title = Title::parse(&format!("Order {} held: {reason}", &id[..8]))
        .or_else(|_| Title::parse(&format!("Order {} held for approval", &id[..8])))
        .map_err(permanent)?;
    let items: Vec<_> = record
        .lines
        .iter()
        .map(|l| json!({"sku": l.sku.as_str(), "quantity": l.quantity, "line_total": l.line_total}))
        .collect();
    let payload = json!({"order_id": id, "total": record.total, "items": items});
    Ok(NewRequest {
        workflow_id,
        title,
        description: Description::parse(reason).map_err(permanent)?,
        payload: Payload::parse(payload).map_err(permanent)?,
        // The total is in minor units; an approval's amount in major ones.
        amount: Amount::parse(record.total as f64 / 100.0).ok(),
    })
}

/// The rule action `release_order`: releases the order held for the
/// event's approval, once it is approved.
pub async fn release_by_rule(
    store: &Store,
    action: &EntityAction<'_>,
) -> Result<String, ActionFailure> {
    let event = action.event;
    if event.is_client_report() || event.entity != "approval" {
        return Err(permanent(format!(
            "release_order acts on an approval, and the event is about a {}",
            event.entity
        )));
    }
    if event.data["status"] != "APPROVED" {
        return Err(permanent(format!(
            "approval {} is {}, not approved",
            event.entity_id, event.data["status"]
        )));
    }
    let order_id = event.data["payload"]["order_id"]
        .as_str()
        .unwrap_or_default();
    for _ in 0..VERSION_RETRIES {
        let record = order(store, order_id).await?;
        match &record.hold {
            None => return Ok(format!("order {} is not held", record.id)),
            Some(hold) if hold.approval_id.to_string() != event.entity_id => {
                return Err(permanent(format!(
                    "order {} is held for approval {}, not {}",
                    record.id, hold.approval_id, event.entity_id
                )))
            }
            Some(_) => {}
        }
        let after = next_version(&record, None);
        let cause = Some((event, action.event_id));
        let cid = &event.correlation_id;
        match commit_hold(store, &Actor::system(), cause, cid, &record, &after).await {
            Ok(true) => return Ok(format!("released order {}", record.id)),
            Ok(false) => continue,
            Err(error) => return Err(retry(error)),
        }
    }
    Err(ActionFailure::Transient(
        "the order kept changing; tried again later".into(),
    ))
}

/// Releases `record`'s hold (read at its version), as an admin; the order
/// after. Its approval request stays as it is.
pub async fn release(
    store: &Store,
    principal: &Principal,
    correlation_id: &str,
    record: &OrderRecord,
) -> Result<OrderRecord, OrdersError> {
    if record.hold.is_none() {
        return Err(OrdersError::NotHeld);
    }
    let after = next_version(record, None);
    let actor = Actor::from(principal);
    if commit_hold(store, &actor, None, correlation_id, record, &after).await? {
        Ok(after)
    } else {
        Err(OrdersError::Stale)
    }
}
