//! What the platform's queues hold, as the scheduler's sweeps see it: one
//! `GetQueueAttributes` per watched queue and tick, no message read (so a
//! probe never moves a message's receive count or visibility).
//!
//! The watched queues are the comma-separated URLs of `WATCHED_QUEUES`
//! (work queues, whose backlog should drain) and `WATCHED_DEAD_LETTER_QUEUES`
//! (dead-letter and quarantine queues, which should be empty). Neither set
//! means nothing is watched. A queue's name is the last segment of its URL.

use crate::config::Vars;
use aws_sdk_sqs::types::QueueAttributeName;

/// The variables that list the watched queues.
pub const WATCHED_QUEUES: &str = "WATCHED_QUEUES";
pub const WATCHED_DEAD_LETTER_QUEUES: &str = "WATCHED_DEAD_LETTER_QUEUES";

/// A queue the sweeps look at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchedQueue {
    /// The queue's name (`opsflow-prod-audit-dlq`).
    pub name: String,
    pub url: String,
    /// Whether it holds what failed (a dead-letter or quarantine queue).
    pub dead_letter: bool,
}

impl WatchedQueue {
    /// The queue at `url`.
    pub fn new(url: &str, dead_letter: bool) -> Self {
        let url = url.trim();
        let name = url.rsplit('/').next().unwrap_or(url).to_owned();
        Self {
            name,
            url: url.to_owned(),
            dead_letter,
        }
    }
}

/// What a queue held when it was probed (SQS's approximate counts).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueDepth {
    pub queue: WatchedQueue,
    /// Messages waiting to be received.
    pub visible: u64,
    /// Messages received and not yet deleted (being processed).
    pub in_flight: u64,
    /// Messages sent with a delay that has not passed.
    pub delayed: u64,
}

impl QueueDepth {
    /// Every message the queue holds.
    pub fn total(&self) -> u64 {
        self.visible + self.in_flight + self.delayed
    }
}

/// The watched queues and the client that probes them.
#[derive(Debug, Clone)]
pub struct QueueProbe {
    client: Option<aws_sdk_sqs::Client>,
    watched: Vec<WatchedQueue>,
}

impl QueueProbe {
    /// A probe that watches nothing (a function without queues to watch).
    pub fn none() -> Self {
        Self {
            client: None,
            watched: Vec::new(),
        }
    }

    /// A probe of `watched` through `client`.
    pub fn new(client: aws_sdk_sqs::Client, watched: Vec<WatchedQueue>) -> Self {
        Self {
            client: Some(client),
            watched,
        }
    }

    /// The probe of the queues `vars` lists ([`WATCHED_QUEUES`],
    /// [`WATCHED_DEAD_LETTER_QUEUES`]).
    pub fn from_vars(vars: &Vars, sdk: &aws_config::SdkConfig) -> Self {
        let watched = watched_queues(vars);
        if watched.is_empty() {
            return Self::none();
        }
        Self::new(aws_sdk_sqs::Client::new(sdk), watched)
    }

    pub fn watched(&self) -> &[WatchedQueue] {
        &self.watched
    }

    /// What every watched queue holds now, in the order listed: a queue
    /// that could not be probed is an error naming it (its findings are
    /// left as they are until a probe answers).
    pub async fn depths(&self) -> Vec<Result<QueueDepth, String>> {
        let Some(client) = &self.client else {
            return Vec::new();
        };
        let probes = self.watched.iter().map(|queue| depth(client, queue));
        futures::future::join_all(probes).await
    }
}

/// The queues `vars` lists, work queues first; blanks and repeats dropped.
pub fn watched_queues(vars: &Vars) -> Vec<WatchedQueue> {
    let mut watched: Vec<WatchedQueue> = Vec::new();
    for (variable, dead_letter) in [(WATCHED_QUEUES, false), (WATCHED_DEAD_LETTER_QUEUES, true)] {
        for url in vars.get(variable).unwrap_or_default().split(',') {
            let url = url.trim();
            if !url.is_empty() && watched.iter().all(|q| q.url != url) {
                watched.push(WatchedQueue::new(url, dead_letter));
            }
        }
    }
    watched
}

async fn depth(client: &aws_sdk_sqs::Client, queue: &WatchedQueue) -> Result<QueueDepth, String> {
    let output = client
        .get_queue_attributes()
        .queue_url(&queue.url)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesDelayed)
        .send()
        .await
        .map_err(|error| {
            format!(
                "GetQueueAttributes of {}: {}",
                queue.name,
                aws_sdk_sqs::error::DisplayErrorContext(&error)
            )
        })?;
    let attributes = output.attributes.unwrap_or_default();
    let count = |name: QueueAttributeName| {
        attributes
            .get(&name)
            .and_then(|value| value.parse::<u64>().ok())
            .unwrap_or(0)
    };
    Ok(QueueDepth {
        queue: queue.clone(),
        visible: count(QueueAttributeName::ApproximateNumberOfMessages),
        in_flight: count(QueueAttributeName::ApproximateNumberOfMessagesNotVisible),
        delayed: count(QueueAttributeName::ApproximateNumberOfMessagesDelayed),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn the_watched_queues_are_read_from_two_lists() {
        let vars = Vars::from(HashMap::from([
            (
                WATCHED_QUEUES.to_owned(),
                "http://sqs.local/1/app-audit, ,http://sqs.local/1/app-jobs,http://sqs.local/1/app-audit".to_owned(),
            ),
            (
                WATCHED_DEAD_LETTER_QUEUES.to_owned(),
                "http://sqs.local/1/app-audit-dlq".to_owned(),
            ),
        ]));
        let watched = watched_queues(&vars);
        let names: Vec<(&str, bool)> = watched
            .iter()
            .map(|q| (q.name.as_str(), q.dead_letter))
            .collect();
        assert_eq!(
            names,
            [
                ("app-audit", false),
                ("app-jobs", false),
                ("app-audit-dlq", true)
            ]
        );
        assert!(watched_queues(&Vars::default()).is_empty());
    }
}
