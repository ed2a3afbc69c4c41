//! A template's S3 buckets and SES e-mail identities on moto
//! (`AWS_ENDPOINT_URL_SQS`, default `http://127.0.0.1:5000`; start it with
//! `infra/local/emulators.sh start`), and the e-mail sent from an identity
//! as `/_mail` lists it. Invariant: every test uses its own bucket names
//! and addresses, so the tests run in parallel, and beside anything else
//! that uses the same moto.

mod support;

use aws_sdk_sesv2::types::{Body, Content, Destination, EmailContent, Message};
use opsflow_local::mail::{read_sent, Mail, MAIL_PATH};
use opsflow_local::resources::{create_all, delete_all, EmulatorClients};
use opsflow_local::template::{self, LocalContext, Template};
use serde_json::Value;

const TEMPLATE: &str = r#"
Parameters:
  Environment:
    Type: String
    Default: dev
  Sender:
    Type: String
    Default: opsflow@example.com
Resources:
  Reports:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: !Sub opsflow-${Environment}-reports-${AWS::AccountId}-${AWS::Region}
      BucketEncryption:
        ServerSideEncryptionConfiguration:
          - ServerSideEncryptionByDefault: {SSEAlgorithm: AES256}
      LifecycleConfiguration:
        Rules: [{Id: Expire, Status: Enabled, ExpirationInDays: 30}]
  ReportsPolicy:
    Type: AWS::S3::BucketPolicy
    Properties:
      Bucket: !Ref Reports
      PolicyDocument:
        Statement:
          - Effect: Deny
            Principal: '*'
            Action: 's3:*'
            Resource: [!GetAtt Reports.Arn, !Sub '${Reports.Arn}/*']
            Condition: {Bool: {'aws:SecureTransport': 'false'}}
  SenderIdentity:
    Type: AWS::SES::EmailIdentity
    Properties:
      EmailIdentity: !Ref Sender
"#;

/// A test's own copy of `TEMPLATE` in `region`: a unique environment (so
/// a unique bucket) and sender.
struct Fixture {
    clients: EmulatorClients,
    template: Template,
    run: String,
    sender: String,
}

async fn fixture_in(region: &str) -> Fixture {
    let id = uuid::Uuid::new_v4().simple().to_string();
    let run = id[..12].to_owned();
    let sender = format!("sender-{run}@example.com");
    let ctx = LocalContext {
        parameters: [
            ("Environment".to_owned(), format!("t{run}")),
            ("Sender".to_owned(), sender.clone()),
        ]
        .into_iter()
        .collect(),
        region: region.into(),
        account_id: "123456789012".into(),
        sqs_endpoint: support::moto_endpoint(),
        ..LocalContext::default()
    };
    Fixture {
        clients: support::clients_in(region).await,
        template: template::parse(TEMPLATE, &ctx).expect("the test template parses"),
        run,
        sender,
    }
}

impl Fixture {
    fn bucket(&self) -> String {
        self.template
            .bucket("Reports")
            .expect("Reports")
            .name
            .clone()
    }

    async fn bucket_exists(&self) -> bool {
        let head = self
            .clients
            .s3
            .head_bucket()
            .bucket(self.bucket())
            .send()
            .await;
        match head {
            Ok(_) => true,
            Err(error) if error.as_service_error().is_some_and(|e| e.is_not_found()) => false,
            Err(error) => panic!("HeadBucket: {error:?}"),
        }
    }

    async fn put(&self, key: &str) {
        (self.clients.s3.put_object())
            .bucket(self.bucket())
            .key(key)
            .body(b"a,b\n".to_vec().into())
            .send()
            .await
            .expect("PutObject");
    }

    async fn object_count(&self) -> usize {
        let listed = self
            .clients
            .s3
            .list_objects_v2()
            .bucket(self.bucket())
            .send()
            .await;
        listed.expect("ListObjectsV2").contents().len()
    }

    async fn identity_exists(&self) -> bool {
        let got = (self.clients.sesv2.get_email_identity())
            .email_identity(&self.sender)
            .send()
            .await;
        match got {
            Ok(_) => true,
            Err(error)
                if error
                    .as_service_error()
                    .is_some_and(|e| e.is_not_found_exception()) =>
            {
                false
            }
            Err(error) => panic!("GetEmailIdentity: {error:?}"),
        }
    }

    /// SES v2 `SendEmail` of a text message; its message id.
    async fn send(&self, from: &str, to: &str, subject: &str) -> anyhow::Result<String> {
        let text = |data: &str| Content::builder().data(data).build();
        let message = Message::builder()
            .subject(text(subject)?)
            .body(Body::builder().text(text("The report is ready.")?).build())
            .build();
        let sent = (self.clients.sesv2.send_email())
            .from_email_address(from)
            .destination(Destination::builder().to_addresses(to).build())
            .content(EmailContent::builder().simple(message).build())
            .send()
            .await
            .map_err(|e| anyhow::anyhow!("{}", aws_sdk_sesv2::error::DisplayErrorContext(&e)))?;
        Ok(sent.message_id.unwrap_or_default())
    }
}

