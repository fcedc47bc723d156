//! `casc inspect`: what a model file holds.

use std::path::PathBuf;

use casc::Model;
use clap::Args;

use crate::common::{Failure, say};

/// Arguments of `casc inspect`.
#[derive(Args, Debug)]
pub struct InspectArgs {
    /// A model written by `casc fit`.
    pub model: PathBuf,
    /// Print the whole model as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Runs `casc inspect`.
pub fn run(a: InspectArgs) -> Result<(), Failure> {
    let model = Model::load(&a.model)?;
    if a.json {
        say!(
            "{}",
            serde_json::to_string_pretty(&model).map_err(anyhow::Error::from)?
        )?;
        return Ok(());
    }
    say!(
        "casc model {} (format version {})",
        a.model.display(),
        casc::FORMAT_VERSION
    )?;
    say!(
        "  {} states over windows of {} x {} sensors ({})",
        model.n_states(),
        model.window,
        model.n_sensors,
        model.sensor_names.join(", ")
    )?;
    say!(
        "  {}",
        if model.has_sensor_names() {
            "data columns are matched to these sensors by name"
        } else {
            "fitted on data without a header: data columns are taken in order"
        }
    )?;
    say!(
        "  beta {}, lambda {}, gamma {}, standardised: {}",
        model.beta,
        model.params.lambda(),
        model.params.gamma(),
        if model.scales.is_some() { "yes" } else { "no" }
    )?;
    for (k, s) in model.states.iter().enumerate() {
        say!("  state {k}: {} non-zero precision entries", s.nonzeros())?;
    }
    for (i, m) in model.motifs.iter().enumerate() {
        let st: Vec<String> = m.states.iter().map(|s| s.to_string()).collect();
        say!(
            "  motif {i}: {} ({} instances at fit time, p {:.2e})",
            st.join(" -> "),
            m.instances.len(),
            m.p_value
        )?;
    }
    Ok(())
}
