//! The slot state machine: the one place where an entry's life is decided.
//!
//! Each entry lives in a slot from acquire until its terminal completion is consumed. The
//! slot's state word holds a 16-bit generation tag, a phase and event bits; a second word,
//! the *epoch*, counts how often the tag wrapped, so a handle names one use of a slot by 48
//! bits (see [`Gen`]). Nothing outside this module shifts or masks the word: every change is a
//! named method of [`SlotState`] whose memory ordering is argued beside it, and the pure
//! function [`State::next`] is the reference the table test checks each method against.
//!
//! ```text
//!  FREE --acquire--> PREPARED --start (executor: a successor when its predecessor
//!    ^                  |        completes; start_owned: a head at submit, a transaction
//!    |                  |        member; or take: a canceller)--------------> INFLIGHT
//!    |                  |                                                         |
//!    |                  +--complete in place (a plain head at submit)--+          | finish
//!    |                                                                  v          v
//!    +--------------------- recycle (owner; generation + 1) ------------------- DONE
//!
//!  INFLIGHT: cancel, timeout, signal, arm add event bits only.
//! ```
//!
//! A successor stays PREPARED after its chain is submitted: the submit hands it to nobody
//! (only the head's start does, through the head's token, whose hand-over to a driver or
//! another thread orders the owner's writes of every entry of the chain before it), so
//! there is no separate "queued" phase to publish it. Whoever first starts it (the
//! completer of its predecessor) or takes it (a canceller) owns it; the compare-and-swap on
//! the whole word, generation included, decides, and a stale link loses.
//!
//! Who may do what:
//! * the owner writes an entry while FREE or PREPARED (before submit), and again once DONE;
//! * whoever wins `start` or `take` owns it: the executor, then the driver holding its
//!   token, or the canceller that posts its `Canceled`;
//! * `request_cancel`, `signal`, `arm` and `orphan` only add event bits and never change the
//!   phase, so they cannot take an entry away from its holder;
//! * `finish` is the holder's last act (INFLIGHT -> DONE, keeping the event bits); `recycle`
//!   is the owner's (DONE or PREPARED -> FREE with the next generation).

use crate::sync::{AtomicU32, Ordering};

/// Where a slot is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    /// On the free list (or never used).
    Free,
    /// Acquired and being built, prepared and waiting for submit, or submitted behind an
    /// entry of its chain that has not completed yet. Not dispatched: whoever starts or
    /// takes it owns it.
    Prepared,
    /// Taken by the executor, a driver (through its token) or a canceller.
    Inflight,
    /// Completed: its result is posted (or kept) and it is the owner's again.
    Done,
}

const PHASE_MASK: u32 = 0x7;
const FREE: u32 = 0;
const PREPARED: u32 = 1;
const INFLIGHT: u32 = 2;
const DONE: u32 = 3;
/// Cancellation requested.
const CANCEL: u32 = 0x08;
/// A LINK_TIMEOUT fired for this entry: its `Canceled` becomes `TimedOut`.
const TIMEOUT: u32 = 0x10;
/// AWAIT: the signal arrived.
const SIGNALED: u32 = 0x20;
/// AWAIT: the executor or the iodev reached it.
const ARMED: u32 = 0x40;
/// A kept entry whose future or scope went away: its completer frees the slot.
const ORPHAN: u32 = 0x80;
/// The owner is inside the driver's `submit` for this entry (its own run): a completion
/// made before it returns is handed back to it instead of posted (`hand_back`).
const DISPATCH: u32 = 0x100;
/// A completer handed the completion back to the owner (the result waits in the slot).
const HANDED: u32 = 0x200;
const EVENTS: u32 = CANCEL | TIMEOUT | SIGNALED | ARMED | ORPHAN | DISPATCH | HANDED;
const GEN_SHIFT: u32 = 16;

/// A snapshot of a slot's state word.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct State(u32);

impl core::fmt::Debug for State {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "State({:?}, tag {}", self.phase(), self.tag())?;
        for (bit, name) in [
            (CANCEL, "cancel"),
            (TIMEOUT, "timeout"),
            (SIGNALED, "signaled"),
            (ARMED, "armed"),
            (ORPHAN, "orphan"),
            (DISPATCH, "dispatch"),
            (HANDED, "handed"),
        ] {
            if self.0 & bit != 0 {
                write!(f, ", {name}")?;
            }
        }
        f.write_str(")")
    }
}

