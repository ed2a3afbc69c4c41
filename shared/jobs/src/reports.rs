//! Where reports live: the reports bucket (`REPORTS_BUCKET`), one object
//! per report job (`reports/<job id>.<csv|json>`), private, read only
//! through presigned URLs that expire after [`DOWNLOAD_TTL`].
//!
//! Locally (an `AWS_ENDPOINT_URL_S3` is set: moto) the client addresses
//! the bucket in the path, as moto serves it; on AWS it uses the bucket's
//! own host name.

use crate::spec::ReportFormat;
use aws_sdk_s3::presigning::PresigningConfig;
use opsflow_platform::config::Config;
use opsflow_platform::domain::EntityId;
use std::time::Duration;

/// How long the bucket keeps a report (its lifecycle rule, template).
pub const KEPT_FOR: time::Duration = time::Duration::days(30);

/// How long a download link works.
pub const DOWNLOAD_TTL: Duration = Duration::from_secs(300);

/// The reports bucket and a client for it.
#[derive(Debug, Clone)]
pub struct Reports {
    pub s3: aws_sdk_s3::Client,
    pub bucket: String,
}

impl Reports {
    /// From the configuration (`REPORTS_BUCKET`, required).
    pub fn from_config(config: &Config, sdk: &aws_config::SdkConfig) -> anyhow::Result<Self> {
        let bucket = config.vars.required("REPORTS_BUCKET")?.to_owned();
        let endpoint = config
            .vars
            .get("AWS_ENDPOINT_URL_S3")
            .or_else(|| config.vars.get("AWS_ENDPOINT_URL"));
        Ok(Self::new(sdk, bucket, endpoint))
    }

    /// A client of `bucket`; at `endpoint` (an emulator's, addressed by
    /// path) when one is given.
    pub fn new(sdk: &aws_config::SdkConfig, bucket: String, endpoint: Option<&str>) -> Self {
        let mut config =
            aws_sdk_s3::config::Builder::from(sdk).force_path_style(endpoint.is_some());
        if let Some(endpoint) = endpoint {
            config = config.endpoint_url(endpoint);
        }
        let config = config.build();
        Self {
            s3: aws_sdk_s3::Client::from_conf(config),
            bucket,
        }
    }

    /// The object key of job `id`'s report.
    pub fn key(id: &EntityId, format: ReportFormat) -> String {
        format!("reports/{id}.{format}")
    }

    /// Stores a report, replacing any earlier attempt's.
    pub async fn put(&self, key: &str, format: ReportFormat, body: Vec<u8>) -> anyhow::Result<()> {
        let content_type = match format {
            ReportFormat::Csv => "text/csv; charset=utf-8",
            ReportFormat::Json => "application/json",
        };
        self.s3
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .body(body.into())
            .send()
            .await
            .map_err(|e| anyhow::anyhow!("{}", aws_sdk_s3::error::DisplayErrorContext(&e)))?;
        Ok(())
    }

    /// A URL that downloads `key` for [`DOWNLOAD_TTL`], signed with the
    /// function's own credentials (no request is sent).
    pub async fn download_url(&self, key: &str) -> anyhow::Result<String> {
        let presigned = self
            .s3
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .presigned(PresigningConfig::expires_in(DOWNLOAD_TTL)?)
            .await
            .map_err(|e| anyhow::anyhow!("{}", aws_sdk_s3::error::DisplayErrorContext(&e)))?;
        Ok(presigned.uri().to_owned())
    }
}
