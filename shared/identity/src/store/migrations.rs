//! Identity's data migrations (`opsflow-admin migrate`,
//! docs/operations.md#data-migrations).
//!
//! `identity-0001-user-session-generation`: user items in format 1 may
//! lack `session_generation` (accounts from before sessions had
//! generations); format 2 always has it. The migration gives those items
//! generation 0 (what reading them assumes), keeps any generation already
//! there, and moves every user item to format 2. Once it has run on every
//! environment, the record's `#[serde(default)]` on the field can go.

use super::users::UserRecord;
use opsflow_platform::store::migrate::{schema_of, Change, Migration};
use opsflow_platform::store::{n, Entity, Item};

/// Every identity migration, oldest first.
pub const MIGRATIONS: [Migration; 1] = [Migration {
    id: "identity-0001-user-session-generation",
    summary: "user items get session_generation 0 where they have none (format 1 to 2)",
    change: user_session_generation,
}];

fn user_session_generation(item: &Item) -> Option<Change> {
    let is_user = item
        .get("type")
        .and_then(|t| t.as_s().ok())
        .map(String::as_str)
        == Some(UserRecord::TYPE);
    (is_user && schema_of(item) == 1).then(|| Change {
        from_schema: 1,
        to_schema: 2,
        fill: vec![("session_generation".to_owned(), n(0))],
        ..Change::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use opsflow_platform::store::s;

    fn item(kind: &str, schema: Option<u32>) -> Item {
        let mut item = Item::from([("type".to_owned(), s(kind))]);
        if let Some(schema) = schema {
            item.insert("schema".to_owned(), n(schema));
        }
        item
    }

    #[test]
    fn only_user_items_of_the_first_format_change() {
        let change = user_session_generation(&item("user", None)).expect("a change");
        assert_eq!((change.from_schema, change.to_schema), (1, 2));
        assert_eq!(change.fill, vec![("session_generation".to_owned(), n(0))]);
        assert!(user_session_generation(&item("user", Some(1))).is_some());
        assert!(user_session_generation(&item("user", Some(2))).is_none());
        assert!(user_session_generation(&item("session", None)).is_none());
        assert!(user_session_generation(&Item::new()).is_none());
    }

    #[test]
    fn users_are_written_in_the_format_the_migration_ends_in() {
        let change = (MIGRATIONS[0].change)(&item("user", None)).expect("a change");
        assert_eq!(UserRecord::SCHEMA, change.to_schema);
    }
}
