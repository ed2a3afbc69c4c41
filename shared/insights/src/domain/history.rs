//! What the platform saw before a request, as the scorer reads it: the
//! amounts a workflow's requests carried, what a requester filed and how it
//! was decided, and how long a step took against its usual time.
//!
//! Amounts are kept as counts per logarithmic bucket rather than as a list:
//! the history stays a few dozen numbers whatever the number of requests,
//! and a bucket is a ratio, not a width, because an amount is unusual by
//! its order of magnitude (20 against a usual 10 is as odd as 20 000
//! against 10 000). Eight buckets per decade make one bucket a factor of
//! about 1.33.
//!
//! Invariant: every statistic is a pure function of the counts, and answers
//! `None` rather than a figure while fewer than
//! [`AmountHistory::MIN_HISTORY`] amounts are there to compare with.

use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::collections::BTreeMap;

/// Amounts a workflow's requests carried, counted by logarithmic bucket:
/// 8 buckets per decade.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AmountHistory {
    /// Bucket index (see [`AmountHistory::bucket_of`]) → how many amounts
    /// fell in it.
    pub buckets: BTreeMap<u32, u64>,
}

impl AmountHistory {
    pub const BUCKETS_PER_DECADE: u32 = 8;
    /// The fewest amounts before an amount is compared with them: 5.
    pub const MIN_HISTORY: u64 = 5;
    /// The largest amount the buckets tell apart (bucket 96); a larger one
    /// shares its bucket, so that the index stays small and bounded.
    pub const MAX_AMOUNT: f64 = 1e12;
    /// Half a bucket, in decades: the narrowest spread a history is taken
    /// to have. Bucketing already blurs amounts by that much, and without
    /// a floor a history of one repeated amount would give an infinite z.
    const MIN_MAD: f64 = 0.5 / Self::BUCKETS_PER_DECADE as f64;
    /// 1.4826 × MAD estimates the standard deviation of a normal
    /// distribution, so that a robust z reads like an ordinary one.
    const MAD_TO_SIGMA: f64 = 1.4826;

    /// `floor(log10(amount + 1) × 8)`: 0 → 0, 9 → 8, 99 → 16, 1e12 → 96.
    /// NaN and negative amounts fall in bucket 0; amounts above
    /// [`Self::MAX_AMOUNT`] in its bucket.
    pub fn bucket_of(amount: f64) -> u32 {
        let buckets = decades(amount) * f64::from(Self::BUCKETS_PER_DECADE);
        // `decades` is within 0..=12, so the index is within 0..=96.
        buckets.floor() as u32
    }

    /// How many amounts the history holds.
    pub fn total(&self) -> u64 {
        self.buckets
            .values()
            .fold(0, |total, &count| total.saturating_add(count))
    }

    /// Counts one more amount.
    pub fn record(&mut self, amount: f64) {
        let count = self.buckets.entry(Self::bucket_of(amount)).or_insert(0);
        *count = count.saturating_add(1);
    }

    /// Share of earlier amounts below this one, counting those in its own
    /// bucket as half: `(below + same / 2) / total`, in 0..=1; `None` under
    /// [`Self::MIN_HISTORY`]. Non-decreasing in the amount.
    pub fn percentile(&self, amount: f64) -> Option<f64> {
        if self.total() < Self::MIN_HISTORY {
            return None;
        }
        let bucket = Self::bucket_of(amount);
        // Summed in bucket order as floats, so that `below` for the next
        // bucket is exactly `below + same` and the share cannot go down.
        let (mut below, mut same, mut total) = (0.0, 0.0, 0.0);
        for (&index, &count) in &self.buckets {
            let count = count as f64;
            total += count;
            match index.cmp(&bucket) {
                Ordering::Less => below += count,
                Ordering::Equal => same = count,
                Ordering::Greater => {}
            }
        }
        Some(((below + same / 2.0) / total).clamp(0.0, 1.0))
    }

