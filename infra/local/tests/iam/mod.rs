//! Least privilege, checked on the template as CloudFormation will see it:
//! `template.yaml` expanded by the pinned SAM translator
//! (`infra/local/expand_template.py`, offline), so that whatever SAM adds
//! on its own (generated roles, managed policies for event sources) is
//! checked too.
//!
//! What holds: every function runs with a role of its own that carries no
//! managed policy; no statement allows every resource (`"*"`) except the
//! actions AWS accepts no resource for; a function reaches exactly the
//! queues it is wired to and reads only the stream it is triggered by; no
//! API function can write the audit table; only `auth` can read the signing
//! key; every statement on a table's items is limited to key prefixes
//! (`dynamodb:LeadingKeys`), and each function writes only the prefixes it
//! owns; every API function may read its session check in one batch with
//! its own reads and carry it in a transaction; the queue consumers are
//! capped so they cannot starve the API.
//!
//! The tests skip, saying so, only when the venv is missing (`make setup`
//! installs it, and `make test` runs setup first).

pub(crate) mod model;

use model::{api_functions, expanded, functions, references, resource_type, Statement};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
/// Actions AWS authorises only on `"*"`.
const STAR_ONLY_ACTIONS: [&str; 3] = [
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "dynamodb:ListStreams",
];

/// What a queue's event source mapping needs on its queue.
const CONSUME_ACTIONS: [&str; 4] = [
    "sqs:ChangeMessageVisibility",
    "sqs:DeleteMessage",
    "sqs:GetQueueAttributes",
    "sqs:ReceiveMessage",
];

/// What a stream's event source mapping needs on its stream (besides
/// `ListStreams`).
const STREAM_ACTIONS: [&str; 3] = [
    "dynamodb:DescribeStream",
    "dynamodb:GetRecords",
    "dynamodb:GetShardIterator",
];

/// DynamoDB actions on items (and their keys), as opposed to tables and
/// streams.
const ITEM_ACTIONS: [&str; 12] = [
    "dynamodb:GetItem",
    "dynamodb:BatchGetItem",
    "dynamodb:Query",
    "dynamodb:Scan",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:ConditionCheckItem",
    "dynamodb:PartiQLSelect",
    "dynamodb:PartiQLInsert",
    "dynamodb:PartiQLUpdate",
];

const ITEM_WRITES: [&str; 4] = [
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:BatchWriteItem",
];

#[test]
fn every_function_has_a_role_of_its_own_without_managed_policies() {
    let Some(template) = expanded() else { return };
    let functions = functions(template);
    assert_eq!(functions.len(), 24);
    let roles: BTreeSet<&str> = functions.iter().map(|f| f.role.as_str()).collect();
    assert_eq!(
        roles.len(),
        functions.len(),
        "no two functions share a role"
    );
    for function in &functions {
        let role = &template["Resources"][&function.role]["Properties"];
        assert!(
            role.get("ManagedPolicyArns").is_none(),
            "{}: managed policies cannot be checked here (and SAM's allow \"*\"): {}",
            function.logical_id,
            role["ManagedPolicyArns"]
        );
        for statement in &function.statements {
            assert!(
                statement.actions.iter().all(|a| !a.contains('*')),
                "{}: {statement:?} names actions by wildcard",
                function.logical_id
            );
        }
        assert!(
            function.actions_on(&format!(
                "{}LogGroup",
                function.logical_id.trim_end_matches("Function")
            )) == BTreeSet::from(["logs:CreateLogStream".into(), "logs:PutLogEvents".into()]),
            "{} writes its own log group",
            function.logical_id
        );
    }
}

#[test]
fn no_statement_allows_every_resource_except_where_aws_requires_it() {
    let Some(template) = expanded() else { return };
    for function in functions(template) {
        for statement in function
            .statements
            .iter()
            .filter(|s| s.allows_every_resource())
        {
            let beyond: Vec<&String> = statement
                .actions
                .iter()
                .filter(|a| !STAR_ONLY_ACTIONS.contains(&a.as_str()))
                .collect();
            assert!(
                beyond.is_empty(),
                "{} allows {beyond:?} on every resource ({})",
                function.logical_id,
                statement.sid
            );
            assert_eq!(
                statement.resources,
                [Value::from("*")],
                "{}: {}",
                function.logical_id,
                statement.sid
            );
        }
    }
}

