//! STL (Cleveland, Cleveland, McRae and Terpenning, "STL: A Seasonal-Trend Decomposition
//! Procedure Based on Loess", Journal of Official Statistics 6, 1990), with every smoother
//! evaluated at every point: functions/anomaly/stl.c in C, the same arithmetic in the same
//! order so that both give the same decomposition.
//!
//! Each pass of the inner loop, starting from trend T (0 at first):
//!   1. detrend: D = Y - T;
//!   2. smooth each cycle-subseries of D (the values at one position in the cycle) with loess,
//!      extended by one value at each end, giving C over n + 2 period points;
//!   3. low-pass filter C: moving averages of length period, period and 3, then loess;
//!   4. seasonal S = C - low-pass (C's middle n points);
//!   5. trend T = loess of the deseasonalized Y - S.
//! The outer loop then gives each point a robustness weight from its remainder
//! R = Y - S - T, bisquare(|R| / (6 median |R|)), used by the loess of steps 2 and 5 in the
//! following passes.
//!
//! Loess: tricube neighbourhood weights over the span's nearest points (the neighbourhood
//! distance grows by (span - n) / 2 when the span exceeds the series), a local constant or
//! line, points of zero total weight left unsmoothed, and the thresholds of the authors'
//! reference implementation (weight 1 within 0.001 of the distance, 0 beyond 0.999).

pub struct Params {
    pub period: usize,
    /// Spans (odd, >= 3) and degrees (0: local constant, 1: local line) of the smoothers.
    pub seasonal: usize,
    pub trend: usize,
    pub low_pass: usize,
    pub seasonal_degree: u32,
    pub trend_degree: u32,
    pub low_pass_degree: u32,
    /// Passes of the inner loop per outer iteration, and robustness iterations.
    pub inner: u32,
    pub outer: u32,
}

/// The parameters S-H-ESD uses for n observations: R's stl(x, s.window = "periodic",
/// robust = TRUE): seasonal span 10n+1 with degree 0, trend span
/// nextodd(ceil(1.5 period / (1 - 1.5 / (10n+1)))) with degree 1, 1 inner and 15 outer
/// iterations; the low-pass span is the smallest odd number above the period.
pub fn periodic_params(n: usize, period: usize) -> Params {
    let seasonal = 10 * n + 1;
    let mut trend = (1.5 * period as f64 / (1.0 - 1.5 / seasonal as f64)).ceil() as usize;
    trend += usize::from(trend % 2 == 0);
    Params {
        period,
        seasonal,
        trend,
        low_pass: period + 1 + usize::from(period % 2 == 1),
        seasonal_degree: 0,
        trend_degree: 1,
        low_pass_degree: 1,
        inner: 1,
        outer: 15,
    }
}

fn tricube(r: f64, h: f64) -> f64 {
    let u = r / h;
    let u = 1.0 - u * u * u;
    u * u * u
}

/// The loess estimate at abscissa xs from the points (j, y[j-1]) with left <= j <= right, in
/// a series of n points (positions are 1-based, as in the paper, so that an extrapolation to
/// the left is at 0). rw: robustness weights; w: scratch for n weights. None when the
/// neighbourhood has no weight at all.
#[allow(clippy::too_many_arguments)]
fn loess_at(
    y: &[f64],
    span: usize,
    degree: u32,
    xs: f64,
    left: usize,
    right: usize,
    rw: Option<&[f64]>,
    w: &mut [f64],
) -> Option<f64> {
    let n = y.len();
    let mut h = (xs - left as f64).max(right as f64 - xs);
    if span > n {
        h += ((span - n) / 2) as f64;
    }
    let (near, far) = (0.001 * h, 0.999 * h);
    let mut total = 0.0;
    if degree == 0 {
        // A local constant is the weighted mean: one pass, without storing the weights.
        let mut s = 0.0;
        for j in left..=right {
            let r = (j as f64 - xs).abs();
            if r > far {
                continue;
            }
            let mut wj = if r <= near { 1.0 } else { tricube(r, h) };
            if let Some(rw) = rw {
                wj *= rw[j - 1];
            }
            total += wj;
            s += wj * y[j - 1];
        }
        return if total <= 0.0 { None } else { Some(s / total) };
    }
    for j in left..=right {
        let r = (j as f64 - xs).abs();
        let mut wj = 0.0;
        if r <= far {
            wj = if r <= near { 1.0 } else { tricube(r, h) };
            if let Some(rw) = rw {
                wj *= rw[j - 1];
            }
            total += wj;
        }
        w[j - 1] = wj;
    }
    if total <= 0.0 {
        return None;
    }
    for wj in &mut w[left - 1..right] {
        *wj /= total;
    }
    if h > 0.0 {
        // A local line: fold the weighted least-squares slope into the weights. Skipped when
        // the weighted abscissas barely spread (the slope would be ill-determined).
        let mut center = 0.0;
        for j in left..=right {
            center += w[j - 1] * j as f64;
        }
        let mut spread = 0.0;
        for j in left..=right {
            let d = j as f64 - center;
            spread += w[j - 1] * d * d;
        }
        if spread.sqrt() > 0.001 * (n - 1) as f64 {
            let slope = (xs - center) / spread;
            for j in left..=right {
                w[j - 1] *= slope * (j as f64 - center) + 1.0;
            }
        }
    }
    let mut s = 0.0;
    for j in left..=right {
        s += w[j - 1] * y[j - 1];
    }
    Some(s)
}

