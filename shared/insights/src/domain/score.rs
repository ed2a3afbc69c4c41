//! The risk of an approval request: seven factors, each a feature of the
//! request measured against what the platform saw before it, turned into a
//! strength in 0..=1 and weighted. Every factor is reported, with its
//! measured value and a sentence that gives the figures, so that a person
//! can check the score rather than trust it.
//!
//! Invariant: the score is the sum of the factors' contributions as they
//! are reported (rounded to 3 decimals), so the factors explain the score
//! exactly; it is within 0..=1 whatever the context, because every strength
//! is clamped (a figure that cannot be measured counts as 0) and the
//! weights sum to 1.

use super::figures::{duration, figure, percent, ramp, round_to, s};
use super::history::{AmountHistory, Context, RequesterHistory, StepTime};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// How much attention a request deserves, by its score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RiskLevel {
    Low,
    Medium,
    High,
    Critical,
}

impl RiskLevel {
    const ALL: [Self; 4] = [Self::Low, Self::Medium, Self::High, Self::Critical];

    /// LOW < 0.25 <= MEDIUM < 0.5 <= HIGH < 0.8 <= CRITICAL (NaN is LOW).
    pub fn of(score: f64) -> Self {
        [
            (0.8, Self::Critical),
            (0.5, Self::High),
            (0.25, Self::Medium),
        ]
        .into_iter()
        .find(|&(threshold, _)| score >= threshold)
        .map_or(Self::Low, |(_, level)| level)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Low => "LOW",
            Self::Medium => "MEDIUM",
            Self::High => "HIGH",
            Self::Critical => "CRITICAL",
        }
    }

    /// A level by name, in any case.
    pub fn parse(text: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|level| level.as_str().eq_ignore_ascii_case(text.trim()))
            .ok_or_else(|| "must be one of LOW, MEDIUM, HIGH, CRITICAL".to_owned())
    }
}

/// One feature of a request and what it added to the score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Factor {
    /// One of the seven factor names, e.g. `amount`.
    pub name: String,
    /// The feature's measured value: a number, the array of new field
    /// names, or null when it could not be measured.
    pub value: Value,
    pub weight: f64,
    /// `weight × strength`, rounded to 3 decimals.
    pub contribution: f64,
    /// One sentence a person understands, with the figures.
    pub explanation: String,
}

/// A request's score, its level and every factor behind it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Risk {
    pub score: f64,
    pub level: RiskLevel,
    /// All seven factors, heaviest weight first.
    pub factors: Vec<Factor>,
}

impl Risk {
    /// The factors that contributed (contribution > 0), largest first, at
    /// most `n`; equal contributions keep the factors' order.
    pub fn top_factors(&self, n: usize) -> Vec<&Factor> {
        let mut contributing: Vec<&Factor> = self
            .factors
            .iter()
            .filter(|factor| factor.contribution > 0.0)
            .collect();
        // Stable: ties stay in factor order, which is by weight.
        contributing.sort_by(|a, b| b.contribution.total_cmp(&a.contribution));
        contributing.truncate(n);
        contributing
    }
}

/// Measures one factor of a request in its context.
type Measurer = fn(&Context) -> Measure;

/// The factors, in the order they are reported, with their weights (which
/// sum to 1). An unusual amount is the strongest sign of a request that
/// deserves a second look and alone makes it HIGH; a new requester comes
/// next; new payload fields, a requester's past rejections and bursts of
/// requests add to those rather than raise an alarm alone; a step's time
/// says more about the approver than about the request.
const FACTORS: [(&str, f64, Measurer); 7] = [
    ("amount", 0.50, |c| amount(c.amount, &c.amounts)),
    ("new_requester", 0.25, |c| new_requester(&c.requester)),
    ("new_fields", 0.10, |c| new_fields(&c.new_fields)),
    ("rejection_rate", 0.07, |c| rejection_rate(&c.requester)),
    ("request_burst", 0.04, |c| request_burst(&c.requester)),
    ("slow_step", 0.02, |c| slow_step(c.step_time)),
    ("fast_decision", 0.02, |c| fast_decision(c.step_time)),
];

