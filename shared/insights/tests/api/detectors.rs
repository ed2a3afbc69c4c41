//! The operational detectors on DynamoDB Local and moto: a stalled work
//! queue and a non-empty dead-letter queue (real queues, probed as the
//! scheduler probes them), a burst of failed sign-ins (some through the
//! login route), a rule whose runs keep failing. Each raises one insight
//! while its condition holds and resolves it when the condition clears.

use crate::helpers::{queues, Call, TestEnv};
use opsflow_automation::store::runs::{RunEnd, RunRecord, RunStatus, RunSubject};
use opsflow_automation::store::RunStore;
use opsflow_insights::service::detectors::{logins, queues as queue_detectors, rules};
use opsflow_platform::domain::{EntityId, Role};
use opsflow_platform::pipeline::queues::{QueueProbe, WatchedQueue};
use serde_json::{json, Value};
use time::{Duration, OffsetDateTime};

/// The `insight.created` and `insight.resolved` events of `source`.
async fn raised_and_resolved(env: &TestEnv, source: &str) -> (Vec<Value>, Vec<Value>) {
    let of = |events: Vec<Value>| {
        events
            .into_iter()
            .filter(|e| e["data"]["source"] == source)
            .collect::<Vec<_>>()
    };
    (
        of(env.events_of_type("insight.created").await),
        of(env.events_of_type("insight.resolved").await),
    )
}

#[tokio::test]
async fn a_stalled_queue_and_dead_letters_raise_one_insight_each_until_they_clear() {
    let env = crate::env().await;
    let store = env.owned_app().store;
    let sqs = queues::sqs_client().await;
    let work = queues::fresh_queue(&sqs, "detector-work").await;
    let dead = queues::fresh_queue(&sqs, "detector-dlq").await;
    let probe = QueueProbe::new(
        sqs.clone(),
        vec![
            WatchedQueue::new(&work, false),
            WatchedQueue::new(&dead, true),
        ],
    );
    let work_name = probe.watched()[0].name.clone();
    let start = opsflow_platform::clock::now();
    let sweep = |minute: i64| {
        queue_detectors::sweep_queues(&store, &probe, start + Duration::minutes(minute), "t")
    };
    for n in 0..3 {
        send(&sqs, &work, n).await;
    }
    send(&sqs, &dead, 0).await;

    // The dead letter is a finding at once; the backlog after five minutes
    // of not going down, once, however often the detectors run.
    assert_eq!(sweep(0).await.unwrap().done, 1);
    for minute in 1..5 {
        assert_eq!(sweep(minute).await.unwrap().done, 0, "minute {minute}");
    }
    send(&sqs, &work, 3).await;
    assert_eq!(sweep(5).await.unwrap().done, 1);
    assert_eq!(sweep(6).await.unwrap().done, 0);
    let (stalled, _) = raised_and_resolved(&env, "stalled_queue").await;
    assert_eq!(stalled.len(), 1, "{stalled:?}");
    assert_eq!(stalled[0]["data"]["entity"], "queue");
    assert_eq!(stalled[0]["data"]["entity_id"], work_name.as_str());
    assert_eq!(stalled[0]["data"]["risk_level"], "MEDIUM");
    let (letters, _) = raised_and_resolved(&env, "dead_letters").await;
    assert_eq!(letters.len(), 1);
    assert_eq!(letters[0]["data"]["risk_level"], "HIGH");

    // Whoever runs the platform sees them; a user does not.
    let admin = env.account("admin", Role::Admin).await;
    let user = env.account("user", Role::User).await;
    let list = || Call::new("insights/list").query(&[("entity", "queue")]);
    let listed = env.call(list().by(&admin)).await;
    assert_eq!(
        listed.body["items"].as_array().unwrap().len(),
        2,
        "{}",
        listed.body
    );
    let hidden = env.call(list().by(&user)).await;
    assert_eq!(hidden.body["items"], json!([]));

    // The consumer catches up and the letters are redriven: both resolve.
    for url in [&work, &dead] {
        sqs.purge_queue().queue_url(url).send().await.unwrap();
    }
    assert_eq!(sweep(7).await.unwrap().done, 2);
    for source in ["stalled_queue", "dead_letters"] {
        let (_, resolved) = raised_and_resolved(&env, source).await;
        assert_eq!(resolved.len(), 1, "{source}");
        assert_eq!(resolved[0]["data"]["note"], "The condition cleared.");
    }
    assert_eq!(sweep(8).await.unwrap(), Default::default());
}

