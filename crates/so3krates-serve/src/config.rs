//! Limits and tuning of the server.

use std::net::SocketAddr;
use std::time::Duration;

/// Everything configurable about a server. Every limit is enforced before a request is queued.
#[derive(Clone, Debug, PartialEq)]
pub struct ServerConfig {
    /// Address to listen on; port 0 picks a free port (see `Server::local_addr`).
    pub bind: SocketAddr,
    /// How long the model thread waits, after the first request of a batch, for more
    /// requests to join it.
    pub batch_window: Duration,
    /// A batch is closed once it holds this many atoms (a larger request runs alone).
    pub max_batch_atoms: usize,
    /// Requests that may wait for the model; when full, new requests get HTTP 503.
    pub queue_capacity: usize,
    /// Most atoms one request may hold, summed over its structures.
    pub max_atoms_per_request: usize,
    /// Largest request body, bytes; larger bodies get HTTP 413.
    pub max_body_bytes: usize,
    /// The `Retry-After` a client is told when the queue is full, seconds.
    pub retry_after_seconds: u64,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            batch_window: Duration::from_millis(2),
            max_batch_atoms: 4096,
            queue_capacity: 1024,
            max_atoms_per_request: 10_000,
            max_body_bytes: 16 * 1024 * 1024,
            retry_after_seconds: 1,
        }
    }
}
