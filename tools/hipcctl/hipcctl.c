// SPDX-License-Identifier: BSD-3-Clause
/*
 * hipcctl: control and inspect hipc remote processors.
 *
 *   hipcctl inspect FIRMWARE.elf
 *
 * Subcommands live in one table so each new one (list, start, stop, status,
 * trace) is a function and a row, and usage text cannot drift from what is
 * accepted.  Exit status: 0 success, 1 the operation failed, 2 bad usage.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hipc/error.h"
#include "hipc/fwimage.h"
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

static const struct hipcctl_cmd commands[] = {
	{ "inspect", "FIRMWARE.elf",
	  "show a firmware image's ELF facts and its resource table",
	  cmd_inspect },
};

#define NUM_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *out)
{
	fprintf(out, "usage: %s COMMAND [ARGS...]\n\ncommands:\n", progname);
	for (size_t i = 0; i < NUM_COMMANDS; i++)
		fprintf(out, "  %-8s %-14s %s\n", commands[i].name,
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

int main(int argc, char **argv)
{
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
