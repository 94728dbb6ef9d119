//! One connection's control surface: the state of its two directions, the
//! queues their writers deliver from, its counters, and the reset switch.
//! Shared by the connection's task, its timers and the proxy's handle.

use std::sync::Mutex;
use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

use super::link::LinkState;
use super::plan::{Direction, Directions, Fault};
use super::pump::Item;
use super::stats::{ConnectionStats, End, FlowCounters, Party};

#[derive(Debug)]
pub(crate) struct Control {
    pub(crate) ordinal: u64,
    /// Per direction (indexed by `Direction::index`).
    pub(crate) links: [watch::Sender<LinkState>; 2],
    pub(crate) queues: [mpsc::UnboundedSender<Item>; 2],
    pub(crate) counters: [FlowCounters; 2],
    /// Set to ask the connection's task for an immediate reset.
    pub(crate) reset: watch::Sender<Option<Party>>,
    pub(crate) end: Mutex<Option<End>>,
}

impl Control {
    /// A control and the receiving ends of its two queues.
    pub(crate) fn new(ordinal: u64) -> (Self, [mpsc::UnboundedReceiver<Item>; 2]) {
        let (up_tx, up_rx) = mpsc::unbounded_channel();
        let (down_tx, down_rx) = mpsc::unbounded_channel();
        let control = Self {
            ordinal,
            links: [watch::Sender::new(LinkState::default()), watch::Sender::new(LinkState::default())],
            queues: [up_tx, down_tx],
            counters: [FlowCounters::default(), FlowCounters::default()],
            reset: watch::Sender::new(None),
            end: Mutex::new(None),
        };
        (control, [up_rx, down_rx])
    }

    pub(crate) fn link(&self, d: Direction) -> &watch::Sender<LinkState> {
        &self.links[d.index()]
    }

    pub(crate) fn counters(&self, d: Direction) -> &FlowCounters {
        &self.counters[d.index()]
    }

    /// Applies `fault` to `directions`. `ordered_in`: the direction whose
    /// byte trigger fired, if one did: a reset or a pause there is queued
    /// behind the bytes already read instead of taking effect at once.
    pub(crate) fn apply(&self, directions: Directions, fault: Fault, ordered_in: Option<Direction>) {
        let now = Instant::now();
        if fault == Fault::Reset {
            match ordered_in {
                Some(d) => {
                    // Nothing more is read either way.
                    for link in &self.links {
                        link.send_modify(|s| s.stopped = true);
                    }
                    self.enqueue(d, Item::Reset(Party::Fault));
                }
                None => {
                    self.reset.send_replace(Some(Party::Fault));
                }
            }
            return;
        }
        for d in directions.iter() {
            match fault {
                Fault::Delay { latency, jitter } => self.link(d).send_modify(|s| {
                    s.latency = latency;
                    s.jitter = jitter;
                }),
                Fault::Rate(rate) => self.link(d).send_modify(|s| s.rate = rate),
                Fault::Blackhole => self.link(d).send_modify(|s| s.blackholed = true),
                Fault::Resume => self.link(d).send_modify(|s| {
                    s.blackholed = false;
                    s.hold_until = None;
                }),
                Fault::Pause(length) if ordered_in == Some(d) => self.enqueue(d, Item::Hold(length)),
                Fault::Pause(length) => self.link(d).send_modify(|s| s.hold_until = Some(now + length)),
                Fault::Fin => self.fin(d),
                Fault::Reset => {}
            }
        }
    }

    /// Queues a FIN behind what was read and stops the reader.
    pub(crate) fn fin(&self, d: Direction) {
        let first = self.link(d).send_if_modified(|s| !std::mem::replace(&mut s.stopped, true));
        if first {
            self.enqueue(d, Item::Fin);
        }
    }

    pub(crate) fn enqueue(&self, d: Direction, item: Item) {
        // The writer is gone only when the connection is over.
        let _ = self.queues[d.index()].send(item);
    }

    /// Holds direction `d` for `length` from now (a pause reached by the
    /// writer in order).
    pub(crate) fn hold(&self, d: Direction, length: Duration) {
        let until = Instant::now() + length;
        self.link(d).send_modify(|s| s.hold_until = Some(s.hold_until.map_or(until, |h| h.max(until))));
    }

    pub(crate) fn set_end(&self, end: End) {
        if let Ok(mut slot) = self.end.lock() {
            slot.get_or_insert(end);
        }
    }

    pub(crate) fn snapshot(&self) -> ConnectionStats {
        ConnectionStats {
            ordinal: self.ordinal,
            client_to_server: self.counters(Direction::ClientToServer).snapshot(),
            server_to_client: self.counters(Direction::ServerToClient).snapshot(),
            end: self.end.lock().ok().and_then(|e| *e),
        }
    }
}
