//! The job worker on the emulators: each job type does its real work (a
//! report in moto's S3 that its presigned link downloads, an e-mail moto's
//! SES records, items changed, old things removed), and attempts follow
//! the retry rules. The worker gets the messages the event router would
//! send it: the `job.queued` envelope of the job as it is queued
//! (`events/job-worker/sqs.json`, its body replaced).

use crate::helpers::{Account, TestEnv};
use crate::{create, env_with_bucket, read};
use aws_lambda_events::event::sqs::SqsEvent;
use opsflow_jobs::pipeline::{Worker, STALLED_AFTER};
use opsflow_jobs::reports::Reports;
use opsflow_jobs::work::notify_mail;
use opsflow_platform::domain::{EntityId, Role};
use opsflow_platform::store::Store;
use opsflow_platform::testkit::queues::{drain, fresh_queue, sqs_client};
use serde_json::{json, Value};

const SENDER: &str = "jobs@opsflow.test";

struct World {
    env: TestEnv,
    admin: Account,
    worker: Worker,
    bucket: String,
    s3: aws_sdk_s3::Client,
}

impl World {
    async fn new() -> Self {
        let bucket = format!("opsflow-test-reports-{}", EntityId::new().simple_suffix());
        let env = env_with_bucket(&bucket).await;
        let admin = env.account("admin", Role::Admin).await;
        let sqs = sqs_client().await;
        let queues = [
            fresh_queue(&sqs, "jobs").await,
            fresh_queue(&sqs, "jobs-high").await,
        ];
        let moto =
            |var: &str| std::env::var(var).unwrap_or_else(|_| "http://127.0.0.1:5000".into());
        let reports = Reports::new(&env.sdk, bucket.clone(), Some(&moto("AWS_ENDPOINT_URL_S3")));
        let s3 = reports.s3.clone();
        let worker = Worker {
            store: Store::new(aws_sdk_dynamodb::Client::new(&env.sdk), env.table.clone()),
            sqs,
            reports,
            mail: notify_mail(&env.sdk, Some(&moto("AWS_ENDPOINT_URL_SESV2")), SENDER),
            queues,
            stalled_after: STALLED_AFTER,
            settings: Default::default(),
        };
        Self {
            env,
            admin,
            worker,
            bucket,
            s3,
        }
    }

    async fn make_bucket(&self) {
        self.s3
            .create_bucket()
            .bucket(&self.bucket)
            .send()
            .await
            .unwrap();
    }

    /// Hands the worker the message that queues job `id` as it is now.
    async fn deliver(&self, id: &str) -> usize {
        let job = read(&self.env, &self.admin, id).await;
        self.deliver_view(id, job).await
    }

    /// Hands the worker the message that queued `record` (as it was then).
    async fn deliver_as_queued(&self, record: &opsflow_jobs::store::JobRecord) -> usize {
        let view = opsflow_jobs::view::job_data(record);
        self.deliver_view(&record.id.to_string(), view).await
    }

    async fn deliver_view(&self, id: &str, job: Value) -> usize {
        let envelope = json!({
            "id": EntityId::new(), "type": "job.queued", "entity": "job", "entity_id": id,
            "actor": {"id": "system", "role": "system"}, "occurred_at": job["updated_at"],
            "correlation_id": "test", "depth": 0, "data": job, "changes": {},
        });
        let mut event: Value =
            serde_json::from_str(include_str!("../../../../events/job-worker/sqs.json")).unwrap();
        event["Records"][0]["body"] = json!(envelope.to_string());
        let event: SqsEvent = serde_json::from_value(event).unwrap();
        self.worker
            .run_batch(&event)
            .await
            .batch_item_failures
            .len()
    }

