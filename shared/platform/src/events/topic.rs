//! Topics: names under which an automation rule hands an event to the
//! webhooks (its `notify_webhook` action), and which a webhook
//! subscription lists to receive those hand-overs.
//!
//! A topic is `[a-z][a-z0-9_.-]{0,63}`, such as `approvals.auto_approved`.
//! A [`Notice`] is what travels on the `webhooks` queue for one hand-over,
//! beside the plain envelopes the event router sends there.

use super::Envelope;
use crate::domain::EntityId;
use serde::{Deserialize, Serialize};

/// A validated topic.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct WebhookTopic(String);

impl WebhookTopic {
    pub const MAX_CHARS: usize = 64;

    pub fn parse(input: &str) -> Result<Self, String> {
        let mut chars = input.chars();
        let valid = matches!(chars.next(), Some('a'..='z'))
            && input.len() <= Self::MAX_CHARS
            && chars.all(|c| matches!(c, 'a'..='z' | '0'..='9' | '_' | '.' | '-'));
        if valid {
            Ok(Self(input.to_owned()))
        } else {
            Err("must be a lower-case letter then up to 63 of a-z, 0-9, _, . and -".into())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for WebhookTopic {
    type Error = String;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<WebhookTopic> for String {
    fn from(value: WebhookTopic) -> Self {
        value.0
    }
}

impl std::fmt::Display for WebhookTopic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The topic's grammar, for the API description.
#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for WebhookTopic {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .pattern(Some(r"^[a-z][a-z0-9_.-]{0,63}$"))
            .description(Some("A webhook topic."))
            .examples(["approvals.auto_approved"])
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for WebhookTopic {}

/// A rule's hand-over of `event` to the subscriptions of `topic`. Its `id`
/// is derived from the event, the rule and the action, so a repeated
/// action hands over the same notice.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Notice {
    pub id: EntityId,
    pub topic: WebhookTopic,
    pub event: Envelope,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_topic_is_a_lower_case_letter_then_up_to_63_of_a_z_digits_and_separators() {
        for good in ["a", "approvals.auto_approved", "ops-alerts", "a.b_c-d9"] {
            assert_eq!(WebhookTopic::parse(good).unwrap().as_str(), good);
        }
        let longest = format!("a{}", "-".repeat(63));
        assert!(WebhookTopic::parse(&longest).is_ok());
        for bad in ["", "9a", "Ops", "a b", "a/b", &format!("{longest}x")] {
            assert!(WebhookTopic::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_topic_reads_back_only_when_valid() {
        let topic: WebhookTopic = serde_json::from_str("\"ops.alerts\"").unwrap();
        assert_eq!(serde_json::to_string(&topic).unwrap(), "\"ops.alerts\"");
        assert!(serde_json::from_str::<WebhookTopic>("\"Ops\"").is_err());
    }
}
