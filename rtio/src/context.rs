//! The context: static storage for entries and completions, and its owner side.
//!
//! A context is two statics: [`Storage`] (the entry slots and the completion ring, sized by
//! const generics, with the mutable state, all zero in `.bss`) and [`Rtio`] (where that
//! storage is and what the context may use: pool, clock; immutable, in flash). `rtio-macros`'
//! `#[rtio_define]` writes both; by hand:
//!
//! ```
//! use rtio::{Rtio, Storage};
//! static STORAGE: Storage<8, 8> = Storage::new();
//! static RTIO: Rtio = Rtio::new(&STORAGE);
//!
//! let ctx = RTIO.claim().expect("one owner at a time");
//! let h = ctx.acquire().unwrap().nop().userdata(7).prepare().unwrap();
//! ctx.submit(1).unwrap();                       // S1: dispatches, waits for 1 completion
//! let c = ctx.try_consume().unwrap();
//! assert_eq!((c.result(), c.userdata()), (Ok(0), 7));
//! # let _ = h;
//! ```
//!
//! # Slots
//!
//! Each entry lives in a [`Slot`] from acquire until its terminal completion is consumed; the
//! slot's life (phases, event bits, generations) is the state machine of `slot.rs`, and only
//! its methods change the state word.

use crate::cqe::{Buffer, Completion, CqeFlags};
use crate::error::ClaimError;
use crate::iodev::{Iodev, Req};
use crate::lists::{self, FreeList, Links, Local, Pending};
use crate::pool::{BlockRange, Mempool, PoolBuf};
use crate::ring::{CqeCell, Reservations, Ring};
use crate::slot::{Gen, Phase, SlotState};
use crate::sqe::{Flags, Meta, Op, Sqe, NONE};
use crate::stack::ReturnStack;
use crate::time::{Clock, Duration, Instant};
use crate::timer::Timers;
use crate::wait::{Notify, Wait};
use crate::{executor, Error};
use core::cell::{Cell, UnsafeCell};
use core::marker::PhantomData;
use core::ptr::addr_of;
use critical_section::Mutex;
use portable_atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};

/// One entry slot.
#[derive(Debug)]
pub struct Slot {
    pub(crate) sqe: UnsafeCell<Sqe>,
    /// Phase, event bits and generation (the state machine of `slot.rs`).
    pub(crate) state: SlotState,
    /// Owner lists (free, pending, scope) and the returned stack.
    pub(crate) onext: UnsafeCell<u16>,
    /// Iodev queue links while queued (owned by whoever holds the token); the result of a
    /// KEPT entry once DONE; an armed timer's FIFO links.
    pub(crate) link: UnsafeCell<Link>,
    /// The `IodevQueue` the entry's token is queued in, null otherwise. Written and read only
    /// inside the critical section every queue operation takes, so a cancel hook can find a
    /// queued token in O(1) (S18).
    queued_in: UnsafeCell<*const ()>,
    /// Timer heap position `i` (this slot's index) holds this slot index (`timer.rs`).
    heap: UnsafeCell<u16>,
}

/// A queued token's neighbours in its `IodevQueue` level.
#[derive(Clone, Copy)]
pub(crate) struct QueueLink {
    pub next: Option<RawToken>,
    pub prev: Option<RawToken>,
}

/// The two lives of a slot's link word.
#[derive(Clone, Copy)]
pub(crate) union Link {
    pub queue: QueueLink,
    pub result: i32,
    /// An armed timer on the timer FIFO (`timer.rs`): previous and next entry. A timer
    /// entry is never in an iodev queue.
    pub timer: [u16; 2],
    /// A prepared chain head that is not plain, on the pending list: how the owner's submit
    /// starts it, chosen by the builder (`Chain::prepare`, `executor::StartFn`).
    pub start: executor::StartFn,
}

impl core::fmt::Debug for Link {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Link")
    }
}

impl Slot {
    // A template for array initialisation only; never used as a shared constant. Every byte
    // is zero, so a context's `Storage` lives in `.bss`: the owner link is written when the
    // slot joins a list, the heap cell when the slot's heap position is used.
    #[allow(clippy::declare_interior_mutable_const)]
    const EMPTY: Slot = Slot {
        sqe: UnsafeCell::new(Sqe::EMPTY),
        state: SlotState::new(),
        onext: UnsafeCell::new(0),
        link: UnsafeCell::new(Link {
            queue: QueueLink {
                next: None,
                prev: None,
            },
        }),
        queued_in: UnsafeCell::new(core::ptr::null()),
        heap: UnsafeCell::new(0),
    };
    pub(crate) fn sqe_ptr(&self) -> *mut Sqe {
        self.sqe.get()
    }
    /// An armed timer's FIFO links (`timer.rs`).
    pub(crate) fn timer_links(&self) -> *mut [u16; 2] {
        // SAFETY: forms a pointer to the union member only; `timer.rs` reads and writes it
        // under the timer critical section, for timer entries alone.
        unsafe { core::ptr::addr_of_mut!((*self.link.get()).timer) }
    }
    /// Position `i` of the context's timer heap lives in slot `i` (`timer.rs`).
    pub(crate) fn heap_cell(&self) -> *mut u16 {
        self.heap.get()
    }
    /// The generation tag of the current use.
    pub(crate) fn gen(&self) -> u16 {
        self.state.load().tag()
    }
    /// Stores a KEPT entry's result (the completer, before publishing DONE).
    pub(crate) fn set_result(&self, v: i32) {
        // The entry left its iodev queue when its token was taken, so the link word is free.
        // SAFETY: the completer owns the entry until it publishes DONE; only the field is
        // written.
        unsafe { core::ptr::addr_of_mut!((*self.link.get()).result).write(v) }
    }
    /// Owner, preparing a chain head that is not plain: how submit starts it.
    #[inline(always)]
    pub(crate) fn set_start(&self, f: executor::StartFn) {
        // SAFETY: a prepared entry's link word is unused until it is dispatched (queue links,
        // timer links and kept results all come later), and the entry is the owner's.
        unsafe { core::ptr::addr_of_mut!((*self.link.get()).start).write(f) }
    }
    /// Owner, dispatching the head `set_start` was called for: how to start it.
    #[inline(always)]
    pub(crate) fn start_fn(&self) -> executor::StartFn {
        // SAFETY: written by `set_start` when the head was prepared (its meta has no PLAIN
        // bit, which only `Chain::prepare` decides), untouched since (see `set_start`).
        unsafe { (*self.link.get()).start }
    }
    /// A KEPT entry's result (the owner, after observing DONE with Acquire).
    pub(crate) fn result(&self) -> i32 {
        // SAFETY: written by `set_result` before DONE was published (Release/Acquire).
        unsafe { (*self.link.get()).result }
    }
}

/// Static storage of a context: `SQ` entry slots and `CQ` completion cells.
///
/// `CQ` must be at least `SQ`: every acquired entry reserves one completion cell (S9).
#[repr(C)]
pub struct Storage<const SQ: usize, const CQ: usize> {
    /// First (`repr(C)`), so that the slots follow it at [`SLOTS_AT`] for every `SQ`, `CQ`.
    shared: Shared,
    slots: [Slot; SQ],
    cells: [CqeCell; CQ],
}

// SAFETY: the slots and cells are only reached through the `Rtio` built over them, which
// coordinates all access (see the module docs and ring.rs).
unsafe impl<const SQ: usize, const CQ: usize> Sync for Storage<SQ, CQ> {}

