//! The generalized ESD test (Rosner 1983) with the median and the median absolute deviation
//! in place of the mean and the standard deviation, as Twitter's S-H-ESD uses it
//! (functions/anomaly/esd.c in C).
//!
//! Done naively, each of up to n/2 rounds computes a median and a MAD of what is left:
//! O(n^2). But the point removed is always the largest or the smallest one left, so with the
//! values sorted once, what is left is a contiguous range [lo, hi) of the sorted array: the
//! median is read off its middle, and the MAD is a selection in two sorted sequences (the
//! distances below the median, increasing downwards, and above it, increasing upwards),
//! found by binary search.

use crate::tdist::t_quantile;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    Both,
    Pos,
    Neg,
}

#[derive(Clone, Copy)]
struct Point {
    v: f64,
    index: usize, // in x
}

/// The sorted values of [lo, hi) seen as two sequences of distances from med, both
/// increasing: below(t) = med - a[mid - 1 - t] for t < mid - lo, above(t) = a[mid + t] - med
/// for t < hi - mid (a[mid - 1] <= med <= a[mid]).
struct Split<'a> {
    a: &'a [Point],
    lo: usize,
    mid: usize,
    hi: usize,
    med: f64,
}

impl Split<'_> {
    fn below(&self, t: usize) -> f64 {
        self.med - self.a[self.mid - 1 - t].v
    }
    fn above(&self, t: usize) -> f64 {
        self.a[self.mid + t].v - self.med
    }

    /// The k-th smallest (from 0) of the union of both distance sequences: the i smallest of
    /// "below" and k + 1 - i of "above" make up the k + 1 smallest for exactly the i where
    /// neither side's last taken exceeds the other side's first left out.
    fn kth_distance(&self, k: usize) -> f64 {
        let (nb, na) = (self.mid - self.lo, self.hi - self.mid);
        let mut lo = if k + 1 > na { k + 1 - na } else { 0 };
        let mut hi = (k + 1).min(nb);
        loop {
            let i = lo + (hi - lo) / 2;
            let j = k + 1 - i;
            if i < nb && j > 0 && self.above(j - 1) > self.below(i) {
                lo = i + 1; // takes too few from below
            } else if i > 0 && j < na && self.below(i - 1) > self.above(j) {
                hi = i - 1; // takes too many
            } else if i == 0 {
                return self.above(j - 1);
            } else if j == 0 {
                return self.below(i - 1);
            } else {
                return self.below(i - 1).max(self.above(j - 1));
            }
        }
    }
}

/// The median and MAD (x 1.4826, R's mad) of the sorted a[lo, hi).
fn median_mad(a: &[Point], lo: usize, hi: usize) -> (f64, f64) {
    let m = hi - lo;
    let mid = lo + m / 2;
    let med = if m % 2 == 1 { a[mid].v } else { (a[mid - 1].v + a[mid].v) / 2.0 };
    let s = Split { a, lo, mid, hi, med };
    let mut dev = s.kth_distance((m - 1) / 2);
    if m % 2 == 0 {
        dev = (dev + s.kth_distance(m / 2)) / 2.0;
    }
    (med, 1.4826 * dev)
}

/// Among the points equal to the end value a[at] (at = lo or hi - 1), move the earliest in
/// time to a[at], where it is removed: R's S-H-ESD takes the first of tied points.
fn earliest_to_end(a: &mut [Point], lo: usize, hi: usize, at: usize) {
    let mut best = at;
    if at == lo {
        let mut t = lo + 1;
        while t < hi && a[t].v == a[at].v {
            if a[t].index < a[best].index {
                best = t;
            }
            t += 1;
        }
    } else {
        let mut t = at;
        while t > lo && a[t - 1].v == a[at].v {
            t -= 1;
            if a[t].index < a[best].index {
                best = t;
            }
        }
    }
    a.swap(at, best);
}

/// The median of x (n >= 1; the mean of the middle two for an even n).
pub fn median(x: &[f64]) -> f64 {
    let mut c = x.to_vec();
    c.sort_unstable_by(|a, b| a.partial_cmp(b).expect("values are finite"));
    let n = c.len();
    if n % 2 == 1 {
        c[n / 2]
    } else {
        (c[n / 2 - 1] + c[n / 2]) / 2.0
    }
}

