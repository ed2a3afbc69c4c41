//! The two shapes most domain types take, written once: a closed set of
//! names ([`string_enum!`]: statuses, roles, verdicts, outcomes) and a
//! bounded piece of text ([`text_newtype!`]: titles, names, comments).
//!
//! Invariant: a `string_enum!`'s `as_str` and `parse` are each other's
//! inverse over `ALL`, and `Display` writes `as_str`; a `text_newtype!`
//! holds only text its rule accepted (`parse` is the one way in; serde
//! reads stored values back as they were written).

/// An enum whose variants each stand for one fixed name, with `ALL` (in
/// declaration order), `as_str`, `parse` (naming the accepted names when
/// it refuses) and `Display`. The enum's own attributes (derives, serde
/// renames) are kept as written.
///
/// ```
/// opsflow_platform::string_enum! {
///     #[derive(Debug, Clone, Copy, PartialEq, Eq)]
///     pub enum Light { Red = "red", Green = "green" }
/// }
/// assert_eq!(Light::parse("green"), Ok(Light::Green));
/// assert_eq!(Light::Red.to_string(), "red");
/// assert_eq!(Light::parse("blue").unwrap_err(), "must be one of red, green");
/// ```
///
/// A `parse_error = "…";` line before the enum replaces the default
/// refusal ("must be one of …").
#[macro_export]
macro_rules! string_enum {
    (
        parse_error = $error:expr;
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $( $(#[$variant_meta:meta])* $variant:ident = $text:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        $vis enum $name {
            $( $(#[$variant_meta])* $variant ),+
        }

        impl $name {
            pub const ALL: [Self; <[&str]>::len(&[$($text),+])] = [$(Self::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $( Self::$variant => $text ),+
                }
            }

            pub fn parse(input: &str) -> Result<Self, String> {
                Self::ALL
                    .into_iter()
                    .find(|value| value.as_str() == input)
                    .ok_or_else(|| $error)
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident { $($body:tt)+ }
    ) => {
        $crate::string_enum! {
            parse_error = format!(
                "must be one of {}",
                Self::ALL.map(Self::as_str).join(", ")
            );
            $(#[$meta])*
            $vis enum $name { $($body)+ }
        }
    };
}

/// A newtype over text that one rule admits, at most `MAX_CHARS`
/// characters: `single_line` (a name, a title) or `free_text` (a
/// description, a comment), both of [`crate::domain`]. It has `MAX_CHARS`,
/// `parse` and `as_str`; derives and serde attributes are the caller's.
///
/// ```
/// opsflow_platform::text_newtype! {
///     #[derive(Debug, PartialEq)]
///     pub struct Label(opsflow_platform::domain::single_line, 5);
/// }
/// assert_eq!(Label::parse(" tag ").unwrap().as_str(), "tag");
/// assert!(Label::parse("longer").is_err());
/// ```
#[macro_export]
macro_rules! text_newtype {
    (
        $(#[$meta:meta])*
        $vis:vis struct $name:ident($rule:path, $max:expr);
    ) => {
        $(#[$meta])*
        $vis struct $name(String);

        impl $name {
            pub const MAX_CHARS: usize = $max;

            pub fn parse(input: &str) -> Result<Self, String> {
                $rule(input, Self::MAX_CHARS).map(Self)
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
    };
}

#[cfg(test)]
mod tests {
    crate::string_enum! {
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        enum Phase {
            Early = "EARLY",
            /// Documented variants keep their docs.
            Late = "LATE",
        }
    }

    crate::string_enum! {
        parse_error = "must be early or late".to_owned();
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        enum Worded {
            Early = "early",
            Late = "late",
        }
    }

    crate::text_newtype! {
        #[derive(Debug, PartialEq)]
        struct Note(crate::domain::free_text, 4);
    }

    #[test]
    fn names_and_values_round_trip_in_declaration_order() {
        assert_eq!(Phase::ALL, [Phase::Early, Phase::Late]);
        for phase in Phase::ALL {
            assert_eq!(Phase::parse(phase.as_str()), Ok(phase), "{phase}");
            assert_eq!(phase.to_string(), phase.as_str());
        }
    }

    #[test]
    fn a_refusal_names_what_is_accepted() {
        let cases = [
            (
                "default",
                Phase::parse("early").unwrap_err(),
                "must be one of EARLY, LATE",
            ),
            (
                "worded",
                Worded::parse("EARLY").unwrap_err(),
                "must be early or late",
            ),
        ];
        for (case, refusal, expected) in cases {
            assert_eq!(refusal, expected, "{case}");
        }
    }

    #[test]
    fn text_newtypes_keep_what_their_rule_admits() {
        assert_eq!(
            Note::parse("  ok  ").map(|n| n.as_str().to_owned()),
            Ok("ok".into())
        );
        assert_eq!(
            Note::parse("").map(|n| n.as_str().to_owned()),
            Ok(String::new())
        );
        assert_eq!(Note::MAX_CHARS, 4);
        assert_eq!(
            Note::parse("longer"),
            Err("must be at most 4 characters".to_owned())
        );
    }
}
