//! Opaque, tamper-evident pagination cursors.
//!
//! A cursor is the `LastEvaluatedKey` of a page (all key attributes are
//! strings) as JSON, base64url-encoded, followed by an HMAC-SHA-256 over the
//! key *and the query it belongs to* (its scope, e.g. `users:role=admin`).
//! A client can neither forge a start key nor replay a cursor on another
//! query; either way decoding is [`InvalidCursor`], which the HTTP layer
//! answers with a 400 naming `cursor`.

use super::Item;
use aws_lc_rs::hmac;
use aws_sdk_dynamodb::types::AttributeValue;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use std::collections::BTreeMap;

#[derive(Clone)]
pub struct CursorKey(hmac::Key);

impl std::fmt::Debug for CursorKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CursorKey(***)")
    }
}

/// A cursor this key did not issue for this query.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("is not a cursor issued for this query")]
pub struct InvalidCursor;

fn invalid() -> InvalidCursor {
    InvalidCursor
}

impl CursorKey {
    pub fn new(secret: &[u8]) -> Self {
        Self(hmac::Key::new(hmac::HMAC_SHA256, secret))
    }

    fn tag(&self, scope: &str, payload: &[u8]) -> hmac::Tag {
        let mut context = hmac::Context::with_key(&self.0);
        context.update(scope.as_bytes());
        context.update(&[0]);
        context.update(payload);
        context.sign()
    }

    /// Encodes a page's last key. Only string attributes are expected in
    /// keys; anything else is a programming error reported as such.
    pub fn encode(&self, scope: &str, key: &Item) -> anyhow::Result<String> {
        let mut plain = BTreeMap::new();
        for (name, value) in key {
            let AttributeValue::S(text) = value else {
                anyhow::bail!("key attribute {name} is not a string");
            };
            plain.insert(name.as_str(), text.as_str());
        }
        let payload = serde_json::to_vec(&plain)?;
        let tag = self.tag(scope, &payload);
        Ok(format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(&payload),
            URL_SAFE_NO_PAD.encode(tag.as_ref())
        ))
    }

    /// Decodes a client's cursor for `scope`.
    pub fn decode(&self, scope: &str, cursor: &str) -> Result<Item, InvalidCursor> {
        let (payload, tag) = cursor.split_once('.').ok_or_else(invalid)?;
        let payload = URL_SAFE_NO_PAD.decode(payload).map_err(|_| invalid())?;
        let tag = URL_SAFE_NO_PAD.decode(tag).map_err(|_| invalid())?;
        let mut message = Vec::with_capacity(scope.len() + 1 + payload.len());
        message.extend_from_slice(scope.as_bytes());
        message.push(0);
        message.extend_from_slice(&payload);
        hmac::verify(&self.0, &message, &tag).map_err(|_| invalid())?;
        let plain: BTreeMap<String, String> =
            serde_json::from_slice(&payload).map_err(|_| invalid())?;
        Ok(plain
            .into_iter()
            .map(|(name, value)| (name, AttributeValue::S(value)))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn key() -> Item {
        Item::from([
            ("pk".to_owned(), AttributeValue::S("USER#1".into())),
            ("sk".to_owned(), AttributeValue::S("USER".into())),
        ])
    }

    #[test]
    fn cursors_round_trip_within_their_scope() {
        let cursors = CursorKey::new(&[7; 32]);
        let cursor = cursors.encode("users", &key()).unwrap();
        assert_eq!(cursors.decode("users", &cursor).unwrap(), key());
    }

    #[test]
    fn cursors_do_not_cross_scopes_or_keys() {
        let cursors = CursorKey::new(&[7; 32]);
        let cursor = cursors.encode("users", &key()).unwrap();
        assert!(cursors.decode("users:role=admin", &cursor).is_err());
        assert!(CursorKey::new(&[8; 32]).decode("users", &cursor).is_err());
    }

    #[test]
    fn edited_cursors_are_refused() {
        let cursors = CursorKey::new(&[7; 32]);
        let cursor = cursors.encode("users", &key()).unwrap();
        let (payload, tag) = cursor.split_once('.').unwrap();
        let mut plain = URL_SAFE_NO_PAD.decode(payload).unwrap();
        plain[10] ^= 1;
        let forged = format!("{}.{tag}", URL_SAFE_NO_PAD.encode(plain));
        let error = cursors.decode("users", &forged).unwrap_err();
        assert_eq!(crate::error::ApiError::from(error).status(), 400);
    }

    proptest! {
        #[test]
        fn decoding_arbitrary_text_never_panics(input in ".{0,200}") {
            let cursors = CursorKey::new(&[7; 32]);
            prop_assert!(cursors.decode("users", &input).is_err());
        }
    }
}