    /// Waits until job `id` is due, then delivers it.
    async fn deliver_when_due(&self, id: &str) -> Value {
        let job = read(&self.env, &self.admin, id).await;
        let due = time::OffsetDateTime::parse(
            job["run_at"].as_str().unwrap(),
            &time::format_description::well_known::Rfc3339,
        )
        .unwrap();
        let wait = due - opsflow_platform::clock::now();
        if wait.is_positive() {
            tokio::time::sleep(std::time::Duration::from_millis(
                wait.whole_milliseconds() as u64 + 50,
            ))
            .await;
        }
        assert_eq!(self.deliver(id).await, 0);
        read(&self.env, &self.admin, id).await
    }

    async fn item(&self, name: &str, status: &str) -> String {
        let reply = self
            .env
            .call(
                crate::helpers::Call::new("items/create")
                    .by(&self.admin)
                    .body(json!({"name": name, "status": status})),
            )
            .await;
        assert_eq!(reply.status, 201, "{}", reply.body);
        reply.body["id"].as_str().unwrap().to_owned()
    }
}

trait Suffix {
    fn simple_suffix(&self) -> String;
}

impl Suffix for EntityId {
    fn simple_suffix(&self) -> String {
        self.to_string().replace('-', "")[20..].to_owned()
    }
}

#[tokio::test]
async fn a_report_lands_in_s3_and_its_download_link_fetches_it() {
    let world = World::new().await;
    world.make_bucket().await;
    for (name, status) in [
        ("alpha", "active"),
        ("beta, with a comma", "archived"),
        ("gamma", "active"),
    ] {
        world.item(name, status).await;
    }
    let job = create(
        &world.env,
        &world.admin,
        json!({"type": "generate-report", "data": {"report": "items"}}),
    )
    .await;
    let id = job["id"].as_str().unwrap();
    assert_eq!(world.deliver(id).await, 0);

    let done = read(&world.env, &world.admin, id).await;
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(done["attempts"], 1);
    assert_eq!(done["progress"], 100);
    assert_eq!(done["result"]["rows"], 3);
    let key = format!("reports/{id}.csv");
    assert_eq!(done["result"]["key"], key.as_str());

    let link = world
        .env
        .call(crate::at("jobs/download", id).by(&world.admin))
        .await;
    assert_eq!(link.status, 200, "{}", link.body);
    let url = link.body["url"].as_str().unwrap();
    assert!(url.contains("X-Amz-Signature"), "{url}");
    let csv = reqwest::get(url).await.unwrap().text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "id,name,status,description,owner_id,created_at,updated_at"
    );
    assert_eq!(lines.len(), 4, "{csv}");
    assert!(lines[1].contains(",alpha,active,"));
    assert!(lines[2].contains(",\"beta, with a comma\",archived,"));
    // The same message again does nothing: the job is no longer queued.
    assert_eq!(world.deliver(id).await, 0);
    assert_eq!(world.env.events_of_type("job.started").await.len(), 1);
    assert_eq!(world.env.events_of_type("job.completed").await.len(), 1);
}

#[tokio::test]
async fn a_job_that_fails_twice_then_succeeds_ends_completed_after_three_attempts() {
    let world = World::new().await;
    let job = create(
        &world.env,
        &world.admin,
        json!({"type": "generate-report", "data": {"report": "items"}}),
    )
    .await;
    let id = job["id"].as_str().unwrap();

    assert_eq!(world.deliver(id).await, 0);
    let first = read(&world.env, &world.admin, id).await;
    assert_eq!(
        (first["status"].as_str(), first["attempts"].as_u64()),
        (Some("queued"), Some(1))
    );
    assert!(
        first["last_error"].as_str().unwrap().contains("bucket"),
        "{first}"
    );
    // Delivered before it is due (1 s later), it goes back to its queue.
    assert_eq!(world.deliver(id).await, 0);
    assert_eq!(
        read(&world.env, &world.admin, id).await["version"],
        first["version"]
    );
    // (held back by SQS until the job is due).
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert_eq!(
        drain(&world.worker.sqs, &world.worker.queues[0])
            .await
            .len(),
        1
    );

    let second = world.deliver_when_due(id).await;
    assert_eq!(
        (second["status"].as_str(), second["attempts"].as_u64()),
        (Some("queued"), Some(2))
    );
    world.make_bucket().await;
    let third = world.deliver_when_due(id).await;
    assert_eq!(third["status"], "completed", "{third}");
    assert_eq!(third["attempts"], 3);
    assert_eq!(third["last_error"], Value::Null);
}

