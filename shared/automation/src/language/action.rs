//! The actions a rule takes when it matches, in the order it lists them.
//!
//! Each action is a JSON object whose `type` names it:
//!
//! | action | fields | what it does |
//! |---|---|---|
//! | `approve` | `comment` (1–1000 chars) | decides the event's approval as approved, with the comment (`approval.approved`) |
//! | `reject` | `comment` (1–1000 chars) | decides the event's approval as rejected, with the comment (`approval.rejected`) |
//! | `assign` | `user_id` (UUID) | makes the user (active, not the requester) an approver of the current step of the event's pending approval (`approval.approver_assigned`) |
//! | `set_field` | `path` (1–8 dot-separated keys), `value` (any JSON, ≤ 4 KiB, ≤ 8 levels) | sets a field of the pending approval's payload, creating objects on the way (`approval.payload_updated`) |
//! | `enqueue_job` | `job_type` (`[a-z][a-z0-9_.-]{0,63}`; the jobs module runs `process-data`, `send-notification`, `generate-report`, `cleanup`), `payload` (object ≤ 16 KiB, default `{}`: the job's `data`) | queues a job (priority 5, due now) |
//! | `hold_order` | `reason` (1–500 chars, one line), `workflow_id` (UUID, an active workflow) | holds the event's pending order (it cannot be processed until released) and files an approval request for it on the workflow, requested by the order's owner (`order.held`, `approval.created`) |
//! | `release_order` | none | on the approval a `hold_order` filed, once approved: releases its order (`order.released`) |
//! | `notify_webhook` | `topic` (`[a-z][a-z0-9_.-]{0,63}`) | hands the event to the `webhooks` queue under the topic |
//! | `log` | `message` (1–500 chars, one line) | records an audit-only note |
//!
//! ```json
//! [
//!   {"type": "approve", "comment": "Auto-approved: under the 100 limit"},
//!   {"type": "set_field", "path": "review.automated", "value": true},
//!   {"type": "enqueue_job", "job_type": "generate-report", "payload": {"report": "items"}},
//!   {"type": "notify_webhook", "topic": "approvals.auto_approved"},
//!   {"type": "log", "message": "approved by the small-amounts rule"}
//! ]
//! ```
//!
//! `approve`, `reject`, `assign`, `set_field` and `release_order` act on
//! the approval the event is about, `hold_order` on its order
//! ([`Action::acts_on`]), so a rule whose trigger can never match an event
//! about that kind may not use them. The events they
//! publish (in parentheses above) are by the system, one level deeper than
//! the triggering event; how the runner carries them out is in
//! `pipeline::automation_runner::actions::approval`.
//!
//! A comment is required on `approve` and `reject`: a decision taken by a
//! rule must say why in the audit trail. A `set_field` key starts with a
//! letter or `_`, so a segment is never read as an array index; the path's
//! 8 levels plus the value's 8 stay within the payload's 16.
//!
//! An `enqueue_job` creates a job record (the jobs module's action target:
//! `POST /api/v1/jobs` makes the same), with the action's derived id, so a
//! repeated delivery finds it; its `payload` is the job's `data`, checked
//! against the job type when the action runs. Its events are one level
//! deeper than the triggering event's, as for every event an action
//! causes (DESIGN §4).

pub use super::action_values::{JobType, PayloadPath};
use super::{json_depth, json_size, Problems};
use crate::domain::{single_line, Comment, EntityId, Payload};
pub use opsflow_platform::events::WebhookTopic;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The most actions a rule may list.
pub const MAX_ACTIONS: usize = 10;
/// The largest `set_field` value, as compact JSON.
pub const MAX_FIELD_VALUE_BYTES: usize = 4096;
/// How deeply a `set_field` value may nest.
pub const MAX_FIELD_VALUE_NESTING: usize = 8;
/// The longest `log` message, in characters.
pub const MAX_LOG_CHARS: usize = 500;

