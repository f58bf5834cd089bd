//! Student's t distribution (functions/anomaly/tdist.c in C), through the regularized
//! incomplete beta function:
//!
//!     P(T > t) = I_x(df/2, 1/2) / 2    with x = df / (df + t^2), for t >= 0,
//!
//! with I_x(a, b) evaluated by its continued fraction (Abramowitz & Stegun 26.5.8) and the
//! quantile found by a bracketed, safeguarded Newton iteration on t.

/// The Stirling series of log Gamma(z) past its leading terms: sum B_2k / (2k (2k-1) z^(2k-1)),
/// to the z^-7 term (its error is below 1e-21 for z >= 100).
fn stirling_tail(z: f64) -> f64 {
    let r = 1.0 / z;
    let r2 = r * r;
    r * (1.0 / 12.0 - r2 * (1.0 / 360.0 - r2 * (1.0 / 1260.0 - r2 / 1680.0)))
}

/// log Gamma(a + 1/2) - log Gamma(a) for a >= 100, from the Stirling series: its leading
/// terms (a + 1/2 - 1/2) log(a + 1/2) - (a - 1/2) log a - 1/2 are folded into
/// 1/2 log a + a log1p(1/(2a)) - 1/2, which does not cancel.
fn log_gamma_half_step(a: f64) -> f64 {
    0.5 * a.ln() + (a * (0.5 / a).ln_1p() - 0.5) + stirling_tail(a + 0.5) - stirling_tail(a)
}

/// log B(a, 1/2) = log Gamma(a) + log Gamma(1/2) - log Gamma(a + 1/2), the normalization of the
/// t distribution with 2a degrees of freedom. The C version takes lgamma for a < 100, which
/// Rust's standard library lacks; here the difference of the two log Gammas comes from the
/// Stirling series at a + k >= 100 and the recurrence Gamma(z + 1) = z Gamma(z) back down:
/// log Gamma(a + 1/2) - log Gamma(a) = D(a + k) - sum over j < k of log1p(1 / (2 (a + j))),
/// each term without cancellation (the tail probabilities agree with C's to ~1e-14).
fn log_beta_half(a: f64) -> f64 {
    const LOG_SQRT_PI: f64 = 0.572_364_942_924_700_087_07; // log Gamma(1/2)
    let mut z = a;
    let mut down = 0.0;
    while z < 100.0 {
        down += (0.5 / z).ln_1p();
        z += 1.0;
    }
    LOG_SQRT_PI - (log_gamma_half_step(z) - down)
}

/// The continued fraction of I_x(a, b), evaluated with the modified Lentz method: x^a (1-x)^b /
/// (a B(a,b)) times it is I_x(a, b). It converges quickly for x < (a+1)/(a+b+2); the caller
/// uses the symmetry I_x(a, b) = 1 - I_{1-x}(b, a) otherwise.
fn beta_cf(a: f64, b: f64, x: f64) -> f64 {
    const TINY: f64 = 1e-300;
    let guard = |v: f64| if v.abs() < TINY { TINY } else { v };
    let mut c = 1.0;
    let mut d = 1.0 / guard(1.0 - (a + b) * x / (a + 1.0));
    let mut f = d;
    // Terms grow with sqrt(max(a, b)) near the mean: ample for df up to ~10^8.
    for m in 1..=20000 {
        let m = f64::from(m);
        // the even term d_{2m}, then the odd one d_{2m+1}
        let num = m * (b - m) * x / ((a + 2.0 * m - 1.0) * (a + 2.0 * m));
        d = 1.0 / guard(1.0 + num * d);
        c = guard(1.0 + num / c);
        f *= d * c;
        let num = -(a + m) * (a + b + m) * x / ((a + 2.0 * m) * (a + 2.0 * m + 1.0));
        d = 1.0 / guard(1.0 + num * d);
        c = guard(1.0 + num / c);
        let step = d * c;
        f *= step;
        if (step - 1.0).abs() < 1e-16 {
            break;
        }
    }
    f
}

/// I_x(a, b) with y = 1 - x; log_x and log_y their logarithms (from the caller, who can
/// compute them without cancellation) and log_b = log B(a, b).
fn inc_beta(a: f64, b: f64, x: f64, y: f64, log_x: f64, log_y: f64, log_b: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if y <= 0.0 {
        return 1.0;
    }
    let front = (a * log_x + b * log_y - log_b).exp();
    if x < (a + 1.0) / (a + b + 2.0) {
        front * beta_cf(a, b, x) / a
    } else {
        1.0 - front * beta_cf(b, a, y) / b
    }
}

