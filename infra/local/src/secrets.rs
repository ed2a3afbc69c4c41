//! The local platform's key material: the token signing key pair and the
//! cursor secret, generated once into `.local/keys/` and kept between runs
//! (so that tokens and cursors stay valid across restarts), and the signing
//! key put into moto's Secrets Manager, where the `auth` function loads it
//! exactly as it does in AWS.
//!
//! Invariant: the private key and the cursor secret are written readable by
//! their owner only, and an existing secret in moto is updated, not
//! duplicated.

use anyhow::Context;
use opsflow_platform::auth::keys;
use opsflow_platform::store::emulator_sdk_config;
use std::path::Path;

/// Key material of the local platform, kept between runs so that tokens
/// and cursors stay valid across restarts.
#[derive(Clone)]
pub struct LocalSecrets {
    pub private_pem: String,
    pub public_pem: String,
    pub cursor_secret: String,
}

impl LocalSecrets {
    pub fn load_or_create(dir: &Path) -> anyhow::Result<Self> {
        let private = dir.join("jwt-private.pem");
        let public = dir.join("jwt-public.pem");
        let cursor = dir.join("cursor-secret");
        if !(private.is_file() && public.is_file() && cursor.is_file()) {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
            let pair = keys::generate_ed25519()?;
            std::fs::write(&private, &pair.private_pem)?;
            std::fs::write(&public, &pair.public_pem)?;
            std::fs::write(&cursor, opsflow_platform::auth::secret::generate()?)?;
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(&private, std::fs::Permissions::from_mode(0o600))?;
                std::fs::set_permissions(&cursor, std::fs::Permissions::from_mode(0o600))?;
            }
        }
        Ok(Self {
            private_pem: std::fs::read_to_string(&private)?,
            public_pem: std::fs::read_to_string(&public)?,
            cursor_secret: std::fs::read_to_string(&cursor)?.trim().to_owned(),
        })
    }
}

/// The local secret holding the signing key, created or updated in moto;
/// returns its ARN.
pub(crate) async fn store_signing_key(
    sqs_endpoint: &str,
    region: &str,
    environment: &str,
    pem: &str,
) -> anyhow::Result<String> {
    let config = emulator_sdk_config(sqs_endpoint, region).await;
    let client = aws_sdk_secretsmanager::Client::new(&config);
    let name = format!("opsflow/{environment}/jwt-signing-key");
    let arn = match client.describe_secret().secret_id(&name).send().await {
        Ok(existing) => {
            client
                .put_secret_value()
                .secret_id(&name)
                .secret_string(pem)
                .send()
                .await
                .context("updating the local signing key secret")?;
            existing.arn().map(str::to_owned)
        }
        Err(_) => client
            .create_secret()
            .name(&name)
            .secret_string(pem)
            .send()
            .await
            .context("creating the local signing key secret in moto")?
            .arn()
            .map(str::to_owned),
    };
    arn.context("the local secret has no ARN")
}
