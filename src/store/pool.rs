//! The store's connection pool: sqlx's pool opens, caps and closes the connections; this
//! layer keeps the idle ones itself.
//!
//! Why: sqlx pings every connection that goes back into its pool (a spawned task and one
//! more round trip to the database), whatever the pool options say. On a PATCH that is a
//! third round trip beside the two statements, plus a wake-up of the database backend,
//! and the benchmark (`bench/`) measured it. Here a connection whose work finished
//! cleanly goes straight onto an idle list, and the next request takes it from there.
//! A connection whose work was cancelled or ended in an error is closed (its session
//! may hold a transaction sqlx does not know of); one that finished but still has a
//! rollback to send goes back to sqlx, which pings it (so sending the rollback) first.
//!
//! Checkouts are capped by a semaphore of the pool's size, so sqlx's own pool never
//! makes us wait for a connection that sits on our idle list.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sqlx::pool::PoolConnection;
use sqlx::{Connection, Database};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, TryAcquireError};

use super::StoreError;

/// How long a connection may sit idle before it is checked (pinged) on its next use: a
/// server restart or a proxy's idle timeout may have cut it in the meantime.
pub const PING_WHEN_IDLE_FOR: Duration = Duration::from_secs(10);

/// A pool of connections to one database.
pub struct Pool<DB: Database> {
    inner: Arc<Inner<DB>>,
}

impl<DB: Database> Clone for Pool<DB> {
    fn clone(&self) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<DB: Database> std::fmt::Debug for Pool<DB> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool")
            .field("sqlx", &self.inner.sqlx)
            .field("idle", &self.idle_count())
            .finish()
    }
}

struct Inner<DB: Database> {
    sqlx: sqlx::Pool<DB>,
    idle: Mutex<Vec<Idle<DB>>>,
    checkouts: Arc<Semaphore>,
    acquire_timeout: Duration,
}

struct Idle<DB: Database> {
    connection: PoolConnection<DB>,
    since: Instant,
}

impl<DB: Database> Pool<DB> {
    /// Wraps a sqlx pool; its `max_connections` and `acquire_timeout` are ours too.
    pub fn new(sqlx: sqlx::Pool<DB>) -> Self {
        let options = sqlx.options();
        let size = usize::try_from(options.get_max_connections()).unwrap_or(usize::MAX);
        let acquire_timeout = options.get_acquire_timeout();
        Self {
            inner: Arc::new(Inner {
                sqlx,
                idle: Mutex::new(Vec::new()),
                checkouts: Arc::new(Semaphore::new(size.min(Semaphore::MAX_PERMITS))),
                acquire_timeout,
            }),
        }
    }

    /// The sqlx pool underneath, for what needs one (migrations, transactions that span
    /// a whole import): connections it hands out bypass the idle list.
    pub fn sqlx(&self) -> &sqlx::Pool<DB> {
        &self.inner.sqlx
    }

    /// A connection: the most recently used idle one, or a new checkout from sqlx. Waits
    /// at most the acquire timeout, then fails like sqlx's pool does (a 503).
    pub async fn acquire(&self) -> Result<Lease<DB>, StoreError> {
        let checkouts = Arc::clone(&self.inner.checkouts);
        // A free slot needs no timer; only a full pool arms the acquire timeout.
        let permit = match checkouts.clone().try_acquire_owned() {
            Ok(permit) => permit,
            Err(TryAcquireError::Closed) => return Err(sqlx::Error::PoolClosed.into()),
            Err(TryAcquireError::NoPermits) => {
                match tokio::time::timeout(self.inner.acquire_timeout, checkouts.acquire_owned())
                    .await
                {
                    Ok(Ok(permit)) => permit,
                    Ok(Err(_closed)) => return Err(sqlx::Error::PoolClosed.into()),
                    Err(_elapsed) => return Err(sqlx::Error::PoolTimedOut.into()),
                }
            }
        };
        let connection = match self.take_idle().await {
            Some(connection) => connection,
            None => self.inner.sqlx.acquire().await?,
        };
        Ok(Lease {
            connection: Some(connection),
            settled: false,
            pool: Arc::clone(&self.inner),
            _permit: permit,
        })
    }

    /// The most recently used idle connection that still answers, if any.
    async fn take_idle(&self) -> Option<PoolConnection<DB>> {
        loop {
            let idle = self.lock_idle().pop()?;
            if idle.since.elapsed() < PING_WHEN_IDLE_FOR {
                return Some(idle.connection);
            }
            let mut connection = idle.connection;
            if connection.ping().await.is_ok() {
                return Some(connection);
            }
            // Broken: sqlx closes it when it comes back and fails its ping.
        }
    }

    fn lock_idle(&self) -> std::sync::MutexGuard<'_, Vec<Idle<DB>>> {
        lock(&self.inner.idle)
    }

    fn idle_count(&self) -> usize {
        self.lock_idle().len()
    }

    /// Connections open, and how many of them are idle (ours and sqlx's).
    pub fn stats(&self) -> (u32, u32) {
        let idle = self.idle_count() + self.inner.sqlx.num_idle();
        (
            self.inner.sqlx.size(),
            u32::try_from(idle).unwrap_or(u32::MAX),
        )
    }

    /// Refuses new checkouts, hands the idle connections back and closes them all.
    pub async fn close(&self) {
        self.inner.checkouts.close();
        self.lock_idle().clear();
        self.inner.sqlx.close().await;
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // The list stays consistent whatever panicked while holding it (push and pop only).
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// One checked-out connection. Call [`Lease::settled`] once its work finished; a lease
/// dropped without that (cancelled, or left early by an error) closes its connection.
pub struct Lease<DB: Database> {
    connection: Option<PoolConnection<DB>>,
    settled: bool,
    pool: Arc<Inner<DB>>,
    _permit: OwnedSemaphorePermit,
}

impl<DB: Database> Lease<DB> {
    /// The connection, for statements; the lease counts as busy until [`Lease::settled`].
    #[expect(
        clippy::expect_used,
        reason = "the connection is only taken out by `drop`, after which nothing can call this"
    )]
    pub fn connection(&mut self) -> &mut DB::Connection {
        self.settled = false;
        self.connection
            .as_deref_mut()
            .expect("a lease holds its connection until dropped")
    }

    /// Marks the work on this connection as finished cleanly.
    pub fn settled(&mut self) {
        self.settled = true;
    }
}

impl<DB: Database> Drop for Lease<DB> {
    fn drop(&mut self) {
        let Some(connection) = self.connection.take() else {
            return;
        };
        let mut connection = connection;
        if !self.settled {
            // Cut off or left early: the session may be in a state sqlx does not know of,
            // which its ping does not repair. A `BEGIN` cut off before its answer, say, has
            // not been counted as a transaction, so nothing rolls it back, and reused, the
            // connection would run later requests' writes inside it, answered but never
            // committed. Closing ends the session and whatever it held.
            connection.close_on_drop();
            return;
        }
        let clean = !connection.is_in_transaction() && !connection.should_flush();
        if clean && !self.pool.checkouts.is_closed() {
            lock(&self.pool.idle).push(Idle {
                connection,
                since: Instant::now(),
            });
        }
        // Otherwise `connection` drops here, and sqlx pings it (flushing a rollback that a
        // dropped transaction queued) or closes it. The permit is released after the
        // connection is on the idle list, so the next checkout finds it.
    }
}
