//! The `so3krates` binary; see `so3krates --help`.

use std::process::ExitCode;

use clap::Parser;
use so3krates_train::cli::{bench, evaluate, ipi, md, predict, relax, serve, train, Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Train(args) => train::run(args).map(|_| ()),
        Command::Evaluate(args) => evaluate::run(args).map(|_| ()),
        Command::Predict(args) => predict::run(args).map(|_| ()),
        Command::Md(args) => md::run(args).map(|_| ()),
        Command::Relax(args) => relax::run(args).map(|_| ()),
        Command::Ipi(args) => ipi::run(args).map(|_| ()),
        Command::Serve(args) => serve::run(args).map(|_| ()),
        Command::Bench(args) => bench::run(args).map(|_| ()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
