//! A context's state: its [`Storage`] (entry slots, completion cells and the mutable state,
//! all zero in `.bss`) and its [`Rtio`] (where that storage is and what the context may use:
//! pool, clock; immutable, in flash).
//!
//! This module holds the data and the accessors every layer above uses: slots and their
//! views, the shared state with its claim, raw tokens, generational handles, and the types of
//! the code tables a context's configuration selects (pool, timers), of the owner's general
//! paths its builders select ([`General`]) and of the per-entry start and consume
//! functions. The behaviour lives above it, one concern per module: `lists.rs` (owner lists), `post.rs` (posting), `timer.rs` (timers), `executor.rs`,
//! `iodev.rs` (the driver contract) and `context.rs` (the owner API and the public
//! constructors of `Rtio`).
//!
//! # Slots
//!
//! Each entry lives in a [`Slot`] from acquire until its terminal completion is consumed; the
//! slot's life (phases, event bits, generations) is the state machine of `slot.rs`, and only
//! its methods change the state word.

use crate::cqe::Completion;
use crate::error::{ClaimError, Code};
use crate::lists::{FreeList, Links, Local, Pending};
use crate::pool::Mempool;
use crate::ring::{CqeCell, Raw, Reservations, Ring};
use crate::slot::{Gen, SlotState};
use crate::sqe::{Flags, Op, Sqe, NONE};
use crate::stack::ReturnStack;
use crate::time::{Clock, Instant};
use crate::wait::{Notify, Wait};
use crate::Error;
use core::cell::{Cell, UnsafeCell};
use core::marker::PhantomData;
use critical_section::Mutex;
use portable_atomic::{fence, AtomicU32, AtomicUsize, Ordering};

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
    /// starts it, chosen by the builder (`Chain::prepare`, `StartFn`).
    pub start: StartFn,
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
    pub(crate) fn set_start(&self, f: StartFn) {
        // SAFETY: a prepared entry's link word is unused until it is dispatched (queue links,
        // timer links and kept results all come later), and the entry is the owner's.
        unsafe { core::ptr::addr_of_mut!((*self.link.get()).start).write(f) }
    }
    /// Owner, dispatching the head `set_start` was called for: how to start it.
    #[inline(always)]
    pub(crate) fn start_fn(&self) -> StartFn {
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
    pub(crate) pool_ops: Option<&'static PoolOps>,
    pub(crate) clock: Option<&'static dyn Clock>,
    /// The timer code, present exactly when the clock is (`with_clock`).
    pub(crate) timer_ops: Option<&'static TimerOps>,
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

impl View {
    /// Returns slot `idx` to the free list with a new generation.
    ///
    /// # Safety
    /// Owner only; the slot is on no list and nobody else references it.
    #[inline]
    pub(crate) unsafe fn free_slot(self, idx: u16) {
        self.slot(idx).state.recycle();
        // SAFETY: owner-only list (precondition).
        unsafe { self.shared().free.put(self, idx) };
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

/// [`Shared::bound`]'s claim bit (an `Rtio` is word-aligned, so its address has bit 0 clear).
const CLAIMED: usize = 1;
const _: () = assert!(core::mem::align_of::<Rtio>() > CLAIMED);

/// The mutable state of a context, inside its [`Storage`]. Every field starts as zero bits,
/// so a context costs no initialised data; the owner's list heads are set by the first claim.
pub(crate) struct Shared {
    pub(crate) ring: Ring,
    /// Address of the `Rtio` this storage belongs to (0 until the first claim), with
    /// [`CLAIMED`] set while an owner holds it: one word for both, so that the claim is one
    /// compare-and-swap and the state one word smaller.
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
    pub(crate) timer_hint: Earliest,
    /// Slots returned by producers (NO_RESPONSE, orphans): index + 1 of a stack top.
    pub(crate) returned: ReturnStack,
    // Owner-only (reached through `Context`, which is unique and !Sync). The lists are made
    // empty by the first claim (`init_owner`): zero is a slot index, not `NONE`.
    pub(crate) free: FreeList,
    /// Prepared chain heads, waiting for `submit`.
    pub(crate) pending: Pending,
    /// Entries whose results stay in their slots (futures, scopes) and are still tracked by
    /// their waiter: they never reach the ring (S16 accounting).
    pub(crate) kept: UnsafeCell<u16>,
    /// Multishot entries prepared and whose terminal completion is not consumed: while one
    /// lives, any number of completions can still come (S16).
    pub(crate) multishots: UnsafeCell<u16>,
    /// Entries in flight that return their own slots through the returned stack
    /// (NO_RESPONSE, orphaned kept entries): what a wait for a free entry waits for (S16).
    pub(crate) returning: UnsafeCell<u16>,
    /// The owner's general paths (see [`General`]): `None` while the builders made only
    /// plain NOPs, then stored for good by the first builder of anything else, a cancel or
    /// the give-back of a caller's buffer (`Context::uses_general`). So a program whose
    /// entries all complete in place on the local list links none of the ring consumer, the
    /// blocking wait of `submit`, the reclaim of returned slots or the ring post behind
    /// them. Owner-only.
    pub(crate) general: UnsafeCell<Option<&'static General>>,
    /// How `try_consume` completes an entry that hands a buffer back, stored by the builders
    /// of such entries (`Chain::push`, `Context::uses_buffers`): `complete_caller` for a
    /// caller's buffer, replaced for good by `complete_general` at the first pool read. So a
    /// program that builds no such entry links none of the buffer decoding, and one without
    /// pool reads none of the pool decoding. Owner-only.
    pub(crate) buffer_consumer: UnsafeCell<Option<ConsumeFn>>,
}

impl Shared {
    /// All zero bits (`.bss`); [`Shared::init_owner`] completes it at the first claim.
    const fn new() -> Self {
        Shared {
            ring: Ring::new(),
            bound: AtomicUsize::new(0),
            reserved: Reservations::new(),
            completed: AtomicU32::new(0),
            local: Local::new(),
            notify: Notify::new(),
            timers: Mutex::new(Timers::new()),
            timer_hint: Earliest::new(),
            returned: ReturnStack::new(),
            free: FreeList::new(),
            pending: Pending::new(),
            kept: UnsafeCell::new(0),
            multishots: UnsafeCell::new(0),
            returning: UnsafeCell::new(0),
            general: UnsafeCell::new(None),
            buffer_consumer: UnsafeCell::new(None),
        }
    }

    /// Takes the claim for `rtio` (S7, S16: one owner, one configuration per storage).
    ///
    /// # Errors
    /// [`ClaimError::AlreadyClaimed`] while another owner holds it;
    /// [`ClaimError::StorageInUse`] if another `Rtio` over this storage was claimed first.
    pub(crate) fn claim(&self, rtio: &Rtio) -> Result<(), ClaimError> {
        let me = rtio as *const Rtio as usize;
        let mut cur = self.bound.load(Ordering::Relaxed);
        loop {
            let owner_of = cur & !CLAIMED;
            // One configuration per storage: entries in flight and completions in the ring
            // were made under it (their pool, their clock). A storage bound to another `Rtio`
            // is refused without a write, so the refusal never makes its own owner's claim
            // fail.
            if owner_of != 0 && owner_of != me {
                return Err(ClaimError::StorageInUse);
            }
            if cur & CLAIMED != 0 {
                return Err(ClaimError::AlreadyClaimed);
            }
            // Acquire pairs with the Release of the previous owner's `unclaim`: its last
            // writes to the owner-only fields happen before ours. A failure means another
            // claim or unclaim changed the word: decide again on what it is now.
            match self.bound.compare_exchange_weak(
                cur,
                me | CLAIMED,
                Ordering::Acquire,
                Ordering::Relaxed,
            ) {
                Ok(_) => break,
                Err(now) => cur = now,
            }
        }
        if cur == 0 {
            // The first claim ever.
            // SAFETY: we hold the claim.
            unsafe { self.init_owner() };
        }
        Ok(())
    }

    /// Gives the claim back (the owner's last act).
    pub(crate) fn unclaim(&self) {
        // Only the owner writes the word while it is claimed (claims compare against an
        // unclaimed value). Release pairs with the Acquire of the next claim.
        let cur = self.bound.load(Ordering::Relaxed);
        self.bound.store(cur & !CLAIMED, Ordering::Release);
    }

    /// Owner bookkeeping for S16: a multishot entry was prepared (+) or ended (-).
    ///
    /// # Safety
    /// Owner only.
    pub(crate) unsafe fn track_multishot(&self, added: bool) {
        // SAFETY: owner-only counter (precondition).
        unsafe {
            let m = &mut *self.multishots.get();
            *m = if added { *m + 1 } else { m.saturating_sub(1) };
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

/// See `Shared::buffer_consumer`: completes a consumed entry with a buffer (its slot, flags, pool
/// start and result in `Raw`, its userdata).
///
/// # Safety
/// Called by the context's owner, for a completion it took off the ring or its local list.
pub(crate) type ConsumeFn = unsafe fn(&'static Rtio, Raw, usize) -> Option<Completion>;

/// The owner's paths past the plain local completion, as a table a builder stores in
/// [`Shared::general`] (`context.rs` has it). Only code reachable from a builder that stores
/// it links what it names.
pub(crate) struct General {
    /// [`Context::try_consume`] for anything but a plain completion first on the local list:
    /// the ring, timers, buffer completions.
    pub(crate) consume: fn(&Context) -> Option<Completion>,
    /// `submit(n)` waiting, without a deadline, for the completions its dispatch did not
    /// make (counted from `start`), refusing a wait that could never end (S16).
    pub(crate) wait: fn(&Context, u32, usize) -> Result<(), Error>,
    /// Moves the slots producers returned (NO_RESPONSE, orphans) to the free list.
    pub(crate) reclaim: fn(&Context),
    /// Posts a plain completion through the ring, behind the ring completions waiting
    /// there (S6). Unsafe: the completion holds a reservation, used now.
    pub(crate) publish: unsafe fn(&'static Rtio, Raw),
}

/// The owner side of a context: acquires, submits, consumes, cancels (S1-S16). Its methods
/// are in `context.rs`.
///
/// There is one at a time per context ([`Rtio::claim`]); it is `Send` but not `Sync`, so one
/// task or thread uses it. Dropping it gives the context back to be claimed again, clean:
/// nothing this owner prepared leaks to the next one (see [`Drop`](#impl-Drop-for-Context)).
///
/// ```compile_fail
/// fn shared_between_threads<T: Sync>() {}
/// shared_between_threads::<rtio::Context>(); // one owner: not `Sync`
/// ```
pub struct Context {
    pub(crate) rtio: &'static Rtio,
    /// `rtio`'s slot view, copied: the owner's paths reach slots and state with one load
    /// fewer (see [`View`]).
    pub(crate) view: View,
    pub(crate) wait: &'static dyn Wait,
    pub(crate) _not_sync: PhantomData<Cell<()>>,
}

// SAFETY: what a `Context` holds is reachable from every thread anyway: a `&'static Rtio`
// (`Sync`), its slot pointer (`View`, a copy of `Rtio::slots` into a `static` storage), and a
// `&'static dyn Wait` (`Wait: Sync`). Ownership of the owner-only state goes with the value:
// the claim is the context's, not a thread's. It stays `!Sync` (the `Cell` marker), so one
// thread at a time uses it.
unsafe impl Send for Context {}

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

/// A generational handle on an entry, for [`Context::cancel`](crate::Context::cancel) and [`Rtio::signal`] (S7).
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
    pub(crate) fn sqe(&self) -> *mut Sqe {
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

// --- Types of what a context's configuration and its builders select ---------------------

/// How the owner's submit starts a prepared chain head that is not plain. The builder
/// chooses it (`Chain::prepare` stores `executor::submit_chain_owner` in the head's slot), so the
/// executor is linked only into programs that build more than plain NOPs: the pending walk
/// itself completes plain heads with `executor::complete_plain` and names nothing else.
///
/// # Safety
/// Called by the context's owner, on its own thread, for a prepared head.
pub(crate) type StartFn = unsafe fn(&'static Rtio, u16);

/// The pool code a context with a pool uses, stored by `Rtio::with_pool` and referenced from
/// nowhere else: a program whose contexts have no pool links none of it (as `TimerOps` for
/// the clock).
pub(crate) struct PoolOps {
    pub(crate) take: fn(&'static Rtio, u16, Code) -> Option<u8>,
    pub(crate) keep: fn(&'static Rtio, u16, Code),
    pub(crate) drop: fn(&'static Rtio, u16),
}

impl core::fmt::Debug for PoolOps {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("PoolOps")
    }
}

// --- The timers' state (kept by `timer.rs`) -----------------------------------------------

/// The timer operations of a context with a clock. Only [`crate::Rtio::with_clock`] refers to
/// them (through `executor::TIMER_OPS`), so a program whose contexts have no clock references
/// none of `timer.rs`'s code and links none of it.
#[derive(Debug)]
pub(crate) struct TimerOps {
    /// Arms a timer entry.
    pub insert: fn(&'static Rtio, u16),
    /// Disarms a timer entry; whether it was armed.
    pub remove: fn(&'static Rtio, u16) -> bool,
    /// Fires every due timer.
    pub process: fn(&'static Rtio),
    /// The earliest deadline.
    pub next_deadline: fn(&Rtio) -> Option<Instant>,
}

/// The timers' bookkeeping, inside the context behind a critical-section mutex.
#[derive(Debug)]
pub(crate) struct Timers {
    /// Number of timers in the heap (positions `0..count` are valid).
    pub(crate) count: Cell<u16>,
    /// Arming order of the next timer (wrapping; compared as a signed difference).
    pub(crate) seq: Cell<u16>,
    /// The FIFO's ends (`NONE` when empty).
    pub(crate) head: IdxCell,
    pub(crate) tail: IdxCell,
}

impl Timers {
    pub(crate) const fn new() -> Self {
        Timers {
            count: Cell::new(0),
            seq: Cell::new(0),
            head: IdxCell::none(),
            tail: IdxCell::none(),
        }
    }
}

/// A FIFO end whose all-zero bits mean [`NONE`] (the index is stored inverted), so that the
/// timers start empty in zeroed `.bss` memory: an alarm interrupt may look at them before the
/// first claim. Touched only under the timer critical section.
#[derive(Debug)]
pub(crate) struct IdxCell(core::cell::Cell<u16>);

impl IdxCell {
    /// `NONE`.
    pub(crate) const fn none() -> Self {
        IdxCell(core::cell::Cell::new(0))
    }
    #[inline(always)]
    pub(crate) fn get(&self) -> u16 {
        !self.0.get()
    }
    #[inline(always)]
    pub(crate) fn set(&self, idx: u16) {
        self.0.set(!idx)
    }
}

const _: () = assert!(!NONE == 0, "IdxCell stores NONE as zero");

/// The earliest deadline as a seqlock over two 32-bit words (32-bit targets have no 64-bit
/// atomics): written only inside the timer critical section, read anywhere. The deadline is
/// stored inverted, so that the initial `NEVER` (`timer.rs`) is all-zero bits (the context starts in
/// `.bss`).
#[derive(Debug)]
pub(crate) struct Earliest {
    seq: AtomicU32,
    hi: AtomicU32,
    lo: AtomicU32,
}

impl Earliest {
    pub(crate) const fn new() -> Self {
        Earliest {
            seq: AtomicU32::new(0),
            // !NEVER
            hi: AtomicU32::new(0),
            lo: AtomicU32::new(0),
        }
    }

    /// Writer (inside the timer critical section, so writers never overlap).
    pub(crate) fn publish(&self, at: u64) {
        let s = self.seq.load(Ordering::Relaxed);
        // Odd while writing; the Release fences order the words between the two counts.
        self.seq.store(s.wrapping_add(1), Ordering::Relaxed);
        fence(Ordering::Release);
        let inv = !at;
        self.hi.store((inv >> 32) as u32, Ordering::Relaxed);
        self.lo.store(inv as u32, Ordering::Relaxed);
        self.seq.store(s.wrapping_add(2), Ordering::Release);
    }

    /// The earliest deadline (`Some(NEVER)` when nothing is armed), or `None` when a write
    /// was in progress (the caller then looks under the lock).
    #[inline]
    pub(crate) fn read(&self) -> Option<u64> {
        // Acquire: pairs with the final Release store of `publish`.
        let s1 = self.seq.load(Ordering::Acquire);
        let hi = self.hi.load(Ordering::Relaxed);
        let lo = self.lo.load(Ordering::Relaxed);
        fence(Ordering::Acquire);
        let s2 = self.seq.load(Ordering::Relaxed);
        (s1 == s2 && s1 & 1 == 0).then_some(!((hi as u64) << 32 | lo as u64))
    }
}
