//! The API's OpenAPI 3.1 description: the parts every module shares (the
//! problem document, pages, the bearer scheme, the list, retry and
//! version parameters, roles, event-type patterns, the error responses)
//! and the probes' operations.
//!
//! Each module crate describes its own routes in its `openapi` module,
//! built from its request and view types; `infra/openapi` merges them with
//! [`base`] and [`finish`] into `docs/openapi.json`. Only that crate turns
//! the `openapi` features on, so no Lambda links any of this.
//!
//! Conventions a module's operations follow (checked by `infra/openapi`'s
//! tests): the path is the template's route, `operation_id` is
//! `<verb><Resource>` in camelCase, `tag` is the function's name, a signed-in
//! route says `security(("bearer" = []))`, every error status refers to one
//! of the problem responses below (`response = NotFound`), and [`finish`]
//! adds what every operation can answer (401 and 503 where signed in, 500).

use crate::api::health::{Health, Readiness, ReadinessChecks};
use crate::domain::Role;
use crate::error::{FieldError, Problem};
use crate::events::EventPattern;
use std::borrow::Cow;
use utoipa::openapi::content::ContentBuilder;
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::schema::{Object, ObjectBuilder, Schema, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ComponentsBuilder, OpenApi, Ref, RefOr};
use utoipa::{IntoParams, OpenApi as _, ToResponse};

/// The media type of every error body (RFC 9457).
pub const PROBLEM_JSON: &str = "application/problem+json";

/// The name of the bearer-token security scheme.
pub const BEARER: &str = "bearer";

/// `?limit=&cursor=` of every list.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// How many items to return: 1–100, default 25.
    #[param(minimum = 1, maximum = 100, default = 25)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page, as it came (opaque and
    /// tamper-evident; only valid for the query that issued it).
    pub cursor: Option<String>,
}

/// The `Idempotency-Key` header of a create.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Header)]
pub struct IdempotencyKey {
    /// 1–255 visible ASCII characters. A retry with the same key and body
    /// gets the first response again (`idempotent-replayed: true`) and
    /// creates nothing; the same key with another body is 422. Kept 24 h.
    #[param(rename = "Idempotency-Key", min_length = 1, max_length = 255)]
    pub key: Option<String>,
}

/// The `If-Match` header of an update.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Header)]
pub struct IfMatch {
    /// The version the update expects (`3`, `"3"` or `W/"3"`, as the
    /// `ETag` gave it); a stale one is 412.
    #[param(rename = "If-Match")]
    pub version: Option<String>,
}

/// A `{id}` path parameter.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct IdPath {
    /// The entity's id (a UUIDv7); an id that names nothing the caller may
    /// see is 404.
    pub id: String,
}

/// A role's name, one of [`Role::ALL`]: the schema of every field and
/// parameter that names a role, built from the enum the handlers parse
/// with, so it cannot drift from it.
pub struct RoleName;

impl utoipa::PartialSchema for RoleName {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some("A role: what its holder may do."))
            .enum_values(Some(Role::ALL.map(Role::as_str)))
            .into()
    }
}

impl utoipa::ToSchema for RoleName {
    fn name() -> Cow<'static, str> {
        "Role".into()
    }
}

/// An event-type pattern ([`EventPattern`]) as a string schema: the
/// grammar of its `parse` as a regular expression, its limits the type's
/// constants. A rule's trigger and a subscription's `events` are
/// described with it, each adding its own description.
pub fn event_pattern() -> ObjectBuilder {
    let more_segments = EventPattern::MAX_SEGMENTS - 1;
    ObjectBuilder::new()
        .schema_type(Type::String)
        .max_length(Some(EventPattern::MAX_CHARS))
        .pattern(Some(format!(
            r"^(\*|(\*|[a-z][a-z0-9_]*)(\.(\*|[a-z][a-z0-9_]*)){{0,{more_segments}}})$"
        )))
}

/// [`event_pattern`] as the named schema `EventPattern`, for the fields
/// that list patterns.
pub struct EventPatternText;

