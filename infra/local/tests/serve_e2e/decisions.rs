//! A decision request through the local runtime: the demo decision rule
//! (`HIGH_VALUE_TRANSACTION`, version 1) answers the seed's example
//! request in the seed's shape, a repeat is ignored, and the decision
//! reaches the audit log through the pipeline.

use super::{poll_until, Demo};
use serde_json::Value;

#[tokio::test]
async fn the_demo_decision_rule_answers_a_decision_request_once() {
    let demo = Demo::start().await;
    let request: Value =
        serde_json::from_str(include_str!("../../../../events/automation/decide.json")).unwrap();
    let body: Value = serde_json::from_str(request["body"].as_str().unwrap()).unwrap();
    let send = || async {
        demo.client
            .http
            .post(format!("{}/api/v1/automation/execute", demo.client.base))
            .bearer_auth(&demo.admin)
            .header("x-correlation-id", "erp-7731")
            .json(&body)
            .send()
            .await
            .expect("the gateway answers")
    };
    let first = send().await;
    assert_eq!(first.status(), 200);
    assert_eq!(first.headers().get("x-correlation-id").unwrap(), "erp-7731");
    let answer: Value = first.json().await.unwrap();
    assert_eq!(answer["status"], "TRIGGERED", "{answer}");
    assert_eq!(answer["reason"], "RULE_PASSED");
    assert_eq!(answer["outcome"], "ESCALATED");
    assert_eq!(answer["rule_version"], 1);
    assert_eq!(answer["correlation_id"], "erp-7731");

    let repeat: Value = send().await.json().await.unwrap();
    assert_eq!(repeat["reason"], "DUPLICATE_IGNORED", "{repeat}");
    assert_eq!(repeat["task_id"], answer["task_id"]);
    assert_eq!(repeat["outcome"], "ESCALATED");

    let task = answer["task_id"].as_str().unwrap();
    let audit = format!("/api/v1/auditLogs?entity=decision&entity_id={task}");
    let page = poll_until(&demo.client, &demo.auditor, &audit, |page| {
        page["items"].as_array().map(Vec::len) >= Some(1)
    })
    .await;
    assert_eq!(page["items"][0]["action"], "automation.decided", "{page}");
    demo.finish().await;
}
