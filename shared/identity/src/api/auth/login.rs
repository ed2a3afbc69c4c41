//! Login: the throttles run before the password is checked (the source
//! address's failure and attempt slots, then the account's backoff gate),
//! so concurrent attempts cannot slip past them; a success gives its
//! failure slot back and commits its `session.login` event with the session,
//! and the failed attempt that spends an account's free attempts records
//! the burst.

use crate::api::ApiReply;

use super::{anonymous, source_ip, token_response, TokenResponse, AUTH_BODY_LIMIT};
use crate::api::UserView;
use crate::auth::TokenSigner;
use crate::auth::{password, secret, throttle, ACCESS_TOKEN_TTL};
use crate::clock;
use crate::domain::{Email, NewPassword};
use crate::error::{ApiError, ApiResult, Validator};
use crate::events::{self, Actor, Envelope};
use crate::http::{parse_json, RequestMeta};
use crate::store::ratelimit::SlotTaken;
use crate::store::sessions::SessionStore;
use crate::store::users::UserStore;
use crate::App;
use lambda_http::Request;
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LoginBody {
    email: String,
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
            record_burst(app, meta, &email, record.as_ref(), attempt).await?;
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
    if !record.is_active {
        return Err(ApiError::Forbidden("this account is deactivated".into()));
    }

    let refresh_token = secret::generate()?;
    let actor = Actor {
        id: record.id.to_string(),
        role: record.role.to_string(),
    };
    let session = app
        .store
        .create_session(
            record.id,
            record.session_generation,
            &secret::fingerprint(&refresh_token),
            now,
            |session_id| {
                events::session_event(
                    events::SESSION_LOGIN,
                    session_id,
                    &record.id,
                    actor,
                    &meta.correlation_id,
                    serde_json::json!({"source_ip": meta.source_ip}),
                )
            },
        )
        .await?;
    let access = signer.issue(&record.id, record.role, &session.id, now)?;
    tracing::info!(user_id = %record.id, session_id = %session.id, "login succeeded");
    token_response(&TokenResponse {
        access_token: access.token,
        token_type: "Bearer",
        expires_in: ACCESS_TOKEN_TTL.whole_seconds(),
        refresh_token,
        user: UserView::from(&record.user()),
    })
}

/// Records that an account's free password attempts are spent: a
/// `user.login_failures_exceeded` event (about the account, or about the
/// address when no account has it). Attempts are numbered one by one at
/// the gate, so exactly one failed attempt per burst has the number that
/// spends them, and it alone records the event.
async fn record_burst(
    app: &App,
    meta: &RequestMeta,
    email: &Email,
    account: Option<&crate::store::users::UserRecord>,
    failed: u32,
) -> ApiResult<()> {
    let (entity, entity_id) = match account {
        Some(account) => ("user", account.id.to_string()),
        None => ("login", email.to_string()),
    };
    let event = Envelope::new(
        "user.login_failures_exceeded",
        entity,
        &entity_id,
        anonymous(),
        &meta.correlation_id,
        serde_json::json!({
            "email": email.as_str(),
            "source_ip": meta.source_ip,
            "window_secs": app.config.login_limits.email_window_secs,
        }),
    )
    .change("failed_logins", failed - 1, failed);
    app.store.publish_event(&event).await?;
    Ok(())
}
