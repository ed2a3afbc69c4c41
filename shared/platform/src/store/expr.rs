//! [`Expr`]: a DynamoDB expression with its placeholders. Every `#x` and
//! `:x` in the text has its name or value beside it, and joining two
//! expressions keeps both sets.

use aws_sdk_dynamodb::types::AttributeValue;

/// The builder `$builder` (any SDK request or transaction item builder)
/// with every name and value placeholder of the expression `$expr` set.
macro_rules! with_placeholders {
    ($builder:expr, $expr:expr) => {{
        let mut builder = $builder;
        for (name, attribute) in &$expr.names {
            builder = builder.expression_attribute_names(*name, *attribute);
        }
        for (name, value) in &$expr.values {
            builder = builder.expression_attribute_values(*name, value.clone());
        }
        builder
    }};
}
pub(super) use with_placeholders;

/// An expression with its attribute names (`#x`) and values (`:x`).
#[derive(Debug, Clone, Default)]
pub struct Expr {
    pub text: String,
    pub names: Vec<(&'static str, &'static str)>,
    pub values: Vec<(&'static str, AttributeValue)>,
}

impl Expr {
    pub fn new(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            ..Self::default()
        }
    }

    pub fn name(mut self, placeholder: &'static str, attribute: &'static str) -> Self {
        self.names.push((placeholder, attribute));
        self
    }

    pub fn value(mut self, placeholder: &'static str, value: AttributeValue) -> Self {
        self.values.push((placeholder, value));
        self
    }

    /// Both conditions (`self AND other`), with both sets of placeholders.
    pub fn and(mut self, other: Expr) -> Self {
        if self.text.is_empty() {
            return other;
        }
        if !other.text.is_empty() {
            self.text = format!("({}) AND ({})", self.text, other.text);
            self.names.extend(other.names);
            self.values.extend(other.values);
        }
        self
    }
}