impl<const SQ: usize, const CQ: usize> Storage<SQ, CQ> {
    /// Empty storage.
    #[allow(clippy::new_without_default)]
    pub const fn new() -> Self {
        const {
            assert!(SQ > 0, "a context needs at least one submission entry");
            assert!(SQ < NONE as usize, "at most 65534 submission entries");
            assert!(
                CQ >= SQ,
                "the completion side must be at least the submission side (S9)"
            );
            assert!(CQ < (1 << 31), "completion side too large");
        }
        Storage {
            shared: Shared::new(),
            slots: [Slot::EMPTY; SQ],
            cells: [const { CqeCell::new() }; CQ],
        }
    }
}

impl<const SQ: usize, const CQ: usize> core::fmt::Debug for Storage<SQ, CQ> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Storage<{SQ}, {CQ}>")
    }
}

/// Offset of the slots in every [`Storage`] (`repr(C)`: the slots follow the [`Shared`]
/// state, at its size rounded up to a slot's alignment, whatever `SQ` and `CQ` are).
const SLOTS_AT: usize = core::mem::offset_of!(Storage<1, 1>, slots);

/// A context's shared side: what iodevs, interrupts and the owner all reach.
///
/// Build it in a `static` with [`Rtio::new`]; take the owner side with [`Rtio::claim`].
///
/// An `Rtio` is configuration only: where its storage is, and its pool and clock. It has no
/// interior mutability, so its `static` sits in flash (`.rodata`) and the compiler may fold
/// its fields into constants; everything that changes lives in the [`Storage`], all zero at
/// start (`.bss`). One storage serves one `Rtio`: the first claim binds them (S7 and S16
/// depend on one owner and one configuration per set of slots).
pub struct Rtio {
    /// The first slot of the [`Storage`], with a provenance that covers the whole storage:
    /// the [`Shared`] state sits [`SLOTS_AT`] bytes before it, so the owner's [`View`] reaches
    /// slots and state from this one pointer (constant displacements from it).
    slots: *const Slot,
    /// The same state, for code that reaches it through `&Rtio` (executor, posting, timers):
    /// small positive offsets from its own pointer encode shorter on Thumb-2 than negative
    /// ones from `slots`.
    state: &'static Shared,
    sq: u16,
    pub(crate) cells: &'static [CqeCell],
    pub(crate) pool: Option<&'static Mempool>,
    /// The pool code, present exactly when the pool is (`with_pool`).
    pub(crate) pool_ops: Option<&'static crate::post::PoolOps>,
    pub(crate) clock: Option<&'static dyn Clock>,
    /// The timer code, present exactly when the clock is (`with_clock`).
    pub(crate) timer_ops: Option<&'static crate::timer::TimerOps>,
}

/// A context's slot pointer held in a register: the owner's hot paths take one at their
/// start, so that stores into slots (through cells the compiler cannot see past) do not make
/// it reload the pointer for every access, as it must through `&Rtio` or `&Context`.
#[derive(Clone, Copy)]
pub(crate) struct View(*const Slot);

impl View {
    /// The context's mutable state (see [`Rtio::shared`]).
    #[inline(always)]
    pub(crate) fn shared(self) -> &'static Shared {
        // SAFETY: the pointer is a context's `Rtio::slots`: it points `SLOTS_AT` bytes into a
        // `static` `Storage` whose first field is the `Shared` (`repr(C)`, the offset asserted
        // in `Rtio::new`), and its provenance covers the whole storage.
        unsafe { &*self.0.cast::<u8>().sub(SLOTS_AT).cast::<Shared>() }
    }
    /// Slot `idx`, which the caller took from the context's own lists or allocator (see
    /// [`Rtio::slot`]).
    #[inline(always)]
    pub(crate) fn slot(self, idx: u16) -> &'static Slot {
        // SAFETY: the pointer is a context's `Rtio::slots` (see `shared`), and `idx` is below
        // its `sq` by the allocator invariant of `Rtio::slot`.
        unsafe { &*self.0.add(idx as usize) }
    }
}

impl Links for View {
    #[inline(always)]
    fn link(self, idx: u16) -> *mut u16 {
        self.slot(idx).onext.get()
    }
}

// SAFETY: an `Rtio` is immutable; its slots and cells are reached only under the ownership
// protocol of the module docs, its shared state is `Sync` (below).
unsafe impl Sync for Rtio {}

/// The mutable state of a context, inside its [`Storage`]. Every field starts as zero bits,
/// so a context costs no initialised data; the owner's list heads are set by the first claim.
pub(crate) struct Shared {
    pub(crate) ring: Ring,
    claimed: AtomicBool,
    /// Address of the `Rtio` this storage belongs to (0 until the first claim).
    bound: AtomicUsize,
    /// Completion cells reserved (acquired entries + pending shots). Owner adds on acquire,
    /// producers add for shots; the owner subtracts on consume, producers on NO_RESPONSE.
    pub(crate) reserved: Reservations,
    /// Completions posted to the ring, wrapping (S1).
    pub(crate) completed: AtomicU32,
    /// Completions the owner made itself during `submit` (owner-only; `post.rs`).
    pub(crate) local: Local,
    pub(crate) notify: Notify,
    /// The armed timers: FIFO ends, heap size, arming sequence (`timer.rs`).
    pub(crate) timers: Mutex<Timers>,
    /// The earliest armed deadline, readable without the timer critical section, so that
    /// polling with nothing due costs a few loads (S8, S18).
    pub(crate) timer_hint: crate::timer::Earliest,
    /// Slots returned by producers (NO_RESPONSE, orphans): index + 1 of a stack top.
    pub(crate) returned: ReturnStack,
    // Owner-only (reached through `Context`, which is unique and !Sync). The lists are made
    // empty by the first claim (`init_owner`): zero is a slot index, not `NONE`.
    free: FreeList,
    /// Prepared chain heads, waiting for `submit`.
    pending: Pending,
    /// Entries whose results stay in their slots (futures, scopes) and are still tracked by
    /// their waiter: they never reach the ring (S16 accounting).
    kept: UnsafeCell<u32>,
    /// Multishot entries prepared and whose terminal completion is not consumed: while one
    /// lives, any number of completions can still come (S16).
    multishots: UnsafeCell<u32>,
    /// Entries in flight that return their own slots through the returned stack
    /// (NO_RESPONSE, orphaned kept entries): what a wait for a free entry waits for (S16).
    returning: UnsafeCell<u32>,
    /// How `try_consume` completes an entry that hands a buffer back: stored by the first
    /// builder of such an entry (`Chain::push`), so a program that builds none links none of
    /// the buffer and pool decoding. Owner-only.
    buffer_consumer: UnsafeCell<Option<ConsumeFn>>,
}

impl Shared {
    /// All zero bits (`.bss`); [`Shared::init_owner`] completes it at the first claim.
    const fn new() -> Self {
        Shared {
            ring: Ring::new(),
            claimed: AtomicBool::new(false),
            bound: AtomicUsize::new(0),
            reserved: Reservations::new(),
            completed: AtomicU32::new(0),
            local: Local::new(),
            notify: Notify::new(),
            timers: Mutex::new(Timers::new()),
            timer_hint: crate::timer::Earliest::new(),
            returned: ReturnStack::new(),
            free: FreeList::new(),
            pending: Pending::new(),
            kept: UnsafeCell::new(0),
            multishots: UnsafeCell::new(0),
            returning: UnsafeCell::new(0),
            buffer_consumer: UnsafeCell::new(None),
        }
    }

