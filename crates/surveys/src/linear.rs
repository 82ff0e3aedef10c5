//! Linear models: ordinary least squares with an intercept (categorical
//! predictors dummy-coded by the caller, `dummies`) and the one-way
//! MANOVA's Pillai trace and Wilks' lambda with their F approximations.
//!
//! The matrices are small (a few dozen columns), so plain dense code:
//! Householder QR for least squares (better conditioned than the normal
//! equations, which square the condition number) and Cholesky for the
//! symmetric positive definite SSCP matrices.

use serde::Serialize;

use crate::dist::{f_upper, t_two_sided};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ols {
    /// "const" first, then the predictors' names.
    pub names: Vec<String>,
    pub coef: Vec<f64>,
    pub se: Vec<f64>,
    pub t: Vec<f64>,
    pub p: Vec<f64>,
    pub n: usize,
    pub df_model: usize,
    pub df_resid: usize,
    pub r2: f64,
    pub adj_r2: f64,
    pub f: f64,
    pub f_p: f64,
}

/// Least squares of `y` on an intercept and the `columns` (each one value
/// per observation). Errors name the predictor that makes the design
/// singular, or say there are too few observations.
pub fn ols(y: &[f64], columns: &[(String, Vec<f64>)]) -> Result<Ols, String> {
    let n = y.len();
    let p = columns.len() + 1;
    if n <= p {
        return Err(format!(
            "{n} observations for {p} coefficients: at least {} needed",
            p + 1
        ));
    }
    for (name, values) in columns {
        if values.len() != n {
            return Err(format!(
                "predictor {name}: {} values for {n} observations",
                values.len()
            ));
        }
    }
    // Column-major design, intercept first.
    let mut a: Vec<Vec<f64>> = std::iter::once(vec![1.0; n])
        .chain(columns.iter().map(|(_, v)| v.clone()))
        .collect();
    let mut names = vec!["const".to_string()];
    names.extend(columns.iter().map(|(name, _)| name.clone()));
    let mut qty = y.to_vec();
    let mut r = vec![vec![0.0; p]; p];
    for k in 0..p {
        let norm = a[k][k..].iter().map(|v| v * v).sum::<f64>().sqrt();
        let scale = a[k].iter().map(|v| v * v).sum::<f64>().sqrt();
        if norm.is_nan() || norm <= 1e-10 * scale.max(1.0) {
            return Err(format!(
                "predictor {} is constant or a combination of the ones before it",
                names[k]
            ));
        }
        let alpha = if a[k][k] > 0.0 { -norm } else { norm };
        let mut v = a[k][k..].to_vec();
        v[0] -= alpha;
        let vv: f64 = v.iter().map(|x| x * x).sum();
        let reflect = |col: &mut [f64]| {
            let dot: f64 = v.iter().zip(&col[k..]).map(|(a, b)| a * b).sum();
            let factor = 2.0 * dot / vv;
            for (x, vi) in col[k..].iter_mut().zip(&v) {
                *x -= factor * vi;
            }
        };
        for col in a.iter_mut().skip(k) {
            reflect(col);
        }
        reflect(&mut qty);
        for (j, row) in r[k].iter_mut().enumerate().skip(k) {
            *row = a[j][k];
        }
    }
    // R b = Qᵀy, and R⁻¹ for (XᵀX)⁻¹ = R⁻¹ R⁻ᵀ.
    let mut coef = vec![0.0; p];
    for i in (0..p).rev() {
        let s: f64 = (i + 1..p).map(|j| r[i][j] * coef[j]).sum();
        coef[i] = (qty[i] - s) / r[i][i];
    }
    // Column c of R⁻¹ solves R x = e_c (upper triangular, zero below c).
    let inverse_columns: Vec<Vec<f64>> = (0..p)
        .map(|c| {
            let mut x = vec![0.0; p];
            for i in (0..=c).rev() {
                let target = if i == c { 1.0 } else { 0.0 };
                let s: f64 = (i + 1..=c).map(|j| r[i][j] * x[j]).sum();
                x[i] = (target - s) / r[i][i];
            }
            x
        })
        .collect();
    let fitted = |i: usize| -> f64 {
        coef[0]
            + columns
                .iter()
                .zip(&coef[1..])
                .map(|((_, v), b)| v[i] * b)
                .sum::<f64>()
    };
    let ssr: f64 = (0..n).map(|i| (y[i] - fitted(i)).powi(2)).sum();
    let mean = y.iter().sum::<f64>() / n as f64;
    let sst: f64 = y.iter().map(|v| (v - mean) * (v - mean)).sum();
    let df_resid = n - p;
    let df_model = p - 1;
    let sigma2 = ssr / df_resid as f64;
    let se: Vec<f64> = (0..p)
        .map(|i| (sigma2 * inverse_columns.iter().map(|x| x[i] * x[i]).sum::<f64>()).sqrt())
        .collect();
    let t: Vec<f64> = coef.iter().zip(&se).map(|(b, s)| b / s).collect();
    let pv = t.iter().map(|&t| t_two_sided(t, df_resid as f64)).collect();
    let r2 = 1.0 - ssr / sst;
    let f = ((sst - ssr) / df_model as f64) / sigma2;
    Ok(Ols {
        names,
        coef,
        se,
        t,
        p: pv,
        n,
        df_model,
        df_resid,
        r2,
        adj_r2: 1.0 - (1.0 - r2) * (n - 1) as f64 / df_resid as f64,
        f,
        f_p: f_upper(f, df_model as f64, df_resid as f64),
    })
}

