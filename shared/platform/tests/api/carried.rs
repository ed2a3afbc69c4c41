//! A transaction sent while its request's session check runs carries the
//! session's conditions and goes at once (`auth::gate`,
//! `SessionClaim::conditions`); when they fail it waits for the check and
//! is sent alone, or never. On DynamoDB Local.

use opsflow_platform::auth::gate;
use opsflow_platform::auth::session::SessionClaim;
use opsflow_platform::domain::EntityId;
use opsflow_platform::store::{keys, n, s, Item, Store, StoreError, Transaction};
use std::time::Duration;

/// The check's duration: long enough that a carried write lands first.
const CHECK: Duration = Duration::from_millis(300);

/// A session of generation `session` of a user of generation `user`,
/// stored; the claim a token of generation `token` makes of it.
async fn session(store: &Store, revoked: bool, generations: [u64; 3]) -> SessionClaim {
    let [session, user, token] = generations;
    let claim = SessionClaim {
        id: uuid::Uuid::new_v4().to_string(),
        user_id: EntityId::new(),
        generation: token,
    };
    let now = opsflow_platform::clock::now().unix_timestamp();
    let items = [
        Item::from([
            ("pk".into(), s(keys::session_pk(&claim.id))),
            ("sk".into(), s(keys::SESSION_SK)),
            ("user_id".into(), s(claim.user_id.to_string())),
            (
                "revoked".into(),
                aws_sdk_dynamodb::types::AttributeValue::Bool(revoked),
            ),
            ("expires_at".into(), n(now + 3600)),
            ("generation".into(), n(session)),
        ]),
        Item::from([
            ("pk".into(), s(keys::user_pk(&claim.user_id))),
            ("sk".into(), s(keys::USER_SK)),
            (
                "is_active".into(),
                aws_sdk_dynamodb::types::AttributeValue::Bool(true),
            ),
            ("session_generation".into(), n(user)),
        ]),
    ];
    for item in items {
        store.put_once(item).await.unwrap();
    }
    claim
}

fn marker(name: &str) -> Item {
    Item::from([
        ("pk".to_owned(), s(format!("CARRIED-TEST#{name}"))),
        ("sk".to_owned(), s("MARKER")),
    ])
}

async fn written(store: &Store, name: &str) -> bool {
    let pk = format!("CARRIED-TEST#{name}");
    store.get_item(pk, "MARKER").await.unwrap().is_some()
}

/// Commits a put of `marker(name)` inside a gate claiming `claim`, whose
/// check takes [`CHECK`] and answers `live` (found at generation
/// `found`): whether the marker was stored when the check ended, what the
/// commit returned and whether it carried the check.
async fn commit(
    store: &Store,
    claim: SessionClaim,
    live: Option<u64>,
    name: &str,
) -> (bool, Result<(), StoreError>, bool) {
    let mut early = false;
    let check = async {
        tokio::time::sleep(CHECK).await;
        early = written(store, name).await;
        live.map(Some).ok_or("the session has ended")
    };
    let mut tx = Transaction::new();
    tx.add(store.put(marker(name), None).unwrap());
    let (checked, committed, carried) =
        gate::run_claimed(Some(claim), check, store.commit(tx)).await;
    assert_eq!(checked.is_ok(), live.is_some());
    (early, committed, carried)
}

#[tokio::test]
async fn a_transaction_for_a_live_session_goes_before_the_check_ends() {
    let env = crate::env().await;
    let store = &env.auth.store;
    let claim = session(store, false, [2, 2, 2]).await;
    let (early, committed, carried) = commit(store, claim, Some(2), "live").await;
    assert!(committed.is_ok(), "{committed:?}");
    assert!(early, "the carried write waited for the check");
    assert!(carried, "the gate did not record the carried commit");
}

#[tokio::test]
async fn a_transaction_for_an_ended_session_is_never_written() {
    let env = crate::env().await;
    let store = &env.auth.store;
    let claim = session(store, true, [2, 2, 2]).await;
    let (early, committed, carried) = commit(store, claim, None, "revoked").await;
    assert!(!carried);
    assert!(
        matches!(committed, Err(StoreError::SessionEnded)),
        "{committed:?}"
    );
    assert!(!early);
    assert!(!written(store, "revoked").await);

    // A user whose sessions were all ended (a bumped generation).
    let claim = session(store, false, [2, 3, 2]).await;
    let (_, committed, _) = commit(store, claim, None, "ended").await;
    assert!(
        matches!(committed, Err(StoreError::SessionEnded)),
        "{committed:?}"
    );
    assert!(!written(store, "ended").await);
}

