//! anomaly: Seasonal Hybrid ESD (S-H-ESD), the anomaly detection of Twitter's
//! AnomalyDetection R package, on one column of a window of data: the Rust port of
//! functions/anomaly (same algorithm, parameters, messages and output).
//!
//! Input (raw): a JSON object of columns, each an array of the same length, e.g.
//!     {"air_quality": [41.2, 39.8, ...], "timestamp": ["2024-01-01T00:00", ...]}
//! Output (raw): the same columns, passed through as they came (an input column named
//! is_anomaly is dropped), then "is_anomaly": an array of booleans.
//!
//! The value column is decomposed with STL as R's stl(x, s.window = "periodic",
//! robust = TRUE) does (stl.rs); the remainder x - seasonal - median(x) then goes through the
//! generalized ESD test on the median and MAD (esd.rs), with critical values from Student's
//! t (tdist.rs).
//!
//! Parameters ("max-anoms" is the same as "max_anoms", and numbers may be given as strings):
//!   period     observations per seasonal cycle, an integer >= 2 (required)
//!   alpha      significance level of the test, 0 < alpha <= 1 (default 0.05)
//!   max_anoms  at most this fraction of the points is reported, 0 < max_anoms <= 0.5
//!              (default 0.10)
//!   direction  both, pos (only above the expected) or neg (only below) (default both)
//!   value      the name of the column to test (default air_quality)

mod esd;
mod stl;
mod tdist;

use esd::Direction;
use serde::de::{Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;
use sluice_fn::{register, Error, Function, Params, Request, Response};
use std::fmt;

const DEFAULT_VALUE_COLUMN: &str = "air_quality";
const MAX_PERIOD: f64 = 1_000_000.0;

/// The function and its configuration.
#[derive(Clone, Debug, PartialEq)]
pub struct Anomaly {
    value: Option<String>, // None: DEFAULT_VALUE_COLUMN
    alpha: f64,
    max_anoms: f64,
    period: usize, // 0: not configured
    direction: Direction,
}

impl Default for Anomaly {
    fn default() -> Anomaly {
        Anomaly { value: None, alpha: 0.05, max_anoms: 0.10, period: 0, direction: Direction::Both }
    }
}

fn bad_param(name: &str, text: &str, want: &str) -> Error {
    let shown: String = text.chars().take(40).collect();
    Error::bad_request(format!("anomaly: parameter {} must be {}, got {}", name, want, shown))
}

impl Anomaly {
    fn value_column(&self) -> &str {
        self.value.as_deref().unwrap_or(DEFAULT_VALUE_COLUMN)
    }

    /// Apply one parameter.
    fn set(&mut self, params: &Params, name: &str) -> Result<(), Error> {
        let number = || params.number(name).expect("the parameter is present");
        let string = || params.string(name).expect("the parameter is present");
        match name.replace('-', "_").as_str() {
            "period" => match number() {
                Ok(d) if d == d.floor() && (2.0..=MAX_PERIOD).contains(&d) => self.period = d as usize,
                _ => return Err(bad_param(name, &raw(params, name), "an integer from 2 to 1000000")),
            },
            "alpha" => match number() {
                Ok(d) if d > 0.0 && d <= 1.0 => self.alpha = d,
                _ => return Err(bad_param(name, &raw(params, name), "a number with 0 < alpha <= 1")),
            },
            "max_anoms" => match number() {
                Ok(d) if d > 0.0 && d <= 0.5 => self.max_anoms = d,
                _ => {
                    return Err(bad_param(name, &raw(params, name), "a number with 0 < max_anoms <= 0.5"))
                }
            },
            "direction" => {
                self.direction = match string().as_deref() {
                    Ok("both") => Direction::Both,
                    Ok("pos") => Direction::Pos,
                    Ok("neg") => Direction::Neg,
                    _ => return Err(bad_param(name, &raw(params, name), "both, pos or neg")),
                }
            }
            "value" => match string() {
                Ok(s) if !s.is_empty() => self.value = Some(s),
                _ => return Err(bad_param(name, &raw(params, name), "a column name")),
            },
            _ => {
                return Err(Error::bad_request(format!(
                    "anomaly: unknown parameter \"{}\" (known: period, alpha, max_anoms, \
                     direction, value)",
                    name
                )))
            }
        }
        Ok(())
    }

    /// S-H-ESD on y: the flags.
    fn detect(&self, y: &[f64]) -> Vec<bool> {
        let n = y.len();
        let p = stl::periodic_params(n, self.period);
        let (mut seasonal, _trend) = stl::decompose(y, &p);
        let median = esd::median(y);
        stl::make_periodic(&mut seasonal, self.period);
        // The remainder of S-H-ESD: the median stands in for the trend, which makes the test
        // robust to a trend that bends around the anomalies themselves.
        let remainder: Vec<f64> = (0..n).map(|i| y[i] - seasonal[i] - median).collect();
        let max_outliers = (n as f64 * self.max_anoms).floor() as usize;
        // A MAD this small is rounding noise (the STL's arithmetic is good to ~1e-14 of the
        // data), left by data that are constant apart from a few points.
        let largest = y.iter().fold(0.0_f64, |m, v| m.max(v.abs()));
        esd::test(&remainder, max_outliers, self.alpha, self.direction, 1e-10 * largest)
    }
}

/// A parameter's JSON text, for messages.
fn raw(params: &Params, name: &str) -> String {
    params.get(name).map_or_else(String::new, |v| v.to_string())
}

/// The columns of a window in their order, each value its JSON text as it came (so that
/// they are passed through untouched). A map visitor rather than a serde_json::Map: that
/// one is sorted by name.
struct Table<'a>(Vec<(String, &'a RawValue)>);

