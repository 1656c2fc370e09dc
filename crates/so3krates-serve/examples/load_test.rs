//! Load test of a running `so3krates serve` on loopback, bounded in time and in requests.
//!
//! `--clients` concurrent clients each send one-structure requests (frames of an extended
//! XYZ file, in turn) until `--seconds` have passed or `--max-requests` were sent in all.
//! Prints throughput, latency percentiles, the error count and the server's mean batch size
//! (from `/metrics`). With `--direct MODEL` it instead times one client calling the model
//! directly through the core API (no HTTP, no batching), for comparison.
//!
//! ```sh
//! target/release/so3krates serve --model runs/demo --bind 127.0.0.1:8080 &
//! cargo run --release -p so3krates-serve --example load_test -- \
//!     --url http://127.0.0.1:8080 --structures data/ethanol_gfn2_500K.xyz --clients 64 --seconds 30
//! cargo run --release -p so3krates-serve --example load_test -- \
//!     --direct runs/demo/best.so3krates --structures data/ethanol_gfn2_500K.xyz --seconds 30
//! ```

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use serde_json::{json, Value};
use so3krates_core::backend::CpuBackend;
use so3krates_core::io::{read_extxyz, ExtxyzKeys};
use so3krates_core::{Model, Structure};

#[derive(Debug, Parser)]
struct Args {
    /// Base URL of the server.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    url: String,
    /// Extended XYZ file whose frames are sent.
    #[arg(long)]
    structures: PathBuf,
    /// Concurrent clients.
    #[arg(long, default_value_t = 64)]
    clients: usize,
    /// Duration of the test, s.
    #[arg(long, default_value_t = 30.0)]
    seconds: f64,
    /// Stop after this many requests in all.
    #[arg(long, default_value_t = 1_000_000)]
    max_requests: usize,
    /// Time direct model calls of one client instead (a model file), no server.
    #[arg(long)]
    direct: Option<PathBuf>,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let frames: Vec<Structure> =
        read_extxyz(&args.structures, &ExtxyzKeys::default())?.into_iter().map(|f| f.structure).collect();
    if frames.is_empty() {
        return Err(format!("{} holds no frame", args.structures.display()).into());
    }
    match &args.direct {
        Some(model) => direct(model, &frames, &args),
        None => tokio::runtime::Runtime::new()?.block_on(over_http(&args, frames)),
    }
}

fn direct(model: &Path, frames: &[Structure], args: &Args) -> Result<(), Box<dyn std::error::Error>> {
    let model = Model::<CpuBackend>::load(model, &Default::default())?;
    let deadline = Instant::now() + Duration::from_secs_f64(args.seconds);
    let started = Instant::now();
    let mut latencies = Vec::new();
    while Instant::now() < deadline && latencies.len() < args.max_requests {
        let frame = &frames[latencies.len() % frames.len()];
        let call = Instant::now();
        model.energy_forces(std::slice::from_ref(frame))?;
        latencies.push(call.elapsed().as_secs_f64());
    }
    let elapsed = started.elapsed().as_secs_f64();
    println!(
        "direct, 1 client: {} structures in {elapsed:.1} s: {:.1} structures/s; latency p50 {:.2} ms, p99 {:.2} ms",
        latencies.len(),
        latencies.len() as f64 / elapsed,
        percentile(&mut latencies, 0.50) * 1e3,
        percentile(&mut latencies, 0.99) * 1e3
    );
    Ok(())
}

async fn over_http(args: &Args, frames: Vec<Structure>) -> Result<(), Box<dyn std::error::Error>> {
    let client = reqwest::Client::builder().pool_max_idle_per_host(args.clients).build()?;
    let bodies: Arc<Vec<Value>> = Arc::new(
        frames
            .iter()
            .map(|f| json!({ "structures": [{ "numbers": f.numbers, "positions": f.positions }] }))
            .collect(),
    );
    let sent = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let deadline = Instant::now() + Duration::from_secs_f64(args.seconds);
    let started = Instant::now();

    let tasks: Vec<_> = (0..args.clients)
        .map(|_| {
            let (client, bodies, sent, url, max) =
                (client.clone(), bodies.clone(), sent.clone(), args.url.clone(), args.max_requests);
            tokio::spawn(async move {
                let (mut latencies, mut errors) = (Vec::new(), 0usize);
                while Instant::now() < deadline {
                    let k = sent.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    if k >= max {
                        break;
                    }
                    let call = Instant::now();
                    let ok = match client
                        .post(format!("{url}/v1/predict"))
                        .json(&bodies[k % bodies.len()])
                        .send()
                        .await
                    {
                        Ok(response) if response.status().is_success() => response.bytes().await.is_ok(),
                        _ => false,
                    };
                    if ok {
                        latencies.push(call.elapsed().as_secs_f64());
                    } else {
                        errors += 1;
                    }
                }
                (latencies, errors)
            })
        })
        .collect();
    let (mut latencies, mut errors) = (Vec::new(), 0);
    for task in tasks {
        let (l, e) = task.await?;
        latencies.extend(l);
        errors += e;
    }
    let elapsed = started.elapsed().as_secs_f64();

    let metrics = client.get(format!("{}/metrics", args.url)).send().await?.text().await?;
    let value = |name: &str| {
        metrics
            .lines()
            .find_map(|l| l.strip_prefix(name).and_then(|v| v.trim().parse::<f64>().ok()))
            .unwrap_or(f64::NAN)
    };
    let mean_batch = value("so3krates_batch_structures_sum ") / value("so3krates_batch_structures_count ");
    println!(
        "{} clients over HTTP: {} structures in {elapsed:.1} s: {:.1} structures/s; latency p50 {:.2} ms, \
         p99 {:.2} ms; errors {errors}; mean batch {mean_batch:.1} structures (server lifetime)",
        args.clients,
        latencies.len(),
        latencies.len() as f64 / elapsed,
        percentile(&mut latencies, 0.50) * 1e3,
        percentile(&mut latencies, 0.99) * 1e3
    );
    Ok(())
}

/// The `q` quantile (nearest rank) of `values`; NaN when empty.
fn percentile(values: &mut [f64], q: f64) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(f64::total_cmp);
    values[((values.len() as f64 * q).ceil() as usize).clamp(1, values.len()) - 1]
}
