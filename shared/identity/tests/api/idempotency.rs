//! `Idempotency-Key` on creates: a retry gets the first response and
//! creates nothing new.

use crate::helpers::{Call, TestEnv, PASSWORD};
use serde_json::json;

fn registration(email: &str) -> serde_json::Value {
    json!({"email": email, "password": PASSWORD, "name": "Retry"})
}

#[tokio::test]
async fn a_retried_registration_replays_the_first_response() {
    let env = crate::env().await;
    let call = || {
        Call::new("auth/register")
            .header("idempotency-key", "signup-7f3a")
            .body(registration("retry@example.com"))
    };
    let first = env.call(call()).await;
    let second = env.call(call()).await;
    assert_eq!((first.status, second.status), (201, 201));
    assert_eq!(first.body["id"], second.body["id"]);
    assert_eq!(second.header("idempotent-replayed"), Some("true"));
    assert_eq!(first.header("idempotent-replayed"), None);
    assert_eq!(second.header("location"), first.header("location"));
    assert_eq!(env.items_of_type("user").await.len(), 1);
    assert_eq!(env.events().await.len(), 1);
}

#[tokio::test]
async fn a_key_reused_for_another_request_is_refused() {
    let env = crate::env().await;
    let first = env
        .call(
            Call::new("auth/register")
                .header("idempotency-key", "signup-1")
                .body(registration("one@example.com")),
        )
        .await;
    assert_eq!(first.status, 201);
    let other = env
        .call(
            Call::new("auth/register")
                .header("idempotency-key", "signup-1")
                .body(registration("two@example.com")),
        )
        .await;
    other.assert_problem(422, "Idempotency-Key");
    assert_eq!(env.items_of_type("user").await.len(), 1);
}

#[tokio::test]
async fn malformed_keys_are_refused_and_write_nothing() {
    let env = crate::env().await;
    let before = env.all_items().await.len();
    let reply = env
        .call(
            Call::new("auth/register")
                .header("idempotency-key", "has spaces in it")
                .body(registration("bad-key@example.com")),
        )
        .await;
    reply.assert_problem(400, "Idempotency-Key");
    assert_eq!(env.all_items().await.len(), before);
}

#[tokio::test]
async fn an_invalid_body_claims_no_key() {
    let env = crate::env().await;
    let call = |body: serde_json::Value| {
        Call::new("auth/register")
            .header("idempotency-key", "signup-fixed")
            .body(body)
    };
    let refused = env
        .call(call(
            json!({"email": "nope", "password": PASSWORD, "name": "X"}),
        ))
        .await;
    refused.assert_problem(422, "email");
    // The corrected request may use the same key: the refusal claimed it not.
    let corrected = env.call(call(registration("fixed@example.com"))).await;
    assert_eq!(corrected.status, 201, "{}", corrected.body);
    assert_eq!(corrected.header("idempotent-replayed"), None);
}

#[tokio::test]
async fn keys_of_anonymous_callers_are_scoped_to_their_address() {
    let env = crate::env().await;
    let call = |ip: &str| {
        Call::new("auth/register")
            .ip(ip)
            .header("idempotency-key", "signup-shared")
            .body(registration("shared@example.com"))
    };
    let first = env.call(call("192.0.2.40")).await;
    assert_eq!(first.status, 201);
    // Another caller with the same key and body is not handed the first
    // caller's response: its request runs, and the address is taken.
    let other = env.call(call("192.0.2.41")).await;
    assert_eq!(other.status, 409, "{}", other.body);
    assert_eq!(other.header("idempotent-replayed"), None);
    let again = env.call(call("192.0.2.40")).await;
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.body["id"], first.body["id"]);
}

/// The idempotency wrapper as a handler uses it, with a stand-in for the
/// handler's work.
mod lease {
    use super::*;
    use lambda_http::{Body, Request, Response};
    use opsflow_platform::api::idempotency::idempotent;
    use opsflow_platform::events::{Actor, Envelope};
    use opsflow_platform::http::RequestMeta;
    use opsflow_platform::store::Store;
    use opsflow_platform::{ApiError, ApiResult};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;
    use tokio::sync::Notify;

    const SCOPE: &str = "test-create";

    async fn leased_env() -> TestEnv {
        crate::env_vars(&[("IDEMPOTENCY_LEASE_SECS", "2")]).await
    }

    fn request(key: &str) -> (Request, RequestMeta) {
        let req = Call::new("auth/register")
            .header("idempotency-key", key)
            .body(registration("lease@example.com"))
            .request();
        let meta = RequestMeta::from_request(&req);
        (req, meta)
    }

    fn created() -> ApiResult<Response<Body>> {
        Response::builder()
            .status(201)
            .body(Body::Text("{}".into()))
            .map_err(|e| ApiError::Internal(e.into()))
    }

    /// The change a run makes: one event committed to the outbox.
    async fn commit(store: &Store) -> ApiResult<()> {
        let event = Envelope::new(
            "thing.created",
            "thing",
            "t-1",
            Actor::system(),
            "corr",
            json!({}),
        );
        store.publish_event(&event).await?;
        Ok(())
    }

    /// Runs `run` until `reached` is notified, then drops it, as a Lambda
    /// timeout ends a function mid-request.
    async fn abandon<F: std::future::Future>(run: F, reached: &Notify) {
        tokio::select! {
            _ = run => panic!("the abandoned run finished"),
            _ = reached.notified() => {}
        }
    }

