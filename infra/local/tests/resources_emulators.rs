//! Creating a template's tables and queues on the real emulators: DynamoDB
//! Local (`AWS_ENDPOINT_URL_DYNAMODB`, default `http://127.0.0.1:8000`) and
//! moto (`AWS_ENDPOINT_URL_SQS`, default `http://127.0.0.1:5000`). Start
//! them with `infra/local/emulators.sh start`. Every test uses its own
//! resource names, so the tests run in parallel.

use aws_sdk_dynamodb::types::{AttributeValue, KeyType, TimeToLiveDescription, TimeToLiveStatus};
use aws_sdk_sqs::types::QueueAttributeName;
use opsflow_local::resources::{create_all, delete_all, CreatedResources};
use opsflow_local::template::{self, LocalContext, Template};

const TEMPLATE: &str = r#"
Parameters:
  Environment:
    Type: String
    Default: dev
Resources:
  Items:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: !Sub items-${Environment}
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions:
        - {AttributeName: pk, AttributeType: S}
        - {AttributeName: sk, AttributeType: S}
        - {AttributeName: gsi1pk, AttributeType: S}
      KeySchema:
        - {AttributeName: pk, KeyType: HASH}
        - {AttributeName: sk, KeyType: RANGE}
      GlobalSecondaryIndexes:
        - IndexName: gsi1
          KeySchema: [{AttributeName: gsi1pk, KeyType: HASH}]
          Projection: {ProjectionType: INCLUDE, NonKeyAttributes: [name]}
      StreamSpecification: {StreamViewType: NEW_AND_OLD_IMAGES}
      TimeToLiveSpecification: {AttributeName: expires_at, Enabled: true}
  # Declared before its dead-letter queue on purpose.
  Jobs:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: !Sub jobs-${Environment}
      VisibilityTimeout: 45
      RedrivePolicy:
        deadLetterTargetArn: !GetAtt JobsDlq.Arn
        maxReceiveCount: 3
  JobsDlq:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: !Sub jobs-dlq-${Environment}
      MessageRetentionPeriod: 1209600
  Ordered:
    Type: AWS::SQS::Queue
    Properties:
      FifoQueue: true
      QueueName: !Sub ordered-${Environment}.fifo
"#;

struct Emulators {
    dynamodb: aws_sdk_dynamodb::Client,
    sqs: aws_sdk_sqs::Client,
    sqs_endpoint: String,
}

async fn emulators() -> Emulators {
    let endpoint = |variable: &str, default: &str| {
        std::env::var(variable)
            .ok()
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| default.to_owned())
    };
    let dynamodb_endpoint = endpoint("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:8000");
    let sqs_endpoint = endpoint("AWS_ENDPOINT_URL_SQS", "http://127.0.0.1:5000");
    let config = |url: String| async move {
        opsflow_platform::store::emulator_sdk_config(&url, "us-east-1").await
    };
    Emulators {
        dynamodb: aws_sdk_dynamodb::Client::new(&config(dynamodb_endpoint).await),
        sqs: aws_sdk_sqs::Client::new(&config(sqs_endpoint.clone()).await),
        sqs_endpoint,
    }
}

/// A unique environment name, so that each test has its own resources.
fn unique_environment() -> String {
    let id = uuid::Uuid::new_v4().simple().to_string();
    format!("t{}", &id[..12])
}

fn template(yaml: &str, environment: &str, emulators: &Emulators) -> Template {
    let ctx = LocalContext {
        parameters: [("Environment".to_owned(), environment.to_owned())]
            .into_iter()
            .collect(),
        region: "us-east-1".into(),
        account_id: "123456789012".into(),
        sqs_endpoint: emulators.sqs_endpoint.clone(),
        ..LocalContext::default()
    };
    template::parse(yaml, &ctx).expect("the test template parses")
}

async fn queue_attributes(
    emulators: &Emulators,
    url: &str,
) -> std::collections::HashMap<QueueAttributeName, String> {
    emulators
        .sqs
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::All)
        .send()
        .await
        .expect("GetQueueAttributes")
        .attributes
        .unwrap_or_default()
}

