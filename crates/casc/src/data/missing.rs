//! The missing-value policies, applied row by row as rows arrive, so that a file and a stream
//! of the same rows get the same values: a row waits only while one of its gaps needs a value
//! that has not arrived yet (the first observation of a sensor, the next one to interpolate
//! towards).

use std::collections::VecDeque;

use super::Missing;

/// Fills (or drops) the missing values (NaN) of rows pushed one at a time, as the batch policy
/// would on the whole table: `ffill` carries the last observed value forward (the first one
/// backward at the start), `interpolate` interpolates linearly between the observed values
/// around a gap (carrying the nearest one at the ends), `drop` drops each row with a gap. Rows
/// come out in order, with what was pushed with them (`I`).
pub struct GapFiller<I> {
    policy: Missing,
    n: usize,
    /// Rows waiting for a value, oldest first, with their index among the rows pushed.
    queue: VecDeque<(usize, I, Vec<f64>)>,
    /// Per sensor, the last observed value and the index of its row.
    last: Vec<Option<(usize, f64)>>,
    pushed: usize,
    handled: usize,
    spare: Vec<Vec<f64>>,
}

impl<I> GapFiller<I> {
    /// A filler of rows of `n` values under `policy`.
    pub fn new(policy: Missing, n: usize) -> Self {
        Self {
            policy,
            n,
            queue: VecDeque::new(),
            last: vec![None; n],
            pushed: 0,
            handled: 0,
            spare: Vec::new(),
        }
    }

    /// Rows dropped, or cells filled, so far.
    pub fn handled(&self) -> usize {
        self.handled
    }

    /// Pushes a row (NaN for a missing value) and hands every row that is complete now to
    /// `out`, in order.
    pub fn push(&mut self, info: I, row: &[f64], mut out: impl FnMut(I, &[f64])) {
        debug_assert_eq!(row.len(), self.n);
        let r = self.pushed;
        self.pushed += 1;
        let gaps = row.iter().any(|v| v.is_nan());
        if !gaps && self.queue.is_empty() {
            for (j, &v) in row.iter().enumerate() {
                self.last[j] = Some((r, v));
            }
            out(info, row);
            return;
        }
        match self.policy {
            Missing::Drop | Missing::Error => {
                if gaps {
                    self.handled += 1;
                } else {
                    out(info, row);
                }
                return;
            }
            Missing::Ffill | Missing::Interpolate => {}
        }
        let mut values = self.spare.pop().unwrap_or_default();
        values.clear();
        values.extend_from_slice(row);
        for (j, v) in values.iter_mut().enumerate() {
            if v.is_nan() {
                if let (Missing::Ffill, Some((_, last))) = (self.policy, self.last[j]) {
                    *v = last;
                    self.handled += 1;
                }
                continue;
            }
            // An observation: it fills the gaps of the rows waiting for it.
            let prev = self.last[j];
            for (q, _, waiting) in self.queue.iter_mut() {
                if !waiting[j].is_nan() {
                    continue;
                }
                waiting[j] = match (self.policy, prev) {
                    (Missing::Interpolate, Some((p, pv))) => {
                        let f = (*q - p) as f64 / (r - p) as f64;
                        pv + f * (*v - pv)
                    }
                    _ => *v,
                };
                self.handled += 1;
            }
            self.last[j] = Some((r, *v));
        }
        self.queue.push_back((r, info, values));
        self.release(&mut out);
    }

    /// Ends the rows: the gaps left get the last observed value of their sensor, and every
    /// row goes to `out`. Errors with the sensor's index when a sensor was never observed.
    pub fn finish(mut self, mut out: impl FnMut(I, &[f64])) -> Result<usize, usize> {
        for j in 0..self.n {
            let pending = self.queue.iter().any(|(_, _, v)| v[j].is_nan());
            if !pending {
                continue;
            }
            let Some((_, last)) = self.last[j] else {
                return Err(j);
            };
            for (_, _, v) in self.queue.iter_mut() {
                if v[j].is_nan() {
                    v[j] = last;
                    self.handled += 1;
                }
            }
        }
        self.release(&mut out);
        Ok(self.handled)
    }

    /// Hands the complete rows at the front of the queue to `out`.
    fn release(&mut self, out: &mut impl FnMut(I, &[f64])) {
        while self
            .queue
            .front()
            .is_some_and(|(_, _, v)| v.iter().all(|x| !x.is_nan()))
        {
            if let Some((_, info, v)) = self.queue.pop_front() {
                out(info, &v);
                self.spare.push(v);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(policy: Missing, rows: &[[f64; 2]]) -> Result<Vec<f64>, usize> {
        let mut f = GapFiller::new(policy, 2);
        let mut out = Vec::new();
        for (i, r) in rows.iter().enumerate() {
            f.push(i, r, |_, v| out.extend_from_slice(v));
        }
        f.finish(|_, v| out.extend_from_slice(v))?;
        Ok(out)
    }

    #[test]
    fn policies_fill_as_described() {
        let nan = f64::NAN;
        let rows = [[1.0, 10.0], [nan, 20.0], [nan, nan], [4.0, 40.0]];
        assert_eq!(
            run(Missing::Drop, &rows).unwrap(),
            vec![1.0, 10.0, 4.0, 40.0]
        );
        assert_eq!(
            run(Missing::Ffill, &rows).unwrap(),
            vec![1.0, 10.0, 1.0, 20.0, 1.0, 20.0, 4.0, 40.0]
        );
        assert_eq!(
            run(Missing::Interpolate, &rows).unwrap(),
            vec![1.0, 10.0, 2.0, 20.0, 3.0, 30.0, 4.0, 40.0]
        );
        // Gaps at the start take the first observation, at the end the last one.
        let rows = [[nan, 1.0], [2.0, 3.0], [5.0, nan]];
        assert_eq!(
            run(Missing::Ffill, &rows).unwrap(),
            vec![2.0, 1.0, 2.0, 3.0, 5.0, 3.0]
        );
        assert_eq!(
            run(Missing::Interpolate, &rows).unwrap(),
            vec![2.0, 1.0, 2.0, 3.0, 5.0, 3.0]
        );
        assert_eq!(run(Missing::Ffill, &[[nan, 1.0], [nan, 2.0]]), Err(0));
    }

    #[test]
    fn rows_come_out_as_soon_as_they_are_complete() {
        let nan = f64::NAN;
        let mut f = GapFiller::new(Missing::Interpolate, 1);
        let mut out = Vec::new();
        f.push(0, &[1.0], |i, _| out.push(i));
        f.push(1, &[nan], |i, _| out.push(i));
        assert_eq!(out, vec![0], "row 1 waits for the next observation");
        f.push(2, &[3.0], |i, _| out.push(i));
        assert_eq!(out, vec![0, 1, 2]);
        assert_eq!(f.handled(), 1);
    }
}
