//! The command kind (docs/abi.md, "Command functions"): a WASI program that reads the
//! request on stdin and writes the response on stdout.

use crate::abi::{apply_params, handler, Handler};
use crate::{Function, Input, InputMode, Output, OutputMode, Params};
use std::io::{Read, Write};
use std::process::exit;

/// Run `function` as a command and exit: `fn main() { sluice_fn::command(Hello) }`.
///
/// The arguments are the parameters (`--name value`, `--name=value`, `--flag`); anything
/// else, or parameters the function's `setup` refuses, exits 2 with a message on stderr
/// before stdin is read. The environment variables `SLUICE_INPUT_MODE=raw|event` and
/// `SLUICE_OUTPUT_MODE=raw|integration` override the function's modes. With raw output an
/// error status (>= 400) exits 1 after the body is written, since raw output has no status.
pub fn command<F, I, O>(function: F) -> !
where
    F: Function<I, O> + 'static,
    I: Input + 'static,
    O: Output + 'static,
{
    exit(run(handler(function)))
}

fn run(mut handler: Box<dyn Handler>) -> i32 {
    let mut args = Vec::new();
    for (i, arg) in std::env::args_os().enumerate().skip(1) {
        match arg.into_string() {
            Ok(arg) => args.push(arg),
            Err(_) => {
                eprintln!("sluice_fn: argument {} is not valid UTF-8", i);
                return 2;
            }
        }
    }
    // Configuration first: a command that refuses its parameters should say so before it
    // waits for a request on stdin.
    let params = match Params::from_args(&args) {
        Ok(params) => params,
        Err(message) => {
            eprintln!("sluice_fn: {}", message);
            return 2;
        }
    };
    if let Err((_, message)) = apply_params(handler.as_mut(), &params) {
        eprint!("{}", message);
        return 2;
    }

    let (mut input_mode, mut output_mode) = handler.modes();
    if let Ok(m) = std::env::var("SLUICE_INPUT_MODE") {
        input_mode = if m == "event" { InputMode::Event } else { InputMode::Raw };
    }
    if let Ok(m) = std::env::var("SLUICE_OUTPUT_MODE") {
        output_mode = if m == "integration" { OutputMode::Integration } else { OutputMode::Raw };
    }

    let mut input = Vec::new();
    if std::io::stdin().read_to_end(&mut input).is_err() {
        eprintln!("sluice_fn: cannot read the request from stdin");
        return 1;
    }
    let (status, out) = handler.handle(input, (input_mode, output_mode));
    let mut stdout = std::io::stdout().lock();
    if stdout.write_all(&out).and_then(|_| stdout.flush()).is_err() {
        eprintln!("sluice_fn: cannot write the response");
        return 1;
    }
    if output_mode == OutputMode::Raw && status >= 400 {
        1
    } else {
        0
    }
}
