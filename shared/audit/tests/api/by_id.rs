//! One audit record by its id (`GET /api/v1/auditLogs/{id}`), seen by
//! whoever would see it in a listing, and actions named in any case.

use crate::audit_logs::{item_ids, AuditEnv};
use crate::helpers::{Account, Call, Reply};
use opsflow_platform::domain::Role;
use serde_json::{json, Value};

async fn get(audit: &AuditEnv, who: &Account, id: &str) -> Reply {
    let call = Call::new("audit-logs/get")
        .path_params(&[("id", id)])
        .by(who);
    audit.call(call).await
}

/// Ann's report about one of her own reports: its record's id.
async fn reported(audit: &AuditEnv, ann: &Account, action: &str) -> String {
    let entry = json!({"action": action, "entity": "client_report", "entity_id": "r-1"});
    let call = Call::new("audit-logs/create").by(ann).body(entry);
    let accepted = audit.call(call).await;
    assert_eq!(accepted.status, 202, "{}", accepted.body);
    accepted.body["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_record_is_read_by_its_id_by_whoever_may_list_it() {
    let (audit, admin, ann) = AuditEnv::with_admin_and_ann().await;
    let bob = audit.env.account("bob", Role::User).await;
    let own = reported(&audit, &ann, "report.exported").await;
    // A workflow every user may see (active) and one only admins may (a draft).
    let active = audit.env.active_workflow(&admin, "Purchases").await;
    let draft = audit
        .env
        .create(Call::new("workflows/create").by(&admin).body(json!({
            "name": "Draft",
            "steps": [{"name": "Review", "approver_role": "approver", "required_approvals": 1}],
        })))
        .await;
    let committed = audit.deliver_committed().await;
    let about = |id: &str, event_type: &str| {
        committed
            .iter()
            .find(|e| e.entity_id == id && e.event_type == event_type)
            .map(|e| e.id.to_string())
            .unwrap()
    };
    let (active_created, draft_created) = (
        about(&active, "workflow.created"),
        about(&draft, "workflow.created"),
    );

    let shown = get(&audit, &ann, &own).await;
    assert_eq!(shown.status, 200, "{}", shown.body);
    let listed = audit.list(&ann.tokens.access, &[]).await;
    let item = listed.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|item| item["id"] == own.as_str())
        .cloned()
        .unwrap();
    assert_eq!(shown.body, item, "the record as the listing shows it");
    for (who, id, status) in [
        (&bob, own.as_str(), 404),
        (&admin, own.as_str(), 200),
        // About an entity Ann may see, by someone else.
        (&ann, active_created.as_str(), 200),
        (&ann, draft_created.as_str(), 404),
        (&admin, draft_created.as_str(), 200),
        (&ann, "0193b2a4-7a00-7b00-8c00-0000000000a1", 404),
        (&admin, "not-an-id", 404),
    ] {
        let reply = get(&audit, who, id).await;
        assert_eq!(reply.status, status, "{id}: {}", reply.body);
    }
    let asked = Call::new("audit-logs/get")
        .path_params(&[("id", &own)])
        .query(&[("fields", "all")])
        .by(&ann);
    let refused = audit.call(asked).await;
    assert_eq!(refused.status, 400);
    let detail = refused.body["detail"].as_str().unwrap();
    assert!(
        detail.contains("fields") && detail.contains("takes none"),
        "{detail}"
    );
}

#[tokio::test]
async fn actions_are_recorded_and_found_in_any_case() {
    let (audit, admin, ann) = AuditEnv::with_admin_and_ann().await;
    let id = reported(&audit, &ann, "Report.PRINTED").await;
    audit.deliver_committed().await;
    let shown = get(&audit, &ann, &id).await;
    assert_eq!(shown.body["action"], "client.report.printed");
    let by_action = audit
        .list(&admin.tokens.access, &[("action", "CLIENT.Report.Printed")])
        .await;
    assert_eq!(item_ids(&by_action), [id]);
    // The listing names an unknown parameter and those it takes.
    let typo = audit.list(&admin.tokens.access, &[("actions", "x")]).await;
    assert_eq!(typo.status, 400);
    let problem: &Value = &typo.body["errors"][0];
    assert_eq!(problem["field"], "actions");
    assert!(problem["message"]
        .as_str()
        .unwrap()
        .contains("entity, entity_id, user_id, action"));
}

#[cfg(feature = "openapi")]
#[tokio::test]
async fn reading_a_record_answers_as_documented() {
    use opsflow_platform::testkit::contract::{assert_conforms, document};
    const GET: &str = "GET /api/v1/auditLogs/{id}";
    let doc = document(opsflow_audit::openapi::doc());
    let (audit, admin, ann) = AuditEnv::with_admin_and_ann().await;
    let id = reported(&audit, &ann, "report.exported").await;
    audit.deliver_committed().await;
    for (who, id, status) in [(&ann, id.as_str(), 200), (&admin, "nothing", 404)] {
        let reply = get(&audit, who, id).await;
        assert_eq!(reply.status, status, "{}", reply.body);
        assert_conforms(&doc, GET, &reply);
    }
    let asked = Call::new("audit-logs/get")
        .path_params(&[("id", &id)])
        .query(&[("limit", "1")])
        .by(&ann);
    let reply = audit.call(asked).await;
    assert_eq!(reply.status, 400);
    assert_conforms(&doc, GET, &reply);
}
