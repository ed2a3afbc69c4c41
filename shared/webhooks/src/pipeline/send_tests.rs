//! Attempts against real loopback servers; names resolve through [`Names`].

use super::*;
use crate::domain::signing::{sign, verify, Secret};
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use time::OffsetDateTime;
use tokio::io::AsyncWriteExt;

#[path = "send_test_server.rs"]
mod server;
use server::{answer, bound, serve, server, Script};

const ID: &str = "msg_2mB8ZqKx";
const BODY: &[u8] = br#"{"type":"approval.decided","data":{"id":"apr_1"}}"#;
const SHORT: Duration = Duration::from_millis(300);

fn secret() -> Secret {
    Secret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").expect("secret")
}

/// The local runtime's list: loopback, and one name.
fn allow() -> AllowList {
    AllowList::parse("127.0.0.1, inbox.test")
}

/// A fake resolver: fixed answers, and how often it was asked.
#[derive(Default)]
struct Names {
    answers: HashMap<&'static str, Vec<IpAddr>>,
    asked: AtomicUsize,
}

fn names(entries: &[(&'static str, &[&str])]) -> Arc<Names> {
    let answers = entries
        .iter()
        .map(|(name, ips)| (*name, ips.iter().map(|ip| ip.parse().expect(ip)).collect()))
        .collect();
    Arc::new(Names {
        answers,
        ..Names::default()
    })
}

impl Lookup for Names {
    fn lookup(&self, host: &str) -> Addresses {
        self.asked.fetch_add(1, SeqCst);
        let found = self.answers.get(host).cloned();
        Box::pin(async move { found.ok_or_else(|| io::Error::from(io::ErrorKind::NotFound)) })
    }
}

fn sender(names: Arc<Names>, timeout: Duration) -> Sender {
    Sender::with(allow(), names, timeout).expect("client")
}

/// Posts the signed [`BODY`] to `url`.
async fn post(sender: &Sender, url: &str) -> Sent {
    let target = Target::parse(url, &allow()).expect(url);
    let timestamp = OffsetDateTime::now_utc().unix_timestamp();
    let signature = sign(&[&secret()], ID, timestamp, BODY);
    let out = Outgoing {
        webhook_id: ID,
        timestamp,
        signature: &signature,
        body: BODY,
    };
    sender.send(&target, &out).await
}

/// Posts to the loopback server on `port`, with this deadline. The fake
/// resolver knows no name, so an answer also shows that an address in the
/// URL is never looked up.
async fn post_to(port: u16, path: &str, timeout: Duration) -> Sent {
    let url = format!("http://127.0.0.1:{port}{path}");
    post(&sender(names(&[]), timeout), &url).await
}

/// `sending`, which must end well within a second: a test that fails
/// rather than hangs if the deadline does not hold.
async fn promptly(sending: impl Future<Output = Sent>) -> Sent {
    let limit = Duration::from_secs(1);
    tokio::time::timeout(limit, sending)
        .await
        .expect("ended by the deadline")
}

#[tokio::test]
async fn a_200_is_answered_and_the_receiver_gets_the_signed_body_and_every_header() {
    let (port, seen) = server(Script::Answer(answer("200 OK", "", b"thanks"))).await;

    let sent = post_to(port, "/in?k=1", TIMEOUT).await;

    assert_eq!(
        (sent.ended, sent.body, sent.problem),
        (Attempt::Answered(200), b"thanks".to_vec(), None)
    );
    let requests = seen.requests();
    let [request] = &requests[..] else {
        panic!("{} requests", requests.len())
    };
    assert_eq!(request.start, "POST /in?k=1 HTTP/1.1");
    assert_eq!(request.body, BODY);
    let header = |name: &str| request.headers.get(name).map_or("", String::as_str);
    assert_eq!(header("content-type"), "application/json");
    assert_eq!(header("user-agent"), USER_AGENT);
    assert_eq!(header("webhook-id"), ID);
    let now = OffsetDateTime::now_utc().unix_timestamp();
    let checked = verify(
        &[&secret()],
        header("webhook-id"),
        header("webhook-timestamp"),
        header("webhook-signature"),
        &request.body,
        now,
    );
    assert_eq!(checked, Ok(()));
}

#[tokio::test]
async fn any_status_is_the_answer_whatever_it_means() {
    for (status, code) in [("500 Internal Server Error", 500), ("410 Gone", 410)] {
        let (port, _) = server(Script::Answer(answer(status, "", b"no"))).await;
        let sent = post_to(port, "/", TIMEOUT).await;
        assert_eq!(
            (sent.ended, sent.problem),
            (Attempt::Answered(code), None),
            "{status}"
        );
    }
}

#[tokio::test]
async fn a_redirect_is_the_answer_and_is_never_followed() {
    // The server redirects to itself: following would be a second request.
    let (listener, port) = bound().await;
    let location = format!("location: http://127.0.0.1:{port}/other\r\n");
    let seen = serve(
        listener,
        Script::Answer(answer("302 Found", &location, b"")),
    );

    let sent = post_to(port, "/in", TIMEOUT).await;

    assert_eq!(sent.ended, Attempt::Answered(302));
    assert_eq!(seen.requests().len(), 1);
    assert_eq!(seen.connections.load(SeqCst), 1);
}

#[tokio::test]
async fn a_receiver_that_never_answers_times_out_at_the_deadline() {
    let (port, seen) = server(Script::Stall(Vec::new())).await;

    let sent = promptly(post_to(port, "/", SHORT)).await;

    assert_eq!(sent.ended, Attempt::TimedOut);
    assert_eq!(sent.problem.as_deref(), Some("timed out after 300 ms"));
    assert_eq!(seen.requests().len(), 1, "the request was sent");
    assert!(sent.latency_ms >= 300, "{}", sent.latency_ms);
}

#[tokio::test]
async fn a_body_that_stalls_keeps_its_answer_and_what_came_by_the_deadline() {
    let partial = b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nfirst bytes".to_vec();
    let (port, _) = server(Script::Stall(partial)).await;

    let sent = promptly(post_to(port, "/", SHORT)).await;

    assert_eq!(
        (sent.ended, sent.body),
        (Attempt::Answered(200), b"first bytes".to_vec())
    );
}

#[tokio::test]
async fn a_closed_port_is_unreachable() {
    let (listener, port) = bound().await;
    drop(listener);

    let sent = post_to(port, "/", TIMEOUT).await;

    assert_eq!(sent.ended, Attempt::Unreachable);
    assert_eq!(sent.problem.as_deref(), Some("connection refused"));
}

#[tokio::test]
async fn an_https_target_that_does_not_speak_tls_is_unreachable() {
    let (listener, port) = bound().await;
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let _ = stream.write_all(&answer("400 Bad Request", "", b"")).await;
        }
    });

    let sent = post(
        &sender(names(&[]), TIMEOUT),
        &format!("https://127.0.0.1:{port}/"),
    )
    .await;

    assert_eq!(sent.ended, Attempt::Unreachable);
    assert_eq!(sent.problem.as_deref(), Some("TLS handshake failed"));
}

