//! Writes on the entity table: transaction items (`Put`, `Update`,
//! `Delete`, `ConditionCheck`), batched reads by key, and the atomic
//! commit. Every change to an entity commits with its outbox event, and
//! inside an idempotent request with the key's commit mark (the last item),
//! so callers see their own items' cancellation reasons at their indices.

use super::error::{built, classify_transaction};
use super::expr::with_placeholders;
use super::session_write;
use super::{classify, idempotency, n, s, Expr, Item, Store, StoreError, Written};
use aws_sdk_dynamodb::types::{
    AttributeValue, ConditionCheck, Delete, Put, TransactWriteItem, Update,
};
use std::collections::HashMap;

impl Store {
    /// A `Put` for use in a transaction, with an optional condition.
    pub fn put(
        &self,
        item: Item,
        condition: Option<(&str, Vec<(&str, AttributeValue)>)>,
    ) -> Result<TransactWriteItem, StoreError> {
        let mut put = Put::builder().table_name(&self.table).set_item(Some(item));
        if let Some((expression, values)) = condition {
            put = put.condition_expression(expression);
            for (name, value) in values {
                put = put.expression_attribute_values(name, value);
            }
        }
        let put = built(put.build(), "a Put")?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    /// An `Update` for use in a transaction.
    pub fn update(
        &self,
        pk: String,
        sk: &str,
        expression: &Expr,
    ) -> Result<TransactWriteItem, StoreError> {
        let mut update = Update::builder()
            .table_name(&self.table)
            .key("pk", s(pk))
            .key("sk", s(sk))
            .update_expression(&expression.text);
        update = with_placeholders!(update, expression);
        let update = built(update.build(), "an Update")?;
        Ok(TransactWriteItem::builder().update(update).build())
    }

    /// An `Update` for use in a transaction, made only while `condition`
    /// holds (its placeholders are among `expression`'s).
    pub fn update_if(
        &self,
        pk: String,
        sk: &str,
        expression: &Expr,
        condition: &str,
    ) -> Result<TransactWriteItem, StoreError> {
        let mut update = Update::builder()
            .table_name(&self.table)
            .key("pk", s(pk))
            .key("sk", s(sk))
            .update_expression(&expression.text)
            .condition_expression(condition);
        update = with_placeholders!(update, expression);
        let update = built(update.build(), "an Update")?;
        Ok(TransactWriteItem::builder().update(update).build())
    }

    /// A `Delete` for use in a transaction, with an optional condition.
    pub fn delete(
        &self,
        pk: String,
        sk: &str,
        condition: Option<&Expr>,
    ) -> Result<TransactWriteItem, StoreError> {
        let mut delete = Delete::builder()
            .table_name(&self.table)
            .key("pk", s(pk))
            .key("sk", s(sk));
        if let Some(condition) = condition {
            delete = delete.condition_expression(&condition.text);
            delete = with_placeholders!(delete, condition);
        }
        let delete = built(delete.build(), "a Delete")?;
        Ok(TransactWriteItem::builder().delete(delete).build())
    }

    /// A `ConditionCheck` on an item, for use in a transaction.
    pub fn check(
        &self,
        pk: String,
        sk: &str,
        condition: &Expr,
    ) -> Result<TransactWriteItem, StoreError> {
        let mut check = ConditionCheck::builder()
            .table_name(&self.table)
            .key("pk", s(pk))
            .key("sk", s(sk))
            .condition_expression(&condition.text);
        check = with_placeholders!(check, condition);
        let check = built(check.build(), "a ConditionCheck")?;
        Ok(TransactWriteItem::builder().condition_check(check).build())
    }

    /// Strongly consistent reads of up to 100 items by primary key, in the
    /// order asked; missing items are left out. Unprocessed keys are asked
    /// again until none remain.
    pub async fn batch_get(&self, keys: Vec<(String, String)>) -> Result<Vec<Item>, StoreError> {
        let mut found: HashMap<(String, String), Item> = HashMap::new();
        let mut pending = keys.clone();
        for _ in 0..8 {
            if pending.is_empty() {
                break;
            }
            let (got, left) = super::batch::get_round(self.client(), &self.table, &pending).await?;
            found.extend(got);
            pending = left;
        }
        if !pending.is_empty() {
            return Err(StoreError::Throttled);
        }
        Ok(keys
            .into_iter()
            .filter_map(|key| found.remove(&key))
            .collect())
    }

    /// Commits writes atomically. Cancellation reasons come back in item
    /// order so the caller can tell which condition failed. Inside a
    /// request that holds an idempotency key, the key's commit mark is
    /// appended as the last item (see `idempotency`), so the change and
    /// "this key made its change" commit together. Inside a request whose
    /// session check is still running, the transaction goes at once with
    /// the session's conditions after those (see `auth::gate`).
    #[tracing::instrument(skip_all, fields(table = %self.table, items = items.len()))]
    pub async fn transact(&self, items: Vec<TransactWriteItem>) -> Result<(), StoreError> {
        let held = idempotency::held_lease();
        let mark = held
            .as_ref()
            .map(|held| self.commit_mark(held))
            .transpose()?;
        let claim = crate::auth::gate::pending_claim()
            .filter(|claim| session_write::may_carry(claim, &items, mark.is_some()));
        let carried = claim.is_some();
        let sent = match claim {
            Some(claim) => {
                let checks = claim.conditions(self, crate::clock::now())?;
                // Boxed, as below: a transaction's future sits deep in
                // every write path's, and its layout must stay within the
                // compiler's depth limit wherever it is nested.
                let sent =
                    Box::pin(self.send_transaction(items.clone(), mark.clone(), Some(checks)));
                let sent = crate::auth::gate::carrying_the_check(sent).await;
                if matches!(sent, Sent::Done) {
                    crate::auth::gate::note_carried_commit();
                }
                sent
            }
            None => Sent::Unproven,
        };
        let sent = match sent {
            // The session's conditions failed (or were not sent): wait for
            // the check, then send the items again. When they failed, with
            // the conditions of the generation the check found the session
            // live at (its session was re-stamped since the token was
            // issued): a session that ends before the resend still writes
            // nothing.
            Sent::Unproven => {
                crate::auth::gate::cleared().await?;
                let checks = match crate::auth::gate::confirmed_claim().filter(|_| carried) {
                    Some(claim) => Some(claim.conditions(self, crate::clock::now())?),
                    None => None,
                };
                Box::pin(self.send_transaction(items, mark, checks)).await
            }
            sent => sent,
        };
        match (sent, held) {
            (Sent::Done, Some(held)) => {
                held.mark_committed();
                Ok(())
            }
            (Sent::Done, None) => Ok(()),
            (Sent::Failed(error), _) => Err(error),
            (Sent::Unproven, _) => Err(StoreError::SessionEnded),
        }
    }

    /// One `TransactWriteItems` of `items`, the commit mark and the
    /// session's checks, in that order; a cancellation's reasons are
    /// `items`' alone.
    async fn send_transaction(
        &self,
        mut items: Vec<TransactWriteItem>,
        mark: Option<TransactWriteItem>,
        checks: Option<[TransactWriteItem; 2]>,
    ) -> Sent {
        let marked = mark.is_some();
        let checked = checks.is_some();
        items.extend(mark);
        items.extend(checks.into_iter().flatten());
        let result = self
            .client()
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await
            .map_err(classify_transaction);
        let mut reasons = match result {
            Ok(_) => return Sent::Done,
            Err(StoreError::TransactionCancelled(reasons)) => reasons,
            Err(error) => return Sent::Failed(error),
        };
        if checked {
            let checks = reasons.split_off(reasons.len().saturating_sub(2));
            if checks.iter().any(|reason| reason != "None") {
                return Sent::Unproven;
            }
        }
        // A failed mark: another run of the request took the key over, so
        // this one must not commit.
        if marked && reasons.pop().as_deref() == Some("ConditionalCheckFailed") {
            return Sent::Failed(StoreError::LeaseLost);
        }
        Sent::Failed(StoreError::TransactionCancelled(reasons))
    }
}

/// How a transaction went.
enum Sent {
    Done,
    Failed(StoreError),
    /// The session's conditions did not hold (or were not sent): nothing
    /// was written, and whether the session is live is for the check to
    /// say.
    Unproven,
}

impl Store {
    /// Stores a new item (its `pk` must be free) and its event atomically.
    pub async fn insert_with_event(
        &self,
        item: Item,
        event: &crate::events::Envelope,
    ) -> Result<(), StoreError> {
        let items = vec![
            self.put(item, Some(("attribute_not_exists(pk)", Vec::new())))?,
            self.put(crate::events::OutboxItem::new(event)?.to_item()?, None)?,
        ];
        match self.transact(items).await {
            Err(error) if error.failed_condition_at(0) => Err(StoreError::ConditionFailed),
            other => other,
        }
    }

