//! Items: named things a team keeps track of, each with a status, an
//! optional description and free-form metadata. Inputs become these types
//! at the edge; past it, code trusts them.
//!
//! Who may change an item is its owner's (its creator's) business and an
//! admin's: [`may_change`]. Every signed-in caller reads every item.

use crate::permissions::ITEMS_CHANGE_ANY;
use opsflow_platform::auth::Principal;
use opsflow_platform::domain::EntityId;

pub use opsflow_platform::domain::JsonObject as Metadata;

opsflow_platform::text_newtype! {
    /// An item's name: trimmed, 1–255 characters, one line.
    pub struct ItemName(single_line, 255);
    /// An item's description: at most 2000 characters (trimmed; may be
    /// empty).
    pub struct Description(free_text, 2000);
}

opsflow_platform::string_enum! {
    /// Where an item stands. Any status may follow any other: `archived`
    /// hides nothing, it is a state clients filter on.
    pub enum ItemStatus {
        Active = "active",
        Inactive = "inactive",
        Archived = "archived",
    }
}

opsflow_platform::string_enum! {
    /// What a listing is ordered by.
    pub enum SortBy {
        Name = "name",
        CreatedAt = "created_at",
        UpdatedAt = "updated_at",
    }
}

opsflow_platform::string_enum! {
    pub enum SortOrder {
        Asc = "asc",
        Desc = "desc",
    }
}

/// What a listing's `search` matches: a piece of an item's name, any
/// case (compared in lower case), 1–100 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Search(String);

impl Search {
    pub const MAX_CHARS: usize = 100;

    pub fn parse(input: &str) -> Result<Self, String> {
        opsflow_platform::domain::single_line(input, Self::MAX_CHARS)
            .map(|text| Self(fold_case(&text)))
    }

    /// The lower-case text names are matched against.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A name as searches and the name ordering compare it: lower case.
pub fn fold_case(text: &str) -> String {
    text.to_lowercase()
}

/// Whether `principal` may change or delete an item owned by `owner`: its
/// owner, or a holder of [`ITEMS_CHANGE_ANY`] (admins).
pub fn may_change(principal: &Principal, owner: &EntityId) -> bool {
    principal.user_id == *owner || principal.can(ITEMS_CHANGE_ANY)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use opsflow_platform::domain::Role;

    fn principal(role: Role) -> Principal {
        Principal {
            user_id: EntityId::new(),
            role,
            session_id: "s".into(),
            session_generation: None,
            token_id: "t".into(),
            expires_at: 0,
        }
    }

    #[test]
    fn names_are_one_trimmed_line_of_at_most_255_characters() {
        assert_eq!(ItemName::parse("  Laptop ").unwrap().as_str(), "Laptop");
        assert!(ItemName::parse(" ").is_err());
        assert!(ItemName::parse(&"é".repeat(255)).is_ok());
        assert!(ItemName::parse(&"é".repeat(256)).is_err());
        assert!(ItemName::parse("two\nlines").is_err());
        assert!(Description::parse(&"d".repeat(2001)).is_err());
        assert_eq!(Description::parse("").unwrap().as_str(), "");
    }

    #[test]
    fn statuses_sorts_and_orders_are_closed_sets() {
        assert_eq!(ItemStatus::parse("archived"), Ok(ItemStatus::Archived));
        assert_eq!(
            ItemStatus::parse("Active").unwrap_err(),
            "must be one of active, inactive, archived"
        );
        assert_eq!(SortBy::parse("updated_at"), Ok(SortBy::UpdatedAt));
        assert!(SortBy::parse("status").is_err());
        assert_eq!(SortOrder::parse("desc"), Ok(SortOrder::Desc));
    }

    #[test]
    fn a_search_is_compared_in_lower_case() {
        assert_eq!(Search::parse(" LapTOP ").unwrap().as_str(), "laptop");
        assert_eq!(Search::parse("ÉCRAN").unwrap().as_str(), "écran");
        assert!(Search::parse("").is_err());
        assert!(Search::parse(&"s".repeat(101)).is_err());
    }

    #[test]
    fn the_owner_and_admins_may_change_an_item_and_no_one_else() {
        let owner = principal(Role::User);
        assert!(may_change(&owner, &owner.user_id));
        assert!(may_change(&principal(Role::Admin), &owner.user_id));
        assert!(!may_change(&principal(Role::Approver), &owner.user_id));
        assert!(!may_change(&principal(Role::User), &owner.user_id));
    }
}
