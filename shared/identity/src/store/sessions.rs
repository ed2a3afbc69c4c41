//! Login sessions and their refresh tokens (DESIGN §6).
//!
//! A session is one login; its refresh tokens form a family. Each token is
//! stored only as the SHA-256 of its text, with a TTL, and is single-use:
//! refreshing marks it rotated and issues the next one in the same
//! transaction, which also checks that the session is not revoked and is
//! still of its user's current generation. Reuse of a rotated token (a
//! stolen copy, or a race) revokes the whole session. Logout revokes the
//! session; access tokens carry the session id (`sid`), and a session that
//! is not live refuses them until they expire.
//!
//! Ending every session of a user at once is bounded work: the user item
//! carries a `session_generation`, each session the generation it was
//! started in, and a session is live only while the two agree and the user
//! is active. Deactivation, a role change or a new password bumps the
//! generation in the same transaction as the change itself (a new
//! password re-stamps the caller's own session in that transaction, so
//! only the others end). No session item has to be touched, however many
//! there are.
//!
//! Every session event (`session.login`, `session.logout`,
//! `session.refresh_reused`) commits in the transaction that makes the
//! change it reports.
//!
//! Access patterns:
//! - session by id, with its user: `GetItem pk=SESSION#<id>, sk=SESSION` and
//!   `GetItem pk=USER#<user id>, sk=USER`, concurrently
//! - refresh token by fingerprint: `GetItem pk=REFRESH#<sha256>, sk=REFRESH`
//!
//! Expired items are treated as absent here: DynamoDB's TTL deletes late.

use super::{entity_item, keys, n, s, Entity, Keys, Store, StoreError, StoreFuture, Transaction};
use crate::domain::EntityId;
use crate::events::{Envelope, OutboxItem};
use anyhow::Context;
use aws_sdk_dynamodb::types::{ConditionCheck, TransactWriteItem, Update};
use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

/// A session lasts this long from login; refreshing does not extend it.
pub const SESSION_TTL: Duration = Duration::days(30);

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SessionRecord {
    pub id: String,
    pub user_id: EntityId,
    pub revoked: bool,
    pub expires_at: i64,
    /// The user's `session_generation` when the session started (or was
    /// last re-stamped); sessions from before generations have 0.
    #[serde(default)]
    pub generation: u64,
}

/// `gsi1`: the sessions of one user. (Sessions started before the index
/// existed have none and still load.)
impl Entity for SessionRecord {
    const TYPE: &'static str = "session";