/// Loess of y at each of its points into ys, with the span's nearest neighbours.
fn loess_series(y: &[f64], span: usize, degree: u32, rw: Option<&[f64]>, ys: &mut [f64], w: &mut [f64]) {
    let n = y.len();
    if n < 2 {
        ys[0] = y[0];
        return;
    }
    let (mut left, mut right, half) = (1, span.min(n), (span + 1) / 2);
    for i in 1..=n {
        // the window slides once the point is past its middle, until it reaches the end
        if span < n && i > half && right != n {
            left += 1;
            right += 1;
        }
        ys[i - 1] = loess_at(y, span, degree, i as f64, left, right, rw, w).unwrap_or(y[i - 1]);
    }
}

/// A local-constant loess whose neighbourhood is the whole series and much wider than it (the
/// cycle-subseries smoother of S-H-ESD, span 10 n + 1) has for every point the tricube weight
/// 1 - 3u^3 + 3u^6 - u^9 of u = |j - xs| / h, or 1 close to xs. Expanding (j - xs)^m
/// binomially turns each fit into sums of a_j j^l, l <= 9, over ranges of j, which prefix
/// sums give in O(1): a subseries of k points costs O(k) instead of O(k^2).
const WIDE_POWERS: usize = 10; // j^0 .. j^9

struct WideFit<'a> {
    k: usize,
    span: usize,
    /// Prefix moments: p[l * (k + 1) + J] = sum over j <= J of a_j j^l, with a_j = rw_j y_j
    /// (pv) and rw_j (pw); rw_j = 1 without robustness weights.
    pv: &'a mut [f64],
    pw: &'a mut [f64],
}

impl WideFit<'_> {
    fn prepare(&mut self, y: &[f64], rw: Option<&[f64]>) {
        let k = self.k;
        for l in 0..WIDE_POWERS {
            self.pv[l * (k + 1)] = 0.0;
            self.pw[l * (k + 1)] = 0.0;
        }
        for j in 1..=k {
            let r = rw.map_or(1.0, |rw| rw[j - 1]);
            let a = r * y[j - 1];
            let mut power = 1.0;
            for l in 0..WIDE_POWERS {
                let at = l * (k + 1) + j;
                self.pv[at] = self.pv[at - 1] + a * power;
                self.pw[at] = self.pw[at - 1] + r * power;
                power *= j as f64;
            }
        }
    }

    /// The fit at xs (an integer, 0..k+1) over all k points: Some(fit), Some(None) when they
    /// have no weight, or None when some point is beyond 0.999 h (then loess_at must do it).
    fn fit_at(&self, xs: f64) -> Option<Option<f64>> {
        let k = self.k;
        let reach = (xs - 1.0).max(k as f64 - xs);
        let h = reach + ((self.span - k) / 2) as f64;
        if reach > 0.999 * h {
            return None;
        }
        let (mut wv, mut ww) = (self.pv[k], self.pw[k]); // the l = 0 sums over all points
        if ww <= 0.0 {
            return Some(None); // robustness weights are >= 0: all are 0
        }
        // the points within 0.001 h of xs weigh 1; the rest, |j - xs| >= gap, get the tricube
        let x = xs as i64;
        let gap = (0.001 * h).floor() as i64 + 1;
        if x - gap >= 1 {
            let hi = (x - gap) as usize;
            wv -= far_sum(self.pv, k, 1, hi, xs, -1.0, h);
            ww -= far_sum(self.pw, k, 1, hi, xs, -1.0, h);
        }
        if x + gap <= k as i64 {
            let lo = (x + gap) as usize;
            wv -= far_sum(self.pv, k, lo, k, xs, 1.0, h);
            ww -= far_sum(self.pw, k, lo, k, xs, 1.0, h);
        }
        Some(Some(wv / ww))
    }
}

