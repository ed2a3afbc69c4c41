//! Listings of approvals: the partitions a listing reads (an index, or the
//! link items of a workflow, a requester or an assignee), merged newest
//! first, filtered, and the approvals the links stand for read in one
//! `BatchGetItem`. Access patterns are in the `//!` of `store::approvals`.

use super::super::{from_item, keys, s, Expr, Item, Partition, Store, StoreError};
use super::records::ApprovalLink;
use super::ApprovalRecord;
use crate::domain::{ApprovalStatus, EntityId, Role};
use aws_sdk_dynamodb::types::AttributeValue;

/// Where a listing of approvals reads from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApprovalSource {
    All,
    Status(ApprovalStatus),
    Workflow(EntityId),
    Requester(EntityId),
    /// The approvals whose current step waits on this user of this role.
    AssignedTo(EntityId, Role),
}

/// Conditions on a listing beyond its source.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApprovalFilter {
    pub status: Option<ApprovalStatus>,
    pub workflow_id: Option<EntityId>,
    pub requester_id: Option<EntityId>,
}

pub(super) async fn list_approvals(
    store: &Store,
    source: &ApprovalSource,
    filter: &ApprovalFilter,
    limit: usize,
    after: Option<&str>,
) -> Result<(Vec<ApprovalRecord>, Option<String>), StoreError> {
    let (partitions, mut condition) = match source {
        ApprovalSource::All => (
            vec![index_partition("gsi1", keys::APPROVALS_GSI1PK.into())],
            Expr::default(),
        ),
        ApprovalSource::Status(status) => (
            vec![index_partition(
                "gsi2",
                keys::approvals_by_status_gsi2pk(*status),
            )],
            Expr::default(),
        ),
        ApprovalSource::Workflow(id) => {
            (vec![link_partition(keys::workflow_pk(id))], Expr::default())
        }
        ApprovalSource::Requester(id) => (vec![link_partition(keys::user_pk(id))], Expr::default()),
        ApprovalSource::AssignedTo(user, role) => (
            vec![
                link_partition(keys::assigned_to_role_pk(*role)),
                link_partition(keys::assigned_to_user_pk(user)),
            ],
            Expr::new("requester_id <> :me AND NOT contains(decided_by, :me)")
                .value(":me", s(user.to_string())),
        ),
    };
    if let Some(status) = filter.status {
        condition = condition.and(
            Expr::new("#status = :status")
                .name("#status", "status")
                .value(":status", s(status.as_str())),
        );
    }
    if let Some(workflow) = filter.workflow_id {
        condition = condition
            .and(Expr::new("workflow_id = :workflow").value(":workflow", s(workflow.to_string())));
    }
    if let Some(requester) = filter.requester_id {
        condition = condition.and(
            Expr::new("requester_id = :requester").value(":requester", s(requester.to_string())),
        );
    }
    let filter = (!condition.text.is_empty()).then_some(&condition);
    let (items, next) = store
        .query_merged(
            &partitions,
            keys::APPROVAL_SORT_PREFIX,
            filter,
            limit,
            after,
            true,
        )
        .await?;
    let records = approvals_of(store, items).await?;
    Ok((records, next))
}

/// The approvals that listed items stand for: index entries are the
/// approvals themselves, links are read with one `BatchGetItem`.
async fn approvals_of(store: &Store, items: Vec<Item>) -> Result<Vec<ApprovalRecord>, StoreError> {
    let mut keys_wanted = Vec::new();
    let mut direct = Vec::new();
    for item in items {
        let is_link =
            matches!(item.get("type"), Some(AttributeValue::S(t)) if t == "approval_link");
        if is_link {
            let link: ApprovalLink = from_item(item)?;
            keys_wanted.push((
                keys::approval_pk(&link.approval_id),
                keys::APPROVAL_SK.to_owned(),
            ));
        } else {
            direct.push(from_item(item)?);
        }
    }
    if keys_wanted.is_empty() {
        return Ok(direct);
    }
    store
        .batch_get(keys_wanted)
        .await?
        .into_iter()
        .map(from_item)
        .collect()
}

/// `records` with their risks, read beside them with one `BatchGetItem`
/// (a listing shows each approval's risk as its own view does).
pub async fn with_risks(
    store: &Store,
    mut records: Vec<ApprovalRecord>,
) -> Result<Vec<ApprovalRecord>, StoreError> {
    if records.is_empty() {
        return Ok(records);
    }
    let wanted = records
        .iter()
        .map(|r| (keys::approval_pk(&r.id), keys::RISK_SK.to_owned()))
        .collect();
    for item in store.batch_get(wanted).await? {
        let risk: super::RiskRecord = from_item(item)?;
        if let Some(record) = records.iter_mut().find(|r| r.id == risk.approval_id) {
            record.risk = Some(risk.risk);
        }
    }
    Ok(records)
}

fn index_partition(index: &'static str, partition: String) -> Partition {
    let (partition_attribute, sort_attribute) = match index {
        "gsi1" => ("gsi1pk", "gsi1sk"),
        _ => ("gsi2pk", "gsi2sk"),
    };
    Partition {
        index: Some(index),
        partition_attribute,
        sort_attribute,
        partition,
    }
}

fn link_partition(partition: String) -> Partition {
    Partition {
        index: None,
        partition_attribute: "pk",
        sort_attribute: "sk",
        partition,
    }
}
