//! The scorer's fixture: a workflow of 60 usual amounts and a regular
//! requester; usual requests must score LOW and unusual ones high, with
//! the figures printed (`cargo test -p opsflow-insights --lib --
//! --nocapture fixture`).

use super::super::*;
use super::{history_of, regular, step};
use std::ops::RangeInclusive;

/// 60 amounts between about 100 and 2000, spread as a log-logistic
/// distribution (close to log-normal) around 450: the quantiles of
/// `log10(amount) = 2.65 + 0.136 × logit(u)`.
fn workflow_amounts() -> AmountHistory {
    history_of((0..60).map(|i| {
        let u = (f64::from(i) + 0.5) / 60.0;
        10f64.powf(2.65 + 0.136 * (u / (1.0 - u)).ln()).round()
    }))
}

/// A request of the fixture: name, amount, requester, new fields, step
/// time; the levels it may score, the factors that must lead, in order.
type Case = (
    &'static str,
    f64,
    RequesterHistory,
    &'static [&'static str],
    Option<StepTime>,
    RangeInclusive<RiskLevel>,
    &'static [&'static str],
);

#[test]
fn fixture_unusual_requests_score_high_and_usual_ones_low() {
    use RiskLevel::{Critical, High, Low, Medium};
    let (regular, first) = (regular(), RequesterHistory::default());
    let rejected_often = RequesterHistory {
        filed: 30,
        decided: 20,
        rejected: 14,
        filed_last_day: 10,
    };
    let hasty = step(5.0, Some(600.0), 10);
    // Rejections and a burst weigh 0.11 at most: they add to other signs,
    // they do not raise an alarm alone.
    #[rustfmt::skip]
    let cases: [Case; 11] = [
        ("usual small amount",                   300.0, regular,        &[],                None,
            Low..=Low,           &[]),
        ("usual typical amount",                 450.0, regular,        &[],                None,
            Low..=Low,           &[]),
        ("usual upper amount",                   600.0, regular,        &[],                None,
            Low..=Low,           &[]),
        ("usual, one new field",                 450.0, regular,        &["cost_center"],   None,
            Low..=Low,           &[]),
        ("usual, hasty decision",                450.0, regular,        &[],                hasty,
            Low..=Low,           &[]),
        ("usual, rejected often, burst",         450.0, rejected_often, &[],                None,
            Low..=Low,           &[]),
        ("usual, first request",                 450.0, first,          &[],                None,
            Medium..=Medium,     &["new_requester"]),
        ("1500, rejected often, burst",         1500.0, rejected_often, &[],                None,
            Medium..=Critical,   &["amount", "rejection_rate"]),
        ("2500, above all, regular",            2500.0, regular,        &[],                None,
            High..=High,         &["amount"]),
        ("50000, first request",               50000.0, first,          &[],                None,
            High..=High,         &["amount", "new_requester"]),
        ("50000, first request, 2 new fields", 50000.0, first,          &["iban", "swift"], None,
            Critical..=Critical, &["amount", "new_requester", "new_fields"]),
    ];
    let amounts = workflow_amounts();
    assert_eq!(amounts.total(), 60);

    let mut failures = Vec::new();
    for (name, amount, requester, new_fields, step_time, expected, leading) in cases {
        let risk = score(&Context {
            amount: Some(amount),
            amounts: amounts.clone(),
            requester,
            new_fields: new_fields.iter().map(|&f| f.to_owned()).collect(),
            step_time,
        });
        let top = risk.top_factors(3);
        let shown: Vec<String> = top
            .iter()
            .map(|f| format!("{} {}", f.name, f.contribution))
            .collect();
        eprintln!(
            "{name:<36} score {:.3}  {:<8}  top: {}",
            risk.score,
            risk.level.as_str(),
            shown.join(", ")
        );
        let names: Vec<&str> = top.iter().map(|f| f.name.as_str()).collect();
        if !expected.contains(&risk.level) || !names.starts_with(leading) {
            failures.push(name);
        }
    }
    assert!(
        failures.is_empty(),
        "unexpected level or leading factors: {failures:?}"
    );
}
