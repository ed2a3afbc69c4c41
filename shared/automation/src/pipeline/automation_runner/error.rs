//! Why an action did not complete: [`ActionError`], transient (worth a
//! retry) or permanent. A storage failure is transient, and is recorded by
//! what failed, never by the SDK's text, which goes to the log only.

use crate::store::StoreError;

/// Why an action did not complete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActionError {
    /// Worth retrying: storage or a queue failed.
    Transient(String),
    /// Retrying cannot help.
    Permanent(String),
}

impl From<StoreError> for ActionError {
    /// A storage failure as a run records it: what failed, never the
    /// SDK's text (endpoints, account ids), which goes to the log.
    fn from(error: StoreError) -> Self {
        let summary = match &error {
            // `classify` names the operation as the outermost context.
            StoreError::Other(operation) => format!("storage call {operation} failed"),
            known => known.to_string(),
        };
        tracing::warn!(error = %format!("{:#}", anyhow::Error::new(error)), "storage call failed");
        Self::Transient(summary)
    }
}
