//! Whether a transaction may carry its request's session conditions
//! (`auth::gate`, `SessionClaim::conditions`) instead of waiting for the
//! session check: DynamoDB refuses a transaction that names one item
//! twice, or has more than 100 items.

use super::{string_attribute, Item};
use crate::auth::session::SessionClaim;
use aws_sdk_dynamodb::types::TransactWriteItem;

/// DynamoDB's limit of items in one `TransactWriteItems`.
const MAX_ITEMS: usize = 100;

/// Whether `items` (and the commit mark, when `marked`) leave room for the
/// two checks of `claim` and touch neither of the items they check.
pub(super) fn may_carry(claim: &SessionClaim, items: &[TransactWriteItem], marked: bool) -> bool {
    let checked = claim.keys();
    let fits = items.len() + usize::from(marked) + checked.len() <= MAX_ITEMS;
    fits && items.iter().all(|item| {
        let key = key_of(item);
        !checked
            .iter()
            .any(|(pk, sk)| key.as_ref().is_some_and(|(p, s)| p == pk && s == sk))
    })
}

/// The key an item of a transaction writes or checks.
fn key_of(item: &TransactWriteItem) -> Option<(String, String)> {
    let key: &Item = if let Some(put) = item.put() {
        put.item()
    } else if let Some(update) = item.update() {
        update.key()
    } else if let Some(delete) = item.delete() {
        delete.key()
    } else {
        item.condition_check()?.key()
    };
    Some((string_attribute(key, "pk"), string_attribute(key, "sk")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::EntityId;
    use crate::store::{keys, Store};

    fn store() -> Store {
        let config = aws_sdk_dynamodb::Config::builder()
            .behavior_version(aws_sdk_dynamodb::config::BehaviorVersion::latest())
            .build();
        Store::new(aws_sdk_dynamodb::Client::from_conf(config), "t")
    }

    fn claim() -> SessionClaim {
        SessionClaim {
            id: "s-1".into(),
            user_id: EntityId::new(),
            generation: 2,
        }
    }

    fn put(pk: String, sk: &str) -> TransactWriteItem {
        let item = Item::from([
            ("pk".into(), crate::store::s(pk)),
            ("sk".into(), crate::store::s(sk)),
        ]);
        store().put(item, None).expect("a put")
    }

    #[test]
    fn a_transaction_of_other_items_within_the_limit_may_carry_the_checks() {
        let claim = claim();
        let items: Vec<_> = (0..97)
            .map(|i| put(format!("WIDGET#{i}"), "WIDGET"))
            .collect();
        assert!(may_carry(&claim, &items, true));
        assert!(!may_carry(
            &claim,
            &[items.clone(), vec![put("X".into(), "X")]].concat(),
            true
        ));
        assert!(may_carry(
            &claim,
            &[items, vec![put("X".into(), "X")]].concat(),
            false
        ));
    }

    #[test]
    fn a_transaction_that_touches_the_session_or_its_user_may_not() {
        let claim = claim();
        let session = put(keys::session_pk(&claim.id), keys::SESSION_SK);
        let user = store()
            .delete(keys::user_pk(&claim.user_id), keys::USER_SK, None)
            .expect("a delete");
        let other_user = put(keys::user_pk(&EntityId::new()), keys::USER_SK);
        assert!(!may_carry(&claim, &[session], false));
        assert!(!may_carry(&claim, &[other_user.clone(), user], false));
        assert!(may_carry(&claim, &[other_user], false));
    }
}
