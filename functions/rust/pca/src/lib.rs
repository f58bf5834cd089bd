//! pca: principal component analysis of 2-D points, answered as an SVG plot; the Rust port
//! of functions/pca/pca.c, which it answers byte for byte like.
//!
//! Input (the body): comma-separated coordinates "x1,y1,x2,y2,..." (whitespace around numbers
//! is ignored; numbers are decimal, e.g. -1.5e3). The function computes the mean, the sample
//! covariance matrix (divided by n-1, as numpy.cov), and its eigenvalues and unit
//! eigenvectors (closed form for a symmetric 2x2 matrix), and draws the points, the mean and
//! both eigenvectors from the mean, scaled by the square root of their eigenvalue, over a
//! pair of axes, with x and y on the same scale.
//!
//! With the query parameter format=json, or when the body's first line is "format=json",
//! the answer is the numbers as JSON instead:
//!     {"n":N,"mean":[mx,my],"covariance":[[cxx,cxy],[cxy,cyy]],
//!      "eigenvalues":[l1,l2],"eigenvectors":[[v1x,v1y],[v2x,v2y]]}    (l1 >= l2)
//! Malformed input is answered with 400 and a one-line message. Event input, integration
//! output: the whole `Request` in (for the query), a `Response` out (for its Content-Type).

mod cfmt;

use cfmt::g;
use sluice_fn::{register, Error, Function, InputMode, OutputMode, Request, Response};
use std::fmt::Write;

pub struct Pca;

struct Analysis {
    n: usize,
    mean: [f64; 2],
    cov: [f64; 3], // cxx, cxy, cyy
    lambda: [f64; 2],
    vec: [[f64; 2]; 2],
}

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r')
}

