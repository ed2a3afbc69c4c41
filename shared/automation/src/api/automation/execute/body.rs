//! The body of `POST /api/v1/automation/execute`, checked whole: an event
//! described by the caller, or a reference to a stored entity, each
//! problem named by its field. A real run about a registered kind of
//! entity, or on a client's kind of event, is refused here (see the
//! parent module).

use crate::domain::EntityId;
use crate::error::{ApiError, ApiResult, Validator};
use crate::service::execute::{DescribedEvent, Execution, Source};
use opsflow_platform::events::names::{ActionName, AuditId, EntityKind, CLIENT_ACTION_PREFIX};
use serde::Deserialize;
use serde_json::{Map, Value};

/// What to run rules on: `event`, or `entity` with `entity_id` and
/// `event_type` (an existing entity, whose view is the event's `data`).
#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = ExecuteRules))]
#[serde(deny_unknown_fields)]
pub(crate) struct ExecuteBody {
    /// An event described in full (not with `entity`).
    #[serde(default)]
    pub(super) event: Option<EventInput>,
    /// A kind of entity the platform keeps (`approval`, `workflow`,
    /// `rule`, `user`, `item`, `order`; else 422).
    #[serde(default)]
    pub(super) entity: Option<String>,
    /// The entity's id (one that does not exist is 422).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(format = "uuid"))]
    pub(super) entity_id: Option<String>,
    /// The type of the event to build, such as `approval.created`.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(pattern = r"^[a-z][a-z0-9_.]{0,127}$"))]
    pub(super) event_type: Option<String>,
    /// Run only this rule, enabled or not (one that does not exist is 422).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(format = "uuid"))]
    pub(super) rule_id: Option<String>,
    /// Only evaluate: write nothing, run no action.
    #[serde(default)]
    pub(super) dry_run: bool,
}

/// An event as a caller describes it: the envelope's own fields, less
/// those the platform sets (id, actor, time, correlation, depth).
#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub(crate) struct EventInput {
    /// The event type, such as `approval.rejected`.
    #[serde(rename = "type")]
    #[cfg_attr(feature = "openapi", schema(pattern = r"^[a-z][a-z0-9_.]{0,127}$"))]
    pub(super) event_type: String,
    /// The kind of entity it is about.
    #[cfg_attr(feature = "openapi", schema(pattern = r"^[a-z][a-z0-9_]{0,31}$"))]
    pub(super) entity: String,
    /// 1–128 characters, no control characters.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 128))]
    pub(super) entity_id: String,
    /// The entity after the change: an object (or `null`).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub(super) data: Option<Value>,
    /// Changed fields, each `[before, after]`.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::schemas::changes))]
    pub(super) changes: Map<String, Value>,
}

/// The body's fields, each problem named. `kinds` are the entity kinds an
/// event can be built from: those the function's modules registered.
pub(super) fn check(body: ExecuteBody, kinds: &[&str]) -> ApiResult<Execution> {
    let mut v = Validator::new();
    let rule_id = v.check_opt("rule_id", body.rule_id.as_deref(), EntityId::parse);
    let reference = body.entity.is_some() || body.entity_id.is_some() || body.event_type.is_some();
    let source = match (body.event, reference) {
        (Some(mut event), false) => {
            // Event types are read in any case, as audit actions are; the
            // rest of the run sees them in lower case.
            event.event_type = event.event_type.to_ascii_lowercase();
            check_event(&mut v, &event);
            if !body.dry_run {
                refuse_client_event(&mut v, "event.type", &event.event_type);
            }
            if !body.dry_run && kinds.contains(&event.entity.as_str()) {
                // Actions act on the stored entity: its rules must see the
                // stored entity too, not a caller's account of it.
                v.push(
                    "event.entity",
                    format!(
                        "a real run about a platform {} takes its data from the {0} itself: \
                         name it with entity, entity_id and event_type, or try this event with dry_run",
                        event.entity
                    ),
                );
            }
            Some(Source::Described(DescribedEvent {
                event_type: event.event_type,
                entity: event.entity,
                entity_id: event.entity_id,
                data: event.data.unwrap_or(Value::Null),
                changes: event.changes,
            }))
        }
        (None, true) => {
            for (field, given) in [
                ("entity", body.entity.is_some()),
                ("entity_id", body.entity_id.is_some()),
                ("event_type", body.event_type.is_some()),
            ] {
                if !given {
                    v.push(
                        field,
                        "is required with an entity reference (entity, entity_id, event_type)",
                    );
                }
            }
            let kind = v.check_opt("entity", body.entity, |kind| {
                if kinds.contains(&kind.as_str()) {
                    Ok(kind)
                } else {
                    Err(format!("must be one of {}", kinds.join(", ")))
                }
            });
            let id = v.check_opt("entity_id", body.entity_id.as_deref(), EntityId::parse);
            let event_type =
                v.check_opt("event_type", body.event_type.as_deref(), ActionName::parse);
            if let (false, Some(event_type)) = (body.dry_run, &event_type) {
                refuse_client_event(&mut v, "event_type", event_type.as_str());
            }
            match (kind, id, event_type) {
                (Some(kind), Some(id), Some(event_type)) => Some(Source::Entity {
                    kind,
                    id,
                    event_type,
                }),
                _ => None,
            }
        }
        (Some(_), true) => {
            v.push(
                "event",
                "give either event, or entity with entity_id and event_type, not both",
            );
            None
        }
        (None, false) => {
            v.push(
                "event",
                "is required, unless entity, entity_id and event_type name an existing entity",
            );
            None
        }
    };
    v.finish()?;
    let source = source.ok_or_else(|| ApiError::internal("validated input went missing"))?;
    Ok(Execution {
        source,
        rule_id,
        dry_run: body.dry_run,
    })
}

/// A real run is never on a client's event: the runner runs no rule on one.
fn refuse_client_event(v: &mut Validator, field: &str, event_type: &str) {
    if event_type.starts_with(CLIENT_ACTION_PREFIX) {
        v.push(
            field,
            "rules never run on a client's event (client.…); try it with dry_run",
        );
    }
}

fn check_event(v: &mut Validator, event: &EventInput) {
    v.check("event.type", ActionName::parse(&event.event_type));
    v.check("event.entity", EntityKind::parse(&event.entity));
    v.check("event.entity_id", AuditId::parse(&event.entity_id));
    if let Some(data) = &event.data {
        if !data.is_object() && !data.is_null() {
            v.push(
                "event.data",
                "must be an object (the entity after the change)",
            );
        }
    }
    for (field, pair) in &event.changes {
        if pair.as_array().is_none_or(|pair| pair.len() != 2) {
            v.push(&format!("event.changes.{field}"), "must be [before, after]");
        }
    }
}
