//! The session check behind every authenticated request: an access token
//! is honoured only while its session is live. Sessions are started,
//! rotated and ended by `opsflow-identity`; this is the one read the kernel
//! makes of them, so every function can refuse a revoked session at once.
//!
//! A session is live while it is not revoked and not expired, belongs to
//! the token's user, and was started in that user's current
//! `session_generation` while the user is active. Bumping the generation
//! ends every session of a user without touching the session items.
//!
//! Access pattern: `GetItem pk=SESSION#<id>, sk=SESSION` and
//! `GetItem pk=USER#<user id>, sk=USER`, concurrently; inside a request
//! both join the route's first read by key in one `BatchGetItem`
//! ([`crate::store::batch`]). Expired items count as absent: DynamoDB's
//! TTL deletes late.

use crate::domain::EntityId;
use crate::store::{from_item, keys, n, s, Expr, Store, StoreError};
use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use time::OffsetDateTime;

/// What the check reads of a session item.
#[derive(Debug, Deserialize)]
struct Session {
    user_id: EntityId,
    revoked: bool,
    expires_at: i64,
    /// Sessions from before generations have none: 0.
    #[serde(default)]
    generation: u64,
}

/// What the check reads of a user item.
#[derive(Debug, Deserialize)]
struct Holder {
    is_active: bool,
    #[serde(default)]
    session_generation: u64,
}

/// Whether session `id` of `user_id` is live at `now`.
pub async fn is_live(
    store: &Store,
    id: &str,
    user_id: &EntityId,
    now: OffsetDateTime,
) -> Result<bool, StoreError> {
    Ok(live_generation(store, id, user_id, now).await?.is_some())
}

/// The generation of session `id` of `user_id` if it is live at `now`
/// (the same check as [`is_live`]): what a write sent after the check may
/// carry as its conditions ([`SessionClaim::conditions`]).
pub async fn live_generation(
    store: &Store,
    id: &str,
    user_id: &EntityId,
    now: OffsetDateTime,
) -> Result<Option<u64>, StoreError> {
    Ok(live_session::<Session>(store, id, user_id, now)
        .await?
        .map(|session| session.generation))
}

/// Session `id` of `user_id`, read as `S` (the owning module's record),
/// if it is live at `now`: the same check as [`is_live`].
pub async fn live_session<S: DeserializeOwned>(
    store: &Store,
    id: &str,
    user_id: &EntityId,
    now: OffsetDateTime,
) -> Result<Option<S>, StoreError> {
    let (item, holder) = futures::try_join!(
        store.get_item(keys::session_pk(id), keys::SESSION_SK),
        store.get::<Holder>(keys::user_pk(user_id), keys::USER_SK),
    )?;
    let (Some(item), Some(holder)) = (item, holder) else {
        return Ok(None);
    };
    let session: Session = from_item(item.clone())?;
    let live = !session.revoked
        && session.expires_at > now.unix_timestamp()
        && session.user_id == *user_id
        && holder.is_active
        && session.generation == holder.session_generation;
    if live {
        from_item(item).map(Some)
    } else {
        Ok(None)
    }
}

/// What an access token says of its session (`sid`, `sub`, `gen`): enough
/// to make a write conditional on the session being live, in the write's
/// own transaction, instead of reading the session first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionClaim {
    pub id: String,
    pub user_id: EntityId,
    /// The user's `session_generation` when the token was issued.
    pub generation: u64,
}

impl SessionClaim {
    /// The session's and its user's keys: a transaction that writes either
    /// cannot also check it.
    pub fn keys(&self) -> [(String, &'static str); 2] {
        [
            (keys::session_pk(&self.id), keys::SESSION_SK),
            (keys::user_pk(&self.user_id), keys::USER_SK),
        ]
    }

    /// The two `ConditionCheck`s that pass while the session is live at
    /// `now` as of the token's generation: the test of [`is_live`], as
    /// conditions on the session and on its user. A session re-stamped
    /// since the token was issued (a password change keeps the changer's
    /// session) fails them although it is live: the caller then reads.
    pub fn conditions(
        &self,
        store: &Store,
        now: OffsetDateTime,
    ) -> Result<[TransactWriteItem; 2], StoreError> {
        let of_generation = |attribute: &'static str| {
            let text = if self.generation == 0 {
                // Items from before generations have none: 0. (`and`
                // parenthesises each side.)
                format!("attribute_not_exists({attribute}) OR {attribute} = :generation")
            } else {
                format!("{attribute} = :generation")
            };
            Expr::new(text).value(":generation", n(self.generation))
        };
        let session = Expr::new("revoked = :false AND expires_at > :now AND user_id = :user")
            .value(":false", AttributeValue::Bool(false))
            .value(":now", n(now.unix_timestamp()))
            .value(":user", s(self.user_id.to_string()))
            .and(of_generation("generation"));
        let holder = Expr::new("is_active = :true")
            .value(":true", AttributeValue::Bool(true))
            .and(of_generation("session_generation"));
        let [(session_pk, session_sk), (user_pk, user_sk)] = self.keys();
        Ok([
            store.check(session_pk, session_sk, &session)?,
            store.check(user_pk, user_sk, &holder)?,
        ])
    }
}
