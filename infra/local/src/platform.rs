//! `serve`: the whole platform on this machine. Reads the template,
//! creates its tables, queues, buckets and e-mail identities on the
//! emulators, puts the token signing key into the local Secrets Manager
//! (moto) so the `auth` function loads it exactly as in AWS (see
//! `secrets`), starts every function behind the Runtime API emulator,
//! serves the HTTP API (with the local pages `/docs`, `/_inbox` and
//! `/_mail` beside it), and runs the queue, stream and schedule mappings
//! until it is stopped. Functions reach every AWS service through the
//! emulators: `AWS_ENDPOINT_URL_<SERVICE>` names DynamoDB Local or moto.
//!
//! Invariant: one shutdown signal stops every mapping and the gateway, and a
//! mapping whose table, stream or queue is missing is an error naming its
//! function, raised before the HTTP API is served.

use crate::docs::DocsSite;
use crate::gateway::Gateway;
use crate::inbox::Inbox;
use crate::mail::Mail;
use crate::resources::{self, CreatedResources, EmulatorClients};
use crate::runtime::{Runtime, RuntimeOptions};
use crate::secrets::store_signing_key;
use crate::sources::{schedule, sqs, stream, Wiring};
use crate::template::{self, EventSource, LocalContext, Template};
use crate::Invoke;
use anyhow::Context;
use opsflow_platform::store::{emulator_sdk_config, Store};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use crate::secrets::LocalSecrets;

/// Where the emulators are and how the platform runs.
#[derive(Debug, Clone)]
pub struct PlatformOptions {
    pub template: PathBuf,
    /// Template parameter overrides (`Environment=local`, …).
    pub parameters: BTreeMap<String, String>,
    /// The HTTP API's address; port 0 picks a free one.
    pub listen: SocketAddr,
    pub binaries_dir: PathBuf,
    pub max_instances: usize,
    /// Start from empty tables and queues.
    pub reset: bool,
    /// Where the local signing key pair and cursor secret are kept between
    /// runs (`.local/keys`).
    pub keys_dir: PathBuf,
    pub dynamodb_endpoint: String,
    /// moto's URL, for every service it emulates (SQS, Secrets Manager,
    /// S3, SES).
    pub sqs_endpoint: String,
    pub region: String,
    pub account_id: String,
    pub print_logs: bool,
    /// Run the SQS, stream and schedule mappings (`serve`); off for one-off
    /// commands such as `invoke`, which run only what they are asked to.
    pub event_sources: bool,
    /// The interactive documentation served at `/docs` beside the API
    /// (`None`: no `/docs`).
    pub docs: Option<DocsSite>,
}

impl PlatformOptions {
    /// Defaults for this checkout: emulators on their usual ports (or the
    /// `AWS_ENDPOINT_URL_*` variables), the gateway on 127.0.0.1:3000.
    pub fn from_env() -> Self {
        let env =
            |name: &str, default: &str| std::env::var(name).unwrap_or_else(|_| default.to_owned());
        Self {
            template: PathBuf::from("template.yaml"),
            parameters: BTreeMap::from([("Environment".to_owned(), "local".to_owned())]),
            listen: SocketAddr::from(([127, 0, 0, 1], 3000)),
            binaries_dir: PathBuf::from("target/debug"),
            max_instances: 4,
            reset: false,
            keys_dir: PathBuf::from(".local/keys"),
            dynamodb_endpoint: env("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:8000"),
            sqs_endpoint: env("AWS_ENDPOINT_URL_SQS", "http://127.0.0.1:5000"),
            region: env("AWS_REGION", "us-east-1"),
            account_id: "123456789012".to_owned(),
            print_logs: true,
            event_sources: true,
            docs: Some(DocsSite::in_checkout(Path::new("."))),
        }
    }
}

/// The template as the platform runs it, and its resources on the
/// emulators.
pub struct Provisioned {
    pub template: Template,
    pub resources: CreatedResources,
    pub clients: EmulatorClients,
    /// What the platform sets in every function's environment (endpoints,
    /// credentials, local keys).
    pub function_environment: BTreeMap<String, String>,
}

