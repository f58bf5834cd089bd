//! Responses, and how they are written in each output mode. The integration JSON is written
//! byte for byte as the C SDK writes it, so that a Rust and a C function that answer the same
//! give the gateway the same bytes.

use crate::{Error, OutputMode};
use std::fmt;

/// A response: status (200 unless set), headers (sent with integration output only) and body.
/// `write!` appends to the body: `write!(res, "{} points", n)?`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Default for Response {
    fn default() -> Response {
        Response::new(200)
    }
}

impl Response {
    pub fn new(status: u16) -> Response {
        Response { status, headers: Vec::new(), body: Vec::new() }
    }

    /// A 200 response with this body and `Content-Type`.
    pub fn text(content_type: &str, body: impl Into<Vec<u8>>) -> Response {
        Response::new(200).header("Content-Type", content_type).body(body)
    }

    /// Add a header (builder style).
    pub fn header(mut self, name: &str, value: &str) -> Response {
        self.set_header(name, value);
        self
    }

    /// Replace the body (builder style).
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Response {
        self.body = body.into();
        self
    }

    pub fn set_status(&mut self, status: u16) {
        self.status = status;
    }

    pub fn set_header(&mut self, name: &str, value: &str) {
        self.headers.push((name.to_string(), value.to_string()));
    }

    /// Append bytes to the body.
    pub fn write(&mut self, data: &[u8]) {
        self.body.extend_from_slice(data);
    }

    pub fn status(&self) -> u16 {
        self.status
    }
    pub fn headers(&self) -> &[(String, String)] {
        &self.headers
    }
    pub fn body_bytes(&self) -> &[u8] {
        &self.body
    }

    /// The response of a failure: the message and a newline, as text (the C SDK's
    /// `sl_fn_error`).
    pub(crate) fn from_error(e: &Error) -> Response {
        let mut body = e.message().as_bytes().to_vec();
        body.push(b'\n');
        Response::new(e.status()).header("Content-Type", "text/plain; charset=utf-8").body(body)
    }

    /// The status the gateway sees: 0 means 200, and anything outside 100..599 is 500.
    pub(crate) fn effective_status(&self) -> u16 {
        match self.status {
            0 => 200,
            100..=599 => self.status,
            _ => 500,
        }
    }

    /// The bytes of the response in output mode `mode`, and its status.
    pub(crate) fn encode(self, mode: OutputMode) -> (u16, Vec<u8>) {
        let status = self.effective_status();
        match mode {
            OutputMode::Raw => (status, self.body),
            OutputMode::Integration => (status, self.integration(status)),
        }
    }

    fn integration(&self, status: u16) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.body.len() + 128);
        out.extend_from_slice(format!("{{\"statusCode\":{},\"headers\":{{", status).as_bytes());
        for (i, (name, value)) in self.headers.iter().enumerate() {
            out.extend_from_slice(if i > 0 { b",\"" } else { b"\"" });
            json_escape(&mut out, name.as_bytes());
            out.extend_from_slice(b"\":\"");
            json_escape(&mut out, value.as_bytes());
            out.push(b'"');
        }
        out.extend_from_slice(b"},\"body\":\"");
        // A body that is not UTF-8 cannot be a JSON string: it goes as base64.
        let binary = std::str::from_utf8(&self.body).is_err();
        if binary {
            base64_encode(&mut out, &self.body);
            out.extend_from_slice(b"\",\"isBase64Encoded\":true}");
        } else {
            json_escape(&mut out, &self.body);
            out.extend_from_slice(b"\",\"isBase64Encoded\":false}");
        }
        out
    }
}

impl fmt::Write for Response {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.body.extend_from_slice(s.as_bytes());
        Ok(())
    }
}

/// The contents of a JSON string for `s` (no quotes): '"', '\\' and control characters
/// escaped, everything else as it is (the C SDK's escaping, so that outputs are identical).
pub(crate) fn json_escape(out: &mut Vec<u8>, s: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for &c in s {
        match c {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x0c => out.extend_from_slice(b"\\f"),
            0..=0x1f => out.extend_from_slice(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[usize::from(c >> 4)],
                HEX[usize::from(c & 15)],
            ]),
            _ => out.push(c),
        }
    }
}

fn base64_encode(out: &mut Vec<u8>, data: &[u8]) {
    const CHARS: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for chunk in data.chunks(3) {
        let b = |i: usize| chunk.get(i).map_or(0, |&x| u32::from(x));
        let v = b(0) << 16 | b(1) << 8 | b(2);
        let c = |shift: u32| CHARS[(v >> shift & 63) as usize];
        out.extend_from_slice(&[c(18), c(12)]);
        out.push(if chunk.len() > 1 { c(6) } else { b'=' });
        out.push(if chunk.len() > 2 { c(0) } else { b'=' });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fmt::Write;

    #[test]
    fn integration_json() {
        let mut r = Response::text("text/plain", "a\"b\\\n\u{1}\u{e9}");
        write!(r, "{}", 5).unwrap();
        let (status, out) = r.encode(OutputMode::Integration);
        assert_eq!(status, 200);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "{\"statusCode\":200,\"headers\":{\"Content-Type\":\"text/plain\"},\
             \"body\":\"a\\\"b\\\\\\n\\u0001\u{e9}5\",\"isBase64Encoded\":false}"
        );
    }

    #[test]
    fn binary_body_is_base64() {
        let (_, out) = Response::new(201).body(vec![0xff, 0, b'o', b'k']).encode(OutputMode::Integration);
        assert_eq!(
            out,
            b"{\"statusCode\":201,\"headers\":{},\"body\":\"/wBvaw==\",\"isBase64Encoded\":true}"
        );
    }

    #[test]
    fn statuses() {
        assert_eq!(Response::new(0).encode(OutputMode::Raw).0, 200);
        assert_eq!(Response::new(99).encode(OutputMode::Raw).0, 500);
        assert_eq!(Response::new(600).encode(OutputMode::Raw).0, 500);
        let e = Response::from_error(&Error::new(42, "x"));
        assert_eq!((e.status(), e.body_bytes()), (500, &b"x\n"[..]));
    }
}