    /// Robust z-score on `log10(amount + 1)`: `(x − median) / (1.4826 ×
    /// MAD)`, the median and the MAD (median absolute deviation) taken from
    /// bucket midpoints weighted by count, the MAD floored at half a bucket
    /// width; `None` under [`Self::MIN_HISTORY`]. Non-decreasing in the
    /// amount.
    pub fn robust_z(&self, amount: f64) -> Option<f64> {
        if self.total() < Self::MIN_HISTORY {
            return None;
        }
        // Median and MAD rather than mean and deviation: one past amount of
        // a million must not make every later large amount look usual.
        let midpoints: Vec<(f64, u64)> = self
            .buckets
            .iter()
            .filter(|(_, &count)| count > 0)
            .map(|(&index, &count)| (Self::midpoint(index), count))
            .collect();
        let median = weighted_median(&midpoints)?;
        let mut deviations: Vec<(f64, u64)> = midpoints
            .iter()
            .map(|&(x, count)| ((x - median).abs(), count))
            .collect();
        deviations.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mad = weighted_median(&deviations)?.max(Self::MIN_MAD);
        Some((decades(amount) - median) / (Self::MAD_TO_SIGMA * mad))
    }

    /// The middle of a bucket, in decades of `amount + 1`.
    fn midpoint(index: u32) -> f64 {
        (f64::from(index) + 0.5) / f64::from(Self::BUCKETS_PER_DECADE)
    }
}

/// `log10(amount + 1)`, in 0..=12: NaN and negative amounts count as 0,
/// amounts above [`AmountHistory::MAX_AMOUNT`] as that amount.
fn decades(amount: f64) -> f64 {
    if amount.is_nan() || amount <= 0.0 {
        return 0.0;
    }
    (amount.min(AmountHistory::MAX_AMOUNT) + 1.0).log10()
}

/// The median of values given with their counts, sorted by value: the
/// middle value of the list they stand for (the mean of the two middle
/// ones when the count is even). `None` when the counts are all zero.
fn weighted_median(sorted: &[(f64, u64)]) -> Option<f64> {
    // u128: a sum of u64 counts cannot overflow it.
    let total: u128 = sorted.iter().map(|&(_, count)| u128::from(count)).sum();
    let lower = nth(sorted, total.checked_sub(1)? / 2)?;
    let upper = nth(sorted, total / 2)?;
    Some((lower + upper) / 2.0)
}

/// The value at 0-based position `position` of the list `sorted` stands for.
fn nth(sorted: &[(f64, u64)], position: u128) -> Option<f64> {
    let mut seen: u128 = 0;
    for &(value, count) in sorted {
        seen += u128::from(count);
        if seen > position {
            return Some(value);
        }
    }
    None
}

/// What the platform saw of a requester before this request.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequesterHistory {
    /// Requests the requester filed before this one.
    pub filed: u64,
    /// Of those, how many were approved or rejected.
    pub decided: u64,
    /// Of those decided, how many were rejected.
    pub rejected: u64,
    /// Requests the requester filed in the day before this one.
    pub filed_last_day: u64,
}

/// How long a step took (or has been open), against the usual time of that
/// step of the workflow.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct StepTime {
    pub seconds: f64,
    /// The usual time of this step of the workflow, if it has one.
    pub usual_seconds: Option<f64>,
    /// How many earlier times the usual time was taken from.
    pub samples: u64,
}

