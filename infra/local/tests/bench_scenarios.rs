//! Every scenario of `make bench` answers 2xx through the local runtime,
//! and `opsflow-local load` completes:
//! run here on this build's (debug) binaries with one cold start and two
//! warm invocations each, so that a fixture or an API change that breaks a
//! scenario fails the tests, not a half-hour release build later. The
//! figures of such a run mean nothing; only that it completes is checked.

mod checkout;

use opsflow_local::bench::{run, BenchOptions};
use opsflow_local::platform::PlatformOptions;
use std::net::SocketAddr;
use std::path::PathBuf;

/// A platform of its own on this build's binaries: its options, its
/// environment's name and its keys' folder.
fn platform(prefix: &str) -> (PlatformOptions, String, PathBuf) {
    let id = uuid::Uuid::new_v4().simple().to_string();
    let environment = format!("{prefix}-{}", &id[..8]);
    let keys_dir = std::env::temp_dir().join(format!("opsflow-{environment}-keys"));
    let mut platform = PlatformOptions::from_env();
    platform.template = checkout::root().join("template.yaml");
    platform
        .parameters
        .insert("Environment".into(), environment.clone());
    platform.listen = SocketAddr::from(([127, 0, 0, 1], 0));
    platform.binaries_dir = checkout::binaries_dir();
    platform.keys_dir = keys_dir.clone();
    platform.docs = None;
    (platform, environment, keys_dir)
}

#[tokio::test]
async fn every_scenario_of_the_benchmark_succeeds_and_is_reported() {
    let (platform, environment, keys_dir) = platform("benchtest");
    let dynamodb = aws_sdk_dynamodb::Client::new(&opsflow_platform::store::sdk_config().await);

    let report = run(
        BenchOptions {
            platform,
            cold_starts: 1,
            warm_invocations: 2,
        },
        &checkout::root(),
    )
    .await;

    // The run's tables go, whatever it found.
    let tables = dynamodb.list_tables().send().await.unwrap();
    for table in tables.table_names() {
        if table.contains(&environment) {
            let _ = opsflow_platform::store::schema::delete_table(&dynamodb, table).await;
        }
    }
    let _ = std::fs::remove_dir_all(&keys_dir);

    let report = report.expect("every scenario answers 2xx");
    for scenario in [
        "auth POST /api/v1/auth/register",
        "approvals POST /api/v1/approvals",
        "approvals PATCH /api/v1/approvals/{id} (decision)",
        "rules POST /api/v1/rules",
        "users GET /api/v1/users/{id}",
        "items POST /api/v1/items",
        "items GET /api/v1/items?status=active&sort_by=name",
    ] {
        assert!(
            report.contains(&format!("| {scenario} |")),
            "{scenario} is not reported:\n{report}"
        );
    }
    // Each write is compared with a transaction of as many items as its own.
    for baseline in [
        "| auth POST /api/v1/auth/register |",
        "| approvals POST /api/v1/approvals |",
        "| rules POST /api/v1/rules |",
        "| items POST /api/v1/items |",
    ] {
        let row = report
            .lines()
            .rfind(|line| line.starts_with(baseline))
            .unwrap_or_else(|| panic!("{baseline} has no ratio row:\n{report}"));
        let items = match baseline {
            b if b.contains("register") => 3,
            b if b.contains("approvals") => 7,
            b if b.contains("items") => 8,
            _ => 2,
        };
        assert!(
            row.contains(&format!("SDK TransactWriteItems ({items} items)")),
            "{row}"
        );
    }
}

/// `opsflow-local load` files every request and finds every lag sample's
/// audit record, through the HTTP API of a served platform with its
/// pipeline running (on this build's binaries; the figures mean nothing).
#[tokio::test]
async fn the_load_files_every_request_and_sees_each_sample_reach_the_audit_log() {
    let (platform, _, keys_dir) = platform("loadtest");

    let report = opsflow_local::load::run(opsflow_local::load::LoadOptions {
        platform,
        clients: 3,
        requests: 9,
        lag_samples: 2,
    })
    .await;
    let _ = std::fs::remove_dir_all(&keys_dir);

    let report = report.expect("the load runs");
    assert!(report.failures.is_empty(), "{:?}", report.failures);
    assert_eq!(report.latencies.len(), 9);
    assert_eq!((report.lags.len(), report.lost), (2, 0));
    let table = report.render();
    assert!(
        table.contains("| `POST /api/v1/approvals` through `serve` | 9 | 3 |"),
        "{table}"
    );
}
