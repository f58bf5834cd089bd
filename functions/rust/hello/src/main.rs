//! hello as a WASI command: the request on stdin, the greeting on stdout.

fn main() {
    sluice_fn::command(hello_fn::Hello)
}
