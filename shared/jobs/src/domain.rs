//! Jobs: work done in the background, after the request that asked for
//! it, by the job worker. Inputs become these types at the edge; past it,
//! code trusts them.
//!
//! A job moves only along [`transition`]:
//!
//! | from | to | by |
//! |---|---|---|
//! | `queued` | `running` | the worker, when the job is due ([`Step::Start`]) |
//! | `queued` | `cancelled` | an admin ([`Step::Cancel`]) |
//! | `running` | `completed` | the worker, when the work succeeded |
//! | `running` | `queued` | the worker, after a failed attempt with attempts left (due after [`backoff`]) |
//! | `running` | `failed` | the worker, after the last attempt or a failure no retry can mend |
//! | `failed` | `queued` | an admin's `retry` (attempts start again) |
//!
//! A running job cannot be cancelled or deleted: its work may be half
//! done, and the worker is the only writer of a running job.

use time::Duration;

pub use opsflow_platform::domain::JsonObject as JobData;

/// Attempts a job gets before it is `failed`.
pub const MAX_ATTEMPTS: u32 = 3;
/// The longest a client may delay a job: 30 days.
pub const MAX_DELAY_SECONDS: u64 = 30 * 24 * 3600;

opsflow_platform::string_enum! {
    /// What a job does (its `data` is checked against the type:
    /// [`crate::spec`]).
    pub enum JobType {
        ProcessData = "process-data",
        SendNotification = "send-notification",
        GenerateReport = "generate-report",
        Cleanup = "cleanup",
    }
}

opsflow_platform::string_enum! {
    pub enum JobStatus {
        Queued = "queued",
        Running = "running",
        Completed = "completed",
        Failed = "failed",
        Cancelled = "cancelled",
    }
}

/// A move of a job's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Start,
    Cancel,
    Complete,
    /// A failed attempt; `attempts_left` says whether it runs again.
    Fail {
        attempts_left: bool,
    },
    Retry,
}

/// The status after `step` from `from`, or `None` when `step` is not
/// legal there.
pub fn transition(from: JobStatus, step: Step) -> Option<JobStatus> {
    use JobStatus::*;
    match (from, step) {
        (Queued, Step::Start) => Some(Running),
        (Queued, Step::Cancel) => Some(Cancelled),
        (Running, Step::Complete) => Some(Completed),
        (
            Running,
            Step::Fail {
                attempts_left: true,
            },
        ) => Some(Queued),
        (
            Running,
            Step::Fail {
                attempts_left: false,
            },
        ) => Some(Failed),
        (Failed, Step::Retry) => Some(Queued),
        _ => None,
    }
}

/// The states from which `step` is legal, for a 409's message.
pub fn legal_from(step: Step) -> Vec<JobStatus> {
    JobStatus::ALL
        .into_iter()
        .filter(|status| transition(*status, step).is_some())
        .collect()
}

/// The wait before attempt `next` (2, 3, …) after a failed one:
/// exponential from one second (1 s, 2 s, 4 s, …), at most 15 minutes.
pub fn backoff(next: u32) -> Duration {
    let exponent = next.saturating_sub(2).min(10);
    Duration::seconds((1i64 << exponent).min(900))
}

/// A job's priority: 1 (lowest) to 10; 5 when not given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Priority(u8);

impl Priority {
    pub const DEFAULT: Self = Self(5);
    /// Priorities from here up go to the high-priority queue.
    pub const HIGH: Self = Self(7);

    pub fn parse(input: i64) -> Result<Self, String> {
        u8::try_from(input)
            .ok()
            .filter(|p| (1..=10).contains(p))
            .map(Self)
            .ok_or_else(|| "must be an integer from 1 to 10".to_owned())
    }

    pub fn get(self) -> u8 {
        self.0
    }

    /// Whether the job goes to the high-priority queue.
    pub fn is_high(self) -> bool {
        self >= Self::HIGH
    }
}

impl serde::Serialize for Priority {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u8(self.0)
    }
}

impl<'de> serde::Deserialize<'de> for Priority {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = i64::deserialize(deserializer)?;
        Self::parse(value).map_err(serde::de::Error::custom)
    }
}

/// How long a job waits before it is first due: 0 to [`MAX_DELAY_SECONDS`].
pub fn delay(seconds: i64) -> Result<Duration, String> {
    u64::try_from(seconds)
        .ok()
        .filter(|s| *s <= MAX_DELAY_SECONDS)
        .map(|s| Duration::seconds(s as i64))
        .ok_or_else(|| format!("must be an integer from 0 to {MAX_DELAY_SECONDS}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use JobStatus::*;

    #[test]
    fn a_queued_job_starts_or_is_cancelled() {
        assert_eq!(transition(Queued, Step::Start), Some(Running));
        assert_eq!(transition(Queued, Step::Cancel), Some(Cancelled));
        assert_eq!(transition(Queued, Step::Complete), None);
        assert_eq!(transition(Queued, Step::Retry), None);
    }

    #[test]
    fn a_running_job_completes_fails_or_is_queued_again() {
        assert_eq!(transition(Running, Step::Complete), Some(Completed));
        let again = Step::Fail {
            attempts_left: true,
        };
        let last = Step::Fail {
            attempts_left: false,
        };
        assert_eq!(transition(Running, again), Some(Queued));
        assert_eq!(transition(Running, last), Some(Failed));
        assert_eq!(transition(Running, Step::Cancel), None);
        assert_eq!(transition(Running, Step::Start), None);
    }

    #[test]
    fn only_a_failed_job_is_retried() {
        assert_eq!(transition(Failed, Step::Retry), Some(Queued));
        for status in [Queued, Running, Completed, Cancelled] {
            assert_eq!(transition(status, Step::Retry), None, "{status}");
        }
        assert_eq!(legal_from(Step::Retry), vec![Failed]);
        assert_eq!(legal_from(Step::Cancel), vec![Queued]);
    }

    #[test]
    fn finished_jobs_go_nowhere_but_a_failed_one_to_retry() {
        for status in [Completed, Cancelled] {
            for step in [Step::Start, Step::Cancel, Step::Complete, Step::Retry] {
                assert_eq!(transition(status, step), None);
            }
        }
    }

    #[test]
    fn backoff_doubles_from_one_second() {
        assert_eq!(backoff(2), Duration::seconds(1));
        assert_eq!(backoff(3), Duration::seconds(2));
        assert_eq!(backoff(4), Duration::seconds(4));
        assert_eq!(backoff(40), Duration::seconds(900));
    }

    #[test]
    fn priorities_run_from_one_to_ten_and_seven_up_is_high() {
        assert!(Priority::parse(0).is_err());
        assert!(Priority::parse(11).is_err());
        assert!(!Priority::parse(6).unwrap().is_high());
        assert!(Priority::parse(7).unwrap().is_high());
        assert!(!Priority::DEFAULT.is_high());
    }

    #[test]
    fn delays_are_whole_seconds_up_to_thirty_days() {
        assert_eq!(delay(0), Ok(Duration::ZERO));
        assert_eq!(delay(3600), Ok(Duration::hours(1)));
        assert!(delay(-1).is_err());
        assert!(delay(MAX_DELAY_SECONDS as i64 + 1).is_err());
    }
}
