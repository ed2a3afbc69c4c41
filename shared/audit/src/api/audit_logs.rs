//! `audit-logs`: reading the audit log, and recording what a client did.
//!
//! `GET /api/v1/auditLogs` lists records newest first, filtered by `entity`,
//! `entity_id`, `user_id`, `action` and a `from`/`to` window, each served
//! by a `Query` on a documented key (`store::audit`). Admins see every
//! record. Everyone else sees their own actions (the default, or
//! `user_id=<self>`) and the records about one entity they may see
//! (`entity` + `entity_id`, decided by [`service::entity_visible`]); another user's
//! id is 403, an entity they may not see 404, a whole kind of entity or an
//! action across users 403.
//!
//! `GET /api/v1/auditLogs/{id}` reads one record, to whoever would see it
//! in a listing ([`service::record_for`]); anything else is 404.
//!
//! `POST /api/v1/auditLogs` lets a signed-in client report one of its own actions.
//! It does not write the audit table: it commits a `client.<action>` event
//! to the outbox, and `audit-writer` records it like every other event,
//! with source `client` and the sender as the actor. Such events are
//! audit-only: no rule ever runs on them (the router does not send them to
//! the automation queue, and the runner refuses them).
//!
//! Who may report about what: admins about anything; everyone else about
//! an entity they may see (as for `GET`: [`service::entity_visible`], else 404) or
//! about anything in the clients' own namespace, kinds named `client_…`
//! (`client_report`), which no platform entity uses. Each caller may send
//! [`ENTRIES_PER_MINUTE`] entries a minute (a DynamoDB counter per caller
//! and minute; retries with the same `Idempotency-Key` count too), then
//! 429 with `Retry-After`. `details` is a JSON object of at most
//! [`MAX_DETAILS_BYTES`] and [`MAX_DETAILS_DEPTH`] levels, else 422.
//!
//! Times (`from`, `to`) must lie within `0001-01-01T00:00:00Z` and
//! `9999-12-31T23:59:59.999999999Z` once in UTC (`clock::checked_utc`),
//! else 422 naming the parameter.
//!
//! Invariant: nothing here writes, changes or deletes an audit record, and
//! the function's role in `template.yaml` could not either; routes other
//! than these three are 404.

use crate::api::ApiReply;

use crate::api::Context;
use crate::api::{idempotency, paged};
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult, Validator};
use crate::http::{
    json, only_query_params, page_limit, parse_json, path_param, query_param, time_param,
    RequestMeta,
};
use crate::service::{self, ClientEntry};
use crate::store::audit::{ActionName, AuditFilter, AuditId, AuditQuery, ClientAction, EntityKind};
use crate::store::AuditQueryStore;
use crate::store::Store;
use crate::view::view;
use crate::{clock, Api, App};
use http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The largest `details` object a client may attach, serialised.
pub const MAX_DETAILS_BYTES: usize = 8 * 1024;
/// The deepest `details` may nest: the object itself is level 1, so
/// `{"a": {"b": 1}}` has 2 levels.
pub const MAX_DETAILS_DEPTH: usize = 16;
/// How many client entries one caller may send a minute.
pub const ENTRIES_PER_MINUTE: u32 = 60;
pub use crate::service::CLIENT_KIND_PREFIX;
/// The largest `POST /api/v1/auditLogs` body: room for the largest details and
/// the other fields.
const ENTRY_BODY_LIMIT: usize = 16 * 1024;
const LIST_PARAMS: [&str; 8] = [
    "entity",
    "entity_id",
    "user_id",
    "action",
    "from",
    "to",
    "limit",
    "cursor",
];

/// The `audit-logs` function's context: an API function's ([`Api`]) and
/// the audit table, which it only reads (the audit writer alone writes it).
pub struct AuditLogs {
    pub app: Api,
    pub audit: Store,
}

