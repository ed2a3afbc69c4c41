//! The `webhooks` function's request handlers: each route parses its
//! input, calls [`crate::service`] and shows the result with
//! [`crate::view`].

pub use opsflow_platform::api::*;

mod deliveries;
pub mod subscriptions;

use crate::domain::target::AllowList;
use opsflow_platform::{Api, App};

/// The `webhooks` function's context: an API function's ([`Api`]) and the
/// hosts a URL may name over plain `http` (`WEBHOOK_ALLOW_HOSTS`: the local
/// inbox; empty in a deployment).
pub struct Webhooks {
    pub app: Api,
    pub allow: AllowList,
}

impl Context for Webhooks {
    async fn build(app: App, _: &aws_config::SdkConfig) -> anyhow::Result<Self> {
        let allow = AllowList::parse(app.config.vars.get("WEBHOOK_ALLOW_HOSTS").unwrap_or(""));
        Ok(Self {
            app: Api::new(app)?,
            allow,
        })
    }
}

impl AsRef<Api> for Webhooks {
    fn as_ref(&self) -> &Api {
        &self.app
    }
}
