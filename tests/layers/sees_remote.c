/* Built against hipc_rproc's usage requirements: must not compile, since
 * the firmware runtime is no layer rproc depends on. */
#include "hipc/remote.h"

int hipc_layers_probe(void);
int hipc_layers_probe(void) { return 0; }