impl utoipa::PartialSchema for EventPatternText {
    fn schema() -> RefOr<Schema> {
        event_pattern()
            .description(Some(
                "An event-type pattern: dot-separated lower-case names \
                 (`[a-z][a-z0-9_]*`), each matching itself, or `*`, matching any \
                 one segment (`order.*`); a lone `*` matches every event type.",
            ))
            .examples(["approval.rejected"])
            .into()
    }
}

impl utoipa::ToSchema for EventPatternText {
    fn name() -> Cow<'static, str> {
        "EventPattern".into()
    }
}

/// Gives each string enum of a module (a type with `ALL` and `as_str`) a
/// named schema listing its `ALL`, so it offers exactly what the type's
/// `parse` accepts and its `as_str` shows:
/// `opsflow_platform::named_values! { ItemStatus as "ItemStatus" => "…", }`.
#[macro_export]
macro_rules! named_values {
    ($($kind:ty as $name:literal => $description:literal,)*) => {$(
        impl ::utoipa::PartialSchema for $kind {
            fn schema() -> ::utoipa::openapi::RefOr<::utoipa::openapi::Schema> {
                ::utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(::utoipa::openapi::schema::Type::String)
                    .enum_values(Some(<$kind>::ALL.map(<$kind>::as_str)))
                    .description(Some($description))
                    .into()
            }
        }

        impl ::utoipa::ToSchema for $kind {
            fn name() -> ::std::borrow::Cow<'static, str> {
                $name.into()
            }
        }
    )*};
}

macro_rules! problem_responses {
    ($($name:ident => $description:literal,)*) => {
        $(
            #[doc = concat!("The problem response: ", $description)]
            pub struct $name;

            impl<'r> ToResponse<'r> for $name {
                fn response() -> (&'r str, RefOr<Response>) {
                    (stringify!($name), problem($description).into())
                }
            }
        )*

        /// Every problem response, for the components section.
        fn problem_components() -> Vec<(&'static str, RefOr<Response>)> {
            vec![$(<$name as ToResponse>::response()),*]
        }
    };
}

problem_responses! {
    BadRequest => "400: malformed JSON, an unknown field, a wrong type or a bad query or header value; `errors` names each field",
    Unauthorized => "401: no bearer token, or one that is invalid, expired or of an ended session",
    Forbidden => "403: signed in, but the caller's role or relation to the resource does not allow this",
    NotFound => "404: no such resource, or one the caller may not see",
    Conflict => "409: the resource's state or a stale body `version` does not allow this, or the idempotency key is in use",
    PreconditionFailed => "412: `If-Match` names a version that is no longer current",
    PayloadTooLarge => "413: the body is larger than this route accepts",
    UnsupportedMediaType => "415: the body is not JSON (a `content-type` other than `application/json` or `*+json`)",
    Unprocessable => "422: well-formed but invalid values; `errors` names each field",
    TooManyRequests => "429: too many attempts; `Retry-After` says when to try again",
    InternalError => "500: something unexpected; the body carries only the request id to quote",
    ServiceUnavailable => "503: a dependency does not answer",
}

fn problem(description: &str) -> Response {
    let content = ContentBuilder::new()
        .schema(Some(Ref::from_schema_name("Problem")))
        .build();
    let mut response = ResponseBuilder::new()
        .description(description)
        .content(PROBLEM_JSON, content);
    if description.starts_with("429") {
        response = response.header(
            "retry-after",
            HeaderBuilder::new()
                .schema(Some(Object::with_type(Type::Integer)))
                .description(Some("Seconds to wait before trying again."))
                .build(),
        );
    }
    response.build()
}

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(health, api_health, readiness),
    components(schemas(Problem, FieldError, RoleName, Health, Readiness, ReadinessChecks))
)]
struct Probes;

/// `GET /health`: liveness.
#[utoipa::path(
    get,
    path = "/health",
    operation_id = "getHealth",
    tag = "health",
    responses((status = 200, description = "The function answers.", body = Health))
)]
#[allow(dead_code)]
fn health() {}

/// `GET /api/v1/health`: liveness, under the API's prefix.
#[utoipa::path(
    get,
    path = "/api/v1/health",
    operation_id = "getApiHealth",
    tag = "health",
    responses((status = 200, description = "The function answers.", body = Health))
)]
#[allow(dead_code)]
fn api_health() {}

