/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for the mailbox model, every profile.  The input chooses
 * a profile (FIFO with its depth, width and software queue; IPCC or MHU
 * with its channel count), then is a script of operations on one
 * instance looped back onto a fake hardware: send, notify, tx_ready
 * (the "not full" / "channel free" event), recv, arrived, and writes by
 * an adversary into the fake hardware (FIFO contents and fill level,
 * channel flags and words, a FIFO that refuses every put) between them.
 *
 * Besides "no crash", after every operation:
 * - the bytes around the mailbox struct and around the fake hardware are
 *   unchanged, and so are the words of the software queue the profile
 *   does not use;
 * - sent + coalesced + waiting == the sends the script made that returned
 *   0, and a send fails only as the API says (width, queue full, no such
 *   channel or vring);
 * - hipc_mbox_arrived() reads at most one FIFO depth (FIFO), one message
 *   per channel (IPCC) or 32 flags per channel (MHU), never reports a
 *   vring >= 32, and reports a message as "other" only if it is >= 32;
 * - FIFO: the hardware receives the messages in the order the sends were
 *   accepted, each once (a coalesced send was one still waiting), so
 *   with no adversary writes what arrives is what was sent, in order.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hipc/error.h"
#include "hipc/mbox.h"
#include "fuzz_input.h"

#define GUARD 0xA5u
#define HW_MAX 8u       /* deepest fake FIFO */
#define LOG_MAX 64u     /* accepted sends not yet in the hardware */

