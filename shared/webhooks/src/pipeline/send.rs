//! Sending one attempt of a delivery: a signed `POST` to the target, with
//! the address policy ([`crate::domain::target`]) enforced where the
//! connection is made.
//!
//! - A name is looked up once, by this module's resolver, which passes on
//!   its addresses only when every one is allowed (or the host is on the
//!   allow-list); the connection goes to one of those very addresses, so a
//!   name cannot answer differently between the check and the connection
//!   (DNS rebinding).
//! - An address written in the URL is never looked up (the connector reads
//!   it as it is), so the resolver does not see it: [`Target::parse`] has
//!   already refused it unless it is globally routable or its host is on
//!   the allow-list.
//! - No proxy (`HTTP_PROXY` and the like are ignored), no redirects (a
//!   `3xx` is the answer), one deadline over looking up, connecting,
//!   sending and reading, and at most [`READ_BYTES`] of the answer read.
//!
//! Invariant: a delivery connects only to an address the policy allowed
//! when the name was looked up, and [`Sender::send`] always returns how
//! the attempt ended, by its deadline.

use crate::domain::address::{refusal, Refused};
use crate::domain::delivery::EXCERPT_BYTES;
use crate::domain::retry::Attempt;
use crate::domain::target::{AllowList, Target, TargetError};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::header;
use reqwest::redirect::Policy;
use std::error::Error;
use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long an attempt may take, from looking the host up to the end of
/// the answer.
pub const TIMEOUT: Duration = Duration::from_secs(5);
/// The `user-agent` of every delivery.
pub const USER_AGENT: &str = "Opsflow-Webhooks/1.0";
/// How much of an answer is read: the excerpt kept, and room to finish a
/// character cut at its end.
pub const READ_BYTES: usize = EXCERPT_BYTES + 4;

/// What one attempt sends (headers per the Standard Webhooks convention).
#[derive(Debug, Clone, Copy)]
pub struct Outgoing<'a> {
    pub webhook_id: &'a str,
    pub timestamp: i64,
    pub signature: &'a str,
    pub body: &'a [u8],
}

/// How one attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    pub ended: Attempt,
    /// From just before sending to the end of reading the answer.
    pub latency_ms: u64,
    /// At most [`READ_BYTES`] of the answer.
    pub body: Vec<u8>,
    /// Why there was no answer, in a few words for the delivery log.
    pub problem: Option<String>,
}

/// The addresses a name resolves to, or why it did not.
pub type Addresses = Pin<Box<dyn Future<Output = io::Result<Vec<IpAddr>>> + Send>>;

/// Name resolution, replaceable in tests. It yields addresses without a
/// port: the request's URL gives the port.
pub trait Lookup: Send + Sync {
    fn lookup(&self, host: &str) -> Addresses;
}

/// The operating system's resolver.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemLookup;

impl Lookup for SystemLookup {
    fn lookup(&self, host: &str) -> Addresses {
        let host = host.to_owned();
        Box::pin(async move {
            let found = tokio::net::lookup_host((host.as_str(), 0)).await?;
            Ok(found.map(|address| address.ip()).collect())
        })
    }
}

/// Why a [`Sender`] could not be built.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// The HTTP client (its TLS set-up) could not be built: the function
    /// cannot start.
    #[error("the webhook HTTP client could not be built")]
    Client(#[source] reqwest::Error),
}

/// Makes attempts; built once per cold start, cheap to clone and share.
#[derive(Debug, Clone)]
pub struct Sender {
    client: reqwest::Client,
    timeout: Duration,
}

impl Sender {
    /// The deployed sender: the system's resolver and [`TIMEOUT`].
    pub fn new(allow: AllowList) -> Result<Self, SendError> {
        Self::with(allow, Arc::new(SystemLookup), TIMEOUT)
    }

    /// A sender with its own resolver and deadline (tests, local runtime).
    pub fn with(
        allow: AllowList,
        lookup: Arc<dyn Lookup>,
        timeout: Duration,
    ) -> Result<Self, SendError> {
        let guard = Guard {
            allow: Arc::new(allow),
            lookup,
        };
        let client = reqwest::Client::builder()
            .no_proxy()
            .redirect(Policy::none())
            .timeout(timeout)
            .user_agent(USER_AGENT)
            .dns_resolver(guard)
            .build()
            .map_err(SendError::Client)?;
        Ok(Self { client, timeout })
    }

    /// One attempt: `out` posted to `target`, and how it ended.
    #[tracing::instrument(skip_all, fields(host = %target.authority().0, webhook_id = out.webhook_id))]
    pub async fn send(&self, target: &Target, out: &Outgoing<'_>) -> Sent {
        let started = Instant::now();
        let sent = self
            .client
            .post(target.url().clone())
            .header(header::CONTENT_TYPE, "application/json")
            .header("webhook-id", out.webhook_id)
            .header("webhook-timestamp", out.timestamp.to_string())
            .header("webhook-signature", out.signature)
            .body(out.body.to_vec())
            .send()
            .await;
        let (ended, body, problem) = match sent {
            Ok(mut response) => {
                let status = response.status().as_u16();
                (Attempt::Answered(status), read(&mut response).await, None)
            }
            Err(error) => {
                let (ended, problem) = self.failure(&error.without_url());
                (ended, Vec::new(), Some(problem))
            }
        };
        let latency_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        Sent {
            ended,
            latency_ms,
            body,
            problem,
        }
    }

