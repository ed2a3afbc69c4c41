//! Templates and contexts shared by the unit tests of the template
//! reader. Invariant: fixtures are YAML text exactly as a template file
//! would hold it, so every test goes through [`parse`] like real input, and
//! the helpers fail with a message naming what was expected instead of
//! returning a default.

use super::{parse, FunctionDef, LocalContext, Template};
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

/// A table's keys: one string hash key, `pk` (a table's properties).
pub(super) const PK_KEY: &str = "      AttributeDefinitions: [{AttributeName: pk, AttributeType: S}]\n      KeySchema: [{AttributeName: pk, KeyType: HASH}]\n";

/// The head of the function `Fn` (built from the `worker` binary), up to
/// its `Properties:`.
pub(super) const FUNCTION_HEAD: &str = r#"
  Fn:
    Type: AWS::Serverless::Function
    Metadata:
      BuildMethod: rust-cargolambda
      BuildProperties:
        Binary: worker
    Properties:
"#;

/// A template with parameters, conditions, a table, queues, buckets (one
/// with a policy), an e-mail identity and one function whose environment
/// variables are `variables` (YAML lines).
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
  Sender:
    Type: String
    Default: ops@example.com
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
{PK_KEY}      StreamSpecification: {{StreamViewType: NEW_IMAGE}}
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
  Reports:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: !Sub reports-${{Environment}}-${{AWS::AccountId}}-${{AWS::Region}}
      BucketEncryption:
        ServerSideEncryptionConfiguration:
          - ServerSideEncryptionByDefault: {{SSEAlgorithm: AES256}}
  ReportsPolicy:
    Type: AWS::S3::BucketPolicy
    Properties:
      Bucket: !Ref Reports
      PolicyDocument:
        Statement:
          - {{Effect: Deny, Principal: '*', Action: 's3:*', Resource: !Sub '${{Reports.Arn}}/*'}}
  Scratch:
    Type: AWS::S3::Bucket
  SenderIdentity:
    Type: AWS::SES::EmailIdentity
    Properties:
      EmailIdentity: !Ref Sender
{FUNCTION_HEAD}      FunctionName: !Sub worker-${{Environment}}
      Environment:
        Variables:
{variables}"#
    )
}

/// The function `Fn` of a parsed template.
pub(super) fn function_fn(template: &Template) -> &FunctionDef {
    template.function("Fn").expect("the template declares Fn")
}

pub(super) fn env(variables: &[&str], ctx: &LocalContext) -> BTreeMap<String, String> {
    let template = parse(&with_variables(variables), ctx).expect("the template should parse");
    function_fn(&template).environment.clone()
}

pub(super) fn var(expression: &str) -> String {
    let line = format!("X: {expression}");
    env(&[&line], &ctx()).remove("X").expect("X should be set")
}

pub(super) fn var_error(expression: &str) -> String {
    let line = format!("X: {expression}");
    error(&with_variables(&[&line]), &ctx())
}

/// Asserts that `message` holds every fragment; a failure shows the message.
pub(super) fn assert_mentions(message: &str, fragments: &[&str]) {
    for fragment in fragments {
        assert!(message.contains(fragment), "{fragment:?} not in: {message}");
    }
}

/// Asserts, case by case, that the expression (the value of `X` in
/// [`with_variables`]) resolves to the text; a failure names the expression.
pub(super) fn assert_resolves(cases: &[(&str, &str)]) {
    for (expression, expected) in cases {
        assert_eq!(var(expression), *expected, "{expression}");
    }
}

/// Asserts, case by case, that the expression (the value of `X` in
/// [`with_variables`]) is refused with a message holding every fragment;
/// a failure names the expression.
pub(super) fn assert_var_refused(cases: &[(&str, &[&str])]) {
    for (expression, fragments) in cases {
        let message = var_error(expression);
        for fragment in *fragments {
            assert!(
                message.contains(fragment),
                "{expression}: {fragment:?} not in: {message}"
            );
        }
    }
}

/// Asserts, case by case, that the template (with [`ctx`]) is refused with
/// a message holding every fragment; a failure names the case's number.
pub(super) fn assert_refused(cases: &[(&str, &[&str])]) {
    for (i, (yaml, fragments)) in cases.iter().enumerate() {
        let message = error(yaml, &ctx());
        for fragment in *fragments {
            assert!(
                message.contains(fragment),
                "case {i}: {fragment:?} not in: {message}"
            );
        }
    }
}

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
{PK_KEY}      StreamSpecification: {{StreamViewType: NEW_AND_OLD_IMAGES}}
  Plain:
    Type: AWS::DynamoDB::Table
    Properties:
{PK_KEY}  Queue:
    Type: AWS::SQS::Queue
{FUNCTION_HEAD}      Events:
{events}"#
    )
}