impl Context for AuditLogs {
    async fn build(app: App, _: &aws_config::SdkConfig) -> anyhow::Result<Self> {
        Self::new(app)
    }
}

impl AuditLogs {
    /// The audit table is `AUDIT_TABLE_NAME`, read with the app's own
    /// DynamoDB client.
    pub fn new(app: App) -> anyhow::Result<Self> {
        let table = app.config.vars.required("AUDIT_TABLE_NAME")?.to_owned();
        let audit = Store::new(app.store.client().clone(), table);
        Ok(Self {
            app: Api::new(app)?,
            audit,
        })
    }
}

impl AsRef<Api> for AuditLogs {
    fn as_ref(&self) -> &Api {
        &self.app
    }
}

pub async fn handle(ctx: &AuditLogs, req: Request) -> Response<Body> {
    crate::api::serve(ctx, req, route).await
}

async fn route(ctx: &AuditLogs, principal: Principal, meta: RequestMeta, req: Request) -> ApiReply {
    let app = &ctx.app;
    match meta.route_key.as_str() {
        "GET /api/v1/auditLogs" => list(ctx, &principal, &req).await,
        "GET /api/v1/auditLogs/{id}" => {
            only_query_params(&req, &[])?;
            // An id no record can have (an event id is a UUID) names none.
            let id = crate::domain::EntityId::parse(path_param(&req, "id")?)
                .map_err(|_| ApiError::NotFound("no such audit record".into()))?;
            let record = service::record_for(app, &ctx.audit, &principal, &id.to_string()).await?;
            json(StatusCode::OK, &view(&record))
        }
        "POST /api/v1/auditLogs" => {
            throttle(app, &principal).await?;
            let scope = format!("audit-logs-create#{}", principal.user_id);
            idempotency::idempotent(&app.store, &scope, &meta, &req, || {
                record(app, &principal, &meta, &req)
            })
            .await
        }
        // Records are never changed or deleted: no such routes.
        _ => Err(ApiError::NotFound("no such route".into())),
    }
}

/// The listing the query string asks for: unknown parameters and
/// unreadable times are 400, invalid values 422 (all of them at once).
fn parse_query(req: &Request) -> ApiResult<AuditQuery> {
    only_query_params(req, &LIST_PARAMS)?;
    let from = time_param(req, "from")?;
    let to = time_param(req, "to")?;
    page_limit(req)?;
    let raw_entity = query_param(req, "entity")?;
    let raw_entity_id = query_param(req, "entity_id")?;
    let mut v = Validator::new();
    let entity = v.check_opt("entity", raw_entity, EntityKind::parse);
    let entity_id = v.check_opt("entity_id", raw_entity_id, AuditId::parse);
    let user_id = v.check_opt("user_id", query_param(req, "user_id")?, AuditId::parse);
    let action = v.check_opt("action", query_param(req, "action")?, ActionName::parse);
    if raw_entity_id.is_some() && raw_entity.is_none() {
        v.push("entity_id", "needs entity (the kind of entity it names)");
    }
    if let (Some(from), Some(to)) = (from, to) {
        if from > to {
            v.push("from", "must not be after to");
        }
    }
    v.finish()?;
    Ok(AuditQuery {
        filter: AuditFilter {
            entity: entity.map(|entity| (entity, entity_id)),
            user_id,
            action,
        },
        from,
        to,
    })
}

async fn list(ctx: &AuditLogs, principal: &Principal, req: &Request) -> ApiReply {
    let app = &ctx.app;
    let mut query = parse_query(req)?;
    query.filter = service::visible_filter(app, principal, query.filter).await?;
    let audit = &ctx.audit;
    let scope = query.scope();
    paged(
        app,
        req,
        &scope,
        |limit, start| audit.audit_records(&query, limit, start),
        view,
    )
    .await
}

