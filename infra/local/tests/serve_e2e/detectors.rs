//! The insights' queue detectors through the local runtime: the
//! template's scheduler probes the queues its `WATCHED_*` variables list
//! (resolved from the template, with only the SQS permission it grants);
//! a message in a dead-letter queue becomes an insight the admin sees and
//! the user does not, and redriving it resolves the insight.

use super::{escalation::tick, Demo};
use opsflow_local::InvokeOutcome;
use serde_json::{json, Value};

/// One tick of the scheduler: its report.
async fn run_scheduler(demo: &Demo) -> Value {
    let outcome = demo
        .platform
        .runtime
        .invoke_function("SchedulerFunction", tick())
        .await
        .0;
    let InvokeOutcome::Success(payload) = outcome else {
        panic!("the tick failed: {outcome:?}");
    };
    serde_json::from_slice(&payload).expect("a JSON report")
}

#[tokio::test]
async fn a_dead_letter_becomes_an_insight_until_it_is_redriven() {
    let demo = Demo::start().await;
    let url = demo.platform.resources.queue_urls["AutomationDeadLetterQueue"].clone();
    let endpoint = std::env::var("AWS_ENDPOINT_URL_SQS")
        .unwrap_or_else(|_| "http://127.0.0.1:5000".to_owned());
    let sqs = aws_sdk_sqs::Client::new(
        &opsflow_platform::store::emulator_sdk_config(&endpoint, "us-east-1").await,
    );
    sqs.send_message()
        .queue_url(&url)
        .message_body(json!({"id": "lost"}).to_string())
        .send()
        .await
        .expect("a message in the dead-letter queue");

    // (The minute's own tick may come first: then this one has nothing
    // left to do, and the insight is there all the same.)
    let report = run_scheduler(&demo).await;
    assert_eq!(report["queues"]["failed"], 0, "{report}");
    let listing = "/api/v1/aiInsights?entity=queue";
    let (status, page) = demo.client.get(listing, &demo.admin).await;
    assert_eq!(status, 200, "{page}");
    let items = page["items"].as_array().expect("a page");
    assert_eq!(items.len(), 1, "{page}");
    let name = url.rsplit('/').next().unwrap();
    assert_eq!(items[0]["title"], format!("Dead letters: {name}"));
    assert_eq!(items[0]["risk_level"], "HIGH");
    let (_, hidden) = demo.client.get(listing, &demo.user).await;
    assert_eq!(hidden["items"], json!([]), "{hidden}");

    sqs.purge_queue()
        .queue_url(&url)
        .send()
        .await
        .expect("purged");
    let report = run_scheduler(&demo).await;
    assert_eq!(report["queues"]["failed"], 0, "{report}");
    let (_, page) = demo.client.get(listing, &demo.admin).await;
    assert_eq!(page["items"][0]["status"], "resolved", "{page}");
    assert_eq!(page["items"][0]["note"], "The condition cleared.");
    demo.finish().await;
}
