//! The Rust SDK for Sluice functions: the Rust counterpart of the C SDK (sdk/c/sluice_fn.h),
//! implementing the function ABI of docs/abi.md, so that a function is only its logic:
//!
//! ```ignore
//! use serde::{Deserialize, Serialize};
//! use sluice_fn::{register, Error, Function};
//!
//! #[derive(Deserialize)]
//! struct In { a: f64, b: f64 }
//! #[derive(Serialize)]
//! struct Out { sum: f64 }
//!
//! struct Add;
//! impl Function<In, Out> for Add {
//!     fn execute(&self, input: In) -> Result<Out, Error> {
//!         Ok(Out { sum: input.a + input.b })
//!     }
//! }
//! register!(Add);
//! ```
//!
//! Both kinds of function come from the same code:
//!
//! - **handler**: `register!(value)` in the crate's `lib.rs`, built as a `cdylib`, defines the
//!   exports `sluice_init`, `sluice_setup`, `sluice_alloc`, `sluice_handle`,
//!   `sluice_response_ptr` and `sluice_response_len`. For `wasm32-unknown-unknown` the module
//!   imports nothing; for `wasm32-wasi` it imports what Rust's standard library needs (the
//!   gateway links WASI, with nothing granted).
//! - **command**: `fn main() { sluice_fn::command(value) }` in a binary built for
//!   `wasm32-wasi`: the request on stdin, the response on stdout, parameters as
//!   `--name value` arguments.
//!
//! The input is `Request` (everything the gateway sent) or any `serde::Deserialize` type
//! (read from the body as JSON); the output is `Response` (status, headers, body) or any
//! `serde::Serialize` type (written as JSON). `Err(Error)` becomes an error status with a
//! one-line message; a panic aborts, which is a trap, which the gateway answers with 500.

mod command;
mod params;
mod request;
mod response;
#[doc(hidden)]
pub mod abi;
#[doc(hidden)]
pub mod section;

pub use command::command;
pub use params::Params;
pub use request::Request;
pub use response::Response;
// The versions the SDK was built with, for functions that need no other.
pub use serde;
pub use serde_json;

use serde::de::DeserializeOwned;
use serde::Serialize;
use std::fmt;

/// What the request bytes are (docs/abi.md, "Modes").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputMode {
    /// The HTTP request body, as is.
    Raw,
    /// An API-gateway event JSON: the SDK parses it into a `Request` and answers a malformed
    /// one with 400 without calling the function.
    Event,
}

/// What the response bytes are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputMode {
    /// The response body; the status only decides a command's exit code, headers are dropped.
    Raw,
    /// The integration JSON `{statusCode, headers, body, isBase64Encoded}`.
    Integration,
}

/// A function's failure: an HTTP status (400..599) and a one-line message, which becomes the
/// body (`text/plain`). A setup that fails makes a command exit 2 with the message on stderr
/// and a handler's `sluice_setup` return the status.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    status: u16,
    message: String,
}

impl Error {
    /// An error with this status; one outside 400..599 is answered as 500.
    pub fn new(status: u16, message: impl Into<String>) -> Error {
        Error { status, message: message.into() }
    }
    /// 400: the request (or, in `setup`, a parameter) is not what the function takes.
    pub fn bad_request(message: impl Into<String>) -> Error {
        Error::new(400, message)
    }
    /// 500: the function failed on a good request.
    pub fn internal(message: impl Into<String>) -> Error {
        Error::new(500, message)
    }
    pub fn status(&self) -> u16 {
        if (400..=599).contains(&self.status) {
            self.status
        } else {
            500
        }
    }
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.message, self.status())
    }
}

impl std::error::Error for Error {}

/// A body that is not the JSON the function's input type describes is the client's mistake.
impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Error {
        Error::bad_request(format!("invalid input: {}", e))
    }
}

/// What a function can take as input.
pub trait Input: Sized {
    fn from_request(request: Request) -> Result<Self, Error>;
}

