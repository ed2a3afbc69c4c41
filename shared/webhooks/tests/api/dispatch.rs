//! The dispatcher on DynamoDB Local and moto, delivering to a receiver on
//! loopback: fan-out to the subscriptions that want an event, signed
//! deliveries with the seed's body, retries, failures, disabling, and the
//! address policy at delivery time.

use crate::helpers::queues::{drain, fresh_queue, sqs_client};
use crate::helpers::{Account, Call, TestEnv};
use crate::receiver::{Received, Receiver};
use aws_lambda_events::event::sqs::{SqsEvent, SqsMessage};
use opsflow_platform::domain::{EntityId, Role};
use opsflow_platform::events::{Actor, Envelope, Notice, WebhookTopic};
use opsflow_webhooks::domain::delivery::{delivery_id, Status};
use opsflow_webhooks::domain::signing::{verify, Secret};
use opsflow_webhooks::domain::target::AllowList;
use opsflow_webhooks::pipeline::message::AttemptDue;
use opsflow_webhooks::pipeline::send::{Addresses, Lookup, Sender};
use opsflow_webhooks::pipeline::Dispatcher;
use opsflow_webhooks::store::{DeliveryStore, SubscriptionStore};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;

mod log;

/// A test's platform: the environment, an admin, the dispatcher and its
/// queue.
struct Bench {
    env: TestEnv,
    admin: Account,
    dispatcher: Dispatcher,
    sqs: aws_sdk_sqs::Client,
    queue: String,
}

/// Names resolve to 10.0.0.1 (a private address).
struct PrivateNames;

impl Lookup for PrivateNames {
    fn lookup(&self, _host: &str) -> Addresses {
        Box::pin(async { Ok(vec!["10.0.0.1".parse().unwrap()]) })
    }
}

async fn bench_with(lookup: Option<Arc<dyn Lookup>>, timeout: Duration) -> Bench {
    bench_allowing("127.0.0.1", lookup, timeout).await
}

/// A bench whose dispatcher allows `hosts` (the API always allows
/// `127.0.0.1`).
async fn bench_allowing(hosts: &str, lookup: Option<Arc<dyn Lookup>>, timeout: Duration) -> Bench {
    let env = crate::env().await;
    let admin = env.account("admin", Role::Admin).await;
    let sqs = sqs_client().await;
    let queue = fresh_queue(&sqs, "webhooks").await;
    let allow = AllowList::parse(hosts);
    let sender = match lookup {
        Some(lookup) => Sender::with(allow.clone(), lookup, timeout).unwrap(),
        None => Sender::with(
            allow.clone(),
            Arc::new(opsflow_webhooks::pipeline::send::SystemLookup),
            timeout,
        )
        .unwrap(),
    };
    let dispatcher = Dispatcher::new(
        env.owned_app().store,
        sqs.clone(),
        queue.clone(),
        allow,
        sender,
    );
    Bench {
        env,
        admin,
        dispatcher,
        sqs,
        queue,
    }
}

async fn bench() -> Bench {
    bench_with(None, Duration::from_secs(5)).await
}

impl Bench {
    /// Subscribes `url` to `body`'s interests; its id and secret.
    async fn subscribe(&self, url: &str, interests: Value) -> (EntityId, Secret) {
        let mut body = interests;
        body["url"] = json!(url);
        let reply = self
            .env
            .call(Call::new("webhooks/create").by(&self.admin).body(body))
            .await;
        assert_eq!(reply.status, 201, "{}", reply.body);
        let id = EntityId::parse(reply.body["id"].as_str().unwrap()).unwrap();
        (
            id,
            Secret::parse(reply.body["secret"].as_str().unwrap()).unwrap(),
        )
    }

    /// Hands `bodies` to the dispatcher as one batch; asserts none failed.
    async fn dispatch(&self, bodies: Vec<String>) {
        let mut event = SqsEvent::default();
        for (n, body) in bodies.into_iter().enumerate() {
            let mut message = SqsMessage::default();
            message.message_id = Some(format!("m-{n}"));
            message.body = Some(body);
            event.records.push(message);
        }
        let response = self.dispatcher.handle_batch(&event).await;
        assert!(response.batch_item_failures.is_empty(), "{response:?}");
    }

    /// The attempt messages waiting on the queue.
    async fn queued(&self) -> Vec<AttemptDue> {
        let mut due = Vec::new();
        for message in drain(&self.sqs, &self.queue).await {
            let body: Value = serde_json::from_str(message.body().unwrap()).unwrap();
            due.push(serde_json::from_value(body["attempt"].clone()).unwrap());
        }
        due
    }