/// `GET /readiness`: the entity table answers.
#[utoipa::path(
    get,
    path = "/readiness",
    operation_id = "getReadiness",
    tag = "health",
    responses(
        (status = 200, description = "Every dependency answers.", body = Readiness),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[allow(dead_code)]
fn readiness() {}

/// The document every module's description is merged into: its info, the
/// bearer scheme, the shared schemas and responses, and the probes.
pub fn base() -> OpenApi {
    let mut doc = Probes::openapi();
    doc.info.title = "Opsflow API".into();
    doc.info.version = env!("CARGO_PKG_VERSION").into();
    doc.info.description = Some(
        "The Opsflow operations platform. Every route lives under `/api/v1` \
         (the probes also at the root). Errors are RFC 9457 problem \
         documents; lists page with `limit` and an opaque `cursor`."
            .into(),
    );
    doc.info.license = Some(utoipa::openapi::License::new("Apache-2.0"));
    let mut components = ComponentsBuilder::new().security_scheme(
        BEARER,
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .bearer_format("JWT")
                .description(Some(
                    "An access token from `POST /api/v1/auth/login` or `/refresh`.",
                ))
                .build(),
        ),
    );
    for (name, response) in problem_components() {
        components = components.response(name, response);
    }
    let mut shared = components.build();
    if let Some(probes) = doc.components.take() {
        shared.schemas.extend(probes.schemas);
    }
    doc.components = Some(shared);
    doc
}

/// Adds what every operation can answer: 401 and 503 where it needs a
/// token (the session is read from the store), and 500. Call it once every
/// module is merged.
pub fn finish(doc: &mut OpenApi) {
    for item in doc.paths.paths.values_mut() {
        for operation in operations(item) {
            let signed_in = operation
                .security
                .as_ref()
                .is_some_and(|security| !security.is_empty());
            let responses = &mut operation.responses.responses;
            if signed_in {
                responses
                    .entry("401".into())
                    .or_insert_with(|| Ref::from_response_name("Unauthorized").into());
            }
            responses
                .entry("500".into())
                .or_insert_with(|| Ref::from_response_name("InternalError").into());
            if signed_in {
                // The store may be throttled or unreachable under any route
                // that reads it, and every signed-in route reads the session.
                responses
                    .entry("503".into())
                    .or_insert_with(|| Ref::from_response_name("ServiceUnavailable").into());
            }
        }
    }
}

/// Every operation of a path item.
pub fn operations(
    item: &mut utoipa::openapi::PathItem,
) -> impl Iterator<Item = &mut utoipa::openapi::path::Operation> {
    [
        item.get.as_mut(),
        item.put.as_mut(),
        item.post.as_mut(),
        item.delete.as_mut(),
        item.options.as_mut(),
        item.head.as_mut(),
        item.patch.as_mut(),
        item.trace.as_mut(),
    ]
    .into_iter()
    .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The `pattern` of [`event_pattern`], compiled.
    fn grammar() -> regex_lite::Regex {
        let schema = serde_json::to_value(event_pattern().build()).unwrap();
        regex_lite::Regex::new(schema["pattern"].as_str().unwrap()).unwrap()
    }

    #[test]
    fn the_event_pattern_schema_accepts_what_event_pattern_parses() {
        let grammar = grammar();
        let eight = ["a"; 8].join(".");
        let nine = ["a"; 9].join(".");
        for good in ["*", "approval.*", "*.created", "order.line_2.added", &eight] {
            assert!(EventPattern::parse(good).is_ok(), "{good}");
            assert!(grammar.is_match(good), "{good}");
        }
        for bad in [
            "", "**", "a.", ".a", "a..b", "Order", "9a", "a.*b", "a b", &nine,
        ] {
            assert!(EventPattern::parse(bad).is_err(), "{bad}");
            assert!(!grammar.is_match(bad), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn the_event_pattern_schema_and_parse_agree(text in "[az09_.*A]{0,20}") {
            // Short texts: the length limit is `maxLength`, not the pattern.
            prop_assert_eq!(grammar().is_match(&text), EventPattern::parse(&text).is_ok());
        }
    }
}
