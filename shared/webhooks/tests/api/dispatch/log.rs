//! The delivery log: what each delivery sent and got back, newest first,
//! and a redelivery of one that ended.

use super::*;

fn at(fixture: &str, hook: &EntityId, delivery: Option<&str>) -> Call {
    let hook = hook.to_string();
    let mut params = vec![("id", hook.as_str())];
    if let Some(delivery) = delivery {
        params.push(("delivery_id", delivery));
    }
    Call::new(fixture).path_params(&params)
}

#[tokio::test]
async fn the_log_shows_each_attempt_and_a_redelivery_sends_the_same_payload_again() {
    let bench = bench().await;
    let (receiver, base) = Receiver::start(&[410]).await;
    let (hook, _) = bench
        .subscribe(&format!("{base}/in"), json!({"events": ["approval.*"]}))
        .await;
    let rejected = event("approval.rejected");
    bench.dispatch(vec![text(&rejected)]).await;
    bench.run_queue().await;

    let log = bench
        .env
        .call(at("webhooks/deliveries", &hook, None).by(&bench.admin))
        .await;
    assert_eq!(log.status, 200, "{}", log.body);
    let items = log.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    let failed = &items[0];
    assert_eq!(failed["status"], "failed");
    assert_eq!(failed["event"], "approval.rejected");
    assert_eq!(failed["message_id"], rejected.id.to_string());
    assert!(
        failed.get("payload").is_none(),
        "a page leaves payloads out"
    );
    let attempt = &failed["attempts"][0];
    assert_eq!(attempt["outcome"], "answered");
    assert_eq!(attempt["response_status"], 410);
    assert_eq!(attempt["response_body"], "answered");
    assert!(attempt["latency_ms"].is_u64());
    assert!(attempt["at"].is_string());
    let failed_id = failed["id"].as_str().unwrap();
    let one = bench
        .env
        .call(at("webhooks/delivery", &hook, Some(failed_id)).by(&bench.admin))
        .await;
    assert_eq!(one.status, 200, "{}", one.body);
    assert_eq!(one.body["payload"]["data"], rejected.data);
    assert_eq!(one.body["payload"]["event"], "approval.rejected");
    assert_eq!(one.body["attempts"], failed["attempts"]);

    let again = bench
        .env
        .call(at("webhooks/redeliver", &hook, Some(failed_id)).by(&bench.admin))
        .await;
    assert_eq!(again.status, 202, "{}", again.body);
    let new_id = again.body["delivery_id"].as_str().unwrap().to_owned();
    assert_ne!(new_id, failed_id);
    let requested = bench.env.events_of_type("webhook.redelivered").await;
    assert_eq!(requested.len(), 1);
    assert_eq!(requested[0]["data"]["redelivery_of"], failed_id);
    bench.dispatch(vec![requested[0].to_string()]).await;
    assert_eq!(bench.run_queue().await, 1);

    let received = receiver.received();
    assert_eq!(received.len(), 2);
    assert_eq!(received[1].body, received[0].body, "the same payload");
    assert_eq!(received[1].header("webhook-id"), rejected.id.to_string());
    let log = bench
        .env
        .call(at("webhooks/deliveries", &hook, None).by(&bench.admin))
        .await;
    let statuses: Vec<(&str, &str)> = log.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["id"].as_str().unwrap(), d["status"].as_str().unwrap()))
        .collect();
    assert_eq!(
        statuses,
        [(new_id.as_str(), "delivered"), (failed_id, "failed")]
    );
}

#[tokio::test]
async fn a_delivery_still_being_attempted_or_of_an_inactive_subscription_is_not_redelivered() {
    let bench = bench().await;
    let (_receiver, base) = Receiver::start(&[500, 410]).await;
    let (hook, _) = bench
        .subscribe(&format!("{base}/in"), json!({"events": ["*"]}))
        .await;
    let first = event("approval.rejected");
    bench.dispatch(vec![text(&first)]).await;
    bench
        .dispatch(bench.queued().await.iter().map(AttemptDue::body).collect())
        .await;
    let retrying = bench.delivery(hook, &first).await;
    assert_eq!(retrying.status, Status::Retrying);
    let id = retrying.id.to_string();
    let reply = bench
        .env
        .call(at("webhooks/redeliver", &hook, Some(&id)).by(&bench.admin))
        .await;
    assert_eq!(reply.status, 409, "{}", reply.body);

    let second = event("approval.created");
    bench.dispatch(vec![text(&second)]).await;
    bench.run_queue().await;
    let failed = bench.delivery(hook, &second).await;
    assert_eq!(failed.status, Status::Failed);
    let off = bench
        .env
        .call(
            Call::new("webhooks/patch")
                .resource_id("api/v1/webhooks", &hook.to_string())
                .by(&bench.admin)
                .body(json!({"active": false})),
        )
        .await;
    assert_eq!(off.status, 200, "{}", off.body);
    let reply = bench
        .env
        .call(at("webhooks/redeliver", &hook, Some(&failed.id.to_string())).by(&bench.admin))
        .await;
    assert_eq!(reply.status, 409, "{}", reply.body);
    assert!(bench
        .env
        .events_of_type("webhook.redelivered")
        .await
        .is_empty());
}

#[tokio::test]
async fn the_log_is_paged_newest_first_and_unknown_deliveries_are_404() {
    let bench = bench().await;
    let (_receiver, base) = Receiver::start(&[]).await;
    let (hook, _) = bench
        .subscribe(&format!("{base}/in"), json!({"events": ["*"]}))
        .await;
    let mut made = Vec::new();
    for _ in 0..3 {
        let e = event("approval.created");
        bench.dispatch(vec![text(&e)]).await;
        made.push(bench.delivery(hook, &e).await.id.to_string());
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    made.reverse();
    let page = |cursor: Option<&str>| {
        let mut pairs = vec![("limit", "2")];
        if let Some(cursor) = cursor {
            pairs.push(("cursor", cursor));
        }
        at("webhooks/deliveries", &hook, None)
            .by(&bench.admin)
            .query(&pairs)
    };
    let first = bench.env.call(page(None)).await;
    assert_eq!(first.status, 200, "{}", first.body);
    let cursor = first.body["next_cursor"].as_str().unwrap().to_owned();
    let second = bench.env.call(page(Some(&cursor))).await;
    let mut ids = crate::helpers::page_column(&first.body, "id");
    ids.extend(crate::helpers::page_column(&second.body, "id"));
    assert_eq!(ids, made);
    assert!(second.body["next_cursor"].is_null());

    let nowhere = "0193b2a4-7a00-7b00-8c00-0000000000e9";
    for (fixture, delivery) in [
        ("webhooks/delivery", nowhere),
        ("webhooks/delivery", "not-an-id"),
        ("webhooks/redeliver", nowhere),
    ] {
        let reply = bench
            .env
            .call(at(fixture, &hook, Some(delivery)).by(&bench.admin))
            .await;
        assert_eq!(reply.status, 404, "{fixture} {delivery}: {}", reply.body);
    }
    let other = EntityId::new();
    let reply = bench
        .env
        .call(at("webhooks/delivery", &other, Some(&made[0])).by(&bench.admin))
        .await;
    assert_eq!(reply.status, 404, "another subscription's id finds nothing");
    let bad = bench
        .env
        .call(
            at("webhooks/deliveries", &hook, None)
                .by(&bench.admin)
                .query(&[("status", "x")]),
        )
        .await;
    assert_eq!(bad.status, 400, "{}", bad.body);
}
