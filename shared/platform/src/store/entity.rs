//! Entities as items. An entity's keys are not fields of the entity: they
//! are derived from it by [`Entity::keys`] every time it is written, so a
//! change that moves it in an index (a new role, a new status) cannot
//! leave a stale key behind, and no module copies key fields into its
//! records. Reading ignores the key attributes (records do not deny
//! unknown fields). A [`Versioned`] entity is replaced only over the
//! version it was read at.

use super::{s, to_item, Item, Store, StoreError};
use serde::Serialize;
use time::OffsetDateTime;

/// Where an entity's item lives: its table keys and, when it is listed by
/// them, its keys in the overloaded indexes (`gsi1`, `gsi2`, … whose
/// attributes are `gsi<n>pk` and `gsi<n>sk`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keys {
    pub pk: String,
    pub sk: String,
    /// `(index number, its pk, its sk)`, in the order given.
    pub indexes: Vec<(u8, String, String)>,
}

impl Keys {
    /// Keys of an item that no index lists.
    pub fn table(pk: impl Into<String>, sk: impl Into<String>) -> Self {
        Self {
            pk: pk.into(),
            sk: sk.into(),
            indexes: Vec::new(),
        }
    }

    /// The same keys, also listed in index `gsi<number>`.
    pub fn gsi(mut self, number: u8, pk: impl Into<String>, sk: impl Into<String>) -> Self {
        self.indexes.push((number, pk.into(), sk.into()));
        self
    }

    pub fn gsi1(self, pk: impl Into<String>, sk: impl Into<String>) -> Self {
        self.gsi(1, pk, sk)
    }

    pub fn gsi2(self, pk: impl Into<String>, sk: impl Into<String>) -> Self {
        self.gsi(2, pk, sk)
    }

    /// The same keys, listed twice under one sort key: among all items of
    /// the kind (`gsi1pk = all`) and among those of one value (`gsi2pk =
    /// by`: a status, a role, an owner).
    pub fn listed(self, all: impl Into<String>, by: impl Into<String>, sort: String) -> Self {
        self.gsi1(all, sort.clone()).gsi2(by, sort)
    }

    /// Keys of an item listed twice in the order of its own `pk`
    /// (`KIND#<id>`; ids are UUIDv7, so that is creation order): among all
    /// items of its kind (`gsi1pk = all`) and among those of one value
    /// (`gsi2pk = by`).
    pub fn by_pk(pk: String, sk: &str, all: &str, by: String) -> Self {
        let sort = pk.clone();
        Self::table(pk, sk).listed(all, by, sort)
    }

    /// The keys of index `gsi<number>`, if the item is in it.
    pub fn index(&self, number: u8) -> Option<(&str, &str)> {
        self.indexes
            .iter()
            .find(|(n, _, _)| *n == number)
            .map(|(_, pk, sk)| (pk.as_str(), sk.as_str()))
    }
}

/// The attribute holding an entity item's format version ([`Entity::SCHEMA`]).
pub const SCHEMA_ATTRIBUTE: &str = "schema";

/// A kind of item in the entity table.
pub trait Entity: Serialize {
    /// The item's `type` attribute.
    const TYPE: &'static str;

    /// The format its items are written in (their `schema` attribute; an
    /// item without one is format 1). A change to the format raises it,
    /// reads every format still stored, and comes with the migration that
    /// rewrites the older items (`opsflow-admin migrate`,
    /// docs/operations.md#data-migrations).
    const SCHEMA: u32 = 1;

    /// The item's keys, derived from the entity as it is now.
    fn keys(&self) -> Keys;

    /// The item that stores it ([`entity_item`]).
    fn item(&self) -> Result<Item, StoreError>
    where
        Self: Sized,
    {
        entity_item(self)
    }
}

/// An entity written at versions: each change stores its next version,
/// only over the version it was read at ([`Store::replace_next_version`]).
pub trait Versioned: Entity {
    /// Its version and the time of its last change, which advance together.
    fn revision(&mut self) -> (&mut u64, &mut OffsetDateTime);
}