    /// The attempt messages that become visible within `wait` (moto keeps
    /// a delayed message hidden until its delay ends).
    async fn queued_after(&self, wait: Duration) -> Vec<AttemptDue> {
        let started = std::time::Instant::now();
        loop {
            let due = self.queued().await;
            if !due.is_empty() || started.elapsed() > wait {
                return due;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// Runs every queued attempt message, and those they queue that are due
    /// now, until none is left.
    async fn run_queue(&self) -> usize {
        let mut ran = 0;
        loop {
            let due = self.queued().await;
            if due.is_empty() {
                return ran;
            }
            ran += due.len();
            self.dispatch(due.iter().map(AttemptDue::body).collect())
                .await;
        }
    }

    async fn delivery(
        &self,
        webhook: EntityId,
        event: &Envelope,
    ) -> opsflow_webhooks::store::deliveries::DeliveryRecord {
        let id = delivery_id(&event.id, &webhook, event.occurred_at);
        self.dispatcher
            .store
            .delivery_by_id(&webhook, &id)
            .await
            .unwrap()
            .expect("the delivery")
    }
}

fn event(event_type: &str) -> Envelope {
    Envelope::new(
        event_type,
        "approval",
        EntityId::new(),
        Actor::system(),
        "c-1",
        json!({"title": "Chairs", "status": "REJECTED"}),
    )
}

fn text(envelope: &Envelope) -> String {
    serde_json::to_string(envelope).unwrap()
}

/// Asserts `received` is a signed delivery of `event` verified by `secret`.
fn assert_signed(received: &Received, secret: &Secret, id: &str) {
    assert_eq!(received.header("content-type"), "application/json");
    assert!(received.header("user-agent").contains("Opsflow"));
    assert_eq!(received.header("webhook-id"), id);
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    verify(
        &[secret],
        id,
        received.header("webhook-timestamp"),
        received.header("webhook-signature"),
        &received.body,
        now,
    )
    .expect("the signature verifies");
    let mut changed = received.body.clone();
    changed.push(b' ');
    assert!(verify(
        &[secret],
        id,
        received.header("webhook-timestamp"),
        received.header("webhook-signature"),
        &changed,
        now
    )
    .is_err());
}

#[tokio::test]
async fn an_event_and_a_notice_reach_the_subscriptions_that_want_them_once_each() {
    let bench = bench().await;
    let (receiver, base) = Receiver::start(&[]).await;
    let (wanted, secret) = bench
        .subscribe(
            &format!("{base}/a"),
            json!({"events": ["approval.rejected"], "topics": ["ops.alerts"]}),
        )
        .await;
    bench
        .subscribe(&format!("{base}/b"), json!({"events": ["order.*"]}))
        .await;
    bench
        .subscribe(
            &format!("{base}/c"),
            json!({"events": ["*"], "active": false}),
        )
        .await;

    let rejected = event("approval.rejected");
    let notice = Notice {
        id: EntityId::new(),
        topic: WebhookTopic::parse("ops.alerts").unwrap(),
        event: rejected.clone(),
    };
    bench
        .dispatch(vec![
            text(&rejected),
            serde_json::to_string(&notice).unwrap(),
        ])
        .await;
    assert_eq!(bench.run_queue().await, 2, "one attempt per delivery");

    let mut received = receiver.received();
    received.sort_by_key(|r| r.json().get("topic").is_some());
    assert_eq!(received.len(), 2, "{received:?}");
    assert!(received.iter().all(|r| r.path == "/a"));
    let body = received[0].json();
    assert_eq!(body["event"], "approval.rejected");
    assert_eq!(body["data"], rejected.data);
    assert_eq!(body["id"], rejected.id.to_string());
    assert!(body["timestamp"].is_string());
    assert_signed(&received[0], &secret, &rejected.id.to_string());
    assert_eq!(received[1].json()["topic"], "ops.alerts");
    assert_signed(&received[1], &secret, &notice.id.to_string());

    // The same event again, and its attempt again: nothing more is sent.
    bench.dispatch(vec![text(&rejected)]).await;
    assert_eq!(bench.run_queue().await, 0);
    let again = AttemptDue {
        webhook_id: wanted,
        delivery_id: delivery_id(&rejected.id, &wanted, rejected.occurred_at),
        attempt: 1,
        due_at: time::OffsetDateTime::now_utc(),
    };
    bench.dispatch(vec![again.body()]).await;
    assert_eq!(receiver.received().len(), 2);
    let delivery = bench.delivery(wanted, &rejected).await;
    assert_eq!(delivery.status, Status::Delivered);
    assert_eq!(delivery.attempts.len(), 1);
    assert_eq!(delivery.attempts[0].response_status, Some(200));
}

#[tokio::test]
async fn a_receiver_failing_twice_gets_the_delivery_on_the_third_attempt() {
    let bench = bench().await;
    let (receiver, base) = Receiver::start(&[500, 503, 200]).await;
    let (hook, _) = bench
        .subscribe(&format!("{base}/in"), json!({"events": ["approval.*"]}))
        .await;
    let rejected = event("approval.rejected");
    bench.dispatch(vec![text(&rejected)]).await;
    assert_eq!(bench.run_queue().await, 1);
    let after_first = bench.delivery(hook, &rejected).await;
    assert_eq!(after_first.status, Status::Retrying);
    let wait = after_first.next_attempt_at.unwrap() - after_first.attempts[0].at;
    assert!(
        (4_000..=6_000).contains(&wait.whole_milliseconds()),
        "5 s ± 20 %: {wait}"
    );

    // The second attempt waits on the queue for its delay.
    let second = bench.queued_after(Duration::from_secs(10)).await;
    assert_eq!(second.len(), 1, "the retry was queued");
    assert_eq!(second[0].attempt, 2);
    bench.dispatch(vec![second[0].body()]).await;
    let after_second = bench.delivery(hook, &rejected).await;
    assert_eq!(after_second.status, Status::Retrying);
    let wait = after_second.next_attempt_at.unwrap() - after_second.attempts[1].at;
    assert!(
        (48..=72).contains(&wait.whole_seconds()),
        "1 min ± 20 %: {wait}"
    );

    // The third attempt, as its message arrives when due.
    let third = AttemptDue {
        attempt: 3,
        due_at: time::OffsetDateTime::now_utc(),
        ..second[0].clone()
    };
    bench.dispatch(vec![third.body()]).await;
    let delivered = bench.delivery(hook, &rejected).await;
    assert_eq!(delivered.status, Status::Delivered);
    let statuses: Vec<_> = delivered
        .attempts
        .iter()
        .map(|a| a.response_status)
        .collect();
    assert_eq!(statuses, [Some(500), Some(503), Some(200)]);
    assert_eq!(receiver.received().len(), 3);
    // The same event id on every attempt.
    let ids: Vec<String> = receiver
        .received()
        .iter()
        .map(|r| r.header("webhook-id").to_owned())
        .collect();
    assert!(ids.iter().all(|id| *id == rejected.id.to_string()));
}

#[tokio::test]
async fn a_410_fails_at_once_and_the_fifteenth_failure_in_a_row_disables_the_subscription() {
    let bench = bench().await;
    let (receiver, base) = Receiver::start(&[410; 16]).await;
    let (hook, _) = bench
        .subscribe(&format!("{base}/gone"), json!({"events": ["*"]}))
        .await;
    let first = event("approval.rejected");
    bench.dispatch(vec![text(&first)]).await;
    assert_eq!(bench.run_queue().await, 1, "no retry after a 410");
    let delivery = bench.delivery(hook, &first).await;
    assert_eq!(delivery.status, Status::Failed);
    assert_eq!(delivery.attempts[0].response_status, Some(410));
    let store = &bench.dispatcher.store;
    let counted = store.subscription_by_id(&hook).await.unwrap().unwrap();
    assert_eq!(counted.failed_in_a_row, 1);
    assert_eq!(counted.version, 1, "counting leaves the version alone");

    for _ in 1..15 {
        bench.dispatch(vec![text(&event("approval.created"))]).await;
        bench.run_queue().await;
    }
    let disabled = store.subscription_by_id(&hook).await.unwrap().unwrap();
    assert!(!disabled.active);
    assert_eq!(disabled.failed_in_a_row, 15);
    assert!(disabled.disabled_at.is_some());
    let events = bench.env.events_of_type("webhook.disabled").await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["entity_id"], hook.to_string());
    // Off now: nothing more goes out.
    bench.dispatch(vec![text(&event("approval.created"))]).await;
    assert_eq!(bench.run_queue().await, 0);
    assert_eq!(receiver.received().len(), 15);
}

#[tokio::test]
async fn a_receiver_that_never_answers_times_out_and_is_retried() {
    let bench = bench_with(None, Duration::from_millis(300)).await;
    let (receiver, base) = Receiver::start(&[]).await;
    receiver.hang();
    let (hook, _) = bench
        .subscribe(&format!("{base}/slow"), json!({"events": ["*"]}))
        .await;
    let rejected = event("approval.rejected");
    bench.dispatch(vec![text(&rejected)]).await;
    bench
        .dispatch(bench.queued().await.iter().map(AttemptDue::body).collect())
        .await;
    let delivery = bench.delivery(hook, &rejected).await;
    assert_eq!(delivery.status, Status::Retrying);
    assert_eq!(
        serde_json::to_value(delivery.attempts[0].outcome).unwrap(),
        "timed_out"
    );
}

#[tokio::test]
async fn a_name_resolving_to_a_private_address_and_a_redirect_are_refused_at_delivery() {
    let bench = bench_with(Some(Arc::new(PrivateNames)), Duration::from_secs(5)).await;
    let (hook, _) = bench
        .subscribe("https://hooks.example.com/in", json!({"events": ["*"]}))
        .await;
    let (receiver, base) = Receiver::start(&[302]).await;
    let (redirected, _) = bench
        .subscribe(&format!("{base}/moved"), json!({"events": ["*"]}))
        .await;
    let rejected = event("approval.rejected");
    bench.dispatch(vec![text(&rejected)]).await;
    assert_eq!(bench.run_queue().await, 2, "no retry for either");
    let refused = bench.delivery(hook, &rejected).await;
    assert_eq!(refused.status, Status::Failed);
    assert_eq!(
        serde_json::to_value(refused.attempts[0].outcome).unwrap(),
        "refused"
    );
    let problem = refused.attempts[0].problem.clone().unwrap_or_default();
    assert!(problem.contains("10.0.0.1"), "{problem}");
    let moved = bench.delivery(redirected, &rejected).await;
    assert_eq!(moved.status, Status::Failed);
    assert_eq!(moved.attempts[0].response_status, Some(302));
    assert_eq!(receiver.received().len(), 1, "the redirect is not followed");
}

#[tokio::test]
async fn a_ping_goes_to_its_subscription_alone_even_when_inactive() {
    let bench = bench().await;
    let (receiver, base) = Receiver::start(&[]).await;
    let (hook, secret) = bench
        .subscribe(
            &format!("{base}/ping"),
            json!({"events": ["order.*"], "active": false}),
        )
        .await;
    bench
        .subscribe(&format!("{base}/other"), json!({"events": ["*"]}))
        .await;
    let ping = bench
        .env
        .call(
            Call::new("webhooks/ping")
                .resource_id("api/v1/webhooks", &hook.to_string())
                .by(&bench.admin),
        )
        .await;
    assert_eq!(ping.status, 202, "{}", ping.body);
    let events = bench.env.events_of_type("webhook.ping").await;
    bench.dispatch(vec![events[0].to_string()]).await;
    bench.run_queue().await;
    let received = receiver.received();
    assert_eq!(received.len(), 1, "{received:?}");
    assert_eq!(received[0].path, "/ping");
    assert_eq!(received[0].json()["event"], "webhook.ping");
    assert_signed(&received[0], &secret, events[0]["id"].as_str().unwrap());
    let delivery = bench
        .dispatcher
        .store
        .delivery_by_id(
            &hook,
            &EntityId::parse(ping.body["delivery_id"].as_str().unwrap()).unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(
        delivery.map(|d| d.status),
        Some(Status::Delivered),
        "the id the ping answered"
    );
}

#[tokio::test]
async fn a_url_the_policy_no_longer_allows_is_refused_at_delivery() {
    // The API allowed loopback when the subscription was made; the
    // dispatcher's allow-list does not.
    let bench = bench_allowing("", None, Duration::from_secs(5)).await;
    let (receiver, base) = Receiver::start(&[]).await;
    let (hook, _) = bench
        .subscribe(&format!("{base}/in"), json!({"events": ["*"]}))
        .await;
    let rejected = event("approval.rejected");
    bench.dispatch(vec![text(&rejected)]).await;
    assert_eq!(bench.run_queue().await, 1);
    let refused = bench.delivery(hook, &rejected).await;
    assert_eq!(refused.status, Status::Failed);
    assert_eq!(
        serde_json::to_value(refused.attempts[0].outcome).unwrap(),
        "refused"
    );
    assert!(receiver.received().is_empty(), "no connection is made");
}

#[tokio::test]
async fn during_a_rotation_a_delivery_verifies_with_the_old_secret_and_the_new() {
    let bench = bench().await;
    let (receiver, base) = Receiver::start(&[]).await;
    let (hook, old) = bench
        .subscribe(&format!("{base}/in"), json!({"events": ["*"]}))
        .await;
    let rotated = bench
        .env
        .call(
            Call::new("webhooks/rotate-secret")
                .resource_id("api/v1/webhooks", &hook.to_string())
                .by(&bench.admin),
        )
        .await;
    assert_eq!(rotated.status, 200, "{}", rotated.body);
    let new = Secret::parse(rotated.body["secret"].as_str().unwrap()).unwrap();
    let rejected = event("approval.rejected");
    bench.dispatch(vec![text(&rejected)]).await;
    bench.run_queue().await;
    let received = &receiver.received()[0];
    assert_eq!(received.header("webhook-signature").split(' ').count(), 2);
    assert_signed(received, &old, &rejected.id.to_string());
    assert_signed(received, &new, &rejected.id.to_string());
}

#[tokio::test]
async fn a_message_that_cannot_be_handled_is_named_alone_in_the_batch_response() {
    let bench = bench().await;
    let (receiver, base) = Receiver::start(&[]).await;
    let (hook, _) = bench
        .subscribe(&format!("{base}/in"), json!({"events": ["*"]}))
        .await;
    // A delivery made, its first attempt waiting.
    let first = event("approval.rejected");
    bench.dispatch(vec![text(&first)]).await;
    let waiting = bench.queued().await;
    assert_eq!(waiting.len(), 1);
    // A dispatcher whose queue is gone can make that attempt (a 200 needs
    // no follow-up) but cannot fan a new event out.
    let broken = Dispatcher::new(
        bench.env.owned_app().store,
        bench.sqs.clone(),
        format!("{}-gone", bench.queue),
        AllowList::parse("127.0.0.1"),
        Sender::new(AllowList::parse("127.0.0.1")).unwrap(),
    );
    let second = event("approval.created");
    let mut batch = SqsEvent::default();
    for (id, body) in [
        ("fan-out", text(&second)),
        ("attempt", waiting[0].body()),
        ("unreadable", "{\"attempt\": 1}".to_owned()),
    ] {
        let mut message = SqsMessage::default();
        message.message_id = Some(id.into());
        message.body = Some(body);
        batch.records.push(message);
    }
    let response = broken.handle_batch(&batch).await;
    let failed: Vec<&str> = response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.as_str())
        .collect();
    assert_eq!(failed, ["fan-out", "unreadable"]);
    assert_eq!(bench.delivery(hook, &first).await.status, Status::Delivered);
    assert_eq!(receiver.received().len(), 1);
    // Retried where the queue exists, the fan-out completes.
    bench.dispatch(vec![text(&second)]).await;
    assert_eq!(bench.run_queue().await, 1);
    assert_eq!(receiver.received().len(), 2);
}

#[tokio::test]
async fn reserved_namespaces_reach_only_a_subscription_that_names_them() {
    let bench = bench().await;
    let (receiver, base) = Receiver::start(&[]).await;
    bench
        .subscribe(&format!("{base}/all"), json!({"events": ["*"]}))
        .await;
    bench
        .subscribe(&format!("{base}/hooks"), json!({"events": ["webhook.*"]}))
        .await;
    let mut created = event("webhook.created");
    created.entity = "webhook".into();
    bench
        .dispatch(vec![text(&created), text(&event("client.exported"))])
        .await;
    bench.run_queue().await;
    let paths: Vec<String> = receiver.received().iter().map(|r| r.path.clone()).collect();
    assert_eq!(paths, ["/hooks"]);
}

#[tokio::test]
async fn a_copy_of_a_claimed_attempt_stops_and_the_next_attempt_waits_for_the_claim() {
    let bench = bench().await;
    let (receiver, base) = Receiver::start(&[]).await;
    let (hook, _) = bench
        .subscribe(&format!("{base}/in"), json!({"events": ["*"]}))
        .await;
    let rejected = event("approval.rejected");
    bench.dispatch(vec![text(&rejected)]).await;
    let first = bench.queued().await.remove(0);
    // Another dispatcher holds the delivery for its first attempt.
    let mut record = bench.delivery(hook, &rejected).await;
    let now = opsflow_platform::clock::now();
    record.claimed_until = Some(now + time::Duration::seconds(2));
    bench
        .dispatcher
        .store
        .update_delivery(&mut record, now)
        .await
        .unwrap();

    bench.dispatch(vec![first.body()]).await;
    assert!(bench.queued().await.is_empty(), "a copy stops");
    let next = AttemptDue {
        attempt: 2,
        ..first.clone()
    };
    bench.dispatch(vec![next.body()]).await;
    assert!(
        receiver.received().is_empty(),
        "nothing is sent while claimed"
    );
    let requeued = bench.queued_after(Duration::from_secs(10)).await;
    assert_eq!(requeued.len(), 1, "the next attempt comes back");
    assert_eq!(requeued[0].attempt, 2);
    assert!(requeued[0].due_at > now + time::Duration::seconds(2));
}