/// Dummy (treatment) coding of a categorical predictor: one 0/1 column
/// per level except the first, the reference, named `name[level]`.
/// Levels in first-seen order unless given.
pub fn dummies(name: &str, values: &[&str], levels: &[&str]) -> Vec<(String, Vec<f64>)> {
    levels
        .iter()
        .skip(1)
        .map(|level| {
            (
                format!("{name}[{level}]"),
                values
                    .iter()
                    .map(|v| if v == level { 1.0 } else { 0.0 })
                    .collect(),
            )
        })
        .collect()
}

/// One multivariate statistic with its F approximation.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct MultivariateTest {
    pub value: f64,
    pub f: f64,
    pub df_num: f64,
    pub df_den: f64,
    pub p: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Manova {
    pub pillai: MultivariateTest,
    pub wilks: MultivariateTest,
}

/// Cholesky factor L (lower) of a symmetric positive definite matrix.
fn cholesky(m: &[Vec<f64>]) -> Option<Vec<Vec<f64>>> {
    let p = m.len();
    let mut l = vec![vec![0.0; p]; p];
    for i in 0..p {
        for j in 0..=i {
            let s: f64 = (0..j).map(|k| l[i][k] * l[j][k]).sum();
            if i == j {
                let d = m[i][i] - s;
                if d.is_nan() || d <= 1e-12 * m[i][i].abs() {
                    return None;
                }
                l[i][i] = d.sqrt();
            } else {
                l[i][j] = (m[i][j] - s) / l[j][j];
            }
        }
    }
    Some(l)
}

fn ln_det(l: &[Vec<f64>]) -> f64 {
    2.0 * (0..l.len()).map(|i| l[i][i].ln()).sum::<f64>()
}

