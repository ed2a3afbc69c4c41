//! What the derived schemas of the workflows' and approvals' types cannot
//! say themselves: the domain's named values (statuses, verdicts, roles)
//! and ids held as text.
//!
//! Invariant: a named value's schema lists the domain type's `ALL`, so it
//! offers exactly what the type's `parse` accepts and its serde writes.

use crate::domain::workflow::MAX_APPROVERS;
use crate::domain::{ApprovalStatus, Role, Verdict, WorkflowStatus};
use utoipa::openapi::schema::{ArrayBuilder, Object, ObjectBuilder, SchemaFormat, Type};
use utoipa::openapi::{RefOr, Schema};

/// A string schema whose values are `values`.
fn named(values: &[&'static str], description: &str) -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(values.iter().copied()))
        .description(Some(description))
        .build()
}

opsflow_platform::named_values! {
    WorkflowStatus as "WorkflowStatus" => "`DRAFT` while it is designed, `ACTIVE` while requests may be filed \
                       against it, `ARCHIVED` for good; only `DRAFT → ACTIVE → ARCHIVED`.",
    ApprovalStatus as "ApprovalStatus" => "Open — `PENDING`, or `ESCALATED` while its current step is \
                       escalated — until the last step's quorum (`APPROVED`), a rejection \
                       (`REJECTED`) or the requester's withdrawal (`CANCELLED`); those \
                       three are final.",
    Verdict as "Verdict" => "What an approver said about a step.",
}

/// A step's role (`approver_role`): the values [`Role`] parses but
/// `auditor` (auditors change nothing).
pub fn role() -> Object {
    let deciding: Vec<&str> = Role::ALL
        .into_iter()
        .filter(|role| *role != Role::Auditor)
        .map(Role::as_str)
        .collect();
    named(&deciding, "A role whose users decide the step.")
}

/// An id as text: a UUID.
pub fn id() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .format(Some(SchemaFormat::Custom("uuid".into())))
        .build()
}

/// Users' ids.
pub fn user_ids() -> RefOr<Schema> {
    ArrayBuilder::new().items(id()).build().into()
}

/// A step's named approvers: 1–25 distinct users.
pub fn approver_ids() -> RefOr<Schema> {
    ArrayBuilder::new()
        .items(id())
        .min_items(Some(1))
        .max_items(Some(MAX_APPROVERS))
        .unique_items(true)
        .description(Some(format!(
            "The users who decide the step (1–{MAX_APPROVERS}, each once); \
             absent when `approver_role` names them."
        )))
        .build()
        .into()
}

/// The users a rule's `assign` added to an approval's step.
pub fn assigned_ids() -> RefOr<Schema> {
    ArrayBuilder::new()
        .items(id())
        .min_items(Some(1))
        .description(Some(
            "Users a rule made approvers of this step, beside those above; \
             absent when there are none (always, for a workflow's steps).",
        ))
        .build()
        .into()
}

/// What a `PATCH` of an approval asks for: a verdict, or `CANCELLED`.
pub fn wanted_status() -> Object {
    let mut values = Verdict::ALL.map(Verdict::as_str).to_vec();
    values.push(ApprovalStatus::Cancelled.as_str());
    values.push(ApprovalStatus::Escalated.as_str());
    named(
        &values,
        "`APPROVED` or `REJECTED` decides the current step (its approvers); \
         `CANCELLED` withdraws the request (its requester); `ESCALATED` hands \
         the current step up to its escalation approvers (its approvers).",
    )
}
