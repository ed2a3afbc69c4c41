//! Creating a template's tables and queues on the real emulators: DynamoDB
//! Local (`AWS_ENDPOINT_URL_DYNAMODB`, default `http://127.0.0.1:8000`) and
//! moto (`AWS_ENDPOINT_URL_SQS`, default `http://127.0.0.1:5000`). Start
//! them with `infra/local/emulators.sh start`. Invariant: every test uses
//! its own resource names, so the tests run in parallel.

mod support;

use aws_sdk_dynamodb::types::{KeyType, TimeToLiveDescription, TimeToLiveStatus};
use aws_sdk_sqs::types::QueueAttributeName;
use opsflow_local::resources::{create_all, delete_all, CreatedResources, EmulatorClients};
use opsflow_local::template::{self, LocalContext, Template};
use std::collections::HashMap;

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
    clients: EmulatorClients,
}

/// A test's own copy of a template on the emulators: its environment (a
/// unique name) and its table's name.
struct Fixture {
    emulators: Emulators,
    environment: String,
    template: Template,
    table_name: String,
}

/// `TEMPLATE` for a new, unique environment.
async fn fixture() -> Fixture {
    let emulators = Emulators {
        clients: support::clients().await,
    };
    let id = uuid::Uuid::new_v4().simple().to_string();
    let environment = format!("t{}", &id[..12]);
    Fixture {
        template: template(TEMPLATE, &environment),
        table_name: format!("items-{environment}"),
        emulators,
        environment,
    }
}

fn template(yaml: &str, environment: &str) -> Template {
    let ctx = LocalContext {
        parameters: [("Environment".to_owned(), environment.to_owned())]
            .into_iter()
            .collect(),
        region: support::REGION.into(),
        account_id: "123456789012".into(),
        sqs_endpoint: support::moto_endpoint(),
        ..LocalContext::default()
    };
    template::parse(yaml, &ctx).expect("the test template parses")
}

/// The table's TTL setting, as DynamoDB Local describes it.
async fn time_to_live(emulators: &Emulators, table: &str) -> TimeToLiveDescription {
    emulators
        .clients
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
        .clients
        .dynamodb
        .scan()
        .table_name(table)
        .send()
        .await
        .expect("Scan")
        .items()
        .len()
}

impl Emulators {
    /// `create_all` of the template on these emulators.
    async fn create(&self, template: &Template, reset: bool) -> anyhow::Result<CreatedResources> {
        create_all(template, &self.clients, reset).await
    }

    async fn delete(&self, template: &Template) {
        delete_all(template, &self.clients)
            .await
            .expect("delete_all");
    }

    async fn queue_attributes(&self, url: &str) -> HashMap<QueueAttributeName, String> {
        support::queue_attributes(&self.clients.sqs, url).await
    }

    async fn put_item(&self, table: &str) {
        support::put_item(
            &self.clients.dynamodb,
            table,
            &[("pk", "user#1"), ("sk", "profile")],
        )
        .await;
    }

    async fn send_message(&self, url: &str) {
        support::send(&self.clients.sqs, url, "hello").await;
    }

    async fn visible_messages(&self, url: &str) -> usize {
        self.queue_attributes(url)
            .await
            .get(&QueueAttributeName::ApproximateNumberOfMessages)
            .and_then(|n| n.parse().ok())
            .expect("ApproximateNumberOfMessages")
    }
}

