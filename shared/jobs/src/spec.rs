//! What each type of job is asked to do: its `data`, checked when the job
//! is created (a bad recipient or an unknown report is a 422 naming the
//! field, never a job that fails later). Pure.
//!
//! | type | `data` |
//! |---|---|
//! | `generate-report` | `report`: `items` (`status`?) or `approvals` (`status`?, `from`?, `to`?: RFC 3339, the creation range); `format`: `csv` (default) or `json` |
//! | `send-notification` | `to`: 1–50 e-mail addresses; `template`: `plain` (default: `subject` 1–200 characters, `text` 1–10 000) or `report-ready` (`report_job_id`: the report's job) |
//! | `process-data` | the items to change — `status`?, `search`? (as the items listing takes them) — and how: `set_status`? and/or `merge_metadata`? (an object merged into each item's metadata) |
//! | `cleanup` | `older_than_days` (1–3650, default 30); `targets`: any of `items` (archived items) and `jobs` (finished jobs), default both |

use opsflow_approvals::domain::ApprovalStatus;
use opsflow_identity::domain::Email;
use opsflow_items::domain::{ItemStatus, Search};
use opsflow_platform::domain::EntityId;
use opsflow_platform::error::{ApiError, Validator};
use serde_json::{Map, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::domain::JobType;

/// Recipients one notification may have.
pub const MAX_RECIPIENTS: usize = 50;

opsflow_platform::string_enum! {
    pub enum ReportFormat {
        Csv = "csv",
        Json = "json",
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Report {
    Items {
        status: Option<ItemStatus>,
    },
    /// Approvals created in `[from, to)`, with the status given or any.
    Approvals {
        status: Option<ApprovalStatus>,
        from: Option<OffsetDateTime>,
        to: Option<OffsetDateTime>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    Plain { subject: String, text: String },
    ReportReady { report_job_id: EntityId },
}

#[derive(Debug, Clone, PartialEq)]
pub enum Spec {
    GenerateReport {
        report: Report,
        format: ReportFormat,
    },
    SendNotification {
        to: Vec<Email>,
        message: Message,
    },
    ProcessData {
        status: Option<ItemStatus>,
        search: Option<Search>,
        set_status: Option<ItemStatus>,
        merge_metadata: Option<Map<String, Value>>,
    },
    Cleanup {
        older_than_days: u32,
        items: bool,
        jobs: bool,
    },
}

/// Reads `data` as a job of `job_type` asks: 422 naming every bad field
/// (`data.<field>`).
pub fn parse(job_type: JobType, data: &Value) -> Result<Spec, ApiError> {
    let mut v = Validator::new();
    let spec = check(job_type, data, &mut v);
    v.finish()?;
    spec.ok_or_else(|| ApiError::invalid_field("data", "is not valid for this type"))
}

/// [`parse`], recording each bad field in `v` beside the caller's own.
pub fn check(job_type: JobType, data: &Value, v: &mut Validator) -> Option<Spec> {
    let empty = Map::new();
    let object = data.as_object().unwrap_or(&empty);
    Fields {
        object,
        v,
        allowed: allowed(job_type),
    }
    .spec(job_type)
}

fn allowed(job_type: JobType) -> &'static [&'static str] {
    match job_type {
        JobType::GenerateReport => &["report", "format", "status", "from", "to"],
        JobType::SendNotification => &["to", "template", "subject", "text", "report_job_id"],
        JobType::ProcessData => &["status", "search", "set_status", "merge_metadata"],
        JobType::Cleanup => &["older_than_days", "targets"],
    }
}

struct Fields<'a> {
    object: &'a Map<String, Value>,
    v: &'a mut Validator,
    allowed: &'static [&'static str],
}

impl Fields<'_> {
    fn spec(&mut self, job_type: JobType) -> Option<Spec> {
        for key in self.object.keys() {
            if !self.allowed.contains(&key.as_str()) {
                self.v
                    .push(&format!("data.{key}"), "is not a field of this type");
            }
        }
        match job_type {
            JobType::GenerateReport => self.report(),
            JobType::SendNotification => self.notification(),
            JobType::ProcessData => self.process(),
            JobType::Cleanup => self.cleanup(),
        }
    }

    /// Field `name` as text, if present (a non-string is recorded).
    fn text(&mut self, name: &str) -> Option<String> {
        match self.object.get(name) {
            None | Some(Value::Null) => None,
            Some(Value::String(text)) => Some(text.clone()),
            Some(_) => {
                self.v.push(&format!("data.{name}"), "must be a string");
                None
            }
        }
    }

    fn parsed<T>(
        &mut self,
        name: &str,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<T> {
        let text = self.text(name)?;
        self.v.check(&format!("data.{name}"), parse(&text))
    }

    fn required(&mut self, name: &str) -> Option<String> {
        let text = self.text(name);
        if text.is_none() && !self.object.contains_key(name) {
            self.v.push(&format!("data.{name}"), "is required");
        }
        text
    }

    fn time(&mut self, name: &str) -> Option<OffsetDateTime> {
        self.parsed(name, |t| {
            OffsetDateTime::parse(t, &Rfc3339).map_err(|_| "must be an RFC 3339 time".to_owned())
        })
    }

    fn report(&mut self) -> Option<Spec> {
        let format = self
            .parsed("format", ReportFormat::parse)
            .unwrap_or(ReportFormat::Csv);
        let report = match self.required("report")?.as_str() {
            "items" => {
                for field in ["from", "to"] {
                    if self.object.contains_key(field) {
                        self.v.push(
                            &format!("data.{field}"),
                            "applies to the approvals report only",
                        );
                    }
                }
                Report::Items {
                    status: self.parsed("status", ItemStatus::parse),
                }
            }
            "approvals" => {
                let status = self.parsed("status", ApprovalStatus::parse);
                let (from, to) = (self.time("from"), self.time("to"));
                if let (Some(from), Some(to)) = (from, to) {
                    if to <= from {
                        self.v.push("data.to", "must be after data.from");
                    }
                }
                Report::Approvals { status, from, to }
            }
            _ => {
                self.v
                    .push("data.report", "must be one of items, approvals");
                return None;
            }
        };
        Some(Spec::GenerateReport { report, format })
    }

    fn notification(&mut self) -> Option<Spec> {
        let to = match self.object.get("to") {
            Some(Value::Array(list)) if !list.is_empty() && list.len() <= MAX_RECIPIENTS => {
                let mut to = Vec::new();
                for (i, entry) in list.iter().enumerate() {
                    let parsed = entry
                        .as_str()
                        .ok_or_else(|| "must be a string".to_owned())
                        .and_then(Email::parse);
                    to.extend(self.v.check(&format!("data.to[{i}]"), parsed));
                }
                to
            }
            _ => {
                self.v.push(
                    "data.to",
                    format!("must be a list of 1 to {MAX_RECIPIENTS} e-mail addresses"),
                );
                Vec::new()
            }
        };
        let message = match self.text("template").as_deref().unwrap_or("plain") {
            "plain" => {
                let subject = self.required("subject").and_then(|s| {
                    self.v.check(
                        "data.subject",
                        opsflow_platform::domain::single_line(&s, 200),
                    )
                });
                let text = self.required("text").and_then(|t| {
                    self.v
                        .check("data.text", opsflow_platform::domain::free_text(&t, 10_000))
                });
                Message::Plain {
                    subject: subject?,
                    text: text?,
                }
            }
            "report-ready" => Message::ReportReady {
                report_job_id: self
                    .required("report_job_id")
                    .and_then(|id| self.v.check("data.report_job_id", EntityId::parse(&id)))?,
            },
            _ => {
                self.v
                    .push("data.template", "must be one of plain, report-ready");
                return None;
            }
        };
        (!to.is_empty()).then_some(Spec::SendNotification { to, message })
    }

    fn process(&mut self) -> Option<Spec> {
        let status = self.parsed("status", ItemStatus::parse);
        let search = self.parsed("search", Search::parse);
        let set_status = self.parsed("set_status", ItemStatus::parse);
        let merge_metadata = match self.object.get("merge_metadata") {
            None | Some(Value::Null) => None,
            Some(value) => self
                .v
                .check(
                    "data.merge_metadata",
                    opsflow_items::domain::Metadata::parse(value.clone()),
                )
                .and_then(|m| m.as_value().as_object().cloned()),
        };
        if set_status.is_none()
            && merge_metadata.is_none()
            && !self.object.contains_key("merge_metadata")
        {
            self.v.push(
                "data",
                "must name a change: set_status and/or merge_metadata",
            );
        }
        Some(Spec::ProcessData {
            status,
            search,
            set_status,
            merge_metadata,
        })
    }

    fn cleanup(&mut self) -> Option<Spec> {
        let older_than_days = match self.object.get("older_than_days") {
            None | Some(Value::Null) => Some(30),
            Some(value) => self.v.check(
                "data.older_than_days",
                value
                    .as_u64()
                    .filter(|d| (1..=3650).contains(d))
                    .map(|d| d as u32)
                    .ok_or_else(|| "must be an integer from 1 to 3650".to_owned()),
            ),
        };
        let (mut items, mut jobs) = (true, true);
        if let Some(targets) = self.object.get("targets") {
            let names: Option<Vec<&str>> = targets
                .as_array()
                .map(|list| list.iter().filter_map(Value::as_str).collect());
            match names {
                Some(names)
                    if !names.is_empty()
                        && Some(names.len()) == targets.as_array().map(Vec::len)
                        && names.iter().all(|n| ["items", "jobs"].contains(n)) =>
                {
                    items = names.contains(&"items");
                    jobs = names.contains(&"jobs");
                }
                _ => self
                    .v
                    .push("data.targets", "must be a non-empty list of items, jobs"),
            }
        }
        Some(Spec::Cleanup {
            older_than_days: older_than_days?,
            items,
            jobs,
        })
    }
}

#[cfg(test)]
#[path = "spec_tests.rs"]
mod tests;
