//! The JSON lines writer: one object per line, each carrying `schema`
//! (bumped on incompatible changes) and `type`.

use serde::Serialize;
use std::io::{self, Write};

/// Version of the JSON output's shape.
pub const JSON_SCHEMA: u32 = 1;

#[derive(Serialize)]
struct Envelope<'a, T: Serialize> {
    schema: u32,
    #[serde(rename = "type")]
    kind: &'a str,
    #[serde(flatten)]
    body: &'a T,
}

/// Writes `body` as one JSON line of type `kind`.
pub fn json_line<T: Serialize>(out: &mut impl Write, kind: &str, body: &T) -> io::Result<()> {
    serde_json::to_writer(&mut *out, &Envelope { schema: JSON_SCHEMA, kind, body })?;
    writeln!(out)
}
