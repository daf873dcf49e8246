// SPDX-License-Identifier: GPL-2.0
/*
 * NUMA locality (§17): each CPU's home node, the static key that is on only
 * where more than one node has memory, and the per-node counters of debugfs
 * "nodes" (stats.c). The policies themselves live where they act: per-node
 * depots in central.c, the refill order in magazine.c, remote frees in
 * api.c.
 */
#include <linux/cpumask.h>
#include <linux/nodemask.h>
#include <linux/percpu.h>
#include <linux/topology.h>

#include "kmag_internal.h"

struct kmag_node_stat __percpu *kmag_node_stats;

/* On while more than one node has memory (set once, at load). */
DEFINE_STATIC_KEY_FALSE(kmag_numa_key);
EXPORT_SYMBOL_NS_GPL(kmag_numa_key, KMAG_INTERNAL);

/*
 * Each CPU's home node (kmag_home_node(); tests: kmag_cpu_home()), at load.
 * Not _READ_MOSTLY: a module's per-CPU data must be in .data..percpu.
 */
DEFINE_PER_CPU(int, kmag_home_nid);

/* @cpu's node if it has memory, else the nearest node that has some. */
static int kmag_home_of(int cpu)
{
	int nid = cpu_to_mem(cpu), best = NUMA_NO_NODE, n;

	if (nid != NUMA_NO_NODE && node_state(nid, N_MEMORY))
		return nid;
	for_each_node_state(n, N_MEMORY) {
		if (best == NUMA_NO_NODE ||
		    (nid != NUMA_NO_NODE &&
		     node_distance(nid, n) < node_distance(nid, best)))
			best = n;
	}
	return best == NUMA_NO_NODE ? first_memory_node : best;
}

/**
 * kmag_cpu_home() - the home node of a CPU
 * @cpu: a possible CPU
 *
 * Fixed when kmag is loaded: @cpu's node, or the nearest node with memory
 * if @cpu's node has none.
 *
 * Context: any context.
 * Return: the node id.
 */
int kmag_cpu_home(int cpu)
{
	return per_cpu(kmag_home_nid, cpu);
}
EXPORT_SYMBOL_NS_GPL(kmag_cpu_home, KMAG_INTERNAL);

/**
 * kmag_numa_alloc_count() - count a small object handed out, by locality
 * @p: the object's slot, just handed out by this CPU
 *
 * Called only while kmag_numa() is on.
 *
 * Context: any context; the caller holds @p (its span cannot change).
 */
void kmag_numa_alloc_count(const void *p)
{
	int nid = kmag_obj_span(p)->nid;

	if (nid == kmag_home_node())
		this_cpu_inc(kmag_node_stats[nid].local_allocs);
	else
		this_cpu_inc(kmag_node_stats[nid].remote_allocs);
}
EXPORT_SYMBOL_NS_GPL(kmag_numa_alloc_count, KMAG_INTERNAL);

/**
 * kmag_numa_free_count() - count a free of a node-@nid object on another node
 * @nid: node of the object's memory
 *
 * Context: any context.
 */
void kmag_numa_free_count(int nid)
{
	this_cpu_inc(kmag_node_stats[nid].remote_frees);
}

/**
 * kmag_node_stat_sum() - the locality counters of a node, summed over CPUs
 * @nid: node of the memory
 * @sum: filled in
 *
 * While kmag_numa() is off nothing is counted here: every object is local.
 *
 * Context: any context; takes no lock (values may be slightly stale).
 */
void kmag_node_stat_sum(int nid, struct kmag_node_stat *sum)
{
	struct kmag_node_stat *ns;
	int cpu;

	memset(sum, 0, sizeof(*sum));
	for_each_possible_cpu(cpu) {
		ns = per_cpu_ptr(kmag_node_stats, cpu) + nid;
		sum->local_allocs += READ_ONCE(ns->local_allocs);
		sum->remote_allocs += READ_ONCE(ns->remote_allocs);
		sum->remote_frees += READ_ONCE(ns->remote_frees);
	}
}
EXPORT_SYMBOL_NS_GPL(kmag_node_stat_sum, KMAG_INTERNAL);

/*
 * Before any cache exists. Nodes that gain or lose all their memory later
 * (memory hotplug) do not change the home nodes or the key.
 */
int kmag_numa_init(void)
{
	int cpu;

	kmag_node_stats = __alloc_percpu(nr_node_ids * sizeof(struct kmag_node_stat),
					 __alignof__(struct kmag_node_stat));
	if (!kmag_node_stats)
		return -ENOMEM;
	for_each_possible_cpu(cpu)
		per_cpu(kmag_home_nid, cpu) = kmag_home_of(cpu);
	if (num_node_state(N_MEMORY) > 1)
		static_branch_enable(&kmag_numa_key);
	return 0;
}

void kmag_numa_exit(void)
{
	static_branch_disable(&kmag_numa_key);
	free_percpu(kmag_node_stats);
	kmag_node_stats = NULL;
}
