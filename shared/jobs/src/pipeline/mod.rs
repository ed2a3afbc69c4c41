//! The job worker: the jobs queues (`job.queued` events, from the event
//! router's jobs lanes) → one attempt of each job that is due.
//!
//! For each message:
//! 1. A job still queued but not yet due (a delay beyond SQS's 15 minutes)
//!    goes back to its queue for the rest of its wait, at most 15 minutes
//!    a hop; nothing sleeps in the function, and a job cancelled or
//!    deleted meanwhile is dropped at its next hop.
//! 2. The job is read. The message starts an attempt only if the job is
//!    still `queued` at the version the event saw: any other message (a
//!    redelivery, an older queueing, a cancelled or deleted job) is
//!    acknowledged and does nothing. That makes the worker idempotent on
//!    job id + attempt. A job left `running` by a worker that stopped (no
//!    write for longer than [`STALLED_AFTER`]) is found by the redelivery
//!    of the message that started it, and that attempt counts as failed.
//! 3. The attempt runs ([`crate::work`]) and the job ends `completed`, or
//!    `queued` again after [`crate::domain::backoff`] (1 s, then 2 s: its
//!    `job.queued` event is delayed by the router), or `failed` after
//!    [`crate::domain::MAX_ATTEMPTS`] attempts or a failure no retry can
//!    mend.
//!
//! Only a message whose job could not be read or written is reported as a
//! batch item failure, so SQS delivers it again (and after five receives
//! moves it to the dead-letter queue, whose alarm pages).

use crate::domain::JobStatus;
use crate::lanes::{self, JOBS_HIGH_QUEUE, JOBS_QUEUE};
use crate::reports::Reports;
use crate::service::{self, JobsError};
use crate::store::{JobRecord, JobStore, Store};
use crate::work::{self, notify_mail, Failure};
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use opsflow_platform::clock;
use opsflow_platform::config::Config;
use opsflow_platform::domain::EntityId;
use opsflow_platform::pipeline::consumer;
use serde_json::Value;
use time::Duration;
use tracing::Instrument;

pub use crate::work::Mail;

/// How long a running job may go without a write before its worker is
/// taken to have stopped: longer than the worker function's timeout
/// (120 s, template), which the queues' visibility timeout (720 s) exceeds,
/// so the message that started the attempt comes back after it.
pub const STALLED_AFTER: Duration = Duration::seconds(150);

/// `last_error` of an attempt whose worker stopped.
const STOPPED: &str = "the attempt stopped before it finished (the worker timed out or crashed)";

pub struct Worker {
    pub store: Store,
    pub sqs: aws_sdk_sqs::Client,
    pub reports: Reports,
    pub mail: Mail,
    /// The jobs queue and the high-priority one.
    pub queues: [String; 2],
    pub stalled_after: Duration,
    /// `app.name` (e-mail's sender name), kept for a minute.
    pub settings: opsflow_settings::cache::SettingsCache,
}

impl Worker {
    /// From the configuration: `TABLE_NAME`, `JOBS_QUEUE_URL`,
    /// `JOBS_HIGH_QUEUE_URL`, `REPORTS_BUCKET`, `NOTIFICATION_SENDER`.
    pub fn from_config(config: Config, sdk: &aws_config::SdkConfig) -> anyhow::Result<Self> {
        let store = Store::new(
            aws_sdk_dynamodb::Client::new(sdk),
            config.table_name.clone(),
        );
        let queues = [
            config.vars.required(JOBS_QUEUE)?.to_owned(),
            config.vars.required(JOBS_HIGH_QUEUE)?.to_owned(),
        ];
        Ok(Self {
            store,
            sqs: aws_sdk_sqs::Client::new(sdk),
            reports: Reports::from_config(&config, sdk)?,
            mail: notify_mail(
                sdk,
                config.vars.get("AWS_ENDPOINT_URL_SESV2"),
                config.vars.required("NOTIFICATION_SENDER")?,
            ),
            queues,
            stalled_after: STALLED_AFTER,
            settings: Default::default(),
        })
    }

    /// Handles a batch; the response names the messages to deliver again.
    pub async fn run_batch(&self, event: &SqsEvent) -> SqsBatchResponse {
        let mut response = SqsBatchResponse::default();
        for message in &event.records {
            let span = consumer::message_span(message);
            if let Err(why) = self.one(message).instrument(span.clone()).await {
                let _in_message = span.enter();
                tracing::error!(%why, "job message to be delivered again");
                response.batch_item_failures.push(consumer::retry(message));
            }
        }
        response
    }