/// What can happen to a slot: the events of the state table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Event {
    /// Owner: take a free slot for a new entry.
    Acquire,
    /// Executor: start a PREPARED entry (a successor when its predecessor completed, a
    /// LINK_TIMEOUT; a head at submit and a transaction member take the same step untagged,
    /// `SlotState::start_owned`).
    Start { tag: u16 },
    /// Canceller: take an entry that was not dispatched (to post `Canceled` for it).
    Take { tag: u16 },
    /// Anyone: ask an entry in flight to stop (`timeout`: because its LINK_TIMEOUT fired).
    RequestCancel { tag: u16, timeout: bool },
    /// Executor or iodev: an AWAIT was reached.
    Arm,
    /// Anyone: signal an AWAIT.
    Signal { tag: u16 },
    /// Owner, in its own run: it is about to call the driver's `submit` with the entry's
    /// token.
    EnterDispatch,
    /// Completer, holding the token of an entry the owner is dispatching: hands the
    /// completion back to the owner instead of posting it.
    HandBack,
    /// Owner: the driver's `submit` returned; was the completion handed back?
    LeaveDispatch,
    /// Holder: the entry completed.
    Finish,
    /// Owner, at submit: a plain head (one NOP, nothing else) completed in place, PREPARED
    /// straight to DONE.
    CompleteInPlace,
    /// Owner: the future or scope waiting for a kept entry went away.
    Orphan,
    /// Owner: the completion was consumed (or the entry was never submitted).
    Recycle,
}

impl State {
    /// The phase.
    #[inline]
    pub(crate) fn phase(self) -> Phase {
        match self.0 & PHASE_MASK {
            FREE => Phase::Free,
            PREPARED => Phase::Prepared,
            INFLIGHT => Phase::Inflight,
            _ => Phase::Done,
        }
    }
    /// The 16-bit generation tag.
    #[inline]
    pub(crate) fn tag(self) -> u16 {
        (self.0 >> GEN_SHIFT) as u16
    }
    /// Whether a cancel was requested.
    #[inline]
    pub(crate) fn cancel_requested(self) -> bool {
        self.0 & CANCEL != 0
    }
    /// Whether the entry's LINK_TIMEOUT fired.
    #[inline]
    pub(crate) fn timed_out(self) -> bool {
        self.0 & TIMEOUT != 0
    }
    /// Whether an AWAIT was signalled.
    #[inline]
    pub(crate) fn signaled(self) -> bool {
        self.0 & SIGNALED != 0
    }
    /// Whether an AWAIT was reached.
    #[inline]
    pub(crate) fn armed(self) -> bool {
        self.0 & ARMED != 0
    }
    /// Whether a kept entry's waiter went away.
    #[inline]
    pub(crate) fn orphaned(self) -> bool {
        self.0 & ORPHAN != 0
    }
    /// Whether the owner is inside the driver's `submit` for this entry.
    #[inline]
    pub(crate) fn dispatching(self) -> bool {
        self.0 & DISPATCH != 0
    }
    /// Whether a completer handed the completion back to the owner.
    #[inline]
    pub(crate) fn handed(self) -> bool {
        self.0 & HANDED != 0
    }
    #[inline]
    fn with_phase(self, p: u32) -> State {
        State(self.0 & !PHASE_MASK | p)
    }

    /// The state after `ev`, or `None` when the event is refused in this state. This is the
    /// reference: every [`SlotState`] method does exactly this, atomically.
    #[inline(always)]
    pub(crate) fn next(self, ev: Event) -> Option<State> {
        let phase = self.phase();
        let tag_is = |t: u16| self.tag() == t;
        match ev {
            Event::Acquire => (phase == Phase::Free).then_some(State(self.0 & !EVENTS | PREPARED)),
            Event::Start { tag } | Event::Take { tag } => {
                (phase == Phase::Prepared && tag_is(tag)).then_some(self.with_phase(INFLIGHT))
            }
            Event::RequestCancel { tag, timeout } => (phase == Phase::Inflight && tag_is(tag))
                .then_some(State(self.0 | CANCEL | if timeout { TIMEOUT } else { 0 })),
            Event::Arm => (phase == Phase::Inflight).then_some(State(self.0 | ARMED)),
            Event::Signal { tag } => (!matches!(phase, Phase::Free | Phase::Done) && tag_is(tag))
                .then_some(State(self.0 | SIGNALED)),
            Event::EnterDispatch => (phase == Phase::Inflight && self.0 & (DISPATCH | HANDED) == 0)
                .then_some(State(self.0 | DISPATCH)),
            Event::HandBack => (phase == Phase::Inflight
                && self.0 & (DISPATCH | HANDED) == DISPATCH)
                .then_some(State(self.0 | HANDED)),
            Event::LeaveDispatch => (phase == Phase::Inflight && self.dispatching())
                .then_some(State(self.0 & !(DISPATCH | HANDED))),
            // A completion made during the owner's dispatch is handed back, never posted by
            // its completer: the owner finishes it after `LeaveDispatch`.
            Event::Finish => (phase == Phase::Inflight && self.0 & (DISPATCH | HANDED) == 0)
                .then_some(self.with_phase(DONE)),
            Event::CompleteInPlace => (phase == Phase::Prepared).then_some(self.with_phase(DONE)),
            Event::Orphan => {
                (!matches!(phase, Phase::Free | Phase::Done)).then_some(State(self.0 | ORPHAN))
            }
            Event::Recycle => matches!(phase, Phase::Prepared | Phase::Done).then_some(State(
                (self.tag().wrapping_add(1) as u32) << GEN_SHIFT | FREE,
            )),
        }
    }
}

