//! hello: the example function in Rust (functions/hello/hello.c in C). The body is a JSON
//! object such as {"key1":"test value 1","key2":"test value 2"}; the answer is
//! "Hello! test value 1, test value 2". Raw input and output.

use serde::Deserialize;
use sluice_fn::{register, Error, Function};

/// The members the greeting needs; others are ignored.
#[derive(Deserialize)]
pub struct Names {
    key1: String,
    key2: String,
}

pub struct Hello;

/// A `String` output would be written as JSON (quoted): a raw text answer is a `Response`.
impl Function<Names, sluice_fn::Response> for Hello {
    fn execute(&self, input: Names) -> Result<sluice_fn::Response, Error> {
        let text = format!("Hello! {}, {}\n", input.key1, input.key2);
        Ok(sluice_fn::Response::text("text/plain; charset=utf-8", text))
    }
}

register!(Hello);
