//! The `sluice.fn` custom section (docs/abi.md, "The sluice.fn section"): the function's
//! input and output modes, written into the module by `register!`, so that `sluice serve`
//! deploys it with them when no one says otherwise.
//!
//! The content is one JSON object, `{"v":1,"input":"...","output":"..."}`, padded with spaces
//! to `SECTION_LEN` bytes: a static's size must be known before its value, and JSON allows
//! the trailing whitespace. It says no "kind": `register!` expands in the library crate, and a
//! command binary links that library too (and with it this section), so the library cannot
//! tell which kind the module it ends up in is.

use crate::{Function, Input, InputMode, Output, OutputMode};

/// The section's size: the longest object (event/integration) is 46 bytes.
pub const SECTION_LEN: usize = 64;

const fn put(mut out: [u8; SECTION_LEN], mut at: usize, s: &str) -> ([u8; SECTION_LEN], usize) {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        out[at] = b[i];
        at += 1;
        i += 1;
    }
    (out, at)
}

/// The section of the function `make` makes (never called: only its type matters, which is
/// how a const can learn the modes of `register!(Anomaly::default())`).
pub const fn section<C, F, I, O>(_make: &C) -> [u8; SECTION_LEN]
where
    C: FnOnce() -> F,
    F: Function<I, O>,
    I: Input,
    O: Output,
{
    let out = [b' '; SECTION_LEN];
    let (out, at) = put(out, 0, "{\"v\":1,\"input\":\"");
    let input = match F::INPUT {
        InputMode::Raw => "raw",
        InputMode::Event => "event",
    };
    let (out, at) = put(out, at, input);
    let (out, at) = put(out, at, "\",\"output\":\"");
    let output = match F::OUTPUT {
        OutputMode::Raw => "raw",
        OutputMode::Integration => "integration",
    };
    let (out, at) = put(out, at, output);
    let (out, _) = put(out, at, "\"}");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Error, Request, Response};

    struct Plain;
    impl Function<Request, Response> for Plain {
        fn execute(&self, _: Request) -> Result<Response, Error> {
            Ok(Response::new(200))
        }
    }
    struct Gateway;
    impl Function<Request, Response> for Gateway {
        const INPUT: InputMode = InputMode::Event;
        const OUTPUT: OutputMode = OutputMode::Integration;
        fn execute(&self, _: Request) -> Result<Response, Error> {
            Ok(Response::new(200))
        }
    }

    #[test]
    fn the_modes_padded_with_spaces() {
        const PLAIN: [u8; SECTION_LEN] = section(&|| Plain);
        let text = std::str::from_utf8(&PLAIN).unwrap();
        assert_eq!(text.trim_end(), r#"{"v":1,"input":"raw","output":"raw"}"#);
        assert!(text[text.trim_end().len()..].bytes().all(|b| b == b' '));
        const GATEWAY: [u8; SECTION_LEN] = section(&|| Gateway);
        assert_eq!(
            std::str::from_utf8(&GATEWAY).unwrap().trim_end(),
            r#"{"v":1,"input":"event","output":"integration"}"#
        );
    }
}
