//! The dashboard's real answers are the ones its OpenAPI description
//! promises.

use crate::helpers::Call;
use opsflow_platform::domain::Role;
use opsflow_platform::testkit::contract::{assert_conforms, document};
use serde_json::json;

const GET: &str = "GET /api/v1/stats";

#[tokio::test]
async fn the_dashboards_answers_match_the_description() {
    let doc = document(opsflow_stats::openapi::doc());
    let env = crate::env().await;
    let admin = env.account("admin", Role::Admin).await;
    let user = env.account("user", Role::User).await;
    let empty = env.call(Call::new("stats/get").by(&admin)).await;
    assert_eq!(empty.status, 200);
    assert_conforms(&doc, GET, &empty);
    let made = Call::new("items/create")
        .by(&user)
        .body(json!({"name": "Counted"}));
    assert_eq!(env.call(made).await.status, 201);
    crate::count_outbox(&env).await;
    let counted = env.call(Call::new("stats/get").by(&admin)).await;
    assert_eq!(counted.body["items"]["total"], 1);
    assert_conforms(&doc, GET, &counted);
    for (call, status) in [
        (Call::new("stats/get").by(&user), 403),
        (
            Call::new("stats/get").by(&admin).query(&[("limit", "5")]),
            400,
        ),
    ] {
        let reply = env.call(call).await;
        assert_eq!(reply.status, status, "{}", reply.body);
        assert_conforms(&doc, GET, &reply);
    }
}