    /// Makes the owner's lists empty: done once, by the first claim, before anything can
    /// reach them (nothing is acquired, prepared or completed before a claim).
    ///
    /// # Safety
    /// The caller holds the claim.
    unsafe fn init_owner(&self) {
        // SAFETY: owner-only fields (precondition).
        unsafe {
            self.free.init();
            self.pending.init();
            self.local.init();
        }
    }
}

/// See `Rtio::buffer_consumer`: completes a consumed entry with a buffer (its slot, flags,
/// pool start and result in `Raw`, its userdata).
type ConsumeFn = fn(&Context, crate::ring::Raw, usize) -> Completion;

// SAFETY: the shared fields are atomics, a critical-section mutex and a waker slot. Owner-only
// fields (the plain cells) are touched only through the unique `Context` (claim flag + !Sync;
// one `Rtio` per storage, checked at claim).
unsafe impl Sync for Shared {}

impl core::fmt::Debug for Rtio {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Rtio")
            .field("sq", &self.slots().len())
            .field("cq", &self.cells.len())
            .field("reserved", &self.shared().reserved.get())
            .finish_non_exhaustive()
    }
}

/// A generational handle on an entry, for [`Context::cancel`] and [`Rtio::signal`] (S7).
/// A stale handle (its entry completed and was consumed) is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct OpHandle {
    pub(crate) idx: u16,
    pub(crate) gen: u16,
    /// How often the slot's 16-bit generation tag had wrapped (S7: 48 bits in all).
    pub(crate) epoch: u32,
}

impl OpHandle {
    pub(crate) fn new(idx: u16, g: Gen) -> Self {
        OpHandle {
            idx,
            gen: g.tag,
            epoch: g.epoch,
        }
    }
    pub(crate) fn gen(self) -> Gen {
        Gen {
            tag: self.gen,
            epoch: self.epoch,
        }
    }
}

impl Rtio {
    /// A context over `storage`, without pool and without clock (add them with
    /// [`Rtio::with_pool`] and [`Rtio::with_clock`]).
    pub const fn new<const SQ: usize, const CQ: usize>(storage: &'static Storage<SQ, CQ>) -> Self {
        const { assert!(core::mem::offset_of!(Storage<SQ, CQ>, slots) == SLOTS_AT) };
        Rtio {
            // SAFETY: `SLOTS_AT` is the offset of the slots in this very storage (asserted
            // above), so the pointer stays inside it.
            slots: unsafe {
                (storage as *const Storage<SQ, CQ>)
                    .cast::<u8>()
                    .add(SLOTS_AT)
                    .cast::<Slot>()
            },
            state: &storage.shared,
            // (`Storage::new` asserts `SQ < NONE`.)
            sq: SQ as u16,
            cells: &storage.cells,
            pool: None,
            pool_ops: None,
            // A feature flag never changes what a context does: the clock is always explicit.
            clock: None,
            timer_ops: None,
        }
    }

    /// Gives the context a memory pool for pool reads and multishot streams (S11).
    #[must_use = "the context with the pool or clock is the returned one"]
    pub const fn with_pool(mut self, pool: &'static Mempool) -> Self {
        self.pool = Some(pool);
        self.pool_ops = Some(&crate::post::POOL_OPS);
        self
    }

    /// Gives the context a clock for DELAY, LINK_TIMEOUT and deadlines (S8).
    #[must_use = "the context with the pool or clock is the returned one"]
    pub const fn with_clock(mut self, clock: &'static dyn Clock) -> Self {
        self.clock = Some(clock);
        self.timer_ops = Some(&executor::TIMER_OPS);
        self
    }

    /// Takes the owner side, to be given back by dropping it.
    ///
    /// # Errors
    /// [`ClaimError::AlreadyClaimed`] while another owner holds it;
    /// [`ClaimError::StorageInUse`] if another `Rtio` over the same [`Storage`] was claimed
    /// first.
    pub fn claim(&'static self) -> Result<Context, ClaimError> {
        self.claim_with(crate::wait::DEFAULT_WAIT)
    }

    /// Takes the owner side with a waiting strategy for its blocking calls (S14).
    ///
    /// # Errors
    /// [`ClaimError::AlreadyClaimed`] while another owner holds it;
    /// [`ClaimError::StorageInUse`] if another `Rtio` over the same [`Storage`] was claimed
    /// first.
    pub fn claim_with(&'static self, wait: &'static dyn Wait) -> Result<Context, ClaimError> {
        let sh = self.shared();
        let me = self as *const Rtio as usize;
        // A storage bound to another `Rtio` is refused before its claim flag is touched, so
        // the refusal never makes its own owner's claim fail.
        let bound = sh.bound.load(Ordering::Relaxed);
        if bound != 0 && bound != me {
            return Err(ClaimError::StorageInUse);
        }
        // Acquire pairs with the Release of the previous owner's drop: its last writes to the
        // owner-only fields happen before ours.
        sh.claimed
            .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
            .map_err(|_| ClaimError::AlreadyClaimed)?;
        // One configuration per storage: entries in flight and completions in the ring were
        // made under it (their pool, their clock). Relaxed: the claim flag orders the rest.
        // Checked again under the claim: two `Rtio`s may race for the first claim.
        match sh
            .bound
            .compare_exchange(0, me, Ordering::Relaxed, Ordering::Relaxed)
        {
            // The first claim ever.
            // SAFETY: we hold the claim.
            Ok(_) => unsafe { sh.init_owner() },
            Err(other) if other == me => {}
            Err(_) => {
                sh.claimed.store(false, Ordering::Release);
                return Err(ClaimError::StorageInUse);
            }
        }
        Ok(Context {
            rtio: self,
            slots: self.slots,
            wait,
            _not_sync: PhantomData,
        })
    }

    /// A register copy of the slot pointer (see [`View`]).
    #[inline(always)]
    pub(crate) fn view(&self) -> View {
        View(self.slots)
    }

    /// The context's mutable state.
    #[inline(always)]
    pub(crate) fn shared(&self) -> &Shared {
        self.state
    }

    /// The entry slots.
    #[inline(always)]
    pub(crate) fn slots(&self) -> &[Slot] {
        // SAFETY: `slots` points to the `sq` slots of the `static` `Storage` this context was
        // built over (`new`), with a provenance that covers them.
        unsafe { core::slice::from_raw_parts(self.slots, self.sq as usize) }
    }

    /// Slot `idx`, without a bounds check on the hot paths.
    #[inline(always)]
    pub(crate) fn slot(&self, idx: u16) -> &Slot {
        debug_assert!(
            (idx as usize) < self.slots().len(),
            "slot index out of range"
        );
        // Every index reaching here comes from this context's own allocator (fresh indices
        // below `len`, the free list, ring tags and chain links written from them); indices
        // from user handles go through `slots.get` first.
        // SAFETY: `idx < self.slots().len()` by the allocator invariant above.
        unsafe { self.slots().get_unchecked(idx as usize) }
    }

    /// Number of submission slots.
    pub fn sq_len(&self) -> usize {
        self.slots().len()
    }

    /// Signals an AWAIT entry (S15). Safe from interrupts and other threads. A signal that
    /// comes first makes the AWAIT complete as soon as it is reached.
    ///
    /// A signal to a live entry that is not an AWAIT has no effect.
    ///
    /// # Errors
    /// [`Error::Stale`] if the handle no longer names a live entry.
    pub fn signal(&'static self, h: OpHandle) -> Result<(), Error> {
        executor::signal(self, h)
    }