/// `impl Versioned` for records whose `version: u64` and `updated_at:
/// OffsetDateTime` fields are their revision.
#[macro_export]
macro_rules! versioned {
    ($($record:ty),+ $(,)?) => {
        $(impl $crate::store::Versioned for $record {
            fn revision(&mut self) -> (&mut u64, &mut ::time::OffsetDateTime) {
                (&mut self.version, &mut self.updated_at)
            }
        })+
    };
}

impl Store {
    /// Advances `record` to its next version, changed at `now`, and
    /// replaces the stored one, still at the version it had, with its
    /// event (a stale version is `ConditionFailed`).
    pub async fn replace_next_version<E: Versioned + Sync>(
        &self,
        record: &mut E,
        now: OffsetDateTime,
        event: Option<&crate::events::Envelope>,
    ) -> Result<(), StoreError> {
        let (version, updated_at) = record.revision();
        let expected = *version;
        *version += 1;
        *updated_at = now;
        self.replace_versioned(record.item()?, expected, Vec::new(), event)
            .await
    }
}

/// The item that stores `entity`: its attributes, its `type`, its format
/// and its keys.
pub fn entity_item<E: Entity>(entity: &E) -> Result<Item, StoreError> {
    let mut item = to_item(entity)?;
    let keys = entity.keys();
    item.insert("pk".into(), s(keys.pk));
    item.insert("sk".into(), s(keys.sk));
    item.insert("type".into(), s(E::TYPE));
    item.insert(SCHEMA_ATTRIBUTE.into(), super::n(E::SCHEMA));
    for (number, pk, sk) in keys.indexes {
        item.insert(format!("gsi{number}pk"), s(pk));
        item.insert(format!("gsi{number}sk"), s(sk));
    }
    Ok(item)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Widget {
        id: u32,
        colour: &'static str,
    }

    impl Entity for Widget {
        const TYPE: &'static str = "widget";
        fn keys(&self) -> Keys {
            Keys::table(format!("WIDGET#{}", self.id), "WIDGET").gsi2(
                format!("WIDGETS#{}", self.colour),
                format!("WIDGET#{}", self.id),
            )
        }
    }

    #[test]
    fn an_item_carries_the_keys_derived_from_its_entity() {
        let item = entity_item(&Widget {
            id: 7,
            colour: "red",
        })
        .expect("an item");
        assert_eq!(item["pk"], s("WIDGET#7"));
        assert_eq!(item["sk"], s("WIDGET"));
        assert_eq!(item["type"], s("widget"));
        assert_eq!(item["schema"], super::super::n(1));
        assert_eq!(item["gsi2pk"], s("WIDGETS#red"));
        assert_eq!(item["gsi2sk"], s("WIDGET#7"));
        assert!(!item.contains_key("gsi1pk"));
        assert_eq!(item["colour"], s("red"));
    }

    #[test]
    fn any_number_of_indexes_become_their_attributes() {
        assert_eq!(
            Keys::table("P", "S").listed("ALL", "BY", "s".into()),
            Keys::table("P", "S").gsi1("ALL", "s").gsi2("BY", "s")
        );
        assert_eq!(
            Keys::by_pk("K#1".into(), "K", "KS", "KS#red".into()),
            Keys::table("K#1", "K")
                .gsi1("KS", "K#1")
                .gsi2("KS#red", "K#1")
        );
        let keys = Keys::table("P", "S").gsi1("A", "a").gsi(4, "D", "d");
        assert_eq!(keys.index(4), Some(("D", "d")));
        assert_eq!(keys.index(2), None);
        let item = Logged { keys, name: "x" }.item().expect("an item");
        let attributes = [
            ("gsi1pk", "A"),
            ("gsi1sk", "a"),
            ("gsi4pk", "D"),
            ("gsi4sk", "d"),
        ];
        for (name, value) in attributes {
            assert_eq!(item[name], s(value), "{name}");
        }
        assert!(!item.contains_key("gsi2pk"));
    }

    #[derive(Serialize)]
    struct Logged {
        #[serde(skip)]
        keys: Keys,
        name: &'static str,
    }

    impl Entity for Logged {
        const TYPE: &'static str = "logged";
        fn keys(&self) -> Keys {
            self.keys.clone()
        }
    }
}
