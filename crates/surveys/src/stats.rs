//! The seeds' statistics on plain numbers: descriptive summaries,
//! chi-square test of independence, Fisher's exact test (2×2), Student and
//! Welch t with Cohen's d, one-way ANOVA with η², Fisher's LSD and its
//! compact letter display, and the significance marks of seed 004.
//!
//! Group tests take group moments (`Moments`) rather than raw values so
//! that an analysis reads each column once, however many tests use it.

use serde::Serialize;

use crate::dist::{chi2_upper, f_upper, ln_gamma, t_two_sided};

/// n, mean, median, standard deviation (n − 1), extremes and quartiles
/// (linear interpolation between order statistics, NumPy's default).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    /// Not serialised: reports give n next to the summary already.
    #[serde(skip)]
    pub n: usize,
    pub mean: f64,
    pub median: f64,
    /// `None` below two values.
    pub std: Option<f64>,
    pub min: f64,
    pub max: f64,
    pub q1: f64,
    pub q3: f64,
}

/// Count, mean and variance (n − 1) of one group.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Moments {
    pub n: usize,
    pub mean: f64,
    /// `NaN` below two values.
    pub var: f64,
}

impl Moments {
    /// Two passes: the mean, then squared deviations from it (what NumPy
    /// does), so that a constant column gives exactly 0.
    pub fn of(values: &[f64]) -> Moments {
        let n = values.len();
        if n == 0 {
            return Moments {
                n,
                mean: f64::NAN,
                var: f64::NAN,
            };
        }
        let mean = values.iter().sum::<f64>() / n as f64;
        let var = if n > 1 {
            values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (n - 1) as f64
        } else {
            f64::NAN
        };
        Moments { n, mean, var }
    }

    pub fn std(&self) -> Option<f64> {
        (self.n > 1).then(|| self.var.sqrt())
    }
}

fn quantile(sorted: &[f64], p: f64) -> f64 {
    let h = (sorted.len() - 1) as f64 * p;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

/// `None` for no values.
pub fn summarize(values: &[f64]) -> Option<Summary> {
    if values.is_empty() {
        return None;
    }
    let m = Moments::of(values);
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    Some(Summary {
        n: m.n,
        mean: m.mean,
        median: quantile(&sorted, 0.5),
        std: m.std(),
        min: sorted[0],
        max: sorted[sorted.len() - 1],
        q1: quantile(&sorted, 0.25),
        q3: quantile(&sorted, 0.75),
    })
}

/// Pearson's chi-square test of independence (no continuity correction,
/// as SPSS's first line and SciPy's `correction=False`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChiSquare {
    pub statistic: f64,
    pub df: usize,
    pub p: f64,
    pub expected: Vec<Vec<f64>>,
    pub cramers_v: f64,
    /// Cells whose expected count is below 5 (Cochran's rule: the test is
    /// doubtful when they are more than 20 % of the cells or any is below 1).
    pub small_expected: usize,
    pub min_expected: f64,
}

impl ChiSquare {
    pub fn doubtful(&self) -> bool {
        let cells = self.expected.len() * self.expected.first().map_or(0, Vec::len);
        self.min_expected < 1.0 || self.small_expected * 5 > cells
    }
}

/// `None` when the table, once empty rows and columns are left out by the
/// caller, is smaller than 2×2.
pub fn chi_square(counts: &[Vec<u64>]) -> Option<ChiSquare> {
    let rows = counts.len();
    let cols = counts.first().map_or(0, Vec::len);
    if rows < 2 || cols < 2 {
        return None;
    }
    let row_totals: Vec<f64> = counts
        .iter()
        .map(|r| r.iter().sum::<u64>() as f64)
        .collect();
    let col_totals: Vec<f64> = (0..cols)
        .map(|j| counts.iter().map(|r| r[j]).sum::<u64>() as f64)
        .collect();
    let n: f64 = row_totals.iter().sum();
    if row_totals.contains(&0.0) || col_totals.contains(&0.0) {
        return None;
    }
    let mut statistic = 0.0;
    let mut small_expected = 0;
    let mut min_expected = f64::INFINITY;
    let expected: Vec<Vec<f64>> = (0..rows)
        .map(|i| {
            (0..cols)
                .map(|j| {
                    let e = row_totals[i] * col_totals[j] / n;
                    let d = counts[i][j] as f64 - e;
                    statistic += d * d / e;
                    if e < 5.0 {
                        small_expected += 1;
                    }
                    min_expected = min_expected.min(e);
                    e
                })
                .collect()
        })
        .collect();
    let df = (rows - 1) * (cols - 1);
    let k = (rows.min(cols) - 1) as f64;
    Some(ChiSquare {
        statistic,
        df,
        p: chi2_upper(statistic, df as f64),
        expected,
        cramers_v: (statistic / (n * k)).sqrt(),
        small_expected,
        min_expected,
    })
}

