//! A subscription's signing secret and the signature every delivery
//! carries, in the Standard Webhooks format (<https://www.standardwebhooks.com>),
//! so a receiver can verify it with any of that standard's libraries:
//!
//! - the secret is `whsec_` followed by the base64 of 32 random bytes;
//! - a delivery carries `webhook-id` (the same on every attempt),
//!   `webhook-timestamp` (Unix seconds, fresh on every attempt) and
//!   `webhook-signature: v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`,
//!   keyed with the secret's decoded bytes; several signatures may be sent,
//!   separated by spaces (one per live secret while a rotated secret's
//!   overlap lasts).
//!
//! Invariant: a signature verifies only for the exact id, timestamp and body
//! it was made over, under one of the given secrets, within the tolerance;
//! comparison is constant-time.

use aws_lc_rs::hmac;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use std::fmt;

/// What a secret's text starts with.
pub const SECRET_PREFIX: &str = "whsec_";
/// How many random bytes a new secret holds.
const SECRET_BYTES: usize = 32;
/// The key sizes the standard allows a secret to decode to.
const KEY_BYTES: std::ops::RangeInclusive<usize> = 24..=64;
/// How far a delivery's timestamp may be from the receiver's clock (the
/// standard's recommended five minutes).
pub const TOLERANCE_SECS: i64 = 5 * 60;

/// A subscription's signing secret. Its text is shown to the subscriber
/// once; `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Vec<u8>);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(…)")
    }
}

/// Why a secret's text was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    #[error("a signing secret starts with `whsec_`")]
    Prefix,
    #[error("a signing secret is base64 after `whsec_`")]
    Encoding,
    #[error("a signing secret holds 24 to 64 bytes")]
    Length,
}

impl Secret {
    /// A new secret of 32 random bytes from the operating system.
    pub fn generate() -> Self {
        let mut bytes = vec![0; SECRET_BYTES];
        aws_lc_rs::rand::fill(&mut bytes).expect("the operating system's random generator");
        Self(bytes)
    }

    /// A secret from its text (`whsec_<base64>`).
    pub fn parse(text: &str) -> Result<Self, SecretError> {
        let encoded = text
            .strip_prefix(SECRET_PREFIX)
            .ok_or(SecretError::Prefix)?;
        let bytes = STANDARD
            .decode(encoded)
            .map_err(|_| SecretError::Encoding)?;
        if !KEY_BYTES.contains(&bytes.len()) {
            return Err(SecretError::Length);
        }
        Ok(Self(bytes))
    }

    /// The text a subscriber keeps (and the store holds).
    pub fn reveal(&self) -> String {
        format!("{SECRET_PREFIX}{}", STANDARD.encode(&self.0))
    }

    fn key(&self) -> hmac::Key {
        hmac::Key::new(hmac::HMAC_SHA256, &self.0)
    }
}

/// What is signed: `{id}.{timestamp}.{body}`.
fn signed_content(id: &str, timestamp: i64, body: &[u8]) -> Vec<u8> {
    let mut content = format!("{id}.{timestamp}.").into_bytes();
    content.extend_from_slice(body);
    content
}

