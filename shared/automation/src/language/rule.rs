//! A whole automation rule: its trigger, conditions and actions, checked
//! together.
//!
//! A rule as a client writes it (`POST /api/v1/rules`):
//!
//! ```json
//! {
//!   "name": "Auto-approve small purchases",
//!   "description": "Purchases under 100 by approvers need no second look.",
//!   "trigger": "approval.created",
//!   "conditions": {"all": [
//!     {"path": "data.amount", "op": "lt", "value": 100},
//!     {"path": "actor.role", "op": "in", "value": ["approver", "admin"]},
//!     {"not": {"path": "data.payload.category", "op": "eq", "value": "travel"}}
//!   ]},
//!   "actions": [
//!     {"type": "approve", "comment": "Auto-approved: under 100"},
//!     {"type": "notify_webhook", "topic": "approvals.auto_approved"},
//!     {"type": "log", "message": "small purchase auto-approved"}
//!   ],
//!   "enabled": true,
//!   "priority": 10
//! }
//! ```
//!
//! | field | required | meaning |
//! |---|---|---|
//! | `name` | yes | 1–120 characters, one line |
//! | `description` | no | up to 2000 characters |
//! | `trigger` | yes | an event-type pattern ([`super::Trigger`]) |
//! | `conditions` | no | a condition ([`super::condition`]); left out, the rule acts on every triggering event |
//! | `actions` | yes | 1 to 10 actions ([`super::action`]), run in order |
//! | `enabled` | no | default `true` |
//! | `priority` | no | 0–1000, default 100; rules matching one event run in ascending priority |
//!
//! Unknown fields are refused. [`RuleSpec::parse`] reports every problem,
//! each with its path. Beyond each part's own checks, it refuses an action
//! on the approval (`approve`, `reject`, `assign`, `set_field`) under a
//! trigger that can never match an `approval.*` event, at that action's
//! path (`actions[0]`).

use super::action::Action;
use super::condition::Condition;
use super::evaluate::Evaluation;
use super::Problems;
use super::Trigger;
use crate::domain::{single_line, Description};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The longest rule name, in characters.
pub const MAX_NAME_CHARS: usize = 120;
/// Priorities run from 0 to this.
pub const MAX_PRIORITY: u16 = 1000;
pub const DEFAULT_PRIORITY: u16 = 100;

/// A rule as a client writes it. `conditions` and `actions` stay JSON here
/// so that their parsers can name the path of every problem in them.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(
    feature = "openapi",
    schema(description = "A rule as a client writes it, \
    checked as a whole: every problem is named by its path in the rule.")
)]
#[serde(deny_unknown_fields)]
pub struct RuleInput {
    /// 1–120 characters once trimmed, one line.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 120))]
    pub name: String,
    /// Up to 2000 characters.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 2000))]
    pub description: Option<String>,
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::schemas::trigger))]
    pub trigger: String,
    /// Left out (or `null`), the rule acts on every triggering event.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Condition>))]
    pub conditions: Option<Value>,
    /// 1 to 10 actions, run in order.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Action>, min_items = 1, max_items = 10))]
    pub actions: Vec<Value>,
    /// Default `true`.
    #[serde(default)]
    pub enabled: Option<bool>,
    /// 0–1000, default 100: rules matching one event run in ascending
    /// priority.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 1000))]
    pub priority: Option<i64>,
}

/// A validated rule. It serialises in the shape it is written in (without
/// `description` and `conditions` when it has none), and reading it back
/// runs [`RuleSpec::parse`] again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(
    feature = "openapi",
    schema(description = "A rule's definition, as it was \
    written (without `description` and `conditions` when it has none).")
)]
#[serde(try_from = "RuleInput")]
pub struct RuleSpec {
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 120))]
    name: String,
    /// Absent when the rule has none.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 2000))]
    description: Option<String>,
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::schemas::trigger))]
    trigger: Trigger,
    /// Absent when the rule acts on every triggering event.
    #[serde(skip_serializing_if = "Option::is_none")]
    conditions: Option<Condition>,
    #[cfg_attr(feature = "openapi", schema(min_items = 1, max_items = 10))]
    actions: Vec<Action>,
    enabled: bool,
    /// Rules matching one event run in ascending priority.
    #[cfg_attr(feature = "openapi", schema(maximum = 1000))]
    priority: u16,
}