    /// How long a test waits for a lease of 2 s to run out.
    const PAST_THE_LEASE: Duration = Duration::from_millis(2300);

    async fn events(env: &TestEnv) -> usize {
        env.events()
            .await
            .iter()
            .filter(|e| e["type"] == "thing.created")
            .count()
    }

    #[tokio::test]
    async fn an_abandoned_claim_is_in_progress_until_its_lease_ends_then_runs_again() {
        let env = leased_env().await;
        let store = &env.auth.store;
        let (req, meta) = request("lease-1");
        let runs = AtomicUsize::new(0);
        // The first run's function times out before it changes anything.
        let started = Notify::new();
        abandon(
            idempotent(store, SCOPE, &meta, &req, || async {
                runs.fetch_add(1, Ordering::SeqCst);
                started.notify_one();
                futures::future::pending::<ApiResult<Response<Body>>>().await
            }),
            &started,
        )
        .await;
        let retry = || {
            idempotent(store, SCOPE, &meta, &req, || async {
                runs.fetch_add(1, Ordering::SeqCst);
                commit(store).await?;
                created()
            })
        };
        assert!(matches!(retry().await, Err(ApiError::Conflict(_))));
        tokio::time::sleep(PAST_THE_LEASE).await;
        let after_lease = retry().await.unwrap();
        assert_eq!(after_lease.status(), 201);
        assert_eq!(runs.load(Ordering::SeqCst), 2);
        assert_eq!(events(&env).await, 1);
    }

    #[tokio::test]
    async fn a_claim_whose_change_committed_is_never_run_again() {
        let env = leased_env().await;
        let store = &env.auth.store;
        let (req, meta) = request("lease-2");
        let runs = AtomicUsize::new(0);
        // The change commits, then the function times out.
        let committed = Notify::new();
        abandon(
            idempotent(store, SCOPE, &meta, &req, || async {
                runs.fetch_add(1, Ordering::SeqCst);
                commit(store).await?;
                committed.notify_one();
                futures::future::pending::<ApiResult<Response<Body>>>().await
            }),
            &committed,
        )
        .await;
        tokio::time::sleep(PAST_THE_LEASE).await;
        let retried = idempotent(store, SCOPE, &meta, &req, || async {
            runs.fetch_add(1, Ordering::SeqCst);
            commit(store).await?;
            created()
        })
        .await;
        assert!(matches!(retried, Err(ApiError::Conflict(_))));
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        assert_eq!(events(&env).await, 1);
    }

    #[tokio::test]
    async fn a_server_error_after_the_change_committed_keeps_the_key() {
        let env = leased_env().await;
        let store = &env.auth.store;
        let (req, meta) = request("lease-3");
        let runs = AtomicUsize::new(0);
        let run = || {
            idempotent(store, SCOPE, &meta, &req, || async {
                runs.fetch_add(1, Ordering::SeqCst);
                commit(store).await?;
                Err(ApiError::internal("the response could not be built"))
            })
        };
        let first = run().await.unwrap();
        assert_eq!(first.status(), 500);
        let second = run().await.unwrap();
        assert_eq!(second.status(), 500);
        assert_eq!(
            second
                .headers()
                .get("idempotent-replayed")
                .and_then(|v| v.to_str().ok()),
            Some("true")
        );
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        assert_eq!(events(&env).await, 1);
    }

    #[tokio::test]
    async fn a_server_error_before_any_change_releases_the_key() {
        let env = leased_env().await;
        let store = &env.auth.store;
        let (req, meta) = request("lease-4");
        let runs = AtomicUsize::new(0);
        let failed = idempotent(store, SCOPE, &meta, &req, || async {
            runs.fetch_add(1, Ordering::SeqCst);
            Err(ApiError::internal("the table was unavailable"))
        })
        .await
        .unwrap();
        assert_eq!(failed.status(), 500);
        let retried = idempotent(store, SCOPE, &meta, &req, || async {
            runs.fetch_add(1, Ordering::SeqCst);
            commit(store).await?;
            created()
        })
        .await
        .unwrap();
        assert_eq!(retried.status(), 201);
        assert_eq!(runs.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_run_that_outlived_its_lease_cannot_commit_after_a_takeover() {
        let env = leased_env().await;
        let store = &env.auth.store;
        let (req, meta) = request("lease-5");
        let taken_over = Notify::new();
        // The first run is slow: it commits only after another has taken
        // its lapsed claim over and committed.
        let slow = idempotent(store, SCOPE, &meta, &req, || async {
            taken_over.notified().await;
            commit(store).await?;
            created()
        });
        let takeover = async {
            for _ in 0..40 {
                tokio::time::sleep(Duration::from_millis(250)).await;
                let attempt = idempotent(store, SCOPE, &meta, &req, || async {
                    commit(store).await?;
                    created()
                })
                .await;
                if !matches!(attempt, Err(ApiError::Conflict(_))) {
                    taken_over.notify_one();
                    return attempt;
                }
            }
            panic!("the claim was never free again");
        };
        let (slow, takeover) = tokio::join!(slow, takeover);
        assert_eq!(takeover.unwrap().status(), 201);
        let slow = slow.unwrap();
        assert_eq!(slow.status(), 409, "the late run committed too");
        assert_eq!(events(&env).await, 1);
    }
}