/// A validated action. Reading one back (`Deserialize`) runs the same
/// checks as [`Action::parse`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(description = "A rule's action."))]
#[serde(tag = "type", rename_all = "snake_case", try_from = "Value")]
pub enum Action {
    /// Approves the event's pending approval, as the system.
    Approve {
        #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 1000))]
        comment: String,
    },
    /// Rejects the event's pending approval, as the system.
    Reject {
        #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 1000))]
        comment: String,
    },
    /// Adds an active user (not the requester) as an approver of the current step.
    Assign {
        #[cfg_attr(feature = "openapi", schema(value_type = String, format = "uuid"))]
        user_id: EntityId,
    },
    /// Sets a field of the pending approval's payload to `value` (≤ 4 KiB, ≤ 8 levels).
    SetField { path: PayloadPath, value: Value },
    /// Sends a job message to the `jobs` queue.
    EnqueueJob {
        job_type: JobType,
        /// A JSON object of at most 16 KiB and 16 levels (`{}` if left out).
        payload: Map<String, Value>,
    },
    /// Holds the event's pending order and files an approval request for
    /// it on the workflow (requested by the order's owner).
    HoldOrder {
        #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 500))]
        reason: String,
        #[cfg_attr(feature = "openapi", schema(value_type = String, format = "uuid"))]
        workflow_id: EntityId,
    },
    /// Releases the order a `hold_order` held, once the event's approval
    /// (the one the hold filed) is approved.
    ReleaseOrder {},
    /// Hands the event to the `webhooks` queue under the topic.
    NotifyWebhook { topic: WebhookTopic },
    /// Records an audit-only note.
    Log {
        #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 500))]
        message: String,
    },
}

const TYPES: [&str; 9] = [
    "approve",
    "reject",
    "assign",
    "set_field",
    "enqueue_job",
    "hold_order",
    "release_order",
    "notify_webhook",
    "log",
];

impl Action {
    /// The action's `type`, as written.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Approve { .. } => "approve",
            Self::Reject { .. } => "reject",
            Self::Assign { .. } => "assign",
            Self::SetField { .. } => "set_field",
            Self::EnqueueJob { .. } => "enqueue_job",
            Self::HoldOrder { .. } => "hold_order",
            Self::ReleaseOrder {} => "release_order",
            Self::NotifyWebhook { .. } => "notify_webhook",
            Self::Log { .. } => "log",
        }
    }

    /// The kind of entity the event must be about for the action to act
    /// (`approval`, `order`), if it must be about one.
    pub fn acts_on(&self) -> Option<&'static str> {
        match self {
            Self::Approve { .. }
            | Self::Reject { .. }
            | Self::Assign { .. }
            | Self::SetField { .. }
            | Self::ReleaseOrder {} => Some("approval"),
            Self::HoldOrder { .. } => Some("order"),
            Self::EnqueueJob { .. } | Self::NotifyWebhook { .. } | Self::Log { .. } => None,
        }
    }

    /// Parses a rule's `actions`, returning every problem with its path
    /// (`actions[2].comment`). Each parsed action keeps its index.
    pub fn parse_list(inputs: &[Value]) -> Result<Vec<Action>, Problems> {
        if inputs.is_empty() || inputs.len() > MAX_ACTIONS {
            let message = format!("must list 1 to {MAX_ACTIONS} actions");
            return Err(vec![("actions".to_owned(), message)]);
        }
        let mut problems = Vec::new();
        let mut actions = Vec::new();
        for (i, input) in inputs.iter().enumerate() {
            match Self::parse(input, &format!("actions[{i}]")) {
                Ok(action) => actions.push(action),
                Err(found) => problems.extend(found),
            }
        }
        if problems.is_empty() {
            Ok(actions)
        } else {
            Err(problems)
        }
    }

    /// Parses one action found at `at` in the rule.
    pub fn parse(input: &Value, at: &str) -> Result<Action, Problems> {
        let Value::Object(fields) = input else {
            let message =
                r#"must be an object with a type, such as {"type": "log", "message": "…"}"#;
            return Err(vec![(at.to_owned(), message.to_owned())]);
        };
        let kind = match fields.get("type") {
            None => return Err(vec![(format!("{at}.type"), "is required".into())]),
            Some(Value::String(kind)) if TYPES.contains(&kind.as_str()) => kind.as_str(),
            Some(_) => {
                let message = format!("must be one of {}", TYPES.join(", "));
                return Err(vec![(format!("{at}.type"), message)]);
            }
        };
        let mut reader = Fields {
            at,
            fields,
            problems: Vec::new(),
        };
        let action = match kind {
            "approve" | "reject" => {
                reader.known(&["comment"], kind);
                let comment = reader.string("comment", decision_comment);
                comment.map(|comment| match kind {
                    "approve" => Self::Approve { comment },
                    _ => Self::Reject { comment },
                })
            }
            "assign" => {
                reader.known(&["user_id"], kind);
                let user_id = reader.string("user_id", EntityId::parse);
                user_id.map(|user_id| Self::Assign { user_id })
            }
            "set_field" => {
                reader.known(&["path", "value"], kind);
                let path = reader.string("path", PayloadPath::parse);
                let value = reader.value("value", field_value);
                path.zip(value)
                    .map(|(path, value)| Self::SetField { path, value })
            }
            "enqueue_job" => {
                reader.known(&["job_type", "payload"], kind);
                let job_type = reader.string("job_type", JobType::parse);
                let payload = match fields.get("payload") {
                    None => Some(Map::new()),
                    Some(_) => reader.value("payload", job_payload),
                };
                job_type
                    .zip(payload)
                    .map(|(job_type, payload)| Self::EnqueueJob { job_type, payload })
            }
            "hold_order" => {
                reader.known(&["reason", "workflow_id"], kind);
                let reason = reader.string("reason", |s| single_line(s, MAX_LOG_CHARS));
                let workflow_id = reader.string("workflow_id", EntityId::parse);
                reason
                    .zip(workflow_id)
                    .map(|(reason, workflow_id)| Self::HoldOrder {
                        reason,
                        workflow_id,
                    })
            }
            "release_order" => {
                reader.known(&[], kind);
                Some(Self::ReleaseOrder {})
            }
            "notify_webhook" => {
                reader.known(&["topic"], kind);
                let topic = reader.string("topic", WebhookTopic::parse);
                topic.map(|topic| Self::NotifyWebhook { topic })
            }
            _ => {
                reader.known(&["message"], kind);
                let message = reader.string("message", |s| single_line(s, MAX_LOG_CHARS));
                message.map(|message| Self::Log { message })
            }
        };
        match action {
            Some(action) if reader.problems.is_empty() => Ok(action),
            _ => Err(reader.problems),
        }
    }
}

