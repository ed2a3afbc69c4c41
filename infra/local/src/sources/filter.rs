//! Lambda event filtering (`FilterCriteria`), the EventBridge pattern
//! language as event source mappings use it: a record passes a pattern when
//! every key of the pattern matches. A list of values matches when any of
//! them does; a value is a literal or a content filter (`prefix`, `suffix`,
//! `exists`, `anything-but`, `numeric`). A record passes the criteria when
//! it passes any pattern; no patterns means everything passes.

use serde_json::Value;

pub fn passes(patterns: &[Value], record: &Value) -> bool {
    patterns.is_empty() || patterns.iter().any(|p| matches(p, Some(record)))
}

fn matches(pattern: &Value, value: Option<&Value>) -> bool {
    match pattern {
        Value::Object(fields) => fields.iter().all(|(key, sub)| {
            let child = value.and_then(|v| v.get(key));
            match sub {
                Value::Object(_) => matches(sub, child),
                Value::Array(options) => options.iter().any(|o| matches_one(o, child)),
                // A bare value is not valid in a pattern; treat as a literal.
                literal => child == Some(literal),
            }
        }),
        _ => false,
    }
}

/// One element of a pattern's value list against the record's value, which
/// may itself be a list (any element matching is enough).
fn matches_one(option: &Value, value: Option<&Value>) -> bool {
    if let Value::Object(filter) = option {
        if let Some(exists) = filter.get("exists").and_then(Value::as_bool) {
            return value.is_some() == exists;
        }
    }
    match value {
        None => false,
        Some(Value::Array(items)) => items.iter().any(|item| matches_scalar(option, item)),
        Some(item) => matches_scalar(option, item),
    }
}

fn matches_scalar(option: &Value, item: &Value) -> bool {
    let Value::Object(filter) = option else {
        return option == item;
    };
    if let Some(prefix) = filter.get("prefix").and_then(Value::as_str) {
        return item.as_str().is_some_and(|s| s.starts_with(prefix));
    }
    if let Some(suffix) = filter.get("suffix").and_then(Value::as_str) {
        return item.as_str().is_some_and(|s| s.ends_with(suffix));
    }
    if let Some(excluded) = filter.get("anything-but") {
        return match excluded {
            Value::Array(list) => !list.contains(item),
            Value::Object(_) => !matches_scalar(excluded, item),
            single => single != item,
        };
    }
    if let Some(Value::Array(conditions)) = filter.get("numeric") {
        let Some(number) = item.as_f64() else {
            return false;
        };
        return conditions.chunks(2).all(|pair| match pair {
            [Value::String(op), bound] => bound.as_f64().is_some_and(|b| match op.as_str() {
                "=" => number == b,
                "<" => number < b,
                "<=" => number <= b,
                ">" => number > b,
                ">=" => number >= b,
                _ => false,
            }),
            _ => false,
        });
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn event_record(kind: &str) -> Value {
        json!({"eventName": "INSERT", "dynamodb": {"NewImage": {"type": {"S": kind}, "n": {"N": "5"}}}})
    }

    #[test]
    fn the_outbox_filter_passes_only_event_items() {
        let pattern = json!({"dynamodb": {"NewImage": {"type": {"S": ["event"]}}}});
        assert!(passes(
            std::slice::from_ref(&pattern),
            &event_record("event")
        ));
        assert!(!passes(&[pattern], &event_record("user")));
    }

    #[test]
    fn content_filters_work() {
        let record = json!({"eventName": "MODIFY", "name": "approval.created", "size": 12});
        let cases = [
            (json!({"name": [{"prefix": "approval."}]}), true),
            (json!({"name": [{"suffix": ".created"}]}), true),
            (
                json!({"name": [{"anything-but": ["approval.created"]}]}),
                false,
            ),
            (json!({"missing": [{"exists": false}]}), true),
            (json!({"name": [{"exists": true}]}), true),
            (json!({"size": [{"numeric": [">", 10, "<=", 12]}]}), true),
            (json!({"size": [{"numeric": ["<", 10]}]}), false),
            (json!({"eventName": ["INSERT", "MODIFY"]}), true),
        ];
        for (pattern, expected) in cases {
            assert_eq!(
                passes(std::slice::from_ref(&pattern), &record),
                expected,
                "{pattern}"
            );
        }
    }

    #[test]
    fn any_pattern_suffices_and_none_means_all() {
        let record = json!({"a": 1});
        assert!(passes(&[], &record));
        assert!(passes(&[json!({"a": [2]}), json!({"a": [1]})], &record));
    }

    proptest! {
        #[test]
        fn filtering_never_panics(key in "[a-z]{1,4}", text in ".{0,20}", n in any::<i64>()) {
            let record = json!({key.clone(): text, "n": n});
            let patterns = [json!({key: [{"prefix": "a"}, {"numeric": [">", 0]}, {"anything-but": "x"}]})];
            let _ = passes(&patterns, &record);
        }
    }
}
