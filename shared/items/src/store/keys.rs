//! Keys of items and of the links that list them.
//!
//! Each item has six links: in the partition of all items (`ITEMS#ALL`)
//! and in its status's (`ITEMS#ACTIVE`, `ITEMS#INACTIVE`,
//! `ITEMS#ARCHIVED`), one per ordering, whose sort keys begin with the
//! ordering's prefix:
//! - `NAME#<name in lower case, at most 512 bytes>\u{1}<id>`;
//! - `CREATED#<creation, epoch milliseconds, 15 digits>#<id>`;
//! - `UPDATED#<last change, epoch milliseconds, 15 digits>#<id>`.
//!
//! `\u{1}` sorts below every character a name may hold (names hold no
//! control characters), so a name sorts before the longer names it begins.

pub use opsflow_platform::store::keys::*;

use crate::domain::{fold_case, ItemStatus, SortBy};
use opsflow_platform::domain::EntityId;
use time::OffsetDateTime;

pub const ITEM_SK: &str = "ITEM";

/// An item's partition: the item itself (`sk = ITEM`).
pub fn item_pk(id: &EntityId) -> String {
    format!("ITEM#{id}")
}

/// The listing partition of the items of `status`, or of all of them.
pub fn listing_pk(status: Option<ItemStatus>) -> String {
    match status {
        None => "ITEMS#ALL".to_owned(),
        Some(status) => format!("ITEMS#{}", status.as_str().to_uppercase()),
    }
}

/// The sort-key prefix of an ordering's links.
pub fn sort_prefix(sort: SortBy) -> &'static str {
    match sort {
        SortBy::Name => "NAME#",
        SortBy::CreatedAt => "CREATED#",
        SortBy::UpdatedAt => "UPDATED#",
    }
}

/// How many bytes of a folded name its sort key holds (a key is at most
/// 1024 bytes); names alike that far are ordered by id.
const NAME_KEY_BYTES: usize = 512;

/// The sort key of an item's link in the `sort` ordering.
pub fn link_sk(
    sort: SortBy,
    id: &EntityId,
    name: &str,
    created_at: OffsetDateTime,
    updated_at: OffsetDateTime,
) -> String {
    let prefix = sort_prefix(sort);
    match sort {
        SortBy::Name => {
            let folded = fold_case(name);
            let mut end = folded.len().min(NAME_KEY_BYTES);
            while !folded.is_char_boundary(end) {
                end -= 1;
            }
            format!("{prefix}{}\u{1}{id}", &folded[..end])
        }
        SortBy::CreatedAt => format!("{prefix}{}#{id}", millis(created_at)),
        SortBy::UpdatedAt => format!("{prefix}{}#{id}", millis(updated_at)),
    }
}

/// Epoch milliseconds, zero-padded so that text order is time order.
fn millis(at: OffsetDateTime) -> String {
    format!("{:015}", at.unix_timestamp_nanos() / 1_000_000)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn names_sort_case_blind_and_before_the_longer_names_they_begin() {
        let id = EntityId::new();
        let at = datetime!(2026-01-02 03:04:05.678 UTC);
        let key = |name: &str| link_sk(SortBy::Name, &id, name, at, at);
        assert!(key("ab") < key("AB c"));
        assert!(key("Apple") < key("banana"));
        assert!(key("apple") < key("Banana"));
        let long = "x".repeat(300);
        assert!(key(&format!("{long}é{long}")).len() <= 1024);
        assert!(key(&"é".repeat(255)).starts_with("NAME#é"));
    }

    #[test]
    fn times_sort_in_time_order() {
        let id = EntityId::new();
        let early = datetime!(2001-01-01 00:00:00 UTC);
        let late = datetime!(2026-12-04 18:00:00.5 UTC);
        let created = |at| link_sk(SortBy::CreatedAt, &id, "n", at, at);
        assert!(created(early) < created(late));
        assert_eq!(
            link_sk(SortBy::UpdatedAt, &id, "n", early, late),
            format!("UPDATED#001796407200500#{id}")
        );
        assert_eq!(listing_pk(Some(ItemStatus::Archived)), "ITEMS#ARCHIVED");
        assert_eq!(listing_pk(None), "ITEMS#ALL");
    }
}
