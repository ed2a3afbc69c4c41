//! The decision request other approval systems send to
//! `POST /api/v1/automation/execute` (told apart by its `request_id`):
//! checked whole, each problem named by its field (`transaction.value`),
//! and read into the request the conditions of its type's decision rule
//! see — the fields given, normalised (currency and priority in upper
//! case), the absent ones left out so a rule that needs one answers
//! `MISSING_FIELD:<field>`.

use crate::domain::EntityId;
use crate::error::{ApiResult, Validator};
use crate::service::decisions::{workflow_type, DecisionRequest};
use serde::Deserialize;
use serde_json::{json, Map, Value};

/// A decision request: the highest active decision rule of
/// `workflow_type` decides it, once per `request_id`.
#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = DecisionRequest))]
#[serde(deny_unknown_fields)]
pub(crate) struct DecisionBody {
    /// The caller's id of the request (1–128 characters): a repeat is
    /// answered `DUPLICATE_IGNORED` with the first answer.
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 128, example = "REQ-2026-0042")
    )]
    request_id: String,
    /// The workflow the request belongs to, if the caller knows it.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(format = "uuid"))]
    workflow_id: Option<String>,
    /// Whose decision rule decides (any case).
    #[cfg_attr(feature = "openapi", schema(example = "HIGH_VALUE_TRANSACTION"))]
    workflow_type: String,
    #[serde(default)]
    transaction: Option<TransactionInput>,
    /// 0 to 1.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 1, example = 0.42))]
    risk_score: Option<f64>,
    /// `LOW`, `MEDIUM` or `HIGH` (any case).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(example = "HIGH"))]
    priority: Option<String>,
    /// The system that sent it (1–128 characters).
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 128, example = "ERP")
    )]
    source_system: Option<String>,
    /// When the request was made (RFC 3339).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(format = "date-time"))]
    created_at: Option<String>,
}

/// What the request is about.
#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = DecisionTransaction))]
#[serde(deny_unknown_fields)]
pub(crate) struct TransactionInput {
    /// More than 0, at most 10¹².
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(exclusive_minimum = 0, maximum = 1e12, example = 25000)
    )]
    value: Option<f64>,
    /// Three letters (ISO 4217; any case).
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(pattern = "^[A-Za-z]{3}$", example = "EUR")
    )]
    currency: Option<String>,
}

/// `value` when `fine`, else `message`.
fn must<T>(fine: bool, value: T, message: &str) -> Result<T, String> {
    if fine {
        Ok(value)
    } else {
        Err(message.to_owned())
    }
}

/// Text of 1–128 characters, no control characters, trimmed.
fn short_text(raw: &str) -> Result<String, String> {
    let text = raw.trim();
    if text.is_empty() || text.chars().count() > 128 || text.chars().any(char::is_control) {
        return Err("must be 1 to 128 characters, without control characters".into());
    }
    Ok(text.to_owned())
}

/// The body's fields, each problem named.
pub(super) fn check(body: DecisionBody) -> ApiResult<DecisionRequest> {
    let mut v = Validator::new();
    let mut request = Map::new();
    let mut put = |name: &str, value: Option<Value>| {
        if let Some(value) = value {
            request.insert(name.to_owned(), value);
        }
    };
    let request_id = v.check("request_id", short_text(&body.request_id));
    put("request_id", request_id.clone().map(Value::from));
    let workflow = body.workflow_id.as_deref().and_then(|raw| {
        v.check(
            "workflow_id",
            EntityId::parse(raw).map_err(|_| "must be a workflow id".to_owned()),
        )
    });
    put("workflow_id", workflow.map(|id| id.to_string().into()));
    let kind = v.check("workflow_type", workflow_type(&body.workflow_type));
    put("workflow_type", kind.clone().map(Value::from));
    if let Some(transaction) = body.transaction {
        let value = transaction.value.and_then(|value| {
            let fine = value.is_finite() && value > 0.0 && value <= 1e12;
            v.check(
                "transaction.value",
                must(fine, value, "must be more than 0 and at most 10^12"),
            )
        });
        let currency = transaction.currency.and_then(|raw| {
            let code = raw.trim().to_ascii_uppercase();
            let fine = code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase());
            v.check(
                "transaction.currency",
                must(fine, code, "must be three letters (ISO 4217), such as EUR"),
            )
        });
        let mut fields = Map::new();
        if let Some(value) = value {
            fields.insert("value".into(), json!(value));
        }
        if let Some(currency) = currency {
            fields.insert("currency".into(), currency.into());
        }
        put("transaction", Some(Value::Object(fields)));
    }
    let risk = body.risk_score.and_then(|score| {
        let fine = score.is_finite() && (0.0..=1.0).contains(&score);
        v.check("risk_score", must(fine, score, "must be from 0 to 1"))
    });
    put("risk_score", risk.map(|r| json!(r)));
    let priority = body.priority.and_then(|raw| {
        let level = raw.trim().to_ascii_uppercase();
        let fine = ["LOW", "MEDIUM", "HIGH"].contains(&level.as_str());
        v.check("priority", must(fine, level, "must be LOW, MEDIUM or HIGH"))
    });
    put("priority", priority.map(Value::from));
    let source = body
        .source_system
        .and_then(|raw| v.check("source_system", short_text(&raw)));
    put("source_system", source.map(Value::from));
    let created = body.created_at.and_then(|raw| {
        let at =
            time::OffsetDateTime::parse(raw.trim(), &time::format_description::well_known::Rfc3339)
                .ok()
                .and_then(opsflow_platform::clock::checked_utc);
        v.check(
            "created_at",
            at.ok_or_else(|| "must be an RFC 3339 time, such as 2026-12-05T09:15:02Z".to_owned()),
        )
    });
    put(
        "created_at",
        created.map(|at| opsflow_platform::clock::sortable(at).into()),
    );
    v.finish()?;
    match (request_id, kind) {
        (Some(request_id), Some(workflow_type)) => Ok(DecisionRequest {
            request_id,
            workflow_type,
            body: Value::Object(request),
        }),
        _ => Err(crate::error::ApiError::internal(
            "validated input went missing",
        )),
    }
}
