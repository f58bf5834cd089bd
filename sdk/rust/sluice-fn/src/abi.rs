//! The handler ABI (docs/abi.md, "Handler functions") behind the exports `register!` defines,
//! and the request path both kinds share. Not for functions to call: the macro uses it.

use crate::{Error, Function, Input, InputMode, Output, OutputMode, Params, Request, Response};
use std::cell::RefCell;
use std::marker::PhantomData;

/// A registered function with its types erased, so the SDK can keep it in one place.
pub trait Handler {
    fn modes(&self) -> (InputMode, OutputMode);
    /// Apply the parameters (the JSON text of an object, already checked).
    fn setup(&mut self, params: &Params) -> Result<(), Error>;
    /// Answer one request: the status and the response bytes in the output mode.
    fn handle(&self, input: Vec<u8>, modes: (InputMode, OutputMode)) -> (u16, Vec<u8>);
}

struct Adapter<F, I, O> {
    function: F,
    types: PhantomData<fn(I) -> O>,
}

/// Box a function for the SDK. Its input and output types are inferred from its one
/// `Function` implementation.
pub fn handler<F, I, O>(function: F) -> Box<dyn Handler>
where
    F: Function<I, O> + 'static,
    I: Input + 'static,
    O: Output + 'static,
{
    Box::new(Adapter { function, types: PhantomData })
}

impl<F: Function<I, O>, I: Input, O: Output> Handler for Adapter<F, I, O> {
    fn modes(&self) -> (InputMode, OutputMode) {
        (F::INPUT, F::OUTPUT)
    }

    fn setup(&mut self, params: &Params) -> Result<(), Error> {
        self.function.setup(params)
    }

    fn handle(&self, input: Vec<u8>, modes: (InputMode, OutputMode)) -> (u16, Vec<u8>) {
        let request = match modes.0 {
            InputMode::Raw => Ok(Request::new(input)),
            InputMode::Event => Request::from_event(&input).map_err(Error::bad_request),
        };
        let response = request
            .and_then(I::from_request)
            .and_then(|i| self.function.execute(i))
            .and_then(O::into_response)
            .unwrap_or_else(|e| Response::from_error(&e));
        response.encode(modes.1)
    }
}

/// Check the parameters' JSON and run the function's setup: Ok, or the status (400..599) with
/// the message (one line and a newline).
pub(crate) fn run_setup(handler: &mut dyn Handler, json: &[u8]) -> Result<(), (u16, String)> {
    let params = Params::from_json(json)
        .ok_or((400, "setup: the parameters are not a JSON object\n".to_string()))?;
    apply_params(handler, &params)
}

pub(crate) fn apply_params(handler: &mut dyn Handler, params: &Params) -> Result<(), (u16, String)> {
    handler.setup(params).map_err(|e| {
        let status = e.status();
        match e.message() {
            "" => (status, format!("setup: the parameters were refused (status {})\n", status)),
            message => (status, format!("{}\n", message)),
        }
    })
}

/// What a handler instance keeps between calls from the host.
#[derive(Default)]
struct State {
    handler: Option<Box<dyn Handler>>,
    /// The buffer of the last `sluice_alloc`, which the next call takes.
    request: Vec<u8>,
    response: Vec<u8>,
}

thread_local! {
    // A wasm instance runs one call at a time: this is the module's one state.
    static STATE: RefCell<State> = RefCell::new(State::default());
}

fn with_handler<R>(make: fn() -> Box<dyn Handler>, f: impl FnOnce(&mut State) -> R) -> R {
    STATE.with(|s| {
        let mut s = s.borrow_mut();
        if s.handler.is_none() {
            s.handler = Some(make());
        }
        f(&mut s)
    })
}

/// The bytes the host wrote at ptr: the buffer of the last `sluice_alloc` when it is that one
/// (no copy), else a copy of the range (the ABI asks for the former; a range outside memory
/// traps, which the host reports).
fn take_input(s: &mut State, ptr: i32, len: i32) -> Option<Vec<u8>> {
    let len = usize::try_from(len).ok()?;
    if ptr as usize == s.request.as_ptr() as usize && len <= s.request.len() {
        let mut buf = std::mem::take(&mut s.request);
        buf.truncate(len);
        return Some(buf);
    }
    if len == 0 {
        return Some(Vec::new());
    }
    // SAFETY: on wasm32 every address below the memory's size is readable, and one beyond
    // it traps rather than reading anything; the host owns the bytes until this call.
    Some(unsafe { std::slice::from_raw_parts(ptr as usize as *const u8, len) }.to_vec())
}

pub fn init(make: fn() -> Box<dyn Handler>) {
    with_handler(make, |_| ());
}

pub fn alloc(len: i32) -> i32 {
    let len = match usize::try_from(len) {
        Ok(n) => n,
        Err(_) => return 0,
    };
    STATE.with(|s| {
        let mut s = s.borrow_mut();
        s.request = Vec::new();
        // At least one byte, so that even an empty request has a real (non-0) address; 0 is
        // the answer when memory runs out, as the ABI asks, rather than a trap.
        let mut buf = Vec::new();
        if buf.try_reserve_exact(len.max(1)).is_err() {
            return 0;
        }
        buf.resize(len, 0);
        let ptr = buf.as_ptr() as usize as i32;
        s.request = buf;
        ptr
    })
}

pub fn handle(make: fn() -> Box<dyn Handler>, ptr: i32, len: i32) -> i32 {
    with_handler(make, |s| {
        s.response = Vec::new();
        let input = match take_input(s, ptr, len) {
            Some(input) => input,
            None => return 500,
        };
        let handler = s.handler.as_ref().expect("made by with_handler");
        let (status, body) = handler.handle(input, handler.modes());
        s.response = body;
        i32::from(status)
    })
}

pub fn setup(make: fn() -> Box<dyn Handler>, ptr: i32, len: i32) -> i32 {
    with_handler(make, |s| {
        s.response = Vec::new();
        let json = match take_input(s, ptr, len) {
            Some(json) if json.is_empty() => b"{}".to_vec(), // a host with no parameters
            Some(json) => json,
            None => return 500,
        };
        let handler = s.handler.as_mut().expect("made by with_handler");
        match run_setup(handler.as_mut(), &json) {
            Ok(()) => 0,
            Err((status, message)) => {
                s.response = message.into_bytes();
                i32::from(status)
            }
        }
    })
}

pub fn response_ptr() -> i32 {
    STATE.with(|s| s.borrow().response.as_ptr() as usize as i32)
}

pub fn response_len() -> i32 {
    STATE.with(|s| s.borrow().response.len() as i32)
}
