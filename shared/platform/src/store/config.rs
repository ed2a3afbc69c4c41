//! The SDK configuration the store's client is built from: from the
//! environment in a deployed function, or for an emulator (fixed endpoint,
//! region and dummy credentials) locally and in tests; never both.

/// The SDK configuration for an emulator (DynamoDB Local, moto): its
/// endpoint, a region and dummy credentials. Used by the local runtime and
/// the tests, never in a deployed function.
pub async fn emulator_sdk_config(endpoint: &str, region: &str) -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new(region.to_owned()))
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
            "local", "local", None, None, "emulator",
        ))
        .endpoint_url(endpoint)
        .load()
        .await
}

/// Builds a DynamoDB client from the environment (region, credentials,
/// `AWS_ENDPOINT_URL_DYNAMODB` locally). Call once at cold start.
pub async fn sdk_config() -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .load()
        .await
}

/// The DynamoDB client of a function's store: writes sent from inside a
/// request wait for its session check (`auth::gate`). Call once at cold
/// start.
pub fn client(sdk: &aws_config::SdkConfig) -> aws_sdk_dynamodb::Client {
    let config = aws_sdk_dynamodb::config::Builder::from(sdk)
        .interceptor(crate::auth::gate::WritesWaitForTheSession)
        .build();
    aws_sdk_dynamodb::Client::from_conf(config)
}
