//! The channel a response body travels on, from the connection that
//! receives it to the [`Response`](crate::Response) that reads it.
//!
//! The reader's end also holds the connection's [`Release`]: it hands back
//! the flow-control credit of what it reads, and of what it never reads
//! when it is dropped before the end.
//!
//! One shared allocation per response: a queue, the reader's waker and two
//! "gone" flags behind an uncontended mutex, and the connection's
//! [`Release`] beside them (unsized, so that it needs no box of its own:
//! one allocation fewer per response). `tokio::sync::mpsc` would do the
//! same job with two allocations, the first a block of 32 slots, on every
//! response; profiles of small responses showed that block among the top
//! costs. Nothing here bounds the queue: the sender is a connection whose
//! flow-control window (RFC 9113 §5.2) or HTTP/1.1 read loop already limits
//! what can be outstanding.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};

use super::{BodyEvent, Release};

#[derive(Default)]
struct State {
    events: Queue,
    waker: Option<Waker>,
    sender_gone: bool,
    receiver_gone: bool,
}

/// The events in order: the first two inline, the rest in a `VecDeque`.
/// Most bodies that arrive at once are one DATA and its end: kept in the
/// shared allocation, they need no second one for a queue (callgrind
/// showed the `VecDeque`'s first growth among a small response's costs).
#[derive(Default)]
struct Queue {
    /// Empty only when the whole queue is.
    first: Option<BodyEvent>,
    /// Empty only when `rest` is.
    second: Option<BodyEvent>,
    rest: VecDeque<BodyEvent>,
}

impl Queue {
    fn push_back(&mut self, event: BodyEvent) {
        if self.first.is_none() {
            self.first = Some(event);
        } else if self.second.is_none() {
            self.second = Some(event);
        } else {
            self.rest.push_back(event);
        }
    }

    fn pop_front(&mut self) -> Option<BodyEvent> {
        let event = self.first.take()?;
        self.first = self.second.take();
        self.second = self.rest.pop_front();
        Some(event)
    }

    fn iter(&self) -> impl Iterator<Item = &BodyEvent> {
        self.first.iter().chain(self.second.iter()).chain(self.rest.iter())
    }
}

/// What both ends share: the queue, and the connection's `release`, which
/// only the reader uses. (It lives until both ends are gone; the sender is
/// the connection, which drops it at the body's end.)
struct Channel<R: ?Sized> {
    state: Mutex<State>,
    release: R,
}

type Shared = Arc<Channel<dyn Release>>;

fn lock(shared: &Shared) -> MutexGuard<'_, State> {
    // No code holding the lock can panic, but a poisoned lock still holds a
    // consistent queue.
    shared.state.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A new, empty body channel, whose reader gives its credit to `release`.
pub(crate) fn body_channel(release: impl Release + 'static) -> (BodySender, BodyReceiver) {
    let shared: Shared = Arc::new(Channel { state: Mutex::default(), release });
    (BodySender(shared.clone()), BodyReceiver { shared, ended: false, unreleased: 0 })
}

/// The connection's end. Dropping it ends the body ([`BodyReceiver::recv`]
/// returns `None` once the queue is empty).
pub(crate) struct BodySender(Shared);

impl BodySender {
    /// Queues `event`; `false` when the reader is gone (nothing was queued).
    pub(crate) fn send(&self, event: BodyEvent) -> bool {
        self.send_waking(event).is_some()
    }

