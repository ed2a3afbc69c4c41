//! The identity life cycle through the `auth` and `users` handlers, against
//! DynamoDB Local.

use crate::helpers::{login_request, me_request, Call, TestEnv, PASSWORD};
use opsflow_platform::auth::TokenSigner;
use opsflow_platform::config::{JwtAlgorithm, JwtConfig};
use opsflow_platform::domain::{EntityId, Role};
use serde_json::{json, Value};
use time::{Duration, OffsetDateTime};

#[tokio::test]
async fn register_login_me_refresh_logout_round_trip() {
    let env = crate::env().await;
    let (id, email) = env.register("ada").await;

    let login = env.call(login_request(&email, PASSWORD)).await;
    assert_eq!(login.status, 200);
    assert_eq!(login.header("cache-control"), Some("no-store"));
    assert_eq!(login.body["token_type"], "Bearer");
    assert_eq!(login.body["expires_in"], 900);
    assert_eq!(login.body["user"]["id"], json!(id));
    assert!(login.body["user"].get("password_hash").is_none());
    let access = login.body["access_token"].as_str().unwrap().to_owned();
    let refresh = login.body["refresh_token"].as_str().unwrap().to_owned();

    let me = env.call(me_request(&access)).await;
    assert_eq!(me.status, 200);
    assert_eq!(me.body["email"], json!(email));
    assert_eq!(me.body["role"], "user");

    let refreshed = env
        .call(Call::new("auth/refresh").body(json!({"refresh_token": refresh})))
        .await;
    assert_eq!(refreshed.status, 200, "{}", refreshed.body);
    let access2 = refreshed.body["access_token"].as_str().unwrap().to_owned();
    let refresh2 = refreshed.body["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(refresh2, refresh);
    assert_eq!(env.call(me_request(&access2)).await.status, 200);

    let logout = env
        .call(Call::new("auth/logout").token(Some(&access2)))
        .await;
    assert_eq!(logout.status, 204);

    // After logout neither the access tokens nor the refresh token work.
    for token in [&access, &access2] {
        let me = env.call(me_request(token)).await;
        assert_eq!(me.status, 401);
    }
    let again = env
        .call(Call::new("auth/refresh").body(json!({"refresh_token": refresh2})))
        .await;
    assert_eq!(again.status, 401);
}

#[tokio::test]
async fn registration_writes_the_user_and_its_event_and_never_the_password() {
    let env = crate::env().await;
    let (id, email) = env.register("grace").await;
    let events = env.events().await;
    assert_eq!(events.len(), 1);
    let event = &events[0];
    assert_eq!(event["type"], "user.registered");
    assert_eq!(event["entity_id"], json!(id));
    assert_eq!(event["actor"]["id"], json!(id));
    assert_eq!(event["correlation_id"], "docs-example-0001");
    assert_eq!(event["data"]["email"], json!(email));
    let everything = format!("{:?}", env.all_items().await);
    assert!(!everything.contains(PASSWORD));
}

#[tokio::test]
async fn refresh_token_reuse_revokes_the_whole_session() {
    let env = crate::env().await;
    let (_, email) = env.register("eve").await;
    let first = env.login(&email).await;

    let rotated = env
        .call(Call::new("auth/refresh").body(json!({"refresh_token": first.refresh})))
        .await;
    assert_eq!(rotated.status, 200);
    let second_refresh = rotated.body["refresh_token"].as_str().unwrap().to_owned();
    let second_access = rotated.body["access_token"].as_str().unwrap().to_owned();

    // The old token comes back (a stolen copy): refused, session revoked.
    let reuse = env
        .call(Call::new("auth/refresh").body(json!({"refresh_token": first.refresh})))
        .await;
    assert_eq!(reuse.status, 401);
    assert!(reuse.body["detail"].as_str().unwrap().contains("revoked"));

    let legit = env
        .call(Call::new("auth/refresh").body(json!({"refresh_token": second_refresh})))
        .await;
    assert_eq!(legit.status, 401);
    for access in [&first.access, &second_access] {
        assert_eq!(env.call(me_request(access)).await.status, 401);
    }

    // Another session of the same user is unaffected.
    let other = env.login(&email).await;
    assert_eq!(env.call(me_request(&other.access)).await.status, 200);
}

#[tokio::test]
async fn concurrent_refreshes_with_one_token_succeed_at_most_once() {
    let env = crate::env().await;
    let (_, email) = env.register("race").await;
    let tokens = env.login(&email).await;
    let attempt =
        || env.call(Call::new("auth/refresh").body(json!({"refresh_token": tokens.refresh})));
    let replies = futures::future::join_all((0..5).map(|_| attempt())).await;
    let ok = replies.iter().filter(|r| r.status == 200).count();
    assert!(ok <= 1, "{ok} refreshes succeeded with one token");
    assert!(replies.iter().all(|r| r.status == 200 || r.status == 401));
}

fn signer(
    env: &TestEnv,
    issuer: &str,
    audience: &str,
    algorithm: JwtAlgorithm,
    key: &[u8],
) -> TokenSigner {
    let config = JwtConfig {
        algorithm,
        verification_key: key.to_vec(),
        previous_verification_key: None,
        issuer: issuer.into(),
        audience: audience.into(),
    };
    let pem = (algorithm != JwtAlgorithm::Hs256).then_some(env.keys.private_pem.as_str());
    TokenSigner::new(&config, pem).expect("a test signer")
}

#[tokio::test]
async fn forged_expired_and_foreign_tokens_are_refused_with_401() {
    let env = crate::env().await;
    let (id, email) = env.register("mallory").await;
    let good = env.login(&email).await;
    let claims = env
        .users
        .authenticate(&me_request(&good.access).request())
        .await
        .unwrap();
    let user = EntityId::parse(&id).unwrap();
    let public = env.keys.public_pem.as_bytes();
    let now = OffsetDateTime::now_utc();

    let expired = signer(
        &env,
        "opsflow-test",
        "opsflow-api",
        JwtAlgorithm::EdDsa,
        public,
    )
    .issue(
        &user,
        Role::User,
        (&claims.session_id, 0),
        now - Duration::minutes(20),
    )
    .unwrap()
    .token;
    let wrong_audience = signer(
        &env,
        "opsflow-test",
        "another-api",
        JwtAlgorithm::EdDsa,
        public,
    )
    .issue(&user, Role::User, (&claims.session_id, 0), now)
    .unwrap()
    .token;
    let other_keys = opsflow_platform::auth::keys::generate_ed25519().unwrap();
    let other_config = JwtConfig {
        algorithm: JwtAlgorithm::EdDsa,
        verification_key: other_keys.public_pem.clone().into_bytes(),
        previous_verification_key: None,
        issuer: "opsflow-test".into(),
        audience: "opsflow-api".into(),
    };
    let wrongly_signed = TokenSigner::new(&other_config, Some(&other_keys.private_pem))
        .unwrap()
        .issue(&user, Role::Admin, (&claims.session_id, 0), now)
        .unwrap()
        .token;
    // HS256 keyed with our public key: the algorithm-confusion attack.
    let confused = signer(
        &env,
        "opsflow-test",
        "opsflow-api",
        JwtAlgorithm::Hs256,
        public,
    )
    .issue(&user, Role::Admin, (&claims.session_id, 0), now)
    .unwrap()
    .token;
    let payload = good.access.split('.').nth(1).unwrap();
    let alg_none = format!("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{payload}.");

    for (case, token) in [
        ("expired", expired),
        ("wrong audience", wrong_audience),
        ("wrongly signed", wrongly_signed),
        ("HS/EdDSA confusion", confused),
        ("alg none", alg_none),
        ("garbage", "not-a-token".to_owned()),
    ] {
        for fixture in ["auth/me", "users/list"] {
            let reply = env.call(Call::new(fixture).token(Some(&token))).await;
            assert_eq!(reply.status, 401, "{case} on {fixture}: {}", reply.body);
            assert_eq!(
                reply.header("content-type"),
                Some("application/problem+json")
            );
        }
    }
    assert_eq!(env.call(me_request(&good.access)).await.status, 200);
}

#[tokio::test]
async fn two_concurrent_registrations_of_one_email_yield_one_account() {
    let env = crate::env().await;
    let email = format!("twin-{}@example.com", EntityId::new());
    let attempt = |name: &'static str| {
        env.call(Call::new("auth/register").body(json!({
            "email": email, "password": PASSWORD, "name": name,
        })))
    };
    let (a, b) = tokio::join!(attempt("first"), attempt("second"));
    let mut statuses = [a.status, b.status];
    statuses.sort_unstable();
    assert_eq!(statuses, [201, 409]);
    let loser = if a.status == 409 { &a } else { &b };
    assert_eq!(
        loser.header("content-type"),
        Some("application/problem+json")
    );
    // Exactly one user, one guard and one event were written.
    assert_eq!(env.items_of_type("user").await.len(), 1);
    assert_eq!(env.events().await.len(), 1);
}