/// One-way MANOVA of the `p` dependent variables (`y[obs][var]`) across
/// groups (`group[obs]` in 0..k). Uses the hypothesis (between) and error
/// (within) SSCP matrices H and E: Pillai's V = tr(H (H + E)⁻¹), Wilks'
/// Λ = det E / det(H + E), with the F approximations statsmodels and SPSS
/// print (Rao's for Λ).
pub fn manova(y: &[Vec<f64>], group: &[usize], k: usize) -> Result<Manova, String> {
    let n = y.len();
    let p = y.first().map_or(0, Vec::len);
    if p == 0 || group.len() != n {
        return Err("MANOVA needs at least one variable and a group per observation".into());
    }
    let mut counts = vec![0usize; k];
    let mut sums = vec![vec![0.0; p]; k];
    for (row, &g) in y.iter().zip(group) {
        counts[g] += 1;
        for (s, v) in sums[g].iter_mut().zip(row) {
            *s += v;
        }
    }
    let present = counts.iter().filter(|&&c| c > 0).count();
    if present < 2 {
        return Err("MANOVA needs at least two non-empty groups".into());
    }
    let df_resid = n as f64 - present as f64;
    if df_resid < p as f64 {
        return Err(format!(
            "{n} observations in {present} groups are too few for {p} variables"
        ));
    }
    let means: Vec<Vec<f64>> = sums
        .iter()
        .zip(&counts)
        .map(|(s, &c)| s.iter().map(|v| v / c.max(1) as f64).collect())
        .collect();
    let grand: Vec<f64> = (0..p)
        .map(|j| y.iter().map(|r| r[j]).sum::<f64>() / n as f64)
        .collect();
    let mut e = vec![vec![0.0; p]; p];
    for (row, &g) in y.iter().zip(group) {
        for i in 0..p {
            for j in 0..=i {
                e[i][j] += (row[i] - means[g][i]) * (row[j] - means[g][j]);
            }
        }
    }
    let mut h = vec![vec![0.0; p]; p];
    for (m, &c) in means.iter().zip(&counts) {
        for i in 0..p {
            for j in 0..=i {
                h[i][j] += c as f64 * (m[i] - grand[i]) * (m[j] - grand[j]);
            }
        }
    }
    for i in 0..p {
        for j in 0..i {
            e[j][i] = e[i][j];
            h[j][i] = h[i][j];
        }
    }
    let t: Vec<Vec<f64>> = (0..p)
        .map(|i| (0..p).map(|j| h[i][j] + e[i][j]).collect())
        .collect();
    let singular = || "the variables are constant or collinear within groups".to_string();
    let lt = cholesky(&t).ok_or_else(singular)?;
    let le = cholesky(&e).ok_or_else(singular)?;
    let wilks = (ln_det(&le) - ln_det(&lt)).exp();
    // tr(T⁻¹ H): solve T X = H column by column with the factor of T.
    let mut pillai = 0.0;
    for c in 0..p {
        let mut z = vec![0.0; p];
        for i in 0..p {
            z[i] = (h[i][c] - (0..i).map(|k| lt[i][k] * z[k]).sum::<f64>()) / lt[i][i];
        }
        let mut x = vec![0.0; p];
        for i in (0..p).rev() {
            x[i] = (z[i] - (i + 1..p).map(|k| lt[k][i] * x[k]).sum::<f64>()) / lt[i][i];
        }
        pillai += x[c];
    }
    let (pf, q) = (p as f64, (present - 1) as f64);
    let s = pf.min(q);
    let m = ((pf - q).abs() - 1.0) / 2.0;
    let nn = (df_resid - pf - 1.0) / 2.0;
    let (df1, df2) = (s * (2.0 * m + s + 1.0), s * (2.0 * nn + s + 1.0));
    let f = df2 / df1 * pillai / (s - pillai);
    let pillai = MultivariateTest {
        value: pillai,
        f,
        df_num: df1,
        df_den: df2,
        p: f_upper(f, df1, df2),
    };
    let r = df_resid - (pf - q + 1.0) / 2.0;
    let u = (pf * q - 2.0) / 4.0;
    let tt = if pf * pf + q * q - 5.0 > 0.0 {
        ((pf * pf * q * q - 4.0) / (pf * pf + q * q - 5.0)).sqrt()
    } else {
        1.0
    };
    let (df1, df2) = (pf * q, r * tt - 2.0 * u);
    let root = wilks.powf(1.0 / tt);
    let f = (1.0 - root) / root * df2 / df1;
    let wilks = MultivariateTest {
        value: wilks,
        f,
        df_num: df1,
        df_den: df2,
        p: f_upper(f, df1, df2),
    };
    Ok(Manova { pillai, wilks })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_line_has_r2_one_and_collinearity_is_named() {
        let x: Vec<f64> = (0..6).map(f64::from).collect();
        let y: Vec<f64> = x
            .iter()
            .map(|v| 2.0 + 3.0 * v + if *v as i32 % 2 == 0 { 0.1 } else { -0.1 })
            .collect();
        let fit = ols(&y, &[("x".into(), x.clone())]).unwrap();
        assert!((fit.coef[1] - 3.0).abs() < 0.1);
        assert!(fit.r2 > 0.99);
        let doubled: Vec<f64> = x.iter().map(|v| 2.0 * v).collect();
        let err = ols(&y, &[("x".into(), x), ("x2".into(), doubled)]).unwrap_err();
        assert!(err.contains("x2"), "{err}");
    }

    #[test]
    fn dummy_coding_drops_the_reference() {
        let cols = dummies(
            "service",
            &["ccas", "cdas", "cs", "ccas"],
            &["ccas", "cdas", "cs"],
        );
        assert_eq!(cols.len(), 2);
        assert_eq!(cols[0].0, "service[cdas]");
        assert_eq!(cols[1].1, vec![0.0, 0.0, 1.0, 0.0]);
    }
}
