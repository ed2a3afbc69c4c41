//! Report bodies: CSV (RFC 4180: a field with a comma, a quote or a line
//! break is quoted, quotes doubled; a text that a spreadsheet would read
//! as a formula — starting with `=`, `+`, `-`, `@`, a tab or a carriage
//! return — is prefixed with `'`; numbers are written as they are) and
//! JSON (an array of objects).

use serde_json::{Map, Value};

/// One CSV field holding `text`, defused if a spreadsheet would run it.
pub fn csv_field(text: &str) -> String {
    // Spreadsheets run a cell starting with these as a formula.
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        quoted(&format!("'{text}"))
    } else {
        quoted(text)
    }
}

/// `text` quoted if it needs to be.
fn quoted(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

/// A field of a row.
fn cell(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(text) => csv_field(text),
        other => quoted(&other.to_string()),
    }
}

/// `rows` (objects) as a document with `columns`, in that order.
pub fn render(columns: &[&str], rows: &[Map<String, Value>], csv: bool) -> Vec<u8> {
    if !csv {
        let list: Vec<Value> = rows.iter().cloned().map(Value::Object).collect();
        return serde_json::to_vec(&list).unwrap_or_default();
    }
    let mut out = String::new();
    out.push_str(
        &columns
            .iter()
            .map(|c| csv_field(c))
            .collect::<Vec<_>>()
            .join(","),
    );
    out.push_str("\r\n");
    for row in rows {
        let line: Vec<String> = columns
            .iter()
            .map(|c| cell(row.get(*c).unwrap_or(&Value::Null)))
            .collect();
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    }
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn fields_that_need_it_are_quoted() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("two\nlines"), "\"two\nlines\"");
    }

    #[test]
    fn formulas_are_defused_and_numbers_kept() {
        assert_eq!(csv_field("=SUM(A1)"), "'=SUM(A1)");
        assert_eq!(csv_field("-1"), "'-1");
        assert_eq!(csv_field("\t=1"), "'\t=1");
        assert_eq!(cell(&json!(-5)), "-5");
        assert_eq!(cell(&json!("-5")), "'-5");
    }

    #[test]
    fn rows_render_in_column_order() {
        let row = json!({"b": 2, "a": "x", "c": null})
            .as_object()
            .unwrap()
            .clone();
        let csv =
            String::from_utf8(render(&["a", "b", "c"], std::slice::from_ref(&row), true)).unwrap();
        assert_eq!(csv, "a,b,c\r\nx,2,\r\n");
        let json: Value = serde_json::from_slice(&render(&["a"], &[row], false)).unwrap();
        assert_eq!(json[0]["b"], 2);
    }
}