#[tokio::test]
async fn emails_are_unique_regardless_of_case() {
    let env = crate::env().await;
    let (_, email) = env.register("case").await;
    let reply = env
        .call(Call::new("auth/register").body(json!({
            "email": email.to_uppercase(), "password": PASSWORD, "name": "Case",
        })))
        .await;
    assert_eq!(reply.status, 409);
}

#[tokio::test]
async fn wrong_passwords_and_unknown_accounts_get_the_same_401() {
    let env = crate::env().await;
    let (_, email) = env.register("bob").await;
    let wrong = env.call(login_request(&email, "not the password")).await;
    let unknown = env
        .call(login_request("nobody@example.com", PASSWORD))
        .await;
    assert_eq!(wrong.status, 401);
    assert_eq!(unknown.status, 401);
    assert_eq!(wrong.body["detail"], unknown.body["detail"]);
}

#[tokio::test]
async fn login_is_rate_limited_per_source_ip_with_retry_after() {
    let env = crate::env_vars(&[("LOGIN_ATTEMPTS_PER_IP", "3")]).await;
    let (_, email) = env.register("carol").await;
    let attempt = || {
        env.call(
            Call::new("auth/login")
                .ip("192.0.2.77")
                .body(json!({"email": email, "password": PASSWORD})),
        )
    };
    for _ in 0..3 {
        assert_eq!(attempt().await.status, 200);
    }
    let limited = attempt().await;
    assert_eq!(limited.status, 429);
    let retry_after: u64 = limited.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=300).contains(&retry_after));
    assert_eq!(
        limited.header("content-type"),
        Some("application/problem+json")
    );
    // Another address is not affected.
    let elsewhere = env
        .call(
            Call::new("auth/login")
                .ip("192.0.2.78")
                .body(json!({"email": email, "password": PASSWORD})),
        )
        .await;
    assert_eq!(elsewhere.status, 200);
}

