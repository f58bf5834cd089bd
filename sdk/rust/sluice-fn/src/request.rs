//! Requests: a raw body, or an API-gateway event (docs/abi.md, "Modes") read the way the C
//! SDK reads it, so that a Rust and a C function see the same request.

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::Deserialize;
use std::fmt;

/// One request. In raw input mode only the body is set; in event mode the rest is what the
/// event held (`None` or empty when absent or null).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Request {
    body: Vec<u8>,
    /// `httpMethod` and `path`.
    pub method: Option<String>,
    pub path: Option<String>,
    /// From `requestContext`.
    pub request_id: Option<String>,
    pub source_ip: Option<String>,
    pub stage: Option<String>,
    /// The event's `isBase64Encoded` (the body is already decoded).
    pub is_base64: bool,
    /// Headers, query and path parameters in the event's order (null values left out).
    pub headers: Vec<(String, String)>,
    pub query: Vec<(String, String)>,
    pub path_params: Vec<(String, String)>,
}

impl Request {
    /// A request whose body is `body` (raw input mode; also for tests of a function).
    pub fn new(body: impl Into<Vec<u8>>) -> Request {
        Request { body: body.into(), ..Request::default() }
    }

    /// The body: the whole input in raw mode, the event's `body` in event mode
    /// (base64-decoded when `isBase64Encoded` is true; empty when null or absent).
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// The body as text; 400 when it is not UTF-8.
    pub fn body_str(&self) -> Result<&str, crate::Error> {
        std::str::from_utf8(&self.body)
            .map_err(|_| crate::Error::bad_request("the request body is not UTF-8 text"))
    }

    /// Take the body out of the request.
    pub fn into_body(self) -> Vec<u8> {
        self.body
    }

    /// A header, looked up case-insensitively; the last one wins.
    pub fn header(&self, name: &str) -> Option<&str> {
        last(&self.headers, |k| k.eq_ignore_ascii_case(name))
    }

    /// A query string parameter (exact name).
    pub fn query(&self, name: &str) -> Option<&str> {
        last(&self.query, |k| k == name)
    }

    /// A path parameter (exact name), e.g. `proxy`.
    pub fn path_param(&self, name: &str) -> Option<&str> {
        last(&self.path_params, |k| k == name)
    }

    /// Parse an API-gateway event; the error is the message the SDK answers with (400).
    pub(crate) fn from_event(input: &[u8]) -> Result<Request, &'static str> {
        const MALFORMED: &str = "malformed event: expected an API-gateway event JSON object";
        let event: Event = serde_json::from_slice(input).map_err(|_| MALFORMED)?;
        let mut body = event.body.map(String::into_bytes).unwrap_or_default();
        if event.is_base64 && !body.is_empty() {
            body = base64_decode(&body).ok_or("malformed event: body is not valid base64")?;
        }
        Ok(Request {
            body,
            method: event.method,
            path: event.path,
            request_id: event.context.request_id,
            source_ip: event.context.source_ip,
            stage: event.context.stage,
            is_base64: event.is_base64,
            headers: event.headers.0,
            query: event.query.0,
            path_params: event.path_params.0,
        })
    }
}

fn last<'a>(pairs: &'a [(String, String)], matches: impl Fn(&str) -> bool) -> Option<&'a str> {
    pairs.iter().rev().find(|(k, _)| matches(k)).map(|(_, v)| v.as_str())
}

/// The members of an event the SDK reads. Written by hand rather than derived: a derived
/// struct refuses a repeated member, which the C SDK (and JSON) let the last one win.
#[derive(Default)]
struct Event {
    method: Option<String>,
    path: Option<String>,
    body: Option<String>,
    is_base64: bool,
    headers: Pairs,
    query: Pairs,
    path_params: Pairs,
    context: Context,
}

impl<'de> Deserialize<'de> for Event {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Event, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Event;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an API-gateway event object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Event, A::Error> {
                let mut e = Event::default();
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "httpMethod" => e.method = map.next_value()?,
                        "path" => e.path = map.next_value()?,
                        "body" => e.body = map.next_value()?,
                        "isBase64Encoded" => {
                            e.is_base64 = map.next_value::<Option<bool>>()?.unwrap_or(false)
                        }
                        "headers" => e.headers = map.next_value()?,
                        "queryStringParameters" => e.query = map.next_value()?,
                        "pathParameters" => e.path_params = map.next_value()?,
                        "requestContext" => e.context = map.next_value()?,
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(e)
            }
        }
        d.deserialize_map(V)
    }
}

/// `requestContext`: an object (or null) of which three string members are read.
#[derive(Default)]
struct Context {
    request_id: Option<String>,
    source_ip: Option<String>,
    stage: Option<String>,
}

