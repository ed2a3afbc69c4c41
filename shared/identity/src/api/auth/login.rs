//! Login: the throttles run before the password is checked (the source
//! address's failure and attempt slots, then the account's backoff gate),
//! so concurrent attempts cannot slip past them; a success gives its
//! failure slot back and starts a session (`service::sessions::start`,
//! which commits its `session.login` event with it), and the failed attempt
//! that spends an account's free attempts records the burst.

use crate::api::ApiReply;

use super::{origin, source_ip, token_response, AUTH_BODY_LIMIT};
use crate::auth::TokenSigner;
use crate::auth::{password, throttle};
use crate::clock;
use crate::domain::{Email, NewPassword};
use crate::error::{ApiError, Validator};
use crate::http::{parse_json, RequestMeta};
use crate::service::sessions;
use crate::store::ratelimit::SlotTaken;
use crate::store::users::UserStore;
use crate::App;
use lambda_http::Request;
use serde::Deserialize;

/// The credentials of a login.
#[derive(Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub(crate) struct LoginBody {
    /// The account's e-mail address (trimmed, any case).
    #[cfg_attr(feature = "openapi", schema(format = Email, max_length = 254))]
    email: String,
    /// 1–128 characters.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 128))]
    password: String,
}

fn too_many_from_here(retry_after: u64) -> ApiError {
    throttle::too_many(
        "too many login attempts from this address; retry later",
        retry_after,
    )
}

pub(super) async fn login(
    app: &App,
    signer: &TokenSigner,
    meta: &RequestMeta,
    req: &Request,
) -> ApiReply {
    let body: LoginBody = parse_json(req, AUTH_BODY_LIMIT)?;
    let mut v = Validator::new();
    let email = v.check("email", Email::parse(&body.email));
    if body.password.is_empty() || body.password.chars().count() > NewPassword::MAX_CHARS {
        v.push(
            "password",
            format!("must be 1 to {} characters", NewPassword::MAX_CHARS),
        );
    }
    v.finish()?;
    let Some(email) = email else {
        return Err(ApiError::internal("validated input went missing"));
    };

    let limits = app.config.login_limits;
    let now = clock::now();
    let ip = source_ip(meta);
    // Every attempt from this address, whatever its outcome (a high
    // ceiling), and a failure slot, given back if the login succeeds (or is
    // not tried). Both are taken at once.
    let (any, failures) = futures::try_join!(
        app.store.take_slot(
            "login-ip",
            ip,
            limits.ip_window_secs,
            limits.attempts_per_ip,
            now
        ),
        app.store.take_slot(
            "login-ip-failures",
            ip,
            limits.ip_window_secs,
            limits.failures_per_ip,
            now,
        ),
    )?;
    let failure_slot = match (any, failures) {
        (SlotTaken::Taken(_), SlotTaken::Taken(slot)) => slot,
        (SlotTaken::Full { resets_in }, SlotTaken::Taken(slot)) => {
            app.store.give_back(&slot).await?;
            return Err(too_many_from_here(resets_in));
        }
        (_, SlotTaken::Full { resets_in }) => return Err(too_many_from_here(resets_in)),
    };
    // The account's gate counts the attempt before the password is
    // verified; the account is read meanwhile (reading verifies nothing).
    let (attempt, record) = futures::join!(
        throttle::enter(&app.store, &limits, &email, ip, now),
        app.store.user_by_email(&email),
    );
    let attempt = match attempt {
        Ok(attempt) => attempt,
        Err(refused) => {
            app.store.give_back(&failure_slot).await?;
            return Err(refused);
        }
    };
    let record = record?;
    let verified = match &record {
        Some(record) => password::verify(&body.password, &record.password_hash),
        None => {
            password::verify_against_nothing(&body.password);
            false
        }
    };
    if !verified {
        if attempt == limits.failures_per_email.max(1) {
            let window = limits.email_window_secs;
            let account = record.as_ref();
            sessions::record_spent_attempts(
                &app.store,
                &email,
                account,
                attempt,
                window,
                &origin(meta),
            )
            .await?;
        }
        // Best effort: the count is a signal for the detectors, never a
        // reason to answer anything but 401.
        if let Err(error) = crate::service::signals::count_failed_login(&app.store, now).await {
            tracing::warn!(error = %error, "a failed login was not counted");
        }
        tracing::info!("login refused: bad credentials");
        return Err(ApiError::Unauthorized("invalid e-mail or password".into()));
    }
    futures::try_join!(
        async {
            app.store
                .give_back(&failure_slot)
                .await
                .map_err(ApiError::from)
        },
        throttle::passed(&app.store, &email, ip),
    )?;
    let Some(record) = record else {
        return Err(ApiError::internal("a verified login without an account"));
    };
    let tokens = sessions::start(&app.store, signer, &record, &origin(meta), now).await?;
    token_response(&tokens)
}