/// Fisher's exact test on a 2×2 table `[[a, b], [c, d]]`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FisherExact {
    /// Sample odds ratio a·d / (b·c) (infinite or undefined with a zero).
    pub odds_ratio: f64,
    /// Two-sided: the probability of the tables, with the same margins, no
    /// more likely than the observed one (relative tolerance 1e-7, as R).
    pub p: f64,
}

pub fn fisher_exact(table: [[u64; 2]; 2]) -> FisherExact {
    let [[a, b], [c, d]] = table;
    let (row1, col1, n) = (a + b, a + c, a + b + c + d);
    let ln_choose = |n: u64, k: u64| {
        ln_gamma(n as f64 + 1.0) - ln_gamma(k as f64 + 1.0) - ln_gamma((n - k) as f64 + 1.0)
    };
    let observed = (ln_choose(col1, a) + ln_choose(n - col1, row1 - a) - ln_choose(n, row1)).exp();
    let lo = (row1 + col1).saturating_sub(n);
    let hi = row1.min(col1);
    // The other tables' probabilities relative to the observed one, by the
    // ratio of consecutive hypergeometric terms: a few multiplications each
    // instead of six log-gammas (1,000 crosstabs of 10,000 respondents
    // spent most of their time here).
    let up =
        |k: u64| ((col1 - k) * (row1 - k)) as f64 / ((k + 1) * (n + k + 1 - col1 - row1)) as f64;
    let limit = 1.0 + 1e-7;
    let mut sum = 1.0;
    let mut relative = 1.0;
    for k in a..hi {
        relative *= up(k);
        if relative <= limit {
            sum += relative;
        }
    }
    relative = 1.0;
    for k in (lo..a).rev() {
        relative /= up(k);
        if relative <= limit {
            sum += relative;
        }
    }
    let odds_ratio = (a * d) as f64 / (b * c) as f64;
    FisherExact {
        odds_ratio,
        p: (observed * sum).min(1.0),
    }
}

/// A t test between two groups.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct TTest {
    pub statistic: f64,
    pub df: f64,
    pub p: f64,
}

/// Student's t with pooled variance; `None` without two values in each
/// group or when both groups are constant.
pub fn student(x: Moments, y: Moments) -> Option<TTest> {
    if x.n < 2 || y.n < 2 {
        return None;
    }
    let df = (x.n + y.n - 2) as f64;
    let pooled = ((x.n - 1) as f64 * x.var + (y.n - 1) as f64 * y.var) / df;
    let se = (pooled * (1.0 / x.n as f64 + 1.0 / y.n as f64)).sqrt();
    if se.is_nan() || se <= 0.0 {
        return None;
    }
    let statistic = (x.mean - y.mean) / se;
    Some(TTest {
        statistic,
        df,
        p: t_two_sided(statistic, df),
    })
}

/// Welch's t (unequal variances, Welch–Satterthwaite degrees of freedom).
pub fn welch(x: Moments, y: Moments) -> Option<TTest> {
    if x.n < 2 || y.n < 2 {
        return None;
    }
    let (vx, vy) = (x.var / x.n as f64, y.var / y.n as f64);
    let se2 = vx + vy;
    if se2.is_nan() || se2 <= 0.0 {
        return None;
    }
    let statistic = (x.mean - y.mean) / se2.sqrt();
    let df = se2 * se2 / (vx * vx / (x.n - 1) as f64 + vy * vy / (y.n - 1) as f64);
    Some(TTest {
        statistic,
        df,
        p: t_two_sided(statistic, df),
    })
}

