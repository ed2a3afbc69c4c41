//! Demo data for a local platform: an admin, an approver and a user, each
//! with a random password printed once when the account is made. Running it
//! again leaves existing accounts alone.

use opsflow_shared::accounts::{create_account, NewAccount, Registrar};
use opsflow_shared::auth::secret;
use opsflow_shared::domain::{DisplayName, Email, NewPassword, Role};
use opsflow_shared::store::users::CreateUserError;
use opsflow_shared::store::Store;

/// A demo account; `password` is `None` when it already existed.
#[derive(Debug, Clone)]
pub struct DemoLogin {
    pub email: String,
    pub role: Role,
    pub password: Option<String>,
}

pub const DEMO_ACCOUNTS: [(&str, &str, Role); 3] = [
    ("admin@example.com", "Ada Admin", Role::Admin),
    ("approver@example.com", "Avery Approver", Role::Approver),
    ("user@example.com", "Uma User", Role::User),
];

pub async fn seed(store: &Store) -> anyhow::Result<Vec<DemoLogin>> {
    let mut logins = Vec::new();
    for (email, name, role) in DEMO_ACCOUNTS {
        let password = secret::generate()?[..20].to_owned();
        let account = NewAccount {
            email: Email::parse(email).map_err(anyhow::Error::msg)?,
            name: DisplayName::parse(name).map_err(anyhow::Error::msg)?,
            password: NewPassword::parse(password.clone()).map_err(anyhow::Error::msg)?,
            role,
        };
        let created = match create_account(store, account, Registrar::System, "local-seed").await {
            Ok(_) => Some(password),
            Err(CreateUserError::EmailTaken) => None,
            Err(CreateUserError::Store(error)) => return Err(error.into()),
        };
        logins.push(DemoLogin {
            email: email.to_owned(),
            role,
            password: created,
        });
    }
    Ok(logins)
}

/// The banner lines for the logins.
pub fn describe(logins: &[DemoLogin]) -> String {
    let mut out = String::from("Demo logins:\n");
    for login in logins {
        let password = login
            .password
            .as_deref()
            .unwrap_or("(unchanged; it was printed when first seeded; `--reset` starts over)");
        out.push_str(&format!(
            "  {:<9} {:<22} {}\n",
            login.role.as_str(),
            login.email,
            password
        ));
    }
    out
}