#[tokio::test]
async fn a_queue_that_cannot_be_probed_fails_the_run_and_keeps_its_findings() {
    let env = crate::env().await;
    let store = env.owned_app().store;
    let sqs = queues::sqs_client().await;
    let dead = queues::fresh_queue(&sqs, "detector-dlq").await;
    send(&sqs, &dead, 0).await;
    let now = opsflow_platform::clock::now();
    let probe = QueueProbe::new(sqs.clone(), vec![WatchedQueue::new(&dead, true)]);
    assert_eq!(
        queue_detectors::sweep_queues(&store, &probe, now, "t")
            .await
            .unwrap()
            .done,
        1
    );
    sqs.delete_queue().queue_url(&dead).send().await.unwrap();
    let report = queue_detectors::sweep_queues(&store, &probe, now, "t")
        .await
        .unwrap();
    assert_eq!((report.done, report.failed), (0, 1));
    let (_, resolved) = raised_and_resolved(&env, "dead_letters").await;
    assert!(resolved.is_empty(), "an unknown state resolves nothing");
}

async fn send(sqs: &aws_sdk_sqs::Client, url: &str, n: usize) {
    sqs.send_message()
        .queue_url(url)
        .message_body(format!("message {n}"))
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn a_burst_of_failed_sign_ins_raises_one_insight_until_it_tails_off() {
    let env = crate::env().await;
    let store = env.owned_app().store;
    let (_, email) = env.register("target").await;
    // Failed sign-ins through the route, from several addresses, on an
    // account and on an address no account has; a throttled or right
    // password counts nothing.
    for (n, address) in [email.as_str(), email.as_str(), "nobody@example.com"]
        .into_iter()
        .enumerate()
    {
        let refused = env
            .call(
                Call::new("auth/login")
                    .ip(&format!("192.0.2.{}", 10 + n))
                    .body(json!({"email": address, "password": "not the password"})),
            )
            .await;
        assert_eq!(refused.status, 401, "{}", refused.body);
    }
    let now = opsflow_platform::clock::now();
    let counted = opsflow_identity::service::signals::recent_failed_logins(&store, now)
        .await
        .unwrap();
    assert_eq!(counted, 3);
    let sweep = |at: OffsetDateTime| logins::sweep_failed_logins(&store, at, "t");
    assert_eq!(sweep(now).await.unwrap().done, 0, "3 is no burst");
    for _ in 3..25 {
        opsflow_identity::service::signals::count_failed_login(&store, now)
            .await
            .unwrap();
    }
    assert_eq!(sweep(now).await.unwrap().done, 1);
    assert_eq!(sweep(now).await.unwrap().done, 0);
    let (raised, _) = raised_and_resolved(&env, "failed_logins").await;
    assert_eq!(raised.len(), 1);
    assert_eq!(raised[0]["data"]["risk_level"], "MEDIUM");
    assert_eq!(raised[0]["data"]["factors"][0]["value"], 20);
    // Ten minutes on, both windows have passed: resolved.
    assert_eq!(sweep(now + Duration::minutes(11)).await.unwrap().done, 1);
    let (_, resolved) = raised_and_resolved(&env, "failed_logins").await;
    assert_eq!(resolved.len(), 1);
}

#[tokio::test]
async fn a_rule_that_keeps_failing_raises_one_insight_until_it_stops() {
    let env = crate::env().await;
    let store = env.owned_app().store;
    let rule = EntityId::new();
    let now = opsflow_platform::clock::now();
    let failed_run = |event: EntityId| {
        RunRecord::new(
            RunSubject {
                event_id: event,
                event_type: "approval.created".into(),
                rule_id: rule,
                rule_name: "Notify finance".into(),
                depth: 1,
                correlation_id: "t".into(),
                started_at: now,
            },
            RunEnd {
                status: RunStatus::Failed,
                reason: Some("action 0 (notify) failed: no such user".into()),
                evaluation: None,
                actions: Vec::new(),
                attempts: 1,
                finished_at: now,
            },
        )
        .unwrap()
    };
    let sweep = |at: OffsetDateTime| rules::sweep_failing_rules(&store, at, "t");
    let mut runs = Vec::new();
    for _ in 0..4 {
        let run = failed_run(EntityId::new());
        store.put_run(&run).await.unwrap();
        runs.push(run);
    }
    // A run recorded twice counts once: four failures are no finding yet.
    store.put_run(&runs[0]).await.unwrap();
    assert_eq!(sweep(now).await.unwrap().done, 0);
    store.put_run(&failed_run(EntityId::new())).await.unwrap();
    assert_eq!(sweep(now).await.unwrap().done, 1);
    assert_eq!(sweep(now).await.unwrap().done, 0);
    let (raised, _) = raised_and_resolved(&env, "failing_rule").await;
    assert_eq!(raised.len(), 1);
    let data = &raised[0]["data"];
    assert_eq!(data["entity"], "rule");
    assert_eq!(data["entity_id"], rule.to_string());
    assert_eq!(data["title"], "Failing rule: Notify finance");
    assert!(data["description"]
        .as_str()
        .unwrap()
        .contains("no such user"));
    // Half an hour without a failure: resolved.
    assert_eq!(sweep(now + Duration::minutes(31)).await.unwrap().done, 1);
    let (_, resolved) = raised_and_resolved(&env, "failing_rule").await;
    assert_eq!(resolved.len(), 1);
}
