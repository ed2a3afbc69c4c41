//! Operator commands that must not be API endpoints: generating the token
//! signing keys, creating the first admin account directly in the table
//! (there is no open endpoint that grants the admin role) and migrating the
//! table's data.

use anyhow::{bail, Context};
use opsflow_identity::accounts::{create_account, NewAccount, Registrar};
use opsflow_identity::domain::{DisplayName, Email, NewPassword, User};
use opsflow_identity::store::users::CreateUserError;
use opsflow_platform::auth::{keys, secret};
use opsflow_platform::domain::{EntityId, Role};
use opsflow_platform::store::Store;
use std::path::{Path, PathBuf};

pub mod bootstrap;
pub mod migrate;

/// Writes a new key pair as `jwt-private.pem` (mode 0600) and
/// `jwt-public.pem` into `dir`, refusing to overwrite an existing key.
pub fn generate_keys(dir: &Path, algorithm: &str) -> anyhow::Result<(PathBuf, PathBuf)> {
    let pair = match algorithm {
        "EdDSA" => keys::generate_ed25519()?,
        "RS256" => keys::generate_rsa()?,
        other => bail!("unsupported algorithm {other:?}: use EdDSA or RS256"),
    };
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let private = dir.join("jwt-private.pem");
    let public = dir.join("jwt-public.pem");
    if private.exists() {
        bail!(
            "{} exists; remove it first to make a new key",
            private.display()
        );
    }
    write_private(&private, &pair.private_pem)?;
    std::fs::write(&public, &pair.public_pem)
        .with_context(|| format!("writing {}", public.display()))?;
    Ok((private, public))
}

#[cfg(unix)]
fn write_private(path: &Path, pem: &str) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    file.write_all(pem.as_bytes())?;
    Ok(())
}

#[cfg(not(unix))]
fn write_private(path: &Path, pem: &str) -> anyhow::Result<()> {
    std::fs::write(path, pem).with_context(|| format!("writing {}", path.display()))
}

/// The account created by [`create_admin`], with the password when it was
/// generated (shown once, never stored in clear).
pub struct CreatedAdmin {
    pub user: User,
    pub generated_password: Option<String>,
}

impl std::fmt::Debug for CreatedAdmin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreatedAdmin")
            .field("user", &self.user)
            .field(
                "generated_password",
                &self.generated_password.as_ref().map(|_| "***"),
            )
            .finish()
    }
}

/// Creates an active admin account, with its guard and a `user.registered`
/// event by the system actor, in one transaction. With `password = None` a
/// random password is generated and returned.
pub async fn create_admin(
    store: &Store,
    email: &str,
    name: &str,
    password_text: Option<String>,
) -> anyhow::Result<CreatedAdmin> {
    let email = Email::parse(email).map_err(|m| anyhow::anyhow!("email {m}"))?;
    let name = DisplayName::parse(name).map_err(|m| anyhow::anyhow!("name {m}"))?;
    let generated_password = match &password_text {
        Some(_) => None,
        None => Some(secret::generate()?),
    };
    let chosen = password_text
        .or_else(|| generated_password.clone())
        .unwrap_or_default();
    let chosen = NewPassword::parse(chosen).map_err(|m| anyhow::anyhow!("password {m}"))?;
    let account = NewAccount {
        email,
        name,
        password: chosen,
        role: Role::Admin,
    };
    let correlation_id = format!("admin-cli-{}", EntityId::new());
    match create_account(store, account, Registrar::System, &correlation_id).await {
        Ok(user) => Ok(CreatedAdmin {
            user,
            generated_password,
        }),
        Err(CreateUserError::EmailTaken) => bail!("an account with this e-mail already exists"),
        Err(CreateUserError::Store(error)) => Err(anyhow::Error::new(error)),
    }
}
