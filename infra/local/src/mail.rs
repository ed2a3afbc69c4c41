//! The e-mail the platform sent, which `serve` answers at `GET /_mail`:
//! moto accepts SES `SendEmail` from the template's identities and sends
//! nothing anywhere, so this is where a newcomer sees what a recipient
//! would have got.
//!
//! moto keeps every sent message in its SES backend, and no SES operation
//! reads them back. moto server does serve its whole model state at
//! `GET /moto-api/data.json` (the data of its dashboard): every instance of
//! every model it tracks, by service and class, with its JSON-able
//! attributes. The sent messages are there, in the order sent, as
//! `ses.Message` (SES v1 `SendEmail`, and SES v2 `SendEmail` with `Simple`
//! content: `id`, `source`, `subject`, `body` — the HTML part when there is
//! one, else the text — and `destinations` with `ToAddresses`,
//! `CcAddresses`, `BccAddresses`) and as `ses.RawMessage` (raw content:
//! `id`, `source`, `raw_data`, and `destinations`, one list of the explicit
//! recipients and those of the headers). Each request reads that dump
//! anew, so `/_mail` holds nothing of its own.
//!
//! What moto does not keep, `/_mail` cannot show: when a message was sent
//! (so there is no `sent_at`), the account and region it was sent in (all
//! are listed), and whether a simple message came before or after a raw one
//! (simple ones are listed first, each kind oldest first). A raw message's
//! subject and `To`/`Cc` are read from its headers, every other recipient
//! is a `bcc`, and its body is the MIME text after the headers, undecoded.
//! Templated messages (SES v1 only, in moto) are not listed. moto forgets
//! everything on `POST /moto-api/reset`. The dump holds every model moto
//! tracks, SQS messages included, so it grows with use.
//!
//! The dump fails as a whole (`500`) when reading one attribute raises an
//! error moto does not expect. An S3 object whose bucket was deleted
//! before any dump read it does that (moto 5.2: the first read of its
//! restore `status` looks the bucket up), once: that read settles it. So a
//! `500` is asked again, up to `DUMP_ATTEMPTS` times, each settling one
//! such object; a dump that still fails is a `502` saying so. That first
//! read is moto's only side effect of a dump: it would also send the
//! object's `s3:ObjectRestore:Completed` notification, had its bucket one
//! (no bucket is given notifications locally).
//!
//! Invariant: `/_mail` asks moto for nothing but its dump, and a dump it
//! cannot read is a `502` naming moto, never an empty list. Like `/_inbox`, the route belongs to
//! the local runtime: AWS has no such path.

use anyhow::{bail, Context, Result};
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use http::StatusCode;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::time::Duration;

/// Where the sent e-mail is listed.
pub const MAIL_PATH: &str = "/_mail";
/// moto server's dump of its models.
pub const MODEL_DUMP_PATH: &str = "/moto-api/data.json";
/// How long a read of the dump may take.
const READ_TIMEOUT: Duration = Duration::from_secs(10);
/// How many times the dump is asked for before `/_mail` gives up.
const DUMP_ATTEMPTS: usize = 25;

/// One message moto accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentMail {
    pub id: String,
    /// The sender as given (`FromEmailAddress`), display name included.
    pub source: String,
    pub to: Vec<String>,
    pub cc: Vec<String>,
    pub bcc: Vec<String>,
    pub subject: String,
    pub body: String,
    /// `simple` or `raw`: how it was sent.
    pub format: &'static str,
}

impl SentMail {
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "source": self.source,
            "destinations": {"to": self.to, "cc": self.cc, "bcc": self.bcc},
            "subject": self.subject,
            "body": self.body,
            "format": self.format,
        })
    }

    /// Whether `address` is one of the recipients (to, cc or bcc), compared
    /// without display names and regardless of case.
    pub fn is_for(&self, address: &str) -> bool {
        let wanted = bare_address(address);
        self.to
            .iter()
            .chain(&self.cc)
            .chain(&self.bcc)
            .any(|recipient| bare_address(recipient) == wanted)
    }
}

/// The messages in moto's model dump: simple ones, then raw ones, each
/// kind oldest first. Entries that are not shaped as expected are skipped.
pub fn sent_in_dump(dump: &Value) -> Vec<SentMail> {
    let models = |class: &str| {
        dump.pointer(&format!("/ses/{class}"))
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default()
    };
    let simple = models("Message").iter().filter_map(simple_message);
    let raw = models("RawMessage").iter().filter_map(raw_message);
    simple.chain(raw).collect()
}

/// Reads what moto has sent, from its server at `moto` (its base URL).
pub async fn read_sent(http: &reqwest::Client, moto: &str) -> Result<Vec<SentMail>> {
    let url = format!("{}{MODEL_DUMP_PATH}", moto.trim_end_matches('/'));
    for _ in 0..DUMP_ATTEMPTS {
        let response = http
            .get(&url)
            .timeout(READ_TIMEOUT)
            .send()
            .await
            .with_context(|| format!("reading {url} (is moto up? `make emulators`)"))?;
        // Each failed dump settles the object it failed on (see above).
        if response.status() == StatusCode::INTERNAL_SERVER_ERROR {
            continue;
        }
        if !response.status().is_success() {
            bail!("{url} answered {}", response.status());
        }
        let body = response
            .bytes()
            .await
            .with_context(|| format!("reading {url}"))?;
        let dump: Value =
            serde_json::from_slice(&body).with_context(|| format!("{url} is not JSON"))?;
        return Ok(sent_in_dump(&dump));
    }
    bail!(
        "{url} failed {DUMP_ATTEMPTS} times in a row (moto's log, .local/logs/moto.log, says \
         why); ask again, or reset moto: POST /moto-api/reset"
    )
}

