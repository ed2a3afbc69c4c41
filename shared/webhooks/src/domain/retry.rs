//! What an attempt's result means for a delivery, and when the next
//! attempt is due.
//!
//! - A `2xx` delivers. A timeout, a failed connection, `408`, `429` or a
//!   `5xx` is worth another attempt; any other answer (a `4xx`, a `3xx`,
//!   since redirects are not followed) fails the delivery at once, as does a
//!   target refused by the address policy.
//! - [`ATTEMPTS`] attempts in all, the retries after the delays of
//!   [`SCHEDULE`] (about 24 hours from the first to the last), each delay
//!   moved by up to ±[`JITTER`] so that receivers that failed together are
//!   not retried together.
//! - SQS delays a message by at most 15 minutes, so a longer wait is made
//!   of hops ([`hop`]): the message goes back to the queue with the time it
//!   is due, delayed by at most that much each time. No function sleeps.
//!
//! Invariant: a delivery is attempted at most [`ATTEMPTS`] times and never
//! before its due time.

use std::time::Duration;

/// Attempts per delivery, the first included.
pub const ATTEMPTS: u32 = 8;

/// The delay before each retry: after the first attempt, 5 s; then 1 min,
/// 5 min, 30 min, 2 h, 6 h and 15 h (23 h 36 min 5 s in all).
pub const SCHEDULE: [Duration; (ATTEMPTS - 1) as usize] = [
    Duration::from_secs(5),
    Duration::from_secs(60),
    Duration::from_secs(5 * 60),
    Duration::from_secs(30 * 60),
    Duration::from_secs(2 * 3600),
    Duration::from_secs(6 * 3600),
    Duration::from_secs(15 * 3600),
];

/// How far a delay may be moved either way, as a fraction of it.
pub const JITTER: f64 = 0.2;

/// The longest delay SQS gives a message (`DelaySeconds` ≤ 900).
pub const MAX_QUEUE_DELAY: Duration = Duration::from_secs(15 * 60);

/// How one attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempt {
    /// The receiver answered with this status.
    Answered(u16),
    /// No answer within the timeout.
    TimedOut,
    /// No connection (refused, reset, TLS failure, no route).
    Unreachable,
    /// The target is not allowed (the address policy refused what the host
    /// resolved to).
    Refused,
}

/// What happens to the delivery after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Delivered,
    /// Attempt again after this delay.
    RetryAfter(Duration),
    /// No more attempts: the delivery failed.
    Failed,
}

impl Attempt {
    /// Whether another attempt could end differently.
    pub fn is_retryable(self) -> bool {
        match self {
            Self::Answered(status) => matches!(status, 408 | 429 | 500..=599),
            Self::TimedOut | Self::Unreachable => true,
            Self::Refused => false,
        }
    }
}

/// The verdict on attempt number `attempt` (1 for the first) that ended as
/// `ended`; `jitter` is a random draw in `[0, 1)`.
pub fn verdict(attempt: u32, ended: Attempt, jitter: f64) -> Verdict {
    if matches!(ended, Attempt::Answered(200..=299)) {
        return Verdict::Delivered;
    }
    if !ended.is_retryable() || attempt >= ATTEMPTS {
        return Verdict::Failed;
    }
    let Some(base) = SCHEDULE.get(attempt.saturating_sub(1) as usize) else {
        return Verdict::Failed;
    };
    let factor = 1.0 + JITTER * (2.0 * jitter.clamp(0.0, 1.0) - 1.0);
    Verdict::RetryAfter(base.mul_f64(factor))
}

/// How long to delay the message that carries a delivery due in `due_in`:
/// all of it when SQS can, otherwise [`MAX_QUEUE_DELAY`], after which the
/// message is sent back for the rest. Zero when it is due.
pub fn hop(due_in: Duration) -> Duration {
    due_in.min(MAX_QUEUE_DELAY)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_2xx_delivers_on_any_attempt() {
        for status in [200, 202, 204, 299] {
            assert_eq!(
                verdict(1, Attempt::Answered(status), 0.5),
                Verdict::Delivered
            );
            assert_eq!(
                verdict(ATTEMPTS, Attempt::Answered(status), 0.5),
                Verdict::Delivered
            );
        }
    }

    #[test]
    fn timeouts_lost_connections_408_429_and_5xx_are_retried_after_the_schedule() {
        for ended in [
            Attempt::TimedOut,
            Attempt::Unreachable,
            Attempt::Answered(408),
            Attempt::Answered(429),
            Attempt::Answered(500),
            Attempt::Answered(503),
        ] {
            // The middle of the jitter is the schedule itself.
            assert_eq!(
                verdict(1, ended, 0.5),
                Verdict::RetryAfter(Duration::from_secs(5)),
                "{ended:?}"
            );
            assert_eq!(verdict(ATTEMPTS, ended, 0.5), Verdict::Failed, "{ended:?}");
        }
    }

    #[test]
    fn other_answers_and_refused_targets_fail_at_once() {
        for ended in [
            Attempt::Answered(400),
            Attempt::Answered(401),
            Attempt::Answered(404),
            Attempt::Answered(410),
            Attempt::Answered(301),
            Attempt::Answered(100),
            Attempt::Refused,
        ] {
            assert_eq!(verdict(1, ended, 0.5), Verdict::Failed, "{ended:?}");
        }
    }

    #[test]
    fn the_schedule_spans_about_a_day_over_eight_attempts() {
        let mut waited = Duration::ZERO;
        let mut attempt = 1;
        while let Verdict::RetryAfter(delay) = verdict(attempt, Attempt::TimedOut, 0.5) {
            waited += delay;
            attempt += 1;
        }
        assert_eq!(attempt, ATTEMPTS);
        assert_eq!(waited, Duration::from_secs(23 * 3600 + 36 * 60 + 5));
    }

    #[test]
    fn jitter_moves_a_delay_by_at_most_a_fifth_either_way() {
        let delay = |jitter| match verdict(4, Attempt::Answered(502), jitter) {
            Verdict::RetryAfter(delay) => delay,
            other => panic!("{other:?}"),
        };
        assert_eq!(delay(0.0), Duration::from_secs(24 * 60));
        assert_eq!(delay(1.0), Duration::from_secs(36 * 60));
        assert!(delay(0.25) < delay(0.75));
        // Draws outside [0, 1) are held to it.
        assert_eq!(delay(-3.0), delay(0.0));
        assert_eq!(delay(7.0), delay(1.0));
    }

    #[test]
    fn a_long_wait_is_made_of_hops_sqs_can_delay() {
        assert_eq!(hop(Duration::ZERO), Duration::ZERO);
        assert_eq!(hop(Duration::from_secs(5)), Duration::from_secs(5));
        assert_eq!(hop(Duration::from_secs(900)), MAX_QUEUE_DELAY);
        assert_eq!(hop(Duration::from_secs(6 * 3600)), MAX_QUEUE_DELAY);
    }
}
