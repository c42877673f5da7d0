// SPDX-License-Identifier: BSD-3-Clause
/*
 * hipcctl: control and inspect hipc remote processors.
 *
 *   hipcctl inspect FIRMWARE.elf
 *   hipcctl [-r RUN_DIR] list | status NAME | start NAME | stop NAME |
 *           trace NAME | attach NAME | detach NAME
 *
 * All but inspect talk to hipcd over RUN_DIR/hipcd.sock: one request
 * ("COMMAND NAME"), one reply ("ok" or "error: ..." on the first line, then
 * the output).
 * Subcommands live in one table so each new one (list, start, stop, status,
 * trace) is a function and a row, and usage text cannot drift from what is
 * accepted.  Exit status: 0 success, 1 the operation failed, 2 bad usage.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "hipc/error.h"
#include "hipc/fwimage.h"
#include "hipc/rproc.h"
#include "hipc/rsc.h"

#define EXIT_USAGE 2

struct hipcctl_cmd {
	const char *name;
	const char *args;
	const char *help;
	/* argv[0] is the subcommand's name. */
	int (*run)(const struct hipcctl_cmd *cmd, int argc, char **argv);
};

static const char *progname = "hipcctl";

static int cmd_inspect(const struct hipcctl_cmd *cmd, int argc, char **argv);
static int cmd_daemon(const struct hipcctl_cmd *cmd, int argc, char **argv);

static const struct hipcctl_cmd commands[] = {
	{ "inspect", "FIRMWARE.elf",
	  "show a firmware image's ELF facts and its resource table",
	  cmd_inspect },
	{ "list", "", "every remote hipcd manages, with its state", cmd_daemon },
	{ "status", "NAME", "state, pid, crashes, memory map of a remote",
	  cmd_daemon },
	{ "start", "NAME", "boot (or attach to) a remote", cmd_daemon },
	{ "stop", "NAME", "shut a remote down (forced after a timeout)",
	  cmd_daemon },
	{ "trace", "NAME", "print a remote's trace buffer", cmd_daemon },
	{ "attach", "NAME", "take over a remote that runs on its own",
	  cmd_daemon },
	{ "detach", "NAME", "let go of an attached remote (it keeps running)",
	  cmd_daemon },
	{ "services", "[NAME] [--json]",
	  "announced services, their addresses and interfaces", cmd_daemon },
	{ "stats", "[NAME] [--json]",
	  "counters per remote and per interface", cmd_daemon },
};

#define NUM_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *out)
{
	fprintf(out, "usage: %s COMMAND [ARGS...]\n\ncommands:\n", progname);
	for (size_t i = 0; i < NUM_COMMANDS; i++)
		fprintf(out, "  %-8s %-16s %s\n", commands[i].name,
			commands[i].args, commands[i].help);
}

static int cmd_usage(const struct hipcctl_cmd *cmd)
{
	fprintf(stderr, "usage: %s %s %s\n", progname, cmd->name, cmd->args);
	return EXIT_USAGE;
}

static int cmd_inspect(const struct hipcctl_cmd *cmd, int argc, char **argv)
{
	struct hipc_fwimage img;
	const char *path, *machine;
	char err[256];
	int ret;

	if (argc != 2)
		return cmd_usage(cmd);
	path = argv[1];
	ret = hipc_fwimage_load(&img, path, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "%s %s: %s: %s\n", progname, cmd->name, path,
			err);
		return EXIT_FAILURE;
	}

	machine = hipc_fwimage_machine_name(img.machine);
	printf("file        %s (%zu bytes)\n", path, img.size);
	printf("format      ELF%u little-endian, machine %s (%u)\n",
	       img.elf_class, machine ? machine : "unknown", img.machine);
	if (img.elf_class == 64)
		printf("entry       0x%016" PRIx64 "\n", img.entry);
	else
		printf("entry       0x%08" PRIx64 "\n", img.entry);
	printf("section     .resource_table at address 0x%" PRIx64
	       ", %zu bytes (file offset 0x%zx)\n",
	       img.rsc_addr, img.rsc_size, img.rsc_off);

	ret = hipc_rsc_print(stdout, hipc_fwimage_rsc(&img), img.rsc_size);
	hipc_fwimage_release(&img);
	if (ret) {
		fprintf(stderr, "%s %s: %s: %s\n", progname, cmd->name, path,
			hipc_strerror(ret));
		return EXIT_FAILURE;
	}
	return EXIT_SUCCESS;
}

/* One request to hipcd, its reply printed; exit status from its first line. */
static int cmd_daemon(const struct hipcctl_cmd *cmd, int argc, char **argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	static char reply[65536 + 1];
	char req[256], dir[200];
	const char *body;
	ssize_t n;
	int fd, ret;

	/* "NAME": exactly one; "[...]": up to two, optional; "": none. */
	if (cmd->args[0] == '[' ? argc > 3 : argc != (cmd->args[0] ? 2 : 1))
		return cmd_usage(cmd);
	ret = hipc_sim_run_dir(dir, sizeof(dir), 0);
	if (ret) {
		fprintf(stderr, "%s: run directory %s: %s (is hipcd "
			"running?)\n", progname, dir, hipc_strerror(ret));
		return EXIT_FAILURE;
	}
	if ((size_t)snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/hipcd.sock",
			     dir) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "%s: run directory path too long\n", progname);
		return EXIT_FAILURE;
	}
	snprintf(req, sizeof(req), "%s%s%s%s%s", argv[0], argc > 1 ? " " : "",
		 argc > 1 ? argv[1] : "", argc > 2 ? " " : "",
		 argc > 2 ? argv[2] : "");
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "%s: %s: %s (is hipcd running?)\n", progname,
			sa.sun_path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return EXIT_FAILURE;
	}
	do
		n = send(fd, req, strlen(req), MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	do
		n = n < 0 ? n : recv(fd, reply, sizeof(reply) - 1, 0);
	while (n < 0 && errno == EINTR);
	close(fd);
	if (n <= 0) {
		fprintf(stderr, "%s: no reply from hipcd\n", progname);
		return EXIT_FAILURE;
	}
	reply[n] = 0;
	if (!strncmp(reply, "ok\n", 3)) {
		fputs(reply + 3, stdout);
		return EXIT_SUCCESS;
	}
	body = !strncmp(reply, "error: ", 7) ? reply + 7 : reply;
	fprintf(stderr, "%s %s: %s", progname, cmd->name, body);
	return EXIT_FAILURE;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && !strcmp(argv[1], "-r")) {
		setenv("HIPC_RUN_DIR", argv[2], 1);
		argv[2] = argv[0];
		argc -= 2;
		argv += 2;
	}
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "--help")) {
		usage(stdout);
		return EXIT_SUCCESS;
	}
	for (size_t i = 0; i < NUM_COMMANDS; i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].run(&commands[i], argc - 1,
					       argv + 1);
	fprintf(stderr, "%s: unknown command '%s'\n\n", progname, argv[1]);
	usage(stderr);
	return EXIT_USAGE;
}
