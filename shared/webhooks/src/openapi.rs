//! The OpenAPI description of the `webhooks` function's routes, built from
//! the request types of [`crate::api::subscriptions`] and the views of
//! [`crate::view`]; the one shape the handlers build as JSON, the answer of
//! a ping and of a redelivery, is [`DeliveryAccepted`]. `infra/openapi`
//! merges it into `docs/openapi.json`.
//!
//! Invariant: one operation per route of the function in `template.yaml`,
//! each answering exactly the statuses its handler can (401, 503 and 500
//! are added by the kernel's `finish`): every route is for admins (403
//! otherwise, before anything else), an id that names no subscription (or
//! no delivery of it) is 404, a malformed body, query, `If-Match` or
//! `Idempotency-Key` is 400, a body over 64 KiB 413, a body that is not
//! JSON 415, invalid values 422, a lost race, a stale `version`, a busy
//! idempotency key or a redelivery the delivery's or subscription's state
//! does not allow 409, a stale `If-Match` 412.

use crate::api::subscriptions::{CreateSubscription, UpdateSubscription};
use crate::view::{DeliveryView, SubscriptionView, WithSecret};
use opsflow_platform::http::Page;
use opsflow_platform::openapi::{
    BadRequest, Conflict, Forbidden, IdPath, IdempotencyKey, IfMatch, NotFound, PageParams,
    PayloadTooLarge, PreconditionFailed, Unprocessable, UnsupportedMediaType,
};
use utoipa::OpenApi as _;

#[derive(utoipa::OpenApi)]
#[openapi(paths(
    list_webhooks,
    create_webhook,
    get_webhook,
    update_webhook,
    delete_webhook,
    rotate_webhook_secret,
    ping_webhook,
    list_webhook_deliveries,
    get_webhook_delivery,
    redeliver_webhook_delivery,
))]
struct Routes;

/// The description of the module's routes.
pub fn doc() -> utoipa::openapi::OpenApi {
    Routes::openapi()
}

/// A delivery asked for: the answer of `POST /{id}/ping` and of
/// `POST /{id}/deliveries/{delivery_id}/redeliver`.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct DeliveryAccepted {
    /// The subscription it is made to.
    #[schema(format = "uuid")]
    webhook_id: String,
    /// The id the new delivery has.
    #[schema(format = "uuid")]
    delivery_id: String,
}

/// The `{delivery_id}` path parameter of the delivery log, beside
/// [`IdPath`]'s `{id}` of the subscription.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
pub struct DeliveryIdPath {
    /// The delivery's id (a UUIDv7); an id that names no delivery of this
    /// subscription is 404.
    delivery_id: String,
}

/// List webhook subscriptions
///
/// Admins only. Newest first; `active` keeps the subscriptions whose
/// deliveries are on (`true`) or off (`false`: turned off, or disabled by
/// failures). No secret is shown.
#[utoipa::path(
    get,
    path = "/api/v1/webhooks",
    operation_id = "listWebhooks",
    tag = "webhooks",
    security(("bearer" = [])),
    params(
        ("active" = Option<bool>, Query, description = "Only active (`true`) or inactive \
                                                         (`false`) subscriptions."),
        PageParams,
    ),
    responses(
        (status = 200, description = "A page of subscriptions.", body = Page<SubscriptionView>),
        (status = 400, response = BadRequest),
        (status = 403, response = Forbidden),
        (status = 422, response = Unprocessable),
    )
)]
#[allow(dead_code)]
fn list_webhooks() {}

/// Create a webhook subscription
///
/// Admins only. The URL must be `https` and reach only public addresses
/// (not loopback, private, link-local…); it is judged again at every
/// delivery by what its host resolves to then. The subscription receives
/// the events its patterns match and the notices rules hand over under its
/// topics: at least one of either. The answer shows the signing secret,
/// this once.
#[utoipa::path(
    post,
    path = "/api/v1/webhooks",
    operation_id = "createWebhook",
    tag = "webhooks",
    security(("bearer" = [])),
    params(IdempotencyKey),
    request_body(content = CreateSubscription, example = json!({
        "url": "https://hooks.example.com/opsflow",
        "description": "Rejections to finance",
        "events": ["approval.rejected", "order.*"],
        "topics": ["approvals.auto_approved"]
    })),
    responses(
        (status = 201, description = "Created, with its signing secret.", body = WithSecret,
            headers(
                ("location" = String, description = "`/api/v1/webhooks/{id}`"),
                ("etag" = String, description = "The version, quoted (`\"1\"`)."),
                ("idempotent-replayed" = String,
                    description = "`true` when this is the first response to the same \
                                   `Idempotency-Key` again."),
            )),
        (status = 400, response = BadRequest),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = Unprocessable),
    )
)]
#[allow(dead_code)]
fn create_webhook() {}

/// Get a webhook subscription
///
/// Admins only. No secret is shown.
#[utoipa::path(
    get,
    path = "/api/v1/webhooks/{id}",
    operation_id = "getWebhook",
    tag = "webhooks",
    security(("bearer" = [])),
    params(IdPath),
    responses(
        (status = 200, description = "The subscription.", body = SubscriptionView, headers(
            ("etag" = String, description = "The version, quoted (`\"3\"`)."),
        )),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    )
)]
#[allow(dead_code)]
fn get_webhook() {}