/// A full generation: the 16-bit tag of the state word and the epoch (how often the tag
/// wrapped). A handle is distinguishable from every later use of its slot for 2^48 uses of
/// that one slot: about nine years at one reuse per microsecond.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Gen {
    pub(crate) tag: u16,
    pub(crate) epoch: u32,
}

/// A slot's state word and epoch, with the transitions as methods.
#[derive(Debug)]
pub(crate) struct SlotState {
    word: AtomicU32,
    /// Written by the owner only (in `recycle`, before the Release store of the word).
    epoch: AtomicU32,
}

impl SlotState {
    /// A free slot, generation 0.
    #[cfg(not(loom))]
    pub(crate) const fn new() -> Self {
        SlotState {
            word: AtomicU32::new(FREE),
            epoch: AtomicU32::new(0),
        }
    }
    /// A free slot, generation 0.
    #[cfg(loom)]
    pub(crate) fn new() -> Self {
        SlotState {
            word: AtomicU32::new(FREE),
            epoch: AtomicU32::new(0),
        }
    }

    /// The current state. Acquire: pairs with the Release (or AcqRel) of whichever
    /// transition wrote it, so what that side wrote to the entry before is visible.
    #[inline]
    pub(crate) fn load(&self) -> State {
        State(self.word.load(Ordering::Acquire))
    }

    /// Owner, holding the slot (acquired, not yet dispatched): its full generation. Relaxed:
    /// only the owner changes the tag and the epoch (`acquire`, `recycle`); other threads
    /// only add event bits to the word.
    #[inline]
    pub(crate) fn owned_gen(&self) -> Gen {
        Gen {
            tag: self.owned_tag(),
            epoch: self.epoch.load(Ordering::Relaxed),
        }
    }

    /// [`SlotState::owned_gen`]'s tag alone (what a chain link names).
    #[inline]
    pub(crate) fn owned_tag(&self) -> u16 {
        State(self.word.load(Ordering::Relaxed)).tag()
    }

    /// Whether `g` names the current use, and the state if so.
    #[inline]
    pub(crate) fn current(&self, g: Gen) -> Option<State> {
        let s = self.load();
        (s.tag() == g.tag && self.epoch.load(Ordering::Acquire) == g.epoch).then_some(s)
    }

    /// Applies `ev` with a compare-and-swap loop; the previous state, or `None` if refused.
    /// AcqRel: the winner acquires what the previous writer published (the owner's entry,
    /// a completer's result) and releases its own writes to whoever acts next. The loads
    /// before the exchange use `refused`: Relaxed where a refusal reads nothing afterwards
    /// (start, take, request_cancel, signal), Acquire where the refused caller goes on to
    /// read what the last writer published (`orphan`: a DONE entry the owner then frees).
    #[inline(always)]
    fn apply(&self, ev: Event, refused: Ordering) -> Option<State> {
        // A compare-and-swap loop written out: `fetch_update` is not inlined across crates,
        // and this is on every start and cancel.
        let mut cur = self.word.load(refused);
        loop {
            let next = State(cur).next(ev)?;
            match self
                .word
                .compare_exchange_weak(cur, next.0, Ordering::AcqRel, refused)
            {
                Ok(_) => return Some(State(cur)),
                Err(now) => cur = now,
            }
        }
    }

