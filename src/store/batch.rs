//! PostgreSQL: the statements of concurrent requests gathered into shared ones.
//!
//! Why: most of what a simple statement costs PostgreSQL is per statement, not per row:
//! a message to read and answer, a plan to look up, a backend to wake, and for a write a
//! commit that waits for the WAL on disk. So a request's statement is queued here, and a
//! runner takes everything queued at that moment into one statement: under no load a
//! batch holds one item and waits for nothing; under load the items that arrive while a
//! batch runs make up the next one. No item waits for a timer.
//!
//! What a batch is (its statement, how its answers are told apart, what happens when it
//! fails) is a [`Work`]: the PATCH reads ([`super::read_batch`]) and the PATCH writes
//! ([`super::write_batch`]).
//!
//! A request that is cancelled before its batch starts is left out; once the statement is
//! sent it runs to its end even if the request is gone, as a statement of its own would.

use std::collections::VecDeque;
use std::future::Future;
use std::sync::{Arc, Mutex};

use serde::Serialize;
use tokio::sync::oneshot;

use super::StoreError;

/// Batches run at once. Two, so that one batch collects while the other waits for the
/// database; more only split the same items into smaller batches (`bench/`: four runners
/// made 2.0 PATCHes a batch instead of 3.6, and cost more CPU per PATCH).
const RUNNERS: usize = 2;

/// One kind of batch: its items, their answers, and the statement that runs them.
pub trait Work: Send + Sync + Sized + 'static {
    type Item: Send + 'static;
    type Answer: Send + 'static;

    /// Whether `item` must wait for a later batch than one that holds `batch` (it keeps its
    /// place in the queue).
    fn must_wait(_item: &Self::Item, _batch: &[Pending<Self>]) -> bool {
        false
    }

    /// Puts a batch in the order its statement takes the items.
    fn order(_batch: &mut [Pending<Self>]) {}

    /// Runs `batch` and answers each of its items.
    fn run(&self, batch: Vec<Pending<Self>>) -> impl Future<Output = ()> + Send;
}

/// A queued item and where its answer goes.
pub struct Pending<W: Work> {
    pub item: W::Item,
    pub reply: oneshot::Sender<Result<W::Answer, StoreError>>,
}

/// The queue of one kind of batch, and the runners that take from it.
pub struct Batcher<W: Work> {
    work: W,
    max_batch: usize,
    state: Mutex<Queue<W>>,
}

struct Queue<W: Work> {
    pending: VecDeque<Pending<W>>,
    /// Runner tasks alive (at most [`RUNNERS`]).
    runners: usize,
}

impl<W: Work> std::fmt::Debug for Batcher<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let queue = self.lock();
        f.debug_struct("Batcher")
            .field("work", &std::any::type_name::<W>())
            .field("pending", &queue.pending.len())
            .field("runners", &queue.runners)
            .finish()
    }
}

impl<W: Work> Batcher<W> {
    /// `max_batch` (at least 1) items per statement at most; 1 runs each alone.
    pub fn new(work: W, max_batch: usize) -> Arc<Self> {
        Arc::new(Self {
            work,
            max_batch: max_batch.max(1),
            state: Mutex::new(Queue {
                pending: VecDeque::new(),
                runners: 0,
            }),
        })
    }

    pub fn work(&self) -> &W {
        &self.work
    }

    /// Items queued now, waiting for a batch.
    pub fn waiting(&self) -> usize {
        self.lock().pending.len()
    }

    /// Runs `item` with the next batch and answers what the batch answered for it.
    pub async fn submit(self: &Arc<Self>, item: W::Item) -> Result<W::Answer, StoreError> {
        let (reply, answer) = oneshot::channel();
        {
            let mut queue = self.lock();
            queue.pending.push_back(Pending { item, reply });
            if queue.runners < RUNNERS {
                queue.runners += 1;
                self.spawn_runner();
            }
        }
        answer
            .await
            .unwrap_or_else(|_| Err(StoreError::Other("a batch ended without an answer".into())))
    }

    fn spawn_runner(self: &Arc<Self>) {
        let batcher = Arc::clone(self);
        tokio::spawn(async move {
            let mut runner = Runner {
                batcher,
                alive: true,
            };
            while let Some(batch) = runner.batcher.next_batch(&mut runner.alive) {
                runner.batcher.work.run(batch).await;
            }
        });
    }

    /// The items of the next batch, or `None` (and the runner counted out, under the same
    /// lock as the check, so an item queued meanwhile starts a runner of its own) when
    /// nothing is queued.
    fn next_batch(&self, alive: &mut bool) -> Option<Vec<Pending<W>>> {
        let mut queue = self.lock();
        let mut batch: Vec<Pending<W>> = Vec::new();
        let mut deferred = VecDeque::new();
        while let Some(pending) = queue.pending.pop_front() {
            if pending.reply.is_closed() {
                continue; // the request is gone: nobody waits for this item
            }
            if W::must_wait(&pending.item, &batch) {
                deferred.push_back(pending);
            } else {
                batch.push(pending);
                if batch.len() == self.max_batch {
                    break;
                }
            }
        }
        // Deferred items keep their place, ahead of what is still queued.
        while let Some(pending) = deferred.pop_back() {
            queue.pending.push_front(pending);
        }
        if batch.is_empty() {
            queue.runners -= 1;
            *alive = false;
            return None;
        }
        W::order(&mut batch);
        Some(batch)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Queue<W>> {
        // Push, pop and counting only: the queue stays consistent whatever panicked.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// An item with its number in the batch (from 1): the batch statements take their items as
/// one JSON array (one parameter whatever the batch size, and a row estimate that does not
/// depend on it, so PostgreSQL keeps one generic plan instead of planning every batch
/// again) and answer rows that name the item by its number.
#[derive(Serialize)]
struct Numbered<'a, T> {
    n: usize,
    #[serde(flatten)]
    item: &'a T,
}

/// `items` as the JSON array of a batch statement's parameter, numbered from 1.
pub fn numbered_json<T: Serialize>(items: &[&T]) -> Result<String, StoreError> {
    let numbered: Vec<Numbered<'_, T>> = items
        .iter()
        .enumerate()
        .map(|(i, &item)| Numbered { n: i + 1, item })
        .collect();
    serde_json::to_string(&numbered).map_err(|e| StoreError::Other(format!("batch: {e}")))
}

/// The slot of the item numbered `n` among `slots` (one per item, in order).
pub fn slot<T>(slots: &mut [T], n: i64) -> Option<&mut T> {
    usize::try_from(n - 1).ok().and_then(|i| slots.get_mut(i))
}

/// A runner task's place among the [`RUNNERS`]: a runner that ends other than by finding
/// the queue empty (a panic) gives its place back, and starts a successor if items wait.
struct Runner<W: Work> {
    batcher: Arc<Batcher<W>>,
    alive: bool,
}

impl<W: Work> Drop for Runner<W> {
    fn drop(&mut self) {
        if !self.alive {
            return;
        }
        let mut queue = self.batcher.lock();
        queue.runners -= 1;
        if !queue.pending.is_empty() && queue.runners < RUNNERS {
            queue.runners += 1;
            drop(queue);
            self.batcher.spawn_runner();
        }
    }
}