/// The whole request, for functions that need the query, headers or the raw body.
impl Input for Request {
    fn from_request(request: Request) -> Result<Self, Error> {
        Ok(request)
    }
}

/// Any deserializable type: the body, read as JSON (a mismatch is a 400).
impl<T: DeserializeOwned> Input for T {
    fn from_request(request: Request) -> Result<Self, Error> {
        Ok(serde_json::from_slice(request.body())?)
    }
}

/// What a function can answer with.
pub trait Output {
    fn into_response(self) -> Result<Response, Error>;
}

/// A response built by the function: its status, headers and body as they are.
impl Output for Response {
    fn into_response(self) -> Result<Response, Error> {
        Ok(self)
    }
}

/// Any serializable type: the body is its JSON and a newline, `application/json`, status 200.
impl<T: Serialize> Output for T {
    fn into_response(self) -> Result<Response, Error> {
        let mut body = serde_json::to_vec(&self)
            .map_err(|e| Error::internal(format!("cannot write the output as JSON: {}", e)))?;
        body.push(b'\n');
        Ok(Response::new(200).header("Content-Type", "application/json").body(body))
    }
}

/// A Sluice function. `In` and `Out` are `Request`/`Response` or serde types (see `Input`
/// and `Output`).
pub trait Function<In: Input, Out: Output> {
    /// The input mode the function expects (the deployment must agree).
    const INPUT: InputMode = InputMode::Raw;
    /// The output mode it answers in.
    const OUTPUT: OutputMode = OutputMode::Raw;

    /// The function's parameters, once per instance before any request (the C SDK's
    /// `sl_fn_setup`): a command's `--name value` arguments, or what the host passes to
    /// `sluice_setup`. The default accepts anything. A host that never calls `sluice_setup`
    /// leaves the function as it was made, so give every parameter a default, or check in
    /// `execute` that a required one was set.
    fn setup(&mut self, params: &Params) -> Result<(), Error> {
        let _ = params;
        Ok(())
    }

    /// Answer one request. Called with `&self`: the gateway may restore an instance to its
    /// state after setup between requests, so nothing a request changes may be relied on.
    fn execute(&self, input: In) -> Result<Out, Error>;
}

/// Define the handler exports of docs/abi.md for a function: `register!(MyFunction)`, with
/// any expression that makes the function's value (`register!(Anomaly::default())`). The
/// value is made once, when the host first calls into the module. Use it once per crate,
/// at the top level of the `cdylib`. It also records the function's modes in the module's
/// `sluice.fn` custom section (docs/abi.md), for this library and for a command binary that
/// links it.
#[macro_export]
macro_rules! register {
    ($function:expr) => {
        /// The function's modes, for `sluice serve` (docs/abi.md, "The sluice.fn section").
        #[link_section = "sluice.fn"]
        #[used]
        static __SLUICE_FN_SECTION: [u8; $crate::section::SECTION_LEN] =
            $crate::section::section(&|| $function);

        /// Makes the registered function; called once, by the SDK.
        fn __sluice_fn_make() -> ::std::boxed::Box<dyn $crate::abi::Handler> {
            $crate::abi::handler($function)
        }

        #[no_mangle]
        pub extern "C" fn sluice_init() {
            $crate::abi::init(__sluice_fn_make)
        }

        #[no_mangle]
        pub extern "C" fn sluice_setup(ptr: i32, len: i32) -> i32 {
            $crate::abi::setup(__sluice_fn_make, ptr, len)
        }

        #[no_mangle]
        pub extern "C" fn sluice_alloc(len: i32) -> i32 {
            $crate::abi::alloc(len)
        }

        #[no_mangle]
        pub extern "C" fn sluice_handle(ptr: i32, len: i32) -> i32 {
            $crate::abi::handle(__sluice_fn_make, ptr, len)
        }

        #[no_mangle]
        pub extern "C" fn sluice_response_ptr() -> i32 {
            $crate::abi::response_ptr()
        }

        #[no_mangle]
        pub extern "C" fn sluice_response_len() -> i32 {
            $crate::abi::response_len()
        }
    };
}
