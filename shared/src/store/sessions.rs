//! Login sessions and their refresh tokens (DESIGN §6).
//!
//! A session is one login; its refresh tokens form a family. Each token is
//! stored only as the SHA-256 of its text, with a TTL, and is single-use:
//! refreshing marks it rotated and issues the next one in the same
//! transaction, which also checks that the session is not revoked. Reuse of a
//! rotated token (a stolen copy, or a race) revokes the whole session.
//! Logout revokes the session; access tokens carry the session id (`sid`),
//! and a revoked session refuses them until they expire.
//!
//! Access patterns:
//! - session by id: `GetItem pk=SESSION#<id>, sk=SESSION`
//! - sessions of a user: `Query gsi1 gsi1pk=SESSIONS#USER#<id>` (to end them
//!   all when the account is deactivated or its password changes)
//! - refresh token by fingerprint: `GetItem pk=REFRESH#<sha256>, sk=REFRESH`
//!
//! Expired items are treated as absent here: DynamoDB's TTL deletes late.

use super::{keys, n, s, Store, StoreError};
use crate::domain::EntityId;
use anyhow::Context;
use aws_sdk_dynamodb::types::{ConditionCheck, TransactWriteItem, Update};
use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

/// A session lasts this long from login; refreshing does not extend it.
pub const SESSION_TTL: Duration = Duration::days(30);

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SessionRecord {
    pk: String,
    sk: String,
    #[serde(rename = "type")]
    item_type: String,
    /// `gsi1`: the sessions of one user, so they can all be ended. (Sessions
    /// started before the index existed have none and still load.)
    #[serde(default)]
    gsi1pk: String,
    #[serde(default)]
    gsi1sk: String,
    pub id: String,
    pub user_id: EntityId,
    pub revoked: bool,
    pub expires_at: i64,
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

impl Store {
    /// Starts a session for `user_id` with its first refresh token
    /// (`refresh_fingerprint` is the SHA-256 of the token text).
    #[tracing::instrument(skip_all, fields(user_id = %user_id))]
    pub async fn create_session(
        &self,
        user_id: EntityId,
        refresh_fingerprint: &str,
        now: OffsetDateTime,
    ) -> Result<SessionRecord, StoreError> {
        let id = EntityId::new().to_string();
        let session = SessionRecord {
            pk: keys::session_pk(&id),
            sk: keys::SESSION_SK.into(),
            item_type: "session".into(),
            gsi1pk: keys::sessions_of_user_gsi1pk(&user_id),
            gsi1sk: keys::session_pk(&id),
            id,
            user_id,
            revoked: false,
            expires_at: (now + SESSION_TTL).unix_timestamp(),
        };
        let token = RefreshRecord::new(refresh_fingerprint, &session);
        let absent = Some(("attribute_not_exists(pk)", Vec::new()));
        self.transact(vec![
            self.put(super::to_item(&session)?, absent.clone())?,
            self.put(super::to_item(&token)?, absent)?,
        ])
        .await?;
        Ok(session)
    }

    /// A live session: present, not revoked, not expired.
    pub async fn live_session(
        &self,
        id: &str,
        now: OffsetDateTime,
    ) -> Result<Option<SessionRecord>, StoreError> {
        let session: Option<SessionRecord> =
            self.get(keys::session_pk(id), keys::SESSION_SK).await?;
        Ok(session.filter(|s| !s.revoked && s.expires_at > now.unix_timestamp()))
    }

    /// Revokes a session (logout, reuse detection, deactivation). Revoking
    /// an unknown or already revoked session is not an error.
    #[tracing::instrument(skip(self))]
    pub async fn revoke_session(&self, id: &str) -> Result<(), StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(keys::session_pk(id)))
            .key("sk", s(keys::SESSION_SK))
            .update_expression("SET revoked = :true")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(
                ":true",
                aws_sdk_dynamodb::types::AttributeValue::Bool(true),
            )
            .send()
            .await;
        match result.map_err(|e| super::classify(e, "UpdateItem")) {
            Ok(_) | Err(StoreError::ConditionFailed) => Ok(()),
            Err(error) => Err(error),
        }
    }

    /// Ends every session of a user except `keep` (the caller's own, when a
    /// user changes their password). Returns how many were ended. The index
    /// is eventually consistent: a session started in the same instant may
    /// survive, and is then refused at its next refresh if the account is
    /// inactive.
    #[tracing::instrument(skip(self))]
    pub async fn revoke_sessions_of(
        &self,
        user_id: &EntityId,
        keep: Option<&str>,
    ) -> Result<usize, StoreError> {
        let mut start = None;
        let mut ended = 0;
        loop {
            let (items, next) = self
                .query_page(super::PageQuery {
                    index: Some("gsi1"),
                    partition_attribute: "gsi1pk",
                    partition: keys::sessions_of_user_gsi1pk(user_id),
                    limit: 100,
                    start,
                })
                .await?;
            for item in items {
                let session: SessionRecord = super::from_item(item)?;
                if session.revoked || Some(session.id.as_str()) == keep {
                    continue;
                }
                self.revoke_session(&session.id).await?;
                ended += 1;
            }
            match next {
                Some(key) => start = Some(key),
                None => return Ok(ended),
            }
        }
    }

    /// Presents a refresh token: if it is current and its session live, it
    /// is rotated to `next_fingerprint` atomically; a rotated token revokes
    /// the session.
    #[tracing::instrument(skip_all)]
    pub async fn rotate_refresh_token(
        &self,
        fingerprint: &str,
        next_fingerprint: &str,
        now: OffsetDateTime,
    ) -> Result<Rotation, StoreError> {
        let token: Option<RefreshRecord> = self
            .get(keys::refresh_pk(fingerprint), keys::REFRESH_SK)
            .await?;
        let Some(token) = token.filter(|t| t.expires_at > now.unix_timestamp()) else {
            return Ok(Rotation::Refused);
        };
        if token.rotated {
            self.revoke_session(&token.session_id).await?;
            return Ok(Rotation::Reused);
        }
        let Some(session) = self.live_session(&token.session_id, now).await? else {
            return Ok(Rotation::Refused);
        };
        let mark_rotated = Update::builder()
            .table_name(&self.table)
            .key("pk", s(keys::refresh_pk(fingerprint)))
            .key("sk", s(keys::REFRESH_SK))
            .update_expression("SET rotated = :true, rotated_at = :now")
            .condition_expression("rotated = :false")
            .expression_attribute_values(
                ":true",
                aws_sdk_dynamodb::types::AttributeValue::Bool(true),
            )
            .expression_attribute_values(
                ":false",
                aws_sdk_dynamodb::types::AttributeValue::Bool(false),
            )
            .expression_attribute_values(":now", n(now.unix_timestamp()))
            .build()
            .context("building the rotation update")?;
        let session_live = ConditionCheck::builder()
            .table_name(&self.table)
            .key("pk", s(keys::session_pk(&session.id)))
            .key("sk", s(keys::SESSION_SK))
            .condition_expression("revoked = :false")
            .expression_attribute_values(
                ":false",
                aws_sdk_dynamodb::types::AttributeValue::Bool(false),
            )
            .build()
            .context("building the session check")?;
        let next = RefreshRecord::new(next_fingerprint, &session);
        let items = vec![
            TransactWriteItem::builder().update(mark_rotated).build(),
            TransactWriteItem::builder()
                .condition_check(session_live)
                .build(),
            self.put(
                super::to_item(&next)?,
                Some(("attribute_not_exists(pk)", Vec::new())),
            )?,
        ];
        match self.transact(items).await {
            Ok(()) => Ok(Rotation::Rotated(session)),
            // Another request rotated this token first: two uses of one
            // token, which is exactly what reuse detection is for.
            Err(error) if error.failed_condition_at(0) => {
                self.revoke_session(&session.id).await?;
                Ok(Rotation::Reused)
            }
            Err(error) if error.failed_condition_at(1) => Ok(Rotation::Refused),
            Err(error) => Err(error),
        }
    }
}
