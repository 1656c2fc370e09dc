//! The i-PI socket protocol, client side: our model answers the positions that an i-PI
//! server (i-PI itself, ASE's `SocketIOCalculator`) sends with energy, forces and virial.
//!
//! Wire format (see `shared/docs/interfaces.md` §1): 12-byte ASCII headers padded with
//! spaces, 4-byte little-endian ints, 8-byte little-endian floats, atomic units (Bohr,
//! Hartree). The wire carries neither species nor periodicity: both come from the template
//! structure given to [`IpiClient::new`]. The cell h is sent row-major with the lattice vectors
//! as its columns; the "inverse cell" that follows is not trusted and is ignored.
//!
//! The client answers messages in whatever order they come: a POSDATA directly followed by
//! GETFORCE (i-PI's consolidated messages), STATUS in between (ASE), INIT repeated before
//! every step (i-PI with ASE-style clients). EXIT, or the server closing the connection
//! between messages, ends the session normally; anything else unexpected is an error.

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use so3krates_core::Structure;

use crate::error::MdError;
use crate::potential::Potential;
use crate::units::{BOHR_ANGSTROM, HARTREE_EV};

/// Length of every message header, bytes.
pub const HEADER_LEN: usize = 12;

/// The directory and prefix of i-PI's unix sockets: `--unix NAME` is `/tmp/ipi_NAME`.
pub const UNIX_SOCKET_PREFIX: &str = "/tmp/ipi_";

/// Where the i-PI server listens.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Address {
    /// `host:port` of an inet socket.
    Tcp(String),
    /// The name of a unix socket, without the `/tmp/ipi_` prefix.
    Unix(String),
}

impl Address {
    /// The path of a unix socket, `/tmp/ipi_NAME`.
    pub fn unix_path(name: &str) -> PathBuf {
        PathBuf::from(format!("{UNIX_SOCKET_PREFIX}{name}"))
    }
}

impl std::fmt::Display for Address {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Tcp(address) => write!(f, "tcp://{address}"),
            Self::Unix(name) => write!(f, "unix:{}", Self::unix_path(name).display()),
        }
    }
}

/// A connected byte stream to the server.
pub trait Connection: Read + Write {}
impl<T: Read + Write> Connection for T {}

/// Connects to `address`, retrying until `timeout` has passed (the server may start later
/// than the driver). TCP connections get `TCP_NODELAY`, as i-PI's own drivers do.
pub fn connect(address: &Address, timeout: Duration) -> Result<Box<dyn Connection>, MdError> {
    let start = Instant::now();
    loop {
        let attempt: std::io::Result<Box<dyn Connection>> = match address {
            Address::Tcp(host_port) => TcpStream::connect(host_port).and_then(|stream| {
                stream.set_nodelay(true)?;
                Ok(Box::new(stream) as Box<dyn Connection>)
            }),
            Address::Unix(name) => {
                UnixStream::connect(Address::unix_path(name)).map(|s| Box::new(s) as Box<dyn Connection>)
            }
        };
        match attempt {
            Ok(connection) => return Ok(connection),
            Err(source) if start.elapsed() >= timeout => {
                return Err(MdError::Io {
                    what: format!("cannot connect to the i-PI server at {address}"),
                    source,
                })
            }
            Err(_) => std::thread::sleep(Duration::from_millis(100)),
        }
    }
}

/// What a finished session did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SessionSummary {
    /// Force evaluations answered.
    pub evaluations: u64,
    /// True when the server sent EXIT; false when it closed the connection.
    pub exit_message: bool,
}

/// The driver state machine over one connection.
pub struct IpiClient<'a> {
    potential: &'a Potential<'a>,
    template: Structure,
    initialised: bool,
    /// Energy (Ha), forces (Ha/Bohr, atom-major) and virial (Ha, i-PI layout) not yet sent.
    pending: Option<(f64, Vec<f64>, [f64; 9])>,
}

impl<'a> IpiClient<'a> {
    /// A client whose atoms are those of `template`: species in order, and periodic along the
    /// template's pbc flags (using the cell the server sends) or a molecule when it has none.
    pub fn new(potential: &'a Potential<'a>, template: Structure) -> Self {
        Self { potential, template, initialised: false, pending: None }
    }

