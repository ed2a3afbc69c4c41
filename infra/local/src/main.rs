//! `opsflow-local`: run Opsflow on this machine from `template.yaml`.
//!
//! ```text
//! opsflow-local serve [--seed] [--reset] [--port 3000]   the whole platform
//! opsflow-local invoke <LogicalId> -e events/…json        one invocation (like `sam local invoke`)
//! opsflow-local seed                                       demo accounts
//! opsflow-local sam-env                                    the env-vars file of `sam local invoke`
//! opsflow-local bench                                      the benchmark of `make bench`
//! ```
//! The emulators (DynamoDB Local, moto) must be running: `make emulators`.

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use opsflow_local::platform::{Platform, PlatformOptions};
use opsflow_local::{seed, InvokeOutcome};
use opsflow_platform::store::Store;
use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "opsflow-local",
    about = "Run Opsflow locally from template.yaml, without Docker"
)]
struct Cli {
    #[command(flatten)]
    common: Common,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args)]
struct Common {
    /// The SAM template.
    #[arg(long, global = true, default_value = "template.yaml")]
    template: PathBuf,
    /// Template parameter overrides, e.g. `--param Environment=local`.
    #[arg(long = "param", global = true, value_parser = parse_pair)]
    params: Vec<(String, String)>,
    /// Where cargo put the function binaries.
    #[arg(long, global = true, default_value = "target/debug")]
    binaries: PathBuf,
    /// Start from empty tables and queues.
    #[arg(long, global = true)]
    reset: bool,
    /// Hide the functions' own log lines and REPORT lines.
    #[arg(long, global = true)]
    quiet: bool,
}

#[derive(Subcommand)]
enum Command {
    /// Run every function, the HTTP API, the queues, stream and schedules.
    Serve {
        #[arg(long, default_value = "127.0.0.1")]
        host: IpAddr,
        #[arg(long, default_value_t = 3000)]
        port: u16,
        /// Concurrent instances per function.
        #[arg(long, default_value_t = 4)]
        concurrency: usize,
        /// Create the demo accounts and print their logins.
        #[arg(long)]
        seed: bool,
    },
    /// Invoke one function with an event file and print its response.
    Invoke {
        /// The function's logical id in the template, e.g. `AuthFunction`.
        function: String,
        /// The event JSON (`-` for standard input).
        #[arg(short = 'e', long = "event")]
        event: PathBuf,
    },
    /// Create the demo accounts.
    Seed,
    /// Write the `--env-vars` file of `sam local invoke`/`start-api`: each
    /// function's variables as `serve` sets them (tables, queues and keys
    /// created here, the emulators' endpoints).
    SamEnv {
        /// Where to write it (samconfig.toml's `env_vars` reads this one).
        #[arg(short = 'o', long, default_value = ".local/sam-env.json")]
        output: PathBuf,
        /// The host a function's container reaches the emulators at
        /// (`host.docker.internal` with Docker Desktop); by default
        /// 127.0.0.1, for `--docker-network host`.
        #[arg(long)]
        endpoint_host: Option<String>,
    },
    /// File requests from many clients at once through the HTTP API of a
    /// platform of its own: throughput, latency and the event pipeline's
    /// lag (docs/performance.md).
    Load {
        #[arg(long, default_value_t = 8)]
        clients: usize,
        #[arg(long, default_value_t = 400)]
        requests: usize,
        #[arg(long, default_value_t = 50)]
        lag_samples: usize,
    },
    /// Measure every function (cold start, warm latency, memory, size,
    /// cost) against two baselines; writes bench/RESULTS.md.
    Bench {
        #[arg(long, default_value_t = 5)]
        cold_starts: usize,
        #[arg(long, default_value_t = 200)]
        warm: usize,
        #[arg(long, default_value = "bench/RESULTS.md")]
        output: PathBuf,
        /// Requests of the load that follows (0: none), from `--load-clients`.
        #[arg(long, default_value_t = 400)]
        load_requests: usize,
        #[arg(long, default_value_t = 8)]
        load_clients: usize,
        #[arg(long, default_value_t = 50)]
        lag_samples: usize,
    },
}