#[test]
fn each_function_reaches_exactly_the_queues_it_is_wired_to() {
    let Some(template) = expanded() else { return };
    let mut consumed = BTreeMap::new();
    let mut sent = BTreeMap::new();
    for function in functions(template) {
        let id = function.logical_id.clone();
        let queues_consumed: BTreeSet<String> = function
            .event_sources()
            .into_iter()
            .filter(|source| resource_type(template, source) == "AWS::SQS::Queue")
            .collect();
        let send_queues = function.send_queues();
        let watched = function.watched_queues();
        let mut reached = BTreeSet::new();
        for statement in &function.statements {
            let sqs: BTreeSet<&String> = statement
                .actions
                .iter()
                .filter(|a| a.starts_with("sqs:"))
                .collect();
            if sqs.is_empty() {
                continue;
            }
            assert!(!statement.allows_every_resource(), "{id}: {statement:?}");
            for queue in statement.targets() {
                reached.insert(queue.clone());
                let mut expected = BTreeSet::new();
                if queues_consumed.contains(&queue) {
                    expected.extend(CONSUME_ACTIONS);
                }
                if send_queues.contains(&queue) {
                    expected.insert("sqs:SendMessage");
                }
                if watched.contains(&queue) {
                    expected.insert("sqs:GetQueueAttributes");
                }
                assert!(
                    !expected.is_empty(),
                    "{id} reaches {queue}, which it is not wired to"
                );
                let allowed: BTreeSet<&str> = sqs.iter().map(|a| a.as_str()).collect();
                assert!(
                    allowed.is_subset(&expected),
                    "{id} may {allowed:?} on {queue}; it needs only {expected:?}"
                );
            }
        }
        for queue in &queues_consumed {
            assert_eq!(
                function
                    .actions_on(queue)
                    .iter()
                    .filter(|a| CONSUME_ACTIONS.contains(&a.as_str()))
                    .count(),
                CONSUME_ACTIONS.len(),
                "{id} cannot consume {queue}, its event source"
            );
        }
        for queue in &send_queues {
            assert!(
                function.actions_on(queue).contains("sqs:SendMessage"),
                "{id} cannot send to {queue}, which it is configured with"
            );
        }
        for queue in &watched {
            assert!(
                function
                    .actions_on(queue)
                    .contains("sqs:GetQueueAttributes"),
                "{id} cannot probe {queue}, which it watches"
            );
        }
        if id == "SchedulerFunction" {
            let every_queue: BTreeSet<String> = template["Resources"]
                .as_object()
                .into_iter()
                .flatten()
                .filter(|(_, r)| r["Type"] == "AWS::SQS::Queue")
                .map(|(id, _)| id.clone())
                .collect();
            assert_eq!(watched, every_queue, "the detectors watch every queue");
        }
        assert_eq!(
            reached,
            &(&queues_consumed | &send_queues) | &watched,
            "{id} reaches exactly its queues"
        );
        consumed.insert(id.clone(), queues_consumed);
        sent.insert(id, send_queues);
    }
    let set = |ids: &[&str]| ids.iter().map(|s| (*s).to_owned()).collect::<BTreeSet<_>>();
    assert_eq!(consumed["AuditWriterFunction"], set(&["AuditQueue"]));
    assert_eq!(
        consumed["AutomationRunnerFunction"],
        set(&["AutomationQueue"])
    );
    assert!(sent["AuditWriterFunction"].is_empty());
    assert_eq!(sent["AutomationRunnerFunction"], set(&["WebhooksQueue"]));
    assert!(sent["EventRouterFunction"].is_superset(&set(&[
        "AuditQueue",
        "AutomationQueue",
        "WebhooksQueue",
        "JobsQueue",
        "JobsHighQueue"
    ])));
    // Jobs reach their queues through the outbox and the router (and a job
    // not yet due goes back to its own queue), never from a request.
    assert_eq!(
        consumed["JobWorkerFunction"],
        set(&["JobsQueue", "JobsHighQueue"])
    );
    assert_eq!(
        sent["JobWorkerFunction"],
        set(&["JobsQueue", "JobsHighQueue"])
    );
    for api in api_functions() {
        if api != "AutomationFunction" {
            assert!(sent[&api].is_empty() && consumed[&api].is_empty(), "{api}");
        }
    }
}