    /// Queues `event`, and says whether that woke a reader waiting for it;
    /// `None` when the reader is gone (nothing was queued).
    pub(crate) fn send_waking(&self, event: BodyEvent) -> Option<bool> {
        let waker = {
            let mut state = lock(&self.0);
            if state.receiver_gone {
                return None;
            }
            state.events.push_back(event);
            state.waker.take()
        };
        let woke = waker.is_some();
        if let Some(waker) = waker {
            waker.wake();
        }
        Some(woke)
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

/// Read bytes are handed back to the connection in batches of up to this
/// much. Each hand-back is a command to the connection's task (waking it,
/// on another worker thread under the multi-thread runtime), and the
/// engine batches its WINDOW_UPDATEs until half a stream window (1 MiB by
/// default) is pending anyway (RFC 9113 §6.9.1 leaves the timing to the
/// receiver): per read chunk, the commands cost without changing what goes
/// on the wire. Nothing read waits behind the batch once the reader stops:
/// the rest goes back before it waits for more, at the body's end, and
/// when it is abandoned. A reader busy with a chunk holds back at most this
/// much of what its connection may read ahead (1 MiB by default, HTTP/2's
/// stream window and HTTP/1.1's `MAX_UNREAD` alike).
const RELEASE_BATCH: usize = 64 << 10;

/// The reader's end. Dropping it before the body's end abandons the body
/// (see [`Self::abandon`]).
pub(crate) struct BodyReceiver {
    shared: Shared,
    /// The end, a failure, or the sender's departure was seen, or the body
    /// was abandoned: nothing more will arrive.
    ended: bool,
    /// Read and not yet handed back (see [`RELEASE_BATCH`]).
    unreleased: usize,
}

impl BodyReceiver {
    /// The next event; `None` once the sender is gone and the queue empty.
    #[cfg(test)]
    pub(crate) async fn recv(&mut self) -> Option<BodyEvent> {
        std::future::poll_fn(|cx| self.poll_event(cx)).await
    }

    /// The next event if there is one, else `Pending` (and `cx` is woken
    /// when one comes); `None` once the sender is gone and the queue empty.
    pub(crate) fn poll_event(&mut self, cx: &mut Context<'_>) -> Poll<Option<BodyEvent>> {
        let Poll::Ready(event) = self.poll_recv(cx) else {
            // About to wait: the connection gets back everything read, so
            // that nothing the reader is done with holds the sender back.
            self.hand_back();
            return Poll::Pending;
        };
        if matches!(event, None | Some(BodyEvent::End | BodyEvent::Failed(_))) {
            self.ended = true;
            self.hand_back();
        }
        Poll::Ready(event)
    }

    /// Takes in what has already arrived, without waiting, handing its
    /// credit back; `true` when that reached the body's end (then dropping
    /// the reader abandons nothing: an HTTP/1.1 connection stays reusable).
    pub(crate) fn drain_ready(&mut self) -> bool {
        let mut cx = Context::from_waker(Waker::noop());
        loop {
            match self.poll_event(&mut cx) {
                Poll::Ready(Some(BodyEvent::Data(data))) => self.consumed(data.len()),
                Poll::Ready(Some(BodyEvent::Trailers(_))) => {}
                Poll::Ready(Some(BodyEvent::End | BodyEvent::Failed(_)) | None) => return true,
                Poll::Pending => return false,
            }
        }
    }

    /// The reader is done with `n` bytes it received: the connection may
    /// let that much more in (HTTP/2's windows, RFC 9113 §5.2), once a
    /// batch of them is together (see [`RELEASE_BATCH`]).
    pub(crate) fn consumed(&mut self, n: usize) {
        self.unreleased += n;
        if self.unreleased >= RELEASE_BATCH {
            self.hand_back();
        }
    }

    /// Gives the connection back what was read and not yet given; once
    /// the body has ended, as credit the connection takes in lazily.
    fn hand_back(&mut self) {
        let n = std::mem::take(&mut self.unreleased);
        if n > 0 {
            if self.ended {
                self.shared.release.release_ended(n);
            } else {
                self.shared.release.release(n);
            }
        }
    }

    /// Stops reading before the end: the connection stops the response
    /// (HTTP/2 resets its stream; HTTP/1.1 closes), and the bytes that
    /// arrived and will never be read are given back with those read.
    /// They still count against the connection's window (RFC 9113 §6.9):
    /// kept, every response dropped unread would shrink it for good.
    pub(crate) fn abandon(&mut self) {
        if !std::mem::replace(&mut self.ended, true) {
            self.shared.release.cancel();
            self.unreleased += self.discard();
        }
        self.hand_back();
    }

    fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<BodyEvent>> {
        let mut state = lock(&self.shared);
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

    /// Discards what is queued and makes later sends fail. Returns the body
    /// bytes discarded.
    fn discard(&mut self) -> usize {
        let events = {
            let mut state = lock(&self.shared);
            state.receiver_gone = true;
            std::mem::take(&mut state.events)
        };
        // Dropped outside the lock: an event may own a large buffer.
        events.iter().map(|e| if let BodyEvent::Data(d) = e { d.len() } else { 0 }).sum()
    }
}

impl Drop for BodyReceiver {
    /// Wherever the reader's end goes (a [`Response`](crate::Response)
    /// dropped, or a head that found its caller gone), the body is
    /// abandoned and its credit given back.
    fn drop(&mut self) {
        self.abandon();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use bytes::Bytes;

    /// What the reader told the connection: bytes released, cancels.
    #[derive(Default)]
    struct Told(Mutex<(usize, usize)>);

    impl Release for Arc<Told> {
        fn release(&self, n: usize) {
            self.0.lock().unwrap().0 += n;
        }

        fn cancel(&self) {
            self.0.lock().unwrap().1 += 1;
        }
    }

    fn channel() -> (BodySender, BodyReceiver, Arc<Told>) {
        let told = Arc::new(Told::default());
        let (tx, rx) = body_channel(told.clone());
        (tx, rx, told)
    }

    fn data(s: &'static str) -> BodyEvent {
        BodyEvent::Data(Bytes::from_static(s.as_bytes()))
    }

    #[tokio::test]
    async fn events_arrive_in_order_then_none_after_the_sender_is_gone() {
        let (tx, mut rx, _) = channel();
        assert!(tx.send(data("a")));
        assert!(tx.send(BodyEvent::End));
        drop(tx);
        assert!(matches!(rx.recv().await, Some(BodyEvent::Data(d)) if d == "a"));
        assert!(matches!(rx.recv().await, Some(BodyEvent::End)));
        assert!(rx.recv().await.is_none());
    }

    #[tokio::test]
    async fn many_events_keep_their_order_across_the_inline_slots() {
        let (tx, mut rx, _) = channel();
        let names = ["a", "b", "c", "d", "e"];
        for (i, n) in names.iter().enumerate() {
            assert!(tx.send(data(n)));
            if i == 2 {
                // Taken while more are queued: the queue moves up in order.
                assert!(matches!(rx.recv().await, Some(BodyEvent::Data(d)) if d == "a"));
            }
        }
        assert!(tx.send(BodyEvent::End));
        drop(tx);
        for n in &names[1..] {
            assert!(matches!(rx.recv().await, Some(BodyEvent::Data(d)) if d == *n), "{n}");
        }
        assert!(matches!(rx.recv().await, Some(BodyEvent::End)));
        assert!(rx.recv().await.is_none());
    }

    #[tokio::test]
    async fn a_waiting_reader_is_woken_by_a_send_from_another_task() {
        let (tx, mut rx, _) = channel();
        let reader = tokio::spawn(async move { rx.recv().await.is_some() });
        tokio::task::yield_now().await;
        assert!(tx.send(BodyEvent::End));
        assert!(reader.await.unwrap());
    }

    #[tokio::test]
    async fn a_waiting_reader_sees_the_end_when_the_sender_is_dropped() {
        let (tx, mut rx, _) = channel();
        let reader = tokio::spawn(async move { rx.recv().await.is_none() });
        tokio::task::yield_now().await;
        drop(tx);
        assert!(reader.await.unwrap());
    }

    /// The HTTP/2 driver counts the callers a turn woke (`driver.rs`): a
    /// send says whether a reader was waiting for it.
    #[tokio::test]
    async fn a_send_says_whether_it_woke_a_waiting_reader() {
        let (tx, mut rx, _) = channel();
        assert_eq!(tx.send_waking(data("a")), Some(false), "nobody waits yet");
        assert!(matches!(rx.recv().await, Some(BodyEvent::Data(d)) if d == "a"));
        let reader = tokio::spawn(async move { rx.recv().await.is_some() });
        tokio::task::yield_now().await;
        assert_eq!(tx.send_waking(BodyEvent::End), Some(true), "the reader waited");
        assert!(reader.await.unwrap());
        let (tx, rx, _) = channel();
        drop(rx);
        assert_eq!(tx.send_waking(BodyEvent::End), None, "the reader is gone");
    }

    #[test]
    fn sending_to_a_dropped_reader_fails() {
        let (tx, rx, _) = channel();
        drop(rx);
        assert!(!tx.send(BodyEvent::End));
    }

    /// Dropped before the end, the reader stops the response and gives
    /// back the bytes it never read (here "bc" and "def"), whether or not
    /// the end was queued behind them.
    #[tokio::test]
    async fn a_reader_dropped_before_the_end_gives_back_what_it_never_read() {
        for end_queued in [false, true] {
            let (tx, mut rx, told) = channel();
            for event in [data("a"), data("bc"), data("def")] {
                assert!(tx.send(event));
            }
            if end_queued {
                assert!(tx.send(BodyEvent::End));
            }
            let Some(BodyEvent::Data(first)) = rx.recv().await else { panic!("no data") };
            rx.consumed(first.len());
            drop(rx);
            assert_eq!(*told.0.lock().unwrap(), (1 + 5, 1), "end queued: {end_queued}");
        }
    }

    /// Read bytes go back in batches: held while more is queued, given
    /// back when the reader is about to wait, or once a batch is together.
    #[tokio::test]
    async fn read_bytes_go_back_before_the_reader_waits_or_by_the_batch() {
        let (tx, mut rx, told) = channel();
        assert!(tx.send(data("a")));
        assert!(tx.send(data("bc")));
        for len in [1, 2] {
            let Some(BodyEvent::Data(d)) = rx.recv().await else { panic!("no data") };
            assert_eq!(d.len(), len);
            rx.consumed(d.len());
        }
        assert_eq!(*told.0.lock().unwrap(), (0, 0), "held while the reader has not waited");
        let mut cx = Context::from_waker(Waker::noop());
        assert!(rx.poll_event(&mut cx).is_pending());
        assert_eq!(*told.0.lock().unwrap(), (3, 0), "given back before the wait");
        assert!(tx.send(BodyEvent::Data(Bytes::from(vec![0; RELEASE_BATCH]))));
        assert!(tx.send(data("d")));
        let Some(BodyEvent::Data(d)) = rx.recv().await else { panic!("no data") };
        rx.consumed(d.len());
        assert_eq!(*told.0.lock().unwrap(), (3 + RELEASE_BATCH, 0), "a whole batch goes at once");
        let Some(BodyEvent::Data(d)) = rx.recv().await else { panic!("no data") };
        rx.consumed(d.len());
        drop(tx);
        assert!(rx.recv().await.is_none());
        assert_eq!(*told.0.lock().unwrap(), (4 + RELEASE_BATCH, 0), "the rest at the end");
        drop(rx);
        assert_eq!(*told.0.lock().unwrap(), (4 + RELEASE_BATCH, 0), "nothing twice");
    }

    /// A reader that saw the end owes nothing and stops nothing.
    #[tokio::test]
    async fn a_reader_that_saw_the_end_owes_nothing() {
        let (tx, mut rx, told) = channel();
        assert!(tx.send(data("ab")));
        assert!(tx.send(BodyEvent::End));
        while let Some(event) = rx.recv().await {
            match event {
                BodyEvent::Data(d) => rx.consumed(d.len()),
                BodyEvent::End => break,
                _ => {}
            }
        }
        drop(rx);
        assert_eq!(*told.0.lock().unwrap(), (2, 0));
    }
}