#[tokio::test]
async fn a_token_of_an_older_generation_waits_for_the_check_then_writes() {
    let env = crate::env().await;
    let store = &env.auth.store;
    // The session was re-stamped to 3 (its holder changed the password)
    // after the token was issued at 2: live, though the token says 2.
    let claim = session(store, false, [3, 3, 2]).await;
    let (early, committed, carried) = commit(store, claim, Some(3), "restamped").await;
    assert!(!carried, "sent again without the conditions");
    assert!(committed.is_ok(), "{committed:?}");
    assert!(!early, "written before the check passed");
    assert!(written(store, "restamped").await);
}

#[tokio::test]
async fn a_transaction_that_writes_the_users_item_waits_for_the_check() {
    let env = crate::env().await;
    let store = &env.auth.store;
    let claim = session(store, false, [1, 1, 1]).await;
    let user = keys::user_pk(&claim.user_id);
    let mut early = None;
    let check = async {
        tokio::time::sleep(CHECK).await;
        early = Some(written(store, "with-user").await);
        Ok::<_, ()>(Some(1))
    };
    let mut tx = Transaction::new();
    tx.add(store.put(marker("with-user"), None).unwrap());
    let touched = opsflow_platform::store::Expr::new("SET touched = :yes").value(":yes", s("yes"));
    tx.add(store.update(user, keys::USER_SK, &touched).unwrap());
    let (checked, committed, _) = gate::run_claimed(Some(claim), check, store.commit(tx)).await;
    assert_eq!(checked, Ok(()));
    assert!(committed.is_ok(), "{committed:?}");
    assert_eq!(early, Some(false), "written before the check passed");
}

#[tokio::test]
async fn a_failed_condition_of_the_callers_names_the_callers_item() {
    let env = crate::env().await;
    let store = &env.auth.store;
    store.put_once(marker("taken")).await.unwrap();
    let claim = session(store, false, [0, 0, 0]).await;
    let check = async {
        tokio::time::sleep(CHECK).await;
        Ok::<_, ()>(Some(0))
    };
    let mut tx = Transaction::new();
    let free = tx.add(store.put(marker("free"), None).unwrap());
    let taken = tx.add(
        store
            .put(
                marker("taken"),
                Some(("attribute_not_exists(pk)", Vec::new())),
            )
            .unwrap(),
    );
    let (_, committed, carried) = gate::run_claimed(Some(claim), check, store.commit(tx)).await;
    assert!(!carried, "nothing committed");
    let error = committed.unwrap_err();
    assert!(error.failed(taken), "{error:?}");
    assert!(!error.failed(free), "{error:?}");
    assert!(!written(store, "free").await);
}

#[tokio::test]
async fn a_session_that_ends_between_the_check_and_the_resend_still_writes_nothing() {
    let env = crate::env().await;
    let store = &env.auth.store;
    // Re-stamped to 3 after the token (2) was issued: the carried
    // conditions fail, the check finds it live at 3, then it is revoked
    // before the transaction is sent again.
    let claim = session(store, false, [3, 3, 2]).await;
    let session_pk = keys::session_pk(&claim.id);
    let check = async {
        tokio::time::sleep(CHECK).await;
        let revoke = opsflow_platform::store::Expr::new("SET revoked = :yes")
            .value(":yes", aws_sdk_dynamodb::types::AttributeValue::Bool(true));
        store
            .transact(vec![store
                .update(session_pk.clone(), keys::SESSION_SK, &revoke)
                .unwrap()])
            .await
            .unwrap();
        Ok::<_, ()>(Some(3))
    };
    let mut tx = Transaction::new();
    tx.add(store.put(marker("raced"), None).unwrap());
    let (checked, committed, carried) =
        gate::run_claimed(Some(claim), check, store.commit(tx)).await;
    assert_eq!(checked, Ok(()));
    assert!(
        matches!(committed, Err(StoreError::SessionEnded)),
        "{committed:?}"
    );
    assert!(!carried);
    assert!(!written(store, "raced").await);
}