    fn keys(&self) -> Keys {
        Keys::table(keys::session_pk(&self.id), keys::SESSION_SK).gsi1(
            keys::sessions_of_user_gsi1pk(&self.user_id),
            keys::session_pk(&self.id),
        )
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RefreshRecord {
    pk: String,
    sk: String,
    #[serde(rename = "type")]
    item_type: String,
    pub session_id: String,
    pub user_id: EntityId,
    pub rotated: bool,
    pub expires_at: i64,
}

impl RefreshRecord {
    fn new(fingerprint: &str, session: &SessionRecord) -> Self {
        Self {
            pk: keys::refresh_pk(fingerprint),
            sk: keys::REFRESH_SK.into(),
            item_type: "refresh_token".into(),
            session_id: session.id.clone(),
            user_id: session.user_id,
            rotated: false,
            expires_at: session.expires_at,
        }
    }
}

/// The outcome of presenting a refresh token.
#[derive(Debug)]
pub enum Rotation {
    /// The token was current; the next one is stored.
    Rotated(SessionRecord),
    /// Unknown or expired token, or its session is revoked/expired.
    Refused,
    /// A rotated token came back: the session is now revoked.
    Reused,
}

/// The access patterns of this file, as methods of the kernel's [`Store`].
pub trait SessionStore {
    /// Starts a session for `user_id` in its current `generation`, with its
    /// first refresh token (`refresh_fingerprint` is the SHA-256 of the token
    /// text) and its `session.login` event (`event(session_id)`).
    fn create_session(
        &self,
        user_id: EntityId,
        generation: u64,
        refresh_fingerprint: &str,
        now: OffsetDateTime,
        event: impl FnOnce(&str) -> Envelope + Send,
    ) -> impl StoreFuture<SessionRecord>;

    /// A live session of `user_id`: present, not revoked, not expired, and
    /// of the user's current generation while the user is active.
    fn live_session(
        &self,
        id: &str,
        user_id: &EntityId,
        now: OffsetDateTime,
    ) -> impl StoreFuture<Option<SessionRecord>>;

    /// Revokes a session (a refresh of an inactive account). Revoking an
    /// unknown or already revoked session is not an error.
    fn revoke_session(&self, id: &str) -> impl StoreFuture<()>;

    /// Revokes a session and commits `event` with it (logout, reuse). An
    /// unknown session is not an error, and records nothing.
    fn revoke_session_with_event(&self, id: &str, event: &Envelope) -> impl StoreFuture<()>;

    /// The update that moves a session to `generation` (the caller's own
    /// session when their password changes), for the user's transaction.
    fn restamp(&self, id: &str, generation: u64) -> Result<TransactWriteItem, StoreError>;

    /// Presents a refresh token: if it is current and its session live, it
    /// is rotated to `next_fingerprint` atomically; a rotated token revokes
    /// the session, committing `reused(session_id, user_id)` with the
    /// revocation.
    fn rotate_refresh_token(
        &self,
        fingerprint: &str,
        next_fingerprint: &str,
        now: OffsetDateTime,
        reused: impl FnOnce(&str, &EntityId) -> Envelope + Send,
    ) -> impl StoreFuture<Rotation>;
}

impl SessionStore for Store {
    #[tracing::instrument(skip_all, fields(user_id = %user_id))]
    async fn create_session(
        &self,
        user_id: EntityId,
        generation: u64,
        refresh_fingerprint: &str,
        now: OffsetDateTime,
        event: impl FnOnce(&str) -> Envelope + Send,
    ) -> Result<SessionRecord, StoreError> {
        let id = EntityId::new().to_string();
        let session = SessionRecord {
            id,
            user_id,
            revoked: false,
            expires_at: (now + SESSION_TTL).unix_timestamp(),
            generation,
        };
        let token = RefreshRecord::new(refresh_fingerprint, &session);
        let absent = Some(("attribute_not_exists(pk)", Vec::new()));
        self.transact(vec![
            self.put(entity_item(&session)?, absent.clone())?,
            self.put(super::to_item(&token)?, absent)?,
            self.put(OutboxItem::new(&event(&session.id))?.to_item()?, None)?,
        ])
        .await?;
        Ok(session)
    }

    async fn live_session(
        &self,
        id: &str,
        user_id: &EntityId,
        now: OffsetDateTime,
    ) -> Result<Option<SessionRecord>, StoreError> {
        opsflow_platform::auth::session::live_session(self, id, user_id, now).await
    }

    #[tracing::instrument(skip(self))]
    async fn revoke_session(&self, id: &str) -> Result<(), StoreError> {
        let mut tx = Transaction::new();
        let revoked = tx.add(self.revocation(id)?);
        match self.commit(tx).await {
            Err(error) if error.failed(revoked) => Ok(()),
            other => other,
        }
    }

    #[tracing::instrument(skip(self, event))]
    async fn revoke_session_with_event(
        &self,
        id: &str,
        event: &Envelope,
    ) -> Result<(), StoreError> {
        let mut tx = Transaction::new();
        let revoked = tx.add(self.revocation(id)?);
        tx.add(self.put(OutboxItem::new(event)?.to_item()?, None)?);
        match self.commit(tx).await {
            Err(error) if error.failed(revoked) => Ok(()),
            other => other,
        }
    }

    fn restamp(&self, id: &str, generation: u64) -> Result<TransactWriteItem, StoreError> {
        let update = Update::builder()
            .table_name(self.table())
            .key("pk", s(keys::session_pk(id)))
            .key("sk", s(keys::SESSION_SK))
            .update_expression("SET generation = :generation")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":generation", n(generation))
            .build()
            .context("building the session re-stamp")?;
        Ok(TransactWriteItem::builder().update(update).build())
    }

    #[tracing::instrument(skip_all)]
    async fn rotate_refresh_token(
        &self,
        fingerprint: &str,
        next_fingerprint: &str,
        now: OffsetDateTime,
        reused: impl FnOnce(&str, &EntityId) -> Envelope + Send,
    ) -> Result<Rotation, StoreError> {
        let token: Option<RefreshRecord> = self
            .get(keys::refresh_pk(fingerprint), keys::REFRESH_SK)
            .await?;
        let Some(token) = token.filter(|t| t.expires_at > now.unix_timestamp()) else {
            return Ok(Rotation::Refused);
        };
        if token.rotated {
            let event = reused(&token.session_id, &token.user_id);
            self.revoke_session_with_event(&token.session_id, &event)
                .await?;
            return Ok(Rotation::Reused);
        }
        let Some(session) = self
            .live_session(&token.session_id, &token.user_id, now)
            .await?
        else {
            return Ok(Rotation::Refused);
        };
        let false_ = aws_sdk_dynamodb::types::AttributeValue::Bool(false);
        let true_ = aws_sdk_dynamodb::types::AttributeValue::Bool(true);
        let mark_rotated = Update::builder()
            .table_name(self.table())
            .key("pk", s(keys::refresh_pk(fingerprint)))
            .key("sk", s(keys::REFRESH_SK))
            .update_expression("SET rotated = :true, rotated_at = :now")
            .condition_expression("rotated = :false")
            .expression_attribute_values(":true", true_.clone())
            .expression_attribute_values(":false", false_.clone())
            .expression_attribute_values(":now", n(now.unix_timestamp()))
            .build()
            .context("building the rotation update")?;
        let session_live = ConditionCheck::builder()
            .table_name(self.table())
            .key("pk", s(keys::session_pk(&session.id)))
            .key("sk", s(keys::SESSION_SK))
            .condition_expression("revoked = :false")
            .expression_attribute_values(":false", false_)
            .build()
            .context("building the session check")?;
        // The user is still active and still in the session's generation.
        let generation = if session.generation == 0 {
            "is_active = :true AND \
             (attribute_not_exists(session_generation) OR session_generation = :generation)"
        } else {
            "is_active = :true AND session_generation = :generation"
        };
        let holder_current = ConditionCheck::builder()
            .table_name(self.table())
            .key("pk", s(keys::user_pk(&session.user_id)))
            .key("sk", s(keys::USER_SK))
            .condition_expression(generation)
            .expression_attribute_values(":true", true_)
            .expression_attribute_values(":generation", n(session.generation))
            .build()
            .context("building the user check")?;
        let next = RefreshRecord::new(next_fingerprint, &session);
        let mut tx = Transaction::new();
        let still_current = tx.add(TransactWriteItem::builder().update(mark_rotated).build());
        let session_was_live = tx.add(
            TransactWriteItem::builder()
                .condition_check(session_live)
                .build(),
        );
        tx.add(self.put(
            super::to_item(&next)?,
            Some(("attribute_not_exists(pk)", Vec::new())),
        )?);
        let holder_was_current = tx.add(
            TransactWriteItem::builder()
                .condition_check(holder_current)
                .build(),
        );
        match self.commit(tx).await {
            Ok(()) => Ok(Rotation::Rotated(session)),
            // Another request rotated this token first: two uses of one
            // token, which is exactly what reuse detection is for.
            Err(error) if error.failed(still_current) => {
                let event = reused(&session.id, &session.user_id);
                self.revoke_session_with_event(&session.id, &event).await?;
                Ok(Rotation::Reused)
            }
            Err(error) if error.failed(session_was_live) || error.failed(holder_was_current) => {
                Ok(Rotation::Refused)
            }
            Err(error) => Err(error),
        }
    }
}

trait SessionStoreInternal {
    /// The update that revokes a session, for a transaction.
    fn revocation(&self, id: &str) -> Result<TransactWriteItem, StoreError>;
}

impl SessionStoreInternal for Store {
    fn revocation(&self, id: &str) -> Result<TransactWriteItem, StoreError> {
        let update = Update::builder()
            .table_name(self.table())
            .key("pk", s(keys::session_pk(id)))
            .key("sk", s(keys::SESSION_SK))
            .update_expression("SET revoked = :true")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(
                ":true",
                aws_sdk_dynamodb::types::AttributeValue::Bool(true),
            )
            .build()
            .context("building the revocation")?;
        Ok(TransactWriteItem::builder().update(update).build())
    }
}
