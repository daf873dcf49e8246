/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kmag internals: one header shared by the files of kmag.ko and by its KUnit
 * suites (which import the KMAG_INTERNAL symbol namespace).
 *
 * Big theory statement
 * ====================
 *
 * 1. Overview. kmag is a slab-style allocator shaped like Go's runtime
 *    allocator (mcache -> mcentral -> mheap), with Bonwick magazines in the
 *    role of the mcache. Every object size is served by a "cache": one cache
 *    per size class (kmag_alloc) and one per kmag_cache_create() call. The
 *    layers, each in its own file:
 *
 *      sizeclasses.h  the class table (generated): 8 B .. 32 KiB, <= 12.5%
 *                     round-up waste from 128 B, span tails <= 1/8 of a span.
 *      magazine.c     per-CPU magazines (mcache role).
 *      central.c      per-cache central lists of spans + magazine depot
 *                     (mcentral role).
 *      pageheap.c     the page heap over the buddy allocator (mheap role),
 *                     and the pointer -> span map.
 *      large.c        objects above 32 KiB, straight from the page heap.
 *      cache.c        cache lifecycle (class caches, named caches, the
 *                     SLAB_ flags a cache may be created with).
 *      api.c          the exported API and its fast paths.
 *      slab_api.c     the rest of slab.h on top of api.c: kvmalloc,
 *                     dup, bulk free, roundup, kmag_owns, kmag_dump_obj.
 *      reclaim.c      giving memory back: reaping, scavenging, shrinker.
 *      stats.c        statistics and the debugfs files.
 *      debug.c        reports of invalid and double frees.
 *      rcu.c          kmag_free_rcu(): frees after a grace period.
 *      fail.c         fault injection for clients (debugfs fail/).
 *      sanitize.c     KASAN and kmemleak for kmag objects, the quarantine.
 *      trace.c        the tracepoints (kmag_trace.h), §15.
 *      numa.c         home nodes and locality counters, §17.
 *      tiny.c         objects below 16 bytes packed into blocks, §18.
 *      profile.c      the sampled heap profile, §19.
 *    PREEMPT_RT kernels: §16.
 *
 * 2. Vocabulary.
 *    class      one row of the size-class table: object size, span pages,
 *               objects per span.
 *    span       a run of contiguous pages owned by one user: a cache (its
 *               objects, tracked by out-of-band bitmaps), one large object,
 *               or nobody (free, in the page heap's free lists). Its
 *               "owner" word says which, in one load: a small-object span
 *               holds its cache pointer with bit 0 set.
 *    in-use bit one per object of a small-object span, set while the object
 *               is handed out to a user; the exact double-free check.
 *    free bit   one per object (freemap), set while the object sits free in
 *               its span (not in a magazine, not handed out).
 *    chunk      a block of pages the page heap got from alloc_pages()
 *               (2 MiB when the buddy allocator has one, smaller otherwise;
 *               a large object above 2 MiB gets a dedicated chunk of exactly
 *               its pages). Spans are carved from chunks and coalesce only
 *               inside their chunk, so a chunk that is entirely free can be
 *               given back whole.
 *    map        pfn -> span for every page of every in-use span, and for the
 *               first and last page of a free span; pages kmag holds and
 *               took back map to KMAG_MAP_GONE, pages it does not hold to
 *               NULL.
 *    magazine   an array of up to "capacity" object pointers; "rounds" is
 *               how many it holds. Each CPU holds a "loaded" and a
 *               "previous" magazine per cache; previous is always full or
 *               empty.
 *    depot      per cache and node, stacks of full and of empty magazines.
 *    home node  a CPU's node, or the nearest node with memory if its own
 *               has none: where that CPU's objects should lie (§17).
 *    orphan     a cache destroyed with live objects; freed with the last.
 *
 * 3. Allocation. kmag_alloc(size) maps size to a class with one table
 *    lookup (Go's size_to_class8 / size_to_class128), then
 *      a. fast path (api.c): with this CPU's magazine lock held (local IRQs
 *         off), pop a round from the loaded magazine, count, unlock, and
 *         set the object's in-use bit (its span from page->private; an
 *         atomic bit operation, on a line of the span struct that lookups
 *         do not read). No shared counters, no lock but this CPU's.
 *      b. loaded empty, previous full: swap them and pop.
 *      c. both empty: under the central lock, trade the empty previous for
 *         a full magazine from the depot of this CPU's home node.
 *      d. depot has none: fill the loaded magazine from partial spans
 *         (with several nodes: of the home node only, see §17).
 *      e. no partial span: drop the magazine lock (IRQs back on if they
 *         were), ask the page heap for a span with the caller's gfp (it
 *         sleeps only if gfpflags_allow_blocking()), run the ctor on its
 *         objects, add it to the central lists and retry from a. With
 *         several nodes, first a span of the home node that needs no
 *         reclaim, then other nodes' partial spans, then this (§17).
 *      f. no memory for magazines at all: one object straight from the
 *         spans (or from a depot magazine), so that allocation does not
 *         fail while the cache has free objects.
 *    kmag_alloc_node() takes the fast path when the loaded magazine's top
 *    object lies on the node asked for; else it takes an object from that
 *    node's spans, a new span there if one comes without reclaim, else any
 *    node's spans, else a span wherever the buddy allocator finds pages.
 *    Sizes above 32 KiB skip all that: the page heap hands out a span of
 *    whole pages (large.c). Power-of-two sizes are naturally aligned: their
 *    spans (and large objects) are carved at aligned addresses.
 *
 * 4. Free. kmag_free(p), with the magazine lock held: p's span through the
 *    map (no access to memory kmag does not own), the owner word, the
 *    object index (p must be an object start), then the object's in-use bit
 *    is cleared with test_and_clear_bit(): a bit already clear is a double
 *    free, whatever happened since and on whichever CPU, and of two racing
 *    frees exactly one clears it. An object of another node than the
 *    freeing CPU's home goes back to its span under the central lock (only
 *    tested with several nodes, §17). Then, symmetrically to allocation:
 *    push on loaded; if full and previous empty, swap; else under the
 *    central lock retire previous to the home node's depot and load an
 *    empty magazine. When that depot already holds enough full magazines,
 *    a retired magazine's rounds go back to their spans instead. A span whose objects are all free goes
 *    back to the page heap (one empty span per node and cache is kept),
 *    which coalesces it with free neighbours; a chunk that becomes entirely
 *    free is released to the buddy allocator, keeping one per node.
 *    Large objects are freed by the one free that moves the owner word from
 *    LARGE | base to FREEING (cmpxchg): the base in the word makes sure a
 *    span reused for another large object is not freed by a stale free. Everything unusual (large objects, bad
 *    frees, tiny objects) goes to kmag_free_other(), which classifies and
 *    reports it (tiny objects: §18).
 *
 * 5. The fast paths' hold on the magazines: no IRQs off. kmag must work
 *    from hard IRQ context with GFP_ATOMIC (except on PREEMPT_RT, §16), and
 *    an interrupt on the same CPU may call into the same cache. The slow
 *    paths take the magazine lock (c in §6, local_lock_irqsave(): IRQs off,
 *    which under an emulator costs as much as the rest of an allocation).
 *    The fast paths (pop, push with room, their counters) do not: they
 *    disable preemption (which keeps them on this CPU and makes them RCU
 *    readers, §7) and set this CPU's kmag_busy flag, a plain per-CPU int
 *    only this CPU touches, with compiler barriers around the section. An
 *    interrupt that lands outside the section runs to its end before the
 *    section starts, so the section sees what it left. One that lands
 *    inside finds the flag set (kmag_nested()) and leaves the magazines
 *    alone: its allocations come from the spans (kmag_alloc_nested()), its
 *    frees go back to the spans (kmag_free_push() and the quarantine check
 *    the flag, with c held, before they touch a magazine), both counted as
 *    misses. So the magazines are touched only by the section holding the
 *    flag, or under c with the flag clear: c holders run with IRQs off and
 *    cannot be interrupted, and work on other CPUs' magazines runs on that
 *    CPU (kmag_on_cpus()), never inside a section, which is not
 *    preemptible. Counters a section increments use this_cpu ops (one
 *    instruction on x86), so an interrupt's increment is never lost. On
 *    PREEMPT_RT the section is the magazine lock itself (local_lock(), with
 *    migrate_disable() and rcu_read_lock() around it) and nothing nests. One
 *    such flag and lock per CPU serves every cache (no path holds two
 *    caches' magazines).
 *
 * 6. Lock order (outermost first):
 *      a. cpus_read_lock()          cache create/destroy, drain.
 *      a'. kmag_tiny_mutex          retiring every CPU's tiny block
 *                                   (drain, shrinker; tiny.c, §18).
 *      b. kmag_caches_mutex         the list of caches (process context).
 *      b'. kmag_walk_mutex          validate and traces walks (debug.c);
 *                                   never held while waiting for b.
 *      b''. kmag_cpu_work_mutex     kmag_on_cpus() (magazine.c): held
 *                                   while waiting for per-CPU work items,
 *                                   which take c, d and e, nothing else.
 *      c. kmag_lock (per CPU)       this CPU's magazines of every cache.
 *      d. kmag_central.lock         a cache's spans, depot and counters;
 *                                   taken with IRQs off.
 *      e. kmag_heap.lock            one node's page heap and the map
 *                                   entries of its chunks; IRQs off.
 *      kmag_quarantine.lock (KASAN kernels only) is taken inside c and
 *      nests no other lock: objects leave the quarantine with it dropped.
 *      kmag_prof_lock (profile.c, §19) is taken inside c or alone, with
 *      IRQs off, and nests no other lock.
 *    "IRQs off" here and below means on !PREEMPT_RT; there c, d and e are
 *    sleeping locks and nothing in kmag disables IRQs (§16).
 *    Nothing sleeps with c, d or e held (on PREEMPT_RT: nothing blocks
 *    but on those locks themselves). Memory for metadata (span structs,
 *    magazines, map leaves) comes from the kernel's slab allocator, outside
 *    d and e, or with GFP_NOWAIT when only c is held.
 *    Bounded holds: d is held for at most 16 depot magazines or empty spans
 *    by kmag_central_flush() and kmag_depot_reap(), e for at most 16 free
 *    spans (about 512 to 1024 pages) by kmag_heap_scavenge(), which walks
 *    only the list of free spans; every other hold does O(1) work or one
 *    magazine's rounds.
 *
 * 7. Lifetimes under lockless readers. The free path and kmag_size() find
 *    a span through the map without the heap lock. Span structs come from
 *    a SLAB_TYPESAFE_BY_RCU cache and readers hold the magazine lock (IRQs
 *    off; on PREEMPT_RT a sleeping spinlock, which implies rcu_read_lock()),
 *    are in a fast path's section (preemption off, or on PREEMPT_RT
 *    rcu_read_lock(), §5) or hold rcu_read_lock(): a span may be reused
 *    under a reader, never freed. A reader re-reads the owner word and base after clearing an
 *    in-use bit; if they changed, the pointer was stale and it sets the bit
 *    back (the span could not change hands while that object was out). A
 *    cache struct is freed only after synchronize_rcu().
 *
 * 8. Giving memory back (reclaim.c; Go's scavenger, Bonwick's reaping).
 *    A free span can go back to the buddy allocator on its own, wherever it
 *    lies: its chunk is split into order-0 pages (split_page()) the first
 *    time part of it goes back, and keeps a hole (map entries go to NULL
 *    first). A chunk that goes back whole goes back as one block. This
 *    rather than only Temeraire's "fill the fullest huge page": small and
 *    large spans share chunks, and the figures that matter (a burst given
 *    back within seconds, a shrinker that can give everything back) need
 *    pages back whatever the placement. The price: a chunk given back in
 *    pieces returns order-0 pages, which the buddy allocator merges only
 *    when their neighbours come back too. Placement is best fit, and of
 *    equally good fits the span in the fullest chunk (Temeraire's idea,
 *    cheaply), so that sparse chunks empty and go back whole.
 *    The reclaimer (one deferred work, armed by the slow paths that cache
 *    memory, silent when nothing is cached) reaps each depot's unused
 *    working set, the empty spans of caches whose central lists were not
 *    used, and the magazines of CPUs that did not touch a cache during the
 *    interval (a work item on that CPU, kmag_on_cpus(); the fast paths do
 *    nothing for it), then gives back the
 *    free spans idle for scavenge_delay_ms, keeping 1/8 of the in-use pages
 *    as headroom. The shrinker gives everything back on demand. Magazine
 *    capacity doubles when a depot is contended and halves under memory
 *    pressure, within bounds (magazine.c, kmag_mag_resize()).
 *    What caches can hold is bounded whatever the workload: a CPU is
 *    charged 2 * mag_max * size for each cache whose magazines it holds
 *    and may not pass its budget (KMAG_CPU_BUDGET_TOTAL shared by the
 *    possible CPUs, within [KMAG_CPU_BUDGET_MIN, KMAG_CPU_BUDGET_MAX]: with
 *    many CPUs each gets less, as in TCMalloc); a cache refused magazines
 *    on a CPU is served from its spans there until the reclaimer flushes
 *    idle magazines. A depot (one per node, §17) holds at most depot_max
 *    magazines of at most mag_max rounds, not scaled with the CPUs. Both worst cases are in the
 *    statistics (cpu_cache_worst_bytes, depot_worst_bytes). Apart from
 *    that budget, a CPU keeps the span of the last large object it freed,
 *    up to 256 KiB (large.c), flushed like an idle magazine: at most 256
 *    KiB times the possible CPUs, counted in free_span_bytes.
 *
 * 9. Statistics. Counters are per CPU (kmag_cpu.stat for each cache,
 *    kmag_pcpu_stat for the rest), incremented with IRQs off or with
 *    this_cpu ops, and summed when debugfs is read. A magazine miss is
 *    counted only for an operation that completes (hits = ops - misses).
 *    Page-heap gauges are updated under the heap lock and read without it.
 *
 * 10. Debugging (debug.c). A cache with a debug flag (red zones, poison,
 *    owner tracks, consistency checks; SLUB's F Z P U) has no magazines:
 *    kmag_debug_alloc() and kmag_debug_free() move one object at a time
 *    between its user and its span, with the checks, under the central
 *    lock, so that validate (which walks spans under that lock) never sees
 *    an object half handed out. Its slots are laid out as
 *    [left red zone | object | right red zone | tracks]; c->size is the
 *    slot, c->obj_size the object, c->red_left the object's offset; the
 *    central lists and free maps deal in slots. The fast paths test one
 *    static key (kmag_debug_key), on only while a debug cache exists;
 *    then every free goes through kmag_free_other().
 *
 * 11. RCU (rcu.c). kmag_free_rcu() queues call_rcu() on the rcu_head inside
 *    the object; the callback finds the object's start again through the
 *    map (small: span -> cache -> index by division; large: span base) and
 *    frees it as kmag_free() does. A cache made with SLAB_TYPESAFE_BY_RCU
 *    keeps the pages of a span that became empty out of the page heap for
 *    a grace period (kmag_span_retire()): an object read under
 *    rcu_read_lock() after its free may be reused by the same cache, never
 *    by another one or as other memory. Such objects are not zeroed on free
 *    nor, without __GFP_ZERO, on allocation (as SLUB). kmag_cache_destroy()
 *    and module exit wait for pending callbacks (rcu_barrier()).
 *
 * 12. Fault injection (fail.c). debugfs fail/ holds failslab's knobs:
 *    the kernel's fault_attr where it has fault injection, kmag's own
 *    probability/interval/times otherwise, plus ignore-gfp-wait and
 *    cache-filter, and caches/<name>/failslab. The alloc paths test one
 *    static key first, on only while failures can be injected: unarmed,
 *    they are a no-op jump. Knob writes serialize on kmag_fail_mutex, taken
 *    with no kmag lock held (switching the key takes cpus_read_lock()).
 *
 * 13. Sanitizers (sanitize.c; only in kernels with generic KASAN or
 *    kmemleak, empty inlines elsewhere). KASAN: the shadow of an object
 *    says which bytes its user may touch (the bytes asked for; a free
 *    object none), with the values the slab allocators use, so that a
 *    use-after-free or an access past the request is reported as for
 *    kmalloc. A freed object waits in a bounded FIFO quarantine before it
 *    goes back to its magazines, so that a late access still hits poison.
 *    kmemleak: objects are registered while handed out, and only then.
 *
 * 14. The kernel's view (pageheap.c, central.c, large.c). kmag's pages are
 *    slab memory to the kernel's tools: each page is counted in its node's
 *    NR_SLAB_UNRECLAIMABLE_B from the moment the buddy allocator hands it
 *    over until it goes back, and moves to NR_SLAB_RECLAIMABLE_B while a
 *    span of a SLAB_RECLAIM_ACCOUNT cache uses it (span->reclaimable), so
 *    /proc/meminfo's Slab adds up. Pages also move between users inside
 *    kmag without passing the page allocator, which would have zeroed
 *    them under init_on_alloc/init_on_free: a span is cleared when it is
 *    handed to its new cache if that cache will not zero its objects
 *    itself (kmag_span_want_clear()), a large object on alloc.
 *    include/kmag_slab.h maps the slab API's names onto kmag's and sends
 *    memory kmag does not hold (kmag_owns()) to the kernel's functions.
 *
 * 15. Tracepoints (kmag_trace.h, created in trace.c, emitted by api.c).
 *    kmag:kmag_alloc, kmag:kmag_large_alloc and kmag:kmag_cache_alloc carry
 *    kmem:kmalloc's fields (call_site, ptr, bytes_req, bytes_alloc,
 *    gfp_flags, node), the cache events also the cache's name;
 *    kmag:kmag_free and kmag:kmag_cache_free kmem:kfree's (call_site, ptr)
 *    and kmem:kmem_cache_free's (plus name). call_site is the API's caller
 *    (the ip the paths carry for owner tracks); bytes_alloc the usable
 *    size: the class or object size, PAGE_ALIGN(size) for a large object;
 *    node the node the caller asked for (NUMA_NO_NODE, -1, without one),
 *    as kmem reports it, not where the memory lies. Every kmag_alloc*()
 *    call that returns an object emits kmag_alloc; one above 32 KiB then
 *    emits kmag_large_alloc too, so that kmag_alloc alone sees every
 *    allocation a kmag_free will match. Only successes are traced (a
 *    condition, tested only while the event is on) and only frees kmag
 *    accepts: invalid and double frees are reported, not traced. The
 *    events are emitted outside the magazine lock, except a small object's
 *    kmag_cache_free and a debug cache's free events: kmag knows a free
 *    is valid only under that lock, and once the object is back a
 *    destroyed cache (and its name) may go with its last object. Off, an
 *    event is one static-key no-op jump and its arguments are not computed.
 *
 * 16. PREEMPT_RT (Debian's 6.12-rt). What the locks become: kmag_lock, a
 *    local_lock_t, is a per-CPU spinlock_t there, that is an rtmutex with
 *    priority inheritance, taken with migrate_disable(); local_lock_irqsave()
 *    disables neither IRQs nor preemption. It still gives its holder this
 *    CPU's magazines alone: a task that preempts the holder and calls kmag
 *    blocks on the same lock and boosts it. As every sleeping spinlock it
 *    implies rcu_read_lock(), so the lockless readers of §7 are RCU readers
 *    as on !PREEMPT_RT. The central, heap and quarantine locks (spinlock_t)
 *    are rtmutexes too; the only raw spinlock is debug.c's report lock,
 *    held to copy five words. Metadata allocated with GFP_NOWAIT under c
 *    (§6) is allowed there: no kmag lock disables IRQs or preemption.
 *    Contexts: kmag serves the contexts kmalloc serves on PREEMPT_RT: task
 *    context, threaded IRQ handlers, softirqs (timers, soft hrtimers,
 *    tasklets), RCU callbacks, and sections under spinlock_t, rwlock_t,
 *    local_lock, rcu_read_lock() or local_bh_disable(), with any gfp (only
 *    sections that allow blocking may use a blocking gfp). Not hard IRQ
 *    (IRQF_NO_THREAD handlers, HRTIMER_MODE_*_HARD timers, IPIs and
 *    smp_call_function*() callbacks, IRQ_WORK_HARD_IRQ irq_work), NMI, nor
 *    sections with preemption or IRQs disabled or a raw spinlock held: a
 *    call from there (kmag_context_bad(): !preemptible()) is refused
 *    before any lock is touched: an allocation returns NULL, a free leaves
 *    the object allocated and intact (it may be freed again from a valid
 *    context); both count in context_errors and are reported (rate-
 *    limited). kmag_free_rcu(), kmag_size() and kmag_owns() use only
 *    lockless lookups, call_rcu() and the raw report lock: any context.
 *    Work on other CPUs' magazines (drain, reaping idle CPUs, validate)
 *    never uses IPIs, on any kernel: kmag_on_cpus() queues a work item on
 *    each CPU that runs under that CPU's magazine lock, as SLUB's
 *    flush_all(). Latency: kmag never disables IRQs or preemption on
 *    PREEMPT_RT; a call can wait for (PI-boosted) holders of c, d and e,
 *    whose holds are bounded as §6 says: c for one magazine's rounds
 *    (KMAG_MAG_MAX_ROUNDS, 254) plus a GFP_NOWAIT kmalloc of a magazine
 *    and the d and e holds nested in it; d for at most 16 magazines or
 *    empty spans, else O(1) or one magazine's rounds; e for at most 16 free
 *    spans (about 512 to 1024 pages), else one span's work: carving,
 *    coalescing, its map entries, giving its pages back (at most a chunk
 *    or a large object's pages). Page allocation, constructors, zeroing
 *    and the debug walks run with no kmag lock held, or (walks) one span
 *    or magazine per hold. A hard real-time task should still not
 *    allocate on its critical path: kmag's bound is the page allocator's
 *    whenever a cache must grow, as kmalloc's.
 *
 * 17. NUMA locality (numa.c, and where each policy acts). Each CPU has a
 *    home node, fixed at load: its node, or the nearest node with memory.
 *    Where more than one node has memory at load, a static key
 *    (kmag_numa_key) turns on what follows; on one node each piece is a
 *    no-op jump, and the depots and refills behave as one node.
 *      a. Depots are per node (struct kmag_cnode): a CPU trades magazines
 *         only with its home node's depot, so a full magazine filled by
 *         another node's CPUs never reaches it. depot_max bounds each
 *         node's depot; reap, flush, drain and destroy walk every node
 *         (kmag_central.nr_depot_* and depot_rounds are the sums).
 *      b. Remote free: after the in-use bit is taken, an object whose span
 *         (span->nid, on the line the free path already read) is not on
 *         the CPU's home node goes back to its span under the central lock
 *         (kmag_free_remote(), out of line; order c -> d as every free
 *         slow path), never on the loaded magazine: another node's memory
 *         is not made local to this CPU. Objects leaving KASAN's
 *         quarantine follow the same rule. Remote frees are thus as dear
 *         as a central-list operation each (not batched).
 *      c. Refill (kmag_alloc_refill()): home node's partial spans; else a
 *         new span on the home node with kmag_chunk_try_gfp() |
 *         __GFP_THISNODE (no reclaim); else any node's partial spans; else
 *         a span with the caller's gfp (the page heap prefers home again).
 *         So a CPU takes remote objects only when its node is short of
 *         memory, and then hands them out as remote allocations.
 *      d. Counters (debugfs "nodes"): per CPU and per node of the memory,
 *         small objects handed out to a CPU of that home node
 *         (local_allocs) or of another (remote_allocs), frees on a CPU of
 *         another node (remote_frees). Counted only while the key is on,
 *         out of line, from the span of the object just handed out (the
 *         line kmag_obj_mark() just read), after the magazine lock is
 *         dropped (so the fast path keeps its registers): a caller
 *         migrated in between is classified by its new CPU; the sums stay
 *         exact. With the key off every object is local: "nodes" shows
 *         mallocs - large_allocs instead.
 *    kmag_alloc_node() is §3's node path; to a memoryless or offline node
 *    (without __GFP_THISNODE) it falls back like kmalloc_node(). Memory
 *    hotplug that adds or empties a node later changes neither the home
 *    nodes nor the key.
 *
 * 18. Tiny objects (tiny.c; Go's tiny allocator, made safe for explicit
 *    free). kmag_alloc_tiny() packs objects below 16 bytes into 16-byte
 *    blocks: each CPU has a current block and a cursor (under its
 *    magazine lock, c in §6), and an object goes at the cursor aligned as
 *    its size needs (Go's rule: a multiple of 8 at 8, of 4 at 4, of 2 at
 *    2). Blocks are the objects of one internal cache, kmag-tiny (one-page
 *    spans of 204 blocks; the page's tail holds one 32-bit word per
 *    block): bits 0-15 "a live object starts at byte i", bits 16-30 "one
 *    ends at byte i" (an end at 15 is implicit), bit 31 "some CPU's
 *    current block". An allocation sets its bits with atomic_or(); a free
 *    clears its start and end bits with one cmpxchg that requires the
 *    start bit: a pointer without its start bit is an interior pointer
 *    (inside a live object: invalid) or a double free, reported as in §4,
 *    never written. A block goes back to kmag-tiny when its word becomes
 *    0: the last free of an object in a retired block, or retiring a
 *    block with no live object (full, drain, shrinker, CPU hot-unplug,
 *    unload). An offset is used once per block lifetime (the cursor only
 *    moves forward), so a double free finds its start bit clear for as
 *    long as its block lives. kmag-tiny's spans have owner word
 *    cache | KMAG_OWNER_SMALL | KMAG_OWNER_TINY: the free fast path sends
 *    them to kmag_free_other() with the test it already makes (the owner
 *    word's two low bits), at no extra branch. The words live in the
 *    span's pages, so a free (or kmag_size()) touches one only after it
 *    saw the block's in-use bit set and the owner and base unchanged, as
 *    an RCU reader; kmag-tiny is SLAB_TYPESAFE_BY_RCU, so those pages stay
 *    kmag-tiny's until the reader is done (§11). A free of a block's last
 *    object makes the block free after its bytes are zeroed (init_on_free).
 *    Sanitizers and debug caches check whole objects, which tiny objects
 *    are not (KASAN's 8-byte granules, kmemleak's objects, red zones):
 *    in kernels with KASAN or kmemleak, and while a debug cache exists,
 *    kmag_alloc_tiny() is kmag_alloc() (a test switch, kmag_tiny_force,
 *    keeps the tiny path on in KASAN kernels for the KUnit suite; tiny.c
 *    itself is not instrumented, its words being kmag's own metadata).
 * 19. The sampled heap profile (profile.c; Go's MemProfileRate, TCMalloc's
 *    sampling). About one allocation per heap_profile_rate bytes (default
 *    512 KiB; 0: off) records its stack in the stack depot. Each CPU counts
 *    down, per cache, the bytes allocated (kmag_cpu.prof_left, on the line
 *    of loaded, under the magazine lock the alloc path holds anyway); a
 *    countdown below zero samples that allocation and restarts from a
 *    random exponential interval of mean rate, so each countdown, and
 *    their union, is a Poisson process over bytes: an object of s bytes is
 *    sampled with probability p = 1 - exp(-s / rate) and stands for 1/p
 *    objects, s/p bytes. Large objects have a per-CPU countdown of their
 *    own; debug caches are not sampled. With the rate 0 the countdowns
 *    start from LONG_MAX (small objects: still decremented, never run
 *    out) and a static key (kmag_prof_key) leaves the large path as it
 *    was. The stack is
 *    saved after the magazine lock is dropped, out of line, never sleeping
 *    (GFP_NOWAIT; a sample that cannot be stored is dropped and counted).
 *    Live samples sit in a hash table by address; a span counts its live
 *    samples (kmag_span.sampled, on the line the free path reads), and a
 *    free looks its object up only where that count is not zero: one
 *    predictable branch, the rest out of line. Samples die with their
 *    object's free, with their cache's kmag_cache_destroy() and at unload.
 *    debugfs heap_profile shows, per stack, the estimates of the live
 *    samples and of all samples since load, in Go's legacy text format.
 */
#ifndef KMAG_INTERNAL_H
#define KMAG_INTERNAL_H

#include <linux/bitmap.h>
#include <linux/gfp.h>
#include <linux/jump_label.h>
#include <linux/list.h>
#include <linux/local_lock.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/workqueue.h>

#include "../include/kmag.h"
#include "compat.h"

/* Largest object: KMALLOC_MAX_SIZE on x86-64. */
#define KMAG_MAX_SIZE		(4UL << 20)
#define KMAG_MAX_SMALL		32768U
#define KMAG_MAX_SPAN_OBJS	512U

/* Page heap chunks: 2 MiB, one map leaf each. */
#define KMAG_CHUNK_ORDER	9
#define KMAG_CHUNK_PAGES	(1U << KMAG_CHUNK_ORDER)
#define KMAG_MAP_LEAF_SHIFT	9
#define KMAG_MAP_LEAF_PAGES	(1UL << KMAG_MAP_LEAF_SHIFT)

#define KMAG_NAME_LEN		64
/* Size-class cache names (debug= names them too): kmag-8 .. kmag-32768. */
#define KMAG_CLASS_NAME		"kmag-%u"
/* Spans of at most this many objects keep an in-use byte per object. */
#define KMAG_INUSE_BYTES	(KMAG_MAX_SPAN_OBJS / 8)

/* Per-CPU counters: one list, summed on read (stats.c). */
enum kmag_stat_item {
	KMAG_ALLOC,		/* objects handed out */
	KMAG_FREE,		/* objects taken back */
	KMAG_REQ_BYTES,		/* bytes callers asked for, since load */
	KMAG_MAG_MISS,		/* ops the loaded magazine could not serve */
	KMAG_LARGE_ALLOC,	/* large objects handed out */
	KMAG_LARGE_FREE,	/* large objects taken back */
	KMAG_LARGE_BYTES,	/* +pages on alloc, -pages on free (bytes) */
	KMAG_INVALID_FREE,	/* frees of pointers kmag did not hand out */
	KMAG_DOUBLE_FREE,	/* frees of objects already free */
	KMAG_ALLOC_FAIL,	/* allocations that returned NULL */
	KMAG_SCAV_RUNS,		/* reclaimer passes */
	KMAG_SCAVENGED,		/* pages the reclaimer gave back */
	KMAG_REAPED_MAGS,	/* depot magazines the reclaimer freed */
	KMAG_SHRINK_SCANS,	/* shrinker scan_objects calls */
	KMAG_SHRINK_FREED,	/* pages the shrinker gave back */
	KMAG_REDZONE_ERR,	/* red zones found overwritten */
	KMAG_POISON_ERR,	/* poison of free objects found overwritten */
	KMAG_FAIL_INJECTED,	/* allocations failed on purpose (fail/) */
	KMAG_VALIDATE_ERR,	/* inconsistencies found by validate */
	KMAG_BUDGET_REFUSED,	/* magazines refused: CPU over its budget */
	KMAG_CONTEXT_ERR,	/* calls refused: atomic context on PREEMPT_RT */
	KMAG_TINY_ALLOC,	/* tiny objects handed out (§18) */
	KMAG_TINY_CLASS_BYTES,	/* +class size on tiny alloc, - on free */
	KMAG_PROF_DROPPED,	/* heap profile samples lost: no memory */
	KMAG_NESTED,		/* ops that interrupted a fast path's section (§5) */
	KMAG_NR_STATS
};

/*
 * What a span is used for, packed with the cache pointer into one word
 * (kmag_span.owner) so that a lockless reader gets a consistent pair with
 * one load: a small-object span holds its cache pointer with bit 0 set.
 */
enum kmag_span_state {
	KMAG_SPAN_FREE,		/* in a page heap free list, or being freed */
	KMAG_SPAN_SMALL,	/* objects of one cache */
	KMAG_SPAN_LARGE,	/* one large object */
};

#define KMAG_OWNER_FREE		0UL
#define KMAG_OWNER_SMALL	1UL	/* | cache pointer */
/* With SMALL: a span of kmag-tiny's blocks (§18). */
#define KMAG_OWNER_TINY		2UL
/* The bits that tell a small span from a large one, and tiny from not. */
#define KMAG_OWNER_KIND		3UL
#define KMAG_OWNER_LARGE	2UL	/* | base: the owner names the object */
/* On its way back to the page heap, not yet in a free list (not coalesced). */
#define KMAG_OWNER_FREEING	4UL

/* Which central list a small span is on. */
enum kmag_span_list {
	KMAG_LIST_PARTIAL,
	KMAG_LIST_FULL,		/* no free object */
	KMAG_LIST_EMPTY,	/* every object free */
	KMAG_NR_LISTS
};

/*
 * A chunk is one block of the buddy allocator until part of it goes back:
 * then its pages are split (split_page()) and free spans go back page by
 * page, leaving holes. A chunk that goes back whole goes back as one block.
 */
struct kmag_chunk {
	struct list_head list;		/* kmag_heap.chunks */
	unsigned long base;		/* direct-map address */
	unsigned int npages;		/* pages it spans */
	unsigned int held;		/* pages not given back (npages - holes) */
	unsigned int used;		/* pages in in-use spans */
	unsigned int order;		/* of the block, until split */
	int nid;
	bool split;			/* pages are order-0 pages now */
	bool dedicated;			/* one large object, never shared */
};

/*
 * Span structs come from a SLAB_TYPESAFE_BY_RCU cache: a lockless reader
 * that found a span in the map (with IRQs off or under rcu_read_lock())
 * may see it reused for other pages or another owner, never freed memory.
 * Such a reader validates what it read (see kmag_free() in api.c).
 *
 * The first cache line holds what the free path reads; the in-use bitmap,
 * written with atomic bit operations by every allocation and free, has a
 * line of its own.
 */
struct kmag_span {
	unsigned long owner;		/* KMAG_OWNER_*, | cache if small */
	unsigned long base;
	unsigned int npages;
	u8 list_id;			/* enum kmag_span_list */
	bool reclaimable;		/* counted in SReclaimable (in use) */
	int nid;
	unsigned int sampled;		/* live heap profile samples (§19) */
	struct kmag_chunk *chunk;
	struct list_head list;		/* heap free list or central list */
	unsigned int nfree;		/* free objects (bits set in freemap) */
	unsigned int walk_gen;		/* debug.c: visited by this walk */
	union {
		/* Small: objects free in the span (not in a magazine or out). */
		DECLARE_BITMAP(freemap, KMAG_MAX_SPAN_OBJS);
		/* Empty, of a SLAB_TYPESAFE_BY_RCU cache: on its way to the heap. */
		struct rcu_head rcu;
		/* Free: the heap's list of free spans, oldest first. */
		struct {
			struct list_head lru;
			unsigned long idle_since;	/* jiffies */
		};
	};
	/*
	 * Objects handed out to a user: the exact double-free check. One
	 * byte per object where the span has at most KMAG_INUSE_BYTES of
	 * them (kmag_cache.inuse_bytes), so that the allocating CPU sets it
	 * with a plain store; one bit per object otherwise.
	 */
	union {
		u8 inuse_b[KMAG_INUSE_BYTES];
		DECLARE_BITMAP(inuse, KMAG_MAX_SPAN_OBJS);
	} ____cacheline_aligned_in_smp;
};

static __always_inline enum kmag_span_state kmag_owner_state(unsigned long owner)
{
	if (owner & KMAG_OWNER_SMALL)
		return KMAG_SPAN_SMALL;
	return (owner & 3) == KMAG_OWNER_LARGE ? KMAG_SPAN_LARGE : KMAG_SPAN_FREE;
}

static __always_inline struct kmag_cache *kmag_owner_cache(unsigned long owner)
{
	return (struct kmag_cache *)(owner & ~KMAG_OWNER_KIND);
}

static inline enum kmag_span_state kmag_span_state(const struct kmag_span *s)
{
	return kmag_owner_state(READ_ONCE(s->owner));
}

/* The cache of a small-object span, NULL for any other span. */
static inline struct kmag_cache *kmag_span_cache(const struct kmag_span *s)
{
	unsigned long owner = READ_ONCE(s->owner);

	return owner & KMAG_OWNER_SMALL ? kmag_owner_cache(owner) : NULL;
}

struct kmag_mag {
	struct kmag_mag *next;		/* depot stack */
	u16 rounds;
	u16 capacity;
	void *objs[];
};

/* Magazines of at most 2 KiB: header plus this many rounds. */
#define KMAG_MAG_BYTES 2048
#define KMAG_MAG_MAX_ROUNDS ((KMAG_MAG_BYTES - sizeof(struct kmag_mag)) / sizeof(void *))

/*
 * The magazine lock: one per CPU for all caches (no path holds two caches'
 * magazines at once). On !PREEMPT_RT it disables local IRQs, which also
 * makes its holder an RCU reader (span and cache structs stay valid).
 */
DECLARE_PER_CPU(local_lock_t, kmag_lock);

/* Set while this CPU's fast path holds its magazines (§5; !PREEMPT_RT). */
DECLARE_PER_CPU(int, kmag_busy);

/*
 * A fast path's section (§5): on this CPU, an RCU reader. kmag_mags_get()
 * inside it takes this CPU's magazines, unless the section interrupted
 * another one that holds them: then false, and the caller leaves them alone.
 */
static __always_inline void kmag_fast_begin(void)
{
	if (IS_ENABLED(CONFIG_PREEMPT_RT)) {
		migrate_disable();
		rcu_read_lock();
	} else {
		preempt_disable();
	}
}

static __always_inline void kmag_fast_end(void)
{
	if (IS_ENABLED(CONFIG_PREEMPT_RT)) {
		rcu_read_unlock();
		migrate_enable();
	} else {
		preempt_enable();
	}
}

static __always_inline bool kmag_mags_get(void)
{
	if (IS_ENABLED(CONFIG_PREEMPT_RT)) {
		local_lock(&kmag_lock);
		return true;
	}
	if (unlikely(__this_cpu_read(kmag_busy)))
		return false;
	__this_cpu_write(kmag_busy, 1);
	barrier();
	return true;
}

static __always_inline void kmag_mags_put(void)
{
	if (IS_ENABLED(CONFIG_PREEMPT_RT)) {
		local_unlock(&kmag_lock);
		return;
	}
	barrier();
	__this_cpu_write(kmag_busy, 0);
}

/*
 * Whether this code interrupted a fast path's section on this CPU: its
 * magazines are then not to be touched, magazine lock held or not (§5).
 * Preemption or IRQs off.
 */
static __always_inline bool kmag_nested(void)
{
	return !IS_ENABLED(CONFIG_PREEMPT_RT) && unlikely(__this_cpu_read(kmag_busy));
}

/*
 * One branch for several tests on a fast path: @v is computed whole (the
 * compiler may not turn its | into a chain of branches), then tested once.
 */
static __always_inline bool kmag_any(unsigned long v)
{
	OPTIMIZER_HIDE_VAR(v);
	return v;
}

struct kmag_cpu {
	struct kmag_mag *loaded;
	struct kmag_mag *previous;
	long prof_left;			/* bytes until the next sample (§19) */
	unsigned long stat[KMAG_NR_STATS];
	unsigned long reap_ops;		/* ALLOC + FREE at the last reap */
};

/*
 * One node's part of a cache's central state: its spans, and its depot,
 * which only CPUs whose home node (kmag_home_node()) it is use (§17).
 */
struct kmag_cnode {
	struct list_head lists[KMAG_NR_LISTS];
	unsigned long nr[KMAG_NR_LISTS];
	struct kmag_mag *depot_full;
	struct kmag_mag *depot_empty;
	unsigned int nr_full;		/* magazines on depot_full */
	unsigned int nr_empty;		/* magazines on depot_empty */
	/* Working set: the lowest depot levels since the last reap. */
	unsigned int min_full;
	unsigned int min_empty;
	unsigned long depot_rounds;	/* objects in this depot's full magazines */
};

struct kmag_central {
	spinlock_t lock;
	/* The depots of all nodes, summed (statistics, tests). */
	unsigned int nr_depot_full;
	unsigned int nr_depot_empty;
	unsigned long depot_rounds;	/* objects in the depots' full magazines */
	unsigned long gets;		/* kmag_central_get() calls */
	unsigned long reap_gets;	/* gets at the last reap */
	unsigned long contended;	/* depot exchanges that found it locked */
	unsigned long nr_spans;
	unsigned long nr_free_objs;	/* free objects in spans */
	struct kmag_cnode *node;	/* [nr_node_ids] */
};

/*
 * The fields the fast paths read come first, on one cache line; the central
 * lock and what it protects start on the next one, so that CPUs taking the
 * lock do not steal the line every fast path reads.
 */
struct kmag_cache {
	struct kmag_cpu __percpu *cpu;
	unsigned int size;		/* slot size */
	unsigned int obj_size;		/* usable size reported by kmag_size() */
	u32 divmagic;			/* offset * divmagic >> 32 == index */
	unsigned int objs_per_span;
	void (*ctor)(void *obj);
	bool inuse_bytes;		/* in-use byte per object, not bit */
	bool dead;			/* destroyed: no more allocations */
	bool orphan;			/* destroyed with live objects (central lock) */
	bool no_init;			/* ctor or SLAB_TYPESAFE_BY_RCU: no init_on_* */
	int class_idx;			/* -1: a named cache */
	unsigned int npages;		/* span size */
	unsigned int span_align;	/* span alignment, in pages */
	unsigned int mag_capacity;	/* rounds of new magazines (dynamic) */
	unsigned int mag_min, mag_max;	/* its bounds */
	unsigned int depot_max;		/* full (and empty) magazines kept per node */
	/* Debugging (debug.c); read on slow paths only. */
	unsigned long flags;		/* SLAB_* flags of the cache */
	unsigned int red_left;		/* object offset in its slot */
	unsigned int track_off;		/* offset of the owner tracks in a slot */
	bool fail_filter;		/* fail/: this cache may be failed */
	bool tiny;			/* kmag-tiny: its spans say so (§18) */
	unsigned int useroffset;	/* usercopy window (recorded only) */
	unsigned int usersize;
	struct dentry *dir;		/* debugfs caches/<name>/ */
	struct kmag_central central ____cacheline_aligned_in_smp;
	struct list_head list;		/* kmag_caches */
	struct work_struct free_work;	/* frees a dead cache once empty */
	char name[KMAG_NAME_LEN];
};

/*
 * The per-CPU cache budget (magazine.c): what one CPU's magazines of every
 * cache may hold at most, in bytes. A CPU is charged 2 * mag_max * size
 * when it installs the two magazines of a cache and uncharged when they are
 * flushed; a charge that would pass the budget is refused (the cache is then
 * served without magazines on that CPU until idle ones are reaped).
 */
#define KMAG_CPU_BUDGET_TOTAL	(64UL << 20)	/* shared by all CPUs... */
#define KMAG_CPU_BUDGET_MIN	(2UL << 20)	/* ...but at least this */
#define KMAG_CPU_BUDGET_MAX	(8UL << 20)	/* and at most this, per CPU */
extern unsigned long kmag_cpu_budget;
DECLARE_PER_CPU(unsigned long, kmag_cpu_charged);
unsigned long kmag_cpu_charged_bytes(int cpu);

static inline unsigned long kmag_cpu_charge(const struct kmag_cache *c)
{
	return 2UL * c->mag_max * c->size;
}

/* pageheap.c */
extern struct kmag_span ***kmag_map;
struct kmag_span *kmag_span_covering(const void *p);
extern unsigned long kmag_map_leaves;
extern bool kmag_fail_heap_alloc;
extern unsigned long kmag_scavenge_delay;	/* jiffies, reclaim.c */

/*
 * Map entry of a page kmag holds but that is in no in-use span and is not
 * the first or last page of a free span: memory kmag handed out once and
 * took back. A free of a pointer there is a double free.
 */
#define KMAG_MAP_GONE	((struct kmag_span *)1UL)

/* Page heap gauges and counters, summed over nodes, in pages. */
struct kmag_heap_stats {
	unsigned long sys;		/* held from the buddy allocator */
	unsigned long inuse;		/* in in-use spans */
	unsigned long released;		/* given back since load */
	unsigned long holes;		/* given back from chunks still held */
	unsigned long scavenged;	/* given back by kmag_heap_scavenge() */
	unsigned long reacquired;	/* new chunks soon after a scavenge */
	unsigned long spans;		/* span structs allocated */
	unsigned long chunks;		/* chunk structs */
	unsigned long leaves;		/* map leaves */
};

int kmag_heap_init(void);
void kmag_heap_exit(void);
struct kmag_span *kmag_heap_alloc(int nid, unsigned int npages,
				  unsigned int align, gfp_t gfp,
				  struct kmag_cache *c);
void kmag_heap_free(struct kmag_span *span);
unsigned long kmag_heap_scavenge(int nid, unsigned long delay,
				 unsigned long keep, unsigned long max);
unsigned long kmag_heap_free_pages(int nid);
unsigned long kmag_heap_inuse_pages(int nid);
unsigned long kmag_heap_sys_pages(int nid);
void kmag_heap_sizes(unsigned long *sys, unsigned long *inuse,
		     unsigned long *released);
void kmag_heap_stats(struct kmag_heap_stats *hs);
void kmag_heap_acct(long *unreclaimable, long *reclaimable);
gfp_t kmag_chunk_try_gfp(gfp_t gfp);

/**
 * kmag_map_entry() - the raw map entry of the page holding an address
 * @p: any address
 *
 * Reads only kmag's map, never the memory at @p.
 *
 * Context: any context; the span returned is only safe to read with IRQs
 * off or under rcu_read_lock(), and may be reused meanwhile (validate it).
 * Return: the span, KMAG_MAP_GONE, or NULL if kmag does not hold the page.
 */
static __always_inline struct kmag_span *kmag_map_entry(const void *p)
{
	unsigned long pfn = ((unsigned long)p - PAGE_OFFSET) >> PAGE_SHIFT;
	struct kmag_span **leaf;

	if (unlikely((pfn >> KMAG_MAP_LEAF_SHIFT) >= kmag_map_leaves))
		return NULL;
	leaf = READ_ONCE(kmag_map[pfn >> KMAG_MAP_LEAF_SHIFT]);
	if (unlikely(!leaf))
		return NULL;
	return READ_ONCE(leaf[pfn & (KMAG_MAP_LEAF_PAGES - 1)]);
}

/**
 * kmag_span_of() - find the span holding an address
 * @p: any address
 *
 * Context: as kmag_map_entry().
 * Return: the span, or NULL if no span holds the page of @p.
 */
static __always_inline struct kmag_span *kmag_span_of(const void *p)
{
	struct kmag_span *s = kmag_map_entry(p);

	return s == KMAG_MAP_GONE ? NULL : s;
}

/*
 * The span of an object this CPU holds (popped from its magazine): from
 * page->private, which kmag sets on every page of a small-object span.
 */
static __always_inline struct kmag_span *kmag_obj_span(const void *p)
{
	/* Always the direct map: virt_to_page() without __pa()'s test. */
	unsigned long pfn = ((unsigned long)p - PAGE_OFFSET) >> PAGE_SHIFT;

	return (struct kmag_span *)page_private(pfn_to_page(pfn));
}

/*
 * The in-use state of object @idx of @s, a span of @c. Set by the CPU that
 * hands the object out, which holds it exclusively (a plain store where it
 * is a byte). Cleared by a free: exactly one of several racing frees sees
 * it set (xchg or test_and_clear_bit).
 * Return (set, clear): false if the object was already in that state.
 */
static __always_inline bool kmag_inuse_set(const struct kmag_cache *c,
					   struct kmag_span *s, unsigned long idx)
{
	if (likely(c->inuse_bytes)) {
		if (unlikely(READ_ONCE(s->inuse_b[idx])))
			return false;
		WRITE_ONCE(s->inuse_b[idx], 1);
		return true;
	}
	return !test_and_set_bit(idx, s->inuse);
}

/* Return: the state it found, 0 if clear (for kmag_inuse_restore()). */
static __always_inline unsigned int kmag_inuse_clear(const struct kmag_cache *c,
						     struct kmag_span *s,
						     unsigned long idx)
{
	if (likely(c->inuse_bytes))
		return xchg(&s->inuse_b[idx], 0);
	return test_and_clear_bit(idx, s->inuse);
}

/*
 * Undo kmag_inuse_clear(), which found @was, on a span that changed hands
 * meanwhile (a stale free): as it found it, byte or bit, if still clear.
 * The new owner may keep bits where @c keeps bytes; a byte is put back
 * whole, never as 1.
 */
static inline void kmag_inuse_restore(const struct kmag_cache *c,
				      struct kmag_span *s, unsigned long idx,
				      unsigned int was)
{
	if (!was)
		return;
	if (c->inuse_bytes)
		cmpxchg(&s->inuse_b[idx], 0, (u8)was);
	else
		set_bit(idx, s->inuse);
}

static inline bool kmag_inuse_test(const struct kmag_cache *c,
				   const struct kmag_span *s, unsigned long idx)
{
	if (c->inuse_bytes)
		return READ_ONCE(s->inuse_b[idx]);
	return test_bit(idx, s->inuse);
}

/* Index of the object at @p in @span, or -1 if @p is not an object start. */
static __always_inline long kmag_obj_index(const struct kmag_cache *c,
					   const struct kmag_span *span,
					   const void *p)
{
	unsigned long off = (unsigned long)p - READ_ONCE(span->base);
	unsigned long idx = (off * c->divmagic) >> 32;

	if (unlikely(idx * c->size != off || idx >= c->objs_per_span))
		return -1;
	return idx;
}

/*
 * gfp for metadata kmag cannot do without (span structs, map leaves, chunk
 * structs): the caller's reclaim and retry rules, no zones, no warning.
 */
static inline gfp_t kmag_meta_gfp(gfp_t gfp)
{
	return (gfp & (__GFP_RECLAIM | __GFP_HIGH | __GFP_ATOMIC | __GFP_IO |
		       __GFP_FS | __GFP_MEMALLOC | __GFP_NOMEMALLOC |
		       __GFP_NOFAIL | __GFP_NORETRY | __GFP_RETRY_MAYFAIL)) |
	       __GFP_NOWARN;
}

/* gfp for magazines, which kmag can do without: never __GFP_NOFAIL. */
static inline gfp_t kmag_mag_gfp(gfp_t gfp)
{
	return (kmag_meta_gfp(gfp) & ~(__GFP_NOFAIL | __GFP_RETRY_MAYFAIL)) |
	       __GFP_NORETRY;
}

/* central.c */
int kmag_central_init(struct kmag_cache *c);
void kmag_central_exit(struct kmag_cache *c);
unsigned int kmag_central_get(struct kmag_cache *c, void **objs,
			      unsigned int n, int nid);
void kmag_central_put(struct kmag_cache *c, void **objs, unsigned int n);
int kmag_central_grow(struct kmag_cache *c, gfp_t gfp, int nid);
struct kmag_mag *kmag_depot_get(struct kmag_cache *c, bool full);
void kmag_depot_put(struct kmag_cache *c, struct kmag_mag *m);
unsigned int kmag_central_flush(struct kmag_cache *c);
unsigned int kmag_depot_reap(struct kmag_cache *c, bool *busy);
unsigned long kmag_central_live(struct kmag_cache *c);

/*
 * One object back to its span, for paths that may not put it on a magazine.
 * IRQs off (magazine lock held); may let an orphaned @c go.
 */
static inline void kmag_central_put_one(struct kmag_cache *c, void *p)
{
	spin_lock(&c->central.lock);
	kmag_central_put(c, &p, 1);
	spin_unlock(&c->central.lock);
}

/* numa.c: the node a CPU's objects should come from, and locality (§17). */
DECLARE_STATIC_KEY_FALSE(kmag_numa_key);
DECLARE_PER_CPU(int, kmag_home_nid);

/* Per CPU, per node of the memory: see debugfs "nodes" (stats.c). */
struct kmag_node_stat {
	unsigned long local_allocs;	/* small objects handed out on their node */
	unsigned long remote_allocs;	/* ... to a CPU of another node */
	unsigned long remote_frees;	/* freed on a CPU of another node */
};

extern struct kmag_node_stat __percpu *kmag_node_stats;	/* [nr_node_ids] */

/*
 * This CPU's home node: its node if that has memory, else the nearest one
 * that has. Its objects, depot and new spans come from there. Stable while
 * the caller cannot migrate (magazine or central lock held); a hint
 * otherwise.
 */
static __always_inline int kmag_home_node(void)
{
	return this_cpu_read(kmag_home_nid);
}

/*
 * Whether more than one node had memory when kmag was loaded: a static key,
 * so that the locality code costs a single-node machine one no-op jump.
 */
static __always_inline bool kmag_numa(void)
{
	return static_branch_unlikely(&kmag_numa_key);
}

int kmag_cpu_home(int cpu);
void kmag_numa_alloc_count(const void *p);
void kmag_numa_free_count(int nid);
void kmag_node_stat_sum(int nid, struct kmag_node_stat *sum);
int kmag_numa_init(void);
void kmag_numa_exit(void);

/* magazine.c */
extern struct kmag_mag kmag_no_mag;
extern bool kmag_fail_mag_alloc;
struct kmag_mag *kmag_mag_alloc(struct kmag_cache *c, gfp_t gfp);
void kmag_mag_free(struct kmag_mag *m);
void *kmag_alloc_refill(struct kmag_cache *c, gfp_t gfp, unsigned long *flags);
void kmag_free_slow(struct kmag_cache *c, void *p);
void kmag_magazines_drain(struct kmag_cache *c);
unsigned int kmag_magazines_reap_idle(struct kmag_cache *c, bool *busy);
void kmag_mag_resize(struct kmag_cache *c, bool grow);
void kmag_on_cpus(const struct cpumask *mask, void (*fn)(void *arg), void *arg);
extern struct workqueue_struct *kmag_flush_wq;
extern atomic_long_t kmag_mag_bytes;
/*
 * The reclaimer's test for one CPU's cache (magazines of a cache, its
 * large span slot): idle if it @holds something and its operation count
 * @ops did not move since the last look (*@reap_ops, updated). A CPU
 * that holds something and was used sets *@busy.
 */
static inline bool kmag_reap_cpu_idle(bool holds, unsigned long ops,
				      unsigned long *reap_ops, bool *busy)
{
	if (holds && ops == *reap_ops)
		return true;
	*busy |= holds;
	*reap_ops = ops;
	return false;
}

int kmag_magazine_init(void);
void kmag_magazine_exit(void);

/* cache.c */
extern struct kmag_cache *kmag_classes[];
extern struct list_head kmag_caches;
extern struct mutex kmag_caches_mutex;
extern struct workqueue_struct *kmag_wq;
int kmag_size_class(size_t size);
void kmag_free_caller(const void *p, unsigned long ip);

/*
 * On PREEMPT_RT the magazine, central and heap locks sleep: kmag may then
 * not be called where such locks may not be taken (hard IRQ, IRQs or
 * preemption disabled, a raw spinlock held), as kmalloc may not (§16).
 * Such calls are refused (api.c). Always false elsewhere.
 */
static __always_inline bool kmag_context_bad(void)
{
	return IS_ENABLED(CONFIG_PREEMPT_RT) && unlikely(!preemptible());
}

/* A node id that is neither NUMA_NO_NODE nor one this machine can have. */
static inline bool kmag_node_impossible(int node)
{
	return node != NUMA_NO_NODE &&
	       (node < 0 || node >= nr_node_ids || !node_possible(node));
}
struct kmag_cache *kmag_cache_new(const char *name, unsigned int size,
				  unsigned int align, unsigned int npages,
				  void (*ctor)(void *), int class_idx,
				  unsigned long flags);
void kmag_cache_release(struct kmag_cache *c);
void kmag_cache_free_work(struct work_struct *work);
int kmag_classes_init(void);
void kmag_classes_exit(void);
void kmag_drain(void);

/* large.c */
void *kmag_large_alloc(size_t size, gfp_t gfp, int nid);
void kmag_large_free(struct kmag_span *span);
void kmag_large_drain(void);
void kmag_large_reap_idle(bool *busy);
void kmag_large_cpu_dead(int cpu);
unsigned long kmag_large_kept_pages(int nid);
unsigned long kmag_large_unkept(unsigned long inuse, int nid);

/* tiny.c (§18) */
#define KMAG_TINY_BLOCK		16U
/* Blocks per one-page span: each with its 32-bit word in the page's tail. */
#define KMAG_TINY_BLOCKS	(PAGE_SIZE / (KMAG_TINY_BLOCK + sizeof(u32)))
/* Offset of the words in a span, after the blocks. */
#define KMAG_TINY_WORDS		(KMAG_TINY_BLOCKS * KMAG_TINY_BLOCK)

/* A CPU's tiny state, under its magazine lock. */
struct kmag_tiny_cpu {
	void *block;		/* the current block, or NULL */
	unsigned int cursor;	/* its first byte not handed out */
	void *retired;		/* detached by kmag_tiny_drain(), to retire */
};

extern struct kmag_cache *kmag_tiny_cache;
extern bool kmag_tiny_force;
void *kmag_alloc_tiny_caller(size_t size, size_t align, gfp_t gfp,
			     unsigned long ip);
void kmag_tiny_free(struct kmag_span *s, unsigned long owner, unsigned long base,
		    const void *p, unsigned long flags, unsigned long ip);
size_t kmag_tiny_size(struct kmag_span *s, unsigned long owner,
		      unsigned long base, const void *p, const char **why);
void *kmag_tiny_block_get(gfp_t gfp);
void kmag_tiny_block_put(void *b);
void kmag_tiny_drain(bool try);
void kmag_tiny_cpu_dead(unsigned int cpu);
int kmag_tiny_init(void);
void kmag_tiny_exit(void);

/* The owner word of a span of @c (§2, §18). */
static inline unsigned long kmag_cache_owner(const struct kmag_cache *c)
{
	return (unsigned long)c | KMAG_OWNER_SMALL | (c->tiny ? KMAG_OWNER_TINY : 0);
}

/* stats.c */
DECLARE_PER_CPU(unsigned long [KMAG_NR_STATS], kmag_pcpu_stat);

/*
 * The statistics, in the order of debugfs "stats"; stats.c names them (a
 * build-time check keeps its table in step with this struct).
 */
struct kmag_stats {
	long mallocs;		/* objects handed out, since load */
	long frees;		/* objects taken back, since load */
	long live_objects;	/* mallocs - frees */
	long alloc_bytes;	/* bytes in live objects (class size, pages) */
	long requested_bytes;	/* bytes asked for, since load */
	long sys_bytes;		/* held from the buddy allocator */
	long inuse_bytes;	/* in in-use spans */
	long idle_bytes;	/* magazine + depot + free span bytes */
	long released_bytes;	/* given back to the buddy allocator, since load */
	long large_allocs;	/* large objects handed out, since load */
	long large_frees;	/* large objects taken back, since load */
	long magazine_hits;	/* small ops served by the loaded magazine */
	long magazine_misses;	/* small ops that took a slow path */
	long invalid_frees;	/* frees of pointers kmag did not hand out */
	long double_frees;	/* frees of objects already free */
	long alloc_failures;	/* allocations that returned NULL */
	long heap_released_bytes; /* given back from chunks kmag still holds */
	long magazine_bytes;	/* objects cached in per-CPU magazines */
	long depot_bytes;	/* objects cached in depot magazines */
	long free_span_bytes;	/* free page-heap spans, not given back */
	long metadata_bytes;	/* span/chunk/cache structs, map, magazines */
	long scavenger_runs;	/* reclaimer passes */
	long scavenged_bytes;	/* given back by the reclaimer */
	long reacquired_bytes;	/* new chunks soon after a scavenge */
	long shrinker_scans;	/* shrinker scan_objects calls */
	long shrinker_freed_bytes; /* given back by the shrinker */
	long reaped_magazines;	/* depot magazines freed by the reclaimer */
	long redzone_errors;	/* red zones found overwritten */
	long poison_errors;	/* free objects found written to */
	long injected_failures;	/* allocations failed on purpose (fail/) */
	long validate_errors;	/* inconsistencies found by validate */
	long context_errors;	/* calls refused: atomic context on PREEMPT_RT */
	long slab_unreclaimable_bytes;	/* counted in /proc/meminfo SUnreclaim */
	long slab_reclaimable_bytes;	/* counted in /proc/meminfo SReclaimable */
	long cpu_cache_budget_bytes;	/* per CPU: magazines charged at most */
	long cpu_cache_charged_bytes;	/* charged now, all CPUs */
	long cpu_cache_worst_bytes;	/* budget x possible CPUs */
	long depot_worst_bytes;		/* every depot full, all caches */
	long cpu_cache_refusals;	/* magazines not installed: over budget */
	/* Go's runtime.MemStats names (README maps each to its field). */
	long heap_objects;	/* HeapObjects: live_objects */
	long heap_alloc;	/* HeapAlloc: alloc_bytes */
	long heap_sys;		/* HeapSys: heap_inuse + heap_idle */
	long heap_idle;		/* HeapIdle: free and released page-heap pages */
	long heap_inuse;	/* HeapInuse: pages in in-use spans */
	long heap_released;	/* HeapReleased: heap_released_bytes */
	/* Internal fragmentation of live small objects (estimated). */
	long live_requested_bytes;	/* asked for, live objects */
	long live_roundup_bytes;	/* their slots minus that */
	long internal_frag_permille;	/* roundup per 1000 bytes asked for */
	long tiny_allocs;	/* tiny objects handed out, since load (§18) */
	long tiny_blocks;	/* kmag-tiny blocks held now */
	long tiny_saved_bytes;	/* live tiny objects' class bytes - blocks and words */
	long heap_profile_samples;	/* live heap profile samples */
	long heap_profile_dropped;	/* samples lost: no memory or stack space */
	long nested_ops;		/* ops that interrupted a fast path (§5) */
};

struct kmag_class_stats {
	long spans;
	long live_objects;
	long free_objects;
	long mallocs;
	long frees;
	long requested_bytes;	/* asked for, since load */
	long live_requested_bytes; /* asked for, live objects (estimated) */
	long magazine_misses;	/* ops that took a slow path */
	long alloc_failures;	/* allocations that returned NULL */
	long span_bytes;	/* spans * npages pages */
	long inuse_bytes;	/* live_objects * size */
	long idle_bytes;	/* span_bytes - inuse_bytes */
	long depot_bytes;	/* objects in depot magazines */
	long magazine_bytes;	/* objects in per-CPU magazines (derived) */
};

void kmag_stats_read(struct kmag_stats *st);

/* One line of debugfs "nodes" (§17). */
struct kmag_node_info {
	unsigned int cpus;		/* online CPUs whose home node it is */
	unsigned long sys_bytes;	/* held from the buddy allocator */
	unsigned long inuse_bytes;	/* in in-use spans */
	unsigned long depot_bytes;	/* objects in the node's depots */
	unsigned long local_allocs;	/* see struct kmag_node_stat */
	unsigned long remote_allocs;
	unsigned long remote_frees;
};

void kmag_node_info(int nid, struct kmag_node_info *ni);
int kmag_stats_read_try(struct kmag_stats *st);
extern struct dentry *kmag_debugfs_dir;

/* reclaim.c */
void kmag_reclaim_kick(void);
void kmag_reclaim_pause(bool pause);
bool kmag_reclaim_run(unsigned long delay);
unsigned long kmag_shrink(int nid, unsigned long *count, unsigned long nr);
int kmag_reclaim_init(struct dentry *dir);
void kmag_reclaim_exit(void);
void kmag_cache_stats(struct kmag_cache *c, struct kmag_class_stats *cs);
void kmag_stats_retire(struct kmag_cache *c);
int kmag_debugfs_init(void);
void kmag_debugfs_exit(void);
void kmag_cache_debugfs_add(struct kmag_cache *c);
void kmag_cache_debugfs_remove(struct kmag_cache *c);
int kmag_debugfs_trigger(const char __user *buf, size_t count);

/* rcu.c */
void kmag_span_retire(struct kmag_cache *c, struct kmag_span *s);

/* fail.c */
DECLARE_STATIC_KEY_FALSE(kmag_fail_key);

/* The fail/ knobs, all at once (tests; the debugfs files set one each). */
struct kmag_fail_knobs {
	unsigned long probability;	/* percent, 0 .. 100 */
	unsigned long interval;		/* >= 1: only every interval-th call */
	int times;			/* failures left, -1: no limit */
	unsigned long verbose;		/* where the kernel's fault_attr is used */
	bool ignore_gfp_wait;		/* never fail __GFP_DIRECT_RECLAIM */
	bool cache_filter;		/* fail only caches with failslab set */
};

void kmag_fail_get(struct kmag_fail_knobs *k);
int kmag_fail_set(const struct kmag_fail_knobs *k);
bool kmag_fail_alloc(struct kmag_cache *c, size_t size, gfp_t gfp);
void kmag_fail_cache_debugfs(struct kmag_cache *c);
void kmag_fail_init(struct dentry *dir);
void kmag_fail_exit(void);

/*
 * Whether an allocation is to fail on purpose: a no-op jump unless fault
 * injection is armed, then kmag_fail_alloc() (out of line).
 */
static __always_inline bool kmag_fail_should(struct kmag_cache *c, size_t size,
					     gfp_t gfp)
{
	return static_branch_unlikely(&kmag_fail_key) && kmag_fail_alloc(c, size, gfp);
}

/* profile.c: the sampled heap profile (§19). */
#define KMAG_PROF_RATE_DEFAULT	(512UL << 10)
#define KMAG_PROF_RATE_MAX	(1UL << 30)
DECLARE_STATIC_KEY_FALSE(kmag_prof_key);
long kmag_prof_interval(void);
void kmag_prof_alloc(struct kmag_cache *c, void *p, size_t size);
void kmag_prof_free(struct kmag_span *s, const void *p);
bool kmag_prof_large_count(size_t size);
void kmag_prof_cache_init(struct kmag_cache *c);
void kmag_prof_cache_gone(struct kmag_cache *c);
unsigned long kmag_prof_live(void);
int kmag_prof_set_rate(unsigned long rate);
unsigned long kmag_prof_get_rate(void);
int kmag_prof_init(struct dentry *dir);
void kmag_prof_exit(void);

bool kmag_prof_restart(struct kmag_cpu *cc);

/*
 * Count an allocation of @c against this CPU's countdown (magazine lock
 * held, or a fast path's section): true if it is to be sampled, the
 * countdown then restarted. Counted whether the profile is on or not (off,
 * the countdown starts from LONG_MAX and never runs out): one decrement on
 * a line the fast path holds, no branch out of line until it runs out.
 */
static __always_inline bool kmag_prof_count(struct kmag_cache *c, struct kmag_cpu *cc)
{
	cc->prof_left -= c->obj_size;
	if (likely(cc->prof_left >= 0))
		return false;
	return kmag_prof_restart(cc);
}

/* A free kmag accepted: forget its sample, if its span has any (§19). */
static __always_inline void kmag_prof_forget_obj(struct kmag_span *s, const void *p)
{
	if (unlikely(READ_ONCE(s->sampled)))
		kmag_prof_free(s, p);
}

/* debug.c */
/* The flags that send a cache down the debug paths. */
/* slub_debug's default letters (F Z P U): what debug= with no letter means. */
#define KMAG_DEBUG_DEFAULT (SLAB_CONSISTENCY_CHECKS | SLAB_RED_ZONE | \
			    SLAB_POISON | SLAB_STORE_USER)
/* Flags that make a debug cache: no magazines, every object checked. */
#define KMAG_DEBUG_FLAGS (KMAG_DEBUG_DEFAULT | SLAB_TRACE)

enum kmag_report_kind {
	KMAG_REPORT_INVALID,	/* free of a pointer kmag did not hand out */
	KMAG_REPORT_DOUBLE,	/* free of an object already free */
	KMAG_REPORT_REDZONE,	/* a red zone overwritten */
	KMAG_REPORT_POISON,	/* a free object written to */
	KMAG_REPORT_CORRUPT,	/* inconsistent allocator state */
	KMAG_REPORT_VALIDATE,	/* inconsistent state found by validate */
};

/* The last report (for tests); seq counts reports. */
struct kmag_report_info {
	enum kmag_report_kind kind;
	struct kmag_cache *cache;	/* NULL: none or large */
	const void *object;
	long offset;			/* from the object start, red zone < 0 */
	unsigned long seq;
};

extern struct kmag_report_info kmag_last_report;
DECLARE_STATIC_KEY_FALSE(kmag_debug_key);
int kmag_debug_init(void);
unsigned long kmag_debug_flags_for(const char *name);
int kmag_debug_need_tracks(void);
unsigned int kmag_debug_layout(struct kmag_cache *c, unsigned int obj_size,
			       unsigned int align);
void kmag_debug_init_span(struct kmag_cache *c, struct kmag_span *s);
void *kmag_debug_alloc(struct kmag_cache *c, gfp_t gfp, int nid, size_t req,
		       unsigned long ip);
bool kmag_debug_free(struct kmag_cache *c, struct kmag_span *s,
		     unsigned long owner, const void *p, unsigned long ip);
void kmag_debug_cache_added(struct kmag_cache *c);
void kmag_debug_cache_gone(struct kmag_cache *c);
/* What validate saw: objects free in spans, handed out, cached (neither). */
struct kmag_validate_sum {
	unsigned long caches, spans, objects, free, inuse, cached, rounds, errors;
};

unsigned long kmag_validate(struct kmag_cache *c, struct kmag_validate_sum *sum);
void kmag_report_ratelimit_reset(void);
unsigned long kmag_debug_track_addr(struct kmag_cache *c, const void *p, bool free);
void kmag_debug_debugfs_cache(struct kmag_cache *c);
void kmag_debug_debugfs(struct dentry *dir);
void kmag_report_invalid(const void *p, const char *why, unsigned long ip);
void kmag_report_double(struct kmag_cache *c, const void *p, unsigned long ip);
void kmag_report_corrupt(struct kmag_cache *c, const void *p, const char *why);

/*
 * sanitize.c: KASAN and kmemleak hooks, documented there. The object paths
 * call kmag_san_alloc() once an object is ready to hand out and
 * kmag_san_free() once it is taken back (a true return: the quarantine
 * took it). Without KASAN and kmemleak they are empty and cost nothing.
 */
#if IS_ENABLED(CONFIG_KASAN_GENERIC) || IS_ENABLED(CONFIG_DEBUG_KMEMLEAK)
void kmag_san_alloc(struct kmag_cache *c, void *p, size_t req, size_t usable,
		    gfp_t gfp);
bool kmag_san_free(struct kmag_cache *c, void *p, size_t usable);
void kmag_san_unpoison(const void *p, size_t size);
void kmag_san_new_span(struct kmag_cache *c, struct kmag_span *s);
void kmag_san_meta(const void *meta);
void kmag_quarantine_flush(struct kmag_cache *c);
void kmag_quarantine_pause(bool pause);
bool kmag_quarantine_reap(void);
#else
static inline void kmag_san_alloc(struct kmag_cache *c, void *p, size_t req,
				  size_t usable, gfp_t gfp) {}
static inline bool kmag_san_free(struct kmag_cache *c, void *p, size_t usable)
{
	return false;
}
static inline void kmag_san_unpoison(const void *p, size_t size) {}
static inline void kmag_san_new_span(struct kmag_cache *c, struct kmag_span *s) {}
static inline void kmag_san_meta(const void *meta) {}
static inline void kmag_quarantine_flush(struct kmag_cache *c) {}
static inline void kmag_quarantine_pause(bool pause) {}
static inline bool kmag_quarantine_reap(void)
{
	return false;
}
#endif

/*
 * Zero bytes of an object kmag owns at that moment (being handed out or
 * taken back). Under KASAN they may be poisoned (a free object, the red
 * zone past a request): kmag's own writes are not checked, as the kernel's
 * slab allocators are not instrumented at all.
 */
static __always_inline void kmag_obj_zero(void *p, size_t n)
{
#ifdef CONFIG_KASAN_GENERIC
	__memset(p, 0, n);
#else
	memset(p, 0, n);
#endif
}

/*
 * Zero a small object (if its size is a multiple of 8 and its start 8-byte
 * aligned, as in every size class) with inline 8-byte stores, four per
 * loop: for the sizes most objects have, cheaper than the call to
 * memset() and its alignment work. Larger ones, and KASAN kernels (whose
 * stores here would be checked), use kmag_obj_zero().
 */
#define KMAG_ZERO_INLINE_MAX	256
static __always_inline void kmag_slot_zero(void *p, size_t n)
{
	u64 *w = p;

	if (IS_ENABLED(CONFIG_KASAN_GENERIC) ||
	    kmag_any((n > KMAG_ZERO_INLINE_MAX) | (((unsigned long)p | n) & 7))) {
		kmag_obj_zero(p, n);
		return;
	}
	for (; n >= 32; n -= 32, w += 4) {
		WRITE_ONCE(w[0], 0);
		WRITE_ONCE(w[1], 0);
		WRITE_ONCE(w[2], 0);
		WRITE_ONCE(w[3], 0);
	}
	for (; n; n -= 8)
		WRITE_ONCE(*w++, 0);
}

/* init_on_alloc / __GFP_ZERO, init_on_free: what to zero, as SLUB. */
/*
 * Zero whole pages the way the page allocator does: clear_page(), which
 * KASAN does not check (the pages may hold poisoned free objects).
 */
static inline void kmag_pages_clear(void *p, unsigned int npages)
{
	unsigned int i;

	for (i = 0; i < npages; i++)
		clear_page(p + ((unsigned long)i << PAGE_SHIFT));
}

/*
 * Spans move between caches (and to large objects) inside kmag without
 * going through the page allocator, which would zero them under
 * init_on_alloc or init_on_free; and a cache whose objects keep their
 * contents (constructor, SLAB_TYPESAFE_BY_RCU) or whose free slots hold
 * debug patterns leaves data in the spans it gives back. So a span is
 * cleared when it is handed to its new user: always under init_on_free
 * (its objects are then not zeroed on alloc), and under init_on_alloc for
 * a user that does not zero on alloc (constructor, SLAB_TYPESAFE_BY_RCU).
 * Large objects are cleared on alloc under either.
 */
static inline bool kmag_span_want_clear(const struct kmag_cache *c, gfp_t gfp)
{
	return want_init_on_free() || (c->no_init && want_init_on_alloc(gfp));
}

static __always_inline bool kmag_want_zero(struct kmag_cache *c, gfp_t gfp)
{
	/* Constructed and RCU-typesafe objects only on request. */
	return want_init_on_alloc(gfp) && (!c->no_init || (gfp & __GFP_ZERO));
}

static __always_inline bool kmag_want_zero_on_free(struct kmag_cache *c)
{
	return want_init_on_free() && !c->no_init;
}

/*
 * Record that the object in slot @p (popped from a magazine or taken from a
 * span by this CPU, so its span cannot go away) is handed out: from now on one free of it is
 * valid. A bit already set means kmag itself handed @p out twice.
 */
static __always_inline void kmag_obj_mark(struct kmag_cache *c, void *p)
{
	struct kmag_span *s = kmag_obj_span(p);
	unsigned long idx = (((unsigned long)p - s->base) * c->divmagic) >> 32;

	if (unlikely(!kmag_inuse_set(c, s, idx)))
		kmag_report_corrupt(c, p + c->red_left, "handed out while in use");
}

/* What taking object @p of a small span back found. */
enum kmag_take {
	KMAG_TAKEN,		/* it was handed out: now it is ours */
	KMAG_NOT_START,		/* not the start of an object */
	KMAG_NOT_OUT,		/* not handed out: a double free */
	KMAG_STALE,		/* the span changed hands under a stale @p */
};

/*
 * Take object @p of span @s, read with owner word @owner (a small span),
 * back from its user: clear its in-use state, which exactly one of several
 * racing frees can do. After that the span cannot change hands until the
 * object comes back, so owner and base read again tell whether @p was
 * stale; then the state is put back as it was. Magazine lock held (IRQs
 * off: @s and its cache cannot be freed meanwhile).
 */
static __always_inline enum kmag_take kmag_obj_take(struct kmag_span *s,
						    unsigned long owner,
						    const void *p)
{
	struct kmag_cache *c = kmag_owner_cache(owner);
	unsigned long base = READ_ONCE(s->base);
	unsigned long off = (unsigned long)p - base;
	unsigned long idx = (off * c->divmagic) >> 32;
	unsigned int was;

	if (unlikely(kmag_any((idx * c->size ^ off) | (idx >= c->objs_per_span))))
		return KMAG_NOT_START;
	was = kmag_inuse_clear(c, s, idx);
	if (unlikely(!was))
		return KMAG_NOT_OUT;
	if (unlikely(kmag_any((READ_ONCE(s->owner) ^ owner) |
			      (READ_ONCE(s->base) ^ base)))) {
		kmag_inuse_restore(c, s, idx, was);
		return KMAG_STALE;
	}
	return KMAG_TAKEN;
}

#endif /* KMAG_INTERNAL_H */
