//! Idempotency keys for creates (DESIGN §5): a client that retries a `POST`
//! with the same `Idempotency-Key` gets the first response again instead of
//! a second resource.
//!
//! The first request claims the key with a conditional put (a `pending`
//! record holding a fingerprint of the request); its response is then
//! stored on the record for 24 hours. A retry finds the record: with the
//! same fingerprint it replays the stored response (or learns the first is
//! still running), with another fingerprint it is refused. A request that
//! fails with a 5xx releases its claim, so the retry runs for real.
//!
//! Access pattern: `PutItem`/`GetItem`/`UpdateItem`/`DeleteItem`
//! `pk=IDEMPOTENCY#<scope>#<key>, sk=IDEMPOTENCY`.

use super::{classify, keys, n, s, to_item, Store, StoreError};
use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

/// How long a key and its response are kept.
pub const RETENTION: Duration = Duration::hours(24);

/// A response as stored for replay.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredResponse {
    pub status: u16,
    /// Headers worth replaying (content type, location, etag, …).
    pub headers: Vec<(String, String)>,
    pub body: String,
}

#[derive(Debug, Serialize, Deserialize)]
struct IdempotencyRecord {
    pk: String,
    sk: String,
    #[serde(rename = "type")]
    item_type: String,
    fingerprint: String,
    response: Option<StoredResponse>,
    expires_at: i64,
}

/// What a request learns when it presents its key.
#[derive(Debug, PartialEq, Eq)]
pub enum Claim {
    /// First use: go ahead, then `complete` or `release`.
    New,
    /// A retry of a finished request: send this again.
    Replay(StoredResponse),
    /// The first request with this key has not finished.
    InProgress,
    /// The key was used for a different request.
    Mismatch,
}

impl Store {
    #[tracing::instrument(skip(self, fingerprint))]
    pub async fn claim_idempotency_key(
        &self,
        scope: &str,
        key: &str,
        fingerprint: &str,
        now: OffsetDateTime,
    ) -> Result<Claim, StoreError> {
        let pk = keys::idempotency_pk(scope, key);
        let record = IdempotencyRecord {
            pk: pk.clone(),
            sk: keys::IDEMPOTENCY_SK.into(),
            item_type: "idempotency".into(),
            fingerprint: fingerprint.to_owned(),
            response: None,
            expires_at: (now + RETENTION).unix_timestamp(),
        };
        let claimed = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_item(&record)?))
            // An expired record that TTL has not deleted yet is free again.
            .condition_expression("attribute_not_exists(pk) OR expires_at < :now")
            .expression_attribute_values(":now", n(now.unix_timestamp()))
            .send()
            .await;
        match claimed.map_err(|e| classify(e, "PutItem")) {
            Ok(_) => return Ok(Claim::New),
            Err(StoreError::ConditionFailed) => {}
            Err(error) => return Err(error),
        }
        let existing: Option<IdempotencyRecord> = self.get(pk, keys::IDEMPOTENCY_SK).await?;
        Ok(match existing {
            // Released between our put and our read: the retry may claim it.
            None => Claim::InProgress,
            Some(record) if record.fingerprint != fingerprint => Claim::Mismatch,
            Some(IdempotencyRecord {
                response: Some(response),
                ..
            }) => Claim::Replay(response),
            Some(_) => Claim::InProgress,
        })
    }

    /// Stores the response of a claimed key.
    pub async fn complete_idempotency_key(
        &self,
        scope: &str,
        key: &str,
        response: &StoredResponse,
    ) -> Result<(), StoreError> {
        let value = serde_dynamo::to_attribute_value(response)
            .map_err(|e| StoreError::Other(anyhow::Error::new(e).context("encoding a response")))?;
        self.client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(keys::idempotency_pk(scope, key)))
            .key("sk", s(keys::IDEMPOTENCY_SK))
            .update_expression("SET #response = :response")
            .expression_attribute_names("#response", "response")
            .expression_attribute_values(":response", value)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| classify(e, "UpdateItem"))
    }

    /// Gives a claimed key back (the request failed on our side).
    pub async fn release_idempotency_key(&self, scope: &str, key: &str) -> Result<(), StoreError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .key("pk", s(keys::idempotency_pk(scope, key)))
            .key("sk", s(keys::IDEMPOTENCY_SK))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| classify(e, "DeleteItem"))
    }
}