impl<'de> Deserialize<'de> for Context {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Context, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Context;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a requestContext object or null")
            }
            fn visit_unit<E: de::Error>(self) -> Result<Context, E> {
                Ok(Context::default())
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Context, A::Error> {
                let mut c = Context::default();
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "requestId" => c.request_id = map.next_value()?,
                        "sourceIp" => c.source_ip = map.next_value()?,
                        "stage" => c.stage = map.next_value()?,
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(c)
            }
        }
        d.deserialize_any(V)
    }
}

/// An object of string values in its order (members whose value is null are skipped), or
/// null for none.
#[derive(Default)]
struct Pairs(Vec<(String, String)>);

impl<'de> Deserialize<'de> for Pairs {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Pairs, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Pairs;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object of strings or null")
            }
            fn visit_unit<E: de::Error>(self) -> Result<Pairs, E> {
                Ok(Pairs::default())
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Pairs, A::Error> {
                let mut pairs = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, Option<String>>()? {
                    if let Some(v) = v {
                        pairs.push((k, v));
                    }
                }
                Ok(Pairs(pairs))
            }
        }
        d.deserialize_any(V)
    }
}

/// Base64 as the C SDK decodes it: the standard or URL-safe alphabet, padding optional,
/// whitespace ignored. None when malformed.
pub(crate) fn base64_decode(s: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() / 4 * 3 + 2);
    let (mut acc, mut n, mut pad) = (0u32, 0usize, 0usize);
    for &c in s {
        let v = match c {
            b' ' | b'\n' | b'\r' | b'\t' => continue,
            b'=' => {
                pad += 1;
                continue;
            }
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        };
        if pad > 0 {
            return None; // data after padding
        }
        acc = acc << 6 | u32::from(v);
        n += 1;
        if n % 4 == 0 {
            out.extend_from_slice(&[(acc >> 16) as u8, (acc >> 8) as u8, acc as u8]);
            acc = 0;
        }
    }
    match n % 4 {
        1 => return None,
        2 => out.push((acc >> 4) as u8),
        3 => out.extend_from_slice(&[(acc >> 10) as u8, (acc >> 2) as u8]),
        _ => {}
    }
    if pad > 2 {
        return None;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_fields() {
        let ev = br#"{"httpMethod":"POST","path":"/fn/x","headers":{"X-A":"1","x-a":"2","N":null},
            "queryStringParameters":{"format":"json"},"pathParameters":null,"body":"aGk=",
            "isBase64Encoded":true,"extra":[1,{"y":2}],
            "requestContext":{"requestId":"r","sourceIp":"1.2.3.4","stage":"s","n":5}}"#;
        let r = Request::from_event(ev).unwrap();
        assert_eq!(r.body(), b"hi");
        assert_eq!(r.method.as_deref(), Some("POST"));
        assert_eq!(r.header("X-a"), Some("2"));
        assert_eq!(r.headers.len(), 2);
        assert_eq!(r.query("format"), Some("json"));
        assert_eq!(r.path_param("proxy"), None);
        assert_eq!(r.request_id.as_deref(), Some("r"));
        assert_eq!(r.stage.as_deref(), Some("s"));
    }

    #[test]
    fn repeated_member_last_wins() {
        let r = Request::from_event(br#"{"body":"a","body":"b"}"#).unwrap();
        assert_eq!(r.body(), b"b");
    }

    #[test]
    fn malformed_events() {
        for bad in [
            &b"not json"[..],
            b"[1]",
            br#"{"httpMethod":1}"#,
            br#"{"headers":[1]}"#,
            br#"{"headers":{"a":1}}"#,
            br#"{"body":"x"} x"#,
            br#"{"isBase64Encoded":"yes"}"#,
            br#"{"requestContext":{"requestId":7}}"#,
            br#"{"body":"\ud800"}"#,
            b"",
        ] {
            assert!(Request::from_event(bad).is_err(), "{:?}", String::from_utf8_lossy(bad));
        }
        let e = Request::from_event(br#"{"isBase64Encoded":true,"body":"!!"}"#).unwrap_err();
        assert!(e.contains("base64"));
    }

    #[test]
    fn base64() {
        assert_eq!(base64_decode(b"aGVsbG8gd29ybGQ=").unwrap(), b"hello world");
        assert_eq!(base64_decode(b"aGVsbG8gd29ybGQ").unwrap(), b"hello world");
        assert_eq!(base64_decode(b"_-8A\n").unwrap(), [0xff, 0xef, 0x00]);
        assert!(base64_decode(b"a").is_none());
        assert!(base64_decode(b"aG==x").is_none());
    }
}