    /// Commits an event that changes no entity (a client's report of its
    /// own action) to the outbox: one `PutItem` of the event item. Its id
    /// is new, so the put never replaces an event.
    #[tracing::instrument(skip_all, fields(table = %self.table, event_id = %event.id))]
    pub async fn publish_event(&self, event: &crate::events::Envelope) -> Result<(), StoreError> {
        if idempotency::held_lease().is_some() {
            let item = crate::events::OutboxItem::new(event)?.to_item()?;
            let put = self.put(item, Some(("attribute_not_exists(pk)", Vec::new())))?;
            return match self.transact(vec![put]).await {
                // As the plain put says it: the event id is taken.
                Err(error) if error.failed_condition_at(0) => Err(StoreError::ConditionFailed),
                other => other,
            };
        }
        match self
            .put_once(crate::events::OutboxItem::new(event)?.to_item()?)
            .await?
        {
            Written::New => Ok(()),
            Written::AlreadyThere => Err(StoreError::ConditionFailed),
        }
    }

    /// Writes an item whose key is still free (`attribute_not_exists(pk)`),
    /// outside any transaction: writing it again (a redelivered event's
    /// record) changes nothing and says so.
    pub async fn put_once(&self, item: Item) -> Result<Written, StoreError> {
        crate::auth::gate::cleared().await?;
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await
            .map_err(|e| classify(e, "PutItem"));
        match result {
            Ok(_) => Ok(Written::New),
            Err(StoreError::ConditionFailed) => Ok(Written::AlreadyThere),
            Err(error) => Err(error),
        }
    }

