//! Idempotency keys for creates (DESIGN §5): a client that retries a `POST`
//! with the same `Idempotency-Key` gets the first response again instead of
//! a second resource.
//!
//! The first request claims the key with a conditional put: a record
//! holding a fingerprint of the request, a lease id and a lease end (now
//! plus the function's timeout). While the request runs, every transaction
//! the store commits for it also carries the key's *commit mark*
//! (`committed = true`, on condition that the lease is still this
//! request's): the change and "this key has made its change" commit
//! together or not at all. The response is then stored on the record for
//! 24 hours.
//!
//! A retry finds the record: with another fingerprint it is refused; with
//! the same one it replays the stored response, or learns the first is
//! still in progress. A claim that never committed is claimable again once
//! its lease has run out (the function that held it has timed out), or at
//! once when its request failed on our side (5xx). A key whose change
//! committed is never released: if its response could not be stored, a
//! retry is told the change was made rather than making it twice. A request
//! whose lease was taken over cannot commit (its commit mark's condition
//! fails).
//!
//! Only writes made on the request's own task carry the commit mark
//! (a task-local holds the lease).
//!
//! Access pattern: `PutItem`/`GetItem`/`UpdateItem`/`DeleteItem`
//! `pk=IDEMPOTENCY#<scope>#<key>, sk=IDEMPOTENCY`; the commit mark is an
//! `Update` of that item inside the change's `TransactWriteItems`.

use super::error::built;
use super::{classify, keys, n, s, to_item, Store, StoreError};
use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem, Update};
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use time::{Duration, OffsetDateTime};

/// How long a key and its response are kept.
pub const RETENTION: Duration = Duration::hours(24);
/// How long a claim is in progress unless configured otherwise: the
/// functions' timeout in `template.yaml`.
pub const DEFAULT_LEASE: Duration = Duration::seconds(10);

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
    /// Whose claim this is; records from before leases have none.
    #[serde(default)]
    lease_id: String,
    /// When the claim may be taken over if it never committed (epoch ms).
    #[serde(default = "never")]
    lease_until_ms: i64,
    /// Whether the claim's change has committed.
    #[serde(default)]
    committed: bool,
}

fn never() -> i64 {
    i64::MAX
}

/// A claim held by the request that made it.
#[derive(Debug, Clone)]
pub struct Lease {
    pk: String,
    lease_id: String,
    committed: Arc<AtomicBool>,
}

impl Lease {
    /// Whether a transaction carrying this lease's commit mark committed.
    pub fn committed(&self) -> bool {
        self.committed.load(Ordering::SeqCst)
    }

    pub fn mark_committed(&self) {
        self.committed.store(true, Ordering::SeqCst);
    }

    /// Runs `work` holding this lease: the store's transactions on this
    /// task carry its commit mark. (The work is boxed: a handler's future
    /// is large, and nesting it inline would grow every caller's stack.)
    pub async fn hold<F: std::future::Future>(&self, work: F) -> F::Output {
        HELD.scope(self.clone(), Box::pin(work)).await
    }
}

tokio::task_local! {
    static HELD: Lease;
}

/// The lease the current task holds, if any.
pub fn held_lease() -> Option<Lease> {
    HELD.try_with(Lease::clone).ok()
}

/// What a request learns when it presents its key.
#[derive(Debug)]
pub enum Claim {
    /// First use (or a takeover of a lapsed claim): go ahead, holding the
    /// lease, then `complete` or `release`.
    New(Lease),
    /// A retry of a finished request: send this again.
    Replay(StoredResponse),
    /// The first request with this key has not finished.
    InProgress,
    /// The first request made its change, but its response was not kept.
    Committed,
    /// The key was used for a different request.
    Mismatch,
}

impl Store {
    /// The lease this store gives a new claim.
    pub fn idempotency_lease(&self) -> Duration {
        self.idempotency_lease
    }

