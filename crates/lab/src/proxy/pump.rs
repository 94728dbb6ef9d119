//! One direction of a proxied connection: a reader that takes bytes from
//! the sender's socket, stamps each chunk with its delivery time and fires
//! byte triggers at their exact byte, and a writer that delivers the chunks
//! at their time, paced by the rate cap and held by pauses. Between them, a
//! queue bounded in bytes (the proxy's buffer), which also carries the
//! ordered events: FIN, reset, pause.

use std::io;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use tokio::net::TcpStream;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};
use tokio::time::Instant;

use super::connection::Setup;
use super::control::Control;
use super::link::Stamper;
use super::plan::{Direction, Step, Trigger};
use super::stats::Party;

/// The most read at once.
const CHUNK: usize = 16 * 1024;

/// What travels from a direction's reader to its writer.
#[derive(Debug)]
pub(crate) enum Item {
    /// Bytes to deliver at `due`; the permit holds their room in the buffer.
    Data { bytes: Bytes, due: Instant, _room: OwnedSemaphorePermit },
    /// End the direction: FIN to the receiver.
    Fin,
    /// Reset the connection once what came before is delivered.
    Reset(Party),
    /// Deliver nothing more for this long, from when it is reached.
    Hold(Duration),
}

/// How a direction ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PumpEnd {
    /// Its FIN was delivered.
    Finished,
    /// The connection must be reset.
    Reset(Party),
}

/// The side that sends in direction `d`, and the one that receives.
fn parties(d: Direction) -> (Party, Party) {
    match d {
        Direction::ClientToServer => (Party::Client, Party::Server),
        Direction::ServerToClient => (Party::Server, Party::Client),
    }
}

/// Runs direction `d` from `from` to `to` (`setup.seed` seeds its jitter) until its FIN is delivered or
/// the connection must be reset. `triggers`: the plan's steps with byte
/// triggers on this direction, in byte order.
pub(crate) async fn run(
    d: Direction,
    from: &TcpStream,
    to: &TcpStream,
    control: &Control,
    queue: mpsc::UnboundedReceiver<Item>,
    triggers: Vec<(u64, Step)>,
    setup: Setup,
) -> PumpEnd {
    let room = Arc::new(Semaphore::new(setup.buffer.max(CHUNK)));
    let reader = read(d, from, control, room, triggers, setup.seed);
    let writer = write(d, to, control, queue);
    tokio::pin!(reader, writer);
    let mut reading = true;
    loop {
        tokio::select! {
            () = &mut reader, if reading => reading = false,
            end = &mut writer => return end,
        }
    }
}

/// The byte triggers of `d` in `steps`, sorted by byte count (stable, so
/// steps at the same byte fire in the plan's order).
pub(crate) fn byte_triggers(steps: &[Step], d: Direction) -> Vec<(u64, Step)> {
    let mut triggers: Vec<(u64, Step)> = steps
        .iter()
        .filter_map(|s| match s.trigger {
            Trigger::Bytes(td, n) if td == d => Some((n, *s)),
            _ => None,
        })
        .collect();
    triggers.sort_by_key(|t| t.0);
    triggers
}