    /// Owner: FREE -> PREPARED, clearing the event bits. Relaxed: the slot is the owner's
    /// and nobody else looks at it until its chain's head is started and its token handed
    /// on (see the module docs).
    #[inline]
    pub(crate) fn acquire(&self) {
        let s = State(self.word.load(Ordering::Relaxed));
        // `State::next` by bits: a FREE slot keeps its tag and loses its event bits.
        let n = State(s.0 & !(EVENTS | PHASE_MASK) | PREPARED);
        debug_assert_eq!(s.next(Event::Acquire), Some(n), "acquire of a slot in use");
        self.word.store(n.0, Ordering::Relaxed);
    }

    /// Executor: PREPARED -> INFLIGHT if `tag` is current: a successor when its predecessor
    /// completed, a LINK_TIMEOUT when the entry it bounds starts (a chain head at submit
    /// uses `start_owned`). The winner owns the entry; a stale link or an entry a canceller
    /// took loses.
    #[inline]
    pub(crate) fn start(&self, tag: u16) -> bool {
        self.apply(Event::Start { tag }, Ordering::Relaxed)
            .is_some()
    }

    /// Executor: PREPARED -> INFLIGHT for an entry nobody else can start or take, keeping
    /// the event bits; one `fetch_add`. Two such entries: a chain head the owner's `submit`
    /// takes off its pending list (a cancel of a prepared head unlinks it there first, and
    /// only a predecessor's completer starts anything else), and a transaction member after
    /// its head (they are dispatched together, S5; a cancel names the head). So no tag
    /// check: only a `signal` or `orphan` bit can race, and the read-modify-write keeps it.
    /// AcqRel, as `start`.
    #[inline]
    pub(crate) fn start_owned(&self) {
        let old = State(self.word.fetch_add(INFLIGHT - PREPARED, Ordering::AcqRel));
        debug_assert_eq!(
            old.next(Event::Start { tag: old.tag() }),
            Some(State(old.0 + INFLIGHT - PREPARED)),
            "an owned start of an entry that was not prepared"
        );
    }

    /// Canceller: PREPARED -> INFLIGHT, taking an entry that was not dispatched so as to
    /// post its `Canceled` (the same transition as `start`, by the other side of the race).
    #[inline]
    pub(crate) fn take(&self, tag: u16) -> bool {
        self.apply(Event::Take { tag }, Ordering::Relaxed).is_some()
    }

    /// Sets CANCEL (and TIMEOUT) on an entry in flight whose tag is `tag`; the previous state
    /// if it was.
    #[inline]
    pub(crate) fn request_cancel(&self, tag: u16, timeout: bool) -> Option<State> {
        self.apply(Event::RequestCancel { tag, timeout }, Ordering::Relaxed)
    }

    /// Sets SIGNALED on a live entry whose tag is `tag`; the previous state if it was.
    #[inline]
    pub(crate) fn signal(&self, tag: u16) -> Option<State> {
        self.apply(Event::Signal { tag }, Ordering::Relaxed)
    }

    /// Executor or iodev, holding an AWAIT in flight: sets ARMED; the previous state. The
    /// side (arm or signal/cancel) that sees the other's bit completes the entry.
    #[inline]
    pub(crate) fn arm(&self) -> State {
        let old = State(self.word.fetch_or(ARMED, Ordering::AcqRel));
        debug_assert_eq!(
            old.next(Event::Arm),
            Some(State(old.0 | ARMED)),
            "arm of an entry not in flight"
        );
        old
    }

    /// Owner, in its own run, before it calls the driver's `submit` with the entry's token:
    /// sets DISPATCH, so that a completion made before `submit` returns comes back to it
    /// (`hand_back`). One `fetch_or`, Relaxed: whoever completes the token received it
    /// from this thread after this store (the call itself, or the driver's own hand-over
    /// to an interrupt or another thread), so it reads this bit or a later value.
    #[inline]
    pub(crate) fn enter_dispatch(&self) {
        let old = State(self.word.fetch_or(DISPATCH, Ordering::Relaxed));
        debug_assert_eq!(
            old.next(Event::EnterDispatch),
            Some(State(old.0 | DISPATCH)),
            "enter dispatch of an entry not in flight: {old:?}"
        );
    }

    /// Completer, holding the token: whether the owner may be dispatching the entry (the
    /// cheap test before [`SlotState::hand_back`]; Relaxed, the exchange decides).
    #[inline]
    pub(crate) fn may_hand_back(&self) -> bool {
        State(self.word.load(Ordering::Relaxed)).dispatching()
    }

