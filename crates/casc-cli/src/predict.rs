//! `casc predict`: apply a saved model to new files, or label rows from standard input live.
//! Either way the data's columns are matched to the model's sensors by name.

use std::collections::VecDeque;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context as _;
use casc::data::{GapFiller, RowInfo, RowReader};
use casc::output::PredictSummary;
use casc::{FitError, Model, StreamPredictor};
use clap::Args;

use crate::common::{
    Failure, InputArgs, fail, prepare_out, read_input, say, stdout_error, usage, warn,
};

/// Arguments of `casc predict`.
#[derive(Args, Debug)]
pub struct PredictArgs {
    /// A model written by `casc fit`.
    pub model: PathBuf,
    /// Input CSV files (not with --stream); `-` reads standard input.
    #[arg(value_name = "DATA.csv")]
    pub data: Vec<PathBuf>,
    /// Read rows from standard input and write `t,state` lines as soon as the states are final.
    #[arg(long)]
    pub stream: bool,
    /// With --stream: decide a timestep at the latest this many steps after it arrived.
    #[arg(long, requires = "stream")]
    pub max_lag: Option<usize>,
    #[command(flatten)]
    pub input: InputArgs,
    /// Output folder (created if missing; not with --stream, which writes to standard output).
    #[arg(
        long,
        short,
        required_unless_present = "stream",
        conflicts_with = "stream"
    )]
    pub out: Option<PathBuf>,
    /// Print nothing on success.
    #[arg(short, long)]
    pub quiet: bool,
}

/// What to add to a column mismatch: the flags that fix it.
const COLUMNS_HINT: &str =
    "--columns picks and orders the data's columns, --ignore-columns leaves some out";

/// A mismatch between the data and the model, with the flags that fix it.
fn mismatch(e: FitError) -> Failure {
    match e {
        FitError::ModelMismatch(m) => fail(3)(anyhow::anyhow!("{m} ({COLUMNS_HINT})")),
        other => other.into(),
    }
}

/// Runs `casc predict`.
pub fn run(a: PredictArgs) -> Result<(), Failure> {
    let model = Model::load(&a.model)?;
    if a.stream {
        if !a.data.is_empty() {
            return Err(usage("--stream reads standard input: give no data files"));
        }
        return stream(&model, a.max_lag, &a.input);
    }
    if a.data.is_empty() {
        return Err(usage("give at least one data file, or --stream"));
    }
    let out = a
        .out
        .ok_or_else(|| usage("give --out (the output folder), or --stream"))?;
    prepare_out(&out)?;
    let series = read_input(&a.data, &a.input)?;
    let names = series.has_names().then(|| series.names());
    let columns = model
        .match_columns(series.n_sensors(), names)
        .map_err(mismatch)?;
    if let Some(w) = &columns.warning {
        warn(w);
    }
    let started = Instant::now();
    let p = model.predict(&series).map_err(mismatch)?;
    let summary = PredictSummary::new(
        &a.model,
        &a.data,
        &series,
        model.n_states(),
        &p,
        started.elapsed().as_secs_f64(),
    )
    .with_read_options(&a.input.read_options());
    casc::output::write_prediction(&out, &series, &p, &summary)
        .with_context(|| format!("writing results into {}", out.display()))?;
    if !a.quiet {
        let reordered = if columns.by_name && !columns.is_identity() {
            " (columns matched to the model's sensors by name)"
        } else {
            ""
        };
        say!(
            "casc: labelled {} timesteps with {} states{reordered}; {} motif(s) with {} instance(s); results in {}",
            series.n_steps(),
            model.n_states(),
            p.motifs.len(),
            p.motifs.iter().map(|m| m.instances.len()).sum::<usize>(),
            out.display()
        )?;
    }
    Ok(())
}