impl TryFrom<Value> for Action {
    type Error = String;

    fn try_from(value: Value) -> Result<Self, Self::Error> {
        Self::parse(&value, "action").map_err(|problems| {
            let parts: Vec<String> = problems
                .into_iter()
                .map(|(path, message)| format!("{path}: {message}"))
                .collect();
            parts.join("; ")
        })
    }
}

/// Reads the fields of one action, collecting problems with their paths.
struct Fields<'a> {
    at: &'a str,
    fields: &'a Map<String, Value>,
    problems: Problems,
}

impl Fields<'_> {
    fn known(&mut self, names: &[&str], kind: &str) {
        for key in self.fields.keys() {
            if key != "type" && !names.contains(&key.as_str()) {
                let message = format!("is not a field of {kind}");
                self.problems.push((format!("{}.{key}", self.at), message));
            }
        }
    }

    fn value<T>(
        &mut self,
        name: &str,
        parse: impl FnOnce(&Value) -> Result<T, String>,
    ) -> Option<T> {
        let result = match self.fields.get(name) {
            None => Err("is required".to_owned()),
            Some(value) => parse(value),
        };
        result
            .map_err(|message| self.problems.push((format!("{}.{name}", self.at), message)))
            .ok()
    }

    fn string<T>(
        &mut self,
        name: &str,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<T> {
        self.value(name, |value| match value {
            Value::String(text) => parse(text),
            _ => Err("must be a string".to_owned()),
        })
    }
}

fn decision_comment(input: &str) -> Result<String, String> {
    let comment = Comment::parse(input)?;
    if comment.as_str().is_empty() {
        return Err("must not be empty: say why the rule decides".into());
    }
    Ok(comment.as_str().to_owned())
}

fn field_value(value: &Value) -> Result<Value, String> {
    if json_size(value) > MAX_FIELD_VALUE_BYTES {
        return Err(format!(
            "must be at most {MAX_FIELD_VALUE_BYTES} bytes of JSON"
        ));
    }
    if json_depth(value) > MAX_FIELD_VALUE_NESTING {
        return Err(format!(
            "must nest at most {MAX_FIELD_VALUE_NESTING} levels"
        ));
    }
    Ok(value.clone())
}

fn job_payload(value: &Value) -> Result<Map<String, Value>, String> {
    match Payload::parse(value.clone())?.as_value() {
        Value::Object(map) => Ok(map.clone()),
        _ => Err("must be a JSON object".into()),
    }
}

#[cfg(test)]
#[path = "action_tests.rs"]
mod tests;
