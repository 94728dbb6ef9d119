//! The hand-over of requests from the pool to an HTTP/1.1 connection's
//! task: a slot for one job, not a queue, as a connection carries one
//! exchange at a time (RFC 9112 §9.3). It holds no memory per connection
//! beyond the job itself, where a channel would keep a block of slots.

use std::sync::{Mutex, MutexGuard};

use tokio::sync::Notify;

pub(super) struct Handoff<T> {
    state: Mutex<State<T>>,
    wake: Notify,
}

struct State<T> {
    job: Option<T>,
    /// The giving side is gone: no more jobs will come.
    released: bool,
    /// The taking side is gone: no more jobs are taken.
    ended: bool,
}

impl<T> Handoff<T> {
    pub(super) fn new() -> Self {
        Self { state: Mutex::new(State { job: None, released: false, ended: false }), wake: Notify::new() }
    }

    fn lock(&self) -> MutexGuard<'_, State<T>> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Hands `job` over; gives it back when the taking side has ended.
    pub(super) fn give(&self, job: T) -> Result<(), T> {
        let mut state = self.lock();
        if state.ended {
            return Err(job);
        }
        debug_assert!(state.job.is_none(), "one job at a time");
        state.job = Some(job);
        drop(state);
        self.wake.notify_one();
        Ok(())
    }

    /// The giving side is gone: [`Self::take`] returns `None` once the job
    /// given before (if any) is taken.
    pub(super) fn release(&self) {
        self.lock().released = true;
        self.wake.notify_one();
    }

    /// Waits for the next job; `None` once released. Cancel-safe: a job
    /// stays in its slot until a `take` returns it.
    pub(super) async fn take(&self) -> Option<T> {
        loop {
            {
                let mut state = self.lock();
                if let Some(job) = state.job.take() {
                    return Some(job);
                }
                if state.released {
                    return None;
                }
            }
            // A `give` or `release` between the look above and this wait
            // left a permit: the wait ends at once.
            self.wake.notified().await;
        }
    }

    /// The taking side ends; returns a job given and not taken.
    pub(super) fn end(&self) -> Option<T> {
        let mut state = self.lock();
        state.ended = true;
        state.job.take()
    }

    /// True once the taking side has ended.
    pub(super) fn ended(&self) -> bool {
        self.lock().ended
    }
}

#[cfg(test)]
mod tests {
    use super::Handoff;

    fn now<F: Future>(f: F) -> Option<F::Output> {
        let waker = std::task::Waker::noop();
        let mut cx = std::task::Context::from_waker(waker);
        match std::pin::pin!(f).poll(&mut cx) {
            std::task::Poll::Ready(v) => Some(v),
            std::task::Poll::Pending => None,
        }
    }

    #[test]
    fn a_job_given_is_taken_once() {
        let h = Handoff::new();
        assert_eq!(now(h.take()), None, "nothing given: the taker waits");
        h.give(1).unwrap();
        assert_eq!(now(h.take()), Some(Some(1)));
        assert_eq!(now(h.take()), None);
    }

    #[test]
    fn release_ends_the_taker_after_the_last_job() {
        let h = Handoff::new();
        h.give(7).unwrap();
        h.release();
        assert_eq!(now(h.take()), Some(Some(7)));
        assert_eq!(now(h.take()), Some(None));
    }

    #[test]
    fn a_job_given_after_the_end_comes_back_and_one_left_is_returned() {
        let h = Handoff::new();
        h.give(1).unwrap();
        assert!(!h.ended());
        assert_eq!(h.end(), Some(1));
        assert!(h.ended());
        assert_eq!(h.give(2), Err(2));
    }
}