#[tokio::test]
async fn a_job_that_always_fails_ends_failed_and_retry_runs_it_again() {
    let world = World::new().await;
    let job = create(
        &world.env,
        &world.admin,
        json!({"type": "generate-report", "data": {"report": "items"}}),
    )
    .await;
    let id = job["id"].as_str().unwrap();
    assert_eq!(world.deliver(id).await, 0);
    world.deliver_when_due(id).await;
    let failed = world.deliver_when_due(id).await;
    assert_eq!(failed["status"], "failed", "{failed}");
    assert_eq!(failed["attempts"], 3);
    assert!(failed["last_error"].as_str().unwrap().contains("bucket"));
    let failures = world.env.events_of_type("job.failed").await;
    assert_eq!(
        failures[0]["changes"]["status"],
        json!(["running", "failed"])
    );

    let retried = world
        .env
        .call(crate::at("jobs/retry", id).by(&world.admin))
        .await;
    assert_eq!(retried.status, 200, "{}", retried.body);
    assert_eq!(
        (
            retried.body["status"].as_str(),
            retried.body["attempts"].as_u64()
        ),
        (Some("queued"), Some(0))
    );
    world.make_bucket().await;
    let done = world.deliver_when_due(id).await;
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(done["attempts"], 1);
}

#[tokio::test]
async fn a_notification_is_sent_through_ses() {
    let world = World::new().await;
    let ses = world.worker.mail.ses.clone();
    let _ = ses
        .create_email_identity()
        .email_identity(SENDER)
        .send()
        .await;
    let subject = format!("Deploy window {}", EntityId::new());
    let job = create(&world.env, &world.admin, json!({"type": "send-notification", "data": {"to": ["oncall@example.com"], "subject": subject, "text": "Tonight at 22:00."}})).await;
    let id = job["id"].as_str().unwrap();
    assert_eq!(world.deliver(id).await, 0);
    let done = read(&world.env, &world.admin, id).await;
    assert_eq!(done["status"], "completed", "{done}");
    assert!(done["result"]["message_id"].is_string());
    assert_eq!(done["result"]["recipients"], 1);
    // moto records what SES sent.
    let endpoint =
        std::env::var("AWS_ENDPOINT_URL_SESV2").unwrap_or_else(|_| "http://127.0.0.1:5000".into());
    let recorded = reqwest::get(format!("{endpoint}/moto-api/data.json"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        recorded.contains(&subject),
        "moto has no message with subject {subject}"
    );

    // From an address SES does not know, the job fails at once.
    let endpoint =
        std::env::var("AWS_ENDPOINT_URL_SESV2").unwrap_or_else(|_| "http://127.0.0.1:5000".into());
    let unknown = Worker {
        mail: notify_mail(&world.env.sdk, Some(&endpoint), "nobody@unverified.test"),
        ..world.worker
    };
    let job = create(&world.env, &world.admin, json!({"type": "send-notification", "data": {"to": ["oncall@example.com"], "subject": "s", "text": "t"}})).await;
    let id = job["id"].as_str().unwrap();
    let world = World {
        worker: unknown,
        ..world
    };
    assert_eq!(world.deliver(id).await, 0);
    let failed = read(&world.env, &world.admin, id).await;
    assert_eq!(failed["status"], "failed", "{failed}");
    assert_eq!(failed["attempts"], 1);
}

#[tokio::test]
async fn process_data_changes_exactly_the_matching_items_once() {
    let world = World::new().await;
    let mut active = Vec::new();
    for n in 0..30 {
        active.push(world.item(&format!("node-{n:02}"), "active").await);
    }
    let inactive = world.item("node-old", "inactive").await;
    let body = json!({"type": "process-data", "data": {"status": "active", "merge_metadata": {"patched": true}}});
    let job = create(&world.env, &world.admin, body.clone()).await;
    assert_eq!(world.deliver(job["id"].as_str().unwrap()).await, 0);
    let done = read(&world.env, &world.admin, job["id"].as_str().unwrap()).await;
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(done["result"], json!({"matched": 30, "changed": 30}));
    assert_eq!(done["processed"], 30);
    let updated = world.env.events_of_type("item.updated").await;
    assert_eq!(updated.len(), 30);
    assert!(updated
        .iter()
        .all(|e| active.contains(&e["entity_id"].as_str().unwrap().to_owned())));
    let untouched = world
        .env
        .call(
            crate::helpers::Call::new("items/get")
                .resource_id("api/v1/items", &inactive)
                .by(&world.admin),
        )
        .await;
    assert_eq!(untouched.body["metadata"], json!({}));

    // The same work again (every page redone) changes nothing.
    let again = create(&world.env, &world.admin, body).await;
    assert_eq!(world.deliver(again["id"].as_str().unwrap()).await, 0);
    let redone = read(&world.env, &world.admin, again["id"].as_str().unwrap()).await;
    assert_eq!(redone["result"], json!({"matched": 30, "changed": 0}));
    assert_eq!(world.env.events_of_type("item.updated").await.len(), 30);
}

#[tokio::test]
async fn cleanup_removes_exactly_what_is_old_enough() {
    use opsflow_items::store::{ItemRecord, ItemStore};
    use opsflow_jobs::store::{JobRecord, JobStore};
    let world = World::new().await;
    let store = &world.worker.store;
    let old = opsflow_platform::clock::now() - time::Duration::days(40);
    let event = |id: EntityId| {
        opsflow_platform::events::Envelope::new(
            "test.seeded",
            "x",
            id,
            opsflow_platform::events::Actor::system(),
            "seed",
            json!({}),
        )
    };
    // Items: archived long ago (removed), archived but recently changed,
    // and old but active (both kept).
    let fresh_archived = world.item("fresh-archived", "archived").await;
    let old_active = world.item("old-active", "active").await;
    let template: ItemRecord =
        opsflow_items::service::item(store, &EntityId::parse(&old_active).unwrap())
            .await
            .unwrap();
    let mut old_ids = Vec::new();
    for n in 0..3 {
        let id = EntityId::derived(1_700_000_000_000 + n, &[b"old"]);
        let record = ItemRecord {
            id,
            status: opsflow_items::domain::ItemStatus::Archived,
            created_at: old,
            updated_at: old,
            ..template.clone()
        };
        store.create_item(&record, &event(id)).await.unwrap();
        old_ids.push(id.to_string());
    }
    // Jobs: finished 40 days ago (removed), and a recent one (kept).
    let recent = create(
        &world.env,
        &world.admin,
        json!({"type": "cleanup", "data": {}}),
    )
    .await;
    let recent_view = read(&world.env, &world.admin, recent["id"].as_str().unwrap()).await;
    let mut old_job_ids = Vec::new();
    for n in 0..2 {
        let id = EntityId::derived(
            u64::try_from((old.unix_timestamp_nanos() / 1_000_000) as i128).unwrap() + n,
            &[b"job"],
        );
        let mut record: JobRecord = serde_json::from_value(json!({
            "id": id, "job_type": "cleanup", "data": "{}", "priority": 5, "status": "completed",
            "attempts": 1, "max_attempts": 3, "progress": 100, "run_at": recent_view["run_at"],
            "created_by": "seed", "correlation_id": "seed", "created_at": recent_view["created_at"],
            "updated_at": recent_view["created_at"], "finished_at": recent_view["created_at"], "version": 1,
        })).unwrap();
        record.created_at = old;
        record.finished_at = Some(old);
        store.create_job(&record, &event(id)).await.unwrap();
        old_job_ids.push(id.to_string());
    }

    let job = create(
        &world.env,
        &world.admin,
        json!({"type": "cleanup", "data": {"older_than_days": 30}}),
    )
    .await;
    assert_eq!(world.deliver(job["id"].as_str().unwrap()).await, 0);
    let done = read(&world.env, &world.admin, job["id"].as_str().unwrap()).await;
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(
        done["result"],
        json!({"items_removed": 3, "jobs_removed": 2})
    );
    for id in &old_ids {
        assert!(store
            .item_by_id(&EntityId::parse(id).unwrap())
            .await
            .unwrap()
            .is_none());
    }
    for id in [&fresh_archived, &old_active] {
        assert!(store
            .item_by_id(&EntityId::parse(id).unwrap())
            .await
            .unwrap()
            .is_some());
    }
    for id in &old_job_ids {
        assert!(store
            .job_by_id(&EntityId::parse(id).unwrap())
            .await
            .unwrap()
            .is_none());
    }
    assert_eq!(
        read(&world.env, &world.admin, recent["id"].as_str().unwrap()).await["status"],
        "queued"
    );
    assert_eq!(world.env.events_of_type("item.deleted").await.len(), 3);
    assert_eq!(world.env.events_of_type("job.deleted").await.len(), 2);
}

#[tokio::test]
async fn a_stopped_attempt_counts_as_failed_and_the_next_redoes_its_pages_changing_nothing_twice() {
    use opsflow_jobs::store::JobStore;
    let mut world = World::new().await;
    for n in 0..30 {
        world.item(&format!("svc-{n:02}"), "active").await;
    }
    let body = json!({"type": "process-data", "data": {"status": "active", "merge_metadata": {"tier": 2}}});
    let job = create(&world.env, &world.admin, body).await;
    let id = job["id"].as_str().unwrap().to_owned();
    let store = world.worker.store.clone();
    let queued = store
        .job_by_id(&EntityId::parse(&id).unwrap())
        .await
        .unwrap()
        .unwrap();

    // A worker starts the attempt and does every page, then stops before
    // it records where it got to and before it marks the job done.
    let mut running = opsflow_jobs::service::start(&store, &queued).await.unwrap();
    opsflow_jobs::work::run(&world.worker, &mut running)
        .await
        .unwrap();
    opsflow_jobs::service::checkpoint(&store, &mut running, 0, None, 0)
        .await
        .unwrap();
    assert_eq!(world.env.events_of_type("item.updated").await.len(), 30);
    // A message delivered again while the attempt looks alive does nothing.
    assert_eq!(world.deliver_as_queued(&queued).await, 0);
    assert_eq!(
        read(&world.env, &world.admin, &id).await["status"],
        "running"
    );

    // Once it has been silent for longer than a worker may run, the
    // redelivered message finds the attempt stopped: it counts as failed.
    world.worker.stalled_after = time::Duration::ZERO;
    assert_eq!(world.deliver_as_queued(&queued).await, 0);
    let stopped = read(&world.env, &world.admin, &id).await;
    assert_eq!(
        (stopped["status"].as_str(), stopped["attempts"].as_u64()),
        (Some("queued"), Some(1))
    );
    assert!(
        stopped["last_error"].as_str().unwrap().contains("stopped"),
        "{stopped}"
    );
    // The next attempt reads every page again; no item changes twice.
    let done = world.deliver_when_due(&id).await;
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(done["attempts"], 2);
    assert_eq!(done["result"], json!({"matched": 30, "changed": 0}));
    assert_eq!(world.env.events_of_type("item.updated").await.len(), 30);
}