/// What a client reports about one of its own actions.
#[derive(Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = AuditLogEntry))]
#[serde(deny_unknown_fields)]
pub(crate) struct EntryBody {
    /// What the client did, in any case; recorded as `client.<action>` in
    /// lower case.
    #[cfg_attr(feature = "openapi", schema(pattern = "^[A-Za-z][A-Za-z0-9_.]{0,63}$"))]
    action: String,
    /// The kind of entity it was about: one the caller may see, or one of
    /// the clients' own, named `client_…`.
    #[cfg_attr(feature = "openapi", schema(pattern = "^[a-z][a-z0-9_]{0,31}$"))]
    entity: String,
    /// The entity's id: 1–128 characters, no control characters.
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 128,
            pattern = "^[^\\u0000-\\u001f\\u007f-\\u009f]*$"
        )
    )]
    entity_id: String,
    /// Anything worth keeping: a JSON object of at most 8 KiB and 16
    /// levels of nesting.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    details: Option<Map<String, Value>>,
}

/// The answer to a client's entry: the id its audit record will have.
#[derive(Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = AuditLogAccepted))]
pub(crate) struct Accepted {
    /// The id of the event, and so of the audit record it becomes.
    #[cfg_attr(feature = "openapi", schema(format = "uuid"))]
    id: String,
    /// Always `accepted`: the record appears once the audit writer has it.
    #[cfg_attr(feature = "openapi", schema(value_type = String, pattern = "^accepted$"))]
    status: &'static str,
}

/// Counts one entry of the caller's this minute; past the limit, 429.
async fn throttle(app: &App, principal: &Principal) -> ApiResult<()> {
    let count = app
        .store
        .bump_counter(
            "audit-entries",
            &principal.user_id.to_string(),
            60,
            clock::now(),
        )
        .await?;
    if count.count > ENTRIES_PER_MINUTE {
        return Err(ApiError::TooManyRequests {
            detail: format!("at most {ENTRIES_PER_MINUTE} entries a minute; retry later"),
            retry_after: count.resets_in,
        });
    }
    Ok(())
}

/// How deep `value` nests: a scalar is 0, an object or array one more than
/// its deepest member.
fn depth(value: &Value) -> usize {
    let members: Box<dyn Iterator<Item = &Value>> = match value {
        Value::Object(map) => Box::new(map.values()),
        Value::Array(items) => Box::new(items.iter()),
        _ => return 0,
    };
    1 + members.map(depth).max().unwrap_or(0)
}

async fn record(app: &App, principal: &Principal, meta: &RequestMeta, req: &Request) -> ApiReply {
    let body: EntryBody = parse_json(req, ENTRY_BODY_LIMIT)?;
    let mut v = Validator::new();
    let action = v.check("action", ClientAction::parse(&body.action));
    let entity = v.check("entity", EntityKind::parse(&body.entity));
    let entity_id = v.check("entity_id", AuditId::parse(&body.entity_id));
    let details = body.details.unwrap_or_default();
    let size = serde_json::to_vec(&details)
        .map_err(|e| ApiError::Internal(e.into()))?
        .len();
    if size > MAX_DETAILS_BYTES {
        v.push(
            "details",
            format!("must be at most {MAX_DETAILS_BYTES} bytes as JSON, not {size}"),
        );
    }
    let levels = details.values().map(depth).max().unwrap_or(0) + 1;
    if levels > MAX_DETAILS_DEPTH {
        v.push(
            "details",
            format!("must nest at most {MAX_DETAILS_DEPTH} levels deep, not {levels}"),
        );
    }
    v.finish()?;
    let (Some(action), Some(entity), Some(entity_id)) = (action, entity, entity_id) else {
        return Err(ApiError::internal("validated input went missing"));
    };
    let entry = ClientEntry {
        action,
        entity,
        entity_id,
        details,
    };
    let id = service::report(app, principal, entry, &meta.correlation_id).await?;
    json(
        StatusCode::ACCEPTED,
        &Accepted {
            id: id.to_string(),
            status: "accepted",
        },
    )
}