/// The `/_mail` page: what moto at its base URL has sent.
#[derive(Clone)]
pub struct Mail {
    moto: String,
    http: reqwest::Client,
}

impl Mail {
    pub fn new(moto_endpoint: &str) -> Self {
        Self {
            moto: moto_endpoint.to_owned(),
            http: reqwest::Client::new(),
        }
    }

    pub fn router(self) -> axum::Router {
        axum::Router::new()
            .route(MAIL_PATH, get(list))
            .with_state(self)
    }
}

/// `GET /_mail[?to=<address>]`: `{"messages": [...]}`, newest last.
async fn list(State(mail): State<Mail>, Query(query): Query<HashMap<String, String>>) -> Response {
    match read_sent(&mail.http, &mail.moto).await {
        Ok(sent) => {
            let messages: Vec<Value> = sent
                .iter()
                .filter(|m| query.get("to").is_none_or(|to| m.is_for(to)))
                .map(SentMail::to_json)
                .collect();
            axum::Json(json!({ "messages": messages })).into_response()
        }
        Err(error) => (
            StatusCode::BAD_GATEWAY,
            axum::Json(json!({ "message": format!("{error:#}") })),
        )
            .into_response(),
    }
}

fn text(entry: &Value, key: &str) -> String {
    entry[key].as_str().unwrap_or_default().to_owned()
}

fn texts(list: &Value) -> Vec<String> {
    list.as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

fn simple_message(entry: &Value) -> Option<SentMail> {
    let destinations = &entry["destinations"];
    Some(SentMail {
        id: entry["id"].as_str()?.to_owned(),
        source: text(entry, "source"),
        to: texts(&destinations["ToAddresses"]),
        cc: texts(&destinations["CcAddresses"]),
        bcc: texts(&destinations["BccAddresses"]),
        subject: text(entry, "subject"),
        body: text(entry, "body"),
        format: "simple",
    })
}

fn raw_message(entry: &Value) -> Option<SentMail> {
    let raw = entry["raw_data"].as_str()?;
    let (headers, body) = split_headers(raw);
    let header = |name: &str| -> Vec<String> {
        headers
            .iter()
            .filter(|(key, _)| key.eq_ignore_ascii_case(name))
            .flat_map(|(_, value)| address_list(value))
            .collect()
    };
    let (to, cc) = (header("To"), header("Cc"));
    let mut bcc: Vec<String> = Vec::new();
    for recipient in texts(&entry["destinations"]) {
        let known = |list: &[String]| {
            list.iter()
                .any(|a| bare_address(a) == bare_address(&recipient))
        };
        if !known(&to) && !known(&cc) && !known(&bcc) {
            bcc.push(recipient);
        }
    }
    let subject = headers
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case("Subject"))
        .map(|(_, value)| value.clone())
        .unwrap_or_default();
    Some(SentMail {
        id: entry["id"].as_str()?.to_owned(),
        source: text(entry, "source"),
        to,
        cc,
        bcc,
        subject,
        body: body.to_owned(),
        format: "raw",
    })
}

/// A MIME text's headers (folded lines joined) and what follows them.
fn split_headers(raw: &str) -> (Vec<(String, String)>, &str) {
    let (head, body) = match (raw.find("\r\n\r\n"), raw.find("\n\n")) {
        (Some(crlf), Some(lf)) if lf < crlf => (&raw[..lf], &raw[lf + 2..]),
        (Some(crlf), _) => (&raw[..crlf], &raw[crlf + 4..]),
        (None, Some(lf)) => (&raw[..lf], &raw[lf + 2..]),
        (None, None) => (raw, ""),
    };
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in head.lines() {
        if line.starts_with([' ', '\t']) {
            if let Some((_, value)) = headers.last_mut() {
                value.push(' ');
                value.push_str(line.trim());
            }
        } else if let Some((name, value)) = line.split_once(':') {
            headers.push((name.trim().to_owned(), value.trim().to_owned()));
        }
    }
    (headers, body)
}

/// The addresses of a header such as `To`: split on the commas that are
/// outside quotes and angle brackets.
fn address_list(value: &str) -> Vec<String> {
    let (mut list, mut current) = (Vec::new(), String::new());
    let (mut quoted, mut angled) = (false, false);
    for c in value.chars() {
        match c {
            '"' => quoted = !quoted,
            '<' if !quoted => angled = true,
            '>' if !quoted => angled = false,
            ',' if !quoted && !angled => {
                list.push(std::mem::take(&mut current));
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    list.push(current);
    list.iter()
        .map(|a| a.trim().to_owned())
        .filter(|a| !a.is_empty())
        .collect()
}

/// `Name <a@b>` → `a@b`, lower-cased.
fn bare_address(address: &str) -> String {
    let inner = match (address.rfind('<'), address.rfind('>')) {
        (Some(open), Some(close)) if open < close => &address[open + 1..close],
        _ => address,
    };
    inner.trim().to_ascii_lowercase()
}

#[cfg(test)]
#[path = "mail_tests.rs"]
mod tests;
