//! One migration's change to one item: what it writes (checked before any
//! write) and the conditional `UpdateItem` that writes it only while the
//! item is still as it was read.

use super::super::{classify, n, Item, Store, StoreError, SCHEMA_ATTRIBUTE};
use aws_sdk_dynamodb::types::AttributeValue;
use std::collections::HashMap;

/// What a migration does to one item: in format `from_schema`, it sets,
/// fills and removes attributes and becomes format `to_schema`. A `change`
/// function looks at the item's `type` (and format): every item of the
/// table is offered, bookkeeping items (format 1 for want of a `schema`)
/// included.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Change {
    pub from_schema: u32,
    pub to_schema: u32,
    /// Attributes given these values.
    pub set: Vec<(String, AttributeValue)>,
    /// Attributes given these values where they are absent.
    pub fill: Vec<(String, AttributeValue)>,
    pub remove: Vec<String>,
    /// The attributes the values of `set` were computed from: the item is
    /// changed only while they still hold what was read (or are still
    /// absent), so a write made since (a counter, a status) is never
    /// overwritten with a value computed from before it.
    pub read: Vec<String>,
}

/// Attributes no migration writes: the keys, the kind and the format
/// (which the runner moves itself).
const UNTOUCHABLE: [&str; 4] = ["pk", "sk", "type", SCHEMA_ATTRIBUTE];

impl Change {
    /// Refuses a change DynamoDB would refuse, or that would move an item
    /// or change its kind: each attribute written once, never a key.
    pub(super) fn check(&self, migration: &str) -> Result<(), StoreError> {
        let mut written: Vec<&str> = self
            .set
            .iter()
            .chain(&self.fill)
            .map(|(name, _)| name.as_str())
            .chain(self.remove.iter().map(String::as_str))
            .collect();
        let count = written.len();
        written.sort_unstable();
        written.dedup();
        let untouchable = written.iter().find(|n| UNTOUCHABLE.contains(n));
        if written.len() != count || untouchable.is_some() || self.to_schema <= self.from_schema {
            return Err(StoreError::Other(anyhow::anyhow!(
                "{migration}: a change writes each attribute once, never pk, sk, type or schema, \
                 and moves the format forward ({self:?})"
            )));
        }
        Ok(())
    }
}

/// The conditional `UpdateItem` of one change to `item` as read.
pub(super) async fn update(
    store: &Store,
    pk: &str,
    sk: &str,
    change: &Change,
    item: &Item,
) -> Result<(), StoreError> {
    let request = request(change, item);
    store
        .update_at(pk, sk)
        .update_expression(request.update)
        .condition_expression(request.condition)
        .set_expression_attribute_names(Some(request.names))
        .set_expression_attribute_values(Some(request.values))
        .send()
        .await
        .map(|_| ())
        .map_err(|e| classify(e, "UpdateItem"))
}

/// An `UpdateItem`'s expressions.
#[derive(Debug)]
struct Request {
    update: String,
    condition: String,
    names: HashMap<String, String>,
    values: HashMap<String, AttributeValue>,
}

/// The update of `change`, on condition that `item` is still as read: in
/// the change's format, at its version (if it has one), its `read`
/// attributes unchanged.
fn request(change: &Change, item: &Item) -> Request {
    let mut names = HashMap::from([("#schema".to_owned(), SCHEMA_ATTRIBUTE.to_owned())]);
    let mut values = HashMap::from([
        (":from".to_owned(), n(change.from_schema)),
        (":to".to_owned(), n(change.to_schema)),
    ]);
    let mut sets = vec!["#schema = :to".to_owned()];
    for (i, (name, value)) in change.set.iter().enumerate() {
        names.insert(format!("#s{i}"), name.clone());
        values.insert(format!(":s{i}"), value.clone());
        sets.push(format!("#s{i} = :s{i}"));
    }
    for (i, (name, value)) in change.fill.iter().enumerate() {
        names.insert(format!("#f{i}"), name.clone());
        values.insert(format!(":f{i}"), value.clone());
        sets.push(format!("#f{i} = if_not_exists(#f{i}, :f{i})"));
    }
    let mut update = format!("SET {}", sets.join(", "));
    if !change.remove.is_empty() {
        let removed: Vec<String> = (0..change.remove.len()).map(|i| format!("#r{i}")).collect();
        for (i, name) in change.remove.iter().enumerate() {
            names.insert(format!("#r{i}"), name.clone());
        }
        update.push_str(&format!(" REMOVE {}", removed.join(", ")));
    }
    let mut conditions = vec![if change.from_schema == 1 {
        "attribute_exists(pk) AND (attribute_not_exists(#schema) OR #schema = :from)".to_owned()
    } else {
        "attribute_exists(pk) AND #schema = :from".to_owned()
    }];
    let unchanged = change.read.iter().map(String::as_str).chain(["version"]);
    for (i, name) in unchanged.enumerate() {
        names.insert(format!("#c{i}"), name.to_owned());
        match item.get(name) {
            Some(value) => {
                values.insert(format!(":c{i}"), value.clone());
                conditions.push(format!("#c{i} = :c{i}"));
            }
            None => conditions.push(format!("attribute_not_exists(#c{i})")),
        }
    }
    Request {
        update,
        condition: conditions.join(" AND "),
        names,
        values,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{n, s};

    #[test]
    fn a_change_sets_fills_and_removes_only_while_the_item_is_as_read() {
        let change = Change {
            from_schema: 1,
            to_schema: 2,
            set: vec![("label".into(), s("RED"))],
            fill: vec![("generation".into(), n(0))],
            remove: vec!["legacy".into()],
            read: vec!["colour".into(), "shade".into()],
        };
        let item = Item::from([
            ("colour".to_owned(), s("red")),
            ("version".to_owned(), n(4)),
        ]);
        let request = request(&change, &item);
        assert_eq!(
            request.update,
            "SET #schema = :to, #s0 = :s0, #f0 = if_not_exists(#f0, :f0) REMOVE #r0"
        );
        assert_eq!(
            request.condition,
            "attribute_exists(pk) AND (attribute_not_exists(#schema) OR #schema = :from) \
             AND #c0 = :c0 AND attribute_not_exists(#c1) AND #c2 = :c2"
        );
        assert_eq!(request.names["#s0"], "label");
        assert_eq!(request.names["#c1"], "shade");
        assert_eq!(request.names["#c2"], "version");
        assert_eq!(request.values[":c0"], s("red"));
        assert_eq!(request.values[":c2"], n(4));
        assert_eq!(request.values[":to"], n(2));
        assert!(change.check("m").is_ok());
    }

    #[test]
    fn a_change_that_dynamodb_would_refuse_or_that_moves_an_item_is_refused() {
        let base = Change {
            from_schema: 1,
            to_schema: 2,
            ..Change::default()
        };
        let twice = Change {
            set: vec![("a".into(), n(1))],
            remove: vec!["a".into()],
            ..base.clone()
        };
        let key = Change {
            set: vec![("pk".into(), s("X"))],
            ..base.clone()
        };
        let backwards = Change {
            to_schema: 1,
            ..base.clone()
        };
        for refused in [twice, key, backwards] {
            assert!(refused.check("m").is_err(), "{refused:?}");
        }
        assert!(base.check("m").is_ok());
    }
}
