/* SPDX-License-Identifier: BSD-3-Clause */
/* Shared regions as memfds: anonymous, close-on-exec, owner-only. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hipc/error.h"
#include "hipc/linux.h"
#include "port_linux_internal.h"

int hipc_shm_create(struct hipc_shm *shm, const char *name, size_t size)
{
	int fd, err;
	void *p;

	memset(shm, 0, sizeof(*shm));
	shm->fd = -1;
	if (size == 0)
		return -HIPC_EINVAL;
	fd = memfd_create(name ? name : "hipc", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return hipc__from_errno(errno);
	/* memfds are created 0777 on some kernels: no other user may open it
	 * through /proc/PID/fd. */
	if (fchmod(fd, 0600) < 0 || ftruncate(fd, (off_t)size) < 0)
		goto fail;
	/* The peer must not be able to shrink the region under us (a SIGBUS
	 * on our side would be a crash the peer caused), nor seal it further
	 * (F_SEAL_FUTURE_WRITE would keep everyone, its next instance too,
	 * from mapping it writable). */
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) <
	    0)
		goto fail;
	if (hipc__fault_mmap()) {
		errno = ENOMEM; /* as the kernel says it */
		goto fail;
	}
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		goto fail;
	shm->fd = fd;
	shm->base = p;
	shm->size = size;
	return 0;
fail:
	err = hipc__from_errno(errno);
	close(fd);
	return err;
}

int hipc_shm_map(struct hipc_shm *shm, int fd)
{
	struct stat st;
	void *p;

	memset(shm, 0, sizeof(*shm));
	shm->fd = -1;
	if (fstat(fd, &st) < 0)
		return hipc__from_errno(errno);
	if (st.st_size <= 0)
		return -HIPC_EINVAL;
	if (hipc__fault_mmap())
		return -HIPC_ENOMEM;
	p = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		 fd, 0);
	if (p == MAP_FAILED)
		return hipc__from_errno(errno);
	shm->fd = fd;
	shm->base = p;
	shm->size = (size_t)st.st_size;
	return 0;
}

void hipc_shm_close(struct hipc_shm *shm)
{
	if (shm->base)
		munmap(shm->base, shm->size);
	if (shm->fd >= 0)
		close(shm->fd);
	shm->base = NULL;
	shm->size = 0;
	shm->fd = -1;
}
