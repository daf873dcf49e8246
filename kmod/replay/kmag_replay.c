// SPDX-License-Identifier: GPL-2.0
/*
 * kmag_replay: replays a recorded allocation trace (an op file made by
 * scripts/replay/trace2ops.py from the kernel's kmem events; format in
 * README.md, "Trace replay") through kmag and through SLUB, in one boot.
 *
 *   insmod kmag_replay.ko path=/work/trace.ops [mode=both|kmag] [rounds=N]
 *
 * The whole file is read (filp_open() + kernel_read(): kernel_read_file()
 * would ask the LSMs, and 6.12's IPE warns on a read it has no rule for)
 * and validated before
 * anything is allocated for the replay: header, cache table, every op
 * (record bounds, op types and flags, slot ranges, allocation of a live
 * slot, free of a slot never allocated or already freed, sizes, caches),
 * trailing bytes. A bad file fails the load with -EINVAL and one pr_err
 * naming the byte offset and the problem.
 *
 * Replay: kmalloc-type ops go to kmag_alloc() / kmalloc(), cache ops to a
 * cache made per round with the table's object size and alignment
 * (kmag_cache_create() / kmem_cache_create()); frees to the matching free.
 * mode=both (default) runs "rounds" rounds of kmag then SLUB, interleaved,
 * and reports per round and as medians:
 *   ns/op      time spent in the ops only (ktime around runs of at most
 *              RP_SEGMENT ops; cond_resched() and sampling happen between
 *              runs, untimed), divided by the number of ops;
 *   held_peak  memory held right after the op at which the trace's live
 *              bytes (requested, kmalloc; object size, caches) peak, minus
 *              the same figure before the round: kmag's sys_bytes +
 *              metadata_bytes (kmag_stats_read(); kmag drained before the
 *              round), SLUB's slab pages (global NR_SLAB_RECLAIMABLE_B +
 *              NR_SLAB_UNRECLAIMABLE_B; the kmalloc caches shrunk before the
 *              round). The vmstat figures lag by the per-CPU deltas not yet
 *              folded (stat_threshold pages per CPU and item, a few hundred
 *              KiB in a small guest), and count every slab user of the
 *              kernel, the replay's merged caches included;
 *   series     the same held figure every "every" ops, for the last round;
 *   kmag_peak  per kmag round, at the same op: kmag's inuse_bytes +
 *              metadata_bytes minus before (what it holds less the free
 *              pages of its chunks not given back yet), and tiny_saved_bytes.
 * tiny=1 sends dup-flagged requests of 1 .. 15 bytes (kstrdup() and the
 * like) to kmag_alloc_tiny().
 * Round-up waste needs no replay: for every kmalloc-type op,
 * kmag_size_roundup(size) - size and kmalloc_size_roundup(size) - size.
 * mode=kmag replays once through kmag only (the selftest) and checks that
 * every allocation succeeds and kmag's live objects are back to their value
 * before. After each round everything still live is freed and the caches
 * destroyed. Results: /sys/kernel/debug/kmag_replay/results.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ctype.h>
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/string.h>
#include <linux/vmalloc.h>
#include <linux/vmstat.h>

#include <kmag.h>

#include "kmag_internal.h"

static char *path;
module_param(path, charp, 0444);
MODULE_PARM_DESC(path, "op file to replay (uncompressed)");
static char *mode = "both";
module_param(mode, charp, 0444);
MODULE_PARM_DESC(mode, "both: kmag and SLUB, interleaved rounds; kmag: kmag once");
static bool tiny;
module_param(tiny, bool, 0444);
MODULE_PARM_DESC(tiny, "dup-flagged 1..15-byte requests through kmag_alloc_tiny()");
static unsigned int rounds = 3;
module_param(rounds, uint, 0444);
MODULE_PARM_DESC(rounds, "rounds per allocator in mode=both (1 .. 15)");
static unsigned int every;
module_param(every, uint, 0444);
MODULE_PARM_DESC(every, "ops between held-memory samples (0: about 200 samples)");

/* The op file (little-endian). */
#define RP_MAGIC	"KMAGOPS"	/* and a NUL: 8 bytes */
#define RP_VERSION	1
#define RP_HDR_SIZE	32	/* magic, version, caches, slots, ops, flags, 0 */
#define RP_NAME_LEN	32
#define RP_CACHE_SIZE	(12 + RP_NAME_LEN)	/* id, size, align, name */
#define RP_OP_ALLOC	1	/* type, flags, cache, slot, size: 12 bytes */
#define RP_OP_FREE	2	/* type, 0, 0, slot: 8 bytes */
#define RP_ALLOC_SIZE	12
#define RP_FREE_SIZE	8
#define RP_FLAG_DUP	0x01	/* from kstrdup/kstrndup/kmemdup/... */
#define RP_KMALLOC	0xffff	/* cache field of a kmalloc-type op */