/// The table's TTL setting, as DynamoDB Local describes it.
async fn time_to_live(emulators: &Emulators, table: &str) -> TimeToLiveDescription {
    emulators
        .dynamodb
        .describe_time_to_live()
        .table_name(table)
        .send()
        .await
        .expect("DescribeTimeToLive")
        .time_to_live_description
        .expect("a TTL description")
}

async fn item_count(emulators: &Emulators, table: &str) -> usize {
    emulators
        .dynamodb
        .scan()
        .table_name(table)
        .send()
        .await
        .expect("Scan")
        .items()
        .len()
}

async fn put_item(emulators: &Emulators, table: &str) {
    emulators
        .dynamodb
        .put_item()
        .table_name(table)
        .item("pk", AttributeValue::S("user#1".into()))
        .item("sk", AttributeValue::S("profile".into()))
        .send()
        .await
        .expect("PutItem");
}

async fn send_message(emulators: &Emulators, url: &str) {
    emulators
        .sqs
        .send_message()
        .queue_url(url)
        .message_body("hello")
        .send()
        .await
        .expect("SendMessage");
}

async fn visible_messages(emulators: &Emulators, url: &str) -> usize {
    queue_attributes(emulators, url)
        .await
        .get(&QueueAttributeName::ApproximateNumberOfMessages)
        .and_then(|n| n.parse().ok())
        .expect("ApproximateNumberOfMessages")
}

#[tokio::test]
async fn creates_tables_and_queues_once() {
    let emulators = emulators().await;
    let environment = unique_environment();
    let template = template(TEMPLATE, &environment, &emulators);
    let table_name = format!("items-{environment}");

    let created = create_all(&template, &emulators.dynamodb, &emulators.sqs, false)
        .await
        .expect("first create_all");
    assert_eq!(created.table_names["Items"], table_name);
    assert!(created.stream_arns["Items"].contains(&table_name));
    assert!(created.queue_urls["Jobs"].ends_with(&format!("/jobs-{environment}")));
    assert!(created.queue_urls["JobsDlq"].ends_with(&format!("/jobs-dlq-{environment}")));
    assert!(created.queue_urls["Ordered"].ends_with(&format!("/ordered-{environment}.fifo")));
    assert!(created.queue_arns["JobsDlq"].ends_with(&format!(":jobs-dlq-{environment}")));

    // The table, as the template describes it.
    let table = emulators
        .dynamodb
        .describe_table()
        .table_name(&table_name)
        .send()
        .await
        .unwrap()
        .table
        .unwrap();
    let keys: Vec<_> = table
        .key_schema()
        .iter()
        .map(|k| (k.attribute_name(), k.key_type().clone()))
        .collect();
    assert_eq!(keys, [("pk", KeyType::Hash), ("sk", KeyType::Range)]);
    let index = &table.global_secondary_indexes()[0];
    assert_eq!(index.index_name(), Some("gsi1"));
    assert_eq!(
        index.projection().unwrap().non_key_attributes(),
        ["name".to_owned()]
    );
    assert_eq!(
        table
            .stream_specification()
            .and_then(|s| s.stream_view_type())
            .map(|v| v.as_str()),
        Some("NEW_AND_OLD_IMAGES")
    );
    assert_eq!(
        table.latest_stream_arn(),
        Some(created.stream_arns["Items"].as_str())
    );
    let ttl = time_to_live(&emulators, &table_name).await;
    assert_eq!(ttl.time_to_live_status(), Some(&TimeToLiveStatus::Enabled));
    assert_eq!(ttl.attribute_name(), Some("expires_at"));

    // The queues' attributes.
    let jobs = queue_attributes(&emulators, &created.queue_urls["Jobs"]).await;
    assert_eq!(jobs[&QueueAttributeName::VisibilityTimeout], "45");
    let policy: serde_json::Value =
        serde_json::from_str(&jobs[&QueueAttributeName::RedrivePolicy]).unwrap();
    assert_eq!(policy["deadLetterTargetArn"], created.queue_arns["JobsDlq"]);
    assert_eq!(policy["maxReceiveCount"].to_string().trim_matches('"'), "3");
    let dlq = queue_attributes(&emulators, &created.queue_urls["JobsDlq"]).await;
    assert_eq!(dlq[&QueueAttributeName::MessageRetentionPeriod], "1209600");
    let ordered = queue_attributes(&emulators, &created.queue_urls["Ordered"]).await;
    assert_eq!(ordered[&QueueAttributeName::FifoQueue], "true");

    // A second run keeps everything, data included.
    put_item(&emulators, &table_name).await;
    send_message(&emulators, &created.queue_urls["Jobs"]).await;
    let again = create_all(&template, &emulators.dynamodb, &emulators.sqs, false)
        .await
        .expect("second create_all");
    assert_eq!(again, created);
    assert_eq!(item_count(&emulators, &table_name).await, 1);
    assert_eq!(
        visible_messages(&emulators, &again.queue_urls["Jobs"]).await,
        1
    );

    delete_all(&template, &emulators.dynamodb, &emulators.sqs)
        .await
        .unwrap();
    assert!(emulators
        .dynamodb
        .describe_table()
        .table_name(&table_name)
        .send()
        .await
        .is_err());
}

