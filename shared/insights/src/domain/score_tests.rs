use super::*;
use proptest::prelude::*;

pub(super) fn history_of(amounts: impl IntoIterator<Item = f64>) -> AmountHistory {
    let mut history = AmountHistory::default();
    for amount in amounts {
        history.record(amount);
    }
    history
}

pub(super) fn regular() -> RequesterHistory {
    RequesterHistory {
        filed: 20,
        decided: 18,
        rejected: 1,
        filed_last_day: 1,
    }
}

pub(super) fn step(seconds: f64, usual_seconds: Option<f64>, samples: u64) -> Option<StepTime> {
    Some(StepTime {
        seconds,
        usual_seconds,
        samples,
    })
}

#[test]
fn levels_change_at_each_threshold() {
    assert_eq!(RiskLevel::of(0.0), RiskLevel::Low);
    assert_eq!(RiskLevel::of(0.249), RiskLevel::Low);
    assert_eq!(RiskLevel::of(0.25), RiskLevel::Medium);
    assert_eq!(RiskLevel::of(0.499), RiskLevel::Medium);
    assert_eq!(RiskLevel::of(0.5), RiskLevel::High);
    assert_eq!(RiskLevel::of(0.799), RiskLevel::High);
    assert_eq!(RiskLevel::of(0.8), RiskLevel::Critical);
    assert_eq!(RiskLevel::of(1.0), RiskLevel::Critical);
    assert_eq!(RiskLevel::of(f64::NAN), RiskLevel::Low);
}

#[test]
fn levels_parse_and_serialise_by_name_in_any_case_and_name_the_allowed_values() {
    assert_eq!(RiskLevel::parse("high"), Ok(RiskLevel::High));
    assert_eq!(RiskLevel::parse(" Critical "), Ok(RiskLevel::Critical));
    for level in RiskLevel::ALL {
        assert_eq!(RiskLevel::parse(level.as_str()), Ok(level));
    }
    let error = RiskLevel::parse("severe").unwrap_err();
    assert!(error.contains("LOW, MEDIUM, HIGH, CRITICAL"), "{error}");
    let json = serde_json::to_value(RiskLevel::Critical).unwrap();
    assert_eq!(json, "CRITICAL");
    assert_eq!(serde_json::from_value(json).ok(), Some(RiskLevel::Critical));
}

#[test]
fn the_weights_sum_to_one_and_the_factors_come_in_order() {
    let risk = score(&Context::default());
    let names: Vec<&str> = risk.factors.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        names.join(" "),
        "amount new_requester new_fields rejection_rate request_burst slow_step fast_decision"
    );
    let weights: f64 = risk.factors.iter().map(|f| f.weight).sum();
    assert!((weights - 1.0).abs() < 1e-12);
}

#[test]
fn an_amount_without_enough_history_adds_nothing_and_says_why() {
    let none = amount(None, &AmountHistory::default());
    assert_eq!((none.strength, none.value), (0.0, Value::Null));
    assert_eq!(none.explanation, "No amount was given.");

    let few = amount(Some(100.0), &history_of([100.0, 200.0, 300.0, 400.0]));
    assert_eq!((few.strength, few.value), (0.0, Value::Null));
    assert_eq!(
        few.explanation,
        "Only 4 earlier requests of this workflow carried an amount, too few to compare."
    );

    let garbage = amount(Some(f64::NAN), &history_of([100.0; 10]));
    assert_eq!((garbage.strength, garbage.value), (0.0, Value::Null));
}

#[test]
fn an_amount_above_every_earlier_one_is_at_full_strength() {
    let history = history_of((1..=40).map(|i| 100.0 + 10.0 * f64::from(i)));
    let far = amount(Some(12_500.0), &history);
    assert_eq!(far.strength, 1.0);
    assert_eq!(far.value, 1.0);
    assert!(
        far.explanation
            .starts_with("12500 is above 100% of the 40 earlier amounts of this workflow"),
        "{}",
        far.explanation
    );
    assert!(amount(Some(12_500.5), &history)
        .explanation
        .starts_with("12500.5 is above"));
}