/// Cohen's d: difference of means over the pooled standard deviation.
pub fn cohens_d(x: Moments, y: Moments) -> Option<f64> {
    if x.n < 2 || y.n < 2 {
        return None;
    }
    let pooled = ((x.n - 1) as f64 * x.var + (y.n - 1) as f64 * y.var) / (x.n + y.n - 2) as f64;
    (pooled > 0.0).then(|| (x.mean - y.mean) / pooled.sqrt())
}

/// One-way analysis of variance.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Anova {
    pub statistic: f64,
    pub df_between: usize,
    pub df_within: usize,
    pub p: f64,
    pub eta_squared: f64,
    /// Mean square within groups, the error term of the LSD comparisons.
    pub mse: f64,
}

/// Over the groups with at least one value; `None` with fewer than two
/// such groups, no residual degree of freedom, or no variance within
/// groups (F would be infinite or undefined).
pub fn anova(groups: &[Moments]) -> Option<Anova> {
    let groups: Vec<&Moments> = groups.iter().filter(|g| g.n > 0).collect();
    let k = groups.len();
    let n: usize = groups.iter().map(|g| g.n).sum();
    if k < 2 || n <= k {
        return None;
    }
    let grand = groups.iter().map(|g| g.n as f64 * g.mean).sum::<f64>() / n as f64;
    let between: f64 = groups
        .iter()
        .map(|g| g.n as f64 * (g.mean - grand) * (g.mean - grand))
        .sum();
    let within: f64 = groups
        .iter()
        .filter(|g| g.n > 1)
        .map(|g| (g.n - 1) as f64 * g.var)
        .sum();
    if within.is_nan() || within <= 0.0 {
        return None;
    }
    let (df_between, df_within) = (k - 1, n - k);
    let mse = within / df_within as f64;
    let statistic = between / df_between as f64 / mse;
    Some(Anova {
        statistic,
        df_between,
        df_within,
        p: f_upper(statistic, df_between as f64, df_within as f64),
        eta_squared: between / (between + within),
        mse,
    })
}

/// Fisher's least significant difference: the p-value of every pair of
/// groups (t on the ANOVA's mean square error and its degrees of freedom).
/// `p[i][j]` is `None` when group i or j is empty, and on the diagonal.
pub fn lsd(groups: &[Moments], anova: &Anova) -> Vec<Vec<Option<f64>>> {
    let k = groups.len();
    let mut p = vec![vec![None; k]; k];
    for i in 0..k {
        for j in i + 1..k {
            let (a, b) = (groups[i], groups[j]);
            if a.n == 0 || b.n == 0 {
                continue;
            }
            let se = (anova.mse * (1.0 / a.n as f64 + 1.0 / b.n as f64)).sqrt();
            let q = t_two_sided((a.mean - b.mean) / se, anova.df_within as f64);
            p[i][j] = Some(q);
            p[j][i] = Some(q);
        }
    }
    p
}

/// Compact letter display (Piepho's insert-and-absorb): groups sharing a
/// letter do not differ at `alpha`. Letters follow the groups' order, so
/// the first group is always "a", as in seed 004's tables; empty groups get
/// no letter.
pub fn letters(p: &[Vec<Option<f64>>], alpha: f64) -> Vec<String> {
    let k = p.len();
    let present: Vec<usize> = (0..k)
        .filter(|&i| (0..k).any(|j| p[i][j].is_some()))
        .collect();
    let mut columns: Vec<Vec<bool>> = vec![(0..k).map(|i| present.contains(&i)).collect()];
    for i in 0..k {
        for j in i + 1..k {
            if !p[i][j].is_some_and(|q| q < alpha) {
                continue;
            }
            let mut next = Vec::new();
            for column in columns {
                if column[i] && column[j] {
                    let mut without_i = column.clone();
                    without_i[i] = false;
                    let mut without_j = column;
                    without_j[j] = false;
                    next.push(without_i);
                    next.push(without_j);
                } else {
                    next.push(column);
                }
            }
            // Absorb: a column included in another says nothing more.
            let mut kept: Vec<Vec<bool>> = Vec::new();
            for (a, column) in next.iter().enumerate() {
                let absorbed = next.iter().enumerate().any(|(b, other)| {
                    a != b
                        && column.iter().zip(other).all(|(x, y)| !x || *y)
                        && (column != other || b < a)
                });
                if !absorbed {
                    kept.push(column.clone());
                }
            }
            columns = kept;
        }
    }
    columns.retain(|c| c.iter().any(|&x| x));
    columns.sort_by_key(|c| c.iter().position(|&x| x));
    (0..k)
        .map(|i| {
            columns
                .iter()
                .enumerate()
                .filter(|(_, c)| c[i])
                .map(|(n, _)| letter(n))
                .collect()
        })
        .collect()
}

