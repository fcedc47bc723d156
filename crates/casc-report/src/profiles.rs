//! "What the states are": for each state, each sensor's mean and standard deviation, and how
//! far the mean is from the sensor's mean over the whole series (in overall standard
//! deviations), so that a reader can tell what a state is ("speed high, brake off"). From the
//! sensor values of the state's timesteps when the data was found, else from the state's
//! Gaussian (its first lag), in the data's units.

use std::fmt::Write as _;

use casc::output::StatesFile;

use crate::heatmaps::diverging;
use crate::html::{DASH, esc, fmt_round, plural, state_color};
use crate::input::ReportInput;

/// One state's sensors: mean and standard deviation of each.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Profile {
    /// Timesteps of the state.
    pub count: usize,
    /// Mean per sensor.
    pub mean: Vec<f64>,
    /// Standard deviation per sensor (NaN when unknown).
    pub sd: Vec<f64>,
}

/// The profiles of states `0..k` over row-major `values` (`n` per row), timestep `t` in
/// state `steps[t]`; `None` for a state without timesteps. Also the overall mean and standard
/// deviation of each sensor.
pub(crate) fn from_data(
    values: &[f64],
    n: usize,
    steps: &[usize],
    k: usize,
) -> (Vec<Option<Profile>>, Vec<f64>, Vec<f64>) {
    let mut count = vec![0usize; k];
    let mut sum = vec![0.0; k * n];
    for (row, &s) in values.chunks_exact(n).zip(steps) {
        if s < k {
            count[s] += 1;
            for (j, v) in row.iter().enumerate() {
                sum[s * n + j] += v;
            }
        }
    }
    let mean: Vec<f64> = (0..k * n)
        .map(|i| sum[i] / count[i / n].max(1) as f64)
        .collect();
    let mut sq = vec![0.0; k * n];
    for (row, &s) in values.chunks_exact(n).zip(steps) {
        if s < k {
            for (j, v) in row.iter().enumerate() {
                let d = v - mean[s * n + j];
                sq[s * n + j] += d * d;
            }
        }
    }
    let profiles = (0..k)
        .map(|s| {
            (count[s] > 0).then(|| Profile {
                count: count[s],
                mean: mean[s * n..(s + 1) * n].to_vec(),
                sd: (0..n)
                    .map(|j| (sq[s * n + j] / count[s] as f64).sqrt())
                    .collect(),
            })
        })
        .collect();
    let rows = (values.len() / n.max(1)).max(1) as f64;
    let all_mean: Vec<f64> = (0..n)
        .map(|j| values.iter().skip(j).step_by(n).sum::<f64>() / rows)
        .collect();
    let all_sd: Vec<f64> = (0..n)
        .map(|j| {
            let m = all_mean[j];
            (values
                .iter()
                .skip(j)
                .step_by(n)
                .map(|v| (v - m) * (v - m))
                .sum::<f64>()
                / rows)
                .sqrt()
        })
        .collect();
    (profiles, all_mean, all_sd)
}

/// The variances of the first `n` coordinates of a Gaussian with precision `p` (rows): the
/// diagonal of its inverse, by a Cholesky factor; `None` if `p` is not positive definite.
pub(crate) fn marginal_variances(p: &[Vec<f64>], n: usize) -> Option<Vec<f64>> {
    let d = p.len();
    let mut l = vec![0.0; d * d];
    for i in 0..d {
        for j in 0..=i {
            let mut v = *p.get(i)?.get(j)?;
            for m in 0..j {
                v -= l[i * d + m] * l[j * d + m];
            }
            if i == j {
                if v.is_nan() || v <= 0.0 || v.is_infinite() {
                    return None;
                }
                l[i * d + i] = v.sqrt();
            } else {
                l[i * d + j] = v / l[j * d + j];
            }
        }
    }
    // (P^-1)_ii = |L^-1 e_i|^2.
    let mut y = vec![0.0; d];
    Some(
        (0..n.min(d))
            .map(|i| {
                y.fill(0.0);
                for r in i..d {
                    let mut v = if r == i { 1.0 } else { 0.0 };
                    for m in i..r {
                        v -= l[r * d + m] * y[m];
                    }
                    y[r] = v / l[r * d + r];
                }
                y.iter().map(|v| v * v).sum()
            })
            .collect(),
    )
}

/// The profiles from the states' Gaussians (the first lag of the window), undoing the
/// standardisation; the overall mean and deviation of the mixture weighted by timesteps.
pub(crate) fn from_states(st: &StatesFile) -> (Vec<Option<Profile>>, Vec<f64>, Vec<f64>) {
    let n = st.sensors.len();
    let unscale = |j: usize| {
        st.standardization
            .as_ref()
            .and_then(|s| s.get(j))
            .map_or((0.0, 1.0), |s| (s.mean, s.sd))
    };
    let max_state = st.states.iter().map(|s| s.state + 1).max().unwrap_or(0);
    let mut profiles = vec![None; max_state];
    for s in &st.states {
        let var = marginal_variances(&s.precision, n);
        let profile = Profile {
            count: s.timesteps,
            mean: (0..n)
                .map(|j| {
                    let (m, sd) = unscale(j);
                    s.mean.get(j).map_or(f64::NAN, |v| m + sd * v)
                })
                .collect(),
            sd: (0..n)
                .map(|j| {
                    let (_, sd) = unscale(j);
                    var.as_ref().map_or(f64::NAN, |v| sd * v[j].sqrt())
                })
                .collect(),
        };
        profiles[s.state] = Some(profile);
    }
    let total: usize = profiles.iter().flatten().map(|p| p.count).sum();
    let w = |p: &Profile| {
        if total == 0 {
            1.0 / st.states.len().max(1) as f64
        } else {
            p.count as f64 / total as f64
        }
    };
    let all_mean: Vec<f64> = (0..n)
        .map(|j| profiles.iter().flatten().map(|p| w(p) * p.mean[j]).sum())
        .collect();
    let all_sd: Vec<f64> = (0..n)
        .map(|j| {
            let second: f64 = profiles
                .iter()
                .flatten()
                .map(|p| w(p) * (p.sd[j] * p.sd[j] + p.mean[j] * p.mean[j]))
                .sum();
            (second - all_mean[j] * all_mean[j]).max(0.0).sqrt()
        })
        .collect();
    (profiles, all_mean, all_sd)
}