#[tokio::test]
async fn once_the_free_attempts_are_spent_even_the_right_password_waits() {
    let env = crate::env_vars(crate::THROTTLED_LOGINS).await;
    let (_, email) = env.register("dave").await;
    for _ in 0..3 {
        let reply = env.call(login_request(&email, "guess guess")).await;
        assert_eq!(reply.status, 401);
    }
    let locked = env.call(login_request(&email, PASSWORD)).await;
    assert_eq!(locked.status, 429);
    let retry_after: u64 = locked.header("retry-after").unwrap().parse().unwrap();
    // The delay after the third failure (60 s), not the rest of a window.
    assert!((1..=60).contains(&retry_after), "{retry_after}");
}

/// Logins of one account with the wrong password, from `count` addresses
/// at once.
/// The address the guesses of these tests come from.
const GUESSER: &str = "192.0.2.1";

async fn concurrent_wrong_logins(env: &TestEnv, email: &str, count: usize) -> Vec<u16> {
    let attempt = |_: usize| {
        env.call(
            Call::new("auth/login")
                .ip(GUESSER)
                .body(json!({"email": email, "password": "guess guess"})),
        )
    };
    futures::future::join_all((0..count).map(attempt))
        .await
        .into_iter()
        .map(|reply| reply.status)
        .collect()
}

