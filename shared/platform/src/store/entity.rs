//! Entities as items. An entity's keys are not fields of the entity: they
//! are derived from it by [`Entity::keys`] every time it is written, so a
//! change that moves it in an index (a new role, a new status) cannot
//! leave a stale key behind, and no module copies key fields into its
//! records. Reading ignores the key attributes (records do not deny
//! unknown fields).

use super::{s, to_item, Item, StoreError};
use serde::Serialize;

/// Where an entity's item lives: its table keys and, when it is listed by
/// them, its keys in the overloaded indexes `gsi1` and `gsi2`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keys {
    pub pk: String,
    pub sk: String,
    /// `(gsi1pk, gsi1sk)`.
    pub gsi1: Option<(String, String)>,
    /// `(gsi2pk, gsi2sk)`.
    pub gsi2: Option<(String, String)>,
}

impl Keys {
    /// Keys of an item that no index lists.
    pub fn table(pk: String, sk: impl Into<String>) -> Self {
        Self {
            pk,
            sk: sk.into(),
            gsi1: None,
            gsi2: None,
        }
    }

    pub fn gsi1(mut self, pk: impl Into<String>, sk: impl Into<String>) -> Self {
        self.gsi1 = Some((pk.into(), sk.into()));
        self
    }

    pub fn gsi2(mut self, pk: impl Into<String>, sk: impl Into<String>) -> Self {
        self.gsi2 = Some((pk.into(), sk.into()));
        self
    }
}

/// A kind of item in the entity table.
pub trait Entity: Serialize {
    /// The item's `type` attribute.
    const TYPE: &'static str;

    /// The item's keys, derived from the entity as it is now.
    fn keys(&self) -> Keys;
}

/// The item that stores `entity`: its attributes, its `type` and its keys.
pub fn entity_item<E: Entity>(entity: &E) -> Result<Item, StoreError> {
    let mut item = to_item(entity)?;
    let keys = entity.keys();
    item.insert("pk".into(), s(keys.pk));
    item.insert("sk".into(), s(keys.sk));
    item.insert("type".into(), s(E::TYPE));
    for (index, key) in [("gsi1", keys.gsi1), ("gsi2", keys.gsi2)] {
        if let Some((pk, sk)) = key {
            item.insert(format!("{index}pk"), s(pk));
            item.insert(format!("{index}sk"), s(sk));
        }
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
        assert_eq!(item["gsi2pk"], s("WIDGETS#red"));
        assert_eq!(item["gsi2sk"], s("WIDGET#7"));
        assert!(!item.contains_key("gsi1pk"));
        assert_eq!(item["colour"], s("red"));
    }
}
