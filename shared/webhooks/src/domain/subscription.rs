//! A subscription: a target URL, the event types it receives, and the
//! secrets its deliveries are signed with.
//!
//! - It receives an event while it is active and one of its patterns
//!   (the rules' trigger syntax: `approval.rejected`, `order.*`, `*`)
//!   matches the event's type.
//! - Rotating the secret keeps the previous one signing too for
//!   [`ROTATION_OVERLAP`], so a receiver can switch without losing a
//!   delivery; after that only the new one signs.
//! - Its [`DISABLE_AFTER`](super::delivery::DISABLE_AFTER)th failed delivery in a row disables it;
//!   enabling it again starts the count afresh.
//!
//! Invariant: a subscription has at most [`MAX_PATTERNS`] distinct patterns
//! and as many distinct topics, at least one in all, and
//! at most two secrets sign a delivery: the current one, and the previous
//! one until its overlap ends.

use super::delivery::{Health, Status};
use super::signing::Secret;
use super::target::Target;
use opsflow_platform::events::{EventPattern, WebhookTopic};
use time::{Duration, OffsetDateTime};

/// Namespaces of event types that only a pattern naming them receives:
/// subscriptions' own changes (`webhook.*`: they describe other
/// subscriptions) and clients' reports (`client.*`: any signed-in user can
/// make one), so that `*` does not hand them to every receiver.
pub const RESERVED: [&str; 2] = ["webhook.", "client."];

/// How long a rotated-out secret still signs deliveries.
pub const ROTATION_OVERLAP: Duration = Duration::hours(24);
/// The most patterns (and the most topics) one subscription may list.
pub const MAX_PATTERNS: usize = 20;

opsflow_platform::text_newtype! {
    /// What a subscription is for, in a person's words: up to 500
    /// characters (empty by default).
    pub struct Description(free_text, 500);
}

/// What a subscription receives: the events whose type one of its
/// patterns matches, and the notices rules hand over under one of its
/// topics. Up to [`MAX_PATTERNS`] distinct patterns and as many distinct
/// topics, and at least one of either.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interests {
    patterns: Vec<EventPattern>,
    topics: Vec<WebhookTopic>,
}

impl Interests {
    /// From the lists a client sent (`events`, `topics`); a problem comes
    /// with the field it is about and, for a bad entry, its position.
    pub fn parse(events: &[String], topics: &[String]) -> Result<Self, (&'static str, String)> {
        let patterns = distinct(events, EventPattern::parse).map_err(|m| ("events", m))?;
        let topics = distinct(topics, WebhookTopic::parse).map_err(|m| ("topics", m))?;
        if patterns.is_empty() && topics.is_empty() {
            return Err(("events", "list at least one event pattern or topic".into()));
        }
        Ok(Self { patterns, topics })
    }

    pub fn patterns(&self) -> &[EventPattern] {
        &self.patterns
    }

    /// Whether an event of this type is of interest: a pattern matches it,
    /// and for a type in a [`RESERVED`] namespace, the pattern names that
    /// namespace (`*` and `*.created` never reach one).
    pub fn wants_event(&self, event_type: &str) -> bool {
        let reserved = RESERVED.iter().find(|ns| event_type.starts_with(**ns));
        self.patterns.iter().any(|pattern| {
            pattern.matches(event_type)
                && reserved.is_none_or(|ns| pattern.as_str().starts_with(ns))
        })
    }

    /// Whether a rule's notice under `topic` is of interest.
    pub fn wants_topic(&self, topic: &WebhookTopic) -> bool {
        self.topics.contains(topic)
    }

    pub fn topics(&self) -> &[WebhookTopic] {
        &self.topics
    }
}

/// Up to [`MAX_PATTERNS`] distinct entries, each parsed by `parse`.
fn distinct<T: PartialEq>(
    texts: &[String],
    parse: fn(&str) -> Result<T, String>,
) -> Result<Vec<T>, String> {
    if texts.len() > MAX_PATTERNS {
        return Err(format!("must list at most {MAX_PATTERNS} entries"));
    }
    let mut parsed: Vec<T> = Vec::with_capacity(texts.len());
    for (index, text) in texts.iter().enumerate() {
        let entry = parse(text).map_err(|problem| format!("[{index}] {problem}"))?;
        if parsed.contains(&entry) {
            return Err(format!("[{index}] repeats {text:?}"));
        }
        parsed.push(entry);
    }
    Ok(parsed)
}

/// The secrets that sign a subscription's deliveries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Secrets {
    current: Secret,
    /// The secret rotated out, and until when it still signs.
    previous: Option<(Secret, OffsetDateTime)>,
}

