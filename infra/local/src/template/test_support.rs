//! Templates and contexts shared by the unit tests of the template
//! reader. Invariant: fixtures are YAML text exactly as a template file
//! would hold it, so every test goes through [`parse`] like real input, and
//! the helpers fail with a message naming what was expected instead of
//! returning a default.

use super::{parse, LocalContext};
use std::collections::BTreeMap;

pub(super) fn ctx() -> LocalContext {
    LocalContext {
        region: "eu-west-1".into(),
        account_id: "111122223333".into(),
        sqs_endpoint: "http://127.0.0.1:5000/".into(),
        ..LocalContext::default()
    }
}

pub(super) fn ctx_with(parameters: &[(&str, &str)]) -> LocalContext {
    let mut ctx = ctx();
    ctx.parameters = parameters
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    ctx
}

pub(super) fn error(yaml: &str, ctx: &LocalContext) -> String {
    format!(
        "{:#}",
        parse(yaml, ctx).expect_err("the template should be refused")
    )
}

/// A template with parameters, conditions, a table, queues and one
/// function whose environment variables are `variables` (YAML lines).
pub(super) fn with_variables(variables: &[&str]) -> String {
    let variables: String = variables
        .iter()
        .map(|line| format!("          {line}\n"))
        .collect();
    format!(
        r#"
Parameters:
  Environment:
    Type: String
    Default: dev
  Level:
    Type: String
    Default: info
    AllowedValues: [debug, info]
  Origins:
    Type: CommaDelimitedList
    Default: "http://a.test, http://b.test"
  Secret:
    Type: String
Mappings:
  Sizes:
    dev: {{Memory: 256}}
Conditions:
  IsProd: !Equals [!Ref Environment, prod]
  IsDev:
    Fn::Equals: [!Ref Environment, dev]
  NotProd: !Not [!Condition IsProd]
  DevAndDebug: !And [!Condition IsDev, !Equals [!Ref Level, debug]]
  DevOrProd: !Or [{{Condition: IsDev}}, !Condition IsProd]
Resources:
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: !Sub app-${{Environment}}
      AttributeDefinitions: [{{AttributeName: pk, AttributeType: S}}]
      KeySchema: [{{AttributeName: pk, KeyType: HASH}}]
      StreamSpecification: {{StreamViewType: NEW_IMAGE}}
  Queue:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: !Sub jobs-${{Environment}}
  Unnamed:
    Type: AWS::SQS::Queue
  Key:
    Type: AWS::SecretsManager::Secret
  Topic:
    Type: AWS::SNS::Topic
  ProdOnly:
    Type: AWS::SQS::Queue
    Condition: IsProd
  Fn:
    Type: AWS::Serverless::Function
    Metadata:
      BuildMethod: rust-cargolambda
      BuildProperties:
        Binary: worker
    Properties:
      FunctionName: !Sub worker-${{Environment}}
      Environment:
        Variables:
{variables}"#
    )
}

pub(super) fn env(variables: &[&str], ctx: &LocalContext) -> BTreeMap<String, String> {
    let template = parse(&with_variables(variables), ctx).expect("the template should parse");
    template
        .function("Fn")
        .expect("the template declares Fn")
        .environment
        .clone()
}

pub(super) fn var(expression: &str) -> String {
    let line = format!("X: {expression}");
    env(&[&line], &ctx()).remove("X").expect("X should be set")
}

pub(super) fn var_error(expression: &str) -> String {
    let line = format!("X: {expression}");
    error(&with_variables(&[&line]), &ctx())
}

pub(super) const FUNCTION_HEAD: &str = r#"
  Fn:
    Type: AWS::Serverless::Function
    Metadata:
      BuildMethod: rust-cargolambda
      BuildProperties:
        Binary: worker
    Properties:
"#;

pub(super) fn resources(body: &str) -> String {
    format!("Resources:\n{body}")
}

pub(super) fn function_with(properties: &str) -> String {
    resources(&format!("{FUNCTION_HEAD}{properties}"))
}

pub(super) fn events(events: &str) -> String {
    format!(
        r#"Resources:
  Api:
    Type: AWS::Serverless::HttpApi
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      AttributeDefinitions: [{{AttributeName: pk, AttributeType: S}}]
      KeySchema: [{{AttributeName: pk, KeyType: HASH}}]
      StreamSpecification: {{StreamViewType: NEW_AND_OLD_IMAGES}}
  Plain:
    Type: AWS::DynamoDB::Table
    Properties:
      AttributeDefinitions: [{{AttributeName: pk, AttributeType: S}}]
      KeySchema: [{{AttributeName: pk, KeyType: HASH}}]
  Queue:
    Type: AWS::SQS::Queue
{FUNCTION_HEAD}      Events:
{events}"#
    )
}
