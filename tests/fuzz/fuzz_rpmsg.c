/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for everything that reads shared memory: a driver-role
 * and a device-role rpmsg device share one region (between guard pages when
 * built by scripts/fuzz.sh); the input is a script of operations on both
 * sides and of arbitrary writes by an adversary into the region between
 * them: bytes anywhere, or a whole rpmsg header (source, destination,
 * length, flags) and a name-service message written into a buffer, as a
 * peer forging messages would.  The sanitizers and the guard pages report
 * any access outside the region, a receive callback checks that it is
 * given a payload inside the buffer pool that fits a buffer and a name
 * that is terminated; the loop bounds everything else.
 */
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include "hipc/rpmsg.h"

#define NUM 16u
#define BUF 256u
#define RING 1024u
#define REGION (2u * RING + 2u * NUM * BUF)

struct side {
	struct hipc_rpmsg_dev dev;
	struct hipc_port port;
	struct hipc_rpmsg_ept *b[16];
};

static uint8_t *region;
static struct hipc_region reg;
static struct hipc_memmap map = { &reg, 1 };
static struct side D, R;
static uint64_t storage[(2 * NUM * sizeof(struct hipc_vring_slot) + 4 * NUM) / 8 + 1];
static struct hipc_rpmsg_ept dept, rept;

static int notify(void *ctx, uint32_t id) { (void)ctx; (void)id; return 0; }
static const struct hipc_port_ops ops = { .notify = notify };

static int rx(struct hipc_rpmsg_ept *e, void *d, size_t l, uint32_t s, void *p)
{
	volatile uint8_t x = 0;

	/* the payload lies in the buffer pool and fits a buffer */
	if ((uint8_t *)d < region + 2 * RING || l > BUF - 16 ||
	    (uint8_t *)d + l > region + REGION)
		__builtin_trap();
	for (size_t i = 0; i < l; i++) /* read every byte we were given */
		x ^= ((uint8_t *)d)[i];
	(void)e, (void)s, (void)p, (void)x;
	return 0;
}

static void ns(struct hipc_rpmsg_dev *dev, const char *name, uint32_t addr,
	       bool destroyed, void *priv)
{
	(void)dev, (void)addr, (void)destroyed, (void)priv;
	if (strlen(name) > 31) /* must always be terminated */
		__builtin_trap();
}

static void setup(uint32_t features)
{
	struct hipc_rpmsg_dev_config c;

	if (!region) {
		size_t pg = 4096, len = (REGION + pg - 1) / pg * pg;
		uint8_t *p = mmap(NULL, len + 2 * pg, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		mprotect(p, pg, PROT_NONE);
		mprotect(p + pg + len, pg, PROT_NONE);
		region = p + pg + len - REGION;
	}
	memset(region, 0, REGION);
	reg.da = 0x40000000u;
	reg.va = region;
	reg.size = REGION;
	memset(&c, 0, sizeof(c));
	c.role = HIPC_RPMSG_DRIVER;
	c.vring_da[0] = reg.da;
	c.vring_da[1] = reg.da + RING;
	c.notifyid[1] = 1;
	c.num = NUM;
	c.align = 16;
	c.features = features;
	c.buf_size = BUF;
	c.bufs = region + 2 * RING;
	c.map = &map;
	c.storage = storage;
	c.storage_size = sizeof(storage);
	c.buckets = D.b;
	c.nbuckets = 16;
	D.port.ops = &ops;
	c.port = &D.port;
	c.ns_cb = ns;
	hipc_rpmsg_dev_init(&D.dev, &c);
	c.role = HIPC_RPMSG_DEVICE;
	c.bufs = NULL;
	c.storage = NULL;
	c.storage_size = 0;
	c.buckets = R.b;
	R.port.ops = &ops;
	c.port = &R.port;
	hipc_rpmsg_dev_init(&R.dev, &c);
	hipc_rpmsg_ept_create(&rept, &R.dev, "svc", 1024, 1024, rx, NULL);
	hipc_rpmsg_ept_create(&dept, &D.dev, "svc", 1024, 1024, rx, NULL);
	hipc_rpmsg_dev_start(&D.dev);
	hipc_rpmsg_dev_start(&R.dev);
	/* With HIPC_RPMSG_F_CRC: both endpoints send a CRC trailer, and
	 * every marked message the adversary forges is checked. */
	hipc_rpmsg_ept_set_crc(&rept, true);
	hipc_rpmsg_ept_set_crc(&dept, true);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t msg[BUF];
	size_t i = 1;

	if (size < 1)
		return 0;
	setup((data[0] & 1 ? 1u : 0u) | (data[0] & 2 ? 1u << 29 : 0u) |
	      (data[0] & 4 ? 1u << HIPC_RPMSG_F_CRC : 0u));
	memset(msg, 0x3C, sizeof(msg));
	while (i < size) {
		uint8_t op = data[i++];

		switch (op % 8) {
		case 0:
			hipc_rpmsg_trysend(&dept, msg, op % (BUF - 15));
			break;
		case 1:
			hipc_rpmsg_trysend(&rept, msg, op % (BUF - 15));
			break;
		case 2:
			hipc_rpmsg_poll(&D.dev, 0);
			break;
		case 3:
			hipc_rpmsg_poll(&R.dev, 0);
			break;
		case 4: {
			void *p;
			uint32_t max;

			if (!hipc_rpmsg_get_tx_buffer(&R.dev, &p, &max, 0))
				hipc_rpmsg_send_nocopy(&rept, 1024, p, max);
			break;
		}
		case 5: {
			/* adversary: a forged header (and name-service body)
			 * in buffer b: src, dst, len, flags; dst 53 carries a
			 * 40-byte announcement whose name is not terminated */
			static const uint32_t addrs[] = { 53, 1024, 1025,
							  0xFFFFFFFFu, 0, 1023 };
			uint8_t h[16 + 40];
			uint32_t src, dst, len;
			size_t b, n = 16;

			if (i + 4 > size)
				return 0;
			b = data[i] % (2 * NUM);
			src = addrs[data[i + 1] % 6];
			dst = addrs[(data[i + 1] >> 3) % 6];
			len = data[i + 2] & 0x80 ? 40u : data[i + 2] * 4u;
			memset(h, 0, sizeof(h));
			memcpy(h, &src, 4);
			memcpy(h + 4, &dst, 4);
			memcpy(h + 12, &len, 2);
			h[14] = data[i + 3]; /* flags, low byte */
			if (dst == 53) {
				uint32_t flags = data[i + 3] & 1;

				memset(h + 16, 'A' + data[i + 3] % 26, 32);
				memcpy(h + 16 + 32, &src, 4);
				memcpy(h + 16 + 36, &flags, 4);
				n += 40;
			}
			memcpy(region + 2 * RING + b * BUF, h, n);
			i += 4;
			break;
		}
		default: {
			/* adversary: write 1..4 bytes at a 16-bit offset */
			size_t n = (op >> 3) % 4 + 1;
			uint32_t off;

			if (i + 2 + n > size)
				return 0;
			off = ((uint32_t)data[i] | (uint32_t)data[i + 1] << 8) %
			      (REGION - 4);
			memcpy(region + off, data + i + 2, n);
			i += 2 + n;
			break;
		}
		}
	}
	return 0;
}
