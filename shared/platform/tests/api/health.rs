//! Liveness and readiness.

use crate::helpers::Call;

#[tokio::test]
async fn liveness_answers_on_both_paths() {
    let env = crate::env().await;
    for fixture in ["health/health", "health/api-v1-health"] {
        let reply = env.call(Call::new(fixture)).await;
        assert_eq!(reply.status, 200);
        assert_eq!(reply.body["status"], "healthy");
        assert_eq!(reply.body["service"], "opsflow");
        assert!(reply.header("x-request-id").is_some());
        assert_eq!(reply.header("x-correlation-id"), Some("docs-example-0001"));
    }
}

#[tokio::test]
async fn readiness_is_healthy_when_the_table_answers() {
    let env = crate::env().await;
    let reply = env.call(Call::new("health/readiness")).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body["status"], "healthy");
    assert_eq!(reply.body["checks"]["table"], "healthy");
}

#[tokio::test]
async fn a_path_no_route_matches_is_a_problem_404_with_the_request_id() {
    let env = crate::env().await;
    let reply = env.call(Call::new("health/not-found")).await;
    assert_eq!(reply.status, 404);
    assert_eq!(
        reply.header("content-type"),
        Some("application/problem+json")
    );
    assert_eq!(reply.body["status"], 404);
    assert_eq!(
        reply.body["detail"],
        "no route matches GET /api/v1/no-such-thing"
    );
    let request_id = reply.header("x-request-id").expect("a request id");
    assert_eq!(reply.body["request_id"], request_id);
}

#[tokio::test]
async fn readiness_is_503_with_a_problem_when_the_table_is_missing() {
    let env = crate::env_with(|vars| {
        vars.insert("TABLE_NAME".into(), "opsflow-test-no-such-table".into());
    })
    .await;
    let reply = env.call(Call::new("health/readiness")).await;
    assert_eq!(reply.status, 503);
    assert_eq!(
        reply.header("content-type"),
        Some("application/problem+json")
    );
    assert_eq!(reply.body["status"], 503);
    // The cause is logged, not returned.
    assert!(!reply.body.to_string().contains("ResourceNotFound"));
}

#[tokio::test]
async fn allowed_origins_get_cors_headers_and_others_do_not() {
    let env = crate::env().await;
    let allowed = env
        .call(Call::new("health/health").header("origin", "http://localhost:5173"))
        .await;
    assert_eq!(
        allowed.header("access-control-allow-origin"),
        Some("http://localhost:5173")
    );
    let foreign = env
        .call(Call::new("health/health").header("origin", "https://evil.example"))
        .await;
    assert_eq!(foreign.header("access-control-allow-origin"), None);
}
