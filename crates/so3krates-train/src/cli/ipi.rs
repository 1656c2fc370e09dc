//! `so3krates ipi`: the model as an i-PI driver (client of i-PI or ASE's SocketIOCalculator).

use std::time::Duration;

use anyhow::{bail, Result};
use so3krates_core::backend::load_predictor;
use so3krates_md::ipi::{connect, Address, IpiClient, SessionSummary};
use so3krates_md::Potential;

use super::structure_file::read_frame;
use super::IpiArgs;
use crate::run_folder::resolve_model;

/// Connects to the server and answers its force requests until it says EXIT or hangs up.
pub fn run(args: &IpiArgs) -> Result<SessionSummary> {
    let (model_path, _) = resolve_model(&args.model)?;
    let template = read_frame(&args.structure, 0)?;
    let predictor = load_predictor(&model_path, args.device)?;
    let potential = Potential::new(predictor.as_ref())?;
    let address = match (&args.address, &args.unix) {
        (Some(address), None) => Address::Tcp(address.clone()),
        (None, Some(name)) => Address::Unix(name.clone()),
        _ => bail!("give exactly one of --address HOST:PORT and --unix NAME"),
    };
    if !(args.connect_timeout.is_finite() && args.connect_timeout >= 0.0) {
        bail!("--connect-timeout must be a number of seconds ≥ 0, got {}", args.connect_timeout);
    }

    let mut connection = connect(&address, Duration::from_secs_f64(args.connect_timeout))?;
    eprintln!(
        "ipi: connected to {address}; {} atoms from {}, {}",
        template.len(),
        args.structure.display(),
        if template.is_periodic() {
            "periodic (cell from the server)"
        } else {
            "molecule (the server's cell is ignored)"
        }
    );
    let summary = IpiClient::new(&potential, template).serve(connection.as_mut())?;
    eprintln!(
        "ipi: {} after {} force evaluations",
        if summary.exit_message { "server sent EXIT" } else { "server closed the connection" },
        summary.evaluations
    );
    Ok(summary)
}
