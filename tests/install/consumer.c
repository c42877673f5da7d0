/* A program outside the tree using the installed headers and libraries. */
#include <stdio.h>
#include <string.h>

#include "hipc/hipc.h"
#include "hipc/rproc.h"

int main(void)
{
	if (strcmp(hipc_strerror(-HIPC_EMSGSIZE), "message too long for one buffer") ||
	    hipc_vring_size(256, 4096) != 10246)
		return 1;
	printf("consumer ok\n");
	return 0;
}