async fn read(
    d: Direction,
    from: &TcpStream,
    control: &Control,
    room: Arc<Semaphore>,
    triggers: Vec<(u64, Step)>,
    seed: u64,
) {
    let mut state = control.link(d).subscribe();
    let mut stamper = Stamper::new(seed);
    let mut read: u64 = 0;
    let mut next = 0;
    loop {
        // Fire the triggers reached (the ones at 0 before any byte).
        while let Some((at, step)) = triggers.get(next).filter(|t| t.0 <= read) {
            debug_assert_eq!(*at, read);
            control.apply(step.directions, step.fault, Some(d));
            next += 1;
        }
        let (blackholed, stopped) = {
            let s = state.borrow_and_update();
            (s.blackholed, s.stopped)
        };
        if stopped {
            return;
        }
        if blackholed {
            if state.changed().await.is_err() {
                return;
            }
            continue;
        }
        // Never read past the next trigger.
        let limit = triggers.get(next).map_or(CHUNK as u64, |t| (t.0 - read).min(CHUNK as u64));
        let want = usize::try_from(limit).unwrap_or(CHUNK).max(1);
        let Ok(permit) = room.clone().acquire_many_owned(u32::try_from(want).unwrap_or(u32::MAX)).await
        else {
            return;
        };
        tokio::select! {
            ready = from.readable() => {
                if ready.is_err() {
                    control.enqueue(d, Item::Reset(parties(d).0));
                    return;
                }
            }
            changed = state.changed() => {
                if changed.is_err() {
                    return;
                }
                // Blackholed or stopped meanwhile: look again.
                continue;
            }
        }
        let mut buf = BytesMut::with_capacity(want);
        match from.try_read_buf(&mut buf) {
            Ok(0) => {
                control.fin(d);
                return;
            }
            Ok(n) => {
                let mut permit = permit;
                let room_for_n = permit.split(n);
                drop(permit);
                read += n as u64;
                control.counters(d).read.fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
                let due = stamper.due(Instant::now(), &state.borrow());
                let Some(room_for_n) = room_for_n else { return };
                control.enqueue(d, Item::Data { bytes: buf.freeze(), due, _room: room_for_n });
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(_) => {
                control.enqueue(d, Item::Reset(parties(d).0));
                return;
            }
        }
    }
}

async fn write(
    d: Direction,
    to: &TcpStream,
    control: &Control,
    mut queue: mpsc::UnboundedReceiver<Item>,
) -> PumpEnd {
    let receiver = parties(d).1;
    let mut state = control.link(d).subscribe();
    // When the rate-capped link is free for the next piece.
    let mut link_free = Instant::now();
    while let Some(item) = queue.recv().await {
        match item {
            Item::Data { bytes, due, _room } => {
                let mut offset = 0;
                while offset < bytes.len() {
                    let piece = loop {
                        let (rate, hold) = {
                            let s = state.borrow_and_update();
                            (s.rate, s.hold_until)
                        };
                        let now = Instant::now();
                        let mut until = due;
                        if rate.is_some() {
                            until = until.max(link_free);
                        }
                        if let Some(hold) = hold {
                            until = until.max(hold);
                        }
                        if until <= now {
                            let left = bytes.len() - offset;
                            break match rate {
                                Some(rate) => {
                                    let piece = left.min(piece_size(rate.get()));
                                    link_free = link_free.max(now) + rate.time_for(piece);
                                    piece
                                }
                                None => left,
                            };
                        }
                        tokio::select! {
                            () = tokio::time::sleep_until(until) => {}
                            changed = state.changed() => {
                                if changed.is_err() {
                                    return PumpEnd::Reset(receiver);
                                }
                            }
                        }
                    };
                    if write_all(to, &bytes[offset..offset + piece]).await.is_err() {
                        return PumpEnd::Reset(receiver);
                    }
                    offset += piece;
                    control
                        .counters(d)
                        .delivered
                        .fetch_add(piece as u64, std::sync::atomic::Ordering::Relaxed);
                }
            }
            Item::Fin => {
                return match socket2::SockRef::from(to).shutdown(std::net::Shutdown::Write) {
                    Ok(()) => {
                        control.counters(d).fin.store(true, std::sync::atomic::Ordering::Relaxed);
                        PumpEnd::Finished
                    }
                    Err(_) => PumpEnd::Reset(receiver),
                };
            }
            Item::Reset(by) => return PumpEnd::Reset(by),
            Item::Hold(length) => control.hold(d, length),
        }
    }
    // Every sender is in the control, which outlives this.
    PumpEnd::Finished
}

/// A hundredth of a second's worth at `rate` bytes a second, between one
/// byte and one chunk.
fn piece_size(rate: u64) -> usize {
    usize::try_from(rate / 100).unwrap_or(CHUNK).clamp(1, CHUNK)
}

async fn write_all(to: &TcpStream, mut bytes: &[u8]) -> io::Result<()> {
    while !bytes.is_empty() {
        to.writable().await?;
        match to.try_write(bytes) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => bytes = &bytes[n..],
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}
