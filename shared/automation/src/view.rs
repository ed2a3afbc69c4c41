//! What clients see of rules, which is also what rule events carry as
//! `data`: the definition as written (trigger, conditions, actions, …)
//! plus identity and versioning. Storage keys never leave the store.

use crate::language::RuleSpec;
use crate::store::rules::RuleRecord;
use crate::store::StoreError;
use serde_json::{Map, Value};

/// A rule as the API shows it.
pub fn rule_view(record: &RuleRecord) -> Result<Value, StoreError> {
    let mut body = definition(&record.spec()?)?;
    body.insert("id".into(), record.id.to_string().into());
    body.insert("created_by".into(), record.created_by.to_string().into());
    body.insert("created_at".into(), rfc3339(record.created_at).into());
    body.insert("updated_at".into(), rfc3339(record.updated_at).into());
    body.insert("version".into(), record.version.into());
    Ok(Value::Object(body))
}

/// A rule's definition as the JSON object it is written as.
pub fn definition(spec: &RuleSpec) -> Result<Map<String, Value>, StoreError> {
    match serde_json::to_value(spec) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(StoreError::Other(anyhow::anyhow!(
            "a rule that is not an object"
        ))),
    }
}

fn rfc3339(at: time::OffsetDateTime) -> String {
    at.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}