/// P(T > t) for T ~ Student's t with df > 0 degrees of freedom.
pub fn t_sf(t: f64, df: f64) -> f64 {
    if t.is_nan() || !(df > 0.0) {
        return f64::NAN;
    }
    if t.is_infinite() {
        return if t > 0.0 { 0.0 } else { 1.0 };
    }
    let t2 = t * t;
    // x = df/(df+t^2) and y = t^2/(df+t^2) both computed directly: for small t, y would
    // lose its digits as 1 - x, and for large t, x as 1 - y.
    let (mut x, mut y) = (df / (df + t2), t2 / (df + t2));
    let (mut log_x, mut log_y) = (-(t2 / df).ln_1p(), t2.ln() - (df + t2).ln());
    if t2.is_infinite() {
        // |t| > ~1e154
        x = df / t2;
        y = 1.0;
        log_x = df.ln() - t2.ln();
        log_y = 0.0;
    }
    let upper = 0.5 * inc_beta(df / 2.0, 0.5, x, y, log_x, log_y, log_beta_half(df / 2.0));
    // upper is P(T > |t|)
    if t >= 0.0 {
        upper
    } else {
        1.0 - upper
    }
}

/// The density of T at t.
fn t_pdf(t: f64, df: f64) -> f64 {
    (-log_beta_half(df / 2.0) - 0.5 * df.ln() - (df + 1.0) / 2.0 * (t * t / df).ln_1p()).exp()
}

/// The quantile: the t with P(T <= t) = p, for 0 < p < 1 and df > 0 (NaN outside).
pub fn t_quantile(p: f64, df: f64) -> f64 {
    if !(p > 0.0 && p < 1.0) || !(df > 0.0) {
        return f64::NAN;
    }
    if p == 0.5 {
        return 0.0;
    }
    // Solve P(T > t) = q for t > 0 in the upper half; the lower half is its mirror. For
    // p > 0.5, 1 - p is exact (Sterbenz), so nothing is lost forming q.
    let q = if p > 0.5 { 1.0 - p } else { p };
    let sign = if p > 0.5 { 1.0 } else { -1.0 };
    // Bracket the root: t_sf is decreasing, and 0.5 at 0 (> q).
    let (mut lo, mut hi) = (0.0_f64, 1.0_f64);
    while t_sf(hi, df) > q {
        lo = hi;
        hi *= 2.0;
        if hi.is_infinite() {
            return sign * f64::INFINITY;
        }
    }
    // Newton on f(t) = t_sf(t) - q, whose derivative is -pdf(t), every step checked against
    // the bracket, with bisection (geometric while the bracket spans orders of magnitude)
    // when it would leave it or when the density underflows.
    let mut t = if lo > 0.0 { lo } else { hi / 2.0 };
    for _ in 0..400 {
        let f = t_sf(t, df) - q;
        if f == 0.0 {
            return sign * t;
        }
        if f > 0.0 {
            lo = t;
        } else {
            hi = t;
        }
        let pdf = t_pdf(t, df);
        let mut next = if pdf > 0.0 { t + f / pdf } else { f64::NAN };
        if !(next > lo && next < hi) {
            next = if lo > 0.0 && hi / lo > 4.0 { (lo * hi).sqrt() } else { lo + (hi - lo) / 2.0 };
        }
        let done = (next - t).abs() <= 4.0 * f64::EPSILON * t || hi - lo <= 4.0 * f64::EPSILON * hi;
        t = next;
        if done {
            break;
        }
    }
    sign * t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closed_forms() {
        // df = 1 is the Cauchy distribution, tan(pi (p - 1/2)); df = 2 has
        // t = (2p - 1) / sqrt(2 p (1 - p)).
        for &p in &[0.6, 0.9, 0.975, 0.999, 0.3, 1e-6] {
            let cauchy = (std::f64::consts::PI * (p - 0.5)).tan();
            let two = (2.0 * p - 1.0) / (2.0 * p * (1.0 - p)).sqrt();
            assert!((t_quantile(p, 1.0) / cauchy - 1.0).abs() < 1e-9, "df 1, p {}", p);
            assert!((t_quantile(p, 2.0) / two - 1.0).abs() < 1e-12, "df 2, p {}", p);
        }
    }

    #[test]
    fn quantile_inverts_the_tail() {
        for &df in &[3.0, 8.0, 30.0, 199.0, 997.0, 20000.0] {
            for &p in &[0.6, 0.975, 0.9995, 1.0 - 1e-7] {
                let t = t_quantile(p, df);
                assert!((t_sf(t, df) / (1.0 - p) - 1.0).abs() < 1e-11, "df {}, p {}", df, p);
                assert_eq!(t_quantile(1.0 - p, df), -t);
            }
        }
    }
}