#[tokio::test]
async fn concurrent_wrong_passwords_are_verified_at_most_the_free_attempts() {
    let env = crate::env_vars(&[("LOGIN_BACKOFF_UNIT_MS", "60000")]).await;
    let (_, email) = env.register("target").await;
    let statuses = concurrent_wrong_logins(&env, &email, 20).await;
    // 401 is a verified wrong password; 429 was refused before verifying.
    let verified = statuses.iter().filter(|s| **s == 401).count();
    assert!(
        verified <= 5,
        "{verified} passwords verified of 20 concurrent guesses: {statuses:?}"
    );
    assert!(statuses.iter().all(|s| [401, 429].contains(s)));
    assert_eq!(statuses.len(), 20);
}

#[tokio::test]
async fn the_owner_logs_in_once_the_delay_has_passed() {
    let env = crate::env_vars(&[
        ("LOGIN_FAILURES_PER_EMAIL", "3"),
        ("LOGIN_BACKOFF_UNIT_MS", "1000"),
    ])
    .await;
    let (_, email) = env.register("owner").await;
    let statuses = concurrent_wrong_logins(&env, &email, 10).await;
    assert!(statuses.contains(&429), "{statuses:?}");
    // The owner's own mistypes, from the same address.
    let owner = || {
        env.call(
            Call::new("auth/login")
                .ip(GUESSER)
                .body(json!({"email": email, "password": PASSWORD})),
        )
    };
    let first = owner().await;
    if first.status == 429 {
        // A delay of seconds, not a lockout of the window.
        let wait: u64 = first.header("retry-after").unwrap().parse().unwrap();
        assert!(wait <= 8, "the owner is told to wait {wait} s");
        tokio::time::sleep(std::time::Duration::from_millis(wait * 1000 + 300)).await;
    }
    let login = owner().await;
    assert_eq!(login.status, 200, "{}", login.body);
    // The success started the count again: three free attempts.
    let after = concurrent_wrong_logins(&env, &email, 3).await;
    assert_eq!(after, [401, 401, 401]);
}

#[tokio::test]
async fn a_strangers_failures_from_another_address_never_delay_the_owner() {
    let env = crate::env_vars(&[("LOGIN_BACKOFF_UNIT_MS", "60000")]).await;
    let (_, email) = env.register("owner").await;
    let statuses = concurrent_wrong_logins(&env, &email, 10).await;
    assert!(
        statuses.contains(&429),
        "the stranger is slowed: {statuses:?}"
    );
    let login = env
        .call(
            Call::new("auth/login")
                .ip("198.51.100.7")
                .body(json!({"email": email, "password": PASSWORD})),
        )
        .await;
    assert_eq!(login.status, 200, "{}", login.body);
    let stranger = concurrent_wrong_logins(&env, &email, 1).await;
    assert_eq!(
        stranger,
        [429],
        "the owner's success does not free the stranger"
    );
}

#[tokio::test]
async fn guesses_spread_over_many_addresses_meet_the_accounts_ceiling() {
    let env = crate::env_vars(&[("LOGIN_ATTEMPTS_PER_ACCOUNT", "4")]).await;
    let (_, email) = env.register("target").await;
    for i in 0..4 {
        let guess = env
            .call(
                Call::new("auth/login")
                    .ip(&format!("203.0.113.{}", i + 1))
                    .body(json!({"email": email, "password": "guess guess"})),
            )
            .await;
        assert_eq!(guess.status, 401, "{}", guess.body);
    }
    let fifth = env
        .call(
            Call::new("auth/login")
                .ip("203.0.113.99")
                .body(json!({"email": email, "password": "guess guess"})),
        )
        .await;
    assert_eq!(fifth.status, 429, "{}", fifth.body);
    assert!(fifth.header("retry-after").is_some());
}

