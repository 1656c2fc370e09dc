//! The server over real HTTP on loopback: batched answers equal direct evaluation with the
//! core API, every bad input gets its documented 4xx naming the field, a failing structure
//! does not spoil the requests batched with it, a full queue answers 503 with Retry-After,
//! and shutdown drains the requests in flight. A model with non-local attention is served
//! the same way and refuses the structures it cannot evaluate by name.
//!
//! The model is the trained demo model of the README's first command (ethanol, GFN2-xTB,
//! eV; elements H, C, O), shared with the MD tests.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use so3krates_core::backend::{CpuBackend, DeviceKind};
use so3krates_core::config::{NonLocalConfig, NonLocalMode};
use so3krates_core::io::{chemical_symbol, read_extxyz, ExtxyzKeys};
use so3krates_core::{model_file, CoreError, ForcePredictor, Model, Prediction, Structure, Units};
use so3krates_serve::predictor::{model_file_loader, LoadedPredictor};
use so3krates_serve::server::{ServeSummary, Server};
use so3krates_serve::ServerConfig;
use tokio::sync::oneshot;

fn model_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../so3krates-md/tests/data/ethanol_demo.so3krates")
}

fn direct_model() -> Model<CpuBackend> {
    Model::load(&model_path(), &Default::default()).expect("the fixture model loads")
}

/// The first `n` frames of the shipped GFN2-xTB ethanol trajectory.
fn ethanol_frames(n: usize) -> Vec<Structure> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data/ethanol_gfn2_500K.xyz");
    let frames = read_extxyz(&path, &ExtxyzKeys::default()).expect("the shipped data reads");
    frames.into_iter().take(n).map(|f| f.structure).collect()
}

fn water() -> Structure {
    Structure::molecule(vec![8, 1, 1], vec![[0.0, 0.0, 0.0], [0.96, 0.0, 0.0], [-0.24, 0.93, 0.0]])
}

/// Ethanol in a periodic triclinic box (stress is defined).
fn periodic_ethanol() -> Structure {
    let molecule = ethanol_frames(1).remove(0);
    let cell = [[7.0, 0.0, 0.0], [0.8, 6.5, 0.0], [0.3, -0.4, 7.5]];
    Structure::periodic(molecule.numbers, molecule.positions, cell, [true, true, true])
}

fn as_json(structure: &Structure) -> Value {
    let mut value = json!({ "numbers": structure.numbers, "positions": structure.positions });
    if structure.is_periodic() {
        value["cell"] = json!(structure.cell);
        value["pbc"] = json!(structure.pbc);
    }
    value
}

/// A running server on a free loopback port, and the way to stop it.
struct Running {
    url: String,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<Result<ServeSummary, so3krates_serve::ServeError>>,
}

impl Running {
    async fn start<F>(config: ServerConfig, factory: F) -> Self
    where
        F: FnOnce() -> Result<LoadedPredictor, CoreError> + Send + 'static,
    {
        let config = ServerConfig { bind: "127.0.0.1:0".parse().unwrap(), ..config };
        let server = Server::start(config, factory).await.expect("the server starts");
        let url = format!("http://{}", server.local_addr());
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(server.run(async move {
            let _ = stopped.await;
        }));
        Self { url, stop: Some(stop), task }
    }

    async fn with_model(config: ServerConfig) -> Self {
        Self::start(config, model_file_loader(model_path(), DeviceKind::Cpu)).await
    }

    async fn shutdown(mut self) -> ServeSummary {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.task.await.expect("the server task ends").expect("the server stops cleanly")
    }
}

async fn post(client: &reqwest::Client, url: &str, body: &Value) -> (u16, Value) {
    let response =
        client.post(format!("{url}/v1/predict")).json(body).send().await.expect("the request is answered");
    let status = response.status().as_u16();
    (status, response.json().await.expect("the answer is JSON"))
}

async fn post_raw(client: &reqwest::Client, url: &str, body: Vec<u8>, content_type: &str) -> (u16, Value) {
    let response = client
        .post(format!("{url}/v1/predict"))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .expect("the request is answered");
    let status = response.status().as_u16();
    (status, response.json().await.expect("the answer is JSON"))
}

fn vectors(value: &Value) -> Vec<[f64; 3]> {
    value.as_array().unwrap().iter().map(|row| [0, 1, 2].map(|c| row[c].as_f64().unwrap())).collect()
}