    /// What a request that got no answer means, and a few words on why.
    fn failure(&self, error: &reqwest::Error) -> (Attempt, String) {
        tracing::info!(error = %chain(error), "no answer");
        if let Some(unresolvable) = found::<Unresolvable>(error) {
            let ended = match unresolvable {
                Unresolvable::Refused { .. } => Attempt::Refused,
                Unresolvable::Empty | Unresolvable::Lookup(_) => Attempt::Unreachable,
            };
            return (ended, unresolvable.to_string());
        }
        if error.is_timeout() {
            return (
                Attempt::TimedOut,
                format!("timed out after {}", spoken(self.timeout)),
            );
        }
        (Attempt::Unreachable, unreachable(error).to_owned())
    }
}

/// The resolver the client connects through: it looks a name up once and
/// passes on the addresses only if the policy allows every one.
struct Guard {
    allow: Arc<AllowList>,
    lookup: Arc<dyn Lookup>,
}

impl Resolve for Guard {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        let looking = self.lookup.lookup(&host);
        let allow = Arc::clone(&self.allow);
        Box::pin(async move {
            // Port 0: the connector puts the URL's port in.
            let found: Vec<SocketAddr> = looking
                .await
                .map_err(Unresolvable::Lookup)?
                .into_iter()
                .map(|ip| SocketAddr::new(ip, 0))
                .collect();
            let allowed = allow
                .connectable(&host, &found)
                .map_err(|error| Unresolvable::judged(error, &found))?;
            let addrs: Addrs = Box::new(allowed.into_iter());
            Ok::<_, Box<dyn Error + Send + Sync>>(addrs)
        })
    }
}

/// Why the resolver gave the connector no address; [`Sender::failure`]
/// finds it in the source chain of the client's error.
#[derive(Debug, thiserror::Error)]
enum Unresolvable {
    #[error("resolves to {} ({address})", reason.describe())]
    Refused { reason: Refused, address: IpAddr },
    #[error("resolves to no address")]
    Empty,
    #[error("the host name could not be resolved")]
    Lookup(#[source] io::Error),
}

impl Unresolvable {
    /// The policy's refusal of `found`, naming the address it refused.
    fn judged(error: TargetError, found: &[SocketAddr]) -> Self {
        let first_refused = found
            .iter()
            .find_map(|address| Some((refusal(address.ip())?, address.ip())));
        match (error, first_refused) {
            (TargetError::Address(_), Some((reason, address))) => Self::Refused { reason, address },
            // The policy refuses nothing else but an empty list.
            _ => Self::Empty,
        }
    }
}

/// The first [`READ_BYTES`] of the answer; the rest is never read. A body
/// cut short (by the deadline, or a lost connection) keeps what came.
async fn read(response: &mut reqwest::Response) -> Vec<u8> {
    let mut body = Vec::new();
    while body.len() < READ_BYTES {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                let room = READ_BYTES - body.len();
                body.extend_from_slice(&chunk[..chunk.len().min(room)]);
            }
            Ok(None) => break,
            Err(error) => {
                tracing::info!(error = %chain(&error.without_url()), "answer cut short");
                break;
            }
        }
    }
    body
}

/// A few words on a failed connection or a lost one.
fn unreachable(error: &reqwest::Error) -> &'static str {
    use io::ErrorKind::*;
    match io_kind(error) {
        Some(ConnectionRefused) => "connection refused",
        Some(ConnectionReset | ConnectionAborted | BrokenPipe | UnexpectedEof) => {
            "connection closed before an answer"
        }
        Some(HostUnreachable | NetworkUnreachable) => "no route to the host",
        // rustls reports a failed handshake as invalid data.
        Some(InvalidData) if error.is_connect() => "TLS handshake failed",
        _ if error.is_connect() => "could not connect",
        _ => "connection lost before an answer",
    }
}

/// The kind of the innermost I/O error in `error`: the connector wraps
/// one (a TLS failure) in another, whose `source` skips the inner one.
fn io_kind(error: &reqwest::Error) -> Option<io::ErrorKind> {
    let mut io = found::<io::Error>(error)?;
    while let Some(inner) = io
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<io::Error>())
    {
        io = inner;
    }
    Some(io.kind())
}

/// The first error of type `E` in `error`'s source chain.
fn found<'a, E: Error + 'static>(error: &'a (dyn Error + 'static)) -> Option<&'a E> {
    causes(error).find_map(|error| error.downcast_ref())
}

/// `error`, then its source, and so on.
fn causes<'a>(error: &'a (dyn Error + 'static)) -> impl Iterator<Item = &'a (dyn Error + 'static)> {
    std::iter::successors(Some(error), |&error| error.source())
}

/// `error` and its causes, for the log.
fn chain(error: &(dyn Error + 'static)) -> String {
    causes(error)
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(": ")
}

/// "5 s", or "300 ms" for a deadline that is not whole seconds.
fn spoken(duration: Duration) -> String {
    if duration.subsec_nanos() == 0 {
        format!("{} s", duration.as_secs())
    } else {
        format!("{} ms", duration.as_millis())
    }
}

#[cfg(test)]
#[path = "send_tests.rs"]
mod tests;