impl Secrets {
    pub fn new(current: Secret) -> Self {
        Self {
            current,
            previous: None,
        }
    }

    /// The secrets after rotating to `next` at `now`.
    pub fn rotate(self, next: Secret, now: OffsetDateTime) -> Self {
        Self {
            current: next,
            previous: Some((self.current, now + ROTATION_OVERLAP)),
        }
    }

    /// Secrets as stored: the current one and, after a rotation, the
    /// previous one with the end of its overlap.
    pub fn restore(current: Secret, previous: Option<(Secret, OffsetDateTime)>) -> Self {
        Self { current, previous }
    }

    pub fn current(&self) -> &Secret {
        &self.current
    }

    pub fn previous(&self) -> Option<&(Secret, OffsetDateTime)> {
        self.previous.as_ref()
    }

    /// The secrets that sign a delivery made at `now`, the current first.
    pub fn signing(&self, now: OffsetDateTime) -> Vec<&Secret> {
        let mut secrets = vec![&self.current];
        if let Some((previous, until)) = &self.previous {
            if now < *until {
                secrets.push(previous);
            }
        }
        secrets
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    pub target: Target,
    pub interests: Interests,
    pub secrets: Secrets,
    active: bool,
    health: Health,
}

/// What a delivery's end did to its subscription.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterDelivery {
    Unchanged,
    /// This failure was the [`DISABLE_AFTER`](super::delivery::DISABLE_AFTER)th in a row: the subscription
    /// is now disabled (and a `webhook.disabled` event is due).
    Disabled,
}

impl Subscription {
    pub fn new(target: Target, interests: Interests, secret: Secret) -> Self {
        Self {
            target,
            interests,
            secrets: Secrets::new(secret),
            active: true,
            health: Health::default(),
        }
    }

    /// A subscription as stored.
    pub fn restore(
        target: Target,
        interests: Interests,
        secrets: Secrets,
        active: bool,
        failed_in_a_row: u32,
    ) -> Self {
        Self {
            target,
            interests,
            secrets,
            active,
            health: Health { failed_in_a_row },
        }
    }

    pub fn is_active(&self) -> bool {
        self.active
    }

    pub fn failed_in_a_row(&self) -> u32 {
        self.health.failed_in_a_row
    }

    /// Whether an event of this type is delivered to the subscription.
    pub fn wants(&self, event_type: &str) -> bool {
        self.active && self.interests.wants_event(event_type)
    }

    /// Whether a rule's notice under `topic` is delivered to it.
    pub fn wants_topic(&self, topic: &WebhookTopic) -> bool {
        self.active && self.interests.wants_topic(topic)
    }

    /// Counts a delivery that ended as `status`.
    pub fn after_delivery(&mut self, status: Status) -> AfterDelivery {
        let (health, disable) = self.health.after(status);
        self.health = health;
        if disable && self.active {
            self.active = false;
            AfterDelivery::Disabled
        } else {
            AfterDelivery::Unchanged
        }
    }

    /// Turns deliveries on or off; turning them on forgets past failures.
    pub fn set_active(&mut self, active: bool) {
        if active && !self.active {
            self.health = Health::default();
        }
        self.active = active;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::delivery::DISABLE_AFTER;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-12-03 10:00 UTC);

    fn strings(texts: &[&str]) -> Vec<String> {
        texts.iter().map(|t| t.to_string()).collect()
    }

    fn interests(events: &[&str], topics: &[&str]) -> Result<Interests, (&'static str, String)> {
        Interests::parse(&strings(events), &strings(topics))
    }

    fn subscription(texts: &[&str]) -> Subscription {
        subscribed(texts, &[])
    }

    fn subscribed(events: &[&str], topics: &[&str]) -> Subscription {
        let target = Target::parse("https://hooks.example.com/in", &Default::default()).unwrap();
        Subscription::new(
            target,
            interests(events, topics).unwrap(),
            Secret::generate(),
        )
    }

    /// A subscription to everything whose last `times` deliveries failed.
    fn failed(times: u32) -> Subscription {
        let mut s = subscription(&["*"]);
        for _ in 0..times {
            s.after_delivery(Status::Failed);
        }
        s
    }

    #[test]
    fn an_active_subscription_receives_the_event_types_its_patterns_match() {
        let s = subscription(&["approval.rejected", "order.*"]);
        for wanted in ["approval.rejected", "order.created", "order.shipped"] {
            assert!(s.wants(wanted), "{wanted}");
        }
        for other in ["approval.approved", "order", "user.registered"] {
            assert!(!s.wants(other), "{other}");
        }
        assert!(subscription(&["*"]).wants("anything.at_all"));
    }

