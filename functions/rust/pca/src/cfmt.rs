//! printf's `%.Pg` for Rust, which has no such format: the C function prints its numbers with
//! it, and the port must answer with the same bytes.

/// `x` as C's `printf("%.*g", precision, x)` writes it: `precision` significant digits
/// (at least 1), in fixed notation when the decimal exponent X of the rounded value is
/// -4 <= X < precision, else as `d.ddde+XX`, trailing zeros removed in both.
pub fn g(x: f64, precision: usize) -> String {
    if x.is_nan() {
        return if x.is_sign_negative() { "-nan" } else { "nan" }.to_string();
    }
    if x.is_infinite() {
        return if x < 0.0 { "-inf" } else { "inf" }.to_string();
    }
    let p = precision.max(1);
    // Rust's `{:.Ne}` is correctly rounded (ties to even on the exact value), as printf is;
    // everything below is rearranging its digits, never rounding again.
    let e = format!("{:.*e}", p - 1, x);
    let (mantissa, exp) = e.split_once('e').expect("{:e} has an exponent");
    let exp: i32 = exp.parse().expect("{:e} has a decimal exponent");
    let negative = mantissa.starts_with('-');
    let digits: String = mantissa.chars().filter(|c| c.is_ascii_digit()).collect();
    let mut out = String::new();
    if negative {
        out.push('-');
    }
    if (-4..p as i32).contains(&exp) {
        // Fixed notation: the same digits with the point moved.
        if exp >= 0 {
            let point = exp as usize + 1;
            out.push_str(&digits[..point]);
            let frac = digits[point..].trim_end_matches('0');
            if !frac.is_empty() {
                out.push('.');
                out.push_str(frac);
            }
        } else {
            let frac = digits.trim_end_matches('0');
            out.push_str("0.");
            out.push_str(&"0".repeat((-exp - 1) as usize));
            out.push_str(frac);
        }
    } else {
        let frac = digits[1..].trim_end_matches('0');
        out.push_str(&digits[..1]);
        if !frac.is_empty() {
            out.push('.');
            out.push_str(frac);
        }
        out.push_str(&format!("e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::g;

    #[test]
    fn like_printf() {
        let cases: &[(f64, usize, &str)] = &[
            (480.0, 6, "480"),
            (0.0, 6, "0"),
            (-0.0, 17, "-0"),
            (0.1, 17, "0.10000000000000001"),
            (1.0 / 3.0, 17, "0.33333333333333331"),
            (1e22, 17, "1e+22"),
            (1.5e-5, 4, "1.5e-05"),
            (0.0001234, 4, "0.0001234"),
            (123456.0, 4, "1.235e+05"),
            (9999.5, 4, "1e+04"),
            (-2.5, 1, "-2"),
            (12.5, 2, "12"),
            (4.35, 2, "4.3"),
            (f64::MAX, 17, "1.7976931348623157e+308"),
            (5e-324, 17, "4.9406564584124654e-324"),
        ];
        for &(x, p, want) in cases {
            assert_eq!(g(x, p), want, "%.{}g of {:e}", p, x);
        }
    }
}