    /// Runs due timers (DELAY, LINK_TIMEOUT). Call from a clock's alarm interrupt; the
    /// owner's waits call it too.
    pub fn on_alarm(&'static self) {
        if let Some(t) = self.timer_ops {
            (t.process)(self);
        }
    }

    /// The context's clock time, if it has a clock.
    pub fn now(&self) -> Option<Instant> {
        self.clock.map(|c| c.now())
    }

    /// Completion cells currently reserved (acquired entries not yet consumed, plus pending
    /// shots).
    pub fn reserved(&self) -> usize {
        self.shared().reserved.get() as usize
    }

    /// Test hook: sets the wrapping completion counter (to test wrap-around, as Zephyr's
    /// suite does). Not part of the API.
    #[doc(hidden)]
    pub fn __set_completed_counter(&self, v: u32) {
        self.shared().completed.store(v, Ordering::Release);
    }

    /// The memory pool, if any.
    pub fn pool(&self) -> Option<&'static Mempool> {
        self.pool
    }

    /// Reserves `n` completion cells (S9); fails at once when they are not there.
    #[inline(always)]
    pub(crate) fn reserve(&self, n: u32) -> bool {
        self.shared().reserved.take(n, self.cells.len() as u32)
    }

    #[inline(always)]
    pub(crate) fn unreserve(&self, n: u32) {
        self.shared().reserved.give(n);
    }

    /// Pushes a finished slot onto the returned stack (any context).
    pub(crate) fn push_returned(&self, idx: u16) {
        let slot = self.slot(idx);
        let set_next = |next: u16| {
            // (`stack::EMPTY` is `NONE`.)
            // SAFETY: the slot is DONE and ours until the push publishes it to the owner.
            unsafe { *slot.onext.get() = next }
        };
        // SAFETY: as above; `set_next` writes only this slot's link.
        unsafe { self.shared().returned.push(idx, set_next) };
    }
}

/// Raw (index-based) view of a slot in flight: what tokens, queue links and the executor use.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RawToken {
    pub rtio: &'static Rtio,
    pub idx: u16,
}

impl PartialEq for RawToken {
    fn eq(&self, o: &Self) -> bool {
        core::ptr::eq(self.rtio, o.rtio) && self.idx == o.idx
    }
}

impl RawToken {
    pub(crate) fn slot(&self) -> &'static Slot {
        self.rtio.slot(self.idx)
    }
    fn sqe(&self) -> *mut Sqe {
        self.slot().sqe_ptr()
    }
    pub(crate) fn gen(&self) -> u16 {
        self.slot().gen()
    }
    pub(crate) fn op(&self) -> Op {
        // SAFETY: header fields are immutable while the entry is in flight.
        unsafe { (*self.sqe()).op }
    }
    pub(crate) fn priority(&self) -> crate::Priority {
        // SAFETY: as in `op`.
        unsafe { (*self.sqe()).priority() }
    }
    pub(crate) fn flags(&self) -> Flags {
        // SAFETY: as in `op`.
        unsafe { (*self.sqe()).flags }
    }
    pub(crate) fn iodev(&self) -> Option<&'static Iodev> {
        // SAFETY: as in `op`.
        unsafe { (*self.sqe()).iodev }
    }
    pub(crate) fn cancel_requested(&self) -> bool {
        self.slot().state.load().cancel_requested()
    }
    /// The queue links (the queue that holds the token, inside the critical section).
    pub(crate) fn qlink(&self) -> QueueLink {
        // SAFETY: read only by the queue that holds the token, under the critical section,
        // after `set_qlink` wrote them.
        unsafe { core::ptr::addr_of!((*self.slot().link.get()).queue).read() }
    }
    pub(crate) fn set_qlink(&self, l: QueueLink) {
        // SAFETY: as in `qlink`; only the field is written.
        unsafe { core::ptr::addr_of_mut!((*self.slot().link.get()).queue).write(l) }
    }
    pub(crate) fn set_next(&self, n: Option<RawToken>) {
        // SAFETY: as in `qlink`; only the field is written.
        unsafe { core::ptr::addr_of_mut!((*self.slot().link.get()).queue.next).write(n) }
    }
    pub(crate) fn set_prev(&self, p: Option<RawToken>) {
        // SAFETY: as in `qlink`; only the field is written.
        unsafe { core::ptr::addr_of_mut!((*self.slot().link.get()).queue.prev).write(p) }
    }
    /// The queue the token is in, null if none (inside the critical section).
    pub(crate) fn queued_in(&self) -> *const () {
        // SAFETY: written and read only inside the critical section (see `Slot::queued_in`).
        unsafe { *self.slot().queued_in.get() }
    }
    pub(crate) fn set_queued_in(&self, q: *const ()) {
        // SAFETY: as in `queued_in`.
        unsafe { *self.slot().queued_in.get() = q }
    }

    /// Indices of the transaction members starting at this (head) entry.
    pub(crate) fn members(&self) -> Members {
        Members {
            rtio: self.rtio,
            cur: self.idx,
            done: false,
        }
    }

    /// The request of entry `idx` (the head or a member).
    ///
    /// # Safety
    /// The caller owns entry `idx` exclusively (it holds its token) for the returned lifetime.
    pub(crate) unsafe fn request<'a>(&self, idx: u16) -> Req<'a> {
        let sqe = self.rtio.slot(idx).sqe_ptr();
        // SAFETY: exclusive ownership (precondition); the buffers were handed over as
        // 'static slices when the entry was prepared.
        unsafe {
            let s = &*sqe;
            match s.op {
                Op::Nop => Req::Nop,
                Op::Read if s.flags.contains(Flags::MEMPOOL) => {
                    let b = s.buf().unwrap_or_else(unreachable_buf);
                    let range = BlockRange::unpack(b.pool_range);
                    match (range.is_none(), self.rtio.pool) {
                        (false, Some(pool)) => Req::Read(
                            &mut pool.bytes_mut(range)
                                [..b.len.min(range.count() * pool.block_size())],
                        ),
                        _ => Req::ReadPool {
                            min: b.pool_min as usize,
                            preferred: b.len,
                        },
                    }
                }
                Op::Read => {
                    let b = s.buf().unwrap_or_else(unreachable_buf);
                    Req::Read(core::slice::from_raw_parts_mut(b.ptr, b.len))
                }
                Op::Write => {
                    let b = s.buf().unwrap_or_else(unreachable_buf);
                    Req::Write(core::slice::from_raw_parts(b.ptr, b.len))
                }
                Op::TinyWrite => {
                    let t = s.tiny().unwrap_or_else(unreachable_buf);
                    Req::Write(&*core::ptr::slice_from_raw_parts(
                        t.data.as_ptr(),
                        t.len as usize,
                    ))
                }
                Op::Transceive => {
                    let t = s.txrx().unwrap_or_else(unreachable_buf);
                    if let Some((p, n)) = t.in_place() {
                        return Req::TransceiveInPlace(core::slice::from_raw_parts_mut(p, n));
                    }
                    Req::Transceive {
                        tx: core::slice::from_raw_parts(t.tx, t.tx_len),
                        rx: core::slice::from_raw_parts_mut(t.rx, t.rx_len),
                    }
                }
                Op::Await => Req::Await,
                Op::I2cConfigure => Req::I2cConfigure {
                    hz: s.config().map_or(0, |c| c.hz),
                },
                Op::I2cRecover => Req::I2cRecover,
                Op::SpiConfigure => {
                    let c = s.config().unwrap_or_else(unreachable_buf);
                    Req::SpiConfigure {
                        hz: c.hz,
                        mode: c.mode,
                    }
                }
                Op::DelayNs => Req::DelayNs(s.delay_ns().unwrap_or_else(unreachable_buf)),
                Op::Callback | Op::Delay | Op::LinkTimeout => Req::Nop,
            }
        }
    }

    pub(crate) fn pool_buf(&mut self) -> Result<&mut [u8], Error> {
        self.pool_buf_at(self.idx)
    }

    /// The pool buffer of entry `idx`: the head or a member of this token's transaction.
    pub(crate) fn pool_buf_at(&mut self, idx: u16) -> Result<&mut [u8], Error> {
        let pool = self.rtio.pool.ok_or(Error::NoPool)?;
        let p = self.rtio.slot(idx).sqe_ptr();
        // SAFETY: the token holder owns the entry (head or transaction member) exclusively.
        // Field access only, no `&mut` to the whole entry: the owner may read its header at
        // any time (`Context::cancel`). `buf` is the active member of a pool READ.
        let b = unsafe {
            let (flags, op) = (addr_of!((*p).flags).read(), addr_of!((*p).op).read());
            if !flags.contains(Flags::MEMPOOL) || op != Op::Read {
                return Err(Error::NoPool);
            }
            Sqe::buf_at(p).ok_or(Error::NoPool)?
        };
        let mut range = BlockRange::unpack(b.pool_range);
        if range.is_none() {
            range = pool
                .alloc(b.pool_min as usize, b.len)
                .ok_or(Error::NoMemory)?;
            b.pool_range = range.pack();
        }
        // SAFETY: the range was allocated for this entry and only the token reaches it.
        let bytes = unsafe { pool.bytes_mut(range) };
        // The requested length, not the whole run of blocks (a 1-byte read shifts 1 byte).
        let len = b.len.min(bytes.len());
        Ok(&mut bytes[..len])
    }
}

