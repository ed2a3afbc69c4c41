//! Response bodies. Only these shapes leave the API; storage records (with
//! their password hashes and keys) never do.

use crate::domain::{Approvers, Step, User};
use serde::Serialize;
use time::OffsetDateTime;

#[derive(Debug, Serialize)]
pub struct UserView {
    pub id: String,
    pub email: String,
    pub name: String,
    pub role: String,
    pub is_active: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    pub version: u64,
}

impl From<&User> for UserView {
    fn from(user: &User) -> Self {
        Self {
            id: user.id.to_string(),
            email: user.email.to_string(),
            name: user.name.as_str().to_owned(),
            role: user.role.to_string(),
            is_active: user.is_active,
            created_at: user.created_at,
            updated_at: user.updated_at,
            version: user.version,
        }
    }
}

impl UserView {
    /// The view as an event's `data`.
    pub fn to_value(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or_default()
    }
}

/// A workflow step (also copied into each approval).
#[derive(Debug, Serialize)]
pub(crate) struct StepView {
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    approver_role: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    approver_ids: Option<Vec<String>>,
    required_approvals: u32,
    /// Users a rule made approvers of an approval's step, beside those
    /// above; absent when there are none (always, for a workflow's steps).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    assigned_ids: Vec<String>,
}

pub(crate) fn step_view(step: &Step) -> StepView {
    let (approver_role, approver_ids) = match &step.approvers {
        Approvers::Role(role) => (Some(role.to_string()), None),
        Approvers::Users(ids) => (None, Some(ids.iter().map(ToString::to_string).collect())),
    };
    StepView {
        name: step.name.clone(),
        approver_role,
        approver_ids,
        required_approvals: step.required_approvals,
        assigned_ids: step.assigned.iter().map(ToString::to_string).collect(),
    }
}
