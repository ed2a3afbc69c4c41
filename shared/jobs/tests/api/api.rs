//! Jobs as an admin sees them through the API: queued with their checked
//! data, listed by status and type, cancelled, retried and deleted only
//! from the states that allow it; bad input names its fields and writes
//! nothing.

use crate::helpers::Call;
use crate::{at, create, read};
use opsflow_platform::domain::Role;
use serde_json::json;

#[tokio::test]
async fn a_job_is_queued_with_its_defaults_and_its_event() {
    let env = crate::env().await;
    let admin = env.account("admin", Role::Admin).await;
    let job = create(
        &env,
        &admin,
        json!({"type": "send-notification", "data": {"to": ["ops@example.com"], "subject": "Hi", "text": "Body"}, "delay_seconds": 3600}),
    )
    .await;
    assert_eq!(job["status"], "queued");
    assert_eq!(job["type"], "send-notification");
    assert_eq!(job["priority"], 5);
    assert_eq!(job["attempts"], 0);
    assert_eq!(job["max_attempts"], 3);
    assert_eq!(job["created_by"], admin.id.as_str());
    let created = time::OffsetDateTime::parse(
        job["created_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let due = time::OffsetDateTime::parse(
        job["run_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    assert_eq!((due - created).whole_seconds(), 3600);
    let events = env.events_of_type("job.queued").await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["data"]["id"], job["id"]);
    assert_eq!(events[0]["changes"]["status"], json!([null, "queued"]));
}

#[tokio::test]
async fn bad_input_names_each_field_and_writes_nothing() {
    let env = crate::env().await;
    let admin = env.account("admin", Role::Admin).await;
    let cases = [
        (json!({"type": "mine-bitcoin", "data": {}}), vec!["type"]),
        (
            json!({"type": "cleanup", "data": {}, "priority": 11}),
            vec!["priority"],
        ),
        (
            json!({"type": "cleanup", "data": {}, "delay_seconds": -1}),
            vec!["delay_seconds"],
        ),
        (json!({"type": "cleanup", "data": [1]}), vec!["data"]),
        (
            json!({"type": "send-notification", "data": {"to": ["nope"], "subject": "s", "text": "t"}}),
            vec!["data.to[0]"],
        ),
        (
            json!({"type": "generate-report", "data": {"report": "salaries"}}),
            vec!["data.report"],
        ),
        (
            json!({"type": "process-data", "data": {"status": "active"}}),
            vec!["data"],
        ),
    ];
    for (body, fields) in cases {
        let reply = env
            .call(Call::new("jobs/create").by(&admin).body(body.clone()))
            .await;
        assert_eq!(reply.status, 422, "{body}: {}", reply.body);
        let named: Vec<&str> = reply.body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap())
            .collect();
        assert_eq!(named, fields, "{body}");
    }
    let unknown = env
        .call(
            Call::new("jobs/create")
                .by(&admin)
                .body(json!({"type": "cleanup", "data": {}, "when": "now"})),
        )
        .await;
    assert_eq!(unknown.status, 400, "{}", unknown.body);
    assert!(env.events_of_type("job.queued").await.is_empty());
    let listed = env.call(Call::new("jobs/list").by(&admin).query(&[])).await;
    assert_eq!(listed.body["items"], json!([]));
    let bad_filter = env
        .call(
            Call::new("jobs/list")
                .by(&admin)
                .query(&[("status", "lost")]),
        )
        .await;
    assert_eq!(bad_filter.status, 422);
    assert_eq!(bad_filter.body["errors"][0]["field"], "status");
}

#[tokio::test]
async fn listings_filter_by_status_and_type_newest_first() {
    let env = crate::env().await;
    let admin = env.account("admin", Role::Admin).await;
    let report = json!({"type": "generate-report", "data": {"report": "items"}});
    let cleanup = json!({"type": "cleanup", "data": {"older_than_days": 90}});
    let mut ids = Vec::new();
    for body in [&report, &cleanup, &report] {
        ids.push(
            create(&env, &admin, body.clone()).await["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    let cancel = env.call(at("jobs/cancel", &ids[2]).by(&admin)).await;
    assert_eq!(cancel.status, 200);
    assert_eq!(cancel.body["status"], "cancelled");

    let list = |query: Vec<(&'static str, &'static str)>| paged(&env, &admin, query);
    assert_eq!(
        list(vec![]).await,
        [ids[2].clone(), ids[1].clone(), ids[0].clone()]
    );
    assert_eq!(
        list(vec![("type", "generate-report")]).await,
        [ids[2].clone(), ids[0].clone()]
    );
    assert_eq!(
        list(vec![("status", "queued")]).await,
        [ids[1].clone(), ids[0].clone()]
    );
    assert_eq!(
        list(vec![("status", "cancelled"), ("type", "generate-report")]).await,
        [ids[2].clone()]
    );
    assert!(list(vec![("status", "failed")]).await.is_empty());
}

#[tokio::test]
async fn cancel_retry_and_delete_follow_the_job_states() {
    let env = crate::env().await;
    let admin = env.account("admin", Role::Admin).await;
    let job = create(&env, &admin, json!({"type": "cleanup", "data": {}})).await;
    let id = job["id"].as_str().unwrap();

    let retry = env.call(at("jobs/retry", id).by(&admin)).await;
    assert_eq!(retry.status, 409);
    assert!(
        retry.body["detail"].as_str().unwrap().contains("failed"),
        "{}",
        retry.body
    );
    let stale = env
        .call(at("jobs/cancel", id).by(&admin).header("if-match", "\"7\""))
        .await;
    assert!(stale.status == 409 || stale.status == 412, "{}", stale.body);
    assert_eq!(read(&env, &admin, id).await["status"], "queued");

    let cancelled = env.call(at("jobs/cancel", id).by(&admin)).await;
    assert_eq!(cancelled.status, 200);
    assert_eq!(cancelled.body["status"], "cancelled");
    assert!(cancelled.body["finished_at"].is_string());
    let again = env.call(at("jobs/cancel", id).by(&admin)).await;
    assert_eq!(again.status, 409);
    assert_eq!(env.events_of_type("job.cancelled").await.len(), 1);

    let deleted = env.call(at("jobs/delete", id).by(&admin)).await;
    assert_eq!(deleted.status, 204);
    assert_eq!(env.call(at("jobs/get", id).by(&admin)).await.status, 404);
    let deletion = env.events_of_type("job.deleted").await;
    assert_eq!(deletion[0]["changes"]["status"], json!(["cancelled", null]));
}

#[tokio::test]
async fn clean_queues_a_cleanup_of_finished_jobs() {
    let env = crate::env().await;
    let admin = env.account("admin", Role::Admin).await;
    let reply = env
        .call(
            Call::new("jobs/clean")
                .by(&admin)
                .body(json!({"older_than_days": 7})),
        )
        .await;
    assert_eq!(reply.status, 202, "{}", reply.body);
    assert_eq!(reply.body["type"], "cleanup");
    assert_eq!(
        reply.body["data"],
        json!({"older_than_days": 7, "targets": ["jobs"]})
    );
    let bad = env
        .call(
            Call::new("jobs/clean")
                .by(&admin)
                .body(json!({"older_than_days": 0})),
        )
        .await;
    assert_eq!(bad.status, 422);
    assert_eq!(bad.body["errors"][0]["field"], "older_than_days");
}

#[tokio::test]
async fn a_rules_enqueue_job_creates_the_same_job_once() {
    use opsflow_platform::events::{Actor, Envelope};
    use opsflow_platform::registry::{EntityAction, Registry};
    let env = crate::env().await;
    let registry = Registry::of(&[opsflow_jobs::register]);
    let target = registry.action_target_offering("enqueue_job").unwrap();
    let store = env.users.store.clone();
    let event = Envelope::new(
        "item.created",
        "item",
        "x",
        Actor::system(),
        "corr-1",
        json!({}),
    );
    let args = json!({"type": "enqueue_job", "job_type": "generate-report", "payload": {"report": "items"}});
    let event_id = opsflow_platform::domain::EntityId::new();
    let action = EntityAction {
        name: "enqueue_job",
        args: &args,
        event: &event,
        rule_id: opsflow_platform::domain::EntityId::new(),
        event_id,
    };
    target.act(&store, action).await.unwrap();
    let again = target.act(&store, action).await.unwrap();
    assert!(again.contains("already"), "{again}");
    let admin = env.account("admin", Role::Admin).await;
    let job = read(&env, &admin, &event_id.to_string()).await;
    assert_eq!(job["type"], "generate-report");
    assert_eq!(job["status"], "queued");
    assert!(job["created_by"].as_str().unwrap().starts_with("rule:"));
    assert_eq!(env.events_of_type("job.queued").await.len(), 1);

    let bad = json!({"type": "enqueue_job", "job_type": "report.generate", "payload": {}});
    let refused = target
        .act(
            &store,
            EntityAction {
                args: &bad,
                ..action
            },
        )
        .await;
    assert!(matches!(
        refused,
        Err(opsflow_platform::registry::ActionFailure::Permanent(_))
    ));
}

/// Every job id a listing with `query` shows, one per page.
async fn paged(
    env: &crate::helpers::TestEnv,
    admin: &crate::helpers::Account,
    query: Vec<(&'static str, &'static str)>,
) -> Vec<String> {
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut q: Vec<(&str, &str)> = query.clone();
        q.push(("limit", "1"));
        if let Some(c) = &cursor {
            q.push(("cursor", c.as_str()));
        }
        let reply = env.call(Call::new("jobs/list").by(admin).query(&q)).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        for job in reply.body["items"].as_array().unwrap() {
            seen.push(job["id"].as_str().unwrap().to_owned());
        }
        match reply.body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return seen,
        }
    }
}
