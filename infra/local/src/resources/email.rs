//! The template's SES e-mail identities on moto, through the SES v2 API
//! (`CreateEmailIdentity`). moto refuses to send from an address that is
//! not an identity (or at a domain that is one), and takes an identity as
//! verified as soon as it exists; in AWS its owner still has to confirm
//! the verification message.
//!
//! Invariant: an identity that exists is kept as it is (a second
//! `CreateEmailIdentity` would replace it in moto, and is an
//! `AlreadyExistsException` in AWS, which is fine too).

use super::sdk_error;
use crate::template::EmailIdentityDef;
use anyhow::Result;

/// Makes sure the identity exists.
pub(super) async fn ensure_identity(
    client: &aws_sdk_sesv2::Client,
    identity: &EmailIdentityDef,
) -> Result<()> {
    if identity_exists(client, &identity.identity).await? {
        return Ok(());
    }
    match client
        .create_email_identity()
        .email_identity(&identity.identity)
        .send()
        .await
    {
        Ok(_) => Ok(()),
        // Created in between by another run.
        Err(error)
            if error
                .as_service_error()
                .is_some_and(|e| e.is_already_exists_exception()) =>
        {
            Ok(())
        }
        Err(error) => Err(sdk_error(error).context("CreateEmailIdentity")),
    }
}

pub(super) async fn identity_exists(
    client: &aws_sdk_sesv2::Client,
    identity: &str,
) -> Result<bool> {
    match client
        .get_email_identity()
        .email_identity(identity)
        .send()
        .await
    {
        Ok(_) => Ok(true),
        Err(error)
            if error
                .as_service_error()
                .is_some_and(|e| e.is_not_found_exception()) =>
        {
            Ok(false)
        }
        Err(error) => Err(sdk_error(error).context(format!("GetEmailIdentity {identity}"))),
    }
}

/// Deletes the identity; one that does not exist is fine.
pub(super) async fn delete_identity(client: &aws_sdk_sesv2::Client, identity: &str) -> Result<()> {
    if !identity_exists(client, identity).await? {
        return Ok(());
    }
    client
        .delete_email_identity()
        .email_identity(identity)
        .send()
        .await
        .map_err(|e| sdk_error(e).context(format!("DeleteEmailIdentity {identity}")))?;
    Ok(())
}