#[cold]
fn unreachable_buf<T>() -> T {
    // The builders always store the payload that matches the op; reaching this is a bug in
    // rtio itself, not in user input.
    panic!("rtio: entry payload does not match its op")
}

/// Iterator over transaction member indices.
pub(crate) struct Members {
    rtio: &'static Rtio,
    cur: u16,
    done: bool,
}

impl Iterator for Members {
    type Item = u16;
    fn next(&mut self) -> Option<u16> {
        if self.done {
            return None;
        }
        let idx = self.cur;
        // SAFETY: header fields of in-flight entries are immutable.
        let s = unsafe { &*self.rtio.slot(idx).sqe_ptr() };
        if s.flags.contains(Flags::TRANSACTION) && s.next != NONE {
            self.cur = s.next;
        } else {
            self.done = true;
        }
        Some(idx)
    }
}

/// The owner side of a context: acquires, submits, consumes, cancels (S1-S16).
///
/// There is one at a time per context ([`Rtio::claim`]); it is `Send` but not `Sync`, so one
/// task or thread uses it. Dropping it gives the context back to be claimed again, clean:
/// nothing this owner prepared leaks to the next one (see [`Drop`](#impl-Drop-for-Context)).
pub struct Context {
    pub(crate) rtio: &'static Rtio,
    /// `rtio`'s slot pointer, copied: the owner's paths reach slots and state with one load
    /// fewer (see `Rtio::slots`).
    slots: *const Slot,
    pub(crate) wait: &'static dyn Wait,
    _not_sync: PhantomData<Cell<()>>,
}

impl core::fmt::Debug for Context {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Context").field("rtio", self.rtio).finish()
    }
}

/// Dropping the owner side gives the context back clean, so that the next
/// [`Rtio::claim`] starts with nothing of this owner's:
///
/// - entries prepared but not submitted are removed as by [`Context::drop_all`]: they never
///   run, and the ones holding a caller buffer complete `Canceled`, handing it back (S3);
///   builders not prepared already gave theirs back when they were dropped (S10), since
///   they borrow the owner side;
/// - completions ready and not consumed, those `Canceled` ones included, are taken and
///   dropped with their buffers (pool blocks go back to the pool, S11).
///
/// Entries already submitted and still in flight are not waited for (that could hang, S16):
/// their drivers own them, and their completions reach whoever owns the context next.
impl Drop for Context {
    fn drop(&mut self) {
        self.drop_all();
        // Bounded: each pass takes one completion and the ring holds at most `CQ`, so this
        // takes everything that was ready even while a stream keeps posting.
        for _ in 0..self.rtio.cells.len() {
            if self.try_consume().is_none() {
                break;
            }
        }
        // Release pairs with the Acquire of the next claim.
        self.rtio.shared().claimed.store(false, Ordering::Release);
    }
}

impl Context {
    /// A register copy of the slot pointer (see [`View`]).
    #[inline(always)]
    pub(crate) fn view(&self) -> View {
        View(self.slots)
    }