impl<'de: 'a, 'a> Deserialize<'de> for Table<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Table<'a>, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Table<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object of columns")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Table<'a>, A::Error> {
                let mut cols = Vec::new();
                while let Some(entry) = map.next_entry::<String, &'a RawValue>()? {
                    cols.push(entry);
                }
                Ok(Table(cols))
            }
        }
        d.deserialize_map(V(std::marker::PhantomData))
    }
}

impl Function<Request, Response> for Anomaly {
    fn setup(&mut self, params: &Params) -> Result<(), Error> {
        // Only a complete, valid configuration replaces the one in force.
        let mut c = Anomaly::default();
        for (name, _) in params.iter() {
            c.set(params, name)?;
        }
        if c.period == 0 {
            return Err(Error::bad_request(
                "anomaly: parameter period (observations per seasonal cycle, e.g. --period 24) \
                 is required",
            ));
        }
        *self = c;
        Ok(())
    }

    fn execute(&self, req: Request) -> Result<Response, Error> {
        if self.period == 0 {
            return Err(Error::bad_request("anomaly: no period configured (set the period parameter)"));
        }
        let not_columns = || {
            Error::bad_request(
                "anomaly: the input is not a JSON object of columns ({\"name\": [values...], ...})",
            )
        };
        let body = req.body();
        let first = body.iter().find(|c| !matches!(c, b' ' | b'\t' | b'\n' | b'\r'));
        if first != Some(&b'{') {
            return Err(not_columns());
        }
        let table: Table = serde_json::from_slice(body).map_err(|_| not_columns())?;
        let mut counts = Vec::with_capacity(table.0.len());
        for (i, (name, val)) in table.0.iter().enumerate() {
            if table.0[..i].iter().any(|(other, _)| other == name) {
                return Err(Error::bad_request(format!("anomaly: column \"{}\" appears twice", name)));
            }
            if !val.get().starts_with('[') {
                return Err(Error::bad_request(format!("anomaly: column \"{}\" is not an array", name)));
            }
            let count = serde_json::from_str::<Vec<&RawValue>>(val.get()).map_err(|_| not_columns())?.len();
            if count != counts.first().copied().unwrap_or(count) {
                return Err(Error::bad_request(format!(
                    "anomaly: the columns have different lengths (\"{}\" has {} values, \"{}\" has {})",
                    table.0[0].0, counts[0], name, count
                )));
            }
            counts.push(count);
        }
        let value = self.value_column();
        let column = table.0.iter().find(|(name, _)| name == value).ok_or_else(|| {
            let hint = if self.value.is_some() { "" } else { " (choose another with the value parameter)" };
            Error::bad_request(format!("anomaly: no column \"{}\" in the input{}", value, hint))
        })?;
        let elements: Vec<&RawValue> = serde_json::from_str(column.1.get()).map_err(|_| not_columns())?;
        let mut y = Vec::with_capacity(elements.len());
        for (i, e) in elements.iter().enumerate() {
            let text = e.get();
            // A JSON number's text is one Rust's parser takes, rounded as strtod rounds.
            let number = text.starts_with(|c: char| c == '-' || c.is_ascii_digit());
            match text.parse::<f64>() {
                Ok(v) if number && v.is_finite() => y.push(v),
                _ => {
                    let shown: String = text.chars().take(40).collect();
                    return Err(Error::bad_request(format!(
                        "anomaly: {}[{}] is not a finite number: {}",
                        value, i, shown
                    )));
                }
            }
        }
        let n = y.len();
        if n < 2 * self.period {
            return Err(Error::bad_request(format!(
                "anomaly: need at least 2 periods of data (2 x {} = {} values), got {}",
                self.period,
                2 * self.period,
                n
            )));
        }
        let flags = self.detect(&y);

        let mut out = Vec::with_capacity(body.len() + 6 * n + 16);
        out.push(b'{');
        for (name, val) in &table.0 {
            if name == "is_anomaly" {
                continue; // replaced by ours
            }
            out.extend_from_slice(serde_json::to_string(name).map_err(|_| not_columns())?.as_bytes());
            out.push(b':');
            out.extend_from_slice(val.get().as_bytes());
            out.push(b',');
        }
        out.extend_from_slice(b"\"is_anomaly\":[");
        for (i, &f) in flags.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.extend_from_slice(if f { b"true" } else { b"false" });
        }
        out.extend_from_slice(b"]}\n");
        Ok(Response::text("application/json", out))
    }
}

register!(Anomaly::default());
