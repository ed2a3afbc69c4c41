//! What an on-call engineer is paged by, checked on the template as
//! CloudFormation will see it (expanded by the SAM translator): every
//! function's throttles, every work queue's oldest message, every
//! dead-letter and the quarantine queue, the stream's iterator age, the
//! API's 5xx rate and p99 latency and the worst route's, all notifying one
//! topic — the `AlarmTopicArn` parameter when given, else the stack's own
//! — and the dashboard that shows them, whose body is valid JSON naming
//! only resources of the stack; every function released behind its `live`
//! alias by CodeDeploy, rolled back by the API's 5xx alarms.

use crate::iam::model::expanded;
use serde_json::Value;
use std::collections::BTreeSet;

fn resources(template: &Value, kind: &str) -> Vec<(String, Value)> {
    template["Resources"]
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(_, r)| r["Type"] == kind)
        .map(|(id, r)| (id.clone(), r.clone()))
        .collect()
}

/// The logical ids an alarm's metric dimensions name (`Ref` or `GetAtt`).
fn watched(alarm: &Value) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let dimensions = alarm["Properties"]["Dimensions"].as_array().cloned();
    for dimension in dimensions.unwrap_or_default() {
        let value = &dimension["Value"];
        if let Some(id) = value["Ref"].as_str() {
            found.insert(id.to_owned());
        }
        if let Some(id) = value["Fn::GetAtt"][0].as_str() {
            found.insert(id.to_owned());
        }
    }
    found
}

fn alarms_on(template: &Value, metric: &str) -> BTreeSet<String> {
    resources(template, "AWS::CloudWatch::Alarm")
        .iter()
        .filter(|(_, a)| a["Properties"]["MetricName"] == metric)
        .flat_map(|(_, a)| watched(a))
        .collect()
}

#[test]
fn every_function_queue_and_the_api_have_the_alarms_on_call_needs() {
    let Some(template) = expanded() else { return };
    let functions: BTreeSet<String> = resources(template, "AWS::Lambda::Function")
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    assert_eq!(alarms_on(template, "Throttles"), functions, "throttles");
    let queues = resources(template, "AWS::SQS::Queue");
    let redriven: BTreeSet<String> = queues
        .iter()
        .filter_map(|(_, q)| {
            q["Properties"]["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0].as_str()
        })
        .map(str::to_owned)
        .collect();
    let work: BTreeSet<String> = queues
        .iter()
        .filter(|(id, _)| !redriven.contains(id) && id.as_str() != "EventQuarantineQueue")
        .map(|(id, _)| id.clone())
        .collect();
    assert_eq!(work.len(), 7, "{work:?}");
    assert_eq!(alarms_on(template, "ApproximateAgeOfOldestMessage"), work);
    let mut parked = redriven.clone();
    parked.insert("EventQuarantineQueue".into());
    assert_eq!(
        alarms_on(template, "ApproximateNumberOfMessagesVisible"),
        parked
    );
    assert!(alarms_on(template, "IteratorAge").contains("EventRouterFunction"));
    let alarms = resources(template, "AWS::CloudWatch::Alarm");
    let names: BTreeSet<&str> = alarms.iter().map(|(id, _)| id.as_str()).collect();
    for id in [
        "ApiServerErrorRateAlarm",
        "ApiLatencyAlarm",
        "RouteServerErrorsAlarm",
        "RouteLatencyAlarm",
    ] {
        assert!(names.contains(id), "{id}");
    }
    assert_eq!(
        alarms
            .iter()
            .find(|(id, _)| id == "ApiLatencyAlarm")
            .unwrap()
            .1["Properties"]["ExtendedStatistic"],
        "p99"
    );
}

#[test]
fn every_alarm_notifies_the_given_topic_or_the_stacks_own() {
    let Some(template) = expanded() else { return };
    let topic = serde_json::json!({"Fn::If": ["HasAlarmTopicArn", {"Ref": "AlarmTopicArn"}, {"Ref": "AlarmTopic"}]});
    for (id, alarm) in resources(template, "AWS::CloudWatch::Alarm") {
        for actions in ["AlarmActions", "OKActions"] {
            assert_eq!(
                alarm["Properties"][actions],
                serde_json::json!([topic]),
                "{id} {actions}"
            );
        }
    }
    assert_eq!(
        template["Resources"]["AlarmTopic"]["Condition"],
        "CreateAlarmTopic"
    );
}

#[test]
fn the_dashboard_is_json_that_names_only_the_stacks_resources() {
    let Some(template) = expanded() else { return };
    let dashboard = &template["Resources"]["Dashboard"]["Properties"]["DashboardBody"]["Fn::Sub"];
    let text = dashboard[0].as_str().expect("a body to substitute");
    // What CloudFormation substitutes, replaced by stand-ins.
    let mut body = text.to_owned();
    let mut named = BTreeSet::new();
    while let Some(start) = body.find("${") {
        let end = start + body[start..].find('}').expect("a closed ${…}");
        let name = body[start + 2..end].to_owned();
        named.insert(name.split('.').next().unwrap_or_default().to_owned());
        body.replace_range(start..=end, "x");
    }
    let parsed: Value = serde_json::from_str(&body).expect("the body is JSON");
    assert!(parsed["widgets"].as_array().unwrap().len() >= 12);
    for name in named {
        let known = name.starts_with("AWS::")
            || template["Resources"].get(&name).is_some()
            || template["Parameters"].get(&name).is_some();
        assert!(known, "the dashboard names {name}, which the stack has not");
    }
}

#[test]
fn every_function_is_released_behind_its_alias_and_rolled_back_by_the_5xx_alarms() {
    let Some(template) = expanded() else { return };
    assert_eq!(template["Parameters"]["SamLocal"]["Default"], "false");
    let all = &template["Resources"];
    for (function, _) in resources(template, "AWS::Lambda::Function") {
        let alias = &all[format!("{function}Aliaslive")];
        assert_eq!(alias["Properties"]["Name"], "live", "{function}");
        let group = alias["UpdatePolicy"]["CodeDeployLambdaAliasUpdate"]["DeploymentGroupName"]
            ["Ref"]
            .as_str()
            .unwrap_or_else(|| panic!("{function}: no CodeDeploy deployment group"));
        let group = &all[group]["Properties"];
        let alarms: BTreeSet<&str> = group["AlarmConfiguration"]["Alarms"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|a| a["Name"]["Ref"].as_str())
            .collect();
        assert_eq!(
            alarms,
            BTreeSet::from(["ApiServerErrorRateAlarm", "RouteServerErrorsAlarm"]),
            "{function}"
        );
        let rollback = group["AutoRollbackConfiguration"]["Events"].to_string();
        assert!(rollback.contains("DEPLOYMENT_STOP_ON_ALARM"), "{function}");
        // A key rotation bumps this to publish every function anew (a new
        // SSM value alone publishes no version).
        let function_properties = &all[&function]["Properties"];
        assert!(
            function_properties["Environment"]["Variables"]["JWT_KEYS_REVISION"].is_string(),
            "{function}"
        );
        // The emulators' endpoints exist for `sam local` only: a deployed
        // function (SamLocal false) has none.
        let variables = function_properties["Environment"]["Variables"]
            .as_object()
            .expect("variables");
        for (name, value) in variables
            .iter()
            .filter(|(n, _)| n.starts_with("AWS_ENDPOINT_URL"))
        {
            let branches = value["Fn::If"].as_array().expect("a conditional endpoint");
            assert_eq!(branches[0], "IsSamLocal", "{function}.{name}");
            assert_eq!(branches[2]["Ref"], "AWS::NoValue", "{function}.{name}");
        }
    }
}