#[tokio::test]
async fn reset_recreates_everything_empty() {
    let emulators = emulators().await;
    let environment = unique_environment();
    let template = template(TEMPLATE, &environment, &emulators);
    let table_name = format!("items-{environment}");

    let created = create_all(&template, &emulators.dynamodb, &emulators.sqs, false)
        .await
        .unwrap();
    put_item(&emulators, &table_name).await;
    send_message(&emulators, &created.queue_urls["Jobs"]).await;
    send_message(&emulators, &created.queue_urls["JobsDlq"]).await;
    assert_eq!(item_count(&emulators, &table_name).await, 1);

    let reset = create_all(&template, &emulators.dynamodb, &emulators.sqs, true)
        .await
        .expect("create_all with reset");
    assert_eq!(item_count(&emulators, &table_name).await, 0);
    assert_eq!(
        visible_messages(&emulators, &reset.queue_urls["Jobs"]).await,
        0
    );
    assert_eq!(
        visible_messages(&emulators, &reset.queue_urls["JobsDlq"]).await,
        0
    );
    // Recreated with their settings: TTL and redrive again.
    let ttl = time_to_live(&emulators, &table_name).await;
    assert_eq!(ttl.time_to_live_status(), Some(&TimeToLiveStatus::Enabled));
    let jobs = queue_attributes(&emulators, &reset.queue_urls["Jobs"]).await;
    let policy: serde_json::Value =
        serde_json::from_str(&jobs[&QueueAttributeName::RedrivePolicy]).unwrap();
    assert_eq!(policy["deadLetterTargetArn"], reset.queue_arns["JobsDlq"]);

    delete_all(&template, &emulators.dynamodb, &emulators.sqs)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_table_with_other_keys_is_refused_until_reset() {
    let emulators = emulators().await;
    let environment = unique_environment();
    let original = template(TEMPLATE, &environment, &emulators);
    create_all(&original, &emulators.dynamodb, &emulators.sqs, false)
        .await
        .unwrap();

    let changed_yaml = TEMPLATE.replace("        - {AttributeName: sk, KeyType: RANGE}\n", "");
    let changed_yaml =
        changed_yaml.replace("        - {AttributeName: sk, AttributeType: S}\n", "");
    let changed = template(&changed_yaml, &environment, &emulators);
    let message = format!(
        "{:#}",
        create_all(&changed, &emulators.dynamodb, &emulators.sqs, false)
            .await
            .unwrap_err()
    );
    assert!(
        message.contains(&format!("items-{environment}")),
        "{message}"
    );
    assert!(
        message.contains("key schema is pk/sk, the template has pk"),
        "{message}"
    );
    assert!(message.contains("--reset"), "{message}");

    let recreated: CreatedResources =
        create_all(&changed, &emulators.dynamodb, &emulators.sqs, true)
            .await
            .expect("reset replaces the table");
    let table = emulators
        .dynamodb
        .describe_table()
        .table_name(&recreated.table_names["Items"])
        .send()
        .await
        .unwrap()
        .table
        .unwrap();
    assert_eq!(table.key_schema().len(), 1);

    delete_all(&changed, &emulators.dynamodb, &emulators.sqs)
        .await
        .unwrap();
}