/// The running platform.
pub struct Platform {
    pub address: SocketAddr,
    pub template: Template,
    pub resources: CreatedResources,
    pub runtime: Arc<Runtime>,
    /// The entity table's name (for seeding).
    pub table_name: String,
    pub dynamodb: aws_sdk_dynamodb::Client,
    shutdown: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl Platform {
    /// What every use of the platform needs before anything runs: the
    /// local keys (the signing key in moto's Secrets Manager), the template
    /// read with the local values (`gateway_address` is where the local
    /// webhook receiver answers), and its tables, queues, buckets and
    /// identities created on the emulators.
    pub async fn provision(
        options: &PlatformOptions,
        gateway_address: &str,
    ) -> anyhow::Result<Provisioned> {
        let secrets = LocalSecrets::load_or_create(&options.keys_dir)?;
        let environment = options
            .parameters
            .get("Environment")
            .cloned()
            .unwrap_or_else(|| "local".to_owned());
        let secret_arn = store_signing_key(
            &options.sqs_endpoint,
            &options.region,
            &environment,
            &secrets.private_pem,
        )
        .await?;

        let mut parameters = options.parameters.clone();
        parameters
            .entry("JwtSigningKeySecretArn".to_owned())
            .or_insert(secret_arn);
        // The template reads the public keys from SSM parameters, which the
        // emulators have not: the local key, and no previous one.
        parameters
            .entry("JwtPublicKey".to_owned())
            .or_insert_with(|| secrets.public_pem.clone());
        parameters
            .entry("JwtPreviousPublicKey".to_owned())
            .or_insert_with(|| "none".to_owned());
        let function_environment = BTreeMap::from([
            ("AWS_ACCESS_KEY_ID".to_owned(), "local".to_owned()),
            ("AWS_SECRET_ACCESS_KEY".to_owned(), "local".to_owned()),
            (
                "AWS_ENDPOINT_URL_DYNAMODB".to_owned(),
                options.dynamodb_endpoint.clone(),
            ),
            (
                "AWS_ENDPOINT_URL_SQS".to_owned(),
                options.sqs_endpoint.clone(),
            ),
            (
                "AWS_ENDPOINT_URL_SECRETS_MANAGER".to_owned(),
                options.sqs_endpoint.clone(),
            ),
            (
                "AWS_ENDPOINT_URL_S3".to_owned(),
                options.sqs_endpoint.clone(),
            ),
            (
                "AWS_ENDPOINT_URL_SESV2".to_owned(),
                options.sqs_endpoint.clone(),
            ),
            ("JWT_PUBLIC_KEY".to_owned(), secrets.public_pem.clone()),
            ("CURSOR_SECRET".to_owned(), secrets.cursor_secret.clone()),
            ("WEBHOOK_ALLOW_HOSTS".to_owned(), gateway_address.to_owned()),
        ]);
        let context = LocalContext {
            parameters,
            region: options.region.clone(),
            account_id: options.account_id.clone(),
            sqs_endpoint: options.sqs_endpoint.clone(),
            environment_overrides: function_environment.clone(),
        };
        let template = template::load(&options.template, &context)
            .with_context(|| format!("reading {}", options.template.display()))?;
        // Resources with no local meaning (alarms, log groups, …) are
        // listed at debug level; anything else the runtime cannot honour is
        // a warning.
        let (ignored, notable): (Vec<&String>, Vec<&String>) = template
            .warnings
            .iter()
            .partition(|w| w.starts_with("ignored locally"));
        for warning in &ignored {
            tracing::debug!("{warning}");
        }
        if !ignored.is_empty() {
            tracing::info!(
                "{} template resources have no local meaning and are skipped (OPSFLOW_LOCAL_LOG=debug lists them)",
                ignored.len()
            );
        }
        for warning in notable {
            tracing::warn!("{warning}");
        }

        let clients = EmulatorClients::connect(
            &options.dynamodb_endpoint,
            &options.sqs_endpoint,
            &options.region,
        )
        .await;
        let resources = resources::create_all(&template, &clients, options.reset)
            .await
            .context(
                "creating the template's resources (are the emulators up? `make emulators`)",
            )?;
        Ok(Provisioned {
            template,
            resources,
            clients,
            function_environment,
        })
    }

    pub async fn start(options: PlatformOptions) -> anyhow::Result<Self> {
        let listener = tokio::net::TcpListener::bind(options.listen)
            .await
            .with_context(|| format!("listening on {}", options.listen))?;
        let address = listener.local_addr()?;
        let Provisioned {
            template,
            resources,
            clients,
            function_environment,
        } = Self::provision(&options, &address.to_string()).await?;
        let (dynamodb, sqs_client) = (clients.dynamodb.clone(), clients.sqs.clone());
        let streams = aws_sdk_dynamodbstreams::Client::new(
            &emulator_sdk_config(&options.dynamodb_endpoint, &options.region).await,
        );

        let base_environment: BTreeMap<String, String> = function_environment
            .into_iter()
            .filter(|(k, _)| k.starts_with("AWS_"))
            .collect();
        let runtime = Runtime::new(
            &template.functions,
            RuntimeOptions {
                binaries_dir: options.binaries_dir.clone(),
                max_instances: options.max_instances,
                region: options.region.clone(),
                account_id: options.account_id.clone(),
                base_environment,
                print_logs: options.print_logs,
                ..RuntimeOptions::default()
            },
        )?;
        let invoker: Arc<dyn Invoke> = runtime.clone();
        let (shutdown, shutdown_rx) = watch::channel(false);
        let wiring = Wiring {
            invoker: invoker.clone(),
            shutdown: shutdown_rx.clone(),
        };
        let mut tasks = Vec::new();

        let sourced = if options.event_sources {
            template.functions.as_slice()
        } else {
            &[]
        };
        for function in sourced {
            // What the resources hold under `key`; else the error
            // `{function}: {missing}`.
            let named = |map: &BTreeMap<String, String>, key: &str, missing: String| {
                map.get(key)
                    .cloned()
                    .with_context(|| format!("{}: {missing}", function.logical_id))
            };
            let queue_url =
                |queue: &str| named(&resources.queue_urls, queue, format!("no queue {queue}"));
            for event in &function.events {
                match event {
                    EventSource::Http(_) => {}
                    EventSource::Sqs(source) => {
                        let mapping = sqs::SqsMapping {
                            source: source.clone(),
                            queue_url: queue_url(&source.queue)?,
                            queue_arn: resources
                                .queue_arns
                                .get(&source.queue)
                                .cloned()
                                .unwrap_or_default(),
                            region: options.region.clone(),
                        };
                        tasks.push(tokio::spawn(sqs::run(
                            mapping,
                            sqs_client.clone(),
                            wiring.clone(),
                        )));
                    }
                    EventSource::Stream(source) => {
                        let stream_arn = named(
                            &resources.stream_arns,
                            &source.table,
                            format!("table {} has no stream", source.table),
                        )?;
                        let mapping = stream::StreamMapping {
                            source: source.clone(),
                            stream_arn,
                            region: options.region.clone(),
                            on_failure: match &source.on_failure {
                                None => None,
                                Some(queue) => Some(stream::OnFailureQueue {
                                    sqs: sqs_client.clone(),
                                    url: queue_url(queue)?,
                                }),
                            },
                        };
                        tasks.push(tokio::spawn(stream::run(
                            mapping,
                            streams.clone(),
                            wiring.clone(),
                        )));
                    }
                    EventSource::Schedule(source) => {
                        schedule::parse(&source.expression).with_context(|| {
                            format!("{}: schedule {}", function.logical_id, source.name)
                        })?;
                        tasks.push(tokio::spawn(schedule::run(
                            source.clone(),
                            options.region.clone(),
                            options.account_id.clone(),
                            wiring.clone(),
                        )));
                    }
                }
            }
        }

        let gateway = Arc::new(Gateway::new(
            template.routes.clone(),
            template.cors.clone(),
            invoker.clone(),
        )?);
        let table_name = template
            .tables
            .iter()
            .find(|t| t.logical_id == "MainTable")
            .map(|t| t.name.clone())
            .unwrap_or_default();
        let inbox = Inbox::new(
            Store::new(dynamodb.clone(), table_name.clone()),
            format!("http://{address}"),
        );
        let local_pages = (options.docs.clone())
            .map_or_else(axum::Router::new, DocsSite::router)
            .merge(inbox.router())
            .merge(Mail::new(&options.sqs_endpoint).router());
        let mut gateway_shutdown = shutdown_rx.clone();
        tasks.push(tokio::spawn(async move {
            let stop = async move {
                let _ = gateway_shutdown.wait_for(|stop| *stop).await;
            };
            if let Err(error) = gateway.serve_beside(listener, local_pages, stop).await {
                tracing::error!(error = %format!("{error:#}"), "the HTTP API stopped");
            }
        }));

        Ok(Self {
            address,
            template,
            resources,
            runtime,
            table_name,
            dynamodb,
            shutdown,
            tasks,
        })
    }

    /// Stops the mappings and the HTTP API, then every function instance.
    pub async fn stop(self) {
        let _ = self.shutdown.send(true);
        for task in self.tasks {
            let _ = tokio::time::timeout(Duration::from_secs(5), task).await;
        }
        self.runtime.shutdown().await;
    }
}