    /// Replaces an item that is still at version `expected`, with the
    /// writes that go `with` it (items 1…: an entity's links) and its
    /// event, atomically. A stale version is `ConditionFailed`.
    pub async fn replace_versioned(
        &self,
        item: Item,
        expected: u64,
        with: Vec<TransactWriteItem>,
        event: Option<&crate::events::Envelope>,
    ) -> Result<(), StoreError> {
        let condition = Some((
            "attribute_exists(pk) AND version = :expected",
            vec![(":expected", n(expected))],
        ));
        let mut items = vec![self.put(item, condition)?];
        items.extend(with);
        if let Some(event) = event {
            items.push(self.put(crate::events::OutboxItem::new(event)?.to_item()?, None)?);
        }
        match self.transact(items).await {
            Err(error) if error.failed_condition_at(0) => Err(StoreError::ConditionFailed),
            other => other,
        }
    }

    /// Deletes an item that is still at version `expected`, with the
    /// `guards` that must hold with it (items 1…) and its event, atomically.
    /// A stale version is `ConditionFailed`; a failed guard comes back as
    /// the cancelled transaction.
    pub async fn delete_versioned(
        &self,
        pk: String,
        sk: &str,
        expected: u64,
        guards: Vec<TransactWriteItem>,
        event: &crate::events::Envelope,
    ) -> Result<(), StoreError> {
        let version = Expr::new("version = :expected").value(":expected", n(expected));
        let mut items = vec![self.delete(pk, sk, Some(&version))?];
        items.extend(guards);
        items.push(self.put(crate::events::OutboxItem::new(event)?.to_item()?, None)?);
        match self.transact(items).await {
            Err(error) if error.failed_condition_at(0) => Err(StoreError::ConditionFailed),
            other => other,
        }
    }
}
