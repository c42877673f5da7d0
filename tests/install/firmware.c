/* A firmware outside the tree: links hipc::remote and nothing else. */
#include "hipc/remote.h"
#include "hipc/rsc.h"

static int start(struct hipc_rpmsg_dev *dev, void *ctx)
{
	return 0;
}

HIPC_RSC_TABLE_RPMSG(rsc_table, 16, 512, 4096, HIPC_RSC_F_NS);

static const struct hipc_firmware fw = {
	.name = "consumer-fw",
	.rsc = &rsc_table,
	.rsc_size = sizeof(rsc_table),
	.start = start,
};

HIPC_FIRMWARE_MAIN(fw)
