//! What clients see of a SKU, which is also what its events carry as
//! `data`.

use crate::store::SkuRecord;
use serde::Serialize;
use serde_json::Value;
use time::OffsetDateTime;

/// A SKU as the API shows it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SkuView {
    /// 2–32 of `A–Z`, `0–9`, `-` (upper case).
    #[cfg_attr(
        feature = "openapi",
        schema(pattern = "^[A-Z0-9][A-Z0-9-]{1,31}$", example = "DESK-120")
    )]
    pub sku: String,
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 200))]
    pub name: String,
    /// Units in stock (never below 0).
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 1_000_000_000))]
    pub quantity: i64,
    /// Price of one unit, in minor units (cents).
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 10_000_000_000_i64))]
    pub unit_price: i64,
    /// Below this quantity the SKU is low on stock.
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 1_000_000_000))]
    pub low_stock_threshold: i64,
    /// `quantity < low_stock_threshold`.
    pub low_stock: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    pub version: u64,
}

pub fn sku_view(record: &SkuRecord) -> SkuView {
    SkuView {
        sku: record.sku.as_str().to_owned(),
        name: record.name.as_str().to_owned(),
        quantity: record.quantity,
        unit_price: record.unit_price,
        low_stock_threshold: record.low_stock_threshold,
        low_stock: record.stock().is_low(),
        created_at: record.created_at,
        updated_at: record.updated_at,
        version: record.version,
    }
}

/// [`sku_view`] as an event's `data`.
pub fn sku_data(record: &SkuRecord) -> Value {
    serde_json::to_value(sku_view(record)).unwrap_or(Value::Null)
}
