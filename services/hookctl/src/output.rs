//! How answers are printed: a table for people, or JSON for scripts (`--output json`).

use serde_json::Value;
use std::io::Write;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Format {
    Table,
    Json,
}

/// A field by dotted path (`source.name`).
pub fn field<'a>(model: &'a Value, path: &str) -> &'a Value {
    path.split('.').fold(model, |v, k| &v[k])
}

/// A value as one table cell: text bare, `-` for null or absent, arrays comma-joined.
pub fn cell(value: &Value) -> String {
    match value {
        Value::Null => "-".into(),
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(cell).collect::<Vec<_>>().join(","),
        other => other.to_string(),
    }
}

/// Rows of `columns` under a header, each column as wide as its widest cell.
pub fn table(out: &mut dyn Write, columns: &[&str], models: &[Value]) -> std::io::Result<()> {
    let rows: Vec<Vec<String>> = models
        .iter()
        .map(|m| columns.iter().map(|c| cell(field(m, c))).collect())
        .collect();
    let header: Vec<String> = columns.iter().map(|c| c.to_uppercase()).collect();
    let widths: Vec<usize> = (0..columns.len())
        .map(|i| {
            rows.iter()
                .map(|r| r[i].chars().count())
                .chain([header[i].len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    for row in std::iter::once(&header).chain(rows.iter()) {
        writeln!(out, "{}", line(row, &widths))?;
    }
    Ok(())
}

/// One row padded to `widths` (the last column unpadded).
pub fn line(row: &[String], widths: &[usize]) -> String {
    let mut text = String::new();
    for (i, value) in row.iter().enumerate() {
        if i + 1 == row.len() {
            text.push_str(value);
        } else {
            let pad = widths[i].saturating_sub(value.chars().count());
            text.push_str(value);
            text.push_str(&" ".repeat(pad + 2));
        }
    }
    text.trim_end().to_owned()
}

/// One object: a `FIELD  VALUE` line per field.
pub fn object(out: &mut dyn Write, model: &Value) -> std::io::Result<()> {
    let Some(fields) = model.as_object() else {
        return writeln!(out, "{}", cell(model));
    };
    let width = fields.keys().map(|k| k.len()).max().unwrap_or(0);
    for (k, v) in fields {
        writeln!(out, "{k:width$}  {}", cell(v))?;
    }
    Ok(())
}

/// One answer, as the chosen format.
pub fn show(
    out: &mut dyn Write,
    format: Format,
    value: &Value,
) -> Result<(), crate::error::CliError> {
    match format {
        Format::Json => json(out, value)?,
        Format::Table => object(out, value)?,
    }
    Ok(())
}

pub fn json(out: &mut dyn Write, value: &Value) -> std::io::Result<()> {
    writeln!(
        out,
        "{}",
        serde_json::to_string_pretty(value).unwrap_or_default()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_table_aligns_its_columns_and_shows_nested_fields() {
        let models = [
            json!({"id": "a", "source": {"name": "shop"}, "tags": ["x", "y"]}),
            json!({"id": "bbbb", "source": null}),
        ];
        let mut out = Vec::new();
        table(&mut out, &["id", "source.name", "tags"], &models).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "ID    SOURCE.NAME  TAGS\na     shop         x,y\nbbbb  -            -\n"
        );
    }
}