/// Streaming prediction: rows from standard input, read as files are (dialect, header,
/// columns, time column, missing values), the columns matched to the model's sensors by
/// name; `t,state` lines out (with the time column after `t`, when there is one) as soon as
/// final. Memory is bounded by the window, the undecided span (or `max_lag`) and the gaps that
/// wait for a value.
fn stream(model: &Model, max_lag: Option<usize>, input: &InputArgs) -> Result<(), Failure> {
    if input.sequence_column.is_some() {
        return Err(usage(
            "--sequence-column does not apply to --stream: stream one recording at a time",
        ));
    }
    let stdin_name = Path::new("<stdin>");
    let data = |e: casc::ParseError| fail(3)(e.in_file(stdin_name).into());
    let mut reader =
        RowReader::new(std::io::stdin().lock(), &input.read_options(), 1).map_err(data)?;
    let mut predictor = StreamPredictor::new(model, max_lag)?;
    let columns = predictor
        .match_columns(reader.n_values(), reader.names())
        .map_err(mismatch)?;
    if let Some(w) = &columns.warning {
        warn(w);
    }
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    match reader.time_name() {
        Some(name) => writeln!(
            out,
            "t,{},state",
            csv_field(casc::output::time_header(name))
        ),
        None => writeln!(out, "t,state"),
    }
    .and_then(|()| out.flush())
    .map_err(stdout_error)?;
    let mut labeller = Labeller {
        predictor,
        pending: VecDeque::new(),
        decided: Vec::new(),
        out,
    };
    let mut filler: GapFiller<RowInfo> = GapFiller::new(input.missing, reader.n_values());
    let mut row = Vec::with_capacity(reader.n_values());
    let mut written = Ok(());
    while let Some(info) = reader.read_row(&mut row).map_err(data)? {
        filler.push(info, &row, |i, v| labeller.push(i, v));
        written = labeller.write();
        if written.is_err() {
            break;
        }
    }
    written.map_err(stdout_error)?;
    filler.finish(|i, v| labeller.push(i, v)).map_err(|j| {
        let name = reader
            .names()
            .map_or_else(|| (j + 1).to_string(), |n| format!("{:?}", n[j]));
        fail(3)(anyhow::anyhow!(
            "<stdin>: column {name} has no observed value at all"
        ))
    })?;
    labeller.finish().map_err(stdout_error)
}

/// The stream's predictor and the rows it has not decided yet.
struct Labeller<W: Write> {
    predictor: StreamPredictor,
    /// The rows pushed whose state is not decided yet: their number and time, oldest first.
    pending: VecDeque<(usize, Option<String>)>,
    decided: Vec<usize>,
    out: W,
}

impl<W: Write> Labeller<W> {
    fn push(&mut self, info: RowInfo, values: &[f64]) {
        self.pending.push_back((info.number, info.time));
        self.predictor.push(values, &mut self.decided);
    }

    /// Writes the states decided so far, one line each, and flushes.
    fn write(&mut self) -> std::io::Result<()> {
        if self.decided.is_empty() {
            return Ok(());
        }
        for &s in &self.decided {
            let (t, time) = self.pending.pop_front().unwrap_or((0, None));
            match time {
                Some(time) => writeln!(self.out, "{t},{},{s}", csv_field(&time))?,
                None => writeln!(self.out, "{t},{s}")?,
            }
        }
        self.decided.clear();
        self.out.flush()
    }

    /// Ends the stream: decides and writes the rest.
    fn finish(mut self) -> std::io::Result<()> {
        let predictor = self.predictor;
        let mut decided = std::mem::take(&mut self.decided);
        predictor.finish(&mut decided);
        self.decided = decided;
        for &s in &self.decided {
            let (t, time) = self.pending.pop_front().unwrap_or((0, None));
            match time {
                Some(time) => writeln!(self.out, "{t},{},{s}", csv_field(&time))?,
                None => writeln!(self.out, "{t},{s}")?,
            }
        }
        self.out.flush()
    }
}

/// `s` as one CSV field (quoted when it needs it).
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}
