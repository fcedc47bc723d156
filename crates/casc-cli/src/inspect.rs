//! `casc inspect`: what a model file holds.

use std::path::PathBuf;

use casc::Model;
use clap::Args;

use crate::common::Failure;

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
        println!(
            "{}",
            serde_json::to_string_pretty(&model).map_err(anyhow::Error::from)?
        );
        return Ok(());
    }
    println!(
        "casc model {} (format version {})",
        a.model.display(),
        casc::FORMAT_VERSION
    );
    println!(
        "  {} states over windows of {} x {} sensors ({})",
        model.n_states(),
        model.window,
        model.n_sensors,
        model.sensor_names.join(", ")
    );
    println!(
        "  beta {}, lambda {}, gamma {}, standardised: {}",
        model.beta,
        model.params.lambda(),
        model.params.gamma(),
        if model.scales.is_some() { "yes" } else { "no" }
    );
    for (k, s) in model.states.iter().enumerate() {
        println!("  state {k}: {} non-zero precision entries", s.nonzeros());
    }
    for (i, m) in model.motifs.iter().enumerate() {
        let st: Vec<String> = m.states.iter().map(|s| s.to_string()).collect();
        println!(
            "  motif {i}: {} ({} instances at fit time, p {:.2e})",
            st.join(" -> "),
            m.instances.len(),
            m.p_value
        );
    }
    Ok(())
}