/// The `webhook-signature` value of a delivery: one `v1,<base64>` per
/// secret, separated by spaces.
pub fn sign(secrets: &[&Secret], id: &str, timestamp: i64, body: &[u8]) -> String {
    let content = signed_content(id, timestamp, body);
    secrets
        .iter()
        .map(|secret| {
            let tag = hmac::sign(&secret.key(), &content);
            format!("v1,{}", STANDARD.encode(tag.as_ref()))
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Why a delivery did not verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("the timestamp is not a number of seconds")]
    Timestamp,
    #[error("the timestamp is more than five minutes from now")]
    OutsideTolerance,
    #[error("no signature matches")]
    NoMatch,
}

/// Checks a delivery's headers and body as a receiver does: the timestamp
/// within [`TOLERANCE_SECS`] of `now`, and one of the `v1` signatures made
/// with one of `secrets` over exactly this id, timestamp and body.
pub fn verify(
    secrets: &[&Secret],
    id: &str,
    timestamp: &str,
    signatures: &str,
    body: &[u8],
    now: i64,
) -> Result<(), VerifyError> {
    let timestamp: i64 = timestamp.parse().map_err(|_| VerifyError::Timestamp)?;
    if (now - timestamp).abs() > TOLERANCE_SECS {
        return Err(VerifyError::OutsideTolerance);
    }
    let content = signed_content(id, timestamp, body);
    let tags = signatures
        .split(' ')
        .filter_map(|entry| entry.strip_prefix("v1,"))
        .filter_map(|encoded| STANDARD.decode(encoded).ok());
    for tag in tags {
        if secrets
            .iter()
            .any(|secret| hmac::verify(&secret.key(), &content, &tag).is_ok())
        {
            return Ok(());
        }
    }
    Err(VerifyError::NoMatch)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const AT: i64 = 1_614_265_330;
    const BODY: &[u8] = br#"{"test": 2432232314}"#;

    fn published() -> Secret {
        Secret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap()
    }

    #[test]
    fn the_standards_published_example_signs_to_its_published_signature() {
        // The example of the Standard Webhooks specification: a receiver's
        // library computes exactly this.
        assert_eq!(
            sign(&[&published()], ID, AT, BODY),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn a_signature_verifies_only_over_its_own_id_timestamp_and_body() {
        let secret = Secret::generate();
        let signature = sign(&[&secret], ID, AT, BODY);
        let check = |id, at: &str, body: &[u8]| verify(&[&secret], id, at, &signature, body, AT);
        assert_eq!(check(ID, "1614265330", BODY), Ok(()));
        assert_eq!(
            check(ID, "1614265330", br#"{"test": 2432232315}"#),
            Err(VerifyError::NoMatch)
        );
        assert_eq!(
            check("msg_other", "1614265330", BODY),
            Err(VerifyError::NoMatch)
        );
        assert_eq!(check(ID, "1614265331", BODY), Err(VerifyError::NoMatch));
        assert_eq!(check(ID, "soon", BODY), Err(VerifyError::Timestamp));
    }

    #[test]
    fn another_secret_does_not_verify_and_either_secret_of_a_rotation_does() {
        let (old, new) = (Secret::generate(), Secret::generate());
        let both = sign(&[&new, &old], ID, AT, BODY);
        assert_eq!(both.split(' ').count(), 2);
        for secret in [&old, &new] {
            assert_eq!(verify(&[secret], ID, "1614265330", &both, BODY, AT), Ok(()));
        }
        let only_new = sign(&[&new], ID, AT, BODY);
        assert_eq!(
            verify(&[&old], ID, "1614265330", &only_new, BODY, AT),
            Err(VerifyError::NoMatch)
        );
    }

    #[test]
    fn a_timestamp_more_than_five_minutes_away_is_refused_either_way() {
        let secret = published();
        let signature = sign(&[&secret], ID, AT, BODY);
        let at = |now| verify(&[&secret], ID, "1614265330", &signature, BODY, now);
        assert_eq!(at(AT + TOLERANCE_SECS), Ok(()));
        assert_eq!(at(AT - TOLERANCE_SECS), Ok(()));
        assert_eq!(
            at(AT + TOLERANCE_SECS + 1),
            Err(VerifyError::OutsideTolerance)
        );
        assert_eq!(
            at(AT - TOLERANCE_SECS - 1),
            Err(VerifyError::OutsideTolerance)
        );
    }

    #[test]
    fn secrets_round_trip_through_their_text_and_bad_texts_are_named() {
        let secret = Secret::generate();
        let text = secret.reveal();
        assert!(text.starts_with("whsec_"), "{text}");
        assert_eq!(Secret::parse(&text), Ok(secret.clone()));
        assert_ne!(Secret::generate(), secret);
        assert_eq!(format!("{secret:?}"), "Secret(…)");

        assert_eq!(Secret::parse("MfKQ9r8GKYqrTwjU"), Err(SecretError::Prefix));
        assert_eq!(
            Secret::parse("whsec_not base64!"),
            Err(SecretError::Encoding)
        );
        // 18 bytes: below the standard's 24.
        assert_eq!(
            Secret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZI"),
            Err(SecretError::Length)
        );
    }
}