/// A decimal number (the grammar is checked here: Rust's parser alone would also take "inf"
/// and "NaN"). Rust's parser rounds correctly, as C's strtod does, so both see the same
/// doubles.
fn parse_number(s: &[u8]) -> Option<f64> {
    let mut i = 0;
    let mut digits = 0;
    let run = |i: &mut usize| {
        let start = *i;
        while *i < s.len() && s[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - start
    };
    if i < s.len() && (s[i] == b'+' || s[i] == b'-') {
        i += 1;
    }
    digits += run(&mut i);
    if i < s.len() && s[i] == b'.' {
        i += 1;
        digits += run(&mut i);
    }
    if digits == 0 {
        return None;
    }
    if i < s.len() && (s[i] == b'e' || s[i] == b'E') {
        i += 1;
        if i < s.len() && (s[i] == b'+' || s[i] == b'-') {
            i += 1;
        }
        if run(&mut i) == 0 {
            return None;
        }
    }
    if i != s.len() || s.len() > 400 {
        return None;
    }
    let v: f64 = std::str::from_utf8(s).ok()?.parse().ok()?;
    if v.is_finite() {
        Some(v)
    } else {
        None
    }
}

/// The body's numbers, checked to be at least two (x, y) pairs.
fn parse_points(s: &[u8]) -> Result<Vec<f64>, Error> {
    let bad = |m: String| Error::bad_request(m);
    let mut i = 0;
    let skip = |i: &mut usize| {
        while *i < s.len() && is_space(s[*i]) {
            *i += 1;
        }
    };
    skip(&mut i);
    if i == s.len() {
        return Err(bad("pca: no points given (expected x1,y1,x2,y2,...)".into()));
    }
    let mut v = Vec::new();
    loop {
        skip(&mut i);
        let start = i;
        while i < s.len() && s[i] != b',' && !is_space(s[i]) {
            i += 1;
        }
        let token = &s[start..i];
        match parse_number(token) {
            Some(d) => v.push(d),
            None => {
                let shown = String::from_utf8_lossy(&token[..token.len().min(40)]);
                return Err(bad(format!(
                    "pca: value {} is not a finite decimal number: \"{}\"",
                    v.len() + 1,
                    shown
                )));
            }
        }
        skip(&mut i);
        if i == s.len() {
            break;
        }
        if s[i] != b',' {
            return Err(bad(format!("pca: expected a comma after value {}", v.len())));
        }
        i += 1;
    }
    if v.len() % 2 == 1 {
        return Err(bad(format!("pca: odd number of values ({}): expected x,y pairs", v.len())));
    }
    if v.len() < 4 {
        return Err(bad(format!("pca: need at least 2 points, got {}", v.len() / 2)));
    }
    Ok(v)
}

/// The same operations in the same order as the C version, so the same doubles come out.
fn compute(v: &[f64]) -> Analysis {
    let n = v.len() / 2;
    let (mut sx, mut sy) = (0.0, 0.0);
    for p in v.chunks(2) {
        sx += p[0];
        sy += p[1];
    }
    let mean = [sx / n as f64, sy / n as f64];
    let (mut xx, mut xy, mut yy) = (0.0, 0.0, 0.0);
    for p in v.chunks(2) {
        let (dx, dy) = (p[0] - mean[0], p[1] - mean[1]);
        xx += dx * dx;
        xy += dx * dy;
        yy += dy * dy;
    }
    let d1 = (n - 1) as f64;
    let (a, b, c) = (xx / d1, xy / d1, yy / d1);
    // Eigenvalues of [[a,b],[b,c]]: m +- d with m the mean of the diagonal.
    let m = (a + c) / 2.0;
    let d = ((a - c) / 2.0).hypot(b);
    let lambda = [m + d, m - d];
    // An eigenvector of lambda0 is (b, l-a) or, equally, (l-c, b): take the longer one, which
    // is the better conditioned; the other eigenvector is perpendicular to it.
    let l = lambda[0];
    let (u1x, u1y, u2x, u2y) = (b, l - a, l - c, b);
    let (n1, n2) = (u1x.hypot(u1y), u2x.hypot(u2y));
    let (mut ux, mut uy) = (1.0, 0.0);
    if n1 >= n2 && n1 > 0.0 {
        ux = u1x / n1;
        uy = u1y / n1;
    } else if n2 > 0.0 {
        ux = u2x / n2;
        uy = u2y / n2;
    }
    // 0.0 - uy rather than -uy: no negative zero, as in C.
    Analysis { n, mean, cov: [a, b, c], lambda, vec: [[ux, uy], [0.0 - uy, ux]] }
}

fn write_json(r: &Analysis) -> Response {
    let num = |x: f64| g(x, 17);
    let body = format!(
        "{{\"n\":{},\"mean\":[{},{}],\"covariance\":[[{},{}],[{},{}]],\
         \"eigenvalues\":[{},{}],\"eigenvectors\":[[{},{}],[{},{}]]}}\n",
        r.n,
        num(r.mean[0]),
        num(r.mean[1]),
        num(r.cov[0]),
        num(r.cov[1]),
        num(r.cov[1]),
        num(r.cov[2]),
        num(r.lambda[0]),
        num(r.lambda[1]),
        num(r.vec[0][0]),
        num(r.vec[0][1]),
        num(r.vec[1][0]),
        num(r.vec[1][1])
    );
    Response::text("application/json", body)
}

const SVG_SIZE: f64 = 480.0;
const SVG_MARGIN: f64 = 48.0;

struct View {
    x0: f64,
    y0: f64,
    scale: f64,
}

impl View {
    fn px(&self, x: f64) -> f64 {
        SVG_MARGIN + (x - self.x0) * self.scale
    }
    fn py(&self, y: f64) -> f64 {
        SVG_SIZE - SVG_MARGIN - (y - self.y0) * self.scale
    }
}

/// x with two decimals, rounded as the C version's fixed2 does (half away from zero on
/// x * 100), for the coordinates of the points.
fn fixed2(x: f64) -> String {
    if !(x.abs() < 1e9) {
        return format!("{:.2}", x);
    }
    let c = (x * 100.0).round() as i64;
    format!("{}{}.{:02}", if c < 0 { "-" } else { "" }, c.abs() / 100, c.abs() % 100)
}

fn write_svg(r: &Analysis, v: &[f64]) -> Response {
    // The end points of both eigenvector segments.
    let mut ends = [[0.0; 2]; 2];
    for k in 0..2 {
        let s = if r.lambda[k] > 0.0 { r.lambda[k] } else { 0.0 }.sqrt();
        ends[k] = [r.mean[0] + s * r.vec[k][0], r.mean[1] + s * r.vec[k][1]];
    }
    let (mut lo, mut hi) = (r.mean, r.mean);
    for p in v.chunks(2).chain(ends.iter().map(|e| &e[..])) {
        for a in 0..2 {
            if p[a] < lo[a] {
                lo[a] = p[a];
            }
            if p[a] > hi[a] {
                hi[a] = p[a];
            }
        }
    }
    let mut span = (hi[0] - lo[0]).max(hi[1] - lo[1]);
    if !(span > 0.0) || !span.is_finite() {
        span = 1.0;
    }
    let inner = SVG_SIZE - 2.0 * SVG_MARGIN;
    let w = View {
        x0: lo[0] - (span - (hi[0] - lo[0])) / 2.0,
        y0: lo[1] - (span - (hi[1] - lo[1])) / 2.0,
        scale: inner / span,
    };
    let g6 = |x: f64| g(x, 6);
    let mut res = Response::text("image/svg+xml", Vec::new());
    // Writing to a Response cannot fail: the results of write! are Ok.
    let _ = write!(
        res,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{s}\" height=\"{s}\" \
         viewBox=\"0 0 {s} {s}\">\n<title>PCA of {n} points</title>\n\
         <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n",
        s = g6(SVG_SIZE),
        n = r.n
    );
    // Axes along the bottom and the left edge of the plot, labelled with their range.
    let (b, e) = (SVG_SIZE - SVG_MARGIN, SVG_SIZE - SVG_MARGIN / 2.0);
    let _ = write!(
        res,
        "<g class=\"axes\" stroke=\"black\" stroke-width=\"1\">\n\
         <line class=\"axis x-axis\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"/>\n\
         <line class=\"axis y-axis\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"/>\n</g>\n",
        g6(SVG_MARGIN),
        g6(b),
        g6(e),
        g6(b),
        g6(SVG_MARGIN),
        g6(b),
        g6(SVG_MARGIN),
        g6(SVG_MARGIN / 2.0)
    );
    let _ = write!(
        res,
        "<g class=\"labels\" font-family=\"sans-serif\" font-size=\"11\">\n\
         <text x=\"{}\" y=\"{}\">{}</text>\n\
         <text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>\n\
         <text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>\n\
         <text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>\n\
         <text x=\"{}\" y=\"{}\" text-anchor=\"middle\">x</text>\n\
         <text x=\"{}\" y=\"{}\" text-anchor=\"middle\">y</text>\n</g>\n",
        g6(SVG_MARGIN),
        g6(b + 16.0),
        g(w.x0, 4),
        g6(SVG_SIZE - SVG_MARGIN),
        g6(b + 16.0),
        g(w.x0 + span, 4),
        g6(SVG_MARGIN - 4.0),
        g6(b),
        g(w.y0, 4),
        g6(SVG_MARGIN - 4.0),
        g6(SVG_MARGIN + 4.0),
        g(w.y0 + span, 4),
        g6(SVG_SIZE / 2.0),
        g6(b + 30.0),
        g6(SVG_MARGIN / 2.0 - 8.0),
        g6(SVG_SIZE / 2.0)
    );
    let _ = writeln!(res, "<g class=\"points\" fill=\"steelblue\" fill-opacity=\"0.7\">");
    for p in v.chunks(2) {
        let _ = writeln!(
            res,
            "<circle class=\"point\" cx=\"{}\" cy=\"{}\" r=\"3\"/>",
            fixed2(w.px(p[0])),
            fixed2(w.py(p[1]))
        );
    }
    let _ = writeln!(res, "</g>");
    let colors = ["crimson", "darkorange"];
    for k in 0..2 {
        // {:.2} rounds the exact value ties-to-even, as printf's %.2f does.
        let _ = writeln!(
            res,
            "<line class=\"eigenvector\" data-eigenvalue=\"{}\" x1=\"{:.2}\" y1=\"{:.2}\" \
             x2=\"{:.2}\" y2=\"{:.2}\" stroke=\"{}\" stroke-width=\"2.5\"/>",
            g(r.lambda[k], 17),
            w.px(r.mean[0]),
            w.py(r.mean[1]),
            w.px(ends[k][0]),
            w.py(ends[k][1]),
            colors[k]
        );
    }
    let _ = writeln!(
        res,
        "<circle class=\"mean\" cx=\"{:.2}\" cy=\"{:.2}\" r=\"4\" fill=\"black\"/>",
        w.px(r.mean[0]),
        w.py(r.mean[1])
    );
    let _ = writeln!(res, "</svg>");
    res
}

impl Function<Request, Response> for Pca {
    const INPUT: InputMode = InputMode::Event;
    const OUTPUT: OutputMode = OutputMode::Integration;

    fn execute(&self, req: Request) -> Result<Response, Error> {
        let format = req.query("format");
        let mut json = format == Some("json");
        let mut body = req.body();
        const FLAG: &[u8] = b"format=json";
        if body.starts_with(FLAG) && matches!(body.get(FLAG.len()).copied(), None | Some(b'\n' | b'\r')) {
            json = true;
            body = &body[FLAG.len()..];
        } else if let Some(f) = format.filter(|f| !json && *f != "svg") {
            return Err(Error::bad_request(format!("pca: unknown format \"{}\" (svg or json)", f)));
        }
        let v = parse_points(body)?;
        let r = compute(&v);
        if !(r.cov.iter().sum::<f64>() + r.lambda[0] + r.lambda[1]).is_finite() {
            return Err(Error::bad_request("pca: values too large to compute with"));
        }
        Ok(if json { write_json(&r) } else { write_svg(&r, &v) })
    }
}

register!(Pca);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        assert_eq!(parse_number(b"-1.5e3"), Some(-1500.0));
        assert_eq!(parse_number(b"5."), Some(5.0));
        assert_eq!(parse_number(b".5"), Some(0.5));
        for bad in ["", "inf", "nan", "0x10", "1e", "1e999", "+", ".", "1.2.3"] {
            assert_eq!(parse_number(bad.as_bytes()), None, "{}", bad);
        }
    }

    #[test]
    fn fixed() {
        assert_eq!(fixed2(240.125), "240.13");
        assert_eq!(fixed2(-0.004), "0.00");
        assert_eq!(fixed2(-1.5), "-1.50");
    }
}
