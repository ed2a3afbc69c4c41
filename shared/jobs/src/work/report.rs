//! `generate-report`: the rows a report asks for, read page by page from
//! their listings (never a scan), rendered as CSV or JSON and written to
//! the reports bucket under the job's key. At most [`MAX_ROWS`] rows: a
//! larger report says `truncated` in its result.

use super::{text, Failure};
use crate::pipeline::Worker;
use crate::reports::Reports;
use crate::spec::{Report, ReportFormat};
use crate::store::JobRecord;
use opsflow_approvals::domain::ApprovalStatus;
use opsflow_items::domain::{ItemStatus, SortBy, SortOrder};
use opsflow_items::service::ItemFilter;
use opsflow_platform::domain::EntityId;
use serde_json::{json, Map, Value};
use time::OffsetDateTime;

/// The most rows a report holds.
pub const MAX_ROWS: usize = 50_000;
/// Entries read per page.
const PAGE: usize = 100;

const ITEM_COLUMNS: [&str; 7] = [
    "id",
    "name",
    "status",
    "description",
    "owner_id",
    "created_at",
    "updated_at",
];
const APPROVAL_COLUMNS: [&str; 9] = [
    "id",
    "workflow_id",
    "workflow_name",
    "title",
    "status",
    "requester_id",
    "amount",
    "created_at",
    "updated_at",
];

type Rows = (Vec<Map<String, Value>>, bool);

pub async fn generate(
    worker: &Worker,
    job: &JobRecord,
    report: &Report,
    format: ReportFormat,
) -> Result<Value, Failure> {
    let (columns, (rows, truncated)): (&[&str], Rows) = match report {
        Report::Items { status } => (&ITEM_COLUMNS, items(worker, *status).await?),
        Report::Approvals { status, from, to } => (
            &APPROVAL_COLUMNS,
            approvals(worker, *status, *from, *to).await?,
        ),
    };
    let body = text::render(columns, &rows, format == ReportFormat::Csv);
    let key = Reports::key(&job.id, format);
    let bytes = body.len();
    worker
        .reports
        .put(&key, format, body)
        .await
        .map_err(|e| Failure::passing(format!("the reports bucket: {e}")))?;
    Ok(json!({
        "key": key,
        "format": format,
        "rows": rows.len(),
        "bytes": bytes,
        "truncated": truncated,
    }))
}

fn row(value: Value, columns: &[&str]) -> Map<String, Value> {
    let mut object = match value {
        Value::Object(object) => object,
        _ => Map::new(),
    };
    object.retain(|key, _| columns.contains(&key.as_str()));
    object
}

/// Items (of a status, or all), oldest first.
async fn items(worker: &Worker, status: Option<ItemStatus>) -> Result<Rows, Failure> {
    let filter = ItemFilter {
        status,
        search: None,
        sort: SortBy::CreatedAt,
        order: SortOrder::Asc,
    };
    let mut rows = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let (page, next) =
            opsflow_items::service::list(&worker.store, &filter, PAGE, after.as_deref())
                .await
                .map_err(|e| Failure::passing(format!("the items: {e}")))?;
        for record in &page {
            if rows.len() == MAX_ROWS {
                return Ok((rows, true));
            }
            rows.push(row(opsflow_items::view::item_data(record), &ITEM_COLUMNS));
        }
        match next {
            Some(next) => after = Some(next),
            None => return Ok((rows, false)),
        }
    }
}

fn millis(at: OffsetDateTime) -> u64 {
    u64::try_from(at.unix_timestamp_nanos() / 1_000_000).unwrap_or(0)
}

/// Approvals (of a status, or all) created in `[from, to)`, newest first:
/// the listing is read from just below `to` down to `from`.
async fn approvals(
    worker: &Worker,
    status: Option<ApprovalStatus>,
    from: Option<OffsetDateTime>,
    to: Option<OffsetDateTime>,
) -> Result<Rows, Failure> {
    use opsflow_approvals::service::approvals::{listing_key_before, page_of_all};
    let mut rows = Vec::new();
    let mut after = to.map(|to| listing_key_before(EntityId::earliest_at(millis(to))));
    let floor = from.map(|from| EntityId::earliest_at(millis(from)).to_string());
    loop {
        let (page, next) = page_of_all(&worker.store, status, PAGE, after.as_deref())
            .await
            .map_err(|e| Failure::passing(format!("the approvals: {e}")))?;
        for view in page {
            let id = view["id"].as_str().unwrap_or_default().to_owned();
            if floor.as_ref().is_some_and(|floor| id < *floor) {
                return Ok((rows, false));
            }
            if rows.len() == MAX_ROWS {
                return Ok((rows, true));
            }
            rows.push(row(view, &APPROVAL_COLUMNS));
        }
        match next {
            Some(next) => after = Some(next),
            None => return Ok((rows, false)),
        }
    }
}