/// Decided requests needed before a requester's rejection rate counts.
const MIN_DECIDED: u64 = 3;
/// Earlier times of a step needed before its usual time counts.
const MIN_STEP_SAMPLES: u64 = 5;
/// A decision that took longer than this was no rubber stamp, however
/// long the step usually takes.
const HASTY_SECONDS: f64 = 120.0;
/// New field names an explanation lists; the value holds them all.
const FIELDS_NAMED: usize = 5;

/// The risk of a request in its context. `score` is the sum of the factors'
/// (rounded) contributions, so the factors explain the score exactly;
/// always within 0..=1.
pub fn score(context: &Context) -> Risk {
    let factors: Vec<Factor> = FACTORS
        .iter()
        .map(|&(name, weight, measure)| {
            let measured = measure(context);
            Factor {
                name: name.to_owned(),
                value: measured.value,
                weight,
                contribution: round_to(weight * measured.strength, 3),
                explanation: measured.explanation,
            }
        })
        .collect();
    let sum: f64 = factors.iter().map(|factor| factor.contribution).sum();
    let score = round_to(sum, 3).clamp(0.0, 1.0);
    Risk {
        score,
        level: RiskLevel::of(score),
        factors,
    }
}

/// A factor measured: its strength in 0..=1, its value, its sentence.
struct Measure {
    strength: f64,
    value: Value,
    explanation: String,
}

impl Measure {
    fn new(strength: f64, value: impl Into<Value>, explanation: String) -> Self {
        Self {
            strength,
            value: value.into(),
            explanation,
        }
    }

    /// A factor that adds nothing because it could not be measured.
    fn unmeasured(explanation: String) -> Self {
        Self::new(0.0, Value::Null, explanation)
    }
}

fn amount(amount: Option<f64>, history: &AmountHistory) -> Measure {
    let amount = match amount {
        None => return Measure::unmeasured("No amount was given.".to_owned()),
        Some(amount) if amount.is_finite() && amount >= 0.0 => amount,
        Some(_) => return Measure::unmeasured("The amount is not a number to compare.".to_owned()),
    };
    let earlier = history.total();
    let (Some(percentile), Some(z)) = (history.percentile(amount), history.robust_z(amount)) else {
        let carried = match earlier {
            0 => "No earlier request".to_owned(),
            n => format!("Only {n} earlier request{}", s(n)),
        };
        return Measure::unmeasured(format!(
            "{carried} of this workflow carried an amount, too few to compare."
        ));
    };
    // Either sign suffices: the percentile catches an amount above nearly
    // all others, the z-score one far above them when a few were large.
    // Being above nearly every earlier amount counts only when the amount
    // is also well away from the usual (a z-score from 1): with a short
    // history, the largest so far is often just the next one. Far away
    // (a z-score from 2) counts on its own.
    let strength = (ramp(percentile, 0.9, 0.99) * ramp(z, 1.0, 2.0)).max(ramp(z, 2.0, 4.0));
    Measure::new(
        strength,
        round_to(percentile, 3),
        format!(
            "{} is above {}% of the {earlier} earlier amounts of this workflow \
             (robust z-score {}).",
            figure(amount, 2),
            percent(percentile),
            figure(z, 1),
        ),
    )
}

fn new_requester(requester: &RequesterHistory) -> Measure {
    let filed = requester.filed;
    let explanation = match filed {
        0 => "This is the requester's first request.".to_owned(),
        1..=2 => format!(
            "The requester filed only {filed} request{} before this one.",
            s(filed)
        ),
        _ => format!("The requester filed {filed} requests before this one."),
    };
    // First request, second or third, later.
    let strength = [1.0, 0.5, 0.5, 0.0][filed.min(3) as usize];
    Measure::new(strength, filed, explanation)
}

