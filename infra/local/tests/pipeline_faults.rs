//! The event pipeline never loses or duplicates an event, under injected
//! failures, with every real piece in place: changes committed through the
//! store's outbox transactions on DynamoDB Local; the local stream mapping
//! (`sources::stream`) invoking the real `Router::route`; moto queues, the
//! audit queue redriven to a dead-letter queue after `maxReceiveCount` 5 as
//! in `template.yaml`; and the local SQS mapping (`sources::sqs`, with
//! `ReportBatchItemFailures`) invoking the real `audit_writer::write_batch`
//! on a real audit table.
//!
//! Injected:
//! - Between the router and SQS, a proxy (`faults::sqs_proxy`) removes
//!   chosen envelopes from each `SendMessageBatch` before moto sees it and
//!   reports them in the response's `Failed` list. Every third envelope is
//!   refused fewer times than the router tries per invocation, so its own
//!   retry gets it through; one envelope is refused once more than that,
//!   so the router reports its stream record as failed and the stream
//!   mapping retries from there. The first batches to the automation queue
//!   get HTTP 500, as many times in a row as the SDK attempts a call, so
//!   the SDK gives up and the router has to resend the batch itself.
//! - In the audit writer (`faults::functions`), the messages of every
//!   fourth envelope are reported as batch item failures, unwritten, on
//!   their first deliveries, so only the queue's redelivery brings them
//!   through; and the first invocation that writes records then fails as a
//!   whole, as a crash after the writes would, so its batch is redelivered.
//! - One message in the audit queue is not an envelope.
//!
//! Proved: every committed change ends with exactly one audit record; no
//! record exists for a change that did not commit; the automation and
//! webhooks queues receive every envelope; the poisoned message is delivered
//! `maxReceiveCount` times, writes nothing and ends in the dead-letter
//! queue; and each injected fault did happen.
//!
//! A second test commits poisoned changes ahead of twenty normal ones, with
//! an SQS in front of moto that refuses for good what SQS refuses (a
//! character outside its set, such as U+FFFF) and one envelope whatever
//! its contents, and the stream mapping configured as in the template.
//! Proved: the twenty are all audited, once; the envelope with U+FFFF is
//! delivered escaped and reads back unchanged; the one refused for good is
//! in the quarantine with its reason and text; nothing is sent twice and
//! the stream never retries.
//!
//! Invariant: everything a test creates is deleted before its assertions
//! run.

mod faults;
mod support;

use aws_sdk_sqs::config::retry::RetryConfig;
use base64::Engine;
use faults::changes;
use faults::emulators::Resources;
use faults::envelope_id;
use faults::mappings::Mappings;
use faults::sqs_proxy::SqsProxy;
use opsflow_platform::pipeline::router::SEND_ATTEMPTS;
use opsflow_platform::store::{emulator_sdk_config, Store};
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;
use support::wait_until;

/// The audit queue's redrive policy, as in `template.yaml`.
const MAX_RECEIVE_COUNT: u32 = 5;
/// The audit queue's visibility timeout here (60 s in the template), so
/// that failed messages come back quickly.
const VISIBILITY_SECS: u32 = 1;
/// Deliveries of a flaky audit message that fail before one may succeed;
/// the delivery after them must come within `MAX_RECEIVE_COUNT`.
const AUDIT_FAILURES: u32 = 3;
/// Attempts per call of the router's SQS client: the SDK's standard retry
/// mode, as on Lambda, pinned here because `SERVER_ERRORS` depends on it.
const SDK_ATTEMPTS: u32 = 3;
/// Consecutive HTTP 500s for batches to the automation queue: as many as
/// the SDK attempts, so the SDK gives up once and the router's own retry
/// has to resend the batch.
const SERVER_ERRORS: u32 = SDK_ATTEMPTS;
/// The committed changes: users registered, roles changed, client reports.
const REGISTRATIONS: usize = 20;
const PROMOTIONS: usize = 6;
const REPORTS: usize = 4;
/// How long the pipeline may take to settle before the test gives up.
const SETTLE_LIMIT: Duration = Duration::from_secs(45);
/// How often the test looks again while the pipeline settles.
const SETTLE_POLL: Duration = Duration::from_millis(250);
const POISON: &str = "this is not an event envelope";

/// How many batches to each queue refuse the `index`-th committed envelope.
fn refusals(index: usize) -> u32 {
    if index == 4 {
        SEND_ATTEMPTS + 1
    } else if index % 3 == 2 {
        SEND_ATTEMPTS - 1
    } else {
        0
    }
}

