//! The i-PI client against recorded byte transcripts of the message orders that i-PI and
//! ASE's `SocketIOCalculator` use (shared/docs/interfaces.md §1): answers, units and errors.
//! The test against a real ASE server is in the so3krates-train crate (it needs the binary).

use std::io::{Cursor, Read, Write};

use so3krates_core::Structure;
use so3krates_md::ipi::{IpiClient, SessionSummary};
use so3krates_md::units::{BOHR_ANGSTROM, HARTREE_EV};
use so3krates_md::{LennardJones, MdError, Potential};

/// What the server sends (read by the client) and what the client answers.
struct Transcript {
    from_server: Cursor<Vec<u8>>,
    to_server: Vec<u8>,
}

impl Read for Transcript {
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        // One byte at a time: short reads must be handled.
        let n = buffer.len().min(1);
        self.from_server.read(&mut buffer[..n])
    }
}

impl Write for Transcript {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.to_server.write(bytes)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[derive(Default)]
struct Server(Vec<u8>);

impl Server {
    fn header(mut self, name: &str) -> Self {
        let mut header = [b' '; 12];
        header[..name.len()].copy_from_slice(name.as_bytes());
        self.0.extend_from_slice(&header);
        self
    }
    fn init(self) -> Self {
        let mut server = self.header("INIT");
        server.0.extend_from_slice(&0i32.to_le_bytes());
        server.0.extend_from_slice(&1i32.to_le_bytes());
        server.0.push(0);
        server
    }
    /// POSDATA with positions in Å and lattice vectors (rows, Å), sent in atomic units.
    fn posdata(self, positions: &[[f64; 3]], cell: [[f64; 3]; 3]) -> Self {
        let mut server = self.header("POSDATA");
        // h has the lattice vectors as columns, sent row-major: h[c][k] = cell[k][c].
        #[allow(clippy::needless_range_loop)] // the transpose reads clearest as indices
        for c in 0..3 {
            for k in 0..3 {
                server.0.extend_from_slice(&(cell[k][c] / BOHR_ANGSTROM).to_le_bytes());
            }
        }
        for _ in 0..9 {
            server.0.extend_from_slice(&f64::NAN.to_le_bytes()); // never trusted
        }
        server.0.extend_from_slice(&(positions.len() as i32).to_le_bytes());
        for x in positions.iter().flatten() {
            server.0.extend_from_slice(&(x / BOHR_ANGSTROM).to_le_bytes());
        }
        server
    }
    fn run(self, template: Structure) -> (Result<SessionSummary, MdError>, Vec<u8>) {
        let lj = LennardJones::argon();
        let potential = Potential::new(&lj).unwrap();
        let mut transcript = Transcript { from_server: Cursor::new(self.0), to_server: Vec::new() };
        let result = IpiClient::new(&potential, template).serve(&mut transcript);
        (result, transcript.to_server)
    }
}

/// Reads back what the client sent: headers, and for FORCEREADY its payload.
#[derive(Debug, PartialEq)]
enum Answer {
    Status(String),
    Forces { energy_ha: f64, forces_ha_per_bohr: Vec<f64>, virial_ha: Vec<f64> },
}

fn parse_answers(bytes: &[u8]) -> Vec<Answer> {
    let (mut answers, mut at) = (Vec::new(), 0);
    let f64_at = |at: usize| f64::from_le_bytes(bytes[at..at + 8].try_into().unwrap());
    let i32_at = |at: usize| i32::from_le_bytes(bytes[at..at + 4].try_into().unwrap());
    while at < bytes.len() {
        let header = std::str::from_utf8(&bytes[at..at + 12]).unwrap().to_string();
        assert_eq!(header.len(), 12);
        at += 12;
        if header.trim_end() == "FORCEREADY" {
            let energy_ha = f64_at(at);
            let n = i32_at(at + 8) as usize;
            at += 12;
            let forces_ha_per_bohr = (0..3 * n).map(|k| f64_at(at + 8 * k)).collect();
            at += 24 * n;
            let virial_ha = (0..9).map(|k| f64_at(at + 8 * k)).collect();
            at += 72;
            let extra = i32_at(at) as usize;
            at += 4 + extra;
            answers.push(Answer::Forces { energy_ha, forces_ha_per_bohr, virial_ha });
        } else {
            assert!(header.ends_with(' '), "header not padded with spaces: {header:?}");
            answers.push(Answer::Status(header.trim_end().to_string()));
        }
    }
    answers
}

fn argon_trimer() -> Structure {
    Structure::molecule(vec![18; 3], vec![[0.0, 0.0, 0.0], [3.7, 0.2, 0.0], [1.5, 3.4, 0.3]])
}

fn expected_forces(structure: &Structure, stress: bool) -> Answer {
    let lj = LennardJones::argon();
    let evaluation = Potential::new(&lj).unwrap().evaluate(structure, stress).unwrap();
    let force_unit = HARTREE_EV / BOHR_ANGSTROM;
    let volume = structure.volume().unwrap_or(0.0);
    let virial_ha = match evaluation.stress_ev_per_angstrom3 {
        Some(s) => (0..9).map(|k| -s[k % 3][k / 3] * volume / HARTREE_EV).collect(),
        None => vec![0.0; 9],
    };
    Answer::Forces {
        energy_ha: evaluation.energy_ev / HARTREE_EV,
        forces_ha_per_bohr: evaluation
            .forces_ev_per_angstrom
            .iter()
            .flatten()
            .map(|f| f / force_unit)
            .collect(),
        virial_ha,
    }
}

fn assert_close(actual: &Answer, expected: &Answer) {
    let (
        Answer::Forces { energy_ha: e1, forces_ha_per_bohr: f1, virial_ha: w1 },
        Answer::Forces { energy_ha: e2, forces_ha_per_bohr: f2, virial_ha: w2 },
    ) = (actual, expected)
    else {
        panic!("expected forces, got {actual:?}");
    };
    let scale = f2.iter().chain(w2).fold(e2.abs(), |m, v| m.max(v.abs()));
    assert!((e1 - e2).abs() <= 1e-12 * scale, "energy {e1} vs {e2}");
    for (a, b) in f1.iter().zip(f2).chain(w1.iter().zip(w2)) {
        assert!((a - b).abs() <= 1e-12 * scale, "{a} vs {b}");
    }
    assert_eq!((f1.len(), w1.len()), (f2.len(), w2.len()));
}

#[test]
fn ase_message_order_with_status_between_posdata_and_getforce() {
    let trimer = argon_trimer();
    let (result, bytes) = Server::default()
        .header("STATUS")
        .init()
        .header("STATUS")
        .posdata(&trimer.positions, [[0.0; 3]; 3])
        .header("STATUS")
        .header("GETFORCE")
        .run(trimer.clone());
    let summary = result.unwrap();
    assert_eq!(summary, SessionSummary { evaluations: 1, exit_message: false }, "EOF ends the session");

    let answers = parse_answers(&bytes);
    assert_eq!(
        answers[..3],
        [
            Answer::Status("NEEDINIT".into()),
            Answer::Status("READY".into()),
            Answer::Status("HAVEDATA".into())
        ]
    );
    assert_close(&answers[3], &expected_forces(&trimer, false));
}

#[test]
fn ipi_consolidated_messages_repeated_init_and_exit() {
    let first = argon_trimer();
    let mut second = argon_trimer();
    second.positions[2][1] += 0.25;
    let (result, bytes) = Server::default()
        .header("STATUS")
        .init()
        .header("STATUS")
        .posdata(&first.positions, [[20.0, 0.0, 0.0], [0.0, 20.0, 0.0], [0.0, 0.0, 20.0]])
        .header("GETFORCE")
        .header("STATUS")
        .init()
        .posdata(&second.positions, [[20.0, 0.0, 0.0], [0.0, 20.0, 0.0], [0.0, 0.0, 20.0]])
        .header("GETFORCE")
        .header("EXIT")
        .run(first.clone());
    assert_eq!(result.unwrap(), SessionSummary { evaluations: 2, exit_message: true });

    let answers = parse_answers(&bytes);
    assert_eq!(answers.len(), 5);
    assert_close(&answers[2], &expected_forces(&first, false));
    assert_eq!(answers[3], Answer::Status("READY".into()));
    assert_close(&answers[4], &expected_forces(&second, false));
}

#[test]
fn periodic_template_uses_the_sent_cell_and_answers_the_virial() {
    // A triclinic argon crystal: 2 atoms, cell rows a, b, c. The virial is −σV.
    let cell = [[5.3, 0.0, 0.0], [0.7, 5.1, 0.0], [0.2, -0.4, 5.6]];
    let crystal = Structure::periodic(vec![18, 18], vec![[0.1, 0.2, 0.0], [2.9, 2.4, 2.6]], cell, [true; 3]);
    let (result, bytes) = Server::default()
        .header("STATUS")
        .init()
        .posdata(&crystal.positions, cell)
        .header("GETFORCE")
        .run(crystal.clone());
    assert_eq!(result.unwrap().evaluations, 1);

    let answers = parse_answers(&bytes);
    let expected = expected_forces(&crystal, true);
    let Answer::Forces { virial_ha, .. } = &expected else { unreachable!() };
    assert!(virial_ha.iter().any(|w| w.abs() > 1e-6), "the test crystal should be under stress");
    assert_close(&answers[1], &expected);
}

#[test]
fn bad_messages_end_the_session_with_a_clear_error() {
    let trimer = argon_trimer();
    let message = |server: Server| server.run(trimer.clone()).0.unwrap_err().to_string();

    let wrong_count = message(Server::default().init().posdata(&trimer.positions[..2], [[0.0; 3]; 3]));
    assert!(wrong_count.contains("2 atoms") && wrong_count.contains("has 3"), "{wrong_count}");

    let early = message(Server::default().init().header("GETFORCE"));
    assert!(early.contains("GETFORCE arrived before any POSDATA"), "{early}");

    let unknown = message(Server::default().header("HELLO"));
    assert!(unknown.contains("HELLO"), "{unknown}");

    let mut truncated = Server::default().init().posdata(&trimer.positions, [[0.0; 3]; 3]);
    truncated.0.truncate(truncated.0.len() - 5);
    let truncated = message(truncated);
    assert!(truncated.contains("closed while reading the POSDATA positions"), "{truncated}");

    let coincident =
        message(Server::default().init().posdata(&[[0.0; 3], [0.0; 3], [1.0, 4.0, 0.0]], [[0.0; 3]; 3]));
    assert!(coincident.contains("atoms 0 and 1 coincide"), "{coincident}");
}