/* What a file may ask for: the replay's own memory stays bounded. */
#define RP_MAX_FILE	(256 << 20)
#define RP_MAX_CACHES	1024
#define RP_MAX_SLOTS	(1 << 20)
#define RP_MAX_OPS	(1 << 24)
#define RP_MAX_CACHE_OBJ 32768
#define RP_MAX_ROUNDS	15
#define RP_SEGMENT	256	/* ops timed in one go */
#define RP_SAMPLES	200	/* held-memory samples by default */
#define RP_RESULTS	(64 << 10)

enum rp_alloc { RP_KMAG, RP_SLUB, RP_NR };
static const char * const rp_alloc_name[RP_NR] = { "kmag", "slub" };

struct rp_cache {
	unsigned int size, align;
	char name[RP_NAME_LEN + 3];	/* "rp_" + the table's name */
	struct kmag_cache *kc;
	struct kmem_cache *sc;
};

struct rp_slot {
	void *p;
	u32 size;
	u16 cache;
	bool live;
};

struct rp_round {
	u64 ns;
	long held_peak;
	/* kmag only, at the peak: spans in use + metadata, and tiny savings. */
	long inuse_peak;
	long tiny_saved_peak;
};

struct rp {
	const u8 *buf;
	size_t len;
	u32 nr_caches, nr_slots, nr_ops;
	size_t ops_off;
	struct rp_cache *caches;
	struct rp_slot *slots;
	/* From validation. */
	u32 allocs, kmalloc_allocs, peak_op;
	u64 live_bytes_peak, live_objs_peak, req_bytes;
	u64 waste[RP_NR];
	u64 dup_small, dup_small_bytes, dup_small_waste;
	/* From the replay. */
	struct rp_round round[RP_NR][RP_MAX_ROUNDS];
	long *series[RP_NR];
	u32 nr_samples, every;
};

static struct dentry *rp_dir;

/* Little-endian fields at any offset (the file is a byte stream). */
static inline u16 rp_le16(const u8 *p)
{
	return p[0] | p[1] << 8;
}

static inline u32 rp_le32(const u8 *p)
{
	return rp_le16(p) | (u32)rp_le16(p + 2) << 16;
}
static struct debugfs_blob_wrapper rp_blob;

static __printf(3, 4) int rp_bad(const struct rp *rp, size_t off,
				 const char *fmt, ...)
{
	struct va_format vaf;
	va_list args;

	va_start(args, fmt);
	vaf.fmt = fmt;
	vaf.va = &args;
	pr_err("%s: offset %zu: %pV\n", path, off, &vaf);
	va_end(args);
	return -EINVAL;
}

static bool rp_name_ok(const char *name)
{
	const char *s;

	if (!name[0] || !memchr(name, '\0', RP_NAME_LEN))
		return false;
	for (s = name; *s; s++)
		if (!isalnum(*s) && !strchr("_.:-", *s))
			return false;
	return true;
}