#define CHECK(c)                                                              \
	do {                                                                  \
		if (!(c)) {                                                   \
			fprintf(stderr, "fuzz_mbox:%d: %s\n", __LINE__, #c);  \
			abort();                                              \
		}                                                             \
	} while (0)

/* The fake hardware: one FIFO or the channel words, looped back. */
struct hw {
	uint32_t slot[HW_MAX];
	uint32_t head, count, cap; /* FIFO */
	uint32_t stuck;            /* FIFO: refuse every put */
	uint32_t refuse_set;       /* MHU: refuse a bit still set */
	uint32_t word[HIPC_MBOX_IPCC_CHANS];
	uint32_t armed;            /* FIFO: not-full armed; chans: bit per ch */
};

static struct {
	uint8_t pre[32];
	struct hipc_mbox mb;
	uint8_t post[32];
} M;

static struct {
	uint8_t pre[32];
	struct hw hw;
	uint8_t post[32];
} H;

static uint8_t pattern[32];
static struct hipc_mbox_profile prof;
static uint32_t nchans;       /* chans, 0 for FIFO */
static uint32_t accepted;     /* sends that returned 0 */
static uint32_t reads;        /* get / take calls */
static bool tampered;
/* FIFO: accepted, not coalesced, not yet in the hardware, in order. */
static uint32_t expect[LOG_MAX];
static uint32_t e_head, e_count;
/* FIFO: what went into the hardware, in order, not yet read back. */
static uint32_t inhw[LOG_MAX];
static uint32_t i_head, i_count;

static int f_put(void *ctx, uint32_t msg)
{
	struct hw *hw = ctx;

	CHECK(hw == &H.hw);
	if (hw->stuck || hw->count >= hw->cap)
		return -HIPC_EBUSY;
	/* In the order accepted, and once. */
	CHECK(e_count > 0 && expect[e_head] == msg);
	e_head = (e_head + 1u) % LOG_MAX;
	e_count--;
	hw->slot[(hw->head + hw->count) % hw->cap] = msg;
	hw->count++;
	if (!tampered) {
		CHECK(i_count < LOG_MAX);
		inhw[(i_head + i_count) % LOG_MAX] = msg;
		i_count++;
	}
	return 0;
}

static int f_get(void *ctx, uint32_t *msg)
{
	struct hw *hw = ctx;

	CHECK(hw == &H.hw);
	reads++;
	if (hw->count == 0)
		return -HIPC_EAGAIN;
	*msg = hw->slot[hw->head];
	hw->head = (hw->head + 1u) % hw->cap;
	hw->count--;
	if (!tampered) {
		CHECK(i_count > 0 && inhw[i_head] == *msg);
		i_head = (i_head + 1u) % LOG_MAX;
		i_count--;
	}
	return 0;
}

static void f_want(void *ctx, bool on)
{
	struct hw *hw = ctx;

	CHECK(hw == &H.hw);
	hw->armed = on;
}

static const struct hipc_mbox_hw_ops fifo_ops = {
	.put = f_put, .get = f_get, .want_not_full = f_want,
};

static int c_put(void *ctx, unsigned ch, uint32_t bits)
{
	struct hw *hw = ctx;

	CHECK(hw == &H.hw && ch < nchans && bits != 0);
	if (prof.kind == HIPC_MBOX_KIND_IPCC) {
		CHECK(bits == 1u);
		if (hw->word[ch])
			return -HIPC_EBUSY;
		hw->word[ch] = 1;
		return 0;
	}
	if (hw->refuse_set && (hw->word[ch] & bits))
		return -HIPC_EBUSY;
	hw->word[ch] |= bits;
	return 0;
}

static uint32_t c_take(void *ctx, unsigned ch)
{
	struct hw *hw = ctx;
	uint32_t w;

	CHECK(hw == &H.hw && ch < nchans);
	reads++;
	w = hw->word[ch];
	hw->word[ch] = 0;
	return w;
}

static void c_want(void *ctx, unsigned ch, bool on)
{
	struct hw *hw = ctx;

	CHECK(hw == &H.hw && ch < nchans);
	if (on)
		hw->armed |= 1u << ch;
	else
		hw->armed &= ~(1u << ch);
}

static const struct hipc_mbox_chan_ops chan_ops = {
	.put = c_put, .take = c_take, .want_free = c_want,
};

static unsigned bits(uint32_t w)
{
	unsigned n = 0;

	for (; w; w &= w - 1u)
		n++;
	return n;
}

/* Messages waiting in software, from the instance's queue. */
static uint32_t waiting(void)
{
	const struct hipc_mbox *mb = &M.mb;
	uint32_t n = 0;

	switch (prof.kind) {
	case HIPC_MBOX_KIND_FIFO:
		return mb->q_count;
	case HIPC_MBOX_KIND_IPCC:
		CHECK((mb->q[0] >> 1 >> (nchans - 1u)) == 0);
		return bits(mb->q[0]);
	default:
		for (uint32_t ch = 0; ch < nchans; ch++)
			n += bits(mb->q[ch]);
		return n;
	}
}

static uint32_t swq(void)
{
	return prof.swq_len ? prof.swq_len : HIPC_MBOX_SWQ_LEN;
}

static void check_all(void)
{
	const struct hipc_mbox *mb = &M.mb;
	uint32_t used, i;

	CHECK(memcmp(M.pre, pattern, sizeof(pattern)) == 0);
	CHECK(memcmp(M.post, pattern, sizeof(pattern)) == 0);
	CHECK(memcmp(H.pre, pattern, sizeof(pattern)) == 0);
	CHECK(memcmp(H.post, pattern, sizeof(pattern)) == 0);
	/* The queue words the profile does not use stay as init left them. */
	used = prof.kind == HIPC_MBOX_KIND_FIFO ? swq()
	       : prof.kind == HIPC_MBOX_KIND_IPCC ? 1u : nchans + 1u;
	for (i = used; i < HIPC_MBOX_SWQ_LEN; i++)
		CHECK(mb->q[i] == 0);
	CHECK(mb->kind == prof.kind);
	if (prof.kind == HIPC_MBOX_KIND_FIFO) {
		CHECK(mb->q_count <= swq() && mb->q_head < swq());
		/* What waits in software is what the model expects next. */
		CHECK(e_count == mb->q_count);
		for (i = 0; i < e_count; i++)
			CHECK(mb->q[(mb->q_head + i) % swq()] ==
			      expect[(e_head + i) % LOG_MAX]);
	} else {
		CHECK(mb->q_head < nchans);
	}
	CHECK(mb->sent + mb->coalesced + waiting() == accepted);
	CHECK(mb->busy >= mb->queued);
}

static void after_send(uint32_t msg, int rc, uint32_t coal, bool valid)
{
	const struct hipc_mbox *mb = &M.mb;

	if (!valid) {
		CHECK(rc == -HIPC_EINVAL || rc == -HIPC_EMSGSIZE);
		return;
	}
	if (rc != 0) {
		CHECK(prof.kind == HIPC_MBOX_KIND_FIFO &&
		      rc == -HIPC_ENOSPC && mb->q_count == swq());
		return;
	}
	accepted++;
	if (mb->coalesced != coal) {
		CHECK(mb->coalesced == coal + 1u);
		CHECK(!hipc_mbox_is_ctrl(msg) ||
		      prof.kind != HIPC_MBOX_KIND_FIFO);
	}
}

/* The FIFO's model of a send: appended to what goes to the hardware
 * before the call; taken back if the call refuses it or merges it with a
 * copy still waiting. */
static void op_send(struct in *in, bool notify)
{
	struct hipc_mbox *mb = &M.mb;
	uint32_t b = get8(in), msg, coal = mb->coalesced, wbits, i;
	bool valid, fifo = prof.kind == HIPC_MBOX_KIND_FIFO, waits = false;
	int rc;

	if (notify) {
		msg = b & 0x80 ? b & 0x7f : b & 31u;
	} else {
		switch (b & 3) {
		case 0: msg = b >> 2; break;
		case 1: msg = HIPC_MBOX_CTRL_BASE + (b >> 2); break;
		case 2: msg = get32(in); break;
		default: msg = 1u << (b >> 3); break;
		}
	}
	if (fifo) {
		wbits = prof.width ? prof.width : 32u;
		valid = wbits == 32u || (msg >> wbits) == 0;
	} else {
		valid = msg < nchans * (prof.kind == HIPC_MBOX_KIND_MHU ? 32u
									 : 1u);
	}
	if (notify && msg >= HIPC_MBOX_VRINGS)
		valid = false;
	if (fifo && valid) {
		CHECK(e_count < LOG_MAX);
		expect[(e_head + e_count) % LOG_MAX] = msg;
		e_count++;
	}
	rc = notify ? hipc_mbox_notify(mb, msg) : hipc_mbox_send(mb, msg);
	if (fifo && valid && (rc != 0 || mb->coalesced != coal)) {
		/* Never put: the last entry is still ours to take back. */
		CHECK(e_count > 0 &&
		      expect[(e_head + e_count - 1u) % LOG_MAX] == msg);
		e_count--;
		/* Merged only with a copy that still waits. */
		for (i = 0; i < e_count; i++)
			waits |= expect[(e_head + i) % LOG_MAX] == msg;
		CHECK(rc != 0 || waits);
	}
	after_send(msg, rc, coal, valid);
}

static void op_tx_ready(void)
{
	unsigned left = hipc_mbox_tx_ready(&M.mb);

	CHECK(left == waiting());
	if (prof.kind == HIPC_MBOX_KIND_FIFO && left == 0)
		CHECK(!H.hw.armed);
}

static void op_recv(void)
{
	uint32_t msg = 0xDEADBEEF, before = reads;
	int rc = hipc_mbox_recv(&M.mb, &msg);

	CHECK(rc == 0 || rc == -HIPC_EAGAIN);
	CHECK(reads - before <= (nchans ? nchans : 1u));
	if (rc == 0 && prof.kind != HIPC_MBOX_KIND_FIFO)
		CHECK(msg < nchans *
			    (prof.kind == HIPC_MBOX_KIND_MHU ? 32u : 1u));
}

static void op_arrived(void)
{
	uint32_t vr = 0xDEADBEEF, other = 0xDEADBEEF, before = reads, max;
	int n = hipc_mbox_arrived(&M.mb, &vr, &other);

	if (prof.kind == HIPC_MBOX_KIND_FIFO)
		max = prof.depth ? prof.depth : HIPC_MBOX_HW_DEPTH;
	else
		max = nchans * (prof.kind == HIPC_MBOX_KIND_MHU ? 32u : 1u);
	CHECK(n >= 0 && (uint32_t)n <= max);
	/* Every message read was a vring bit or the one "other". */
	CHECK(bits(vr) <= (uint32_t)n);
	CHECK(other == 0 || other >= HIPC_MBOX_VRINGS);
	if (n == 0)
		CHECK(vr == 0 && other == 0);
	/* Bounded reads of the hardware: one per message and a last empty
	 * one (FIFO), a sweep of the channels per message (IPCC, MHU). */
	if (prof.kind == HIPC_MBOX_KIND_FIFO)
		CHECK(reads - before <= max + 1u);
	else
		CHECK(reads - before <= (max + 1u) * nchans);
	if (prof.kind == HIPC_MBOX_KIND_MHU && other)
		CHECK(other < nchans * 32u);
}

static void op_adversary(struct in *in, uint32_t op)
{
	struct hw *hw = &H.hw;
	uint32_t b = get8(in);

	tampered = true;
	if (prof.kind == HIPC_MBOX_KIND_FIFO) {
		switch (op & 3) {
		case 0: /* a message of its own into the FIFO */
			if (hw->count < hw->cap) {
				hw->slot[(hw->head + hw->count) % hw->cap] =
					get32(in);
				hw->count++;
			}
			break;
		case 1: /* rewrite a slot */
			hw->slot[b % hw->cap] = get32(in);
			break;
		case 2: /* drop or fill */
			hw->count = b % (hw->cap + 1u);
			break;
		default:
			hw->stuck = b & 1;
			break;
		}
	} else {
		uint32_t ch = b % nchans;

		switch (op & 3) {
		case 0:
			hw->word[ch] = get32(in);
			break;
		case 1:
			hw->word[ch] |= 1u << (get8(in) & 31);
			break;
		case 2:
			hw->word[ch] = 0;
			break;
		default:
			hw->refuse_set = b & 1;
			break;
		}
	}
}

static bool setup(struct in *in)
{
	uint32_t k = get8(in), a = get8(in), b = get8(in);

	memset(pattern, GUARD, sizeof(pattern));
	memset(&M, GUARD, sizeof(M));
	memset(&H, GUARD, sizeof(H));
	memset(&H.hw, 0, sizeof(H.hw));
	memset(&prof, 0, sizeof(prof));
	accepted = reads = 0;
	e_head = e_count = i_head = i_count = 0;
	tampered = false;
	prof.kind = (uint8_t)(k % 3);
	if (prof.kind == HIPC_MBOX_KIND_FIFO) {
		prof.depth = (uint8_t)(a & 7);
		prof.width = (uint8_t)(a >> 3 & 1 ? 0 : 1 + (b & 31));
		prof.swq_len = (uint8_t)((b >> 5) * 2);
		prof.fifo = &fifo_ops;
		H.hw.cap = 1 + (k >> 2) % HW_MAX;
		nchans = 0;
	} else {
		nchans = 1 + a % (prof.kind == HIPC_MBOX_KIND_IPCC
					  ? HIPC_MBOX_IPCC_CHANS
					  : HIPC_MBOX_MHU_CHANS);
		prof.chans = (uint8_t)nchans;
		prof.chan = &chan_ops;
		H.hw.refuse_set = b & 1;
	}
	return hipc_mbox_init_profile(&M.mb, &prof, &H.hw) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct in in = { data, size, 0 };

	CHECK(setup(&in));
	check_all();
	while (in.i < in.n) {
		uint32_t op = get8(&in);

		switch ((op >> 2) % 8) {
		case 0:
		case 1:
			op_send(&in, op & 1);
			break;
		case 2:
			op_tx_ready();
			break;
		case 3:
			op_recv();
			break;
		case 4:
		case 5:
			op_arrived();
			break;
		default:
			op_adversary(&in, op);
			break;
		}
		check_all();
	}
	return 0;
}