    #[tracing::instrument(skip(self, fingerprint))]
    pub async fn claim_idempotency_key(
        &self,
        scope: &str,
        key: &str,
        fingerprint: &str,
        now: OffsetDateTime,
    ) -> Result<Claim, StoreError> {
        crate::auth::gate::cleared().await?;
        let pk = keys::idempotency_pk(scope, key);
        let lease_id = uuid::Uuid::now_v7().to_string();
        let record = IdempotencyRecord {
            pk: pk.clone(),
            sk: keys::IDEMPOTENCY_SK.into(),
            item_type: "idempotency".into(),
            fingerprint: fingerprint.to_owned(),
            response: None,
            expires_at: (now + RETENTION).unix_timestamp(),
            lease_id: lease_id.clone(),
            lease_until_ms: crate::clock::epoch_millis(now).saturating_add(
                i64::try_from(self.idempotency_lease.whole_milliseconds()).unwrap_or(i64::MAX),
            ),
            committed: false,
        };
        let claimed = self
            .client()
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_item(&record)?))
            // Free: never claimed, or expired but not yet deleted by TTL, or
            // a claim of this same request that never committed and whose
            // lease has run out.
            .condition_expression(
                "attribute_not_exists(pk) OR expires_at < :now \
                 OR (fingerprint = :fingerprint AND committed = :false \
                     AND lease_until_ms < :now_ms)",
            )
            .expression_attribute_values(":now", n(now.unix_timestamp()))
            .expression_attribute_values(":now_ms", n(crate::clock::epoch_millis(now)))
            .expression_attribute_values(":fingerprint", s(fingerprint))
            .expression_attribute_values(":false", AttributeValue::Bool(false))
            .send()
            .await;
        match claimed.map_err(|e| classify(e, "PutItem")) {
            Ok(_) => {
                return Ok(Claim::New(Lease {
                    pk,
                    lease_id,
                    committed: Arc::new(AtomicBool::new(false)),
                }))
            }
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
            Some(record) if record.committed => Claim::Committed,
            Some(_) => Claim::InProgress,
        })
    }

    /// The commit mark of a held lease, as a transaction item: holds only
    /// while the lease is still this request's.
    pub fn commit_mark(&self, lease: &Lease) -> Result<TransactWriteItem, StoreError> {
        let update = Update::builder()
            .table_name(&self.table)
            .key("pk", s(&lease.pk))
            .key("sk", s(keys::IDEMPOTENCY_SK))
            .update_expression("SET committed = :true")
            .condition_expression("lease_id = :lease")
            .expression_attribute_values(":true", AttributeValue::Bool(true))
            .expression_attribute_values(":lease", s(&lease.lease_id))
            .build();
        let update = built(update, "an Update")?;
        Ok(TransactWriteItem::builder().update(update).build())
    }

    /// Stores the response of a claim this request still holds.
    pub async fn complete_idempotency_key(
        &self,
        lease: &Lease,
        response: &StoredResponse,
    ) -> Result<(), StoreError> {
        crate::auth::gate::cleared().await?;
        let value = serde_dynamo::to_attribute_value(response)
            .map_err(|e| StoreError::Other(anyhow::Error::new(e).context("encoding a response")))?;
        self.client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(&lease.pk))
            .key("sk", s(keys::IDEMPOTENCY_SK))
            .update_expression("SET #response = :response")
            .condition_expression("lease_id = :lease")
            .expression_attribute_names("#response", "response")
            .expression_attribute_values(":response", value)
            .expression_attribute_values(":lease", s(&lease.lease_id))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| classify(e, "UpdateItem"))
    }

    /// Gives a claim back (its request failed on our side before making any
    /// change). A claim whose change committed, or that is no longer this
    /// request's, is left as it is.
    pub async fn release_idempotency_key(&self, lease: &Lease) -> Result<(), StoreError> {
        crate::auth::gate::cleared().await?;
        let result = self
            .client()
            .delete_item()
            .table_name(&self.table)
            .key("pk", s(&lease.pk))
            .key("sk", s(keys::IDEMPOTENCY_SK))
            .condition_expression("lease_id = :lease AND committed = :false")
            .expression_attribute_values(":lease", s(&lease.lease_id))
            .expression_attribute_values(":false", AttributeValue::Bool(false))
            .send()
            .await
            .map_err(|e| classify(e, "DeleteItem"));
        match result {
            Ok(_) | Err(StoreError::ConditionFailed) => Ok(()),
            Err(error) => Err(error),
        }
    }
}