/// Whether a rule applies to an event, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RuleEvaluation {
    /// The event's type matches the trigger.
    pub triggered: bool,
    /// Triggered, and the conditions hold (or there are none).
    pub matched: bool,
    /// The conditions' evaluation, absent when the rule has none. The
    /// conditions are evaluated even when the trigger does not match, so
    /// a dry run shows them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conditions: Option<Evaluation>,
}

impl RuleSpec {
    pub fn parse(input: RuleInput) -> Result<Self, Problems> {
        let mut problems = Vec::new();
        let name = field(
            &mut problems,
            "name",
            single_line(&input.name, MAX_NAME_CHARS),
        );
        let description = match input.description {
            None => Some(None),
            Some(text) => field(&mut problems, "description", Description::parse(&text))
                .map(|d| Some(d.as_str().to_owned()).filter(|d| !d.is_empty())),
        };
        let trigger = field(&mut problems, "trigger", Trigger::parse(&input.trigger));
        let conditions = match &input.conditions {
            None => Some(None),
            Some(value) => Condition::parse(value)
                .map_err(|found| problems.extend(found))
                .ok()
                .map(Some),
        };
        let actions = Action::parse_list(&input.actions)
            .map_err(|found| problems.extend(found))
            .ok();
        if let (Some(trigger), Some(actions)) = (&trigger, &actions) {
            for (i, action) in actions.iter().enumerate() {
                match action.acts_on() {
                    Some(kind) if !trigger.can_match_entity(kind) => problems.push((
                        format!("actions[{i}]"),
                        format!(
                            "{} acts on an {kind}, and trigger {trigger} never matches \
                             an {kind} event",
                            action.kind()
                        ),
                    )),
                    _ => {}
                }
            }
        }
        let priority = match input.priority {
            None => Some(DEFAULT_PRIORITY),
            Some(p) => field(
                &mut problems,
                "priority",
                u16::try_from(p)
                    .ok()
                    .filter(|p| *p <= MAX_PRIORITY)
                    .ok_or_else(|| format!("must be between 0 and {MAX_PRIORITY}")),
            ),
        };
        match (name, description, trigger, conditions, actions, priority) {
            (
                Some(name),
                Some(description),
                Some(trigger),
                Some(conditions),
                Some(actions),
                Some(priority),
            ) if problems.is_empty() => Ok(Self {
                name,
                description,
                trigger,
                conditions,
                actions,
                enabled: input.enabled.unwrap_or(true),
                priority,
            }),
            _ => Err(problems),
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn description(&self) -> Option<&str> {
        self.description.as_deref()
    }

    pub fn trigger(&self) -> &Trigger {
        &self.trigger
    }

    pub fn conditions(&self) -> Option<&Condition> {
        self.conditions.as_ref()
    }

    pub fn actions(&self) -> &[Action] {
        &self.actions
    }

    pub fn enabled(&self) -> bool {
        self.enabled
    }

    pub fn priority(&self) -> u16 {
        self.priority
    }

    /// Checks the rule's trigger and conditions against an event envelope
    /// (any JSON). Whether the rule is enabled is left to the caller, so a
    /// disabled rule can still be tried out.
    pub fn evaluate(&self, event: &Value) -> RuleEvaluation {
        let event_type = event.get("type").and_then(Value::as_str);
        let triggered = event_type.is_some_and(|t| self.trigger.matches(t));
        let conditions = self.conditions.as_ref().map(|c| c.evaluate(event));
        let holds = conditions.as_ref().is_none_or(|e| e.matched);
        RuleEvaluation {
            triggered,
            matched: triggered && holds,
            conditions,
        }
    }
}

/// The value of a checked field, or `None` with its problem recorded.
fn field<T>(problems: &mut Problems, name: &str, result: Result<T, String>) -> Option<T> {
    result
        .map_err(|message| problems.push((name.to_owned(), message)))
        .ok()
}

impl TryFrom<RuleInput> for RuleSpec {
    type Error = String;

    fn try_from(input: RuleInput) -> Result<Self, Self::Error> {
        Self::parse(input).map_err(super::describe)
    }
}

#[cfg(test)]
#[path = "rule_tests.rs"]
mod tests;