#[tokio::test]
async fn successful_logins_from_one_address_are_never_refused() {
    let env = crate::env().await;
    let mut emails = Vec::new();
    for i in 0..5 {
        emails.push(env.register(&format!("colleague{i}")).await.1);
    }
    // 25 logins behind one office NAT: more than the failure limit.
    for round in 0..5 {
        for email in &emails {
            let login = env
                .call(
                    Call::new("auth/login")
                        .ip("192.0.2.200")
                        .body(json!({"email": email, "password": PASSWORD})),
                )
                .await;
            assert_eq!(login.status, 200, "round {round}: {}", login.body);
        }
    }
}

#[tokio::test]
async fn failed_logins_are_limited_per_source_ip_not_per_forwarded_header() {
    let env = crate::env_vars(&[("LOGIN_FAILURES_PER_IP", "2")]).await;
    let guess = |ip: &str, forwarded: &str| {
        env.call(
            Call::new("auth/login")
                .ip(ip)
                .forwarded_for(forwarded)
                .body(json!({
                    "email": format!("someone-{}@example.com", EntityId::new()),
                    "password": "guess guess",
                })),
        )
    };
    // A new x-forwarded-for each time does not reset the address's count.
    assert_eq!(guess("192.0.2.10", "10.0.0.1").await.status, 401);
    assert_eq!(guess("192.0.2.10", "10.0.0.2").await.status, 401);
    let limited = guess("192.0.2.10", "10.0.0.3").await;
    assert_eq!(limited.status, 429, "{}", limited.body);
    assert!(limited.header("retry-after").is_some());
    // Another address claiming the limited one in x-forwarded-for is not
    // limited.
    assert_eq!(guess("192.0.2.11", "192.0.2.10").await.status, 401);
}

#[tokio::test]
async fn registrations_are_limited_per_source_ip() {
    let env = crate::env_vars(&[("REGISTRATIONS_PER_IP", "2")]).await;
    let register = |ip: &str, forwarded: &str| {
        env.call(
            Call::new("auth/register")
                .ip(ip)
                .forwarded_for(forwarded)
                .body(json!({
                    "email": format!("new-{}@example.com", EntityId::new()),
                    "password": PASSWORD,
                    "name": "New",
                })),
        )
    };
    assert_eq!(register("192.0.2.30", "10.0.0.1").await.status, 201);
    assert_eq!(register("192.0.2.30", "10.0.0.2").await.status, 201);
    let limited = register("192.0.2.30", "10.0.0.3").await;
    assert_eq!(limited.status, 429, "{}", limited.body);
    let retry_after: u64 = limited.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=3600).contains(&retry_after));
    assert_eq!(register("192.0.2.31", "192.0.2.30").await.status, 201);
}

#[tokio::test]
async fn logins_logouts_and_refresh_token_reuse_are_audited() {
    let env = crate::env().await;
    let (id, email) = env.register("watched").await;
    let first = env.login(&email).await;
    let rotated = env
        .call(Call::new("auth/refresh").body(json!({"refresh_token": first.refresh})))
        .await;
    assert_eq!(rotated.status, 200);
    let reuse = env
        .call(Call::new("auth/refresh").body(json!({"refresh_token": first.refresh})))
        .await;
    assert_eq!(reuse.status, 401);
    let second = env.login(&email).await;
    let logout = env
        .call(Call::new("auth/logout").token(Some(&second.access)))
        .await;
    assert_eq!(logout.status, 204);

    let events = env.events().await;
    let of = |kind: &str| -> Vec<&Value> { events.iter().filter(|e| e["type"] == kind).collect() };
    let logins = of("session.login");
    assert_eq!(logins.len(), 2);
    for login in &logins {
        assert_eq!(login["entity"], "session");
        assert_eq!(login["data"]["user_id"], json!(id));
        assert_eq!(login["actor"]["id"], json!(id));
        assert!(login["data"]["source_ip"].is_string());
    }
    let reused = of("session.refresh_reused");
    assert_eq!(reused.len(), 1);
    assert_eq!(reused[0]["data"]["user_id"], json!(id));
    let logouts = of("session.logout");
    assert_eq!(logouts.len(), 1);
    assert_eq!(logouts[0]["actor"]["id"], json!(id));
    // Each event names its session: the reused one is the first login's,
    // the logout the second's.
    let session_of = |e: &Value| e["entity_id"].as_str().unwrap().to_owned();
    let login_sessions: Vec<String> = logins.iter().map(|e| session_of(e)).collect();
    assert!(login_sessions.contains(&session_of(reused[0])));
    assert!(login_sessions.contains(&session_of(logouts[0])));
    assert_ne!(session_of(reused[0]), session_of(logouts[0]));
}

