/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kmag's tracepoints (theory statement §15): kmag:kmag_alloc,
 * kmag:kmag_large_alloc, kmag:kmag_cache_alloc, kmag:kmag_free and
 * kmag:kmag_cache_free, with the fields of the kernel's kmem:kmalloc,
 * kmem:kmem_cache_alloc, kmem:kfree and kmem:kmem_cache_free events.
 * An out-of-tree trace header as samples/trace_events/ has it: trace.c
 * defines CREATE_TRACE_POINTS and is built with -I$(src) (Kbuild).
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM kmag

#if !defined(_KMAG_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _KMAG_TRACE_H

#include <linux/tracepoint.h>
#include <kmag_compat.h>
#include <linux/types.h>
#include <trace/events/mmflags.h>

/*
 * kmag_alloc, kmag_large_alloc: kmem:kmalloc's fields. @ptr is never NULL
 * (failed allocations are not traced: the condition is tested only while
 * the event is on). @node is the node the caller asked for, NUMA_NO_NODE
 * (-1) for kmag_alloc() and the other calls without a node, as in kmem.
 */
DECLARE_EVENT_CLASS(kmag_alloc_class,

	TP_PROTO(unsigned long call_site, const void *ptr, size_t bytes_req,
		 size_t bytes_alloc, gfp_t gfp_flags, int node),

	TP_ARGS(call_site, ptr, bytes_req, bytes_alloc, gfp_flags, node),

	TP_STRUCT__entry(
		__field(unsigned long,	call_site)
		__field(const void *,	ptr)
		__field(size_t,		bytes_req)
		__field(size_t,		bytes_alloc)
		__field(unsigned long,	gfp_flags)
		__field(int,		node)
	),

	TP_fast_assign(
		__entry->call_site	= call_site;
		__entry->ptr		= ptr;
		__entry->bytes_req	= bytes_req;
		__entry->bytes_alloc	= bytes_alloc;
		__entry->gfp_flags	= (__force unsigned long)gfp_flags;
		__entry->node		= node;
	),

	TP_printk("call_site=%pS ptr=%p bytes_req=%zu bytes_alloc=%zu gfp_flags=%s node=%d",
		  (void *)__entry->call_site, __entry->ptr, __entry->bytes_req,
		  __entry->bytes_alloc, show_gfp_flags(__entry->gfp_flags),
		  __entry->node)
);

/* Every successful kmag_alloc*() call, small or large. */
DEFINE_EVENT_CONDITION(kmag_alloc_class, kmag_alloc,
	TP_PROTO(unsigned long call_site, const void *ptr, size_t bytes_req,
		 size_t bytes_alloc, gfp_t gfp_flags, int node),
	TP_ARGS(call_site, ptr, bytes_req, bytes_alloc, gfp_flags, node),
	TP_CONDITION(ptr)
);

/* Those above KMAG_MAX_SMALL (32 KiB) too, after their kmag_alloc event. */
DEFINE_EVENT_CONDITION(kmag_alloc_class, kmag_large_alloc,
	TP_PROTO(unsigned long call_site, const void *ptr, size_t bytes_req,
		 size_t bytes_alloc, gfp_t gfp_flags, int node),
	TP_ARGS(call_site, ptr, bytes_req, bytes_alloc, gfp_flags, node),
	TP_CONDITION(ptr)
);

/*
 * kmag_cache_alloc: kmem:kmem_cache_alloc's fields (bytes_req and
 * bytes_alloc are both the object size) and the cache's name.
 */
TRACE_EVENT_CONDITION(kmag_cache_alloc,

	TP_PROTO(unsigned long call_site, const void *ptr,
		 const struct kmag_cache *c, gfp_t gfp_flags, int node),

	TP_ARGS(call_site, ptr, c, gfp_flags, node),

	TP_CONDITION(ptr),

	TP_STRUCT__entry(
		__field(unsigned long,	call_site)
		__field(const void *,	ptr)
		__field(size_t,		bytes_req)
		__field(size_t,		bytes_alloc)
		__field(unsigned long,	gfp_flags)
		__field(int,		node)
		__string(name,		c->name)
	),

	TP_fast_assign(
		__entry->call_site	= call_site;
		__entry->ptr		= ptr;
		__entry->bytes_req	= c->obj_size;
		__entry->bytes_alloc	= c->obj_size;
		__entry->gfp_flags	= (__force unsigned long)gfp_flags;
		__entry->node		= node;
		kmag_assign_str(name, c->name);
	),

	TP_printk("call_site=%pS ptr=%p bytes_req=%zu bytes_alloc=%zu gfp_flags=%s node=%d name=%s",
		  (void *)__entry->call_site, __entry->ptr, __entry->bytes_req,
		  __entry->bytes_alloc, show_gfp_flags(__entry->gfp_flags),
		  __entry->node, __get_str(name))
);

/* kmag_free: kmem:kfree's fields; only frees kmag accepted. */
TRACE_EVENT(kmag_free,

	TP_PROTO(unsigned long call_site, const void *ptr),

	TP_ARGS(call_site, ptr),

	TP_STRUCT__entry(
		__field(unsigned long,	call_site)
		__field(const void *,	ptr)
	),

	TP_fast_assign(
		__entry->call_site	= call_site;
		__entry->ptr		= ptr;
	),

	TP_printk("call_site=%pS ptr=%p", (void *)__entry->call_site,
		  __entry->ptr)
);

/* kmag_cache_free: kmem:kmem_cache_free's fields; only accepted frees. */
TRACE_EVENT(kmag_cache_free,

	TP_PROTO(unsigned long call_site, const void *ptr,
		 const struct kmag_cache *c),

	TP_ARGS(call_site, ptr, c),

	TP_STRUCT__entry(
		__field(unsigned long,	call_site)
		__field(const void *,	ptr)
		__string(name,		c->name)
	),

	TP_fast_assign(
		__entry->call_site	= call_site;
		__entry->ptr		= ptr;
		kmag_assign_str(name, c->name);
	),

	TP_printk("call_site=%pS ptr=%p name=%s", (void *)__entry->call_site,
		  __entry->ptr, __get_str(name))
);

#endif /* _KMAG_TRACE_H */

/* Outside the guard: define_trace.h reads this header again. */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE kmag_trace
#include <trace/define_trace.h>
