//! One timer for a deadline that moves with traffic: an HTTP/1.1
//! connection's idle expiry, the HTTP/2 engine's next deadline.
//!
//! A tokio timer registered while the runtime is busy wakes its driver
//! through an eventfd when its deadline is the soonest: a `write` system
//! call. A new timer per turn (per request, for a busy connection) made one
//! of those every few requests. This one is moved only when the deadline
//! comes sooner than the one it is set for; when it fires early, the caller
//! finds nothing due and sets it again for what is next.

use std::pin::Pin;
use std::task::{Context, Poll, ready};

use tokio::time::{Instant, Sleep};

pub(crate) struct Timer {
    sleep: Pin<Box<Sleep>>,
    /// When it is set for; `None` when it is not set.
    at: Option<Instant>,
}

impl Timer {
    pub(crate) fn new() -> Self {
        Self { sleep: Box::pin(tokio::time::sleep_until(Instant::now())), at: None }
    }

    /// Makes sure the timer fires by `deadline`: set for it unless set for
    /// sooner already.
    pub(crate) fn by(&mut self, deadline: Option<Instant>) {
        if let Some(deadline) = deadline {
            if self.at.is_none_or(|at| deadline < at) {
                self.sleep.as_mut().reset(deadline);
                self.at = Some(deadline);
            }
        }
    }

    pub(crate) fn is_set(&self) -> bool {
        self.at.is_some()
    }

    /// Waits until it fires (a `select!` branch, with [`Self::is_set`] as
    /// its condition); it is then no longer set.
    pub(crate) async fn fired(&mut self) {
        std::future::poll_fn(|cx| self.poll_fired(cx)).await;
    }

    /// [`Self::fired`] as a poll: `Ready` once it fired, and it is then no
    /// longer set.
    pub(crate) fn poll_fired(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        ready!(self.sleep.as_mut().poll(cx));
        self.at = None;
        Poll::Ready(())
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn it_fires_by_the_soonest_deadline_asked_for() {
        let start = Instant::now();
        let mut timer = Timer::new();
        assert!(!timer.is_set());
        timer.by(None);
        assert!(!timer.is_set(), "no deadline, not set");
        timer.by(Some(start + Duration::from_secs(10)));
        timer.by(Some(start + Duration::from_secs(20)));
        timer.by(Some(start + Duration::from_secs(5)));
        timer.fired().await;
        assert_eq!(start.elapsed(), Duration::from_secs(5), "the soonest, not the last");
        assert!(!timer.is_set());
        timer.by(Some(start + Duration::from_secs(20)));
        timer.fired().await;
        assert_eq!(start.elapsed(), Duration::from_secs(20), "set again once fired");
    }
}
