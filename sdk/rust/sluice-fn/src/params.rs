//! A function's parameters (docs/abi.md, "Configuration"): a JSON object, from a command's
//! arguments or from `sluice_setup`.

use crate::Error;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// The parameters: names and JSON values. A command's are always strings (`--name value`)
/// or `true` (a bare `--flag`); a handler's are whatever the host sent, so a number may come
/// as `24` or as `"24"`: `number` and `string` take both.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Params(Map<String, Value>);

impl Params {
    /// Parameters from the JSON text of an object (what `sluice_setup` gets); None when it is
    /// not one.
    pub fn from_json(json: &[u8]) -> Option<Params> {
        match serde_json::from_slice(json) {
            Ok(Value::Object(map)) => Some(Params(map)),
            _ => None,
        }
    }

    pub fn get(&self, name: &str) -> Option<&Value> {
        self.0.get(name)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The parameters in name order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// The object itself, for functions that read their parameters with serde:
    /// `let cfg: Config = params.parse()?;` (numbers from a command are strings, though).
    pub fn parse<T: DeserializeOwned>(&self) -> Result<T, Error> {
        serde_json::from_value(Value::Object(self.0.clone()))
            .map_err(|e| Error::bad_request(format!("bad parameters: {}", e)))
    }

    /// A parameter's value as a number: a JSON number, or a string holding a decimal one
    /// (digits, sign, point and exponent only: not "inf", "nan" or hex). None when absent;
    /// `Err(text)` with the value's JSON text when it is neither.
    pub fn number(&self, name: &str) -> Option<Result<f64, String>> {
        self.get(name).map(|v| value_number(v).ok_or_else(|| v.to_string()))
    }

    /// A parameter's value as a string: a JSON string, or a number's text. None when absent;
    /// `Err(text)` when it is something else.
    pub fn string(&self, name: &str) -> Option<Result<String, String>> {
        self.get(name).map(|v| match v {
            Value::String(s) => Ok(s.clone()),
            Value::Number(n) => Ok(n.to_string()),
            _ => Err(v.to_string()),
        })
    }

    /// The parameters of a command: `--name value`, `--name=value` or a bare `--flag`
    /// (`true`); a repeated name keeps its last value. The error says what is wrong, for the
    /// command to print before exiting 2.
    pub(crate) fn from_args(args: &[String]) -> Result<Params, String> {
        let mut map = Map::new();
        let mut i = 0;
        while i < args.len() {
            let arg = &args[i];
            let rest = arg.strip_prefix("--").ok_or_else(|| {
                format!(
                    "unexpected argument \"{}\" (parameters are given as --name value, \
                     --name=value or --flag)",
                    arg
                )
            })?;
            let (name, inline) = match rest.find('=') {
                Some(eq) => (&rest[..eq], Some(&rest[eq + 1..])),
                None => (rest, None),
            };
            if !option_name(name) {
                return Err(format!(
                    "malformed option \"{}\" (a name is letters, digits, '_', '-' and '.')",
                    arg
                ));
            }
            // "-3" is a value: only "--" starts an option.
            let value = match inline {
                Some(v) => Value::String(v.to_string()),
                None if i + 1 < args.len() && !args[i + 1].starts_with("--") => {
                    i += 1;
                    Value::String(args[i].clone())
                }
                None => Value::Bool(true),
            };
            map.insert(name.to_string(), value);
            i += 1;
        }
        Ok(Params(map))
    }
}

/// Letters, digits, '_', '-' and '.', not starting with '-' (so "---x" is a mistake rather
/// than a name "-x").
fn option_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('-')
        && name.bytes().all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.'))
}

fn value_number(v: &Value) -> Option<f64> {
    let x = match v {
        Value::Number(n) => n.as_f64()?,
        // f64's parser alone would also take "inf" and "NaN".
        Value::String(s) if !s.is_empty() && s.bytes().all(|c| b"0123456789+-.eE".contains(&c)) => {
            s.parse().ok()?
        }
        _ => return None,
    };
    if x.is_finite() {
        Some(x)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Result<Params, String> {
        Params::from_args(&a.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn command_arguments() {
        let p = args(&["--period", "24", "--alpha=0.05", "--flag", "--max-anoms", "-3", "--period", "12"])
            .unwrap();
        assert_eq!(p.get("period"), Some(&Value::String("12".into())));
        assert_eq!(p.number("alpha"), Some(Ok(0.05)));
        assert_eq!(p.get("flag"), Some(&Value::Bool(true)));
        assert_eq!(p.number("max-anoms"), Some(Ok(-3.0)));
        assert_eq!(p.number("flag"), Some(Err("true".into())));
        assert!(args(&["stray"]).unwrap_err().contains("unexpected argument \"stray\""));
        assert!(args(&["-x"]).unwrap_err().contains("unexpected argument"));
        for bad in ["--", "---x", "--=1", "--a b"] {
            assert!(args(&[bad]).unwrap_err().contains("malformed option"), "{}", bad);
        }
    }

    #[test]
    fn setup_json() {
        let p = Params::from_json(br#"{"period":"10.0","alpha":1e0,"v":"inf","d":"pos"}"#).unwrap();
        assert_eq!(p.number("period"), Some(Ok(10.0)));
        assert_eq!(p.number("alpha"), Some(Ok(1.0)));
        assert_eq!(p.number("v"), Some(Err("\"inf\"".into())));
        assert_eq!(p.string("d"), Some(Ok("pos".into())));
        assert_eq!(p.number("missing"), None);
        assert!(Params::from_json(b"[1]").is_none());
        assert!(Params::from_json(b"{").is_none());
    }
}
