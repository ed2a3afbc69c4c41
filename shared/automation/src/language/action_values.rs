//! The named values of rule actions: a path into an approval's payload
//! and a job type, each parsed once, when the rule is written.

use serde::Serialize;

/// A path into an approval's payload: 1 to 8 dot-separated keys, each
/// `[A-Za-z_][A-Za-z0-9_-]{0,63}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct PayloadPath(String);

impl PayloadPath {
    pub const MAX_SEGMENTS: usize = 8;

    pub fn parse(input: &str) -> Result<Self, String> {
        let segments: Vec<&str> = input.split('.').collect();
        if segments.len() > Self::MAX_SEGMENTS {
            return Err(format!("must have at most {} keys", Self::MAX_SEGMENTS));
        }
        let valid = |segment: &&str| {
            let mut chars = segment.chars();
            matches!(chars.next(), Some('A'..='Z' | 'a'..='z' | '_'))
                && segment.len() <= 64
                && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        };
        if !segments.iter().all(valid) {
            return Err(
                "must be dot-separated keys, each a letter or _ followed by up to 63 \
                 letters, digits, _ or -, such as review.level"
                    .into(),
            );
        }
        Ok(Self(input.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn segments(&self) -> impl Iterator<Item = &str> {
        self.0.split('.')
    }
}

/// A job type: `[a-z][a-z0-9_.-]{0,63}`, such as `generate-report`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct JobType(String);

impl JobType {
    pub fn parse(input: &str) -> Result<Self, String> {
        identifier(input, "_.-").map(Self).ok_or_else(|| {
            "must be a lower-case letter then up to 63 of a-z, 0-9, _, . and -".into()
        })
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// `[a-z][a-z0-9<extra>]{0,63}`.
fn identifier(input: &str, extra: &str) -> Option<String> {
    let mut chars = input.chars();
    let valid = matches!(chars.next(), Some('a'..='z'))
        && input.len() <= 64
        && chars.all(|c| matches!(c, 'a'..='z' | '0'..='9') || extra.contains(c));
    valid.then(|| input.to_owned())
}
