//! How a client's connections end when it shuts down: once it began, by
//! when their streams must be done, and the connection tasks still running,
//! so the shutdown can wait for the last one to have written its last bytes
//! and closed its socket.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use tokio::sync::Notify;

/// A client's shutdown: its deadline once begun, and a count of running
/// connection tasks (HTTP/2 drivers and HTTP/1.1 connection tasks), each
/// holding a [`TaskGuard`].
#[derive(Debug, Default)]
pub(crate) struct Shutdown {
    /// When in-flight exchanges are cut off; `Some` once it began.
    deadline: Mutex<Option<Instant>>,
    live: AtomicUsize,
    none_left: Notify,
}

/// Held by a connection task for its whole life, dropped included.
#[derive(Debug)]
pub(crate) struct TaskGuard(Arc<Shutdown>);

impl Shutdown {
    /// Begins the shutdown (a second call keeps the earlier deadline).
    /// Returns the deadline in force.
    pub(crate) fn begin(&self, deadline: Instant) -> Instant {
        *self.lock().get_or_insert(deadline)
    }

    /// The deadline, once the shutdown began.
    pub(crate) fn deadline(&self) -> Option<Instant> {
        *self.lock()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Instant>> {
        self.deadline.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Counts a task about to start; it is counted until the guard drops.
    pub(crate) fn start(self: &Arc<Self>) -> TaskGuard {
        self.live.fetch_add(1, Ordering::AcqRel);
        TaskGuard(self.clone())
    }

    /// Resolves once no connection task is running.
    pub(crate) async fn all_ended(&self) {
        loop {
            let notified = self.none_left.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.live.load(Ordering::Acquire) == 0 {
                return;
            }
            notified.await;
        }
    }
}

impl Drop for TaskGuard {
    fn drop(&mut self) {
        if self.0.live.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.none_left.notify_waiters();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn all_ended_waits_for_the_last_guard() {
        let tasks = Arc::new(Shutdown::default());
        tasks.all_ended().await;
        let a = tasks.start();
        let b = tasks.start();
        let waiting = tokio::spawn({
            let tasks = tasks.clone();
            async move { tasks.all_ended().await }
        });
        drop(a);
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished());
        drop(b);
        waiting.await.unwrap();
    }
}
