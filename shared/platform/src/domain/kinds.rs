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
/// it refuses), `Display`, and serde as that name. It derives `Debug`,
/// `Clone`, `Copy`, `PartialEq`, `Eq` and `Hash`; the enum's own
/// attributes (docs, more derives) are kept as written.
///
/// ```
/// opsflow_platform::string_enum! {
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
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
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

        impl $crate::domain::__serde::Serialize for $name {
            fn serialize<S: $crate::domain::__serde::Serializer>(
                &self,
                serializer: S,
            ) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> $crate::domain::__serde::Deserialize<'de> for $name {
            fn deserialize<D: $crate::domain::__serde::Deserializer<'de>>(
                deserializer: D,
            ) -> Result<Self, D::Error> {
                let text: String = $crate::domain::__serde::Deserialize::deserialize(deserializer)?;
                Self::parse(&text).map_err($crate::domain::__serde::de::Error::custom)
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

/// Newtypes over text that one kernel rule admits, at most `MAX_CHARS`
/// characters: `single_line` (a name, a title: never empty) or
/// `free_text` (a description, a comment: empty by default). Each has
/// `MAX_CHARS`, `parse` and `as_str`, derives `Debug`, `Clone`,
/// `PartialEq` and `Eq`, and is stored as its text (read back as written).
///
/// ```
/// opsflow_platform::text_newtype! {
///     /// A label.
///     pub struct Label(single_line, 5);
///     pub struct Note(free_text, 9);
/// }
/// assert_eq!(Label::parse(" tag ").unwrap().as_str(), "tag");
/// assert!(Label::parse("longer").is_err());
/// assert_eq!(Note::default().as_str(), "");
/// ```
#[macro_export]
macro_rules! text_newtype {
    ($( $(#[$meta:meta])* $vis:vis struct $name:ident($rule:ident, $max:expr); )+) => {
        $(
            $(#[$meta])*
            #[derive(Debug, Clone, PartialEq, Eq)]
            $vis struct $name(String);

            impl $name {
                pub const MAX_CHARS: usize = $max;

                pub fn parse(input: &str) -> Result<Self, String> {
                    $crate::domain::$rule(input, Self::MAX_CHARS).map(Self)
                }

                pub fn as_str(&self) -> &str {
                    &self.0
                }
            }

            impl $crate::domain::__serde::Serialize for $name {
                fn serialize<S: $crate::domain::__serde::Serializer>(
                    &self,
                    serializer: S,
                ) -> Result<S::Ok, S::Error> {
                    serializer.serialize_str(&self.0)
                }
            }

            impl<'de> $crate::domain::__serde::Deserialize<'de> for $name {
                fn deserialize<D: $crate::domain::__serde::Deserializer<'de>>(
                    deserializer: D,
                ) -> Result<Self, D::Error> {
                    $crate::domain::__serde::Deserialize::deserialize(deserializer).map(Self)
                }
            }

            $crate::text_newtype!(@default $rule $name);
        )+
    };
    (@default free_text $name:ident) => {
        impl Default for $name {
            fn default() -> Self {
                Self(String::new())
            }
        }
    };
    (@default single_line $name:ident) => {};
}

#[cfg(test)]
mod tests {
    crate::string_enum! {
        enum Phase {
            Early = "EARLY",
            /// Documented variants keep their docs.
            Late = "LATE",
        }
    }

    crate::string_enum! {
        parse_error = "must be early or late".to_owned();
        enum Worded {
            Early = "early",
            Late = "late",
        }
    }

    crate::text_newtype! {
        struct Note(free_text, 4);
        struct Name(single_line, 4);
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
    fn values_are_stored_as_their_names_and_read_back_only_from_them() {
        assert_eq!(serde_json::to_value(Phase::Late).unwrap(), "LATE");
        let read: Phase = serde_json::from_value(serde_json::json!("EARLY")).unwrap();
        assert_eq!(read, Phase::Early);
        let refused = serde_json::from_value::<Phase>(serde_json::json!("early")).unwrap_err();
        assert!(
            refused.to_string().contains("must be one of EARLY, LATE"),
            "{refused}"
        );
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
        assert_eq!(Note::default().as_str(), "");
        assert_eq!(Name::parse(" "), Err("must not be empty".to_owned()));
        let name = Name::parse(" Ann ").unwrap();
        assert_eq!(name.as_str(), "Ann");
        assert_eq!(serde_json::to_value(&name).unwrap(), "Ann");
        assert_eq!(serde_json::from_value::<Name>("Ann".into()).unwrap(), name);
    }
}
