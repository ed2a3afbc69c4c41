//! An insight's life: `open` when raised, `acknowledged` when a person
//! has seen it, `resolved` when a person settles it or its condition
//! clears. A resolved insight stays resolved (an approval has one
//! insight: once resolved, a later rise of its risk is shown on the
//! approval, not raised again).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum InsightStatus {
    Open,
    Acknowledged,
    Resolved,
}

impl InsightStatus {
    pub const NAMES: [&'static str; 3] = ["open", "acknowledged", "resolved"];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Acknowledged => "acknowledged",
            Self::Resolved => "resolved",
        }
    }

    /// A status as clients write it, in any case.
    pub fn parse(text: &str) -> Result<Self, String> {
        match text.to_ascii_lowercase().as_str() {
            "open" => Ok(Self::Open),
            "acknowledged" => Ok(Self::Acknowledged),
            "resolved" => Ok(Self::Resolved),
            _ => Err(format!("must be one of {}", Self::NAMES.join(", "))),
        }
    }

    /// The status after a move to `to`, or why it may not move (409).
    pub fn transition(self, to: Self) -> Result<Self, String> {
        match (self, to) {
            (Self::Open, Self::Acknowledged | Self::Resolved)
            | (Self::Acknowledged, Self::Resolved) => Ok(to),
            (Self::Resolved, _) => Err("the insight is resolved".into()),
            (from, to) => Err(format!(
                "an {} insight cannot become {}",
                from.as_str(),
                to.as_str()
            )),
        }
    }

    pub fn is_resolved(self) -> bool {
        self == Self::Resolved
    }
}

#[cfg(test)]
mod tests {
    use super::InsightStatus::{self, *};

    #[test]
    fn every_edge() {
        let all = [Open, Acknowledged, Resolved];
        let legal = [
            (Open, Acknowledged),
            (Open, Resolved),
            (Acknowledged, Resolved),
        ];
        for from in all {
            for to in all {
                let moved = from.transition(to);
                assert_eq!(
                    moved.is_ok(),
                    legal.contains(&(from, to)),
                    "{from:?} → {to:?}"
                );
                if let Ok(after) = moved {
                    assert_eq!(after, to);
                }
            }
        }
    }

    #[test]
    fn statuses_parse_in_any_case_and_name_the_choices() {
        assert_eq!(InsightStatus::parse("RESOLVED"), Ok(Resolved));
        assert_eq!(InsightStatus::parse("Open"), Ok(Open));
        let refused = InsightStatus::parse("closed").unwrap_err();
        assert!(refused.contains("acknowledged"), "{refused}");
    }
}