/// |a − b| ≤ tol·max(|b|) componentwise, for energies, forces and stress.
fn assert_matches(result: &Value, direct: &Prediction, tolerance: f64, what: &str) {
    let energy = result["energy"].as_f64().expect("energy present");
    assert!(
        (energy - direct.energy).abs() <= tolerance * direct.energy.abs(),
        "{what}: energy {energy} vs direct {}",
        direct.energy
    );
    let forces = vectors(&result["forces"]);
    let scale = direct.forces.iter().flatten().fold(0.0f64, |m, f| m.max(f.abs()));
    for (a, b) in forces.iter().flatten().zip(direct.forces.iter().flatten()) {
        assert!((a - b).abs() <= tolerance * scale, "{what}: force {a} vs direct {b}");
    }
    assert_eq!(forces.len(), direct.forces.len(), "{what}: one force per atom");
    match &direct.stress {
        Some(stress) => {
            let got = vectors(&result["stress"]);
            let scale = stress.iter().flatten().fold(0.0f64, |m, s| m.max(s.abs()));
            for (a, b) in got.iter().flatten().zip(stress.iter().flatten()) {
                assert!((a - b).abs() <= tolerance * scale, "{what}: stress {a} vs direct {b}");
            }
        }
        None => assert!(result.get("stress").is_none(), "{what}: a molecule has no stress"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mixed_batch_over_http_equals_direct_evaluation() {
    let server = Running::with_model(ServerConfig::default()).await;
    let client = reqwest::Client::new();
    let mut structures = ethanol_frames(3);
    structures.push(water());
    structures.push(periodic_ethanol());
    // The second structure names its elements by symbol.
    let mut by_symbol = as_json(&structures[1]);
    let symbols: Vec<&str> = structures[1].numbers.iter().map(|&z| chemical_symbol(z).unwrap()).collect();
    by_symbol.as_object_mut().unwrap().remove("numbers");
    by_symbol["symbols"] = json!(symbols);

    let mut body_structures: Vec<Value> = structures.iter().map(as_json).collect();
    body_structures[1] = by_symbol;
    let body = json!({ "structures": body_structures, "properties": ["energy", "forces", "stress"] });
    let (status, answer) = post(&client, &server.url, &body).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["units"]["energy"], "eV");
    assert_eq!(answer["units"]["forces"], "eV/Å");
    assert_eq!(answer["units"]["stress"], "eV/Å³");

    let direct = direct_model().predict(&structures, true).unwrap();
    let results = answer["results"].as_array().unwrap();
    assert_eq!(results.len(), structures.len(), "one result per structure, in order");
    for (k, (result, direct)) in results.iter().zip(&direct).enumerate() {
        assert_matches(result, direct, 1e-6, &format!("structure {k}"));
    }
    assert!(results[4].get("stress").is_some(), "the periodic structure has a stress");

    let (status, answer) = post(
        &client,
        &server.url,
        &json!({ "structures": [as_json(&structures[0])], "properties": ["energy"] }),
    )
    .await;
    assert_eq!(status, 200);
    assert!(answer["results"][0].get("forces").is_none(), "only the energy was asked for");
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_requests_are_batched_and_each_gets_its_own_answer() {
    let config = ServerConfig { batch_window: Duration::from_millis(20), ..ServerConfig::default() };
    let server = Running::with_model(config).await;
    let client = reqwest::Client::new();
    let frames = ethanol_frames(16);

    let requests = frames.iter().map(|frame| {
        let (client, url) = (client.clone(), server.url.clone());
        let body = json!({ "structures": [as_json(frame)] });
        async move { post(&client, &url, &body).await }
    });
    let answers = futures_join_all(requests).await;

    let model = direct_model();
    for (k, ((status, answer), frame)) in answers.iter().zip(&frames).enumerate() {
        assert_eq!(*status, 200, "{answer}");
        let direct = &model.predict(std::slice::from_ref(frame), false).unwrap()[0];
        // Batched with other structures: f32 sums in another order.
        assert_matches(&answer["results"][0], direct, 1e-5, &format!("request {k}"));
    }
    let metrics = client.get(format!("{}/metrics", server.url)).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("so3krates_predict_requests_total{status=\"200\"} 16"), "{metrics}");
    let summary = server.shutdown().await;
    assert_eq!(summary.structures, 16);
    assert!(
        summary.model_calls < 16,
        "16 concurrent requests within a 20 ms window took {} model calls: nothing was batched",
        summary.model_calls
    );
}

/// Runs the futures concurrently on the runtime and returns their outputs in order.
async fn futures_join_all<F, T>(futures: impl IntoIterator<Item = F>) -> Vec<T>
where
    F: std::future::Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let handles: Vec<_> = futures.into_iter().map(tokio::spawn).collect();
    let mut outputs = Vec::with_capacity(handles.len());
    for handle in handles {
        outputs.push(handle.await.expect("the task finishes"));
    }
    outputs
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_gets_a_documented_4xx_naming_the_field() {
    let config =
        ServerConfig { max_atoms_per_request: 50, max_body_bytes: 20_000, ..ServerConfig::default() };
    let server = Running::with_model(config).await;
    let client = reqwest::Client::new();
    let ethanol = ethanol_frames(1).remove(0);
    let good = as_json(&ethanol);
    let with = |edit: &dyn Fn(&mut Value)| {
        let mut structure = good.clone();
        edit(&mut structure);
        json!({ "structures": [good.clone(), structure] })
    };

    // (case, body, expected status, expected field, a word the message must hold)
    let cases: Vec<(&str, Value, u16, Option<&str>, &str)> = vec![
        (
            "missing positions",
            with(&|s| {
                s.as_object_mut().unwrap().remove("positions");
            }),
            400,
            Some("structures[1]"),
            "positions",
        ),
        (
            "wrong type",
            with(&|s| s["numbers"] = json!("CCO")),
            400,
            Some("structures[1].numbers"),
            "malformed",
        ),
        (
            "three numbers but nine positions",
            with(&|s| s["numbers"] = json!([6, 6, 8])),
            422,
            Some("structures[1].positions"),
            "positions",
        ),
        (
            "both numbers and symbols",
            with(&|s| s["symbols"] = json!(["C"])),
            422,
            Some("structures[1]"),
            "either",
        ),
        (
            "no elements",
            with(&|s| {
                s.as_object_mut().unwrap().remove("numbers");
            }),
            422,
            Some("structures[1]"),
            "missing",
        ),
        (
            "iron, unknown to the model",
            with(&|s| s["numbers"][4] = json!(26)),
            422,
            Some("structures[1].numbers[4]"),
            "Fe",
        ),
        (
            "an unknown symbol",
            with(&|s| {
                s.as_object_mut().unwrap().remove("numbers");
                s["symbols"] = json!(["C", "C", "O", "H", "H", "Xx", "H", "H", "H"]);
            }),
            422,
            Some("structures[1].symbols[5]"),
            "Xx",
        ),
        (
            "atomic number 0",
            with(&|s| s["numbers"][0] = json!(0)),
            422,
            Some("structures[1].numbers[0]"),
            "atomic number",
        ),
        (
            "coincident atoms",
            with(&|s| s["positions"][7] = s["positions"][2].clone()),
            422,
            Some("structures[1].positions[7]"),
            "coincide",
        ),
        (
            "a coordinate beyond range",
            with(&|s| s["positions"][3][1] = json!(1e12)),
            422,
            Some("structures[1].positions[3]"),
            "beyond",
        ),
        (
            "a singular cell",
            with(&|s| {
                s["cell"] = json!([[5.0, 0.0, 0.0], [10.0, 0.0, 0.0], [0.0, 0.0, 5.0]]);
                s["pbc"] = json!([true, true, true]);
            }),
            422,
            Some("structures[1].cell"),
            "singular",
        ),
        (
            "pbc without a cell",
            with(&|s| s["pbc"] = json!([true, false, false])),
            422,
            Some("structures[1].pbc"),
            "cell",
        ),
        (
            "a cell with three rows of two",
            with(&|s| s["cell"] = json!([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]])),
            400,
            Some("structures[1].cell[0]"),
            "malformed",
        ),
        ("no structures", json!({ "structures": [] }), 422, Some("structures"), "no structure"),
        (
            "an unknown property",
            json!({ "structures": [good.clone()], "properties": ["charges"] }),
            400,
            Some("properties[0]"),
            "charges",
        ),
        (
            "an unknown key",
            json!({ "structures": [good.clone()], "temperature": 300 }),
            400,
            Some("temperature"),
            "unknown field",
        ),
        (
            "more atoms than the limit",
            json!({ "structures": vec![good.clone(); 6] }),
            413,
            Some("structures"),
            "at most 50",
        ),
    ];
    for (case, body, status, field, word) in cases {
        let (got, answer) = post(&client, &server.url, &body).await;
        assert_eq!(got, status, "{case}: {answer}");
        assert_eq!(answer["field"].as_str(), field, "{case}: {answer}");
        let message = answer["error"].as_str().unwrap_or_default();
        assert!(message.contains(word), "{case}: the message {message:?} does not say {word:?}");
    }

    // What JSON itself cannot hold: NaN, infinity, and text that is not JSON at all.
    let raw_cases: Vec<(&str, String, u16)> = vec![
        ("NaN coordinate", good.to_string().replacen("positions\":[[", "positions\":[[NaN,", 1), 400),
        (
            "infinite coordinate",
            "{\"structures\":[{\"numbers\":[1],\"positions\":[[1e999,0,0]]}]}".to_string(),
            400,
        ),
        ("truncated JSON", format!("{{\"structures\":[{}", good), 400),
        ("trailing garbage", format!("{{\"structures\":[{good}]}} x"), 400),
    ];
    for (case, body, status) in raw_cases {
        let (got, answer) = post_raw(&client, &server.url, body.into_bytes(), "application/json").await;
        assert_eq!(got, status, "{case}: {answer}");
        assert!(answer["error"].as_str().unwrap().contains("malformed JSON"), "{case}: {answer}");
    }

    let (got, answer) = post_raw(&client, &server.url, b"structures".to_vec(), "text/plain").await;
    assert_eq!(got, 415, "{answer}");
    let oversized = json!({ "structures": [good.clone()], "pad": "x".repeat(30_000) });
    let (got, answer) = post(&client, &server.url, &oversized).await;
    assert_eq!(got, 413, "an oversized body: {answer}");

    // After all that the server still answers good requests.
    let (got, answer) = post(&client, &server.url, &json!({ "structures": [good] })).await;
    assert_eq!(got, 200, "{answer}");
    let summary = server.shutdown().await;
    assert_eq!(summary.errors + 1, summary.requests);
}

/// The demo model, but a structure whose first atom sits at x = 1000 Å makes the whole
/// model call fail, as a backend error would.
struct FailsOnMarkedStructures {
    model: Model<CpuBackend>,
    calls: Arc<AtomicUsize>,
    delay: Duration,
}

impl FailsOnMarkedStructures {
    const MARK_X: f64 = 1000.0;
}

impl ForcePredictor for FailsOnMarkedStructures {
    fn predict(&self, structures: &[Structure], stress: bool) -> Result<Vec<Prediction>, CoreError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        std::thread::sleep(self.delay);
        if let Some(index) = structures.iter().position(|s| s.positions[0][0] == Self::MARK_X) {
            return Err(CoreError::InBatch {
                index,
                source: Box::new(CoreError::InvalidStructure("the marked structure".to_string())),
            });
        }
        self.model.predict(structures, stress)
    }

    fn cutoff_angstrom(&self) -> f64 {
        self.model.cutoff_angstrom()
    }

    fn units(&self) -> Units {
        self.model.units()
    }
}

