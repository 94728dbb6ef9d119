//! A lease being taken ([`Pool::lease`](super::Pool::lease)): the one a
//! request got at its first look, or its boxed wait for room.

use std::future::{Future, Ready};
use std::pin::Pin;
use std::task::{Context, Poll};

use super::{Lease, LeaseError};

/// What [`Pool::lease`](super::Pool::lease) gives: the lease, ready, when
/// the origin had room at once; otherwise the wait for it, boxed, so that
/// the common case does not carry the wait's state in every request's
/// future.
pub(crate) enum Leasing<'a> {
    Now(Ready<Result<Lease, LeaseError>>),
    Later(Pin<Box<dyn Future<Output = Result<Lease, LeaseError>> + Send + 'a>>),
}

impl Future for Leasing<'_> {
    type Output = Result<Lease, LeaseError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.get_mut() {
            Leasing::Now(ready) => Pin::new(ready).poll(cx),
            Leasing::Later(wait) => wait.as_mut().poll(cx),
        }
    }
}