#[test]
fn only_the_router_reads_a_stream_and_only_the_outbox() {
    let Some(template) = expanded() else { return };
    for function in functions(template) {
        let streams: BTreeSet<String> = function
            .statements
            .iter()
            .filter(|s| STREAM_ACTIONS.iter().any(|a| s.actions.contains(*a)))
            .flat_map(|s| {
                assert!(!s.allows_every_resource(), "{s:?}");
                s.resources.to_vec()
            })
            .map(|r| r.to_string())
            .collect();
        if function.logical_id == "EventRouterFunction" {
            assert_eq!(
                streams,
                BTreeSet::from([r#"{"Fn::GetAtt":["MainTable","StreamArn"]}"#.to_owned()])
            );
            assert_eq!(
                function.event_sources(),
                BTreeSet::from(["MainTable".to_owned()])
            );
        } else {
            assert!(streams.is_empty(), "{}: {streams:?}", function.logical_id);
            assert!(
                !function
                    .statements
                    .iter()
                    .any(|s| s.actions.contains("dynamodb:ListStreams")),
                "{}",
                function.logical_id
            );
        }
    }
}

#[test]
fn no_api_function_can_write_the_audit_table() {
    let Some(template) = expanded() else { return };
    let access: BTreeMap<String, BTreeSet<String>> = functions(template)
        .iter()
        .map(|f| (f.logical_id.clone(), f.actions_on("AuditTable")))
        .filter(|(_, actions)| !actions.is_empty())
        .collect();
    let expected: BTreeMap<String, BTreeSet<String>> = [
        ("AuditWriterFunction", "dynamodb:PutItem"),
        ("AuditLogsFunction", "dynamodb:Query"),
    ]
    .into_iter()
    .map(|(f, a)| (f.to_owned(), BTreeSet::from([a.to_owned()])))
    .collect();
    assert_eq!(access, expected);
    for api in api_functions() {
        let writes: Vec<&String> = access
            .get(&api)
            .into_iter()
            .flatten()
            .filter(|a| ITEM_WRITES.contains(&a.as_str()))
            .collect();
        assert!(writes.is_empty(), "{api} may {writes:?} the audit table");
    }
}

#[test]
fn only_auth_can_read_the_signing_key() {
    let Some(template) = expanded() else { return };
    for function in functions(template) {
        let secret_statements: Vec<&Statement> = function
            .statements
            .iter()
            .filter(|s| s.actions.iter().any(|a| a.starts_with("secretsmanager:")))
            .collect();
        if function.logical_id == "AuthFunction" {
            assert_eq!(secret_statements.len(), 1);
            let statement = secret_statements[0];
            assert_eq!(
                statement.actions,
                BTreeSet::from(["secretsmanager:GetSecretValue".to_owned()])
            );
            assert_eq!(
                statement.resources,
                [serde_json::json!({"Ref": "JwtSigningKeySecretArn"})]
            );
        } else {
            assert!(
                secret_statements.is_empty(),
                "{} can read secrets: {secret_statements:?}",
                function.logical_id
            );
        }
    }
}

/// The key prefixes each function may write on the main table, as its
/// folder declares them (`functions/<binary>/table-writes`, one per line,
/// `#` comments). A prefix is an entity's partition (or a partition its
/// links share); writing one not declared there needs that file and the
/// template changed together.
/// The binary of `<Name>Function` (`template_real` checks the naming):
/// `AuditLogsFunction` → `audit-logs`.
fn binary_of(logical_id: &str) -> String {
    let name = logical_id.strip_suffix("Function").unwrap_or(logical_id);
    let mut binary = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            binary.push('-');
        }
        binary.push(c.to_ascii_lowercase());
    }
    binary
}

fn owned_write_prefixes(binary: &str) -> Vec<String> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../functions")
        .join(binary)
        .join("table-writes");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut prefixes: Vec<String> = text
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(str::to_owned)
        .collect();
    prefixes.sort();
    prefixes
}