fn new_fields(fields: &[String]) -> Measure {
    // By count: none, one, two, three or more.
    let strength = [0.0, 0.5, 0.75, 1.0][fields.len().min(3)];
    let named = fields[..fields.len().min(FIELDS_NAMED)].join(", ");
    let more = match fields.len().saturating_sub(FIELDS_NAMED) {
        0 => String::new(),
        n => format!(" and {n} more"),
    };
    let explanation = match fields.len() {
        0 => "The payload has no field this workflow has not seen before.".to_owned(),
        1 => format!("The payload has a field this workflow never saw before: {named}."),
        n => format!("The payload has {n} fields this workflow never saw before: {named}{more}."),
    };
    Measure::new(strength, fields.to_vec(), explanation)
}

fn rejection_rate(requester: &RequesterHistory) -> Measure {
    let decided = requester.decided;
    if decided < MIN_DECIDED {
        return Measure::unmeasured(format!(
            "The requester had {decided} decided request{}, fewer than {MIN_DECIDED}, \
             too few for a rejection rate.",
            s(decided),
        ));
    }
    // More rejections than decisions would be a counting error upstream;
    // it must not push the rate above 1.
    let rejected = requester.rejected.min(decided);
    let rate = rejected as f64 / decided as f64;
    Measure::new(
        ramp(rate, 0.2, 0.8),
        round_to(rate, 3),
        format!(
            "The requester had {rejected} of {decided} decided requests rejected ({}%).",
            percent(rate)
        ),
    )
}

fn request_burst(requester: &RequesterHistory) -> Measure {
    let recent = requester.filed_last_day;
    let explanation = format!(
        "The requester filed {recent} other request{} in the last day.",
        s(recent)
    );
    Measure::new(ramp(recent as f64, 2.0, 10.0), recent, explanation)
}

fn slow_step(step: Option<StepTime>) -> Measure {
    match step_ratio(step) {
        Ok((ratio, step, usual)) => {
            // A ratio under 1 would round to a meaningless "0 times".
            let against = match ratio {
                r if r >= 1.0 => format!("{} times its usual", figure(r, 2)),
                _ => "less than its usual".to_owned(),
            };
            let explanation = format!(
                "The latest step took {}, {against} {} (over {} earlier steps).",
                duration(step.seconds),
                duration(usual),
                step.samples
            );
            Measure::new(ramp(ratio, 2.0, 5.0), round_to(ratio, 2), explanation)
        }
        Err(reason) => Measure::unmeasured(reason),
    }
}

fn fast_decision(step: Option<StepTime>) -> Measure {
    match step_ratio(step) {
        Ok((ratio, step, usual)) if step.seconds < HASTY_SECONDS => Measure::new(
            ramp(ratio, 0.1, 0.0),
            // 3 decimals: the ratios that count are below 0.1.
            round_to(ratio, 3),
            format!(
                "The latest step was decided in {} against a usual {}.",
                duration(step.seconds),
                duration(usual)
            ),
        ),
        Ok((_, step, _)) => Measure::unmeasured(format!(
            "The latest step took {}, too long to be a hasty decision.",
            duration(step.seconds)
        )),
        Err(reason) => Measure::unmeasured(reason),
    }
}

/// The latest step's time over its usual time, with the step and its
/// usual seconds; or why they cannot be compared.
fn step_ratio(step: Option<StepTime>) -> Result<(f64, StepTime, f64), String> {
    let Some(step) = step else {
        return Err("No step of this request has been decided yet.".to_owned());
    };
    if step.samples < MIN_STEP_SAMPLES {
        return Err(format!(
            "This step was decided {} time{} before, fewer than {MIN_STEP_SAMPLES}, \
             too few for a usual time.",
            step.samples,
            s(step.samples),
        ));
    }
    let usual = match step.usual_seconds {
        Some(usual) if usual.is_finite() && usual > 0.0 => usual,
        _ => return Err("This step has no usual time to compare with.".to_owned()),
    };
    // Also refuses a NaN, infinite or negative time, and one so far above
    // a tiny usual time that the ratio overflows.
    let ratio = step.seconds / usual;
    if !(ratio.is_finite() && ratio >= 0.0) {
        return Err("The latest step's time could not be compared with its usual time.".to_owned());
    }
    Ok((ratio, step, usual))
}

#[cfg(test)]
#[path = "score_tests.rs"]
mod tests;