#[tokio::test]
async fn a_name_that_resolves_to_any_private_address_is_refused_before_connecting() {
    let (port, seen) = server(Script::Answer(answer("200 OK", "", b""))).await;
    let names = names(&[
        ("private.example.test", &["10.0.0.1"]),
        ("loopback.example.test", &["127.0.0.1"]),
        ("mixed.example.test", &["93.184.216.34", "10.0.0.1"]),
        ("metadata.example.test", &["::ffff:169.254.169.254"]),
    ]);
    let sender = sender(Arc::clone(&names), TIMEOUT);
    let cases = [
        (
            "private",
            "resolves to a private-network address (10.0.0.1)",
        ),
        ("loopback", "resolves to a loopback address (127.0.0.1)"),
        ("mixed", "resolves to a private-network address (10.0.0.1)"),
        (
            "metadata",
            "resolves to a link-local address (such as the instance metadata \
             service) (::ffff:169.254.169.254)",
        ),
    ];
    for (name, problem) in cases {
        let sent = post(&sender, &format!("https://{name}.example.test:{port}/")).await;
        assert_eq!(
            (sent.ended, sent.problem.as_deref()),
            (Attempt::Refused, Some(problem)),
            "{name}"
        );
    }
    assert_eq!(seen.connections.load(SeqCst), 0);
    assert_eq!(names.asked.load(SeqCst), cases.len());
}

#[tokio::test]
async fn an_allow_listed_name_reaches_the_address_it_was_looked_up_to_once() {
    let (port, seen) = server(Script::Answer(answer("200 OK", "", b""))).await;
    let names = names(&[("inbox.test", &["127.0.0.1"])]);

    let sent = post(
        &sender(Arc::clone(&names), TIMEOUT),
        &format!("http://inbox.test:{port}/hooks"),
    )
    .await;

    assert_eq!(sent.ended, Attempt::Answered(200));
    let host = seen
        .requests()
        .first()
        .and_then(|request| request.headers.get("host").cloned());
    assert_eq!(host, Some(format!("inbox.test:{port}")));
    assert_eq!(names.asked.load(SeqCst), 1);
}

#[tokio::test]
async fn a_name_that_resolves_to_public_addresses_is_passed_on_as_it_resolved() {
    let names = names(&[("hooks.example.test", &["93.184.216.34", "2606:4700::1111"])]);
    let guard = Guard {
        allow: Arc::new(allow()),
        lookup: names,
    };

    let name: Name = "hooks.example.test".parse().expect("name");
    let addresses: Vec<SocketAddr> = guard.resolve(name).await.expect("allowed").collect();

    let expected: Vec<SocketAddr> = vec![
        "93.184.216.34:0".parse().expect("v4"),
        "[2606:4700::1111]:0".parse().expect("v6"),
    ];
    assert_eq!(addresses, expected);
}

#[tokio::test]
async fn a_name_that_does_not_resolve_is_unreachable() {
    let names = names(&[("empty.example.test", &[])]);
    let sender = sender(names, TIMEOUT);
    for (url, problem) in [
        (
            "https://unknown.example.test/",
            "the host name could not be resolved",
        ),
        ("https://empty.example.test/", "resolves to no address"),
    ] {
        let sent = post(&sender, url).await;
        assert_eq!(
            (sent.ended, sent.problem.as_deref()),
            (Attempt::Unreachable, Some(problem)),
            "{url}"
        );
    }
}

#[tokio::test]
async fn only_the_start_of_a_large_answer_is_read() {
    let large = vec![b'x'; 2 * 1024 * 1024];
    let (port, _) = server(Script::Answer(answer("200 OK", "", &large))).await;

    let sent = post_to(port, "/", TIMEOUT).await;

    assert_eq!(sent.ended, Attempt::Answered(200));
    assert_eq!(sent.body.len(), EXCERPT_BYTES + 4);
}

#[test]
fn deadlines_are_spoken_in_whole_seconds_or_milliseconds() {
    assert_eq!(spoken(TIMEOUT), "5 s");
    assert_eq!(spoken(SHORT), "300 ms");
}