    async fn one(&self, message: &SqsMessage) -> Result<(), String> {
        let body = message.body.as_deref().unwrap_or_default();
        let envelope: Value = serde_json::from_str(body).map_err(|e| format!("not JSON: {e}"))?;
        let (priority, run_at) = lanes::queued(&envelope).ok_or("not a job.queued event")?;
        let data = &envelope["data"];
        let id = data["id"]
            .as_str()
            .and_then(|id| EntityId::parse(id).ok())
            .ok_or("the event names no job")?;
        let queued_version = data["version"].as_u64().unwrap_or(0);
        let queued_attempts = data["attempts"].as_u64().unwrap_or(0);
        let Some(job) = self.store.job_by_id(&id).await.map_err(|e| e.to_string())? else {
            return Ok(());
        };
        let now = clock::now();
        let fresh = job.status == JobStatus::Queued && job.version == queued_version;
        // SQS delays are whole seconds, rounded up: a message is early only
        // when it was sent back for a longer wait (or a clock is off).
        if fresh && run_at > now + Duration::milliseconds(100) {
            let queue = &self.queues[usize::from(priority.is_high())];
            return self.hop(queue, body, lanes::delay_until(run_at, now)).await;
        }
        // The attempt this message started is still `running`, silent for
        // longer than a worker may run: its worker stopped (a timeout, a
        // crash). That counts as a failed attempt, so a job that always
        // stops ends `failed` instead of `running` for good.
        let stopped = job.status == JobStatus::Running
            && u64::from(job.attempts) == queued_attempts + 1
            && job.updated_at + self.stalled_after < now;
        if stopped {
            tracing::warn!(job_id = %id, attempt = job.attempts, "job attempt stopped before it finished");
            return match service::fail(&self.store, &job, STOPPED, true).await {
                Ok(_) | Err(JobsError::Stale) => Ok(()),
                Err(error) => Err(error.to_string()),
            };
        }
        if !fresh {
            tracing::info!(job_id = %id, status = %job.status, "job message already handled");
            return Ok(());
        }
        let mut running = match service::start(&self.store, &job).await {
            Ok(running) => running,
            Err(JobsError::Stale) => return Ok(()),
            Err(error) => return Err(error.to_string()),
        };
        tracing::info!(job_id = %id, job_type = %running.job_type, attempt = running.attempts, "job attempt started");
        let outcome = work::run(self, &mut running).await;
        self.finish(&running, outcome).await
    }

    async fn finish(&self, job: &JobRecord, outcome: Result<Value, Failure>) -> Result<(), String> {
        let written = match outcome {
            Ok(result) => service::complete(&self.store, job, result).await,
            Err(failure) if failure.not_yet.is_some() => {
                let wait = failure.not_yet.unwrap_or_default();
                tracing::info!(job_id = %job.id, reason = %failure.message, "job not ready; queued again");
                service::postpone(&self.store, job, &failure.message, wait).await
            }
            Err(failure) => {
                tracing::warn!(job_id = %job.id, attempt = job.attempts, error = %failure.message, "job attempt failed");
                service::fail(&self.store, job, &failure.message, failure.may_pass).await
            }
        };
        match written {
            Ok(after) => {
                // Each job once, at the end it came to (a failed attempt
                // that runs again is not an end).
                if matches!(after.status, JobStatus::Completed | JobStatus::Failed) {
                    opsflow_platform::metrics::count(
                        "Jobs",
                        1,
                        Some(("Result", after.status.as_str())),
                    );
                }
                tracing::info!(job_id = %job.id, status = %after.status, "job attempt ended");
                Ok(())
            }
            // A write failed: the message comes back, and the job (still
            // running at this attempt) is taken over once it is stalled.
            Err(error) => Err(error.to_string()),
        }
    }

    /// Sends a job that is not due yet back to its queue.
    async fn hop(&self, queue: &str, body: &str, delay: u32) -> Result<(), String> {
        self.sqs
            .send_message()
            .queue_url(queue)
            .message_body(body)
            .delay_seconds(i32::try_from(delay).unwrap_or(900))
            .send()
            .await
            .map_err(|e| format!("{}", aws_sdk_sqs::error::DisplayErrorContext(&e)))?;
        Ok(())
    }
}
