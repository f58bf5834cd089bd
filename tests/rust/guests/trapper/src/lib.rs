//! A handler for the SDK's failure paths (tests/rust/run.py), built for both
//! wasm32-unknown-unknown and wasm32-wasi: the body "panic" panics (which must trap, and be
//! answered 500, never hang), "error" fails with 503, anything else comes back as it is,
//! prefixed with the parameter `prefix`; the parameter `refuse` makes setup fail with 422.

use sluice_fn::{register, Error, Function, Params, Request, Response};

#[derive(Default)]
struct Trapper {
    prefix: String,
}

impl Function<Request, Response> for Trapper {
    fn setup(&mut self, params: &Params) -> Result<(), Error> {
        if params.get("refuse").is_some() {
            return Err(Error::new(422, "trapper: refused, as asked"));
        }
        if let Some(prefix) = params.string("prefix") {
            self.prefix = prefix.map_err(|text| Error::bad_request(format!("trapper: bad prefix {}", text)))?;
        }
        Ok(())
    }

    fn execute(&self, req: Request) -> Result<Response, Error> {
        match req.body() {
            b"panic" => panic!("trapper: asked to panic"),
            b"error" => Err(Error::new(503, "trapper: unavailable, as asked")),
            body => {
                let mut out = self.prefix.clone().into_bytes();
                out.extend_from_slice(body);
                Ok(Response::text("application/octet-stream", out))
            }
        }
    }
}

register!(Trapper::default());
