//! `opsflow-admin bootstrap --env <env>`: what an environment needs before
//! its first deploy, created once — the access tokens' signing key pair,
//! its private half in the Secrets Manager secret
//! `opsflow/<env>/jwt-signing-key` and its public half in the SSM
//! parameter `/opsflow/<env>/jwt-public-key`, and
//! `/opsflow/<env>/jwt-previous-public-key` set to `none`. Run again, it
//! changes nothing and answers the same ARN; a run that stopped halfway
//! (the secret made, not its public key) is completed from the secret; a
//! public key without its secret is refused (a new key would not match
//! it), and so is a secret scheduled for deletion.

use anyhow::{bail, Context};
use aws_sdk_secretsmanager::operation::describe_secret::DescribeSecretError;
use aws_sdk_ssm::operation::get_parameter::GetParameterError;
use aws_sdk_ssm::types::ParameterType;
use opsflow_platform::auth::keys;

/// What bootstrap found or made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bootstrapped {
    /// The signing secret's ARN: the environment's `JwtSigningKeySecretArn`.
    pub secret_arn: String,
    /// Whether this run made the keys (false: they were there).
    pub created: bool,
}

/// The names an environment's keys live under.
pub struct KeyNames {
    pub secret: String,
    pub public: String,
    pub previous: String,
}

impl KeyNames {
    /// The names for `env` (a samconfig environment's `Environment`).
    pub fn of(env: &str) -> anyhow::Result<Self> {
        let valid = (1..=32).contains(&env.len())
            && env
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !valid {
            bail!("--env {env:?}: 1 to 32 of a-z, 0-9 and -");
        }
        Ok(Self {
            secret: format!("opsflow/{env}/jwt-signing-key"),
            public: format!("/opsflow/{env}/jwt-public-key"),
            previous: format!("/opsflow/{env}/jwt-previous-public-key"),
        })
    }
}

async fn secret_arn(
    secrets: &aws_sdk_secretsmanager::Client,
    name: &str,
) -> anyhow::Result<Option<String>> {
    match secrets.describe_secret().secret_id(name).send().await {
        Ok(found) if found.deleted_date.is_some() => bail!(
            "the secret {name} is scheduled for deletion: restore it (aws secretsmanager \
             restore-secret) or delete it for good (delete-secret --force-delete-without-recovery)"
        ),
        Ok(found) => Ok(found.arn),
        Err(error)
            if matches!(
                error.as_service_error(),
                Some(DescribeSecretError::ResourceNotFoundException(_))
            ) =>
        {
            Ok(None)
        }
        Err(error) => Err(anyhow::Error::new(error).context(format!("reading secret {name}"))),
    }
}

async fn parameter(ssm: &aws_sdk_ssm::Client, name: &str) -> anyhow::Result<Option<String>> {
    match ssm.get_parameter().name(name).send().await {
        Ok(found) => Ok(found.parameter.and_then(|p| p.value)),
        Err(error)
            if matches!(
                error.as_service_error(),
                Some(GetParameterError::ParameterNotFound(_))
            ) =>
        {
            Ok(None)
        }
        Err(error) => Err(anyhow::Error::new(error).context(format!("reading parameter {name}"))),
    }
}

async fn put_parameter(ssm: &aws_sdk_ssm::Client, name: &str, value: &str) -> anyhow::Result<()> {
    ssm.put_parameter()
        .name(name)
        .value(value)
        .r#type(ParameterType::String)
        .overwrite(false)
        .send()
        .await
        .with_context(|| format!("writing parameter {name}"))?;
    Ok(())
}

/// Makes `names`' keys unless they exist (see the module's doc).
pub async fn bootstrap(
    secrets: &aws_sdk_secretsmanager::Client,
    ssm: &aws_sdk_ssm::Client,
    names: &KeyNames,
) -> anyhow::Result<Bootstrapped> {
    let existing = secret_arn(secrets, &names.secret).await?;
    let public = parameter(ssm, &names.public).await?;
    let (secret_arn, created) = match (existing, public) {
        (Some(arn), Some(_)) => (arn, false),
        // A run that stopped after the secret: its public key from it.
        (Some(arn), None) => {
            let private = secrets
                .get_secret_value()
                .secret_id(&arn)
                .send()
                .await
                .with_context(|| format!("reading secret {}", names.secret))?
                .secret_string
                .with_context(|| format!("the secret {} holds no text", names.secret))?;
            let public = opsflow_platform::auth::kid::public_der_of_private_pem(&private)
                .with_context(|| {
                    format!("the secret {} holds no PKCS#8 private key", names.secret)
                })?;
            put_parameter(ssm, &names.public, keys::pem("PUBLIC KEY", &public).trim()).await?;
            (arn, true)
        }
        (None, Some(_)) => bail!(
            "the parameter {} exists but the secret {} does not: a new key would not match it; \
             delete the parameter to start again",
            names.public,
            names.secret
        ),
        (None, None) => {
            let pair = keys::generate_ed25519()?;
            let made = secrets
                .create_secret()
                .name(&names.secret)
                .description("The private key Opsflow's auth function signs access tokens with (PKCS#8 PEM).")
                .secret_string(&pair.private_pem)
                .send()
                .await
                .with_context(|| format!("creating secret {}", names.secret))?;
            put_parameter(ssm, &names.public, pair.public_pem.trim()).await?;
            let arn = made.arn.context("the new secret has no ARN")?;
            (arn, true)
        }
    };
    if parameter(ssm, &names.previous).await?.is_none() {
        put_parameter(ssm, &names.previous, "none").await?;
    }
    Ok(Bootstrapped {
        secret_arn,
        created,
    })
}
