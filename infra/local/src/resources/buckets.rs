//! The template's S3 buckets on moto: created when missing, kept with their
//! objects when they exist, emptied on reset. moto answers S3 only
//! path-style on 127.0.0.1, so the client must be built with
//! `force_path_style(true)` (see [`super::EmulatorClients`]).
//!
//! Invariant: creating a bucket that is already ours is not an error
//! (`BucketAlreadyOwnedByYou`, or us-east-1's plain success), and its
//! objects are deleted only when a reset is asked for.

use super::sdk_error;
use crate::template::BucketDef;
use anyhow::{bail, Result};
use aws_sdk_s3::types::{
    BucketLocationConstraint, CreateBucketConfiguration, Delete, ObjectIdentifier,
};

/// S3 refuses a location constraint in us-east-1, and requires the
/// client's own region everywhere else.
pub(super) fn bucket_configuration(region: &str) -> Option<CreateBucketConfiguration> {
    (region != "us-east-1").then(|| {
        CreateBucketConfiguration::builder()
            .location_constraint(BucketLocationConstraint::from(region))
            .build()
    })
}

/// Makes sure the bucket exists (and, with `reset`, is empty).
pub(super) async fn ensure_bucket(
    client: &aws_sdk_s3::Client,
    bucket: &BucketDef,
    reset: bool,
) -> Result<()> {
    let region = client
        .config()
        .region()
        .map_or("us-east-1", |r| r.as_ref())
        .to_owned();
    let created = client
        .create_bucket()
        .bucket(&bucket.name)
        .set_create_bucket_configuration(bucket_configuration(&region))
        .send()
        .await;
    match created {
        Ok(_) => {}
        Err(error)
            if error
                .as_service_error()
                .is_some_and(|e| e.is_bucket_already_owned_by_you()) => {}
        Err(error)
            if error
                .as_service_error()
                .is_some_and(|e| e.is_bucket_already_exists()) =>
        {
            bail!(
                "bucket {} belongs to another account of the emulator; name it otherwise \
                 (BucketName)",
                bucket.name
            )
        }
        Err(error) => return Err(sdk_error(error).context("CreateBucket")),
    }
    if reset {
        empty_bucket(client, &bucket.name).await?;
    }
    Ok(())
}

/// Deletes every object of the bucket, a page (1000 keys) at a time.
async fn empty_bucket(client: &aws_sdk_s3::Client, name: &str) -> Result<()> {
    loop {
        let page = client
            .list_objects_v2()
            .bucket(name)
            .send()
            .await
            .map_err(|e| sdk_error(e).context(format!("ListObjectsV2 {name}")))?;
        let mut keys = Vec::new();
        for object in page.contents() {
            if let Some(key) = object.key() {
                keys.push(ObjectIdentifier::builder().key(key).build()?);
            }
        }
        if keys.is_empty() {
            return Ok(());
        }
        let deleted = client
            .delete_objects()
            .bucket(name)
            .delete(
                Delete::builder()
                    .set_objects(Some(keys))
                    .quiet(true)
                    .build()?,
            )
            .send()
            .await
            .map_err(|e| sdk_error(e).context(format!("DeleteObjects {name}")))?;
        // Keys S3 would not delete would come back on the next page forever.
        if let Some(failed) = deleted.errors().first() {
            bail!(
                "DeleteObjects {name}: {} ({})",
                failed.key().unwrap_or("?"),
                failed.message().unwrap_or("no message")
            );
        }
    }
}

/// Empties and deletes the bucket; a bucket that does not exist is fine.
pub(super) async fn delete_bucket(client: &aws_sdk_s3::Client, name: &str) -> Result<()> {
    match client.head_bucket().bucket(name).send().await {
        Ok(_) => {}
        Err(error) if error.as_service_error().is_some_and(|e| e.is_not_found()) => return Ok(()),
        Err(error) => return Err(sdk_error(error).context(format!("HeadBucket {name}"))),
    }
    empty_bucket(client, name).await?;
    client
        .delete_bucket()
        .bucket(name)
        .send()
        .await
        .map_err(|e| sdk_error(e).context(format!("DeleteBucket {name}")))?;
    Ok(())
}