fn failing_predictor(
    calls: Arc<AtomicUsize>,
    delay: Duration,
) -> impl FnOnce() -> Result<LoadedPredictor, CoreError> + Send {
    move || {
        let predictor = FailsOnMarkedStructures { model: direct_model(), calls, delay };
        Ok(LoadedPredictor::any_element(Box::new(predictor)))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_structure_that_fails_the_model_does_not_spoil_its_batch() {
    let calls = Arc::new(AtomicUsize::new(0));
    let config = ServerConfig { batch_window: Duration::from_millis(100), ..ServerConfig::default() };
    let server = Running::start(config, failing_predictor(calls.clone(), Duration::ZERO)).await;
    let client = reqwest::Client::new();
    let frames = ethanol_frames(4);
    let mut marked = frames[3].clone();
    marked.positions[0][0] = FailsOnMarkedStructures::MARK_X;

    let mut bodies: Vec<Value> = frames[..3].iter().map(|f| json!({ "structures": [as_json(f)] })).collect();
    bodies.insert(1, json!({ "structures": [as_json(&frames[0]), as_json(&marked)] }));
    let requests = bodies.into_iter().map(|body| {
        let (client, url) = (client.clone(), server.url.clone());
        async move { post(&client, &url, &body).await }
    });
    let answers = futures_join_all(requests).await;

    let (status, answer) = &answers[1];
    assert_eq!(*status, 422, "{answer}");
    assert_eq!(answer["field"], "structures[1]", "the marked structure is the second of its request");
    let model = direct_model();
    for (k, frame) in [(0, &frames[0]), (2, &frames[1]), (3, &frames[2])] {
        let (status, answer) = &answers[k];
        assert_eq!(*status, 200, "request {k}: {answer}");
        let direct = &model.predict(std::slice::from_ref(frame), false).unwrap()[0];
        assert_matches(&answer["results"][0], direct, 1e-5, &format!("request {k}"));
    }
    // One failed batched call, then one call per request: at most 1 + 4 calls, at least 2.
    let calls = calls.load(Ordering::SeqCst);
    assert!((2..=5).contains(&calls), "{calls} model calls");
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_queue_answers_503_with_retry_after() {
    let calls = Arc::new(AtomicUsize::new(0));
    let config = ServerConfig {
        batch_window: Duration::ZERO,
        max_batch_atoms: 9,
        queue_capacity: 1,
        ..ServerConfig::default()
    };
    let server = Running::start(config, failing_predictor(calls, Duration::from_millis(300))).await;
    let client = reqwest::Client::new();
    let body = json!({ "structures": [as_json(&ethanol_frames(1)[0])] });

    let requests = (0..6).map(|_| {
        let (client, url, body) = (client.clone(), server.url.clone(), body.clone());
        async move {
            let response = client.post(format!("{url}/v1/predict")).json(&body).send().await.unwrap();
            let retry_after = response.headers().get("retry-after").map(|v| v.to_str().unwrap().to_string());
            (response.status().as_u16(), retry_after)
        }
    });
    let answers = futures_join_all(requests).await;
    let ok = answers.iter().filter(|(status, _)| *status == 200).count();
    let refused: Vec<_> = answers.iter().filter(|(status, _)| *status == 503).collect();
    assert!(ok >= 1, "{answers:?}");
    assert!(!refused.is_empty(), "six requests at once into a queue of one: none refused: {answers:?}");
    assert_eq!(ok + refused.len(), 6, "{answers:?}");
    assert!(refused.iter().all(|(_, retry)| retry.as_deref() == Some("1")), "{answers:?}");
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_drains_the_requests_in_flight() {
    let calls = Arc::new(AtomicUsize::new(0));
    let config = ServerConfig { batch_window: Duration::ZERO, max_batch_atoms: 9, ..ServerConfig::default() };
    let server = Running::start(config, failing_predictor(calls.clone(), Duration::from_millis(200))).await;
    let client = reqwest::Client::new();
    let body = json!({ "structures": [as_json(&ethanol_frames(1)[0])] });

    let in_flight: Vec<_> = (0..4)
        .map(|_| {
            let (client, url, body) = (client.clone(), server.url.clone(), body.clone());
            tokio::spawn(async move { post(&client, &url, &body).await })
        })
        .collect();
    // Let every request reach the queue: the model takes 4 × 200 ms to answer them.
    while calls.load(Ordering::SeqCst) == 0 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    let url = server.url.clone();
    let summary = server.shutdown().await;

    for request in in_flight {
        let (status, answer) = request.await.unwrap();
        assert_eq!(status, 200, "a request in flight at shutdown: {answer}");
    }
    assert_eq!(summary.requests, 4);
    assert_eq!(summary.structures, 4);
    assert!(
        reqwest::Client::new().get(format!("{url}/health")).send().await.is_err(),
        "still listening after shutdown"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_metrics_and_openapi_describe_the_server() {
    let server = Running::with_model(ServerConfig::default()).await;
    let client = reqwest::Client::new();

    let health: Value =
        client.get(format!("{}/health", server.url)).send().await.unwrap().json().await.unwrap();
    assert_eq!(health["status"], "ok");
    assert_eq!(health["energy_unit"], "eV");
    assert_eq!(health["elements"], json!([1, 6, 8]));
    assert_eq!(health["cutoff_angstrom"], 5.0);

    let (status, _) = post(&client, &server.url, &json!({ "structures": [as_json(&water())] })).await;
    assert_eq!(status, 200);
    let (status, _) = post(&client, &server.url, &json!({ "structures": [] })).await;
    assert_eq!(status, 422);
    let metrics = client.get(format!("{}/metrics", server.url)).send().await.unwrap().text().await.unwrap();
    for line in [
        "so3krates_predict_requests_total{status=\"200\"} 1",
        "so3krates_predict_requests_total{status=\"422\"} 1",
        "so3krates_predict_errors_total{kind=\"invalid_input\"} 1",
        "so3krates_batch_structures_count 1",
        "so3krates_request_duration_seconds_bucket",
        "so3krates_queue_depth 0",
        "so3krates_structures_total 1",
    ] {
        assert!(metrics.contains(line), "/metrics lacks {line:?}:\n{metrics}");
    }

    let openapi: Value =
        client.get(format!("{}/openapi.json", server.url)).send().await.unwrap().json().await.unwrap();
    assert!(openapi["openapi"].as_str().unwrap().starts_with("3."));
    for path in ["/v1/predict", "/health", "/metrics", "/openapi.json"] {
        assert!(openapi["paths"].get(path).is_some(), "the OpenAPI document lacks {path}");
    }
    let schemas = &openapi["components"]["schemas"];
    assert!(schemas["StructureInput"]["properties"]["positions"].is_object(), "{schemas}");
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_model_that_cannot_load_fails_before_listening() {
    let missing = PathBuf::from("no/such/model.so3krates");
    let config = ServerConfig { bind: "127.0.0.1:0".parse().unwrap(), ..ServerConfig::default() };
    let error = Server::start(config, model_file_loader(missing, DeviceKind::Cpu))
        .await
        .err()
        .expect("no model, no server");
    assert!(error.to_string().contains("no/such/model.so3krates"), "{error}");
}

/// Writes the demo model's weights with non-local attention switched on (dynamic 1/N rule,
/// at most 12 atoms) as a model file in `folder`.
fn write_non_local_model(folder: &std::path::Path) -> PathBuf {
    let (network, mut metadata) =
        model_file::load::<CpuBackend>(&model_path(), &Default::default()).expect("the fixture model loads");
    metadata.config.non_local =
        NonLocalConfig { mode: NonLocalMode::Dynamic, max_atoms: 12, ..NonLocalConfig::default() };
    let path = folder.join("non_local.so3krates");
    model_file::save(&path, &network, &metadata).expect("the model file is written");
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_non_local_model_is_served_and_refuses_what_it_cannot_evaluate() {
    let folder = tempfile::tempdir().unwrap();
    let path = write_non_local_model(folder.path());
    let server =
        Running::start(ServerConfig::default(), model_file_loader(path.clone(), DeviceKind::Cpu)).await;
    let client = reqwest::Client::new();

    let structures = [ethanol_frames(2), vec![water()]].concat();
    let body = json!({ "structures": structures.iter().map(as_json).collect::<Vec<_>>() });
    let (status, answer) = post(&client, &server.url, &body).await;
    assert_eq!(status, 200, "{answer}");
    let direct: Model<CpuBackend> = Model::load(&path, &Default::default()).unwrap();
    let direct = direct.predict(&structures, false).unwrap();
    for (k, (result, direct)) in answer["results"].as_array().unwrap().iter().zip(&direct).enumerate() {
        assert_matches(result, direct, 1e-6, &format!("structure {k}"));
    }

    let two_ethanols = {
        let one = &structures[0];
        let far = one.positions.iter().map(|p| [p[0] + 12.0, p[1], p[2]]);
        Structure::molecule(
            [one.numbers.clone(), one.numbers.clone()].concat(),
            one.positions.iter().copied().chain(far).collect(),
        )
    };
    for (what, refused, word) in
        [("periodic", periodic_ethanol(), "periodic"), ("18 atoms", two_ethanols, "max_atoms")]
    {
        let body = json!({ "structures": [as_json(&structures[0]), as_json(&refused)] });
        let (status, answer) = post(&client, &server.url, &body).await;
        assert_eq!(status, 422, "{what}: {answer}");
        assert_eq!(answer["field"], "structures[1]", "{what}: {answer}");
        assert!(answer["error"].as_str().unwrap_or_default().contains(word), "{what}: {answer}");
    }
    server.shutdown().await;
}