#[test]
fn table_item_access_is_limited_to_key_prefixes_and_writes_to_owned_ones() {
    let Some(template) = expanded() else { return };
    for function in functions(template) {
        let id = function.logical_id.as_str();
        let mut written = BTreeSet::new();
        for statement in &function.statements {
            let on_items = statement
                .actions
                .iter()
                .any(|a| ITEM_ACTIONS.contains(&a.as_str()));
            let on_tables = statement.targets().iter().any(|t| {
                resource_type(template, t) == "AWS::DynamoDB::Table"
                    && !statement
                        .resources
                        .iter()
                        .all(|r| r.to_string().contains("StreamArn"))
            });
            if !(on_items && on_tables) {
                continue;
            }
            assert!(
                !statement.actions.contains("dynamodb:Scan"),
                "{id}: no request path scans"
            );
            let keys = statement.leading_keys.clone().unwrap_or_else(|| {
                panic!(
                    "{id}: {} has no dynamodb:LeadingKeys condition",
                    statement.sid
                )
            });
            assert!(
                !keys.is_empty() && keys.iter().all(|k| k != "*" && k.len() > 2),
                "{id}: {} allows any key: {keys:?}",
                statement.sid
            );
            // A `ConditionCheckItem` alone changes nothing: the session
            // check's conditions are on keys no API function owns.
            if statement.targets_resource("MainTable")
                && statement
                    .actions
                    .iter()
                    .any(|a| ITEM_WRITES.contains(&a.as_str()))
            {
                written.extend(keys);
            }
        }
        let written: Vec<&str> = written
            .iter()
            .map(String::as_str)
            .filter(|k| *k != "ENTITY#*")
            .collect();
        let expected = owned_write_prefixes(&binary_of(id));
        assert_eq!(written, expected, "{id} writes exactly its own prefixes");
    }
}

#[test]
fn queue_consumers_are_capped_so_they_cannot_starve_the_api() {
    let Some(template) = expanded() else { return };
    let apis = api_functions();
    for function in functions(template) {
        let id = &function.logical_id;
        let reserved = function.properties["ReservedConcurrentExecutions"].as_u64();
        if apis.contains(id) {
            assert_eq!(reserved, None, "{id}: the API shares the unreserved pool");
        }
        for mapping in &function.mappings {
            let source = references(&mapping["Properties"]["EventSourceArn"]);
            let on_queue = source
                .iter()
                .all(|s| resource_type(template, s) == "AWS::SQS::Queue");
            if !on_queue {
                continue;
            }
            let maximum = mapping["Properties"]["ScalingConfig"]["MaximumConcurrency"]
                .as_u64()
                .unwrap_or_else(|| panic!("{id}: {source:?} has no MaximumConcurrency"));
            let reserved = reserved.unwrap_or_else(|| panic!("{id}: no reserved concurrency"));
            assert!(
                (2..=reserved).contains(&maximum),
                "{id}: MaximumConcurrency {maximum} must be within 2..={reserved} (its reserved concurrency), or pollers are throttled"
            );
        }
    }
    // The local runtime reads the same settings.
    let local = super::real_template(&super::context());
    for id in ["AuditWriterFunction", "AutomationRunnerFunction"] {
        let function = local.function(id).expect("the function");
        assert_eq!(function.reserved_concurrency, Some(5), "{id}");
        let source = function.sqs_sources().next().expect("its queue");
        assert_eq!(source.maximum_concurrency, Some(5), "{id}");
    }
}

/// The keys of the main table's items that `function` may `action`, from
/// every statement that allows it.
fn keys_for(function: &model::Function<'_>, action: &str) -> BTreeSet<String> {
    function
        .statements
        .iter()
        .filter(|s| s.actions.contains(action) && s.targets_resource("MainTable"))
        .flat_map(|s| s.leading_keys.clone().unwrap_or_default())
        .collect()
}

#[test]
fn every_api_function_may_batch_its_session_check_and_carry_it_in_a_transaction() {
    let Some(template) = expanded() else { return };
    let session = BTreeSet::from(["SESSION#*".to_owned(), "USER#*".to_owned()]);
    let api = api_functions();
    for function in functions(template) {
        let id = function.logical_id.as_str();
        if !api.contains(id) || id == "HealthFunction" {
            continue;
        }
        // The check's reads and the route's first read by key, of any
        // prefix the function reads by key, in one `BatchGetItem`: one
        // statement must allow every key of such a batch.
        let read: BTreeSet<String> = keys_for(&function, "dynamodb:GetItem")
            .union(&session)
            .cloned()
            .collect();
        let batched = function.statements.iter().any(|s| {
            s.actions.contains("dynamodb:BatchGetItem")
                && s.targets_resource("MainTable")
                && s.leading_keys
                    .as_ref()
                    .is_some_and(|keys| keys.is_superset(&read))
        });
        assert!(batched, "{id}: no statement lets it BatchGetItem {read:?}");
        let checked = keys_for(&function, "dynamodb:ConditionCheckItem");
        assert!(
            checked.is_superset(&session),
            "{id}: may not ConditionCheckItem the caller's session and user"
        );
    }
}