    /// The context's mutable state (as `Rtio::shared`, from the copied pointer).
    #[inline(always)]
    pub(crate) fn shared(&self) -> &'static Shared {
        self.view().shared()
    }

    /// Slot `idx` (as `Rtio::slot`, from the copied pointer).
    #[inline(always)]
    pub(crate) fn slot(&self, idx: u16) -> &'static Slot {
        debug_assert!(idx < self.rtio.sq, "slot index out of range");
        self.view().slot(idx)
    }

    /// The shared side.
    pub fn rtio(&self) -> &'static Rtio {
        self.rtio
    }

    /// Takes `n` free slots and `n` completion reservations, all or nothing (S9, S10).
    #[inline]
    pub(crate) fn alloc_slots(&self, out: &mut [u16]) -> Result<(), Error> {
        self.alloc_with(out.len(), |k, idx, _| out[k] = idx)
    }

    /// [`Context::alloc_slots`] handing each slot and its generation to `f(k, idx, gen)`.
    #[inline(always)]
    pub(crate) fn alloc_with(
        &self,
        n: usize,
        mut f: impl FnMut(usize, u16, Gen),
    ) -> Result<(), Error> {
        let v = self.view();
        let r = self.rtio;
        if n == 0 {
            return Ok(());
        }
        if !r.reserve(n as u32) {
            return Err(Error::QueueFull);
        }
        // SAFETY: owner-only lists and entries; `&self` is the unique owner (claim + !Sync).
        unsafe {
            let free = &v.shared().free;
            let sq = r.slots().len();
            if !free.fits(n, sq) {
                self.take_returned();
                if !free.fits(n, sq) {
                    r.unreserve(n as u32);
                    return Err(Error::QueueFull);
                }
            }
            free.take(v, n, |k, idx| {
                let slot = &v.slot(idx);
                let gen = slot.state.acquire();
                // The builder writes op, iodev, flags and payload; reset the rest.
                let s = &mut *slot.sqe.get();
                s.meta = Meta::DEFAULT;
                s.carry = 0;
                s.userdata = 0;
                s.next = NONE;
                *slot.onext.get() = NONE;
                f(k, idx, gen);
            });
        }
        Ok(())
    }

    /// Moves slots that producers returned (NO_RESPONSE, orphans) to the free list.
    ///
    /// # Safety
    /// Owner only.
    unsafe fn take_returned(&self) {
        // SAFETY: owner only (precondition).
        let mut cur = unsafe { self.shared().returned.take_all() };
        while cur != NONE {
            // SAFETY: the stack is ours after the swap; its links are owner links now.
            let next = unsafe { lists::next(self.view(), cur) };
            // SAFETY: owner only (precondition).
            unsafe { self.free_slot(cur) };
            self.track_returning(0, 1);
            cur = next;
        }
    }

    /// Returns a slot to the free list with a new generation.
    ///
    /// # Safety
    /// Owner only; the slot is not referenced by anyone else.
    #[inline]
    pub(crate) unsafe fn free_slot(&self, idx: u16) {
        let v = self.view();
        let slot = &v.slot(idx);
        slot.state.recycle();
        // SAFETY: owner-only list (precondition); the slot is on no list.
        unsafe { v.shared().free.put(v, idx) };
    }

    /// An entry that was never dispatched (`prepared`: it was prepared, not just built) goes
    /// away: if it holds a caller buffer, it
    /// completes with `err` carrying the buffer (S3) and `true` is returned (its reservation
    /// is used by that completion); otherwise its slot is freed and `false` returned (the
    /// caller gives its reservation back).
    pub(crate) fn give_back_unsubmitted(&self, idx: u16, err: Error, prepared: bool) -> bool {
        let slot = self.slot(idx);
        // SAFETY: a never-dispatched entry is the owner's.
        let (holds, silent) = unsafe {
            let s = &*slot.sqe_ptr();
            (
                s.holds_caller_buffer(),
                s.flags.contains(Flags::NO_RESPONSE),
            )
        };
        if silent && prepared {
            // Counted as returning by itself when it was prepared; it never will.
            self.track_returning(0, 1);
        }
        if holds && slot.state.take(slot.gen()) {
            crate::post::post_unsubmitted(self.rtio, idx, err);
            true
        } else {
            // SAFETY: owner; never dispatched.
            unsafe { self.free_slot(idx) };
            false
        }
    }

    /// Appends a prepared chain head to the pending list.
    #[inline]
    pub(crate) fn push_pending(&self, head: u16) {
        let v = self.view();
        // SAFETY: owner-only list; a head being prepared is on no list.
        unsafe { v.shared().pending.push(v, head) };
    }

    /// Removes `head` from the pending list, if there.
    fn unlink_pending(&self, head: u16) {
        // SAFETY: owner-only list.
        unsafe { self.shared().pending.unlink(self.view(), head) };
    }

    /// Dispatches every prepared entry (the heads of prepared chains).
    #[inline(always)]
    pub(crate) fn dispatch_pending(&self) {
        let v = self.view();
        let r = self.rtio;
        // The list is detached before dispatching, so completions that free slots cannot
        // disturb the walk (we read `onext` before dispatching).
        // SAFETY: owner-only list.
        let mut cur = unsafe { v.shared().pending.take_all() };
        while cur != NONE {
            let slot = v.slot(cur);
            // SAFETY: owner-only link, read before the head is dispatched.
            let next = unsafe { lists::next(v, cur) };
            // SAFETY: the runtime's bits of a prepared entry are the owner's; read alone.
            let meta = unsafe { addr_of!((*slot.sqe_ptr()).meta).read() };
            if meta.has(Meta::PLAIN) {
                // SAFETY: we are the owner (`&self` is the unique `Context`); the head is a
                // plain NOP (`Chain::prepare` set PLAIN).
                unsafe { executor::complete_plain(r, cur) };
            } else {
                // SAFETY: as above; the builder chose the start function of this head.
                unsafe { (slot.start_fn())(r, cur) };
            }
            cur = next;
        }
    }

    /// S1: dispatches every prepared entry, then waits until `n` completions have been posted
    /// since the call (`n = 0` returns at once).
    ///
    /// # Errors
    /// [`Error::WouldHang`] at once when fewer than `n` completions can still come (S16: a
    /// multishot in flight counts as unbounded); errors of the wait strategy. See
    /// [`Context::submit_timeout`] for a bounded wait.
    #[inline]
    pub fn submit(&self, n: usize) -> Result<(), Error> {
        self.submit_until(n, None)
    }

    /// Completions posted so far (ring and local), wrapping (S1).
    #[inline]
    fn posted(&self) -> u32 {
        let v = self.view();
        // SAFETY: the owner's own counter.
        let local = unsafe { v.shared().local.posted() };
        v.shared()
            .completed
            .load(Ordering::Acquire)
            .wrapping_add(local)
    }

    #[inline]
    fn posted_since(&self, start: u32) -> usize {
        self.posted().wrapping_sub(start) as usize
    }

    /// S1 with a deadline: like [`Context::submit`], but gives up after `timeout` with
    /// [`Error::TimedOut`]. The entries stay submitted.
    ///
    /// # Errors
    /// [`Error::TimedOut`]; [`Error::NoClock`] if the context has no clock.
    pub fn submit_timeout(&self, n: usize, timeout: Duration) -> Result<(), Error> {
        let clock = self.rtio.clock.ok_or(Error::NoClock)?;
        self.submit_until(n, Some(clock.now() + timeout))
    }

    #[inline(always)]
    fn submit_until(&self, n: usize, deadline: Option<Instant>) -> Result<(), Error> {
        let start = self.posted();
        self.dispatch_pending();
        // Entries that completed in place while dispatching: no timers to run, no wait.
        if n == 0 || self.posted_since(start) >= n {
            return Ok(());
        }
        self.wait_posted(start, n, deadline)
    }

    /// Waits until `n` completions were posted since `start` (S1), refusing at once a wait
    /// that could never end (S16).
    #[cold]
    fn wait_posted(&self, start: u32, n: usize, deadline: Option<Instant>) -> Result<(), Error> {
        // What may still reach the ring is read before what has (a completion landing in
        // between only makes this more lenient).
        if let Some(can_come) = self.can_still_post() {
            if n > self.posted_since(start) + can_come {
                return Err(Error::WouldHang);
            }
        }
        self.block_until(|| self.posted_since(start) >= n, deadline)
    }

    /// How many completions may still be posted to the ring (entries in flight that report
    /// to it); `None` while a multishot lives (any number may come). An upper bound: a
    /// NO_RESPONSE entry in flight counts although it posts nothing.
    fn can_still_post(&self) -> Option<usize> {
        let r = self.rtio;
        // SAFETY: owner-only counters; the owner is the ring's single consumer.
        let (kept, multishots, occupancy) = unsafe {
            (
                *self.shared().kept.get(),
                *self.shared().multishots.get(),
                self.shared().ring.occupancy(r.cells) + self.shared().local.len(),
            )
        };
        if multishots > 0 {
            return None;
        }
        let reserved = self.shared().reserved.get();
        Some(reserved.saturating_sub(kept).saturating_sub(occupancy) as usize)
    }

    /// S16: whether no completion is ready and none can ever be posted.
    pub(crate) fn nothing_can_post(&self) -> bool {
        self.can_still_post() == Some(0) && !self.has_completion()
    }

    /// Owner bookkeeping for S16: `n` entries now keep their results in their slots (+) or
    /// are no longer tracked by a waiter (-).
    pub(crate) fn track_kept(&self, added: u32, removed: u32) {
        // SAFETY: owner-only counter.
        unsafe {
            let k = &mut *self.shared().kept.get();
            *k = (*k + added).saturating_sub(removed);
        }
    }

    /// Owner bookkeeping for S16: entries that will return their own slots were dispatched
    /// or orphaned (+), or came back (-).
    pub(crate) fn track_returning(&self, added: u32, removed: u32) {
        // SAFETY: owner-only counter.
        unsafe {
            let k = &mut *self.shared().returning.get();
            *k = (*k + added).saturating_sub(removed);
        }
    }

    /// Acquires `N` entries as a whole, waiting with the context's wait strategy while they
    /// are in use by operations that return them by themselves (NO_RESPONSE entries,
    /// abandoned futures): no spinning on [`Error::QueueFull`] (S16).
    ///
    /// # Errors
    /// [`Error::WouldHang`] at once when no entry could come back while the owner waits (the
    /// entries are held by completions not yet consumed, by builders, or by waiting
    /// futures), or when `N` exceeds the context's size.
    pub fn chain_wait<const N: usize>(&self) -> Result<crate::Chain<'_, N>, Error> {
        let r = self.rtio;
        if N > r.slots().len() || N > r.cells.len() {
            return Err(Error::WouldHang);
        }
        loop {
            match self.chain::<N>() {
                Err(Error::QueueFull) => {}
                other => return other,
            }
            // SAFETY: owner-only counter.
            if unsafe { *self.shared().returning.get() } == 0 {
                return Err(Error::WouldHang);
            }
            self.block_until(|| !self.shared().returned.is_empty(), None)?;
        }
    }

    /// [`Context::chain_wait`] for one entry.
    ///
    /// # Errors
    /// As [`Context::chain_wait`].
    pub fn acquire_wait(&self) -> Result<crate::Chain<'_, 1>, Error> {
        self.chain_wait::<1>()
    }

    /// Owner bookkeeping for S16: a multishot entry was prepared (+) or ended (-).
    pub(crate) fn track_multishot(&self, added: bool) {
        // SAFETY: owner-only counter.
        unsafe {
            let m = &mut *self.shared().multishots.get();
            *m = if added { *m + 1 } else { m.saturating_sub(1) };
        }
    }

    /// Blocks with the context's wait strategy until `cond` holds or `deadline` passes,
    /// running due timers meanwhile.
    pub(crate) fn block_until(
        &self,
        mut cond: impl FnMut() -> bool,
        deadline: Option<Instant>,
    ) -> Result<(), Error> {
        let r = self.rtio;
        loop {
            if let Some(t) = r.timer_ops {
                (t.process)(r);
            }
            if cond() {
                return Ok(());
            }
            let now = r.clock.map(|c| c.now());
            if let (Some(d), Some(now)) = (deadline, now) {
                if now >= d {
                    return Err(Error::TimedOut);
                }
            }
            self.wait.register(&self.shared().notify);
            if cond() {
                return Ok(());
            }
            let next_timer = r.timer_ops.and_then(|t| (t.next_deadline)(r));
            let until = match (deadline, next_timer) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            self.wait.block(until, r.clock);
        }
    }

    /// Takes the next completion, if one is ready (S14, polling). Its queue slot is released;
    /// its buffer comes with it (S3).
    // A hint only: optimised for size it stays one function, which on the Cortex-M3 was both
    // smaller and faster than forcing it into every consume site (BENCHMARKS.md).
    #[inline]
    pub fn try_consume(&self) -> Option<Completion> {
        let v = self.view();
        let r = self.rtio;
        // S8: polling alone advances timers (a clock without alarms calls nothing else).
        executor::poll_timers(r);
        // The owner's own completions first (`post.rs`: chain order, S6).
        // SAFETY: the local list is the owner's.
        let raw = match unsafe { v.shared().local.pop(v) } {
            // A local completion: its result waits in its slot; never pool blocks.
            Some(idx) => crate::ring::Raw {
                slot: idx,
                flags: 0,
                pool_start: 0,
                result: v.slot(idx).result(),
            },
            // SAFETY: the owner is the ring's single consumer.
            None => unsafe { v.shared().ring.pop(r.cells) }?,
        };
        let sqe = v.slot(raw.slot).sqe_ptr();
        // SAFETY: `userdata` and the op are immutable after prepare; each is read alone.
        let userdata = unsafe { addr_of!((*sqe).userdata).read() };
        // SAFETY: as above.
        let op = unsafe { addr_of!((*sqe).op).read() };
        if !op.hands_back_buffer() {
            // Nothing to hand back (plain NOPs, callbacks, timers, tiny writes, ...): one
            // terminal completion (shots are pool reads'), no pool blocks.
            // SAFETY: owner; the entry is DONE and nothing references its slot any more.
            unsafe { self.free_slot(raw.slot) };
            r.unreserve(1);
            return Some(Completion {
                result: raw.result,
                userdata,
                flags: CqeFlags::from_bits(0),
                buffer: Buffer::None,
            });
        }
        // SAFETY: owner-only field.
        match unsafe { *v.shared().buffer_consumer.get() } {
            Some(f) => Some(f(self, raw, userdata)),
            // Every entry with a buffer op was built by `Chain::push`, which stored it.
            None => unreachable!("rtio: a buffer completion without its consumer"),
        }
    }

    /// Builders: an entry that hands a buffer back was built (see `Rtio::buffer_consumer`).
    #[inline(always)]
    pub(crate) fn uses_buffers(&self) {
        // SAFETY: owner-only field; `&self` is the unique owner.
        unsafe { *self.shared().buffer_consumer.get() = Some(Context::complete_general) };
    }

    /// [`Context::try_consume`] for an entry with a buffer: decodes its flags, builds
    /// its pool buffer or hands back the entry's own, and frees the slot of a terminal
    /// completion. Out of line, once per program: inlined at every consume site it cost the
    /// firmware programs about 650 B each, for 30-40 instructions per buffer completion.
    #[inline(always)]
    fn complete_general(&self, raw: crate::ring::Raw, userdata: usize) -> Completion {
        let r = self.rtio;
        let sqe = self.slot(raw.slot).sqe_ptr();
        let result = crate::error::decode(raw.result);
        let flags = CqeFlags::from_bits(raw.flags);
        let len = *result.as_ref().unwrap_or(&0);
        let ring_pool = match (flags.contains(CqeFlags::POOL), r.pool) {
            (true, Some(pool)) => Some(pool.range_for(raw.pool_start, len)),
            _ => None,
        };
        let buffer = if flags.contains(CqeFlags::MORE) {
            self.pool_buffer(ring_pool, len)
        } else {
            // SAFETY: flags are written before prepare and only read afterwards.
            if unsafe { addr_of!((*sqe).flags).read() }.contains(Flags::MULTISHOT) {
                self.track_multishot(false);
            }
            // SAFETY: terminal completion: the entry is DONE and the owner's again.
            let b = unsafe { self.take_buffer(raw.slot, ring_pool, result) };
            // SAFETY: owner; nothing references the slot any more.
            unsafe { self.free_slot(raw.slot) };
            b
        };
        r.unreserve(1);
        Completion {
            result: raw.result,
            userdata,
            flags,
            buffer,
        }
    }

    fn pool_buffer(&self, range: Option<BlockRange>, len: usize) -> Buffer {
        match (range, self.rtio.pool) {
            (Some(range), Some(pool)) if !range.is_none() => {
                // SAFETY: the completion handed this range over to us.
                Buffer::Pool(unsafe { PoolBuf::from_raw(pool, range, len) })
            }
            _ => Buffer::None,
        }
    }

    /// Takes the buffer out of a DONE entry.
    ///
    /// # Safety
    /// Owner only; the entry is DONE (terminal) and not referenced elsewhere.
    #[inline]
    pub(crate) unsafe fn take_buffer(
        &self,
        idx: u16,
        ring_pool: Option<BlockRange>,
        result: Result<usize, Error>,
    ) -> Buffer {
        // SAFETY: precondition.
        let s = unsafe { &mut *self.slot(idx).sqe_ptr() };
        if s.flags.contains(Flags::MEMPOOL) {
            let range = ring_pool.or_else(|| s.buf().map(|b| BlockRange::unpack(b.pool_range)));
            if let Some(b) = s.buf_mut() {
                b.pool_range = 0;
            }
            return self.pool_buffer(range, *result.as_ref().unwrap_or(&0));
        }
        // SAFETY: the builders stored 'static slices whose ownership the entry holds; the
        // terminal completion hands them back exactly once (the slot is freed right after).
        #[allow(clippy::undocumented_unsafe_blocks)]
        unsafe {
            match s.op {
                Op::Read if s.meta.has(Meta::HANDOFF) => Buffer::None,
                Op::Read => s.buf().map_or(Buffer::None, |b| {
                    Buffer::Mut(core::slice::from_raw_parts_mut(b.ptr, b.len))
                }),
                Op::Write if s.meta.has(Meta::HANDOFF) => s.buf().map_or(Buffer::None, |b| {
                    Buffer::Mut(core::slice::from_raw_parts_mut(b.ptr, b.len))
                }),
                Op::Write => s.buf().map_or(Buffer::None, |b| {
                    Buffer::Ref(core::slice::from_raw_parts(b.ptr, b.len))
                }),
                Op::Transceive => s.txrx().map_or(Buffer::None, |t| Buffer::Pair {
                    tx: core::slice::from_raw_parts(t.tx, t.tx_len),
                    rx: core::slice::from_raw_parts_mut(t.rx, t.rx_len),
                }),
                _ => Buffer::None,
            }
        }
    }

    /// Blocks until a completion is ready and takes it (S14).
    ///
    /// # Errors
    /// [`Error::WouldHang`] at once when nothing is outstanding that could ever post one
    /// (S16); errors of the wait strategy.
    pub fn consume(&self) -> Result<Completion, Error> {
        self.consume_until(None)
    }

    fn consume_until(&self, deadline: Option<Instant>) -> Result<Completion, Error> {
        if let Some(c) = self.try_consume() {
            return Ok(c);
        }
        if self.nothing_can_post() {
            return Err(Error::WouldHang);
        }
        let mut got = None;
        self.block_until(
            || {
                got = self.try_consume();
                got.is_some()
            },
            deadline,
        )?;
        got.ok_or(Error::TimedOut)
    }

    /// Like [`Context::consume`], but gives up after `timeout`.
    ///
    /// # Errors
    /// [`Error::TimedOut`]; [`Error::NoClock`] without a clock.
    pub fn consume_timeout(&self, timeout: Duration) -> Result<Completion, Error> {
        let clock = self.rtio.clock.ok_or(Error::NoClock)?;
        self.consume_until(Some(clock.now() + timeout))
    }

    /// Whether a completion is ready.
    pub fn has_completion(&self) -> bool {
        executor::poll_timers(self.rtio);
        // SAFETY: the owner is the single consumer, and the local list is its own.
        unsafe { self.shared().local.len() > 0 || self.shared().ring.ready(self.rtio.cells) }
    }

    /// Cancels an entry (S7). Not yet dispatched: it and the rest of its chain complete with
    /// `Canceled` now, which can be before a predecessor still in flight completes (chain
    /// order, S6, holds among the entries that run; Zephyr instead posts the cancelled
    /// entries when the executor reaches them). In flight: the iodev's cancel hook may abort it; a multishot entry
    /// stops re-arming. Already complete: nothing happens.
    ///
    /// # Errors
    /// [`Error::Stale`] if the handle no longer names a live entry; nothing is touched.
    /// [`Error::InvalidArgument`] for a transaction member after the head: a transaction is
    /// cancelled through its head (S5); nothing is touched.
    pub fn cancel(&self, h: OpHandle) -> Result<(), Error> {
        self.cancel_op(h, false).map(|_| ())
    }

    /// For [`crate::ChainHandle::cancel`]: cancels `h` if it has not completed and can be
    /// cancelled on its own (`Ok(true)`); `Ok(false)` for a live entry that completed, or
    /// that only an earlier entry can cancel.
    pub(crate) fn cancel_if_pending(&self, h: OpHandle) -> Result<bool, Error> {
        self.cancel_op(h, true)
    }

    fn cancel_op(&self, h: OpHandle, skip_refused: bool) -> Result<bool, Error> {
        let r = self.rtio;
        let slot = r.slots().get(h.idx as usize).ok_or(Error::Stale)?;
        let st = slot.state.current(h.gen()).ok_or(Error::Stale)?;
        if st.phase() == Phase::Free {
            return Err(Error::Stale);
        }
        // SAFETY: the runtime's bits are written before prepare and only read afterwards; we
        // read the field alone, without a reference to an entry a driver may hold.
        let meta = unsafe { addr_of!((*slot.sqe_ptr()).meta).read() };
        if meta.has(Meta::NO_CANCEL) {
            // Between a READ that lent its buffer and the WRITE that took it: the buffer may
            // still be in the read's hands, so cancel through the read or earlier.
            return if skip_refused {
                Ok(false)
            } else {
                Err(Error::InvalidArgument)
            };
        }
        if meta.has(Meta::MEMBER) {
            // S5: a transaction is one operation; its head's handle cancels it.
            return if skip_refused {
                Ok(false)
            } else {
                Err(Error::InvalidArgument)
            };
        }
        match st.phase() {
            Phase::Prepared => {
                self.unlink_pending(h.idx);
                executor::cancel_chain(r, h.idx, h.gen);
                Ok(true)
            }
            Phase::Queued => {
                executor::cancel_chain(r, h.idx, h.gen);
                Ok(true)
            }
            Phase::Inflight => {
                executor::cancel_inflight(r, h.idx, h.gen);
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    /// Removes every prepared but unsubmitted entry. An entry that holds a caller buffer
    /// (READ, WRITE, TRANSCEIVE) completes with [`Error::Canceled`] so that its buffer comes
    /// back (S3); the others are released without a completion.
    pub fn drop_all(&self) {
        let r = self.rtio;
        // SAFETY: owner-only list.
        let mut cur = unsafe { self.shared().pending.take_all() };
        while cur != NONE {
            // SAFETY: owner-only link, read before the head is removed.
            let next_head = unsafe { lists::next(self.view(), cur) };
            let mut m = cur;
            let mut n = 0;
            let mut want: Option<u16> = None;
            while m != NONE {
                let st = self.slot(m).state.load();
                // A successor cancelled before submit ended the chain; its slot may since
                // belong to another chain (stale generation).
                if want.is_some_and(|g| g != st.tag()) || st.phase() != Phase::Prepared {
                    break;
                }
                // SAFETY: prepared entries are the owner's.
                let s = unsafe { &*self.slot(m).sqe_ptr() };
                let (next, next_gen) =
                    if s.flags.contains(Flags::CHAINED) || s.flags.contains(Flags::TRANSACTION) {
                        (s.next, Some(s.next_gen))
                    } else {
                        (NONE, None)
                    };
                if s.flags.contains(Flags::MULTISHOT) {
                    self.track_multishot(false);
                }
                if !self.give_back_unsubmitted(m, Error::Canceled, true) {
                    n += 1;
                }
                (m, want) = (next, next_gen);
            }
            r.unreserve(n);
            cur = next_head;
        }
    }
}
