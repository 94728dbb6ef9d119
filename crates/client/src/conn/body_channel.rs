//! The channel a response body travels on, from the connection that
//! receives it to the [`Response`](crate::Response) that reads it.
//!
//! One shared allocation per response: a queue, the reader's waker and two
//! "gone" flags behind an uncontended mutex. `tokio::sync::mpsc` would do the
//! same job with two allocations, the first a block of 32 slots, on every
//! response; profiles of small responses showed that block among the top
//! costs. Nothing here bounds the queue: the sender is a connection whose
//! flow-control window (RFC 9113 §5.2) or HTTP/1.1 read loop already limits
//! what can be outstanding.

use std::collections::VecDeque;
use std::future::poll_fn;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};

use super::BodyEvent;

#[derive(Default)]
struct State {
    events: VecDeque<BodyEvent>,
    waker: Option<Waker>,
    sender_gone: bool,
    receiver_gone: bool,
}

type Shared = Arc<Mutex<State>>;

fn lock(shared: &Shared) -> MutexGuard<'_, State> {
    // No code holding the lock can panic, but a poisoned lock still holds a
    // consistent queue.
    shared.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A new, empty body channel.
pub(crate) fn body_channel() -> (BodySender, BodyReceiver) {
    let shared = Shared::default();
    (BodySender(shared.clone()), BodyReceiver(shared))
}

/// The connection's end. Dropping it ends the body ([`BodyReceiver::recv`]
/// returns `None` once the queue is empty).
pub(crate) struct BodySender(Shared);

impl BodySender {
    /// Queues `event`; `false` when the reader is gone (nothing was queued).
    pub(crate) fn send(&self, event: BodyEvent) -> bool {
        let waker = {
            let mut state = lock(&self.0);
            if state.receiver_gone {
                return false;
            }
            state.events.push_back(event);
            state.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
        true
    }
}

impl Drop for BodySender {
    fn drop(&mut self) {
        let waker = {
            let mut state = lock(&self.0);
            state.sender_gone = true;
            state.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

/// The reader's end. Dropping it discards what is queued and makes later
/// sends fail.
pub(crate) struct BodyReceiver(Shared);

impl BodyReceiver {
    /// The next event; `None` once the sender is gone and the queue empty.
    pub(crate) async fn recv(&mut self) -> Option<BodyEvent> {
        poll_fn(|cx| self.poll_recv(cx)).await
    }

    fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<BodyEvent>> {
        let mut state = lock(&self.0);
        if let Some(event) = state.events.pop_front() {
            return Poll::Ready(Some(event));
        }
        if state.sender_gone {
            return Poll::Ready(None);
        }
        if !state.waker.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
            state.waker = Some(cx.waker().clone());
        }
        Poll::Pending
    }
}

impl BodyReceiver {
    /// Stops reading: what is queued is discarded, later sends fail.
    /// Returns the body bytes discarded, which the connection delivered and
    /// nobody will read (their flow-control credit is still owed).
    pub(crate) fn discard(&mut self) -> usize {
        let events = {
            let mut state = lock(&self.0);
            state.receiver_gone = true;
            std::mem::take(&mut state.events)
        };
        // Dropped outside the lock: an event may own a large buffer.
        events.iter().map(|e| if let BodyEvent::Data(d) = e { d.len() } else { 0 }).sum()
    }
}

impl Drop for BodyReceiver {
    fn drop(&mut self) {
        self.discard();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    #[tokio::test]
    async fn events_arrive_in_order_then_none_after_the_sender_is_gone() {
        let (tx, mut rx) = body_channel();
        assert!(tx.send(BodyEvent::Data(Bytes::from_static(b"a"))));
        assert!(tx.send(BodyEvent::End));
        drop(tx);
        assert!(matches!(rx.recv().await, Some(BodyEvent::Data(d)) if d == "a"));
        assert!(matches!(rx.recv().await, Some(BodyEvent::End)));
        assert!(rx.recv().await.is_none());
    }

    #[tokio::test]
    async fn a_waiting_reader_is_woken_by_a_send_from_another_task() {
        let (tx, mut rx) = body_channel();
        let reader = tokio::spawn(async move { rx.recv().await.is_some() });
        tokio::task::yield_now().await;
        assert!(tx.send(BodyEvent::End));
        assert!(reader.await.unwrap());
    }

    #[tokio::test]
    async fn a_waiting_reader_sees_the_end_when_the_sender_is_dropped() {
        let (tx, mut rx) = body_channel();
        let reader = tokio::spawn(async move { rx.recv().await.is_none() });
        tokio::task::yield_now().await;
        drop(tx);
        assert!(reader.await.unwrap());
    }

    #[test]
    fn sending_to_a_dropped_reader_fails() {
        let (tx, rx) = body_channel();
        drop(rx);
        assert!(!tx.send(BodyEvent::End));
    }
}