/* The header and the cache table. Return: 0 or -EINVAL (reported). */
static int rp_parse_head(struct rp *rp)
{
	const u8 *b = rp->buf;
	size_t off;
	u32 i, j;

	if (rp->len < RP_HDR_SIZE)
		return rp_bad(rp, rp->len, "truncated header (%zu of %d bytes)",
			      rp->len, RP_HDR_SIZE);
	if (memcmp(b, RP_MAGIC, sizeof(RP_MAGIC)))
		return rp_bad(rp, 0, "bad magic (not a kmag op file)");
	if (rp_le32(b + 8) != RP_VERSION)
		return rp_bad(rp, 8, "version %u, expected %u",
			      rp_le32(b + 8), RP_VERSION);
	rp->nr_caches = rp_le32(b + 12);
	rp->nr_slots = rp_le32(b + 16);
	rp->nr_ops = rp_le32(b + 20);
	if (rp->nr_caches > RP_MAX_CACHES)
		return rp_bad(rp, 12, "%u caches, at most %d", rp->nr_caches,
			      RP_MAX_CACHES);
	if (!rp->nr_slots || rp->nr_slots > RP_MAX_SLOTS)
		return rp_bad(rp, 16, "%u slots, 1 .. %d", rp->nr_slots,
			      RP_MAX_SLOTS);
	if (!rp->nr_ops || rp->nr_ops > RP_MAX_OPS)
		return rp_bad(rp, 20, "%u ops, 1 .. %d", rp->nr_ops, RP_MAX_OPS);
	if (rp_le32(b + 24) || rp_le32(b + 28))
		return rp_bad(rp, 24, "flags or reserved word not 0");

	rp->caches = kcalloc(rp->nr_caches ?: 1, sizeof(*rp->caches), GFP_KERNEL);
	if (!rp->caches)
		return -ENOMEM;
	off = RP_HDR_SIZE;
	for (i = 0; i < rp->nr_caches; i++, off += RP_CACHE_SIZE) {
		struct rp_cache *c = &rp->caches[i];
		const char *name = (const char *)b + off + 12;

		if (rp->len - off < RP_CACHE_SIZE)
			return rp_bad(rp, off, "truncated cache entry %u of %u",
				      i, rp->nr_caches);
		if (rp_le32(b + off) != i)
			return rp_bad(rp, off, "cache entry %u has id %u", i,
				      rp_le32(b + off));
		c->size = rp_le32(b + off + 4);
		c->align = rp_le32(b + off + 8);
		if (!c->size || c->size > RP_MAX_CACHE_OBJ)
			return rp_bad(rp, off + 4, "cache %u: object size %u, 1 .. %d",
				      i, c->size, RP_MAX_CACHE_OBJ);
		if (c->align && (!is_power_of_2(c->align) || c->align > PAGE_SIZE))
			return rp_bad(rp, off + 8, "cache %u: alignment %u", i,
				      c->align);
		if (!rp_name_ok(name))
			return rp_bad(rp, off + 12,
				      "cache %u: name empty, unterminated or not [A-Za-z0-9_.:-]",
				      i);
		for (j = 0; j < i; j++)
			if (!strcmp(rp->caches[j].name + 3, name))
				return rp_bad(rp, off + 12,
					      "cache %u: name %s already used by cache %u",
					      i, name, j);
		snprintf(c->name, sizeof(c->name), "rp_%s", name);
	}
	rp->ops_off = off;
	return 0;
}

/*
 * Every op, without allocating anything for the replay: the slots' live
 * state is tracked in rp->slots. Computes the peak and the round-up waste.
 * Return: 0 or -EINVAL (reported).
 */