fn parse_pair(raw: &str) -> Result<(String, String), String> {
    raw.split_once('=')
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .ok_or_else(|| format!("expected NAME=VALUE, got {raw:?}"))
}

fn options(common: &Common) -> PlatformOptions {
    let mut options = PlatformOptions::from_env();
    options.template = common.template.clone();
    options.binaries_dir = common.binaries.clone();
    options.reset = common.reset;
    options.print_logs = !common.quiet;
    let overrides: BTreeMap<String, String> = common.params.iter().cloned().collect();
    options.parameters.extend(overrides);
    options
}

/// A measurement's platform: a fresh environment of its own (so the demo
/// admin is new and the figures do not depend on earlier data), on a free
/// port.
fn fresh_environment(options: &mut PlatformOptions, prefix: &str) {
    options.listen = SocketAddr::from(([127, 0, 0, 1], 0));
    let run = uuid::Uuid::new_v4().simple().to_string();
    options
        .parameters
        .insert("Environment".into(), format!("{prefix}-{}", &run[..8]));
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    // A measurement's own requests would flood the access log.
    let level = match cli.command {
        Command::Load { .. } | Command::Bench { .. } => "warn",
        _ => "info",
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("OPSFLOW_LOCAL_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level)),
        )
        .with_target(false)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr)
        .init();
    match run(cli).await {
        Ok(code) => code,
        Err(error) => {
            eprintln!("opsflow-local: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let mut options = options(&cli.common);
    match cli.command {
        Command::Serve {
            host,
            port,
            concurrency,
            seed: with_seed,
        } => {
            options.listen = SocketAddr::new(host, port);
            options.max_instances = concurrency;
            let platform = Platform::start(options).await?;
            let mut banner = format!(
                "\nOpsflow is running at http://{}\n  {} functions, {} routes, {} tables, {} queues, {} buckets\n",
                platform.address,
                platform.template.functions.len(),
                platform.template.routes.len(),
                platform.template.tables.len(),
                platform.template.queues.len(),
                platform.template.buckets.len(),
            );
            if with_seed {
                let store = Store::new(platform.dynamodb.clone(), platform.table_name.clone());
                banner.push_str(&seed::describe(&seed::seed(&store).await?));
                let inbox = format!("http://{}/_inbox", platform.address);
                seed::seed_inbox(&store, &format!("{inbox}/demo")).await?;
                banner.push_str(&format!(
                    "Webhook inbox (rejections are delivered here): {inbox}\n"
                ));
            }
            banner.push_str(&format!(
                "API documentation: http://{0}/docs\nE-mail sent (moto's SES): http://{0}{1}\nTry:  curl -s http://{0}/health\nStop with Ctrl-C.\n",
                platform.address,
                opsflow_local::mail::MAIL_PATH,
            ));
            println!("{banner}");
            if with_seed {
                // After the banner (its passwords are shown once), and best
                // effort: the platform is usable without them.
                let store = Store::new(platform.dynamodb.clone(), platform.table_name.clone());
                tokio::spawn(async move {
                    match opsflow_local::demo_requests::seed_requests(&store).await {
                        Ok(true) => println!(
                            "Demo requests filed: their risk shows on each approval and at /api/v1/aiInsights"
                        ),
                        Ok(false) => {}
                        Err(error) => eprintln!("demo requests not filed: {error:#}"),
                    }
                });
            }
            tokio::signal::ctrl_c()
                .await
                .context("waiting for Ctrl-C")?;
            eprintln!("stopping…");
            platform.stop().await;
            Ok(ExitCode::SUCCESS)
        }
        Command::Invoke { function, event } => {
            let payload = if event.as_os_str() == "-" {
                let mut buffer = Vec::new();
                std::io::Read::read_to_end(&mut std::io::stdin(), &mut buffer)?;
                buffer
            } else {
                std::fs::read(&event).with_context(|| format!("reading {}", event.display()))?
            };
            serde_json::from_slice::<serde_json::Value>(&payload)
                .with_context(|| format!("{} is not JSON", event.display()))?;
            options.listen = SocketAddr::from(([127, 0, 0, 1], 0));
            options.event_sources = false;
            let platform = Platform::start(options).await?;
            let (outcome, _report) = platform.runtime.invoke_function(&function, payload).await;
            platform.stop().await;
            match outcome {
                InvokeOutcome::Success(body) => {
                    println!("{}", String::from_utf8_lossy(&body));
                    Ok(ExitCode::SUCCESS)
                }
                InvokeOutcome::FunctionError {
                    error_type,
                    error_message,
                } => {
                    println!(
                        "{}",
                        serde_json::json!({"errorType": error_type, "errorMessage": error_message})
                    );
                    Ok(ExitCode::FAILURE)
                }
                InvokeOutcome::Timeout => {
                    println!(
                        "{}",
                        serde_json::json!({"errorType": "Sandbox.Timedout", "errorMessage": "Task timed out"})
                    );
                    Ok(ExitCode::FAILURE)
                }
                InvokeOutcome::NoSuchFunction => {
                    anyhow::bail!(
                        "no function {function} in {}",
                        cli.common.template.display()
                    )
                }
            }
        }
        Command::Load {
            clients,
            requests,
            lag_samples,
        } => {
            fresh_environment(&mut options, "load");
            let report = opsflow_local::load::run(opsflow_local::load::LoadOptions {
                platform: options,
                clients,
                requests,
                lag_samples,
            })
            .await?;
            println!("{}", report.render());
            for failure in report.failures.iter().take(5) {
                eprintln!("failed: {failure}");
            }
            Ok(if report.failures.is_empty() && report.lost == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        Command::Bench {
            cold_starts,
            warm,
            output,
            load_requests,
            load_clients,
            lag_samples,
        } => {
            // The load first: DynamoDB Local slows down with use, and the
            // load's throughput shows it most.
            let load = if load_requests > 0 {
                let mut load_options = options.clone();
                fresh_environment(&mut load_options, "bench-load");
                Some(
                    opsflow_local::load::run(opsflow_local::load::LoadOptions {
                        platform: load_options,
                        clients: load_clients,
                        requests: load_requests,
                        lag_samples,
                    })
                    .await?,
                )
            } else {
                None
            };
            fresh_environment(&mut options, "bench");
            let mut report = opsflow_local::bench::run(
                opsflow_local::bench::BenchOptions {
                    platform: options,
                    cold_starts,
                    warm_invocations: warm,
                },
                std::path::Path::new("."),
            )
            .await?;
            if let Some(load) = &load {
                report.push_str(&opsflow_local::bench::under_load(load));
            }
            if let Some(parent) = output.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(&output, &report)?;
            println!("{report}");
            eprintln!("written to {}", output.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::SamEnv {
            output,
            endpoint_host,
        } => {
            let provisioned = Platform::provision(&options, "127.0.0.1:3000").await?;
            let document = opsflow_local::sam_env::env_vars(
                &provisioned.template.functions,
                &[&options.dynamodb_endpoint, &options.sqs_endpoint],
                endpoint_host.as_deref(),
            );
            write_private(&output, &serde_json::to_vec_pretty(&document)?)?;
            println!(
                "{}: {} functions; sam local invoke <Function> -e events/… --docker-network host",
                output.display(),
                provisioned.template.functions.len()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Seed => {
            options.listen = SocketAddr::from(([127, 0, 0, 1], 0));
            options.event_sources = false;
            let platform = Platform::start(options).await?;
            let store = Store::new(platform.dynamodb.clone(), platform.table_name.clone());
            print!("{}", seed::describe(&seed::seed(&store).await?));
            platform.stop().await;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Writes `bytes` to `path` (creating its directory), readable by its
/// owner only: the file holds the local cursor secret.
fn write_private(path: &std::path::Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("creating {}", parent.display()))?;
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("writing {}", path.display()))?;
    // `mode` applies to a new file only: an older one keeps its own.
    file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    file.write_all(bytes)?;
    Ok(())
}