/// Change a webhook subscription
///
/// Admins only. Any of `url`, `description`, `events`, `topics` and
/// `active`, checked as on create; the subscription keeps at least one
/// pattern or topic. Turning it on again forgets its failed deliveries. A
/// stale `If-Match` is 412, a stale `version` 409.
#[utoipa::path(
    patch,
    path = "/api/v1/webhooks/{id}",
    operation_id = "updateWebhook",
    tag = "webhooks",
    security(("bearer" = [])),
    params(IdPath, IfMatch),
    request_body(content = UpdateSubscription, example = json!({
        "events": ["approval.*"],
        "active": false
    })),
    responses(
        (status = 200, description = "The subscription after the change.",
            body = SubscriptionView,
            headers(("etag" = String, description = "The new version, quoted."))),
        (status = 400, response = BadRequest),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 412, response = PreconditionFailed),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = Unprocessable),
    )
)]
#[allow(dead_code)]
fn update_webhook() {}

/// Delete a webhook subscription
///
/// Admins only. No delivery is made to it afterwards. A stale `If-Match`
/// is 412.
#[utoipa::path(
    delete,
    path = "/api/v1/webhooks/{id}",
    operation_id = "deleteWebhook",
    tag = "webhooks",
    security(("bearer" = [])),
    params(IdPath, IfMatch),
    responses(
        (status = 204, description = "Deleted."),
        (status = 400, response = BadRequest),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 412, response = PreconditionFailed),
    )
)]
#[allow(dead_code)]
fn delete_webhook() {}

/// Rotate a webhook subscription's signing secret
///
/// Admins only. A new secret, shown this once, signs every delivery from
/// now; the one it replaces signs beside it for 24 hours
/// (`previous_secret_expires_at`), so the receiver can switch without
/// losing a delivery. A stale `If-Match` is 412. Give an `Idempotency-Key`:
/// a retry then answers the same secret instead of rotating again (a second
/// rotation drops the secret the first replaced at once).
#[utoipa::path(
    post,
    path = "/api/v1/webhooks/{id}/rotate-secret",
    operation_id = "rotateWebhookSecret",
    tag = "webhooks",
    security(("bearer" = [])),
    params(IdPath, IfMatch, IdempotencyKey),
    responses(
        (status = 200, description = "The subscription with its new signing secret.",
            body = WithSecret,
            headers(("etag" = String, description = "The new version, quoted."),
                ("idempotent-replayed" = String,
                description = "`true` when this is the first response to the same \
                               `Idempotency-Key` again."))),
        (status = 400, response = BadRequest),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 412, response = PreconditionFailed),
        (status = 422, response = Unprocessable),
    )
)]
#[allow(dead_code)]
fn rotate_webhook_secret() {}

/// Ping a webhook subscription
///
/// Admins only. Asks for a test delivery (a `webhook.ping` event) to this
/// subscription alone, whatever its patterns, active or not; it is made in
/// the background, signed and retried like any other delivery.
#[utoipa::path(
    post,
    path = "/api/v1/webhooks/{id}/ping",
    operation_id = "pingWebhook",
    tag = "webhooks",
    security(("bearer" = [])),
    params(IdPath, IdempotencyKey),
    responses(
        (status = 202, description = "The test delivery is asked for.",
            body = DeliveryAccepted,
            headers(("location" = String,
                description = "`/api/v1/webhooks/{id}/deliveries/{delivery_id}`"),
                ("idempotent-replayed" = String,
                description = "`true` when this is the first response to the same \
                               `Idempotency-Key` again."))),
        (status = 400, response = BadRequest),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 422, response = Unprocessable),
    )
)]
#[allow(dead_code)]
fn ping_webhook() {}

/// List a webhook subscription's deliveries
///
/// Admins only. Newest first, each kept 30 days: its status and every
/// attempt made at it (when, how it ended, the receiver's
/// status, the latency, the first KiB of the receiver's answer). Only
/// `limit` and `cursor` are read; any other query parameter is 400.
#[utoipa::path(
    get,
    path = "/api/v1/webhooks/{id}/deliveries",
    operation_id = "listWebhookDeliveries",
    tag = "webhooks",
    security(("bearer" = [])),
    params(IdPath, PageParams),
    responses(
        (status = 200, description = "A page of the subscription's deliveries.",
            body = Page<DeliveryView>),
        (status = 400, response = BadRequest),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 422, response = Unprocessable),
    )
)]
#[allow(dead_code)]
fn list_webhook_deliveries() {}

/// Get a webhook delivery
///
/// Admins only. One delivery of the subscription: its status, the payload
/// sent and every attempt made at it.
#[utoipa::path(
    get,
    path = "/api/v1/webhooks/{id}/deliveries/{delivery_id}",
    operation_id = "getWebhookDelivery",
    tag = "webhooks",
    security(("bearer" = [])),
    params(IdPath, DeliveryIdPath),
    responses(
        (status = 200, description = "The delivery.", body = DeliveryView),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    )
)]
#[allow(dead_code)]
fn get_webhook_delivery() {}

/// Redeliver a webhook delivery
///
/// Admins only. Asks for the same payload again, with the same
/// `webhook-id`, as a new delivery, made in the background, signed and
/// retried like any other. Only a delivery that has ended (`delivered` or
/// `failed`), and only while the subscription is active: a delivery still
/// `pending` or `retrying`, or an inactive subscription, is 409.
#[utoipa::path(
    post,
    path = "/api/v1/webhooks/{id}/deliveries/{delivery_id}/redeliver",
    operation_id = "redeliverWebhookDelivery",
    tag = "webhooks",
    security(("bearer" = [])),
    params(IdPath, DeliveryIdPath, IdempotencyKey),
    responses(
        (status = 202, description = "The new delivery is asked for.", body = DeliveryAccepted,
            headers(("location" = String,
                description = "`/api/v1/webhooks/{id}/deliveries/{delivery_id}` of the new \
                               delivery"),
                ("idempotent-replayed" = String,
                description = "`true` when this is the first response to the same \
                               `Idempotency-Key` again."))),
        (status = 400, response = BadRequest),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 422, response = Unprocessable),
    )
)]
#[allow(dead_code)]
fn redeliver_webhook_delivery() {}
