//! The schemas of what the `rules` and `automation` routes read and show
//! that no type of theirs derives: the condition language (parsed from
//! JSON by hand), triggers, run statuses, and the shapes the handlers
//! build as JSON (a rule's view, a rule change, and the event `execute`
//! ran on).
//!
//! Invariant: each states what the code it describes accepts or writes —
//! the named values list the domain type's `ALL`, the limits are the
//! language's constants — and the shapes built as JSON list exactly the
//! fields their builders write (`view::rule_view`, `rules::patch` and the
//! kernel's `Envelope`).

use crate::language::condition::MAX_IN_VALUES;
use crate::language::{Action, Condition, JobType, PayloadPath, RuleSpec};
use crate::store::runs::RunStatus;
use serde_json::Value;
use utoipa::openapi::schema::{
    AdditionalProperties, ArrayBuilder, Object, ObjectBuilder, OneOfBuilder, SchemaType, Type,
};
use utoipa::openapi::{Ref, RefOr, Schema};
use utoipa::{PartialSchema, ToSchema};

impl PartialSchema for RunStatus {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(RunStatus::ALL.map(RunStatus::as_str)))
            .description(Some(
                "`succeeded`: every action was carried out; `failed`: an action \
                 failed (the rest did not run); `not_matched`: the conditions did \
                 not hold; `skipped`: not evaluated (`reason` says why).",
            ))
            .into()
    }
}

impl ToSchema for RunStatus {}

/// A string schema with `pattern`, for text newtypes.
fn text(pattern: &str, description: &str, example: &str) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(pattern))
        .description(Some(description))
        .examples([example])
        .into()
}

/// The text newtypes of actions, each with its `parse`'s rule as a pattern.
macro_rules! text_schemas {
    ($($kind:ty => ($pattern:literal, $description:literal, $example:literal),)*) => {$(
        impl PartialSchema for $kind {
            fn schema() -> RefOr<Schema> {
                text($pattern, $description, $example)
            }
        }

        impl ToSchema for $kind {}
    )*};
}

text_schemas! {
    PayloadPath => (
        r"^[A-Za-z_][A-Za-z0-9_-]{0,63}(\.[A-Za-z_][A-Za-z0-9_-]{0,63}){0,7}$",
        "A path into an approval's payload: 1 to 8 dot-separated keys.",
        "review.level"
    ),
    JobType => (r"^[a-z][a-z0-9_.-]{0,63}$", "A job type.", "generate-report"),
}

/// `{"all": […]}` or `{"any": […]}`.
fn group(name: &str, description: &str) -> Object {
    ObjectBuilder::new()
        .property(
            name,
            ArrayBuilder::new()
                .items(Ref::from_schema_name("Condition"))
                .min_items(Some(1)),
        )
        .required(name)
        .additional_properties(Some(AdditionalProperties::FreeForm(false)))
        .description(Some(description))
        .build()
}

/// The condition language: a leaf or `all`, `any`, `not` of conditions.
impl PartialSchema for Condition {
    fn schema() -> RefOr<Schema> {
        let not = ObjectBuilder::new()
            .property("not", Ref::from_schema_name("Condition"))
            .required("not")
            .additional_properties(Some(AdditionalProperties::FreeForm(false)))
            .description(Some("True when its condition is false."));
        let leaf = ObjectBuilder::new()
            .property(
                "path",
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .description(Some(
                        "Where in the event envelope: under `data`, `changes` or `actor`, \
                     or the envelope's `type`, `entity`, `entity_id`, `depth`; a \
                     number indexes an array (`changes.status.1`).",
                    )),
            )
            .required("path")
            .property("op", Ref::from_schema_name("Operator"))
            .required("op")
            .property(
                "value",
                ObjectBuilder::new()
                    .schema_type(SchemaType::AnyValue)
                    .description(Some(format!(
                        "The operand: any JSON for `eq`/`ne`; a number or string for \
                     `lt`, `lte`, `gt`, `gte`; a non-empty array of at most \
                     {MAX_IN_VALUES} values for `in`; a scalar for `contains`; a \
                     string for `starts_with`; a boolean for `exists` (default \
                     `true`)."
                    ))),
            )
            .additional_properties(Some(AdditionalProperties::FreeForm(false)))
            .description(Some(
                "Compares the value at `path` with `value`; a missing value makes \
                 every operator false but `exists: false` and `ne`.",
            ));
        OneOfBuilder::new()
            .item(leaf)
            .item(group("all", "True when every listed condition is."))
            .item(group("any", "True when at least one listed condition is."))
            .item(not)
            .description(Some(
                "A condition on the event; every problem in one is named by its \
                 path in the rule (`conditions.all[1].value`).",
            ))
            .into()
    }
}

impl ToSchema for Condition {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        schemas.push((
            "Operator".into(),
            <crate::language::Operator as PartialSchema>::schema(),
        ));
    }
}

/// A rule's `trigger`: an event-type pattern ([`crate::language::Trigger`]),
/// as the kernel describes one.
pub fn trigger() -> Object {
    opsflow_platform::openapi::event_pattern()
        .description(Some(
            "The event types that start the rule: dot-separated names, each \
             `*` for any one segment (`approval.*`); a lone `*` matches every \
             event.",
        ))
        .examples(["approval.created"])
        .build()
}

/// An event's `changes`: `{"field": [before, after]}`.
pub fn changes() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .additional_properties(Some(
            ArrayBuilder::new().min_items(Some(2)).max_items(Some(2)),
        ))
        .description(Some("Changed fields, each `[before, after]`."))
        .build()
}

/// A rule as the API shows it: its definition, identity and version.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct RuleView {
    #[serde(flatten)]
    definition: RuleSpec,
    #[schema(format = "uuid")]
    id: String,
    /// The admin who wrote it.
    #[schema(format = "uuid")]
    created_by: String,
    #[schema(format = "date-time")]
    created_at: String,
    #[schema(format = "date-time")]
    updated_at: String,
    version: u64,
}

/// A change to a rule: any of its fields, merged into the rule, which is
/// then checked as a whole; `null` removes `description` or `conditions`.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct UpdateRule {
    #[schema(min_length = 1, max_length = 120)]
    name: Option<String>,
    #[schema(max_length = 2000)]
    description: Option<String>,
    #[schema(schema_with = trigger)]
    trigger: Option<String>,
    conditions: Option<Condition>,
    #[schema(min_items = 1, max_items = 10)]
    actions: Option<Vec<Action>>,
    enabled: Option<bool>,
    #[schema(minimum = 0, maximum = 1000)]
    priority: Option<u16>,
    /// The version the change expects (stale: 409), like `If-Match`.
    version: Option<u64>,
}

/// An event envelope: what rules' conditions read.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct Event {
    #[schema(format = "uuid")]
    id: String,
    #[serde(rename = "type")]
    event_type: String,
    entity: String,
    entity_id: String,
    actor: EventActor,
    #[schema(format = "date-time")]
    occurred_at: String,
    correlation_id: String,
    depth: u32,
    /// The entity after the change.
    #[schema(value_type = Value)]
    data: Value,
    #[schema(schema_with = changes)]
    changes: Value,
}

/// Who caused an event.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct EventActor {
    id: String,
    role: String,
}

opsflow_platform::named_values! {
    crate::language::decision::DecisionOutcome as "DecisionOutcome" => "What a decision rule \
        decides when its conditions hold.",
    crate::view::decisions::DecisionStatus as "DecisionStatus" => "`TRIGGERED`: the active \
        rule's conditions held and `outcome` is its decision; `SKIPPED`: no decision (see \
        `reason`).",
}
