//! The `so3krates` command line: `train`, `evaluate`, `predict`, `md`, `relax`, `ipi`, `serve`,
//! `bench`.

pub mod bench;
pub mod evaluate;
pub mod ipi;
pub mod md;
pub mod predict;
pub mod relax;
pub mod serve;
mod structure_file;
pub mod train;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use so3krates_core::backend::DeviceKind;

/// Train, evaluate and run So3krates machine-learned force fields.
#[derive(Debug, Parser)]
#[command(name = "so3krates", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Train a model from a config file (see configs/), then test it.
    Train(TrainArgs),
    /// Errors of a model on labelled data: energy and force MAE and RMSE.
    Evaluate(EvaluateArgs),
    /// Energies and forces of the structures of a file, written as extended XYZ.
    Predict(PredictArgs),
    /// Molecular dynamics: NVE (velocity Verlet) or, with --friction, Langevin NVT.
    Md(MdArgs),
    /// Relax a geometry (FIRE) until every force is below --fmax.
    Relax(RelaxArgs),
    /// Serve forces to an i-PI server (i-PI, ASE's SocketIOCalculator) as its driver.
    Ipi(IpiArgs),
    /// Serve the model over HTTP (POST /v1/predict), batching concurrent requests.
    Serve(ServeArgs),
    /// Throughput of the default-size model on a device: energy+forces and training steps.
    Bench(BenchArgs),
}

#[derive(Debug, Args)]
pub struct TrainArgs {
    /// The config file (TOML). With --resume it may be left out: the run folder's copy is used.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Override a config value, e.g. --set training.n_train=200 (dotted key, TOML value).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub overrides: Vec<String>,
    /// Run folder; the same as --set run_dir=RUN.
    #[arg(long, value_name = "RUN")]
    pub run_dir: Option<PathBuf>,
    /// Continue the run in the run folder from its latest checkpoint.
    #[arg(long, conflicts_with = "overwrite")]
    pub resume: bool,
    /// Replace the files of a run already in the run folder.
    #[arg(long)]
    pub overwrite: bool,
    /// cpu (f32), cpu-f64, wgpu or cuda (the GPU ones when built with that feature).
    #[arg(long, default_value = "cpu")]
    pub device: DeviceKind,
}

/// Which frames of the data file `evaluate` uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SplitArg {
    Test,
    Valid,
    Train,
    All,
}

#[derive(Debug, Args)]
pub struct EvaluateArgs {
    /// A run folder (its best.so3krates is used) or a model file.
    #[arg(long, value_name = "RUN|FILE")]
    pub model: PathBuf,
    /// Labelled data (.npz, .xyz, .extxyz); default: the run's training data file.
    #[arg(long, value_name = "FILE")]
    pub data: Option<PathBuf>,
    /// Frames to use. Default: the run's test split when --data is its training data file,
    /// else all frames.
    #[arg(long, value_enum)]
    pub split: Option<SplitArg>,
    /// Also write per-structure energies and errors to this CSV file.
    #[arg(long, value_name = "FILE")]
    pub per_structure: Option<PathBuf>,
    #[arg(long, default_value = "cpu")]
    pub device: DeviceKind,
    /// Structures per forward pass.
    #[arg(long, default_value_t = 50)]
    pub batch_size: usize,
    /// Extended XYZ key of the reference energy (default: the run's, else "energy").
    #[arg(long)]
    pub energy_key: Option<String>,
    /// Extended XYZ column of the reference forces (default: the run's, else "forces").
    #[arg(long)]
    pub forces_key: Option<String>,
}

#[derive(Debug, Args)]
pub struct PredictArgs {
    /// A run folder (its best.so3krates is used) or a model file.
    #[arg(long, value_name = "RUN|FILE")]
    pub model: PathBuf,
    /// Structures to predict (.npz, .xyz, .extxyz); labels in it are ignored.
    #[arg(long, value_name = "FILE")]
    pub input: PathBuf,
    /// Extended XYZ output with `energy` and a `forces` column.
    #[arg(long, value_name = "FILE")]
    pub output: PathBuf,
    /// Also predict the stress of periodic structures.
    #[arg(long)]
    pub stress: bool,
    #[arg(long, default_value = "cpu")]
    pub device: DeviceKind,
    /// Structures per forward pass.
    #[arg(long, default_value_t = 50)]
    pub batch_size: usize,
}

