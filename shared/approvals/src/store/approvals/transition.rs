//! The transactions that change an approval after its filing: a
//! transition (the approval at the version read, its decision, the links
//! and deadline it moves, its event) and the recording of its risk. Keys
//! are in the `//!` of `store::approvals`.

use super::*;

/// The named items of a transition ([`transition`]).
#[derive(Debug, Clone, Copy)]
pub struct Transition {
    /// The approval at the version read: fails when another writer moved it.
    pub approval: transaction::Item,
    /// The decision, written once per approver and step: fails on a repeat.
    pub decision: Option<transaction::Item>,
    /// The event, whose id must be new: fails when an earlier delivery of
    /// the same action committed it.
    pub event: transaction::Item,
}

/// The transaction of [`ApprovalStore::commit_transition`], for a caller
/// that asks which of its named items failed.
pub fn transition(
    store: &Store,
    before: &ApprovalRecord,
    after: &ApprovalRecord,
    decision: Option<&DecisionRecord>,
    event: &Envelope,
) -> Result<(Transaction, Transition), StoreError> {
    let mut items = Transaction::new();
    let approval = items.add(store.put(
        entity_item(after)?,
        Some((
            "attribute_exists(pk) AND version = :expected",
            vec![(":expected", n(before.version))],
        )),
    )?);
    let decision_item = match decision {
        Some(decision) => Some(items.add(store.put(
            entity_item(decision)?,
            Some(("attribute_not_exists(pk)", Vec::new())),
        )?)),
        None => None,
    };
    if before.status != after.status {
        let set_status = Expr::new("SET #status = :status")
            .name("#status", "status")
            .value(":status", s(after.status.as_str()));
        for pk in owner_links(after) {
            items.add(store.update(pk, &keys::approval_sort(&after.id), &set_status)?);
        }
        if before.status.is_open() && after.status.is_final() {
            items.add(bump_pending(store, &after.workflow_id, -1)?);
        }
    }
    let sort = keys::approval_sort(&after.id);
    let step_moved = before.current_step != after.current_step || after.status.is_final();
    // The assignees the approval waits on next: on a new step all of
    // them, and an assignee of both steps gets a fresh link (one
    // operation per item and transaction); on the same step, those
    // assigned to it by this change.
    let next_assignees = match after.current() {
        _ if after.status.is_final() => Vec::new(),
        Some(step) if step_moved => assignee_pks(step),
        Some(step) => {
            let had = before.current().map(assignee_pks).unwrap_or_default();
            assignee_pks(step)
                .into_iter()
                .filter(|pk| !had.contains(pk))
                .collect()
        }
        None => Vec::new(),
    };
    if before.status.is_open() {
        if let Some(step) = before.current() {
            if step_moved {
                for pk in assignee_pks(step) {
                    if !next_assignees.contains(&pk) {
                        items.add(store.delete(pk, &sort, None)?);
                    }
                }
            } else if before.status != after.status {
                // Still open on the same step (escalated): the links it
                // keeps show its new status to listings that filter on it.
                // A user who approved the step already has no link left
                // (an update would create a bare one).
                let set_status = Expr::new("SET #status = :status")
                    .name("#status", "status")
                    .value(":status", s(after.status.as_str()));
                let gone: Vec<String> = before
                    .step_approvals
                    .iter()
                    .map(keys::assigned_to_user_pk)
                    .collect();
                for pk in assignee_pks(step) {
                    if !gone.contains(&pk) {
                        items.add(store.update(pk, &sort, &set_status)?);
                    }
                }
            } else if let Some(decision) = decision {
                // The step still waits: its decider leaves the listings
                // that showed it to them. A role's link is shared, so it
                // records them; a user's own link goes.
                if step.roles().any(|role| role == decision.approver_role) {
                    items.add(store.update(
                        keys::assigned_to_role_pk(decision.approver_role),
                        &sort,
                        // A concurrent transition may have removed the
                        // link; then item 0 fails, and the expression
                        // must still evaluate for that to be reported.
                        &Expr::new(
                            "SET decided_by = list_append(if_not_exists(decided_by, :none), :me)",
                        )
                        .value(":none", AttributeValue::L(Vec::new()))
                        .value(
                            ":me",
                            AttributeValue::L(vec![s(decision.approver_id.to_string())]),
                        ),
                    )?);
                }
                if step.named_users().any(|user| *user == decision.approver_id) {
                    items.add(store.delete(
                        keys::assigned_to_user_pk(&decision.approver_id),
                        &sort,
                        None,
                    )?);
                }
            }
        }
    }
    for pk in next_assignees {
        items.add(store.put(entity_item(&after.assignee_link(pk))?, None)?);
    }
    // The deadline follows the step: a new step's replaces the last one's,
    // and an escalated or final approval has none.
    let (old_deadline, new_deadline) = (before.deadline(), after.deadline());
    if old_deadline != new_deadline {
        // Two steps may fall due in the same millisecond: then the new
        // deadline's put replaces the old one (one operation per item).
        let new_keys = new_deadline.as_ref().map(Entity::keys);
        if let Some(old) = old_deadline.as_ref().map(Entity::keys) {
            if new_keys.as_ref().map(|k| (&k.pk, &k.sk)) != Some((&old.pk, &old.sk)) {
                items.add(store.delete(old.pk, &old.sk, None)?);
            }
        }
        if let Some(new) = new_deadline {
            items.add(store.put(entity_item(&new)?, None)?);
        }
    }
    // The event's id must be new: an action that derives its event's id
    // finds a repeat of itself refused here (the last item).
    let event = items.add(store.put(
        OutboxItem::new(event)?.to_item()?,
        Some(("attribute_not_exists(pk)", Vec::new())),
    )?);
    let named = Transition {
        approval,
        decision: decision_item,
        event,
    };
    Ok((items, named))
}

/// The transaction that records `risk` as approval `record`'s with its
/// event: the risk item unless one scored at or after it is there (the
/// first item fails then), and the event, whose id must be new (the
/// second fails on a repeat).
pub fn risk_recording(
    store: &Store,
    risk: &RiskRecord,
    event: &Envelope,
) -> Result<Transaction, StoreError> {
    let mut items = Transaction::new();
    items.add(store.put(
        entity_item(risk)?,
        Some((
            "attribute_not_exists(pk) OR scored_ms < :scored",
            vec![(":scored", n(risk.scored_ms))],
        )),
    )?);
    items.add(store.put(
        OutboxItem::new(event)?.to_item()?,
        Some(("attribute_not_exists(pk)", Vec::new())),
    )?);
    Ok(items)
}