    /// Completer, holding the token, after it stored the result in the slot: sets HANDED
    /// if the owner is still inside `submit` (DISPATCH), so the owner finishes the entry in
    /// its own run; `false` once the owner left (the completer then posts as usual). A
    /// compare-and-swap, AcqRel (Release is what counts): the owner's Acquire in
    /// `leave_dispatch` then reads the result and whatever the driver wrote before.
    #[inline]
    pub(crate) fn hand_back(&self) -> bool {
        self.apply(Event::HandBack, Ordering::Relaxed).is_some()
    }

    /// Owner, once the driver's `submit` returned: clears DISPATCH and HANDED; whether the
    /// completion was handed back (its result is then in the slot). One `fetch_and`,
    /// Acquire: pairs with `hand_back`'s Release. Its place in the word's modification
    /// order against a completer's `hand_back` decides: before it, the completer finds no
    /// DISPATCH and posts; after it, the owner finds HANDED.
    #[inline]
    pub(crate) fn leave_dispatch(&self) -> bool {
        let old = State(self.word.fetch_and(!(DISPATCH | HANDED), Ordering::Acquire));
        debug_assert_eq!(
            old.next(Event::LeaveDispatch),
            Some(State(old.0 & !(DISPATCH | HANDED))),
            "leave dispatch of an entry not being dispatched: {old:?}"
        );
        old.handed()
    }

    /// Holder: INFLIGHT -> DONE, keeping the event bits; the previous state. One `fetch_add`
    /// (every finished entry is INFLIGHT). SeqCst: a kept entry's waiter is woken by
    /// `Notify`, whose lost-wake-up argument needs this store in the single total order;
    /// Release (in it) publishes the result and buffers to the owner's Acquire `load`.
    #[inline]
    pub(crate) fn finish(&self) -> State {
        let old = State(self.word.fetch_add(DONE - INFLIGHT, Ordering::SeqCst));
        debug_assert_eq!(
            old.next(Event::Finish),
            Some(State(old.0 + DONE - INFLIGHT)),
            "finish of an entry not in flight"
        );
        old
    }

    /// [`SlotState::finish`] for the owner's local post (its own run, an entry that is not
    /// kept): the same `fetch_add`, Relaxed. Nobody waits for this entry through `Notify`
    /// (only kept entries are waited for that way) and nobody but the owner reads it after
    /// DONE (its completion goes on the owner's local list); the read-modify-write alone
    /// keeps a racing `signal`'s bit or makes it see DONE and refuse.
    #[inline]
    pub(crate) fn finish_owned(&self) {
        let old = State(self.word.fetch_add(DONE - INFLIGHT, Ordering::Relaxed));
        debug_assert_eq!(
            old.next(Event::Finish),
            Some(State(old.0 + DONE - INFLIGHT)),
            "finish of an entry not in flight"
        );
    }

    /// Owner, at submit: PREPARED -> DONE for a plain head, keeping the event bits; one
    /// `fetch_add` (the owner holds the entry; others only add bits, refused once DONE).
    /// Relaxed: the read-modify-write keeps a racing `signal`'s bit or makes it see DONE
    /// and refuse, and nobody but the owner reads the entry after it (its completion
    /// reaches the owner itself: on its local list, or through the ring, whose own
    /// orderings publish the cell).
    #[inline]
    pub(crate) fn complete_in_place(&self) {
        let old = State(self.word.fetch_add(DONE - PREPARED, Ordering::Relaxed));
        debug_assert_eq!(
            old.next(Event::CompleteInPlace),
            Some(State(old.0 + DONE - PREPARED)),
            "complete in place of an entry not prepared"
        );
    }

    /// Owner: marks a kept entry whose waiter went away; `false` if it is DONE already (the
    /// owner then frees it itself).
    #[inline]
    pub(crate) fn orphan(&self) -> bool {
        self.apply(Event::Orphan, Ordering::Acquire).is_some()
    }

    /// Owner: DONE or PREPARED -> FREE with the next generation (the epoch counts tag
    /// wraps). Release: the next user of the slot (through `start`'s Acquire) sees the
    /// owner's last reads finished before it writes.
    #[inline]
    pub(crate) fn recycle(&self) {
        let s = State(self.word.load(Ordering::Relaxed));
        // `State::next` by bits: the next tag, FREE, no event bits.
        let n = State((s.tag().wrapping_add(1) as u32) << GEN_SHIFT | FREE);
        debug_assert_eq!(
            s.next(Event::Recycle),
            Some(n),
            "recycle of a slot in flight: {s:?}"
        );
        if n.tag() == 0 {
            let e = self.epoch.load(Ordering::Relaxed);
            self.epoch.store(e.wrapping_add(1), Ordering::Relaxed);
        }
        self.word.store(n.0, Ordering::Release);
    }

