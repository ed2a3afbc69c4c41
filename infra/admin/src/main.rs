//! `opsflow-admin`: operator commands.
//!
//! ```text
//! opsflow-admin bootstrap --env ENV
//! opsflow-admin gen-keys [--out DIR] [--algorithm EdDSA|RS256]
//! opsflow-admin create-admin --email E --name N [--table T]
//! ```
//! `create-admin` reads the password from `OPSFLOW_ADMIN_PASSWORD` (never
//! from the command line, where other users could see it) or generates one
//! and prints it once. It uses the ordinary AWS credential chain, so it works
//! against a deployed table as well as DynamoDB Local
//! (`AWS_ENDPOINT_URL_DYNAMODB`).

use clap::{Parser, Subcommand};
use opsflow_platform::store::Store;
use std::path::PathBuf;

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
    }
    Ok(())
}
