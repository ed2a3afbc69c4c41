//! How jobs reach the job worker: the event router's two jobs lanes take
//! every `job.queued` event — priorities 7–10 to the high-priority queue
//! (`JOBS_HIGH_QUEUE_URL`), the rest to the jobs queue (`JOBS_QUEUE_URL`)
//! — delayed until the job is due, at most 15 minutes (SQS's limit); the
//! worker sends a job that arrives early back for the rest of its wait
//! ([`crate::pipeline`]). A job is queued in the same transaction as its
//! record, so none is lost between the two.
//!
//! Priority means a separate lane: the worker serves the high-priority
//! queue with more concurrency than the normal one (template
//! `JobWorkerFunction`), so a backlog of normal jobs never holds up a
//! high-priority one. Within a lane, SQS standard queues keep no order.

use crate::domain::Priority;
use opsflow_platform::clock;
use opsflow_platform::registry::QueueLane;
use serde_json::Value;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// The queue of jobs with priorities 1–6.
pub const JOBS_QUEUE: &str = "JOBS_QUEUE_URL";
/// The queue of jobs with priorities 7–10.
pub const JOBS_HIGH_QUEUE: &str = "JOBS_HIGH_QUEUE_URL";

/// The longest SQS holds a message back: 15 minutes.
pub const MAX_QUEUE_DELAY_SECONDS: i64 = 900;

pub const LANES: [QueueLane; 2] = [
    QueueLane {
        queue_variable: JOBS_QUEUE,
        takes: |envelope| takes(envelope, false),
    },
    QueueLane {
        queue_variable: JOBS_HIGH_QUEUE,
        takes: |envelope| takes(envelope, true),
    },
];

/// The job a `job.queued` envelope queues: its priority and when it is due.
pub fn queued(envelope: &Value) -> Option<(Priority, OffsetDateTime)> {
    if envelope.get("type")?.as_str()? != crate::events::JOB_QUEUED {
        return None;
    }
    let data = envelope.get("data")?;
    let priority = Priority::parse(data.get("priority")?.as_i64()?).ok()?;
    let run_at = OffsetDateTime::parse(data.get("run_at")?.as_str()?, &Rfc3339).ok()?;
    Some((priority, run_at))
}

/// Seconds to hold back a message for a job due at `run_at` (0–900).
pub fn delay_until(run_at: OffsetDateTime, now: OffsetDateTime) -> u32 {
    let seconds =
        (run_at - now).whole_seconds() + i64::from((run_at - now).subsec_nanoseconds() > 0);
    seconds.clamp(0, MAX_QUEUE_DELAY_SECONDS) as u32
}

fn takes(envelope: &Value, high: bool) -> Option<u32> {
    let (priority, run_at) = queued(envelope)?;
    (priority.is_high() == high).then(|| delay_until(run_at, clock::now()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use time::Duration;

    fn queued_job(priority: u8, run_at: OffsetDateTime) -> Value {
        json!({"type": "job.queued", "data": {
            "priority": priority,
            "run_at": run_at.format(&Rfc3339).unwrap(),
        }})
    }

    #[test]
    fn each_queued_job_takes_one_lane_by_priority() {
        let now = clock::now();
        for priority in 1..=10u8 {
            let envelope = queued_job(priority, now);
            let normal = (LANES[0].takes)(&envelope);
            let high = (LANES[1].takes)(&envelope);
            assert_eq!(normal.is_some(), priority < 7, "priority {priority}");
            assert_eq!(high.is_some(), priority >= 7, "priority {priority}");
        }
    }

    #[test]
    fn other_events_take_no_lane() {
        let mut envelope = queued_job(5, clock::now());
        envelope["type"] = json!("job.started");
        assert!(LANES.iter().all(|lane| (lane.takes)(&envelope).is_none()));
        assert!(LANES
            .iter()
            .all(|lane| (lane.takes)(&json!({"type": "job.queued"})).is_none()));
    }

    #[test]
    fn a_job_is_held_back_until_due_at_most_fifteen_minutes() {
        let now = clock::now();
        assert_eq!(delay_until(now - Duration::seconds(5), now), 0);
        assert_eq!(delay_until(now + Duration::milliseconds(1500), now), 2);
        assert_eq!(delay_until(now + Duration::seconds(60), now), 60);
        assert_eq!(delay_until(now + Duration::hours(3), now), 900);
    }
}
