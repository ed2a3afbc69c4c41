//! `opsflow-admin`: operator commands.
//!
//! ```text
//! opsflow-admin bootstrap --env ENV
//! opsflow-admin gen-keys [--out DIR] [--algorithm EdDSA|RS256]
//! opsflow-admin create-admin --email E --name N [--table T]
//! opsflow-admin migrate [--table T] [--dry-run] [--list] [--only ID] [--page-size N] [--max-pages N]
//! ```
//! `create-admin` reads the password from `OPSFLOW_ADMIN_PASSWORD` (never
//! from the command line, where other users could see it) or generates one
//! and prints it once. It uses the ordinary AWS credential chain, so it works
//! against a deployed table as well as DynamoDB Local
//! (`AWS_ENDPOINT_URL_DYNAMODB`).

use clap::{Parser, Subcommand};
use opsflow_platform::registry::Registry;
use opsflow_platform::store::migrate::RunOptions;
use opsflow_platform::store::Store;
use std::path::PathBuf;

include!(concat!(env!("OUT_DIR"), "/modules.rs"));

#[derive(Parser)]
#[command(name = "opsflow-admin", about = "Opsflow operator commands")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create an environment's signing key: the secret and the public-key
    /// parameters the template reads (once; a second run changes nothing).
    Bootstrap {
        /// The environment (samconfig.toml's Environment: dev, staging, prod).
        #[arg(long)]
        env: String,
    },
    /// Generate the access-token signing key pair.
    GenKeys {
        #[arg(long, default_value = ".local/keys")]
        out: PathBuf,
        #[arg(long, default_value = "EdDSA")]
        algorithm: String,
    },
    /// Create an admin account directly in the table.
    CreateAdmin {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// The entity table (default: $TABLE_NAME).
        #[arg(long, env = "TABLE_NAME")]
        table: String,
    },
    /// Run every module's data migrations on the entity table, in order: a
    /// finished one is skipped, a stopped one goes on where it stopped.
    Migrate {
        /// The entity table (default: $TABLE_NAME).
        #[arg(long, env = "TABLE_NAME")]
        table: String,
        /// Count what each migration would change; write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Show where each migration stands; run nothing.
        #[arg(long)]
        list: bool,
        /// Only this migration.
        #[arg(long)]
        only: Option<String>,
        /// Items per scanned page.
        #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(i32).range(1..=1000))]
        page_size: i32,
        /// Stop after this many pages of a migration (the next run goes on).
        #[arg(long)]
        max_pages: Option<u32>,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Bootstrap { env } => {
            let names = opsflow_admin::bootstrap::KeyNames::of(&env)?;
            let sdk = opsflow_platform::store::sdk_config().await;
            let made = opsflow_admin::bootstrap::bootstrap(
                &aws_sdk_secretsmanager::Client::new(&sdk),
                &aws_sdk_ssm::Client::new(&sdk),
                &names,
            )
            .await?;
            let what = if made.created {
                "created"
            } else {
                "already there"
            };
            println!("signing key of {env}: {what}");
            println!("  secret     {} ({})", names.secret, made.secret_arn);
            println!("  public key {}", names.public);
            println!("  previous   {}", names.previous);
            println!();
            println!("In samconfig.toml's {env} section:");
            println!("  \"JwtSigningKeySecretArn=\\\"{}\\\"\",", made.secret_arn);
            println!("  \"JwtPublicKey=\\\"{}\\\"\",", names.public);
            println!("  \"JwtPreviousPublicKey=\\\"{}\\\"\",", names.previous);
        }
        Command::GenKeys { out, algorithm } => {
            let (private, public) = opsflow_admin::generate_keys(&out, &algorithm)?;
            println!("private key: {} (keep it secret)", private.display());
            println!("public key:  {}", public.display());
            println!();
            println!("To deploy, store them where the template expects them:");
            println!("  aws secretsmanager create-secret --name opsflow/<env>/jwt-signing-key --secret-string file://{}", private.display());
            println!("  aws ssm put-parameter --name /opsflow/<env>/jwt-public-key --type String --value file://{}", public.display());
        }
        Command::CreateAdmin { email, name, table } => {
            let password = std::env::var("OPSFLOW_ADMIN_PASSWORD").ok();
            let sdk = opsflow_platform::store::sdk_config().await;
            let store = Store::new(aws_sdk_dynamodb::Client::new(&sdk), table);
            let created = opsflow_admin::create_admin(&store, &email, &name, password).await?;
            println!("created admin {} <{}>", created.user.id, created.user.email);
            if let Some(password) = created.generated_password {
                println!("generated password (shown once): {password}");
            }
        }
        Command::Migrate {
            table,
            dry_run,
            list,
            only,
            page_size,
            max_pages,
        } => {
            let registry = Registry::of(MODULES);
            let migrations =
                opsflow_admin::migrate::select(registry.migrations(), only.as_deref())?;
            let sdk = opsflow_platform::store::sdk_config().await;
            let store = Store::new(aws_sdk_dynamodb::Client::new(&sdk), table);
            if migrations.is_empty() {
                println!("no migrations");
            } else if list {
                let listed = opsflow_admin::migrate::list(&store, &migrations).await?;
                for (migration, progress) in migrations.iter().zip(&listed) {
                    println!(
                        "{}",
                        opsflow_admin::migrate::describe(migration, progress, false)
                    );
                }
            } else {
                if !dry_run {
                    opsflow_admin::migrate::check_order(&store, registry.migrations(), &migrations)
                        .await?;
                }
                let options = RunOptions {
                    dry_run,
                    page_size,
                    max_pages,
                };
                opsflow_admin::migrate::run(&store, &migrations, options, |migration, progress| {
                    println!(
                        "{}",
                        opsflow_admin::migrate::describe(migration, progress, dry_run)
                    );
                })
                .await?;
            }
        }
    }
    Ok(())
}
