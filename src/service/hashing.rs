//! The bounded slots that argon2id work runs on: every password-like credential hashes
//! and verifies through [`on_hashing_slot`].

use std::sync::{Arc, OnceLock};

use tokio::sync::Semaphore;

use crate::domain::password;
use crate::error::ApiError;

/// The most argon2id hashes computed at once, whatever the core count.
const MAX_CONCURRENT_HASHES: usize = 4;

/// Each argon2id hash holds 19 MiB while it runs, so a burst of password creations would
/// take memory without bound (10 at once took 145 MiB); more hashes than cores would not
/// finish sooner anyway. The others wait their turn, within the request timeout.
fn hashing_slots() -> Arc<Semaphore> {
    static SLOTS: OnceLock<Arc<Semaphore>> = OnceLock::new();
    SLOTS
        .get_or_init(|| Arc::new(Semaphore::new(hashing_slot_count())))
        .clone()
}

/// How many argon2id hashes or verifies run at once: the cores, at most
/// [`MAX_CONCURRENT_HASHES`] (bench/run measures the verify rate on as many threads).
pub fn hashing_slot_count() -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    cores.clamp(1, MAX_CONCURRENT_HASHES)
}

/// The argon2id hash of `secret`, computed on a hashing slot.
pub async fn hash(secret: String) -> Result<String, ApiError> {
    on_hashing_slot(move || password::hash(&secret))
        .await?
        .map_err(ApiError::Internal)
}

/// Runs `work` (an argon2id hash or verify) on the blocking pool once a hashing slot is
/// free. The slot goes with the work, not the request: a request given up on (timeout,
/// disconnect) still holds it until its work has finished and freed the memory.
pub async fn on_hashing_slot<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ApiError> {
    let slot = hashing_slots()
        .acquire_owned()
        .await
        .map_err(|e| ApiError::Internal(format!("hashing slots: {e}")))?;
    tokio::task::spawn_blocking(move || {
        let _slot = slot;
        work()
    })
    .await
    .map_err(|e| ApiError::Internal(format!("hashing task: {e}")))
}