/// Test x for up to max_outliers outliers at significance alpha: for i = 1, 2, ..., remove
/// the point farthest from the median of those left (above it for Pos, below for Neg; the
/// earliest one on ties), with R_i its distance over their MAD, and compare R_i with the
/// critical value lambda_i from Student's t; the outliers are the first k points removed, k
/// the largest i with R_i > lambda_i. Stops early when the MAD of what is left is at most
/// `zero` (the rounding noise of x). Returns the flags. max_outliers is cut to n - 2.
pub fn test(x: &[f64], max_outliers: usize, alpha: f64, dir: Direction, zero: f64) -> Vec<bool> {
    let n = x.len();
    let mut is_anomaly = vec![false; n];
    if n < 3 {
        return is_anomaly;
    }
    let max_outliers = max_outliers.min(n - 2);
    let mut a: Vec<Point> = x.iter().enumerate().map(|(index, &v)| Point { v, index }).collect();
    a.sort_unstable_by(|p, q| {
        p.v.partial_cmp(&q.v).expect("values are finite").then(p.index.cmp(&q.index))
    });
    let mut removed = Vec::with_capacity(max_outliers);
    let (mut lo, mut hi) = (0, n);
    let mut found = 0;
    for i in 1..=max_outliers {
        let (med, mad) = median_mad(&a, lo, hi);
        if mad <= zero {
            break; // what is left is mostly one value: no scale to test with
        }
        let r_top = (a[hi - 1].v - med) / mad;
        let r_bottom = (med - a[lo].v) / mad;
        let top = match dir {
            Direction::Pos => true,
            Direction::Neg => false,
            Direction::Both if r_top != r_bottom => r_top > r_bottom,
            Direction::Both => {
                // as far from the median on both sides: the earliest of all goes
                earliest_to_end(&mut a, lo, hi, lo);
                earliest_to_end(&mut a, lo, hi, hi - 1);
                a[hi - 1].index < a[lo].index
            }
        };
        earliest_to_end(&mut a, lo, hi, if top { hi - 1 } else { lo });
        let r = if top { r_top } else { r_bottom };
        if top {
            hi -= 1;
            removed.push(a[hi].index);
        } else {
            removed.push(a[lo].index);
            lo += 1;
        }
        // The critical value for the i-th largest of n - i + 1 points: two-sided unless a
        // direction is given.
        let left = (n - i + 1) as f64;
        let df = (n - i - 1) as f64;
        let p = if dir == Direction::Both { 1.0 - alpha / (2.0 * left) } else { 1.0 - alpha / left };
        let t = t_quantile(p, df);
        let lambda = t * (n - i) as f64 / ((df + t * t) * left).sqrt();
        if r > lambda {
            found = i;
        }
    }
    for &index in &removed[..found] {
        is_anomaly[index] = true;
    }
    is_anomaly
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flagged(x: &[f64], m: usize, alpha: f64, dir: Direction) -> Vec<usize> {
        let f = test(x, m, alpha, dir, 0.0);
        (0..x.len()).filter(|&i| f[i]).collect()
    }

    #[test]
    fn ties_take_the_earliest() {
        // 9 and -9 are as far from the median 0: the earlier, 9, goes first
        let x = [0.0, 1.0, -1.0, 2.0, -2.0, 9.0, -9.0, 0.5, -0.5, 3.0, -3.0, 0.0];
        assert_eq!(flagged(&x, 1, 0.5, Direction::Both), vec![5]);
        let y = [5.0, 1.0, 2.0, 9.0, 3.0, 9.0, 4.0, 2.0, 1.0, 9.0, 3.0, 2.0, 1.0, 0.0];
        assert_eq!(flagged(&y, 1, 0.9, Direction::Pos), vec![3]);
    }

    #[test]
    fn constant_has_no_scale() {
        assert!(flagged(&[1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 9.0], 3, 0.5, Direction::Both).is_empty());
    }

    #[test]
    fn median_of_even_and_odd() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), 2.5);
    }
}
