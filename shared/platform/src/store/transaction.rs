//! Transactions whose items are named, not counted. Each item added to a
//! [`Transaction`] returns an [`Item`] handle; when DynamoDB cancels the
//! transaction, the caller asks [`StoreError::failed`] about the handle of
//! the condition it cares about. Reordering the items then cannot change
//! which error a client gets, as a hard-coded index would.

use super::{Store, StoreError};
use aws_sdk_dynamodb::types::TransactWriteItem;

/// Whether an idempotent write (a put on the condition that the item is
/// absent) stored a new item or found it already there, as a repeated
/// delivery of the same event does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    New,
    AlreadyThere,
}

/// The items of one `TransactWriteItems`, in the order they were added.
#[derive(Debug, Default)]
pub struct Transaction {
    items: Vec<TransactWriteItem>,
}

/// One item of a [`Transaction`]: ask [`StoreError::failed`] whether its
/// condition is what cancelled the transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Item(usize);

impl Transaction {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `item`; its handle names it in a cancellation.
    pub fn add(&mut self, item: TransactWriteItem) -> Item {
        self.items.push(item);
        Item(self.items.len() - 1)
    }

    /// Adds items whose failure the caller never needs to tell apart.
    pub fn extend(&mut self, items: impl IntoIterator<Item = TransactWriteItem>) {
        self.items.extend(items);
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

impl StoreError {
    /// Whether `item`'s condition failed in this cancelled transaction.
    pub fn failed(&self, item: Item) -> bool {
        self.failed_condition_at(item.0)
    }
}

impl Store {
    /// Commits `transaction` as one `TransactWriteItems` (see
    /// [`Store::transact`]).
    pub async fn commit(&self, transaction: Transaction) -> Result<(), StoreError> {
        self.transact(transaction.items).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_dynamodb::types::ConditionCheck;

    fn check() -> TransactWriteItem {
        let check = ConditionCheck::builder()
            .table_name("t")
            .key("pk", crate::store::s("USER#1"))
            .key("sk", crate::store::s("USER"))
            .condition_expression("attribute_exists(pk)")
            .build()
            .expect("a condition check");
        TransactWriteItem::builder().condition_check(check).build()
    }

    #[test]
    fn a_cancellation_names_the_item_whose_condition_failed() {
        let mut tx = Transaction::new();
        let first = tx.add(check());
        let second = tx.add(check());
        let cancelled = StoreError::TransactionCancelled(vec![
            "None".to_owned(),
            "ConditionalCheckFailed".to_owned(),
        ]);
        assert!(cancelled.failed(second));
        assert!(!cancelled.failed(first));
        assert!(!StoreError::ConditionFailed.failed(second));
    }
}