/// Everything the scorer reads about one request.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Context {
    pub amount: Option<f64>,
    /// The workflow's amounts before this request.
    pub amounts: AmountHistory,
    /// The requester before this request.
    pub requester: RequesterHistory,
    /// Payload fields the workflow never saw before (callers leave it
    /// empty while the workflow has fewer than
    /// [`AmountHistory::MIN_HISTORY`] requests, when every field is new).
    pub new_fields: Vec<String>,
    /// The latest decided step's time, if any.
    pub step_time: Option<StepTime>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn history_of(amounts: &[f64]) -> AmountHistory {
        let mut history = AmountHistory::default();
        for &amount in amounts {
            history.record(amount);
        }
        history
    }

    #[test]
    fn buckets_split_each_decade_in_eight() {
        assert_eq!(AmountHistory::bucket_of(0.0), 0);
        assert_eq!(AmountHistory::bucket_of(8.99), 7);
        assert_eq!(AmountHistory::bucket_of(9.0), 8);
        assert_eq!(AmountHistory::bucket_of(99.0), 16);
        assert_eq!(AmountHistory::bucket_of(1e12), 96);
    }

    #[test]
    fn unmeasurable_amounts_fall_in_the_first_bucket_and_huge_ones_in_the_last() {
        assert_eq!(AmountHistory::bucket_of(f64::NAN), 0);
        assert_eq!(AmountHistory::bucket_of(-5.0), 0);
        assert_eq!(AmountHistory::bucket_of(f64::INFINITY), 96);
        assert_eq!(AmountHistory::bucket_of(1e30), 96);
    }

    #[test]
    fn recording_counts_amounts_in_their_buckets() {
        let history = history_of(&[9.0, 9.5, 99.0]);
        assert_eq!(history.total(), 3);
        assert_eq!(history.buckets, BTreeMap::from([(8, 2), (16, 1)]));
    }

    #[test]
    fn fewer_than_five_amounts_give_no_statistic() {
        let history = history_of(&[100.0, 200.0, 300.0, 400.0]);
        assert_eq!(history.percentile(250.0), None);
        assert_eq!(history.robust_z(250.0), None);
        assert!(history_of(&[100.0; 5]).percentile(100.0).is_some());
    }

    #[test]
    fn the_percentile_counts_the_own_bucket_as_half() {
        // Buckets: 9 → 8, 99 → 16 (twice), 999 → 24 (twice).
        let history = history_of(&[9.0, 99.0, 99.0, 999.0, 999.0]);
        assert_eq!(history.percentile(0.0), Some(0.0));
        assert_eq!(history.percentile(99.0), Some(0.4));
        assert_eq!(history.percentile(500.0), Some(0.6));
        assert_eq!(history.percentile(1e6), Some(1.0));
    }

    #[test]
    fn the_robust_z_measures_decades_against_the_spread_of_the_history() {
        // Midpoints (decades): 1.0625, 2.0625 ×3, 3.0625: median 2.0625,
        // absolute deviations 0, 0, 0, 1, 1: MAD floored at 1/16.
        let history = history_of(&[9.0, 99.0, 99.0, 99.0, 999.0]);
        let z = history.robust_z(9999.0).unwrap();
        let expected = (4.0 - 2.0625) / (1.4826 * 0.0625);
        assert!((z - expected).abs() < 1e-6, "{z} against {expected}");

        // Median 2.0625, deviations 1, 1, 0, 1, 1: MAD 1.
        let spread = history_of(&[9.0, 9.0, 99.0, 999.0, 999.0]);
        let z = spread.robust_z(9.0).unwrap();
        let expected = (1.0 - 2.0625) / 1.4826;
        assert!((z - expected).abs() < 1e-6, "{z} against {expected}");
    }

    #[test]
    fn one_repeated_amount_still_gives_a_finite_z() {
        let history = history_of(&[500.0; 12]);
        let z = history.robust_z(50_000.0).unwrap();
        assert!(z.is_finite() && z > 10.0, "{z}");
        assert!(history.robust_z(500.0).unwrap().abs() < 1.0);
    }

    fn any_history() -> impl Strategy<Value = AmountHistory> {
        prop::collection::btree_map(0u32..=96, 0u64..1_000, 0..20)
            .prop_map(|buckets| AmountHistory { buckets })
    }

    proptest! {
        #[test]
        fn the_percentile_is_a_share_that_grows_with_the_amount(
            history in any_history(),
            a in 0.0f64..1e12,
            b in 0.0f64..1e12,
        ) {
            let (low, high) = (a.min(b), a.max(b));
            match (history.percentile(low), history.percentile(high)) {
                (Some(p_low), Some(p_high)) => {
                    prop_assert!((0.0..=1.0).contains(&p_low));
                    prop_assert!(p_low <= p_high);
                }
                (None, None) => prop_assert!(history.total() < AmountHistory::MIN_HISTORY),
                other => prop_assert!(false, "{other:?}"),
            }
        }

        #[test]
        fn the_robust_z_is_finite_and_grows_with_the_amount(
            history in any_history(),
            a in 0.0f64..1e12,
            b in 0.0f64..1e12,
        ) {
            let (low, high) = (a.min(b), a.max(b));
            if let (Some(z_low), Some(z_high)) = (history.robust_z(low), history.robust_z(high)) {
                prop_assert!(z_low.is_finite() && z_high.is_finite());
                prop_assert!(z_low <= z_high);
            }
        }
    }
}
