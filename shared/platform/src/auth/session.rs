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
//! `GetItem pk=USER#<user id>, sk=USER`, concurrently. Expired items count
//! as absent: DynamoDB's TTL deletes late.

use crate::domain::EntityId;
use crate::store::{from_item, keys, Store, StoreError};
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
    Ok(live_session::<Session>(store, id, user_id, now)
        .await?
        .is_some())
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