fn letter(n: usize) -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz";
    if n < 26 {
        (ALPHABET[n] as char).to_string()
    } else {
        format!("{}{}", ALPHABET[n % 26] as char, n / 26)
    }
}

/// Seed 004's reading: p < .05 significant, .05 ≤ p < .10 "tendanciel".
pub fn mark(p: f64) -> Option<&'static str> {
    if p < 0.05 {
        Some("significatif")
    } else if p < 0.10 {
        Some("tendanciel")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_of_a_small_sample() {
        let s = summarize(&[3.0, 1.0, 4.0, 1.0, 5.0]).unwrap();
        assert_eq!((s.n, s.min, s.max, s.median), (5, 1.0, 5.0, 3.0));
        assert!((s.mean - 2.8).abs() < 1e-15);
        assert!((s.std.unwrap() - 1.7888543819998317).abs() < 1e-15);
        assert_eq!((s.q1, s.q3), (1.0, 4.0));
        assert_eq!(summarize(&[]), None);
        assert_eq!(summarize(&[2.0]).unwrap().std, None);
    }

    #[test]
    fn letters_as_in_seed_004() {
        // CCAS, CDAS and Centre social: the last differs from both others.
        let p = vec![
            vec![None, Some(0.6), Some(0.001)],
            vec![Some(0.6), None, Some(0.01)],
            vec![Some(0.001), Some(0.01), None],
        ];
        assert_eq!(letters(&p, 0.05), ["a", "a", "b"]);
        // The first differs from both others, which do not differ.
        let p = vec![
            vec![None, Some(0.01), Some(0.02)],
            vec![Some(0.01), None, Some(0.5)],
            vec![Some(0.02), Some(0.5), None],
        ];
        assert_eq!(letters(&p, 0.05), ["a", "b", "b"]);
        // A chain: 1 ≠ 3 only, so 2 shares a letter with each.
        let p = vec![
            vec![None, Some(0.2), Some(0.01)],
            vec![Some(0.2), None, Some(0.2)],
            vec![Some(0.01), Some(0.2), None],
        ];
        assert_eq!(letters(&p, 0.05), ["a", "ab", "b"]);
        // An empty group gets no letter.
        let p = vec![
            vec![None, None, Some(0.01)],
            vec![None, None, None],
            vec![Some(0.01), None, None],
        ];
        assert_eq!(letters(&p, 0.05), ["a", "", "b"]);
    }

    #[test]
    fn degenerate_groups_give_no_test() {
        let constant = Moments::of(&[4.0, 4.0, 4.0]);
        assert_eq!(constant.var, 0.0);
        assert_eq!(student(constant, constant), None);
        assert_eq!(welch(constant, constant), None);
        assert_eq!(anova(&[constant, constant]), None);
        let empty = Moments::of(&[]);
        let some = Moments::of(&[1.0, 2.0, 4.0]);
        assert_eq!(student(empty, some), None);
        assert_eq!(anova(&[empty, some]), None);
        let other = Moments::of(&[3.0, 5.0, 6.0]);
        let with_empty = anova(&[some, empty, other]).unwrap();
        assert_eq!(with_empty, anova(&[some, other]).unwrap());
        assert_eq!(chi_square(&[vec![1, 2]]), None);
        assert_eq!(chi_square(&[vec![1, 0], vec![2, 0]]), None);
    }

    #[test]
    fn marks() {
        assert_eq!(mark(0.049), Some("significatif"));
        assert_eq!(mark(0.05), Some("tendanciel"));
        assert_eq!(mark(0.0999), Some("tendanciel"));
        assert_eq!(mark(0.1), None);
    }
}