static int rp_parse_ops(struct rp *rp)
{
	const u8 *b = rp->buf;
	size_t off = rp->ops_off;
	u64 live_bytes = 0, live_objs = 0;
	u32 i;

	for (i = 0; i < rp->nr_ops; i++) {
		u32 type, flags, cache, slot, size;
		struct rp_slot *s;

		if (off >= rp->len)
			return rp_bad(rp, off, "truncated: op %u of %u missing",
				      i, rp->nr_ops);
		type = b[off];
		if (type != RP_OP_ALLOC && type != RP_OP_FREE)
			return rp_bad(rp, off, "op %u: unknown op type %u", i, type);
		if (rp->len - off < (type == RP_OP_ALLOC ? RP_ALLOC_SIZE : RP_FREE_SIZE))
			return rp_bad(rp, off, "op %u: truncated record", i);
		flags = b[off + 1];
		cache = rp_le16(b + off + 2);
		slot = rp_le32(b + off + 4);
		if (slot >= rp->nr_slots)
			return rp_bad(rp, off + 4, "op %u: slot %u out of range (%u slots)",
				      i, slot, rp->nr_slots);
		s = &rp->slots[slot];
		if (type == RP_OP_FREE) {
			if (flags || cache)
				return rp_bad(rp, off + 1, "op %u: free with nonzero flags or cache",
					      i);
			if (!s->live)
				return rp_bad(rp, off + 4,
					      "op %u: free of slot %u, never allocated or already freed",
					      i, slot);
			s->live = false;
			live_bytes -= s->size;
			live_objs--;
			off += RP_FREE_SIZE;
			continue;
		}
		size = rp_le32(b + off + 8);
		if (flags & ~RP_FLAG_DUP)
			return rp_bad(rp, off + 1, "op %u: unknown flags %#x", i, flags);
		if (s->live)
			return rp_bad(rp, off + 4, "op %u: alloc of slot %u, still live",
				      i, slot);
		if (cache != RP_KMALLOC && cache >= rp->nr_caches)
			return rp_bad(rp, off + 2, "op %u: unknown cache %u", i, cache);
		if (!size || size > KMAG_MAX_ALLOC)
			return rp_bad(rp, off + 8, "op %u: size %u, 1 .. %lu", i, size,
				      KMAG_MAX_ALLOC);
		if (cache != RP_KMALLOC && size != rp->caches[cache].size)
			return rp_bad(rp, off + 8, "op %u: size %u, cache %u has %u",
				      i, size, cache, rp->caches[cache].size);
		s->live = true;
		s->size = size;
		s->cache = cache;
		rp->allocs++;
		live_bytes += size;
		live_objs++;
		if (live_bytes > rp->live_bytes_peak) {
			rp->live_bytes_peak = live_bytes;
			rp->live_objs_peak = live_objs;
			rp->peak_op = i;
		}
		if (cache == RP_KMALLOC) {
			size_t km = kmag_size_roundup(size);

			rp->kmalloc_allocs++;
			rp->req_bytes += size;
			rp->waste[RP_KMAG] += km - size;
			rp->waste[RP_SLUB] += kmalloc_size_roundup(size) - size;
			if ((flags & RP_FLAG_DUP) && size < 16) {
				rp->dup_small++;
				rp->dup_small_bytes += size;
				rp->dup_small_waste += km - size;
			}
		}
		off += RP_ALLOC_SIZE;
	}
	if (off != rp->len)
		return rp_bad(rp, off, "%zu trailing bytes after op %u",
			      rp->len - off, rp->nr_ops);
	for (i = 0; i < rp->nr_slots; i++)
		rp->slots[i].live = false;
	return 0;
}

/*
 * Memory the allocator holds now, in bytes. For kmag, @st is filled with
 * the statistics read for it (the figures at the peak come from the same
 * read); for SLUB it is left as it is.
 */
static long rp_held(enum rp_alloc a, struct kmag_stats *st)
{
	if (a == RP_KMAG) {
		kmag_stats_read(st);
		return st->sys_bytes + st->metadata_bytes;
	}
	return (global_node_page_state_pages(NR_SLAB_RECLAIMABLE_B) +
		global_node_page_state_pages(NR_SLAB_UNRECLAIMABLE_B)) << PAGE_SHIFT;
}

/* kmag's spans in use and metadata: held, less free pages not given back yet. */
static long rp_kmag_inuse(const struct kmag_stats *st)
{
	return st->inuse_bytes + st->metadata_bytes;
}

/* Start from what the allocator holds with nothing of the replay live. */
static void rp_settle(enum rp_alloc a)
{
	int i;

	if (a == RP_KMAG) {
		kmag_drain();
		return;
	}
	for (i = 0; i <= KMALLOC_SHIFT_HIGH; i++)
		if (kmalloc_caches[KMALLOC_NORMAL][i])
			kmem_cache_shrink(kmalloc_caches[KMALLOC_NORMAL][i]);
}

static void rp_caches_destroy(struct rp *rp, enum rp_alloc a)
{
	u32 i;

	for (i = 0; i < rp->nr_caches; i++) {
		struct rp_cache *c = &rp->caches[i];

		if (a == RP_KMAG && c->kc)
			kmag_cache_destroy(c->kc);
		if (a == RP_SLUB && c->sc)
			kmem_cache_destroy(c->sc);
		c->kc = NULL;
		c->sc = NULL;
	}
}