    /// Serves one session until EXIT or the server closes the connection.
    pub fn serve(&mut self, connection: &mut dyn Connection) -> Result<SessionSummary, MdError> {
        let mut summary = SessionSummary::default();
        loop {
            let Some(header) = read_header(connection)? else {
                return Ok(summary);
            };
            match header.as_str() {
                "STATUS" => {
                    let status = if !self.initialised {
                        "NEEDINIT"
                    } else if self.pending.is_some() {
                        "HAVEDATA"
                    } else {
                        "READY"
                    };
                    send_header(connection, status)?;
                }
                "INIT" => {
                    let _bead_index = read_i32(connection, "INIT bead index")?;
                    let length = read_length(connection, "INIT string length", 1 << 20)?;
                    read_bytes(connection, length, "INIT string")?;
                    self.initialised = true;
                }
                "POSDATA" => {
                    let structure = self.read_positions(connection)?;
                    self.pending = Some(self.evaluate(&structure)?);
                }
                "GETFORCE" => {
                    let Some(result) = self.pending.take() else {
                        return Err(MdError::Protocol("GETFORCE arrived before any POSDATA".to_string()));
                    };
                    send_forces(connection, &result)?;
                    summary.evaluations += 1;
                }
                "EXIT" => {
                    summary.exit_message = true;
                    return Ok(summary);
                }
                other => return Err(MdError::Protocol(format!("unexpected message header {other:?}"))),
            }
        }
    }

    /// Reads a POSDATA payload into a structure in Å with the template's species.
    fn read_positions(&self, connection: &mut dyn Connection) -> Result<Structure, MdError> {
        let h = read_f64s(connection, 9, "POSDATA cell")?;
        let _inverse = read_f64s(connection, 9, "POSDATA inverse cell")?;
        let n_atoms = read_length(connection, "POSDATA atom count", usize::MAX)?;
        if n_atoms != self.template.len() {
            return Err(MdError::Protocol(format!(
                "the server sent {n_atoms} atoms but the structure file has {}",
                self.template.len()
            )));
        }
        let flat = read_f64s(connection, 3 * n_atoms, "POSDATA positions")?;
        if flat.iter().chain(&h).any(|x| !x.is_finite()) {
            return Err(MdError::Protocol("POSDATA holds non-finite positions or cell".to_string()));
        }

        let positions: Vec<[f64; 3]> =
            flat.chunks_exact(3).map(|r| [r[0], r[1], r[2]].map(|x| x * BOHR_ANGSTROM)).collect();
        let mut structure = self.template.clone();
        structure.positions = positions;
        if self.template.is_periodic() {
            // h holds the lattice vectors as columns: row k of our cell is column k of h.
            structure.cell = Some([0, 1, 2].map(|k| [0, 1, 2].map(|c| h[3 * c + k] * BOHR_ANGSTROM)));
        }
        Ok(structure)
    }

    /// Energy (Ha), forces (Ha/Bohr) and virial (Ha) of a structure.
    fn evaluate(&self, structure: &Structure) -> Result<(f64, Vec<f64>, [f64; 9]), MdError> {
        let periodic = structure.is_periodic();
        let evaluation = self.potential.evaluate(structure, periodic)?;

        let energy = evaluation.energy_ev / HARTREE_EV;
        let force_unit = HARTREE_EV / BOHR_ANGSTROM;
        let forces: Vec<f64> =
            evaluation.forces_ev_per_angstrom.iter().flatten().map(|f| f / force_unit).collect();

        // Virial W = −σ V, in energy units, laid out like h (transposed; it is symmetric).
        let mut virial = [0.0; 9];
        if let (Some(stress), Some(volume)) = (evaluation.stress_ev_per_angstrom3, structure.volume()) {
            for a in 0..3 {
                for b in 0..3 {
                    virial[3 * a + b] = -stress[b][a] * volume / HARTREE_EV;
                }
            }
        }
        Ok((energy, forces, virial))
    }
}

