//! Why an orders use case did not happen, and the HTTP status of each
//! reason.

use crate::domain::{next, OrderStatus};
use crate::store::StoreError;
use opsflow_inventory::domain::Sku;
use opsflow_platform::domain::EntityId;
use opsflow_platform::error::{ApiError, FieldError};

/// Why an orders use case did not happen.
#[derive(Debug, thiserror::Error)]
pub enum OrdersError {
    /// 404: no such order (or not the caller's to see).
    #[error("no such order")]
    NotFound,
    /// 403: the caller may not make this move.
    #[error("only an admin may move this order from {from} to {to}")]
    Forbidden { from: OrderStatus, to: OrderStatus },
    /// 409: not a move the status map allows.
    #[error("an order that is {from} may move to {}", allowed(*.from))]
    Illegal { from: OrderStatus },
    /// 409: not enough stock for these SKUs.
    #[error("not enough stock for {}", list(.0))]
    OutOfStock(Vec<Sku>),
    /// 422: lines naming SKUs that do not exist (by line index).
    #[error("unknown SKUs")]
    UnknownSkus(Vec<(usize, Sku)>),
    /// 422: giving the order's units back would take a SKU past the most
    /// units one may hold.
    #[error("giving back {} would exceed the most units a SKU may hold", list(.0))]
    TooMuchStock(Vec<Sku>),
    /// 422: the total would not fit in a number.
    #[error("the order's total is too large")]
    TooLarge,
    /// 409: only a `cancelled` or `delivered` order is deleted.
    #[error("the order is {0}; only a cancelled or delivered order is deleted")]
    NotDeletable(OrderStatus),
    /// 409: a rule holds the order for approval; it cannot be processed.
    #[error(
        "the order is on hold ({reason}) until approval {approval_id} is approved \
         or an admin releases it"
    )]
    Held {
        reason: String,
        approval_id: EntityId,
    },
    /// 409: the order is not on hold.
    #[error("the order is not on hold")]
    NotHeld,
    /// 409: the order changed since it was read.
    #[error("the order was changed concurrently; reload and retry")]
    Stale,
    /// 503: its SKUs are so busy that every try lost a race.
    #[error("the order's SKUs are busy; retry shortly")]
    Busy,
    /// The store failed (its own status: 409, 503 or 500).
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn allowed(from: OrderStatus) -> String {
    let next: Vec<&str> = next(from).iter().map(|s| s.as_str()).collect();
    if next.is_empty() {
        "no other status".into()
    } else {
        next.join(" or ")
    }
}

fn list(skus: &[Sku]) -> String {
    skus.iter().map(Sku::as_str).collect::<Vec<_>>().join(", ")
}

impl From<OrdersError> for ApiError {
    fn from(error: OrdersError) -> Self {
        match error {
            OrdersError::NotFound => ApiError::NotFound(error.to_string()),
            OrdersError::Forbidden { .. } => ApiError::Forbidden(error.to_string()),
            OrdersError::Illegal { .. }
            | OrdersError::Held { .. }
            | OrdersError::NotHeld
            | OrdersError::NotDeletable(_)
            | OrdersError::OutOfStock(_)
            | OrdersError::Stale => ApiError::Conflict(error.to_string()),
            OrdersError::UnknownSkus(lines) => ApiError::invalid(
                lines
                    .iter()
                    .map(|(i, sku)| {
                        FieldError::new(format!("items[{i}].sku"), format!("no SKU {sku}"))
                    })
                    .collect(),
            ),
            OrdersError::TooLarge => ApiError::invalid_field("items", error.to_string()),
            OrdersError::TooMuchStock(_) => ApiError::invalid_field("status", error.to_string()),
            OrdersError::Busy => ApiError::ServiceUnavailable(error.to_string()),
            OrdersError::Store(error) => error.into(),
        }
    }
}