/// Whether the audit writer fails the first deliveries of the `index`-th
/// committed envelope.
fn flaky_in_audit(index: usize) -> bool {
    index % 4 == 1
}

/// What the automation and webhooks queues received, body → count.
#[derive(Default)]
struct Received {
    automation: HashMap<String, u32>,
    webhooks: HashMap<String, u32>,
}

/// Whether `bodies` hold an envelope of every id in `ids`.
fn has_all(bodies: &HashMap<String, u32>, ids: &HashSet<String>) -> bool {
    let got: HashSet<String> = bodies.keys().filter_map(|b| envelope_id(b)).collect();
    ids.is_subset(&got)
}

/// Polls until every committed envelope has its audit record and reached
/// the other queues, the audit queue is empty and the dead-letter queue
/// holds one message, or until `SETTLE_LIMIT`.
async fn settle(
    resources: &Resources,
    committed: &HashSet<String>,
    platform: &HashSet<String>,
) -> Received {
    let mut received = Received::default();
    wait_until(SETTLE_LIMIT, SETTLE_POLL, async || {
        resources
            .drain_into(&resources.automation_url, &mut received.automation)
            .await;
        resources
            .drain_into(&resources.webhooks_url, &mut received.webhooks)
            .await;
        committed.is_subset(&resources.audited().await)
            && has_all(&received.automation, platform)
            && has_all(&received.webhooks, committed)
            && resources.queue_depth(&resources.audit_url).await == 0
            && resources.queue_depth(&resources.audit_dlq_url).await == 1
    })
    .await;
    received
}

/// Asserts that `found` is empty; else fails with `what` and what it holds.
fn assert_none<T: std::fmt::Debug>(what: &str, found: impl Iterator<Item = T>) {
    let found: Vec<T> = found.collect();
    assert!(found.is_empty(), "{what}: {found:?}");
}

/// How many audit records each event has.
fn records_per_event(records: &[(String, String, String)]) -> HashMap<String, usize> {
    let mut per_event: HashMap<String, usize> = HashMap::new();
    for (id, _, _) in records {
        *per_event.entry(id.clone()).or_default() += 1;
    }
    per_event
}