#[tokio::test]
async fn creates_buckets_and_identities_once() {
    let fixture = fixture_in(support::REGION).await;
    let created = create_all(&fixture.template, &fixture.clients, false)
        .await
        .expect("moto must be running: run `make emulators`");
    let bucket = fixture.bucket();
    assert_eq!(
        bucket,
        format!("opsflow-t{}-reports-123456789012-us-east-1", fixture.run)
    );
    assert_eq!(created.bucket_names["Reports"], bucket);
    assert_eq!(created.email_identities["SenderIdentity"], fixture.sender);
    assert!(fixture.bucket_exists().await);
    assert!(fixture.identity_exists().await);

    // A second run keeps the bucket and what it holds.
    fixture.put("reports/1.csv").await;
    let again = create_all(&fixture.template, &fixture.clients, false)
        .await
        .expect("a second create_all");
    assert_eq!(again, created);
    assert_eq!(fixture.object_count().await, 1);

    // A reset empties it.
    create_all(&fixture.template, &fixture.clients, true)
        .await
        .expect("create_all with reset");
    assert!(fixture.bucket_exists().await);
    assert_eq!(fixture.object_count().await, 0);

    delete_all(&fixture.template, &fixture.clients)
        .await
        .expect("delete_all");
    assert!(!fixture.bucket_exists().await);
    assert!(!fixture.identity_exists().await);
}

#[tokio::test]
async fn a_bucket_outside_us_east_1_is_created_in_its_region() {
    let fixture = fixture_in("eu-west-1").await;
    create_all(&fixture.template, &fixture.clients, false)
        .await
        .expect("create_all in eu-west-1");
    create_all(&fixture.template, &fixture.clients, false)
        .await
        .expect("BucketAlreadyOwnedByYou is fine");
    let location = (fixture.clients.s3.get_bucket_location())
        .bucket(fixture.bucket())
        .send()
        .await
        .expect("GetBucketLocation");
    assert_eq!(
        location.location_constraint().map(|c| c.as_str()),
        Some("eu-west-1")
    );
    delete_all(&fixture.template, &fixture.clients)
        .await
        .expect("delete_all");
}

/// `GET /_mail{query}` of a local page served for the test.
async fn mail_page(query: &str) -> Value {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a local port");
    let address = listener.local_addr().expect("its address");
    let router = Mail::new(&support::moto_endpoint()).router();
    let server = tokio::spawn(async move { axum::serve(listener, router).await });
    let response = reqwest::get(format!("http://{address}{MAIL_PATH}{query}"))
        .await
        .expect("GET /_mail");
    let status = response.status();
    let page: Value = response.json().await.expect("a JSON page");
    assert_eq!(status, 200, "{page}");
    server.abort();
    page
}

#[tokio::test]
async fn mail_sent_from_the_identity_is_listed_newest_last() {
    let fixture = fixture_in(support::REGION).await;
    let stranger = format!("stranger-{}@example.com", fixture.run);
    let recipient = format!("ana-{}@example.com", fixture.run);
    // moto sends only from identities: the template's makes it possible.
    let refused = fixture.send(&fixture.sender, &recipient, "too early").await;
    assert!(refused.is_err(), "{refused:?}");
    create_all(&fixture.template, &fixture.clients, false)
        .await
        .expect("moto must be running: run `make emulators`");
    let refused = fixture.send(&stranger, &recipient, "not an identity").await;
    assert!(refused.is_err(), "{refused:?}");

    let first = fixture
        .send(
            &fixture.sender,
            &recipient,
            &format!("Report {} ready", fixture.run),
        )
        .await
        .expect("SendEmail from the identity");
    let second = fixture
        .send(&fixture.sender, &recipient, "Second")
        .await
        .expect("a second SendEmail");

    // Objects of a deleted bucket that no dump has read yet make moto's
    // dump fail, once each: the page asks again.
    let other = fixture_in(support::REGION).await;
    create_all(&other.template, &other.clients, false)
        .await
        .expect("another bucket");
    for key in ["a.csv", "b.csv", "c.csv"] {
        other.put(key).await;
    }
    delete_all(&other.template, &other.clients)
        .await
        .expect("delete_all");

    let page = mail_page(&format!("?to={recipient}")).await;
    let messages = page["messages"].as_array().expect("messages");
    let ids: Vec<&str> = messages.iter().filter_map(|m| m["id"].as_str()).collect();
    assert_eq!(ids, [first.as_str(), second.as_str()]);
    let message = &messages[0];
    assert_eq!(message["source"], fixture.sender.as_str());
    assert_eq!(message["subject"], format!("Report {} ready", fixture.run));
    assert_eq!(message["body"], "The report is ready.");
    assert_eq!(
        message["destinations"],
        serde_json::json!({"to": [recipient], "cc": [], "bcc": []})
    );

    // Unfiltered, the page lists them too, after anything sent before.
    let all = mail_page("").await;
    let all: Vec<&str> = (all["messages"].as_array().expect("messages").iter())
        .filter_map(|m| m["id"].as_str())
        .collect();
    let at = |id: &str| all.iter().position(|listed| *listed == id);
    assert!(at(&first).expect("listed") < at(&second).expect("listed"));

    // The page reads what `read_sent` reads.
    let sent = read_sent(&reqwest::Client::new(), &support::moto_endpoint())
        .await
        .expect("moto's model dump");
    let ours: Vec<_> = sent.iter().filter(|m| m.is_for(&recipient)).collect();
    assert_eq!(ours.len(), 2);
    assert_eq!(ours[1].subject, "Second");

    delete_all(&fixture.template, &fixture.clients)
        .await
        .expect("delete_all");
}
