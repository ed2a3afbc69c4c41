//! Storage failures: [`StoreError`], how SDK errors are classified into it
//! (by service error code; a cancelled transaction keeps one reason per
//! item, in item order). The store speaks no HTTP: what a client gets for a
//! failure its caller did not map is decided in `crate::error`.

use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;

/// Why a storage call failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A single-item write's condition did not hold.
    #[error("the condition of the write did not hold")]
    ConditionFailed,
    /// A transaction was cancelled; one reason per item, in order
    /// (`"None"`, `"ConditionalCheckFailed"`, `"TransactionConflict"`, …).
    #[error("the transaction was cancelled: {0:?}")]
    TransactionCancelled(Vec<String>),
    /// DynamoDB throttled the request after the SDK's retries.
    #[error("the table is throttling requests")]
    Throttled,
    /// The request's idempotency key was taken over by another run of it
    /// (its lease ran out), so this run's change was not committed.
    #[error("the idempotency key was taken over by another run of the request")]
    LeaseLost,
    /// The change's event would not fit in a queue message
    /// (`events::MAX_ENVELOPE_BYTES`); nothing was written.
    #[error("the event of this change is {bytes} bytes, over the outbox limit")]
    EventTooLarge { bytes: usize },
    /// The write was not sent: the request's session check found the
    /// session ended (or could not tell), see `auth::gate`.
    #[error("the session has ended; the write was not sent")]
    SessionEnded,
    /// Anything else; logged, never shown.
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

impl StoreError {
    /// Whether item `index` of a cancelled transaction failed its condition.
    pub fn failed_condition_at(&self, index: usize) -> bool {
        matches!(self, Self::TransactionCancelled(reasons)
            if reasons.get(index).map(String::as_str) == Some("ConditionalCheckFailed"))
    }

    /// Whether the transaction lost a race: another one on the same item
    /// cancelled it (`TransactionConflict`), so trying again may succeed.
    pub fn is_conflict(&self) -> bool {
        matches!(self, Self::TransactionCancelled(reasons)
            if reasons.iter().any(|r| r == "TransactionConflict"))
    }
}

const THROTTLING_CODES: &[&str] = &[
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
];

/// Maps an SDK error to a [`StoreError`] by its service error code.
/// A request built from its builder, or why not (`what`: "a Put",
/// "an Update", …): a missing required field, a bug, never the client's.
pub fn built<T, E>(result: Result<T, E>, what: &str) -> Result<T, StoreError>
where
    E: std::error::Error + Send + Sync + 'static,
{
    result.map_err(|e| StoreError::Other(anyhow::Error::new(e).context(format!("building {what}"))))
}

pub fn classify<E>(error: SdkError<E>, what: &'static str) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    match error.code() {
        Some("ConditionalCheckFailedException") => StoreError::ConditionFailed,
        Some(code) if THROTTLING_CODES.contains(&code) => StoreError::Throttled,
        _ => StoreError::Other(anyhow::Error::new(error).context(what)),
    }
}

pub(super) fn classify_transaction(error: SdkError<TransactWriteItemsError>) -> StoreError {
    if let SdkError::ServiceError(service) = &error {
        if let TransactWriteItemsError::TransactionCanceledException(cancelled) = service.err() {
            let reasons = cancelled
                .cancellation_reasons()
                .iter()
                .map(|r| r.code().unwrap_or("None").to_owned())
                .collect();
            return StoreError::TransactionCancelled(reasons);
        }
    }
    classify(error, "TransactWriteItems")
}