/// The section's content.
pub(crate) fn section(input: &ReportInput, h: &mut String) {
    let k = input.n_colors();
    let (profiles, all_mean, all_sd, names, source) = match (&input.data, &input.states) {
        (Some(d), _) => {
            let (p, m, s) = from_data(d.values(), d.n_sensors(), &input.steps, k);
            (
                p,
                m,
                s,
                input.sensor_names().to_vec(),
                "from the sensor values of each state's timesteps",
            )
        }
        (None, Some(st)) => {
            let (p, m, s) = from_states(st);
            (
                p,
                m,
                s,
                st.sensors.clone(),
                "from each state's Gaussian (the first step of its window), in the data's units: the data files were not found",
            )
        }
        (None, None) => {
            h.push_str("<p>Neither the data nor the states were found, so the states cannot be described here.</p>\n");
            return;
        }
    };
    let total: usize = profiles.iter().flatten().map(|p| p.count).sum();
    let _ = writeln!(
        h,
        "<p>Each sensor's mean and standard deviation in each state, {source}; <i>vs. all</i> is how far the state's mean is from the sensor's mean over the whole series, in the sensor's overall standard deviations (red above, blue below).</p>"
    );
    h.push_str("<div class=\"cards\">\n");
    for (s, p) in profiles.iter().enumerate() {
        let Some(p) = p else {
            let _ = writeln!(
                h,
                "<div class=\"card\"><h3><span class=\"sw\" style=\"background:{}\"></span>state {s}</h3><p class=\"small\">no timestep</p></div>",
                state_color(s, k)
            );
            continue;
        };
        let share = if total > 0 {
            format!(" ({:.1}%)", 100.0 * p.count as f64 / total as f64)
        } else {
            String::new()
        };
        let _ = writeln!(
            h,
            "<div class=\"card\"><h3><span class=\"sw\" style=\"background:{}\"></span>state {s}</h3><p class=\"small\">{} timestep{}{share}</p>\n<table class=\"data profile\">\n<thead><tr><th>sensor</th><th>mean</th><th>sd</th><th>vs. all</th></tr></thead>\n<tbody>",
            state_color(s, k),
            p.count,
            plural(p.count)
        );
        for (j, name) in names.iter().enumerate().take(p.mean.len()) {
            let z = (p.mean[j] - all_mean[j]) / all_sd[j];
            let (z_text, z_style) = if z.is_finite() && all_sd[j] > 0.0 {
                (
                    if z.abs() < 0.005 {
                        "0.00".to_string()
                    } else {
                        format!("{z:+.2}")
                    },
                    format!(" style=\"background:{}\"", diverging(0.6 * z / 3.0)),
                )
            } else {
                (DASH.to_string(), String::new())
            };
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\"{z_style}>{z_text}</td></tr>",
                esc(name),
                fmt_round(p.mean[j]),
                fmt_round(p.sd[j])
            );
        }
        h.push_str("</tbody>\n</table>\n</div>\n");
    }
    h.push_str("</div>\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{render_small, small_run};

    #[test]
    fn data_profiles_are_means_and_deviations_per_state() {
        // Sensor 0: state 0 has 1, 3; state 1 has 10. Sensor 1 constant.
        let values = [1.0, 5.0, 10.0, 5.0, 3.0, 5.0];
        let (p, m, s) = from_data(&values, 2, &[0, 1, 0], 3);
        let p0 = p[0].as_ref().unwrap();
        assert_eq!(
            (p0.count, p0.mean.clone(), p0.sd.clone()),
            (2, vec![2.0, 5.0], vec![1.0, 0.0])
        );
        assert_eq!(p[1].as_ref().unwrap().mean, vec![10.0, 5.0]);
        assert!(p[2].is_none(), "no timestep");
        assert_eq!(m, vec![14.0 / 3.0, 5.0]);
        assert_eq!(s[1], 0.0);
    }

    #[test]
    fn model_profiles_invert_the_precision() {
        // Precision of a 2-d Gaussian with covariance [[4, 2], [2, 3]]: inverse / det 8.
        let p = vec![vec![3.0 / 8.0, -2.0 / 8.0], vec![-2.0 / 8.0, 4.0 / 8.0]];
        let v = marginal_variances(&p, 2).unwrap();
        assert!(
            (v[0] - 4.0).abs() < 1e-12 && (v[1] - 3.0).abs() < 1e-12,
            "{v:?}"
        );
        assert_eq!(marginal_variances(&[vec![-1.0]], 1), None);
        let st = small_run(&[]).states.unwrap();
        let (p, _, _) = from_states(&st);
        // standardization: sensor 0 mean 1.25 sd 0.5, state mean 0.1 -> 1.3.
        assert!((p[0].as_ref().unwrap().mean[0] - 1.3).abs() < 1e-12);
    }

    #[test]
    fn the_page_describes_every_state() {
        let h = render_small();
        assert_eq!(h.matches("class=\"data profile\"").count(), 3);
        assert!(h.contains("from the sensor values of each state's timesteps"));
        assert!(h.contains("<th>vs. all</th>"));
    }
}