#[test]
fn an_amount_in_the_middle_of_its_history_is_at_no_strength() {
    let history = history_of([100.0, 150.0, 200.0, 300.0, 450.0, 700.0, 1000.0]);
    let usual = amount(Some(300.0), &history);
    assert_eq!(usual.strength, 0.0);
    assert_eq!(usual.value, 0.5);
}

#[test]
fn a_first_request_is_at_full_strength_and_a_third_at_half() {
    let with = |filed| new_requester(&RequesterHistory { filed, ..regular() });
    assert_eq!(with(0).strength, 1.0);
    assert_eq!(
        with(0).explanation,
        "This is the requester's first request."
    );
    assert_eq!(with(1).strength, 0.5);
    assert_eq!(with(2).strength, 0.5);
    assert_eq!(with(3).strength, 0.0);
    assert_eq!(with(3).value, 3);
}

#[test]
fn new_fields_grow_in_strength_up_to_three() {
    let names = |n: usize| (0..n).map(|i| format!("field_{i}")).collect::<Vec<_>>();
    let strengths: Vec<f64> = (0..=4).map(|n| new_fields(&names(n)).strength).collect();
    assert_eq!(strengths, [0.0, 0.5, 0.75, 1.0, 1.0]);

    let two = new_fields(&["iban".to_owned(), "swift".to_owned()]);
    assert_eq!(two.value, serde_json::json!(["iban", "swift"]));
    assert!(
        two.explanation.ends_with(": iban, swift."),
        "{}",
        two.explanation
    );
    assert!(new_fields(&names(7)).explanation.ends_with("and 2 more."));
}

#[test]
fn a_rejection_rate_counts_from_three_decisions_between_20_and_80_percent() {
    let rate = |decided, rejected| {
        rejection_rate(&RequesterHistory {
            decided,
            rejected,
            ..regular()
        })
    };
    assert_eq!((rate(2, 2).strength, rate(2, 2).value), (0.0, Value::Null));
    assert_eq!(rate(3, 3).strength, 1.0);
    assert_eq!(rate(5, 1).strength, 0.0);
    assert_eq!(rate(5, 4).strength, 1.0);
    assert!((rate(10, 5).strength - 0.5).abs() < 1e-12);
    assert_eq!(rate(3, 1).value, 0.333);
    // More rejections than decisions cannot raise the rate above 1.
    assert_eq!(rate(4, 9).value, 1.0);
}

#[test]
fn a_burst_counts_from_two_requests_and_is_full_at_ten() {
    let burst = |filed_last_day| {
        request_burst(&RequesterHistory {
            filed_last_day,
            ..regular()
        })
        .strength
    };
    assert_eq!(burst(2), 0.0);
    assert_eq!(burst(6), 0.5);
    assert_eq!(burst(10), 1.0);
    assert_eq!(burst(500), 1.0);
}

#[test]
fn a_slow_step_counts_from_twice_its_usual_time_and_is_full_at_five_times() {
    let slow = |seconds| slow_step(step(seconds, Some(600.0), 5));
    assert_eq!(slow(1200.0).strength, 0.0);
    assert_eq!(slow(3000.0).strength, 1.0);
    assert!((slow(2100.0).strength - 0.5).abs() < 1e-12);
    assert_eq!(slow(2100.0).value, 3.5);
    assert_eq!(
        slow(2100.0).explanation,
        "The latest step took 35m, 3.5 times its usual 10m (over 5 earlier steps)."
    );
}

#[test]
fn a_step_time_without_a_usable_usual_time_is_not_measured() {
    for unusable in [
        None,
        step(9000.0, Some(600.0), 4),
        step(9000.0, None, 50),
        step(9000.0, Some(0.0), 50),
        step(9000.0, Some(-1.0), 50),
        step(f64::NAN, Some(600.0), 50),
        step(f64::INFINITY, Some(600.0), 50),
        step(1e300, Some(1e-300), 50),
    ] {
        for measure in [slow_step(unusable), fast_decision(unusable)] {
            assert_eq!((measure.strength, measure.value), (0.0, Value::Null));
        }
    }
}

