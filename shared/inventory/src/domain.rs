//! Inventory: stock-keeping units (SKUs), each with a name, the units in
//! stock, a unit price and the level below which it is low on stock.
//! Inputs become these types at the edge; past it, code trusts them.
//!
//! Money is integer minor units (cents) everywhere: `unit_price` here,
//! order lines and totals later, so no sum is ever rounded.
//!
//! A change of stock ([`Stock::adjusted`]) never takes the quantity below
//! zero. A SKU is marked low when its stock is below its threshold; the
//! mark going on ([`marks_low`]), and only that, is an
//! `inventory.low_stock` event: once per downward crossing.

opsflow_platform::text_newtype! {
    /// A SKU's name: trimmed, 1–200 characters, one line.
    pub struct SkuName(single_line, 200);
    /// Why stock was adjusted: trimmed, 1–500 characters, one line.
    pub struct Reason(single_line, 500);
}

/// The most units of one SKU: a billion.
pub const MAX_QUANTITY: i64 = 1_000_000_000;
/// The highest unit price: ten billion minor units.
pub const MAX_UNIT_PRICE: i64 = 10_000_000_000;
/// The low-stock threshold when none is given.
pub const DEFAULT_LOW_STOCK_THRESHOLD: i64 = 20;

/// A stock-keeping unit's code: 2–32 characters of `A–Z`, `0–9` and `-`,
/// starting with a letter or digit; given in any case, kept in upper case
/// (`ab-12` and `AB-12` are one SKU). `LOW-STOCK` is not one: its path is
/// the low-stock list's.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(try_from = "String", into = "String")]
pub struct Sku(String);

impl Sku {
    pub fn parse(input: &str) -> Result<Self, String> {
        let sku = input.trim().to_ascii_uppercase();
        let valid = (2..=32).contains(&sku.len())
            && sku.starts_with(|c: char| c.is_ascii_alphanumeric())
            && sku
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-');
        if sku == "LOW-STOCK" {
            Err("is reserved (the low-stock list's path)".into())
        } else if valid {
            Ok(Self(sku))
        } else {
            Err("must be 2–32 letters, digits or dashes, starting with a letter or digit".into())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Sku {
    type Error = String;

    fn try_from(value: String) -> Result<Self, String> {
        Self::parse(&value)
    }
}

impl From<Sku> for String {
    fn from(sku: Sku) -> Self {
        sku.0
    }
}

impl std::fmt::Display for Sku {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A whole number within `0..=max`.
pub fn bounded(value: i64, max: i64) -> Result<i64, String> {
    if (0..=max).contains(&value) {
        Ok(value)
    } else {
        Err(format!("must be an integer from 0 to {max}"))
    }
}

/// A change of stock: a non-zero number of units, in or out.
pub fn delta(value: i64) -> Result<i64, String> {
    if value != 0 && value.abs() <= MAX_QUANTITY {
        Ok(value)
    } else {
        Err(format!(
            "must be a non-zero integer from -{MAX_QUANTITY} to {MAX_QUANTITY}"
        ))
    }
}

/// A SKU's stock and its low-stock threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stock {
    pub quantity: i64,
    pub threshold: i64,
}

/// Why a change of stock cannot be made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shortfall {
    /// It would take the quantity below zero (by this many units).
    Below(i64),
    /// It would take it above [`MAX_QUANTITY`].
    Above,
}

impl Stock {
    /// Whether the SKU is low on stock: below its threshold.
    pub fn is_low(self) -> bool {
        self.quantity < self.threshold
    }

    /// The stock after `delta` units.
    pub fn adjusted(self, delta: i64) -> Result<Stock, Shortfall> {
        let quantity = self.quantity + delta;
        if quantity < 0 {
            return Err(Shortfall::Below(-quantity));
        }
        if quantity > MAX_QUANTITY {
            return Err(Shortfall::Above);
        }
        Ok(Stock { quantity, ..self })
    }
}

/// Whether a SKU marked low (`marked`) or not before, with `stock` now,
/// goes onto the low-stock list: the one moment `inventory.low_stock` is
/// emitted.
pub fn marks_low(marked: bool, stock: Stock) -> bool {
    stock.is_low() && !marked
}

/// Whether a SKU marked low (`marked`) with `stock` leaves the low-stock
/// list: its stock is back at or above its threshold.
pub fn clears_low(marked: bool, stock: Stock) -> bool {
    marked && !stock.is_low()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn skus_are_kept_in_upper_case_within_their_alphabet() {
        assert_eq!(Sku::parse(" ab-12 ").unwrap().as_str(), "AB-12");
        for bad in ["", "A", "-AB", "AB_12", "AB 12", "É1", &"A".repeat(33)] {
            assert!(Sku::parse(bad).is_err(), "{bad:?}");
        }
        assert!(Sku::parse(&"A".repeat(32)).is_ok());
        assert!(Sku::parse("low-stock").is_err());
    }

    #[test]
    fn stock_never_goes_below_zero_and_says_how_far_it_would() {
        let stock = Stock {
            quantity: 5,
            threshold: 2,
        };
        assert_eq!(stock.adjusted(-7), Err(Shortfall::Below(2)));
        assert_eq!(stock.adjusted(-5).unwrap().quantity, 0);
        assert_eq!(stock.adjusted(MAX_QUANTITY), Err(Shortfall::Above));
    }

    #[test]
    fn only_going_below_the_threshold_unmarked_goes_onto_the_list() {
        let at = |quantity| Stock {
            quantity,
            threshold: 20,
        };
        assert!(!marks_low(false, at(20)), "20 is not below 20");
        assert!(marks_low(false, at(19)));
        assert!(!marks_low(true, at(19)), "already on the list");
        assert!(!marks_low(false, at(25)));
        let raised = Stock {
            quantity: 25,
            threshold: 30,
        };
        assert!(marks_low(false, raised), "a higher threshold counts too");
    }

    #[test]
    fn quantities_prices_and_deltas_are_bounded_whole_numbers() {
        assert!(bounded(-1, MAX_QUANTITY).is_err());
        assert!(bounded(MAX_QUANTITY + 1, MAX_QUANTITY).is_err());
        assert_eq!(bounded(0, MAX_UNIT_PRICE), Ok(0));
        assert!(delta(0).is_err());
        assert_eq!(delta(-3), Ok(-3));
    }
}