    #[test]
    fn reserved_namespaces_reach_only_a_pattern_that_names_them() {
        let everything = subscription(&["*", "*.created"]);
        for reserved in ["webhook.created", "webhook.ping", "client.exported"] {
            assert!(!everything.wants(reserved), "{reserved}");
        }
        assert!(everything.wants("approval.created"));
        let named = subscription(&["webhook.*", "client.exported"]);
        assert!(named.wants("webhook.disabled"));
        assert!(named.wants("client.exported"));
        assert!(!named.wants("client.imported"));
    }

    #[test]
    fn a_subscription_receives_the_notices_of_its_topics_only() {
        let s = subscribed(&[], &["ops.alerts", "approvals.auto_approved"]);
        let topic = |t: &str| WebhookTopic::parse(t).unwrap();
        assert!(s.wants_topic(&topic("ops.alerts")));
        assert!(!s.wants_topic(&topic("ops")));
        assert!(!s.wants("approval.rejected"));
        assert!(!subscription(&["*"]).wants_topic(&topic("ops.alerts")));
    }

    #[test]
    fn interests_are_up_to_twenty_distinct_patterns_and_topics_and_not_none() {
        assert_eq!(
            interests(&[], &[]).unwrap_err(),
            ("events", "list at least one event pattern or topic".into())
        );
        let many: Vec<String> = (0..=MAX_PATTERNS)
            .map(|n| format!("e{n}.created"))
            .collect();
        assert_eq!(Interests::parse(&many, &[]).unwrap_err().0, "events");
        assert_eq!(Interests::parse(&[], &many).unwrap_err().0, "topics");
        assert!(Interests::parse(&many[..MAX_PATTERNS], &many[..MAX_PATTERNS]).is_ok());
        assert_eq!(
            interests(&["order.*", "order.*"], &[]).unwrap_err(),
            ("events", "[1] repeats \"order.*\"".into())
        );
        let (field, message) = interests(&["order.*", "Order"], &[]).unwrap_err();
        assert_eq!(field, "events");
        assert!(message.starts_with("[1] "), "{message}");
        let (field, message) = interests(&[], &["ops", "Ops"]).unwrap_err();
        assert_eq!((field, &message[..4]), ("topics", "[1] "));
    }

    #[test]
    fn active_to_disabled_by_the_fifteenth_failed_delivery_in_a_row() {
        let mut s = subscription(&["*"]);
        for _ in 1..DISABLE_AFTER {
            assert_eq!(s.after_delivery(Status::Failed), AfterDelivery::Unchanged);
        }
        assert!(s.is_active());
        assert_eq!(s.after_delivery(Status::Failed), AfterDelivery::Disabled);
        assert!(!s.is_active());
        assert!(!s.wants("order.created"));
        // Disabled once: later failures do not disable it again.
        assert_eq!(s.after_delivery(Status::Failed), AfterDelivery::Unchanged);
    }

    #[test]
    fn a_delivery_between_failures_starts_the_count_again() {
        let mut s = failed(DISABLE_AFTER - 1);
        s.after_delivery(Status::Delivered);
        assert_eq!(s.failed_in_a_row(), 0);
        assert_eq!(s.after_delivery(Status::Failed), AfterDelivery::Unchanged);
    }

    #[test]
    fn disabled_to_active_forgets_the_failures() {
        let mut s = failed(DISABLE_AFTER);
        assert!(!s.is_active());
        s.set_active(true);
        assert!(s.is_active());
        assert_eq!(s.failed_in_a_row(), 0);
        s.set_active(false);
        assert!(!s.wants("order.created"));
    }

    #[test]
    fn a_rotated_out_secret_signs_beside_the_new_one_until_the_overlap_ends() {
        let (old, new) = (Secret::generate(), Secret::generate());
        let secrets = Secrets::new(old.clone());
        assert_eq!(secrets.signing(NOW), vec![&old]);
        let rotated = secrets.rotate(new.clone(), NOW);
        assert_eq!(rotated.current(), &new);
        assert_eq!(rotated.signing(NOW), vec![&new, &old]);
        let last_moment = NOW + ROTATION_OVERLAP - Duration::seconds(1);
        assert_eq!(rotated.signing(last_moment), vec![&new, &old]);
        assert_eq!(rotated.signing(NOW + ROTATION_OVERLAP), vec![&new]);
        // A second rotation drops the oldest at once.
        let newest = Secret::generate();
        let again = rotated.rotate(newest.clone(), NOW);
        assert_eq!(again.signing(NOW), vec![&newest, &new]);
    }
}