#[derive(Debug, Args)]
pub struct MdArgs {
    /// A run folder (its best.so3krates is used) or a model file.
    #[arg(long, value_name = "RUN|FILE")]
    pub model: PathBuf,
    /// The starting structure (.xyz, .extxyz or .npz).
    #[arg(long, value_name = "FILE")]
    pub structure: PathBuf,
    /// Which frame of the structure file to start from (0-based).
    #[arg(long, default_value_t = 0)]
    pub frame: usize,
    /// Number of time steps.
    #[arg(long)]
    pub steps: u64,
    /// Time step, fs.
    #[arg(long, default_value_t = 0.5)]
    pub dt: f64,
    /// Temperature, K: of the Maxwell–Boltzmann initial velocities and, with --friction, of
    /// the Langevin thermostat. Without it the atoms start at rest.
    #[arg(long)]
    pub temperature: Option<f64>,
    /// Langevin friction γ, 1/fs (e.g. 0.01). Without it the dynamics are NVE.
    #[arg(long, requires = "temperature")]
    pub friction: Option<f64>,
    /// Seed of the initial velocities and the thermostat noise.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Extended XYZ trajectory (positions, forces in eV/Å, energy in eV).
    #[arg(long, value_name = "FILE", default_value = "md.xyz")]
    pub trajectory: PathBuf,
    /// Thermo log CSV (time, energies, temperature); default: the trajectory with .csv.
    #[arg(long, value_name = "FILE")]
    pub thermo: Option<PathBuf>,
    /// Write a frame and a log row every this many steps.
    #[arg(long, default_value_t = 10)]
    pub interval: u64,
    #[arg(long, default_value = "cpu")]
    pub device: DeviceKind,
}

#[derive(Debug, Args)]
pub struct RelaxArgs {
    /// A run folder (its best.so3krates is used) or a model file.
    #[arg(long, value_name = "RUN|FILE")]
    pub model: PathBuf,
    /// The structure to relax (.xyz, .extxyz or .npz).
    #[arg(long, value_name = "FILE")]
    pub structure: PathBuf,
    /// Which frame of the structure file to relax (0-based).
    #[arg(long, default_value_t = 0)]
    pub frame: usize,
    /// Force threshold, eV/Å: converged when every atom's force is below it.
    #[arg(long, default_value_t = 0.05)]
    pub fmax: f64,
    /// Give up after this many steps.
    #[arg(long, default_value_t = 1000)]
    pub max_steps: usize,
    /// The relaxed structure, extended XYZ (energy in eV, forces in eV/Å).
    #[arg(long, value_name = "FILE", default_value = "relaxed.xyz")]
    pub output: PathBuf,
    /// Also write every step of the relaxation to this extended XYZ file.
    #[arg(long, value_name = "FILE")]
    pub trajectory: Option<PathBuf>,
    #[arg(long, default_value = "cpu")]
    pub device: DeviceKind,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("endpoint").required(true).args(["address", "unix"])))]
pub struct IpiArgs {
    /// A run folder (its best.so3krates is used) or a model file.
    #[arg(long, value_name = "RUN|FILE")]
    pub model: PathBuf,
    /// The atoms, in the server's order (.xyz, .extxyz or .npz; first frame). The wire
    /// carries no species: they come from here, and so does periodicity (its pbc flags).
    #[arg(long, value_name = "FILE")]
    pub structure: PathBuf,
    /// Inet socket of the server, HOST:PORT (i-PI's default port is 31415).
    #[arg(long, value_name = "HOST:PORT")]
    pub address: Option<String>,
    /// Unix socket of the server by name: /tmp/ipi_NAME.
    #[arg(long, value_name = "NAME")]
    pub unix: Option<String>,
    /// Keep trying to connect for this many seconds.
    #[arg(long, default_value_t = 30.0)]
    pub connect_timeout: f64,
    #[arg(long, default_value = "cpu")]
    pub device: DeviceKind,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// A run folder (its best.so3krates is used) or a model file.
    #[arg(long, value_name = "RUN|FILE")]
    pub model: PathBuf,
    /// Address to listen on; port 0 picks a free port (printed at start).
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "HOST:PORT")]
    pub bind: std::net::SocketAddr,
    /// After the first request of a batch, wait this long for more to join it, ms.
    #[arg(long, default_value_t = 2.0, value_name = "MS")]
    pub batch_window_ms: f64,
    /// Close a batch once it holds this many atoms.
    #[arg(long, default_value_t = 4096)]
    pub max_batch_atoms: usize,
    /// Requests that may wait for the model; beyond it requests get HTTP 503 + Retry-After.
    #[arg(long, default_value_t = 1024)]
    pub queue_capacity: usize,
    /// Most atoms one request may hold (HTTP 413 beyond).
    #[arg(long, default_value_t = 10_000)]
    pub max_atoms: usize,
    /// Largest request body, bytes (HTTP 413 beyond).
    #[arg(long, default_value_t = 16 * 1024 * 1024)]
    pub max_body_bytes: usize,
    /// Log level: error, warn, info (a start and a stop summary) or debug (a line per request).
    #[arg(long, default_value = "info")]
    pub log_level: String,
    #[arg(long, default_value = "cpu")]
    pub device: DeviceKind,
}

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// cpu (f32), cpu-f64, wgpu or cuda (the GPU ones when built with that feature).
    #[arg(long, default_value = "cpu")]
    pub device: DeviceKind,
    /// Ethanol batch sizes timed for energy+forces.
    #[arg(long, value_delimiter = ',', default_value = "1,32,256")]
    pub batches: Vec<usize>,
    /// Atoms of the one large structure (ethanol copies); 0 leaves it out.
    #[arg(long, default_value_t = 10_000)]
    pub large_atoms: usize,
    /// Ethanol structures per training step.
    #[arg(long, default_value_t = 10)]
    pub train_batch: usize,
    /// Time spent on each case after its warm-up call, s.
    #[arg(long, default_value_t = 5.0)]
    pub seconds: f64,
}
