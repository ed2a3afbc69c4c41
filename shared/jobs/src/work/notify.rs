//! `send-notification`: one e-mail through Amazon SES (v2 `SendEmail`)
//! from the stack's sender (`NOTIFICATION_SENDER`), named after the
//! `app.name` setting (`"Opsflow" <sender>`; a change applies within a
//! minute: [`opsflow_settings::cache`]), to the job's recipients, with
//! the job's subject and text or a template's.

use super::Failure;
use crate::domain::{JobStatus, JobType};
use crate::pipeline::Worker;
use crate::spec::Message;
use crate::store::{JobRecord, JobStore};
use aws_sdk_sesv2::types::{Body, Content, Destination, EmailContent, Message as SesMessage};
use opsflow_identity::domain::Email;
use serde_json::{json, Value};

/// How long a `report-ready` notification waits before it looks at its
/// report job again.
const REPORT_WAIT: time::Duration = time::Duration::seconds(15);

/// The SES client and the address e-mail is sent from.
#[derive(Debug, Clone)]
pub struct Mail {
    pub ses: aws_sdk_sesv2::Client,
    pub sender: String,
}

pub async fn send(
    worker: &Worker,
    job: &JobRecord,
    to: &[Email],
    message: &Message,
) -> Result<Value, Failure> {
    let app = match worker.settings.value(&worker.store, "app.name").await {
        Value::String(name) => name,
        _ => "Opsflow".to_owned(),
    };
    let (subject, text) = match message {
        Message::Plain { subject, text } => (subject.clone(), text.clone()),
        Message::ReportReady { report_job_id } => {
            let report = worker
                .store
                .job_by_id(report_job_id)
                .await?
                .filter(|r| r.job_type == JobType::GenerateReport)
                .ok_or_else(|| Failure::lasting(format!("no report job {report_job_id}")))?;
            match report.status {
                JobStatus::Completed => {}
                // Not yet: the notification waits for it, without using
                // an attempt.
                JobStatus::Queued | JobStatus::Running => {
                    return Err(Failure::not_yet(
                        format!("waiting for report job {report_job_id} ({})", report.status),
                        REPORT_WAIT,
                    ))
                }
                status => {
                    return Err(Failure::lasting(format!(
                        "report job {report_job_id} is {status}"
                    )))
                }
            }
            (
                format!("Your {app} report is ready"),
                format!(
                    "The report of job {report_job_id} is ready.\n\nDownload it with GET /api/v1/jobs/{report_job_id}/download (a link valid for five minutes).\n"
                ),
            )
        }
    };
    let content = |text: &str| Content::builder().data(text).charset("UTF-8").build();
    let subject = content(&subject).map_err(|e| Failure::lasting(e.to_string()))?;
    let body = content(&text).map_err(|e| Failure::lasting(e.to_string()))?;
    let recipients: Vec<String> = to.iter().map(|e| e.as_str().to_owned()).collect();
    let sent = worker
        .mail
        .ses
        .send_email()
        .from_email_address(sender(&app, &worker.mail.sender))
        .destination(
            Destination::builder()
                .set_to_addresses(Some(recipients.clone()))
                .build(),
        )
        .content(
            EmailContent::builder()
                .simple(
                    SesMessage::builder()
                        .subject(subject)
                        .body(Body::builder().text(body).build())
                        .build(),
                )
                .build(),
        )
        .email_tags(
            aws_sdk_sesv2::types::MessageTag::builder()
                .name("job_id")
                .value(job.id.to_string())
                .build()
                .map_err(|e| Failure::lasting(e.to_string()))?,
        )
        .send()
        .await
        .map_err(|e| {
            use aws_sdk_sesv2::error::ProvideErrorMetadata;
            let lasting = matches!(
                e.code(),
                Some(
                    "MessageRejected"
                        | "MailFromDomainNotVerifiedException"
                        | "BadRequestException"
                )
            );
            let message = format!("SES: {}", aws_sdk_sesv2::error::DisplayErrorContext(&e));
            if lasting {
                Failure::lasting(message)
            } else {
                Failure::passing(message)
            }
        })?;
    Ok(json!({
        "message_id": sent.message_id(),
        "recipients": recipients.len(),
    }))
}

/// `"<name>" <address>`: the name quoted, with what would break the
/// header (quotes, backslashes, control characters) left out, and in
/// MIME encoded-word form when it is not ASCII (as SES asks).
fn sender(name: &str, address: &str) -> String {
    use base64::Engine;
    let name: String = name
        .chars()
        .filter(|c| !matches!(c, '"' | '\\') && !c.is_control())
        .collect();
    if name.is_ascii() {
        return format!("\"{name}\" <{address}>");
    }
    // RFC 2047: an encoded word is at most 75 characters, so at most 45
    // bytes of text each (60 of base64), cut between characters.
    let mut words = Vec::new();
    let mut chunk = String::new();
    for c in name.chars() {
        if chunk.len() + c.len_utf8() > 45 {
            words.push(std::mem::take(&mut chunk));
        }
        chunk.push(c);
    }
    words.push(chunk);
    let encoded: Vec<String> = words
        .iter()
        .map(|w| {
            format!(
                "=?UTF-8?B?{}?=",
                base64::engine::general_purpose::STANDARD.encode(w)
            )
        })
        .collect();
    format!("{} <{address}>", encoded.join(" "))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_sender_is_named_after_the_app_and_cannot_break_its_header() {
        assert_eq!(super::sender("Opsflow", "a@b.c"), "\"Opsflow\" <a@b.c>");
        assert_eq!(
            super::sender("Ops \"x\"\r\nBcc: e", "a@b.c"),
            "\"Ops xBcc: e\" <a@b.c>"
        );
        assert_eq!(
            super::sender("Équipe", "a@b.c"),
            "=?UTF-8?B?w4lxdWlwZQ==?= <a@b.c>"
        );
    }
}