static int rp_caches_create(struct rp *rp, enum rp_alloc a)
{
	u32 i;

	for (i = 0; i < rp->nr_caches; i++) {
		struct rp_cache *c = &rp->caches[i];

		if (a == RP_KMAG)
			c->kc = kmag_cache_create(c->name, c->size, c->align, 0, NULL);
		else
			c->sc = kmem_cache_create(c->name, c->size, c->align, 0, NULL);
		if (a == RP_KMAG ? !c->kc : !c->sc) {
			pr_err("%s: cache %s (%u bytes) not created\n",
			       rp_alloc_name[a], c->name, c->size);
			rp_caches_destroy(rp, a);
			return -ENOMEM;
		}
	}
	return 0;
}

static void *rp_kmag_alloc(struct rp *rp, u16 cache, u32 size, u8 flags)
{
	if (cache != RP_KMALLOC)
		return kmag_cache_alloc(rp->caches[cache].kc, GFP_KERNEL);
	/* tiny=1: what kstrdup()-style requests cost as tiny objects. */
	if (tiny && (flags & RP_FLAG_DUP) && size && size < 16)
		return kmag_alloc_tiny(size, 1, GFP_KERNEL);
	return kmag_alloc(size, GFP_KERNEL);
}

static void rp_free(struct rp *rp, enum rp_alloc a, struct rp_slot *s)
{
	if (a == RP_KMAG) {
		if (s->cache == RP_KMALLOC)
			kmag_free(s->p);
		else
			kmag_cache_free(rp->caches[s->cache].kc, s->p);
	} else {
		if (s->cache == RP_KMALLOC)
			kfree(s->p);
		else
			kmem_cache_free(rp->caches[s->cache].sc, s->p);
	}
	s->live = false;
}

/*
 * Ops [*i, end) of a validated file from offset *off, timed.
 * Return: 0, or -ENOMEM with *i the op that failed.
 */
static int rp_run(struct rp *rp, enum rp_alloc a, size_t *off, u32 *i, u32 end,
		  u64 *ns)
{
	const u8 *b = rp->buf;
	u64 t0 = ktime_get_ns();
	int ret = 0;

	for (; *i < end; (*i)++) {
		const u8 *op = b + *off;
		struct rp_slot *s = &rp->slots[rp_le32(op + 4)];

		if (op[0] == RP_OP_FREE) {
			rp_free(rp, a, s);
			*off += RP_FREE_SIZE;
			continue;
		}
		s->cache = rp_le16(op + 2);
		if (a == RP_KMAG)
			s->p = rp_kmag_alloc(rp, s->cache,
					     rp_le32(op + 8), op[1]);
		else if (s->cache == RP_KMALLOC)
			s->p = kmalloc(rp_le32(op + 8), GFP_KERNEL);
		else
			s->p = kmem_cache_alloc(rp->caches[s->cache].sc, GFP_KERNEL);
		if (!s->p) {
			ret = -ENOMEM;
			break;
		}
		s->live = true;
		*off += RP_ALLOC_SIZE;
	}
	*ns += ktime_get_ns() - t0;
	return ret;
}

/* One replay of the whole file through allocator @a. */
static int rp_round(struct rp *rp, enum rp_alloc a, struct rp_round *r,
		    long *series)
{
	size_t off = rp->ops_off;
	struct kmag_stats st;
	long base, base_inuse;
	u32 i = 0, j, end;
	int ret;

	ret = rp_caches_create(rp, a);
	if (ret)
		return ret;
	rp_settle(a);
	base = rp_held(a, &st);
	base_inuse = a == RP_KMAG ? rp_kmag_inuse(&st) : 0;
	r->ns = 0;
	while (i < rp->nr_ops) {
		end = min(rp->nr_ops, i + RP_SEGMENT);
		/* Stop right after the peak op, and at each sample. */
		if (i <= rp->peak_op && rp->peak_op < end)
			end = rp->peak_op + 1;
		if (i / rp->every != (end - 1) / rp->every)
			end = (i / rp->every + 1) * rp->every;
		ret = rp_run(rp, a, &off, &i, end, &r->ns);
		if (ret) {
			pr_err("%s: op %u: allocation failed\n", rp_alloc_name[a], i);
			break;
		}
		if (i == rp->peak_op + 1) {
			r->held_peak = rp_held(a, &st) - base;
			if (a == RP_KMAG) {
				r->inuse_peak = rp_kmag_inuse(&st) - base_inuse;
				r->tiny_saved_peak = st.tiny_saved_bytes;
			}
		}
		if (series && i % rp->every == 0)
			series[i / rp->every] = rp_held(a, &st) - base;
		cond_resched();
	}
	for (j = 0; j < rp->nr_slots; j++) {
		if (rp->slots[j].live)
			rp_free(rp, a, &rp->slots[j]);
		if (!(j % RP_SEGMENT))
			cond_resched();
	}
	rp_caches_destroy(rp, a);
	return ret;
}