/// Over j in [lo, hi] (1 <= lo <= hi <= k), the sum of a_j (1 - w_j) = a_j (3u^3 - 3u^6 + u^9)
/// with u = |j - xs| / h; side is +1 when all j > xs, -1 when all j < xs.
fn far_sum(p: &[f64], k: usize, lo: usize, hi: usize, xs: f64, side: f64, h: f64) -> f64 {
    let mut q = [0.0; WIDE_POWERS];
    let mut neg_xs = [1.0; WIDE_POWERS];
    for l in 0..WIDE_POWERS {
        q[l] = p[l * (k + 1) + hi] - p[l * (k + 1) + lo - 1];
    }
    for e in 1..WIDE_POWERS {
        neg_xs[e] = neg_xs[e - 1] * -xs;
    }
    let mut total = 0.0;
    for (m, coef) in [(3usize, 3.0), (6, -3.0), (9, 1.0)] {
        // sum of a_j (j - xs)^m = sum over l of C(m, l) (-xs)^(m-l) sum of a_j j^l
        let (mut d, mut binom) = (0.0, 1.0);
        for l in 0..=m {
            d += binom * neg_xs[m - l] * q[l];
            binom = binom * (m - l) as f64 / (l + 1) as f64;
        }
        if m % 2 == 1 {
            d *= side; // |j - xs|^m = (side (j - xs))^m
        }
        total += coef * d / h.powf(m as f64);
    }
    total
}

struct Scratch {
    cycle: Vec<f64>,   // n + 2 period: the smoothed subseries, one cycle beyond each end
    w: Vec<f64>,       // n + 2 period: loess weights
    work: Vec<f64>,    // n: detrended, then deseasonalized data
    ma1: Vec<f64>,     // n + period + 1, then the low-pass result (n)
    ma2: Vec<f64>,     // n + 2
    ma3: Vec<f64>,     // n
    sub: Vec<f64>,     // k: one subseries
    sub_rw: Vec<f64>,  // k: its robustness weights
    sub_fit: Vec<f64>, // k + 2: its fit, one beyond each end
    moments: Vec<f64>, // 2 WIDE_POWERS (k + 1): the prefix sums of a WideFit
}

/// Step 2: loess of each cycle-subseries of x, extended by one value at each end.
fn smooth_subseries(x: &[f64], p: &Params, rw: Option<&[f64]>, s: &mut Scratch) {
    let n = x.len();
    let (np, ns) = (p.period, p.seasonal);
    for j in 0..np {
        let k = (n - 1 - j) / np + 1;
        for m in 0..k {
            s.sub[m] = x[m * np + j];
            if let Some(rw) = rw {
                s.sub_rw[m] = rw[m * np + j];
            }
        }
        let sub = &s.sub[..k];
        let srw = rw.map(|_| &s.sub_rw[..k]);
        let fit = &mut s.sub_fit;
        let right = ns.min(k);
        let left = if k >= ns { k - ns + 1 } else { 1 };
        if p.seasonal_degree == 0 && ns > k && k >= 2 {
            let (pv, pw) = s.moments.split_at_mut(WIDE_POWERS * (k + 1));
            let mut f = WideFit { k, span: ns, pv, pw };
            f.prepare(sub, srw);
            // fit[m] at xs = m, 0..k+1: the points first, as the extrapolations at 0 and k + 1
            // fall back on the fits next to them
            for i in 0..k + 2 {
                let m = if i < k { i + 1 } else if i == k { 0 } else { k + 1 };
                let r = match f.fit_at(m as f64) {
                    Some(r) => r,
                    None => loess_at(sub, ns, 0, m as f64, 1, k, srw, &mut s.w),
                };
                fit[m] = r.unwrap_or(if m == 0 {
                    fit[1]
                } else if m == k + 1 {
                    fit[k]
                } else {
                    sub[m - 1]
                });
            }
        } else {
            loess_series(sub, ns, p.seasonal_degree, srw, &mut fit[1..k + 1], &mut s.w);
            fit[0] = loess_at(sub, ns, p.seasonal_degree, 0.0, 1, right, srw, &mut s.w)
                .unwrap_or(fit[1]);
            fit[k + 1] = loess_at(sub, ns, p.seasonal_degree, (k + 1) as f64, left, k, srw, &mut s.w)
                .unwrap_or(fit[k]);
        }
        for m in 0..k + 2 {
            s.cycle[m * np + j] = fit[m];
        }
    }
}