#[tokio::test]
async fn creates_tables_and_queues_once() {
    let Fixture {
        emulators,
        environment,
        template,
        table_name,
    } = fixture().await;
    let created = emulators
        .create(&template, false)
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
        .clients
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
    let jobs = emulators
        .queue_attributes(&created.queue_urls["Jobs"])
        .await;
    assert_eq!(jobs[&QueueAttributeName::VisibilityTimeout], "45");
    let policy: serde_json::Value =
        serde_json::from_str(&jobs[&QueueAttributeName::RedrivePolicy]).unwrap();
    assert_eq!(policy["deadLetterTargetArn"], created.queue_arns["JobsDlq"]);
    assert_eq!(policy["maxReceiveCount"].to_string().trim_matches('"'), "3");
    let dlq = emulators
        .queue_attributes(&created.queue_urls["JobsDlq"])
        .await;
    assert_eq!(dlq[&QueueAttributeName::MessageRetentionPeriod], "1209600");
    let ordered = emulators
        .queue_attributes(&created.queue_urls["Ordered"])
        .await;
    assert_eq!(ordered[&QueueAttributeName::FifoQueue], "true");

    // A second run keeps everything, data included.
    emulators.put_item(&table_name).await;
    emulators.send_message(&created.queue_urls["Jobs"]).await;
    let again = emulators
        .create(&template, false)
        .await
        .expect("second create_all");
    assert_eq!(again, created);
    assert_eq!(item_count(&emulators, &table_name).await, 1);
    assert_eq!(
        emulators.visible_messages(&again.queue_urls["Jobs"]).await,
        1
    );

    emulators.delete(&template).await;
    assert!(emulators
        .clients
        .dynamodb
        .describe_table()
        .table_name(&table_name)
        .send()
        .await
        .is_err());
}

#[tokio::test]
async fn reset_recreates_everything_empty() {
    let fixture = fixture().await;
    let (emulators, table_name) = (&fixture.emulators, fixture.table_name.as_str());
    let created = emulators.create(&fixture.template, false).await.unwrap();
    emulators.put_item(table_name).await;
    emulators.send_message(&created.queue_urls["Jobs"]).await;
    emulators.send_message(&created.queue_urls["JobsDlq"]).await;
    assert_eq!(item_count(emulators, table_name).await, 1);

    let reset = emulators
        .create(&fixture.template, true)
        .await
        .expect("create_all with reset");
    assert_eq!(item_count(emulators, table_name).await, 0);
    assert_eq!(
        emulators.visible_messages(&reset.queue_urls["Jobs"]).await,
        0
    );
    assert_eq!(
        emulators
            .visible_messages(&reset.queue_urls["JobsDlq"])
            .await,
        0
    );
    // Recreated with their settings: TTL and redrive again.
    let ttl = time_to_live(emulators, table_name).await;
    assert_eq!(ttl.time_to_live_status(), Some(&TimeToLiveStatus::Enabled));
    let jobs = emulators.queue_attributes(&reset.queue_urls["Jobs"]).await;
    let policy: serde_json::Value =
        serde_json::from_str(&jobs[&QueueAttributeName::RedrivePolicy]).unwrap();
    assert_eq!(policy["deadLetterTargetArn"], reset.queue_arns["JobsDlq"]);

    emulators.delete(&fixture.template).await;
}

#[tokio::test]
async fn a_table_with_other_keys_is_refused_until_reset() {
    let Fixture {
        emulators,
        environment,
        template: original,
        ..
    } = fixture().await;
    emulators.create(&original, false).await.unwrap();

    let changed_yaml = TEMPLATE.replace("        - {AttributeName: sk, KeyType: RANGE}\n", "");
    let changed_yaml =
        changed_yaml.replace("        - {AttributeName: sk, AttributeType: S}\n", "");
    let changed = template(&changed_yaml, &environment);
    let message = format!("{:#}", emulators.create(&changed, false).await.unwrap_err());
    assert!(
        message.contains(&format!("items-{environment}")),
        "{message}"
    );
    assert!(
        message.contains("key schema is pk/sk, the template has pk"),
        "{message}"
    );
    assert!(message.contains("--reset"), "{message}");

    let recreated = emulators
        .create(&changed, true)
        .await
        .expect("reset replaces the table");
    let table = emulators
        .clients
        .dynamodb
        .describe_table()
        .table_name(&recreated.table_names["Items"])
        .send()
        .await
        .unwrap()
        .table
        .unwrap();
    assert_eq!(table.key_schema().len(), 1);

    emulators.delete(&changed).await;
}