#[tokio::test]
async fn every_committed_change_ends_with_exactly_one_audit_record_despite_injected_failures() {
    // Arrange: tables and queues, the changes to commit, the faults.
    let run = uuid::Uuid::new_v4().simple().to_string();
    let resources = Resources::create(&run, MAX_RECEIVE_COUNT, VISIBILITY_SECS).await;
    let plan = changes::plan(&run, REGISTRATIONS, PROMOTIONS, REPORTS);
    let committed_in_order: Vec<String> = plan
        .changes
        .iter()
        .map(|c| c.envelope().id.to_string())
        .collect();
    let committed: HashSet<String> = committed_in_order.iter().cloned().collect();
    // Client reports are audit-only: the automation queue gets the rest.
    let platform: HashSet<String> = plan
        .changes
        .iter()
        .filter(|c| !c.envelope().event_type.starts_with("client."))
        .map(|c| c.envelope().id.to_string())
        .collect();
    assert_eq!(platform.len(), committed.len() - REPORTS);
    let flaky: HashSet<String> = committed_in_order
        .iter()
        .enumerate()
        .filter(|(i, _)| flaky_in_audit(*i))
        .map(|(_, id)| id.clone())
        .collect();

    let proxy = Arc::new(SqsProxy::new(
        resources.moto.clone(),
        committed_in_order
            .iter()
            .enumerate()
            .map(|(i, id)| (id.clone(), refusals(i)))
            .collect(),
        resources.automation_url.clone(),
        SERVER_ERRORS,
    ));
    let (proxy_url, proxy_task) = proxy.clone().start().await;
    let through_proxy =
        aws_sdk_sqs::config::Builder::from(&emulator_sdk_config(&proxy_url, "us-east-1").await)
            .retry_config(RetryConfig::standard().with_max_attempts(SDK_ATTEMPTS))
            .build();
    let router = resources.router(aws_sdk_sqs::Client::from_conf(through_proxy));
    let writer = resources.audit_writer(flaky.clone(), AUDIT_FAILURES);
    support::send(&resources.sqs, &resources.audit_url, POISON).await;

    // The two mappings, configured as the template configures them.
    let mappings = Mappings::start(&resources, router.clone(), writer.clone());

    // Act: commit the changes while the pipeline runs, then attempt two
    // that must not commit.
    let store = Store::new(resources.dynamodb.clone(), &resources.entity_table);
    for change in plan.changes {
        change.commit(&store).await;
    }
    let rejected = changes::attempt_rejected(&store, &run, &plan.first_user).await;
    let received = settle(&resources, &committed, &platform).await;
    mappings.stop().await;
    proxy_task.abort();
    let records = resources.audit_records().await;
    let dead = resources.drain(&resources.audit_dlq_url).await;
    // Cleaned up before the assertions, so that a failed assertion below
    // leaves nothing behind on the emulators.
    resources.delete().await;

    // Assert: one audit record per committed change, and no other.
    let per_event = records_per_event(&records);
    assert_none(
        "committed changes without an audit record",
        committed_in_order
            .iter()
            .filter(|id| !per_event.contains_key(*id)),
    );
    assert_none(
        "events with more than one audit record",
        per_event.iter().filter(|(_, n)| **n > 1),
    );
    assert_none(
        "audit records of events never committed",
        per_event.keys().filter(|id| !committed.contains(*id)),
    );
    assert_eq!(records.len(), committed.len());
    for envelope in &rejected {
        assert!(!per_event.contains_key(&envelope.id.to_string()));
    }
    let count = |action: &str, source: &str| {
        records
            .iter()
            .filter(|(_, a, s)| a == action && s == source)
            .count()
    };
    assert_eq!(count("user.registered", "platform"), REGISTRATIONS);
    assert_eq!(count("user.role_changed", "platform"), PROMOTIONS);
    assert_eq!(count("client.report.exported", "client"), REPORTS);

    // The webhooks queue got every committed envelope and the automation
    // queue every platform one, and nothing else, at least once each. More
    // than once is allowed: the router resends from a failed stream record,
    // and these queues' consumers are idempotent on the envelope id.
    for (queue, bodies, expected) in [
        ("automation", &received.automation, &platform),
        ("webhooks", &received.webhooks, &committed),
    ] {
        let ids: HashSet<String> = bodies.keys().filter_map(|b| envelope_id(b)).collect();
        assert_none(&format!("{queue} never got"), expected.difference(&ids));
        assert_none(&format!("{queue} got unexpected"), ids.difference(expected));
    }

    // The poisoned message was delivered `maxReceiveCount` times, then
    // moved to the dead-letter queue.
    assert_eq!(dead, HashMap::from([(POISON.to_owned(), 1)]));
    let deliveries = writer.deliveries();
    let poison_deliveries: Vec<u32> = deliveries
        .values()
        .filter(|(body, _)| body == POISON)
        .map(|(_, n)| *n)
        .collect();
    assert_eq!(poison_deliveries, [MAX_RECEIVE_COUNT]);

    // Every fault happened, so the retries are what brought the changes
    // through.
    {
        let log = proxy.log();
        assert!(log.refused > 0, "the proxy refused envelopes");
        assert_eq!(log.server_errors, SERVER_ERRORS);
    }
    assert!(
        router.failed_invocations() > 0,
        "the router named a stream record to retry from"
    );
    assert!(writer.crashed(), "the audit writer crashed after a write");
    // A flaky envelope may have reached the audit queue more than once (the
    // router resends); the message that was written got through only by
    // redelivery after its failures.
    let mut most_deliveries: HashMap<String, u32> = HashMap::new();
    for (body, n) in deliveries.values() {
        if let Some(id) = envelope_id(body).filter(|id| flaky.contains(id)) {
            let most = most_deliveries.entry(id).or_default();
            *most = (*most).max(*n);
        }
    }
    assert_eq!(most_deliveries.len(), flaky.len());
    assert!(
        most_deliveries.values().all(|n| *n > AUDIT_FAILURES),
        "each flaky envelope was redelivered until it was written: {most_deliveries:?}"
    );
}

/// Normal changes committed after the poisoned ones.
const AFTER_POISON: usize = 20;

/// Polls until `expected` envelopes have their audit record and the
/// quarantine holds `quarantined` messages, or until `SETTLE_LIMIT`;
/// returns the quarantine's messages.
async fn settle_with_quarantine(
    resources: &Resources,
    expected: &HashSet<String>,
    quarantined: usize,
) -> HashMap<String, u32> {
    let mut quarantine = HashMap::new();
    wait_until(SETTLE_LIMIT, SETTLE_POLL, async || {
        resources
            .drain_into(&resources.quarantine_url, &mut quarantine)
            .await;
        expected.is_subset(&resources.audited().await) && quarantine.len() >= quarantined
    })
    .await;
    quarantine
}