/// Moving average of length len over x into out[0..x.len()-len+1), as a running sum.
fn moving_average(x: &[f64], len: usize, out: &mut [f64]) {
    let mut v = 0.0;
    for &xi in &x[..len] {
        v += xi;
    }
    out[0] = v / len as f64;
    for j in 1..=x.len() - len {
        v = v - x[j - 1] + x[j + len - 1];
        out[j] = v / len as f64;
    }
}

/// One pass of the inner loop: updates seasonal and trend.
fn inner_pass(y: &[f64], p: &Params, rw: Option<&[f64]>, seasonal: &mut [f64], trend: &mut [f64], s: &mut Scratch) {
    let n = y.len();
    let np = p.period;
    for i in 0..n {
        s.work[i] = y[i] - trend[i];
    }
    let work = std::mem::take(&mut s.work);
    smooth_subseries(&work, p, rw, s);
    s.work = work;
    // Step 3: the three moving averages take n + 2 period points back to n; the low-pass
    // loess has no robustness weights.
    moving_average(&s.cycle[..n + 2 * np], np, &mut s.ma1);
    moving_average(&s.ma1[..n + np + 1], np, &mut s.ma2);
    moving_average(&s.ma2[..n + 2], 3, &mut s.ma3);
    loess_series(&s.ma3[..n], p.low_pass, p.low_pass_degree, None, &mut s.ma1[..n], &mut s.w);
    for i in 0..n {
        seasonal[i] = s.cycle[np + i] - s.ma1[i];
        s.work[i] = y[i] - seasonal[i];
    }
    loess_series(&s.work[..n], p.trend, p.trend_degree, rw, trend, &mut s.w);
}

/// Robustness weights from the remainders: bisquare(|r| / h) with h six times their median
/// absolute value (with the reference implementation's thresholds near 0 and h).
fn robustness_weights(y: &[f64], seasonal: &[f64], trend: &[f64], rw: &mut [f64], abs_r: &mut [f64]) {
    let n = y.len();
    for i in 0..n {
        abs_r[i] = (y[i] - (trend[i] + seasonal[i])).abs();
    }
    abs_r.sort_unstable_by(|a, b| a.partial_cmp(b).expect("remainders are finite"));
    let h = 3.0 * (abs_r[n / 2] + abs_r[n - n / 2 - 1]); // 6 x the median
    for i in 0..n {
        let r = (y[i] - (trend[i] + seasonal[i])).abs();
        rw[i] = if r <= 0.001 * h {
            1.0
        } else if r <= 0.999 * h {
            let u = r / h;
            let u = 1.0 - u * u;
            u * u
        } else {
            0.0
        };
    }
}

/// Decompose y (at least 2 periods) into (seasonal, trend); the remainder is
/// y - seasonal - trend.
pub fn decompose(y: &[f64], p: &Params) -> (Vec<f64>, Vec<f64>) {
    let n = y.len();
    let np = p.period;
    let k = (n + np - 1) / np;
    let mut s = Scratch {
        cycle: vec![0.0; n + 2 * np],
        w: vec![0.0; n + 2 * np],
        work: vec![0.0; n],
        ma1: vec![0.0; n + np + 1],
        ma2: vec![0.0; n + 2],
        ma3: vec![0.0; n],
        sub: vec![0.0; k],
        sub_rw: vec![0.0; k],
        sub_fit: vec![0.0; k + 2],
        moments: vec![0.0; 2 * WIDE_POWERS * (k + 1)],
    };
    let (mut seasonal, mut trend) = (vec![0.0; n], vec![0.0; n]);
    let (mut rw, mut abs_r) = (vec![0.0; n], vec![0.0; n]);
    for outer in 0..=p.outer {
        for _ in 0..p.inner {
            let weights = if outer > 0 { Some(&rw[..]) } else { None };
            inner_pass(y, p, weights, &mut seasonal, &mut trend, &mut s);
        }
        if outer < p.outer {
            robustness_weights(y, &seasonal, &trend, &mut rw, &mut abs_r);
        }
    }
    (seasonal, trend)
}

/// Replace seasonal by its mean over each position in the cycle, as R's stl does for
/// s.window = "periodic", which makes the seasonal component exactly periodic.
pub fn make_periodic(seasonal: &mut [f64], period: usize) {
    let n = seasonal.len();
    for j in 0..period.min(n) {
        let (mut sum, mut count) = (0.0, 0usize);
        for i in (j..n).step_by(period) {
            sum += seasonal[i];
            count += 1;
        }
        let mean = sum / count as f64;
        for i in (j..n).step_by(period) {
            seasonal[i] = mean;
        }
    }
}
