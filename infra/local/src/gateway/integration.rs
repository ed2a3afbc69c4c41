//! The Lambda proxy integration: invokes the route's function with the
//! event and turns the outcome into the HTTP answer.
//!
//! Invariant: the invocation runs in its own task, so it always runs to
//! completion — even when the integration times out (`503`) or the client
//! goes away, as in Lambda; every outcome other than a usable response is a
//! `500`.

use std::sync::Arc;

use bytes::Bytes;
use http::{Response, StatusCode};
use serde_json::Value;

use super::response::{error_response, function_response};
use super::Gateway;
use crate::InvokeOutcome;

impl Gateway {
    /// Invokes the route's function with `event` and maps its answer.
    pub(super) async fn integrate(
        &self,
        route_key: &str,
        function: &str,
        event: &Value,
    ) -> Response<Bytes> {
        let payload = match serde_json::to_vec(event) {
            Ok(payload) => payload,
            Err(error) => {
                tracing::warn!(route_key, %error, "could not serialise the event");
                return error_response(StatusCode::INTERNAL_SERVER_ERROR);
            }
        };
        // The invocation runs in its own task so that it completes even when
        // the integration times out or the client goes away, as in Lambda.
        let invoker = Arc::clone(&self.invoker);
        let function_id = function.to_owned();
        let invocation = tokio::spawn(async move { invoker.invoke(&function_id, payload).await });
        let outcome = match tokio::time::timeout(self.integration_timeout, invocation).await {
            Err(_) => {
                tracing::warn!(
                    route_key,
                    function,
                    timeout_ms =
                        u64::try_from(self.integration_timeout.as_millis()).unwrap_or(u64::MAX),
                    "integration timed out"
                );
                return error_response(StatusCode::SERVICE_UNAVAILABLE);
            }
            Ok(Err(error)) => {
                tracing::warn!(route_key, function, %error, "the invocation failed");
                return error_response(StatusCode::INTERNAL_SERVER_ERROR);
            }
            Ok(Ok(outcome)) => outcome,
        };
        match outcome {
            InvokeOutcome::Success(payload) => match function_response(&payload) {
                Ok(response) => response,
                Err(reason) => {
                    tracing::warn!(route_key, function, %reason, "unusable function response");
                    error_response(StatusCode::INTERNAL_SERVER_ERROR)
                }
            },
            InvokeOutcome::FunctionError {
                error_type,
                error_message,
            } => {
                tracing::warn!(route_key, function, %error_type, %error_message, "function error");
                error_response(StatusCode::INTERNAL_SERVER_ERROR)
            }
            InvokeOutcome::Timeout => {
                tracing::warn!(route_key, function, "function timed out");
                error_response(StatusCode::INTERNAL_SERVER_ERROR)
            }
            InvokeOutcome::NoSuchFunction => {
                tracing::warn!(route_key, function, "no such function");
                error_response(StatusCode::INTERNAL_SERVER_ERROR)
            }
        }
    }
}