#[tokio::test]
async fn a_poisoned_change_never_holds_back_the_changes_behind_it() {
    // Arrange: an SQS that refuses for good, as SQS does, any entry with a
    // character it does not accept, and one envelope whatever the router
    // does with it; the stream mapping as the template configures it.
    let run = uuid::Uuid::new_v4().simple().to_string();
    let resources = Resources::create(&run, MAX_RECEIVE_COUNT, VISIBILITY_SECS).await;
    let odd_name = "Mallory \u{FFFF}\u{FFFE}";
    let mut changes = vec![
        changes::registration(&run, 0, odd_name),
        changes::registration(&run, 1, "Refused For Good"),
    ];
    changes.extend((0..AFTER_POISON).map(|i| changes::registration(&run, i + 2, "After Poison")));
    let ids: Vec<String> = changes
        .iter()
        .map(|c| c.envelope().id.to_string())
        .collect();
    let odd = ids[0].clone();
    let refused = ids[1].clone();
    let refused_text = serde_json::to_string(changes[1].envelope()).expect("an envelope");
    let delivered: HashSet<String> = ids.iter().filter(|id| **id != refused).cloned().collect();

    let proxy = Arc::new(
        SqsProxy::new(resources.moto.clone(), HashMap::new(), String::new(), 0)
            .refusing_for_good([refused.clone()]),
    );
    let (proxy_url, proxy_task) = proxy.clone().start().await;
    let router = resources.router(aws_sdk_sqs::Client::new(
        &emulator_sdk_config(&proxy_url, support::REGION).await,
    ));
    let writer = resources.audit_writer(HashSet::new(), 0);
    let mappings = Mappings::start(&resources, router.clone(), writer.clone());

    // Act: the two poisoned changes, then twenty normal ones.
    let store = Store::new(resources.dynamodb.clone(), &resources.entity_table);
    for change in changes {
        change.commit(&store).await;
    }
    let quarantine = settle_with_quarantine(&resources, &delivered, 3).await;
    mappings.stop().await;
    proxy_task.abort();
    let records = resources.audit_records().await;
    let webhooks = resources.drain(&resources.webhooks_url).await;
    let mut expected_queues = vec![
        resources.audit_url.clone(),
        resources.automation_url.clone(),
        resources.webhooks_url.clone(),
    ];
    expected_queues.sort();
    resources.delete().await;

    // Assert: everything but the envelope refused for good has exactly one
    // audit record; it has none.
    let per_event = records_per_event(&records);
    assert_none(
        "held back behind the poison",
        ids.iter()
            .filter(|id| delivered.contains(*id) && !per_event.contains_key(*id)),
    );
    assert!(per_event.values().all(|n| *n == 1), "{per_event:?}");
    assert!(!per_event.contains_key(&refused));

    // The refused envelope is in the quarantine, once per queue that
    // refused it, with the reason and its exact text.
    let parked: Vec<Value> = quarantine
        .keys()
        .map(|body| serde_json::from_str(body).expect("a JSON quarantine message"))
        .collect();
    assert_eq!(parked.len(), 3, "{parked:?}");
    let mut queues: Vec<String> = parked
        .iter()
        .map(|m| m["queue"].as_str().unwrap_or_default().to_owned())
        .collect();
    queues.sort();
    assert_eq!(queues, expected_queues);
    for message in &parked {
        assert_eq!(message["kind"], "refused_envelope");
        assert_eq!(message["event_id"], refused.as_str());
        assert!(message["reason"]
            .as_str()
            .is_some_and(|r| r.starts_with("InvalidMessageContents")));
        let text = base64::engine::general_purpose::STANDARD
            .decode(message["envelope_base64"].as_str().unwrap_or_default())
            .expect("base64");
        assert_eq!(String::from_utf8(text).expect("UTF-8"), refused_text);
    }

    // The envelope with characters SQS refuses went through escaped, and
    // reads back exactly as committed.
    let odd_envelope: Value = webhooks
        .keys()
        .map(|body| serde_json::from_str::<Value>(body).expect("an envelope"))
        .find(|e| e["id"] == odd.as_str())
        .expect("the webhooks queue got the envelope with odd characters");
    assert_eq!(odd_envelope["data"]["name"], odd_name);

    // Nothing was sent twice, nothing with a refused character was sent
    // at all, and the stream never had to retry.
    let log = proxy.log();
    let twice: Vec<_> = log.delivered.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "sent more than once: {twice:?}");
    assert_eq!(log.delivered.len(), 3 * delivered.len());
    assert_eq!(log.refused_for_good, 3, "only the envelope refused by id");
    assert_eq!(router.failed_invocations(), 0);
}