/// Reads a header; `None` when the server closed the connection before it.
fn read_header(connection: &mut dyn Connection) -> Result<Option<String>, MdError> {
    let mut header = [0u8; HEADER_LEN];
    let mut filled = 0;
    while filled < HEADER_LEN {
        match connection.read(&mut header[filled..]) {
            Ok(0) if filled == 0 => return Ok(None),
            Ok(0) => {
                return Err(MdError::Protocol(format!(
                    "connection closed inside a header after {filled} bytes"
                )))
            }
            Ok(n) => filled += n,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) if filled == 0 && e.kind() == ErrorKind::ConnectionReset => return Ok(None),
            Err(source) => {
                return Err(MdError::Io { what: "reading from the i-PI server".to_string(), source })
            }
        }
    }
    let text = std::str::from_utf8(&header)
        .map_err(|_| MdError::Protocol(format!("header is not ASCII: {header:?}")))?;
    Ok(Some(text.trim_end_matches([' ', '\0']).to_string()))
}

fn read_bytes(connection: &mut dyn Connection, n: usize, what: &str) -> Result<Vec<u8>, MdError> {
    let mut buffer = vec![0u8; n];
    connection.read_exact(&mut buffer).map_err(|source| match source.kind() {
        ErrorKind::UnexpectedEof => MdError::Protocol(format!("connection closed while reading the {what}")),
        _ => MdError::Io { what: format!("reading the {what}"), source },
    })?;
    Ok(buffer)
}

fn read_i32(connection: &mut dyn Connection, what: &str) -> Result<i32, MdError> {
    let bytes = read_bytes(connection, 4, what)?;
    Ok(i32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]))
}

/// Reads a non-negative i32 count, at most `limit`.
fn read_length(connection: &mut dyn Connection, what: &str, limit: usize) -> Result<usize, MdError> {
    let value = read_i32(connection, what)?;
    usize::try_from(value)
        .ok()
        .filter(|&n| n <= limit)
        .ok_or_else(|| MdError::Protocol(format!("{what} is {value}, which is out of range")))
}

fn read_f64s(connection: &mut dyn Connection, n: usize, what: &str) -> Result<Vec<f64>, MdError> {
    let bytes = read_bytes(connection, 8 * n, what)?;
    Ok(bytes
        .chunks_exact(8)
        .map(|b| f64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]))
        .collect())
}

fn header_bytes(name: &str) -> [u8; HEADER_LEN] {
    let mut header = [b' '; HEADER_LEN];
    header[..name.len()].copy_from_slice(name.as_bytes());
    header
}

fn write_all(connection: &mut dyn Connection, bytes: &[u8]) -> Result<(), MdError> {
    connection
        .write_all(bytes)
        .and_then(|_| connection.flush())
        .map_err(|source| MdError::Io { what: "writing to the i-PI server".to_string(), source })
}

fn send_header(connection: &mut dyn Connection, name: &str) -> Result<(), MdError> {
    write_all(connection, &header_bytes(name))
}

/// FORCEREADY with energy, atom count, forces, virial and a one-byte extra string (a zero
/// byte, as ASE's client sends: some servers mishandle an empty one), in one write.
fn send_forces(
    connection: &mut dyn Connection,
    (energy, forces, virial): &(f64, Vec<f64>, [f64; 9]),
) -> Result<(), MdError> {
    let n_atoms = i32::try_from(forces.len() / 3)
        .map_err(|_| MdError::Protocol("too many atoms for the protocol".to_string()))?;
    let mut message = Vec::with_capacity(HEADER_LEN + 8 + 4 + 8 * forces.len() + 72 + 5);
    message.extend_from_slice(&header_bytes("FORCEREADY"));
    message.extend_from_slice(&energy.to_le_bytes());
    message.extend_from_slice(&n_atoms.to_le_bytes());
    forces.iter().for_each(|f| message.extend_from_slice(&f.to_le_bytes()));
    virial.iter().for_each(|w| message.extend_from_slice(&w.to_le_bytes()));
    message.extend_from_slice(&1i32.to_le_bytes());
    message.push(0);
    write_all(connection, &message)
}