    /// Test hook: puts the word in state `s` (table tests only).
    #[cfg(test)]
    fn set(&self, s: State) {
        self.word.store(s.0, Ordering::Relaxed);
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    const TAG: u16 = 7;

    fn all_states() -> impl Iterator<Item = State> {
        [FREE, PREPARED, INFLIGHT, DONE]
            .into_iter()
            .flat_map(|p| (0..=EVENTS >> 3).map(move |e| State((TAG as u32) << 16 | e << 3 | p)))
    }

    fn all_events() -> [Event; 16] {
        [
            Event::Acquire,
            Event::Start { tag: TAG },
            Event::Start { tag: TAG + 1 },
            Event::Take { tag: TAG },
            Event::Take { tag: TAG + 1 },
            Event::RequestCancel {
                tag: TAG,
                timeout: false,
            },
            Event::RequestCancel {
                tag: TAG,
                timeout: true,
            },
            Event::Arm,
            Event::Signal { tag: TAG },
            Event::EnterDispatch,
            Event::HandBack,
            Event::LeaveDispatch,
            Event::Finish,
            Event::CompleteInPlace,
            Event::Orphan,
            Event::Recycle,
        ]
    }

    /// The state table, phase by phase: which events each phase accepts and where they lead.
    /// Event bits never change the phase; only the owner's events and start/take/finish do.
    #[test]
    fn state_table_every_phase_times_every_event() {
        use Phase::*;
        let expect = |s: State, ev: Event| -> Option<Phase> {
            let phase = s.phase();
            // The owner's dispatch window: DISPATCH while it is inside the driver's
            // `submit`, HANDED once a completer handed the completion back.
            let (dispatching, handed) = (s.dispatching(), s.handed());
            match (phase, ev) {
                (Free, Event::Acquire) => Some(Prepared),
                (Prepared, Event::Start { tag: TAG } | Event::Take { tag: TAG }) => Some(Inflight),
                (Inflight, Event::RequestCancel { tag: TAG, .. }) => Some(Inflight),
                (Inflight, Event::Arm) => Some(Inflight),
                (Prepared | Inflight, Event::Signal { tag: TAG }) => Some(phase),
                (Inflight, Event::EnterDispatch) if !dispatching && !handed => Some(Inflight),
                (Inflight, Event::HandBack) if dispatching && !handed => Some(Inflight),
                (Inflight, Event::LeaveDispatch) if dispatching => Some(Inflight),
                // A completion made in the dispatch window is the owner's to finish.
                (Inflight, Event::Finish) if !dispatching && !handed => Some(Done),
                (Prepared, Event::CompleteInPlace) => Some(Done),
                (Prepared | Inflight, Event::Orphan) => Some(phase),
                (Prepared | Done, Event::Recycle) => Some(Free),
                _ => None,
            }
        };
        for s in all_states() {
            for ev in all_events() {
                let got = s.next(ev);
                assert_eq!(
                    got.map(State::phase),
                    expect(s, ev),
                    "{s:?} on {ev:?} gave {got:?}"
                );
                if let Some(n) = got {
                    // Events that keep the phase keep the other bits too (they only add),
                    // but for the owner's leaving its dispatch window, which clears its two.
                    if ev == Event::LeaveDispatch {
                        assert_eq!(n.0, s.0 & !(DISPATCH | HANDED), "{s:?}");
                    } else if n.phase() == s.phase() {
                        assert_eq!(n.0 & s.0, s.0, "{ev:?} cleared bits of {s:?}");
                    }
                    // Only recycle changes the generation, by exactly one.
                    let tag = if ev == Event::Recycle { TAG + 1 } else { TAG };
                    assert_eq!(n.tag(), tag, "{s:?} on {ev:?}");
                }
            }
        }
    }

    /// Every atomic method does what the table says, from every state.
    #[test]
    fn state_methods_follow_the_table() {
        for s in all_states() {
            for ev in all_events() {
                let slot = SlotState::new();
                slot.set(s);
                let want = s.next(ev);
                let changed = match ev {
                    Event::Acquire if s.phase() == Phase::Free => {
                        slot.acquire();
                        true
                    }
                    Event::Start { tag } => slot.start(tag),
                    Event::Take { tag } => slot.take(tag),
                    Event::RequestCancel { tag, timeout } => {
                        slot.request_cancel(tag, timeout).is_some()
                    }
                    Event::Signal { tag } => slot.signal(tag).is_some(),
                    Event::Orphan => slot.orphan(),
                    Event::Arm if s.phase() == Phase::Inflight => {
                        slot.arm();
                        true
                    }
                    Event::EnterDispatch if want.is_some() => {
                        slot.enter_dispatch();
                        true
                    }
                    Event::HandBack => {
                        assert_eq!(slot.may_hand_back(), s.dispatching(), "{s:?}");
                        slot.hand_back()
                    }
                    Event::LeaveDispatch if want.is_some() => {
                        assert_eq!(slot.leave_dispatch(), s.handed(), "{s:?}");
                        true
                    }
                    Event::Finish if want.is_some() => {
                        slot.finish();
                        true
                    }
                    Event::CompleteInPlace if s.phase() == Phase::Prepared => {
                        slot.complete_in_place();
                        true
                    }
                    Event::Recycle if matches!(s.phase(), Phase::Prepared | Phase::Done) => {
                        slot.recycle();
                        true
                    }
                    // The remaining methods are only called where the table allows them
                    // (debug-asserted); nothing to run.
                    _ => false,
                };
                assert_eq!(changed, want.is_some(), "{s:?} on {ev:?}");
                assert_eq!(slot.load(), want.unwrap_or(s), "{s:?} on {ev:?}");
            }
        }
    }

    /// S1/S5: a pending chain head, and a transaction member with its head, start
    /// PREPARED -> INFLIGHT whatever bits a racing `signal` or `orphan` added, which they
    /// keep (the table's `Start` with the current tag).
    #[test]
    fn s1_s5_start_owned_is_start_without_the_tag_check() {
        for bits in [0, SIGNALED, ORPHAN, SIGNALED | ORPHAN] {
            let s = State((TAG as u32) << GEN_SHIFT | bits | PREPARED);
            let slot = SlotState::new();
            slot.set(s);
            slot.start_owned();
            assert_eq!(
                Some(slot.load()),
                s.next(Event::Start { tag: TAG }),
                "{s:?}"
            );
            assert_eq!(slot.load().phase(), Phase::Inflight);
        }
    }

    /// S2: the owner's local finish (Relaxed) makes the same transition as `finish`, from
    /// every state the table lets finish.
    #[test]
    fn s2_finish_owned_is_finish() {
        for s in all_states() {
            let Some(want) = s.next(Event::Finish) else {
                continue;
            };
            let slot = SlotState::new();
            slot.set(s);
            slot.finish_owned();
            assert_eq!(slot.load(), want, "{s:?}");
        }
    }

    /// S7: the epoch makes a handle distinct from every later use of its slot, past the
    /// 16-bit tag's wrap.
    #[test]
    fn s7_generation_survives_tag_wrap() {
        let slot = SlotState::new();
        slot.acquire();
        let first = slot.owned_gen();
        slot.recycle();
        for _ in 0..u16::MAX as u32 {
            slot.acquire();
            slot.recycle();
        }
        slot.acquire();
        let again = slot.owned_gen();
        assert_eq!(again.tag, first.tag, "the tag wrapped");
        assert_ne!(again, first, "but the full generation did not");
        assert!(slot.current(first).is_none());
        assert!(slot.current(again).is_some());
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    //! The slot protocol's races, model-checked on the real `SlotState`.
    extern crate std;
    use super::*;
    use loom::cell::UnsafeCell;
    use loom::sync::Arc;

    /// A completer finishing an entry in flight races the owner's cancel request: exactly one
    /// of "cancel saw it in flight" / "cancel was refused" happens, the finish keeps the
    /// cancel bit if it landed first, and the owner reads the completer's result only after
    /// seeing DONE (loom checks the result cell's accesses).
    #[test]
    fn loom_finish_against_request_cancel() {
        loom::model(|| {
            let st = Arc::new((SlotState::new(), UnsafeCell::new(0i32)));
            st.0.acquire();
            let g = st.0.owned_gen();
            assert!(st.0.start(g.tag));
            let c = {
                let st = st.clone();
                loom::thread::spawn(move || {
                    // SAFETY (model): the holder owns the result until `finish` publishes it.
                    st.1.with_mut(|p| unsafe { *p = 42 });
                    st.0.finish()
                })
            };
            let cancel = st.0.request_cancel(g.tag, false);
            let old = c.join().unwrap();
            assert_eq!(cancel.is_some(), old.cancel_requested());
            let s = st.0.load();
            assert_eq!(s.phase(), Phase::Done);
            assert_eq!(st.1.with(|p| unsafe { *p }), 42);
            st.0.recycle();
            assert!(st.0.current(g).is_none());
        });
    }

    /// The owner completing a plain head in place races a `signal` from another thread
    /// naming it: the signal lands while the head is PREPARED (its bit kept through DONE) or
    /// is refused once DONE; either way the head ends DONE with its tag, and recycles.
    #[test]
    fn loom_complete_in_place_against_signal() {
        loom::model(|| {
            let st = Arc::new(SlotState::new());
            st.acquire();
            let g = st.owned_gen();
            let s = {
                let st = st.clone();
                loom::thread::spawn(move || st.signal(g.tag).is_some())
            };
            st.complete_in_place();
            let signaled = s.join().unwrap();
            let now = st.load();
            assert_eq!(now.phase(), Phase::Done);
            assert_eq!(now.tag(), g.tag);
            assert_eq!(now.signaled(), signaled);
            st.recycle();
            assert!(st.current(g).is_none());
        });
    }

    /// A predecessor's completer starting a submitted successor races the owner taking it
    /// for a cancel: exactly one wins, and the winner's writes to the entry are ordered before the
    /// owner recycles it.
    #[test]
    fn loom_start_against_take() {
        loom::model(|| {
            let st = Arc::new((SlotState::new(), UnsafeCell::new(0u8)));
            st.0.acquire();
            let g = st.0.owned_gen();
            let c = {
                let st = st.clone();
                loom::thread::spawn(move || {
                    if st.0.start(g.tag) {
                        // SAFETY (model): the winner owns the entry.
                        st.1.with_mut(|p| unsafe { *p = 1 });
                        st.0.finish();
                        true
                    } else {
                        false
                    }
                })
            };
            let took = st.0.take(g.tag);
            if took {
                // SAFETY (model): the winner owns the entry.
                st.1.with_mut(|p| unsafe { *p = 2 });
                st.0.finish();
            }
            let started = c.join().unwrap();
            assert!(took != started, "exactly one side owns the entry");
            assert_eq!(st.0.load().phase(), Phase::Done);
            assert_eq!(st.1.with(|p| unsafe { *p }), if took { 2 } else { 1 });
        });
    }

    /// The owner leaving its dispatch window (the driver's `submit` returned) races a
    /// completer on another thread, holding the token, handing the completion back: exactly
    /// one side finishes the entry, and the owner reads the handed-back result only after
    /// it saw HANDED (loom checks the result cell's accesses).
    #[test]
    fn loom_hand_back_against_leave_dispatch() {
        loom::model(|| {
            let st = Arc::new((SlotState::new(), UnsafeCell::new(0i32)));
            st.0.acquire();
            st.0.start_owned();
            st.0.enter_dispatch();
            // The token goes to the completer after DISPATCH is set (the spawn orders it).
            let c = {
                let st = st.clone();
                loom::thread::spawn(move || {
                    if st.0.may_hand_back() {
                        // SAFETY (model): the token holder owns the result cell.
                        st.1.with_mut(|p| unsafe { *p = 42 });
                        if st.0.hand_back() {
                            return true;
                        }
                    }
                    // The owner left: the completer posts it itself.
                    st.0.finish();
                    false
                })
            };
            let handed = st.0.leave_dispatch();
            if handed {
                assert_eq!(st.1.with(|p| unsafe { *p }), 42);
                st.0.finish();
            }
            let completer_handed = c.join().unwrap();
            assert_eq!(handed, completer_handed, "exactly one side finishes it");
            let s = st.0.load();
            assert_eq!(s.phase(), Phase::Done);
            assert!(!s.dispatching() && !s.handed());
        });
    }

    /// A signal racing the AWAIT being armed: exactly one side sees the other's bit and
    /// completes it.
    #[test]
    fn loom_signal_against_arm() {
        loom::model(|| {
            let st = Arc::new(SlotState::new());
            st.acquire();
            let g = st.owned_gen();
            assert!(st.start(g.tag));
            let s = {
                let st = st.clone();
                loom::thread::spawn(move || {
                    let old = st.signal(g.tag).unwrap();
                    old.armed()
                })
            };
            let old = st.arm();
            let signaller_completes = s.join().unwrap();
            assert!(signaller_completes != old.signaled());
        });
    }
}