#[test]
fn a_fast_decision_counts_under_two_minutes_and_a_tenth_of_the_usual_time() {
    let fast = |seconds, usual| fast_decision(step(seconds, Some(usual), 5));
    assert_eq!(fast(0.0, 3600.0).strength, 1.0);
    assert_eq!(fast(60.0, 600.0).strength, 0.0);
    assert!((fast(30.0, 600.0).strength - 0.5).abs() < 1e-12);
    assert_eq!(fast(30.0, 600.0).value, 0.05);
    assert!(fast(119.0, 86_400.0).strength > 0.9);
    assert_eq!(fast(120.0, 86_400.0).strength, 0.0);
    assert_eq!(fast(120.0, 86_400.0).value, Value::Null);
}

#[test]
fn top_factors_are_the_contributing_ones_largest_first() {
    let risk = score(&Context {
        requester: RequesterHistory {
            filed: 1,
            decided: 4,
            rejected: 4,
            filed_last_day: 10,
        },
        new_fields: vec!["iban".into(), "swift".into(), "bic".into()],
        ..Context::default()
    });
    let top: Vec<(&str, f64)> = risk
        .top_factors(10)
        .into_iter()
        .map(|f| (f.name.as_str(), f.contribution))
        .collect();
    assert_eq!(
        top,
        [
            ("new_requester", 0.125),
            ("new_fields", 0.1),
            ("rejection_rate", 0.07),
            ("request_burst", 0.04),
        ]
    );
    assert_eq!(risk.top_factors(2).len(), 2);
    assert!(score(&Context {
        requester: regular(),
        ..Context::default()
    })
    .top_factors(3)
    .is_empty());
}

fn any_amount() -> impl Strategy<Value = f64> {
    // Log-uniform as well as uniform: a uniform draw below 1e12 is almost
    // always above 1e10, where no history is.
    prop_oneof![
        Just(0.0),
        0.0f64..1e12,
        (0.0f64..12.0).prop_map(|decades| 10f64.powf(decades) - 1.0),
    ]
}

fn any_seconds() -> impl Strategy<Value = f64> {
    prop_oneof![
        Just(0.0),
        Just(-1.0),
        Just(f64::NAN),
        Just(f64::INFINITY),
        Just(1e300),
        0.0f64..1e7,
    ]
}

prop_compose! {
    fn any_context()(
        amount in proptest::option::of(any_amount()),
        buckets in prop::collection::btree_map(0u32..=96, 0u64..1_000, 0..20),
        filed in 0u64..50,
        decided in 0u64..50,
        rejected in 0u64..50,
        filed_last_day in 0u64..30,
        new_fields in prop::collection::vec("[a-z_]{1,12}", 0..8),
        step_time in proptest::option::of((
            any_seconds(),
            proptest::option::of(any_seconds()),
            0u64..20,
        )),
    ) -> Context {
        Context {
            amount,
            amounts: AmountHistory { buckets },
            requester: RequesterHistory { filed, decided, rejected, filed_last_day },
            new_fields,
            step_time: step_time.map(|(seconds, usual_seconds, samples)| StepTime {
                seconds,
                usual_seconds,
                samples,
            }),
        }
    }
}

proptest! {
    #[test]
    fn any_context_scores_within_bounds_and_its_factors_add_up(context in any_context()) {
        let risk = score(&context);
        prop_assert!((0.0..=1.0).contains(&risk.score));
        prop_assert_eq!(risk.level, RiskLevel::of(risk.score));
        prop_assert_eq!(risk.factors.len(), 7);
        let sum: f64 = risk.factors.iter().map(|f| f.contribution).sum();
        prop_assert!((sum - risk.score).abs() < 1e-9, "{} against {}", sum, risk.score);
        for factor in &risk.factors {
            prop_assert!(factor.contribution >= 0.0 && factor.contribution <= factor.weight);
            prop_assert!(!factor.explanation.is_empty());
        }
    }

    #[test]
    fn a_larger_amount_never_lowers_the_score(
        context in any_context(),
        a in any_amount(),
        b in any_amount(),
    ) {
        let (low, high) = (a.min(b), a.max(b));
        let at = |amount| score(&Context { amount: Some(amount), ..context.clone() });
        let (risk_low, risk_high) = (at(low), at(high));
        prop_assert!(risk_low.score <= risk_high.score, "{} > {}", risk_low.score, risk_high.score);
        // The amount is the first factor.
        prop_assert!(risk_low.factors[0].contribution <= risk_high.factors[0].contribution);
    }
}

#[path = "score_fixture_tests.rs"]
mod fixture;
