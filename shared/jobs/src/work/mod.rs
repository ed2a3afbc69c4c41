//! The work of each type of job, done by the job worker for one attempt.
//! Every type may run again (a retry, or a worker that stopped mid-way and
//! was taken over), so each is safe to repeat: a report is written again
//! under the same key, page-by-page work resumes from its checkpoint and
//! skips what is already as asked, a cleanup finds less to remove. The one
//! exception is e-mail: SES sends what it is given, so a notification
//! repeated after SES accepted it but before the job was marked done is
//! sent twice (at least once, never lost).

mod cleanup;
mod notify;
mod process;
mod report;
pub mod text;

pub use notify::Mail;

/// The SES client (v2 API) over `sdk` (at `endpoint`, an emulator's, when
/// one is given), sending from `sender`.
pub fn notify_mail(sdk: &aws_config::SdkConfig, endpoint: Option<&str>, sender: &str) -> Mail {
    let mut config = aws_sdk_sesv2::config::Builder::from(sdk);
    if let Some(endpoint) = endpoint {
        config = config.endpoint_url(endpoint);
    }
    Mail {
        ses: aws_sdk_sesv2::Client::from_conf(config.build()),
        sender: sender.to_owned(),
    }
}

use crate::pipeline::Worker;
use crate::spec::{self, Spec};
use crate::store::JobRecord;
use serde_json::Value;

/// Why an attempt failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub message: String,
    /// Whether another attempt may succeed (a service that failed) or
    /// cannot (the job asks for something that does not exist).
    pub may_pass: bool,
    /// The job cannot run yet (what it needs is not ready): it is queued
    /// again after this wait, and the attempt does not count.
    pub not_yet: Option<time::Duration>,
}

impl Failure {
    pub fn passing(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            may_pass: true,
            not_yet: None,
        }
    }

    pub fn not_yet(message: impl Into<String>, wait: time::Duration) -> Self {
        Self {
            message: message.into(),
            may_pass: true,
            not_yet: Some(wait),
        }
    }

    pub fn lasting(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            may_pass: false,
            not_yet: None,
        }
    }
}

impl From<opsflow_platform::store::StoreError> for Failure {
    fn from(error: opsflow_platform::store::StoreError) -> Self {
        Self::passing(format!("the table: {error}"))
    }
}

impl From<crate::service::JobsError> for Failure {
    fn from(error: crate::service::JobsError) -> Self {
        Self::passing(error.to_string())
    }
}

/// Does `job`'s work (the job is `running`, at the worker's attempt); its
/// result, for the job's `result`.
pub async fn run(worker: &Worker, job: &mut JobRecord) -> Result<Value, Failure> {
    let spec = spec::parse(job.job_type, job.data.as_value())
        .map_err(|problem| Failure::lasting(format!("the job's data: {problem}")))?;
    match spec {
        Spec::GenerateReport { report, format } => {
            report::generate(worker, job, &report, format).await
        }
        Spec::SendNotification { to, message } => notify::send(worker, job, &to, &message).await,
        Spec::ProcessData {
            status,
            search,
            set_status,
            merge_metadata,
        } => {
            let change = process::Change {
                set_status,
                merge_metadata,
            };
            process::run(worker, job, status, search, &change).await
        }
        Spec::Cleanup {
            older_than_days,
            items,
            jobs,
        } => cleanup::run(worker, job, older_than_days, items, jobs).await,
    }
}