#[tokio::test]
async fn a_burst_of_failed_logins_is_recorded_once_for_the_audit_log() {
    let env = crate::env_vars(&[("LOGIN_FAILURES_PER_EMAIL", "4")]).await;
    let (id, email) = env.register("erin").await;
    let unknown = "nobody@example.com";
    // Concurrent guesses: the one that reaches the limit records the burst.
    let guesses = (0..6).flat_map(|_| {
        [email.as_str(), unknown].map(|address| env.call(login_request(address, "guess guess")))
    });
    let replies = futures::future::join_all(guesses).await;
    assert!(replies.iter().all(|r| [401, 429].contains(&r.status)));

    let bursts: Vec<Value> = env
        .events()
        .await
        .into_iter()
        .filter(|e| e["type"] == "user.login_failures_exceeded")
        .collect();
    let about: Vec<(Value, Value)> = bursts
        .iter()
        .map(|e| (e["entity"].clone(), e["entity_id"].clone()))
        .collect();
    assert_eq!(bursts.len(), 2, "{about:?}");
    assert!(about.contains(&(json!("user"), json!(id))));
    assert!(about.contains(&(json!("login"), json!(unknown))));
    for burst in &bursts {
        assert_eq!(burst["actor"]["id"], "anonymous");
        assert_eq!(burst["changes"]["failed_logins"], json!([3, 4]));
        assert!(burst["data"]["source_ip"].is_string());
    }
}

#[tokio::test]
async fn deactivated_users_cannot_log_in_or_refresh() {
    let env = crate::env().await;
    let admin = env.account("admin", Role::Admin).await;
    let (id, email) = env.register("leaver").await;
    let tokens = env.login(&email).await;

    let reply = env.call(Call::new("users/delete").by(&admin).id(&id)).await;
    assert_eq!(reply.status, 204);

    let login = env.call(login_request(&email, PASSWORD)).await;
    assert_eq!(login.status, 403);
    let refresh = env
        .call(Call::new("auth/refresh").body(json!({"refresh_token": tokens.refresh})))
        .await;
    assert_eq!(refresh.status, 401);
    // Their sessions ended with the deactivation: the access token is
    // refused at once, not only when it expires.
    let me = env.call(me_request(&tokens.access)).await;
    assert_eq!(me.status, 401);
}

#[tokio::test]
async fn a_new_password_ends_every_other_session() {
    let env = crate::env().await;
    let (id, email) = env.register("mover").await;
    let here = env.login(&email).await;
    let elsewhere = env.login(&email).await;
    let changed = env
        .call(
            Call::new("users/patch")
                .token(Some(&here.access))
                .id(&id)
                .body(json!({"password": "a brand new passphrase", "current_password": PASSWORD})),
        )
        .await;
    assert_eq!(changed.status, 200, "{}", changed.body);
    assert_eq!(env.call(me_request(&here.access)).await.status, 200);
    assert_eq!(env.call(me_request(&elsewhere.access)).await.status, 401);
    let refresh = env
        .call(Call::new("auth/refresh").body(json!({"refresh_token": elsewhere.refresh})))
        .await;
    assert_eq!(refresh.status, 401);
}
