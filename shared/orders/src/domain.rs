//! Orders: lines of SKUs a signed-in user asks for, priced by the server
//! from the inventory (in integer minor units), moving through a fixed map
//! of statuses. Inputs become these types at the edge; past it, code
//! trusts them.
//!
//! The only moves ([`next`]):
//!
//! | from | to |
//! |---|---|
//! | `pending` | `processing`, `cancelled` |
//! | `processing` | `shipped`, `cancelled` |
//! | `shipped` | `delivered`, `cancelled` |
//! | `cancelled` | `pending` (re-opened: its stock is taken again) |
//! | `delivered` | — |
//!
//! Who may move an order ([`may_move`]): its owner may cancel it while it
//! is `pending`; admins make every move.

use opsflow_inventory::domain::Sku;
use opsflow_platform::auth::Principal;
use opsflow_platform::domain::EntityId;

/// The most lines an order may have: its transaction holds the order, its
/// event, its timeline entry and one stock move per line, within the 100
/// items DynamoDB allows, with room to spare.
pub const MAX_LINES: usize = 25;
/// The most units of one line.
pub const MAX_LINE_QUANTITY: i64 = 10_000;

opsflow_platform::text_newtype! {
    /// An order's notes: at most 1000 characters (trimmed; may be empty).
    pub struct Notes(free_text, 1000);
}

opsflow_platform::string_enum! {
    pub enum OrderStatus {
        Pending = "pending",
        Processing = "processing",
        Shipped = "shipped",
        Delivered = "delivered",
        Cancelled = "cancelled",
    }
}

/// The statuses an order in `from` may move to.
pub fn next(from: OrderStatus) -> &'static [OrderStatus] {
    use OrderStatus::*;
    match from {
        Pending => &[Processing, Cancelled],
        Processing => &[Shipped, Cancelled],
        Shipped => &[Delivered, Cancelled],
        Cancelled => &[Pending],
        Delivered => &[],
    }
}

/// Whether `principal` may move an order of `owner` from `from` to `to`
/// (a legal move, [`next`]).
pub fn may_move(
    principal: &Principal,
    owner: &EntityId,
    from: OrderStatus,
    to: OrderStatus,
) -> bool {
    principal.can(crate::permissions::ORDERS_MANAGE)
        || (principal.user_id == *owner
            && from == OrderStatus::Pending
            && to == OrderStatus::Cancelled)
}

/// How a move changes the stock of the order's lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StockEffect {
    None,
    /// Cancelled: every line's units go back.
    GiveBack,
    /// Re-opened: every line's units are taken again.
    TakeAgain,
}

pub fn stock_effect(from: OrderStatus, to: OrderStatus) -> StockEffect {
    match (from, to) {
        (OrderStatus::Cancelled, _) => StockEffect::TakeAgain,
        (_, OrderStatus::Cancelled) => StockEffect::GiveBack,
        _ => StockEffect::None,
    }
}

/// One line as a client asks for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineRequest {
    pub sku: Sku,
    pub quantity: i64,
}

/// A line's units: 1 to [`MAX_LINE_QUANTITY`].
pub fn line_quantity(value: i64) -> Result<i64, String> {
    if (1..=MAX_LINE_QUANTITY).contains(&value) {
        Ok(value)
    } else {
        Err(format!("must be an integer from 1 to {MAX_LINE_QUANTITY}"))
    }
}

/// `units × unit_price`, or `None` past `i64` (no real order gets there).
pub fn line_total(quantity: i64, unit_price: i64) -> Option<i64> {
    quantity.checked_mul(unit_price)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use opsflow_platform::domain::Role;
    use OrderStatus::*;

    fn principal(role: Role) -> Principal {
        Principal {
            user_id: EntityId::new(),
            role,
            session_id: "s".into(),
            session_generation: None,
            token_id: "t".into(),
            expires_at: 0,
        }
    }

    #[test]
    fn every_move_from_every_status_is_as_the_map_says() {
        let legal = [
            (Pending, Processing),
            (Pending, Cancelled),
            (Processing, Shipped),
            (Processing, Cancelled),
            (Shipped, Delivered),
            (Shipped, Cancelled),
            (Cancelled, Pending),
        ];
        for from in OrderStatus::ALL {
            for to in OrderStatus::ALL {
                assert_eq!(
                    next(from).contains(&to),
                    legal.contains(&(from, to)),
                    "{from} → {to}"
                );
            }
        }
    }

    #[test]
    fn owners_cancel_their_pending_orders_and_admins_move_any() {
        let owner = principal(Role::User);
        let admin = principal(Role::Admin);
        assert!(may_move(&owner, &owner.user_id, Pending, Cancelled));
        assert!(!may_move(&owner, &owner.user_id, Processing, Cancelled));
        assert!(!may_move(&owner, &owner.user_id, Pending, Processing));
        assert!(!may_move(
            &principal(Role::User),
            &owner.user_id,
            Pending,
            Cancelled
        ));
        assert!(!may_move(
            &principal(Role::Approver),
            &owner.user_id,
            Pending,
            Cancelled
        ));
        assert!(may_move(&admin, &owner.user_id, Shipped, Delivered));
    }

    #[test]
    fn cancelling_gives_stock_back_and_reopening_takes_it_again() {
        assert_eq!(stock_effect(Pending, Cancelled), StockEffect::GiveBack);
        assert_eq!(stock_effect(Shipped, Cancelled), StockEffect::GiveBack);
        assert_eq!(stock_effect(Cancelled, Pending), StockEffect::TakeAgain);
        assert_eq!(stock_effect(Pending, Processing), StockEffect::None);
    }

    #[test]
    fn lines_hold_one_to_ten_thousand_units() {
        assert!(line_quantity(0).is_err());
        assert!(line_quantity(-1).is_err());
        assert_eq!(line_quantity(10_000), Ok(10_000));
        assert!(line_quantity(10_001).is_err());
        assert_eq!(line_total(3, 45_000), Some(135_000));
        assert_eq!(line_total(i64::MAX, 2), None);
    }
}
