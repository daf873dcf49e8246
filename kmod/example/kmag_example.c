// SPDX-License-Identifier: GPL-2.0
/*
 * kmag_example: a client module using kmag the way a driver would. It keeps
 * a queue of messages: each message header comes from a named kmag cache,
 * each payload (variable size) from kmag_alloc(). Loading it fills the queue,
 * grows some payloads with kmag_realloc(), checks every byte, and frees half;
 * unloading frees the rest and destroys the cache.
 *
 * Parameters: nr_msgs (default 2000), max_payload (default 3000 bytes).
 */
#include <linux/list.h>
#include <linux/module.h>
#include <linux/random.h>
#include <linux/slab.h>

#include <kmag.h>

static unsigned int nr_msgs = 2000;
module_param(nr_msgs, uint, 0444);
MODULE_PARM_DESC(nr_msgs, "messages queued at load");
static unsigned int max_payload = 3000;
module_param(max_payload, uint, 0444);
MODULE_PARM_DESC(max_payload, "largest payload in bytes");

struct example_msg {
	struct list_head link;
	u32 seq;
	u32 len;
	u8 *payload;
};

static struct kmag_cache *msg_cache;
static LIST_HEAD(queue);
static unsigned int queued;

static void fill(u8 *p, u32 len, u32 seq)
{
	u32 i;

	for (i = 0; i < len; i++)
		p[i] = (u8)(seq * 31 + i);
}

static bool intact(const struct example_msg *m)
{
	u32 i;

	for (i = 0; i < m->len; i++)
		if (m->payload[i] != (u8)(m->seq * 31 + i))
			return false;
	return true;
}

static void msg_free(struct example_msg *m)
{
	list_del(&m->link);
	kmag_free(m->payload);
	kmag_cache_free(msg_cache, m);
	queued--;
}

static int __init example_init(void)
{
	struct example_msg *m, *tmp;
	unsigned int i, grown = 0, bad = 0;
	u8 *bigger;

	msg_cache = kmag_cache_create("kmag_example_msg", sizeof(struct example_msg),
				      0, SLAB_HWCACHE_ALIGN, NULL);
	if (!msg_cache)
		return -ENOMEM;

	for (i = 0; i < nr_msgs; i++) {
		m = kmag_cache_alloc(msg_cache, GFP_KERNEL);
		if (!m)
			goto nomem;
		m->seq = i;
		m->len = 1 + get_random_u32() % max_payload;
		m->payload = kmag_alloc(m->len, GFP_KERNEL);
		if (!m->payload) {
			kmag_cache_free(msg_cache, m);
			goto nomem;
		}
		fill(m->payload, m->len, m->seq);
		list_add_tail(&m->link, &queue);
		queued++;
	}

	/* Every tenth message grows to twice its size. */
	list_for_each_entry(m, &queue, link) {
		if (m->seq % 10)
			continue;
		bigger = kmag_realloc(m->payload, 2 * m->len, GFP_KERNEL);
		if (!bigger)
			goto nomem;
		m->payload = bigger;
		m->len *= 2;
		fill(m->payload, m->len, m->seq);
		grown++;
	}

	list_for_each_entry(m, &queue, link)
		bad += !intact(m);

	/* Consume the odd messages. */
	list_for_each_entry_safe(m, tmp, &queue, link)
		if (m->seq & 1)
			msg_free(m);

	pr_info("kmag_example: queued %u messages, grew %u payloads, %u corrupt, %u left queued\n",
		nr_msgs, grown, bad, queued);
	if (bad)
		goto fail;
	return 0;
nomem:
	pr_err("kmag_example: out of memory after %u messages\n", queued);
fail:
	list_for_each_entry_safe(m, tmp, &queue, link)
		msg_free(m);
	kmag_cache_destroy(msg_cache);
	return bad ? -EIO : -ENOMEM;
}

static void __exit example_exit(void)
{
	struct example_msg *m, *tmp;
	unsigned int freed = 0;

	list_for_each_entry_safe(m, tmp, &queue, link) {
		msg_free(m);
		freed++;
	}
	kmag_cache_destroy(msg_cache);
	pr_info("kmag_example: freed %u messages, cache destroyed\n", freed);
}

module_init(example_init);
module_exit(example_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("kmag example client: a message queue on kmag");