static int rp_cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

static u64 rp_median(u64 *v, unsigned int n)
{
	sort(v, n, sizeof(*v), rp_cmp_u64, NULL);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static size_t rp_report(struct rp *rp, char *out, size_t sz, unsigned int n)
{
	u64 ns[RP_MAX_ROUNDS], held[RP_MAX_ROUNDS];
	size_t len = 0;
	unsigned int a, r;

	len += scnprintf(out + len, sz - len,
			 "file %s bytes %zu\nops %u allocs %u frees %u slots %u caches %u kmalloc_allocs %u\n",
			 path, rp->len, rp->nr_ops, rp->allocs,
			 rp->nr_ops - rp->allocs, rp->nr_slots, rp->nr_caches,
			 rp->kmalloc_allocs);
	len += scnprintf(out + len, sz - len,
			 "peak op %u live_objects %llu live_bytes %llu\n",
			 rp->peak_op, rp->live_objs_peak, rp->live_bytes_peak);
	len += scnprintf(out + len, sz - len,
			 "waste kmag %llu slub %llu requested %llu\n",
			 rp->waste[RP_KMAG], rp->waste[RP_SLUB], rp->req_bytes);
	len += scnprintf(out + len, sz - len,
			 "dup_small count %llu bytes %llu kmag_waste %llu\n",
			 rp->dup_small, rp->dup_small_bytes, rp->dup_small_waste);
	for (a = 0; a < RP_NR && n; a++) {
		if (!rp->series[a])
			continue;
		for (r = 0; r < n; r++) {
			ns[r] = div_u64(rp->round[a][r].ns * 1000, rp->nr_ops);
			held[r] = rp->round[a][r].held_peak;
			len += scnprintf(out + len, sz - len,
					 "round %u %s ps_per_op %llu held_peak %llu\n",
					 r, rp_alloc_name[a], ns[r], held[r]);
		}
		len += scnprintf(out + len, sz - len,
				 "median %s ps_per_op %llu held_peak %llu\n",
				 rp_alloc_name[a], rp_median(ns, n),
				 rp_median(held, n));
	}
	for (r = 0; r < n; r++)
		len += scnprintf(out + len, sz - len,
				 "kmag_peak %u inuse_peak %ld tiny %d tiny_saved_peak %ld\n",
				 r, rp->round[RP_KMAG][r].inuse_peak, tiny,
				 rp->round[RP_KMAG][r].tiny_saved_peak);
	for (a = 0; a < RP_NR && n; a++)
		for (r = 0; rp->series[a] && r < rp->nr_samples; r++)
			len += scnprintf(out + len, sz - len, "series %s %u %ld\n",
					 rp_alloc_name[a], r * rp->every,
					 rp->series[a][r]);
	return len;
}

static int rp_replay(struct rp *rp, bool both)
{
	unsigned int r, a, n = both ? rounds : 1;
	struct kmag_stats st;
	long live0;
	int ret = 0;

	rp->every = every ?: max(1U, rp->nr_ops / RP_SAMPLES);
	rp->nr_samples = rp->nr_ops / rp->every + 1;
	for (a = 0; a < (both ? RP_NR : 1); a++) {
		rp->series[a] = kvcalloc(rp->nr_samples, sizeof(long), GFP_KERNEL);
		if (!rp->series[a])
			return -ENOMEM;
	}
	kmag_stats_read(&st);
	live0 = st.live_objects;
	for (r = 0; r < n && !ret; r++)
		for (a = 0; a < (both ? RP_NR : 1) && !ret; a++)
			ret = rp_round(rp, a, &rp->round[a][r], rp->series[a]);
	/* CPUs' current tiny blocks are kmag-tiny objects: retired here. */
	kmag_drain();
	kmag_stats_read(&st);
	if (st.live_objects != live0) {
		pr_err("kmag live objects %ld before the replay, %ld after\n",
		       live0, st.live_objects);
		ret = ret ?: -EIO;
	}
	if (ret)
		return ret;
	pr_info("%s: %u ops replayed (%s, %u rounds), kmag live objects back to %ld\n",
		path, rp->nr_ops, both ? "kmag and slub" : "kmag", n, live0);
	rp_blob.data = kvmalloc(RP_RESULTS, GFP_KERNEL);
	if (!rp_blob.data)
		return -ENOMEM;
	rp_blob.size = rp_report(rp, rp_blob.data, RP_RESULTS, n);
	return 0;
}

/*
 * The whole regular file @name into a vmalloc()ed *@bufp; a failure is
 * reported here. Return: its length; -EINVAL if it is empty or not a
 * regular file, -EFBIG if it is larger than RP_MAX_FILE, or the error of
 * opening or reading it.
 */
static ssize_t rp_read_file(const char *name, void **bufp)
{
	struct file *f;
	loff_t size, pos = 0;
	ssize_t n = 0, ret;
	void *buf;

	f = filp_open(name, O_RDONLY, 0);
	if (IS_ERR(f)) {
		ret = PTR_ERR(f);
		goto err;
	}
	size = i_size_read(file_inode(f));
	if (!S_ISREG(file_inode(f)->i_mode) || size <= 0) {
		pr_err("%s: offset 0: empty file, or not a regular file\n", name);
		filp_close(f, NULL);
		return -EINVAL;
	}
	ret = -EFBIG;
	if (size > RP_MAX_FILE)
		goto close;
	ret = -ENOMEM;
	buf = vmalloc(size);
	if (!buf)
		goto close;
	while (pos < size) {
		n = kernel_read(f, buf + pos, size - pos, &pos);
		if (n <= 0)
			break;
	}
	if (pos != size) {
		vfree(buf);
		ret = n < 0 ? n : -EIO;
		goto close;
	}
	filp_close(f, NULL);
	*bufp = buf;
	return size;
close:
	filp_close(f, NULL);
err:
	pr_err("%s: cannot read (%zd)\n", name, ret);
	return ret;
}

static int __init rp_init(void)
{
	struct rp *rp;
	void *buf = NULL;
	ssize_t len;
	bool both = !strcmp(mode, "both");
	int ret, a;

	if (!path || !*path) {
		pr_err("no path= given\n");
		return -EINVAL;
	}
	if (!both && strcmp(mode, "kmag")) {
		pr_err("mode=%s: both or kmag\n", mode);
		return -EINVAL;
	}
	if (!rounds || rounds > RP_MAX_ROUNDS) {
		pr_err("rounds=%u: 1 .. %d\n", rounds, RP_MAX_ROUNDS);
		return -EINVAL;
	}
	len = rp_read_file(path, &buf);
	if (len < 0)
		return len;
	rp = kvzalloc(sizeof(*rp), GFP_KERNEL);
	if (!rp) {
		vfree(buf);
		return -ENOMEM;
	}
	rp->buf = buf;
	rp->len = len;
	ret = rp_parse_head(rp);
	if (!ret) {
		rp->slots = kvcalloc(rp->nr_slots, sizeof(*rp->slots), GFP_KERNEL);
		ret = rp->slots ? rp_parse_ops(rp) : -ENOMEM;
	}
	if (!ret)
		ret = rp_replay(rp, both);
	for (a = 0; a < RP_NR; a++)
		kvfree(rp->series[a]);
	kvfree(rp->slots);
	kfree(rp->caches);
	kvfree(rp);
	vfree(buf);
	if (ret)
		return ret;
	rp_dir = debugfs_create_dir("kmag_replay", NULL);
	debugfs_create_blob("results", 0444, rp_dir, &rp_blob);
	return 0;
}

static void __exit rp_exit(void)
{
	debugfs_remove_recursive(rp_dir);
	kvfree(rp_blob.data);
}

module_init(rp_init);
module_exit(rp_exit);
MODULE_IMPORT_NS(KMAG_INTERNAL);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("kmag: replay of a recorded allocation trace through kmag and SLUB");
