// SPDX-License-Identifier: BSD-3-Clause
/*
 * hipcd's configuration file (docs/rproc.md): one [section] per remote,
 * "key = value" lines, every error reported with its line.
 */
#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hipcd.h"

#define MAX_MS 3600000u
#define MAX_KB 1048576u /* 1 GiB */
#define MAX_COUNT 1048576u

enum ktype {
	K_PATH, K_WORD, K_MS, K_TEXT, K_KB, K_GROUP, K_MODE,
	K_IFNAME, K_VLANS, K_REMOTE, K_COUNT,
};

const char *const w_mode[] = { "boot", "attach", NULL };
const char *const w_policy[] = { "restart", "stay", NULL };
static const char *const w_bool[] = { "no", "yes", "false", "true",
				      "off", "on", "0", "1", NULL };

static const struct key {
	const char *name;
	enum ktype type;
	const char *const *words;
	size_t off;
} keys[] = {
	{ "firmware", K_PATH, NULL, offsetof(struct rconf, firmware) },
	{ "args", K_TEXT, NULL, offsetof(struct rconf, args) },
	{ "mode", K_WORD, w_mode, offsetof(struct rconf, mode) },
	{ "policy", K_WORD, w_policy, offsetof(struct rconf, policy) },
	{ "autostart", K_WORD, w_bool, offsetof(struct rconf, autostart) },
	{ "watchdog_ms", K_MS, NULL, offsetof(struct rconf, watchdog_ms) },
	{ "watchdog_timeout_ms", K_MS, NULL,
	  offsetof(struct rconf, watchdog_timeout_ms) },
	{ "backoff_ms", K_MS, NULL, offsetof(struct rconf, backoff_ms) },
	{ "backoff_max_ms", K_MS, NULL, offsetof(struct rconf, backoff_max_ms) },
	{ "boot_timeout_ms", K_MS, NULL,
	  offsetof(struct rconf, boot_timeout_ms) },
	{ "queue_kb", K_KB, NULL, offsetof(struct rconf, queue_kb) },
	{ "stall_ms", K_MS, NULL, offsetof(struct rconf, stall_ms) },
	{ "group", K_GROUP, NULL, offsetof(struct rconf, group) },
	{ "socket_mode", K_MODE, NULL, offsetof(struct rconf, socket_mode) },
	{ "net_name", K_IFNAME, NULL, offsetof(struct rconf, net_name) },
	{ "net_vlans", K_VLANS, NULL, offsetof(struct rconf, net_vlans) },
	{ "net_frag", K_WORD, w_bool, offsetof(struct rconf, net_frag) },
	{ "p2p", K_REMOTE, NULL, offsetof(struct rconf, p2p) },
	{ "bigbuf_quota", K_COUNT, NULL, offsetof(struct rconf, bigbuf_quota) },
};

#define NKEYS (sizeof(keys) / sizeof(keys[0]))
_Static_assert(NKEYS <= sizeof(((struct rconf *)0)->set_at) /
			       sizeof(unsigned), "rconf.set_at");

static void cerr(struct conf *c, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void cerr(struct conf *c, unsigned line, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line)
		logf_("%s:%u: %s", c->path, line, msg);
	else
		logf_("%s: %s", c->path, msg);
	c->errors++;
}

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = 0;
	return s;
}

/* A name hipcctl can pass and a socket can carry: no spaces, no '/'. */
static bool good_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 31 || s[0] == '.' || s[0] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("_-.", s[i]))
			return false;
	return true;
}

static void list_words(const char *const *w, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = 0;
	for (unsigned i = 0; w[i] && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s%s", i ? ", " : "",
				      w[i]);
}

/* Index of @key in keys[], NKEYS if there is none. */
static unsigned find_key(const char *key)
{
	unsigned ki;

	for (ki = 0; ki < NKEYS; ki++)
		if (!strcmp(keys[ki].name, key))
			break;
	return ki;
}

static void unknown_key(struct conf *c, const struct rconf *r, unsigned line,
			const char *key)
{
	char allowed[256];
	size_t o = 0;

	for (unsigned i = 0; i < NKEYS; i++)
		o += (size_t)snprintf(allowed + o, sizeof(allowed) - o, "%s%s",
				      i ? ", " : "", keys[i].name);
	cerr(c, line, "unknown setting '%s' in [%s] (known: %s)", key, r->name,
	     allowed);
}

/* A relative path is taken from the configuration file's directory. */
static void set_path(struct conf *c, struct rconf *r, const struct key *k,
		     unsigned line, const char *val)
{
	char *dst = (char *)r + k->off;
	int n = val[0] == '/' ? snprintf(dst, PATH_MAX, "%s", val)
			      : snprintf(dst, PATH_MAX, "%s/%s", c->dir, val);

	if (n < 0 || n >= PATH_MAX)
		cerr(c, line, "'%s' path too long", k->name);
}

static void set_text(struct conf *c, struct rconf *r, const struct key *k,
		     unsigned line, const char *val)
{
	if ((size_t)snprintf((char *)r + k->off, sizeof(r->args), "%s", val) >=
	    sizeof(r->args))
		cerr(c, line, "'%s' longer than %zu bytes", k->name,
		     sizeof(r->args) - 1);
}

/* A group name (or number) that exists. */
static void set_group(struct conf *c, struct rconf *r, const struct key *k,
		      unsigned line, const char *val)
{
	unsigned *dst = (unsigned *)((char *)r + k->off);
	struct group *g = getgrnam(val);
	char *end;
	unsigned long x;

	if (g) {
		*dst = (unsigned)g->gr_gid;
		return;
	}
	errno = 0;
	x = strtoul(val, &end, 10);
	if (!errno && !*end && isdigit((unsigned char)*val) &&
	    x < 0xffffffffUL) {
		*dst = (unsigned)x;
		return;
	}
	cerr(c, line, "no group '%s' on this system (%s)", val,
	     "getent group lists them");
}

/* An octal mode for sockets and ttys: read/write bits only. */
static void set_mode(struct conf *c, struct rconf *r, const struct key *k,
		     unsigned line, const char *val)
{
	unsigned *dst = (unsigned *)((char *)r + k->off);
	unsigned long x;
	char *end;

	errno = 0;
	x = strtoul(val, &end, 8);
	if (errno || *end || end == val || (x & ~0666ul) || !(x & 0600)) {
		cerr(c, line, "bad value '%s' for %s (allowed: an octal mode "
		     "of read and write bits with the owner's set, like 0660)",
		     val, k->name);
		return;
	}
	*dst = (unsigned)x;
}

/* One of k->words; what is stored is its index in the list. */
static void set_word(struct conf *c, struct rconf *r, const struct key *k,
		     unsigned line, const char *val)
{
	unsigned *dst = (unsigned *)((char *)r + k->off);
	char allowed[256];

	for (unsigned i = 0; k->words[i]; i++)
		if (!strcmp(k->words[i], val)) {
			/* the bool list pairs no/yes: parity */
			*dst = k->words == w_bool ? i & 1u : i;
			return;
		}
	list_words(k->words, allowed, sizeof(allowed));
	cerr(c, line, "bad value '%s' for %s (allowed: %s)", val, k->name,
	     allowed);
}

/* A whole number up to @max, of @unit. */
static void set_num(struct conf *c, struct rconf *r, const struct key *k,
		    unsigned line, const char *val, unsigned max,
		    const char *unit)
{
	unsigned *dst = (unsigned *)((char *)r + k->off);
	unsigned long x;
	char *end;

	errno = 0;
	x = strtoul(val, &end, 10);
	if (errno || *end || end == val || !isdigit((unsigned char)*val) ||
	    x > max) {
		cerr(c, line, "bad value '%s' for %s (allowed: a whole number "
		     "of %s, 0 to %u)", val, k->name, unit, max);
		return;
	}
	*dst = (unsigned)x;
}

/* A network interface's name: what the kernel takes (at most 15 bytes,
 * no '/', ':' or white space), leaving room for ".VID" with VLANs. */
static void set_ifname(struct conf *c, struct rconf *r, const struct key *k,
		       unsigned line, const char *val)
{
	size_t n = strlen(val);

	for (size_t i = 0; i < n; i++)
		if (!isgraph((unsigned char)val[i]) || val[i] == '/' ||
		    val[i] == ':') {
			cerr(c, line, "bad value '%s' for %s (an interface "
			     "name: no '/', ':' or spaces)", val, k->name);
			return;
		}
	if (n >= sizeof(r->net_name) || !strcmp(val, ".") ||
	    !strcmp(val, "..")) {
		cerr(c, line, "bad value '%s' for %s (an interface name of "
		     "1 to %zu bytes)", val, k->name, sizeof(r->net_name) - 1);
		return;
	}
	memcpy(r->net_name, val, n + 1);
}

/* "100,200,300": 802.1Q ids, 1 to 4094, each once. */
static void set_vlans(struct conf *c, struct rconf *r, const struct key *k,
		      unsigned line, const char *val)
{
	const char *p = val;

	r->net_nvlans = 0;
	for (;;) {
		unsigned long x;
		char *end;

		while (isspace((unsigned char)*p))
			p++;
		errno = 0;
		x = strtoul(p, &end, 10);
		if (errno || end == p || !isdigit((unsigned char)*p) ||
		    x < 1 || x > 4094) {
			cerr(c, line, "bad value '%s' for %s (allowed: VLAN "
			     "ids 1 to 4094, separated by commas)", val,
			     k->name);
			return;
		}
		for (unsigned i = 0; i < r->net_nvlans; i++)
			if (r->net_vlans[i] == x) {
				cerr(c, line, "%s: VLAN %lu given twice",
				     k->name, x);
				return;
			}
		if (r->net_nvlans == HIPCD_MAX_VLANS) {
			cerr(c, line, "%s: more than %u VLANs", k->name,
			     HIPCD_MAX_VLANS);
			return;
		}
		r->net_vlans[r->net_nvlans++] = (uint16_t)x;
		while (isspace((unsigned char)*end))
			end++;
		if (!*end)
			return;
		if (*end != ',') {
			cerr(c, line, "bad value '%s' for %s (allowed: VLAN "
			     "ids 1 to 4094, separated by commas)", val,
			     k->name);
			return;
		}
		p = end + 1;
	}
}

static bool good_name(const char *s);

static void set_remote(struct conf *c, struct rconf *r, const struct key *k,
		       unsigned line, const char *val)
{
	if (!good_name(val)) {
		cerr(c, line, "bad value '%s' for %s (a remote's name)", val,
		     k->name);
		return;
	}
	snprintf(r->p2p, sizeof(r->p2p), "%s", val);
}

static void set_key(struct conf *c, struct rconf *r, unsigned line,
		    const char *key, const char *val)
{
	unsigned ki = find_key(key);
	const struct key *k;

	if (ki == NKEYS) {
		unknown_key(c, r, line, key);
		return;
	}
	k = &keys[ki];
	if (r->set_at[ki]) {
		cerr(c, line, "'%s' set again in [%s] (first at line %u)", key,
		     r->name, r->set_at[ki]);
		return;
	}
	r->set_at[ki] = line;
	if (!*val) {
		cerr(c, line, "'%s' has no value", key);
		return;
	}
	switch (k->type) {
	case K_PATH:
		set_path(c, r, k, line, val);
		break;
	case K_TEXT:
		set_text(c, r, k, line, val);
		break;
	case K_WORD:
		set_word(c, r, k, line, val);
		break;
	case K_MS:
		set_num(c, r, k, line, val, MAX_MS, "milliseconds");
		break;
	case K_KB:
		set_num(c, r, k, line, val, MAX_KB, "KiB");
		break;
	case K_COUNT:
		set_num(c, r, k, line, val, MAX_COUNT, "buffers");
		break;
	case K_GROUP:
		set_group(c, r, k, line, val);
		break;
	case K_MODE:
		set_mode(c, r, k, line, val);
		break;
	case K_IFNAME:
		set_ifname(c, r, k, line, val);
		break;
	case K_VLANS:
		set_vlans(c, r, k, line, val);
		break;
	case K_REMOTE:
		set_remote(c, r, k, line, val);
		break;
	}
}

/* A "[name]" line: the remote it opens, NULL if it is refused (logged). */
static struct rconf *begin_section(struct conf *c, char *s, unsigned lineno)
{
	char *end = strchr(s, ']');
	struct rconf *r;
	char *name;

	if (!end || end[1]) {
		cerr(c, lineno, "bad section header '%s' (expected [name])", s);
		return NULL;
	}
	*end = 0;
	name = s + 1;
	if (!good_name(name)) {
		cerr(c, lineno, "bad remote name '%s' (allowed: 1 to 31 of "
		     "A-Z a-z 0-9 _ - ., not starting with '.' or '-')", name);
		return NULL;
	}
	for (unsigned i = 0; i < c->n; i++)
		if (!strcmp(c->r[i].name, name)) {
			cerr(c, lineno, "[%s] defined again (first at line %u)",
			     name, c->r[i].line);
			return NULL;
		}
	if (c->n == MAX_REMOTES) {
		cerr(c, lineno, "more than %u remotes", MAX_REMOTES);
		return NULL;
	}
	r = &c->r[c->n++];
	memset(r, 0, sizeof(*r));
	snprintf(r->name, sizeof(r->name), "%s", name);
	r->line = lineno;
	r->autostart = 1;
	r->queue_kb = 256;
	r->stall_ms = 2000;
	r->group = (unsigned)getgid();
	r->socket_mode = 0660;
	r->net_frag = 1;
	return r;
}

/* A "key = value" line for @cur (NULL: no section yet, or @skipping one
 * refused above). */
static void parse_setting(struct conf *c, struct rconf *cur, bool skipping,
			  char *s, unsigned lineno)
{
	char *eq = strchr(s, '=');

	if (!eq) {
		cerr(c, lineno, "expected [name] or key = value, got '%s'", s);
		return;
	}
	*eq = 0;
	if (!cur) {
		/* In a section refused above: reported there. */
		if (!skipping)
			cerr(c, lineno, "'%s' outside a [remote] section",
			     trim(s));
		return;
	}
	set_key(c, cur, lineno, trim(s), trim(eq + 1));
}

/* What only the whole section can tell: a firmware to boot, and one that
 * can be run. */
static void check_firmware(struct conf *c)
{
	for (unsigned i = 0; i < c->n; i++) {
		struct rconf *r = &c->r[i];

		if (!r->mode && !r->firmware[0]) {
			cerr(c, r->line, "[%s] boots (mode = boot) but names "
			     "no firmware", r->name);
		} else if (r->firmware[0] && access(r->firmware, X_OK) < 0) {
			cerr(c, r->set_at[0], "[%s] firmware %s: %s", r->name,
			     r->firmware, strerror(errno));
		}
	}
}

static struct rconf *conf_find(struct conf *c, const char *name)
{
	for (unsigned i = 0; i < c->n; i++)
		if (!strcmp(c->r[i].name, name))
			return &c->r[i];
	return NULL;
}

/*
 * Static-vring pairs: "p2p = OTHER" in one section pairs the two (that one
 * the driver end); both must be booted by us (the pair's region is handed
 * to a firmware at spawn), and a remote is in one pair at most.
 */
static void check_pairs(struct conf *c)
{
	unsigned k = find_key("p2p");

	for (unsigned i = 0; i < c->n; i++) {
		struct rconf *r = &c->r[i], *o;

		/* Not paired, or the device end, named by its peer. */
		if (!r->p2p[0] || !r->set_at[k])
			continue;
		o = conf_find(c, r->p2p);
		if (!o) {
			cerr(c, r->set_at[k], "[%s] p2p = %s: no such remote "
			     "in this file", r->name, r->p2p);
		} else if (o == r) {
			cerr(c, r->set_at[k], "[%s] p2p names itself", r->name);
		} else if (r->mode || o->mode) {
			cerr(c, r->set_at[k], "[%s] p2p = %s: both remotes must "
			     "be booted (mode = boot): the pair's region is "
			     "handed over at spawn", r->name, o->name);
		} else if (o->set_at[k] && strcmp(o->p2p, r->name)) {
			cerr(c, r->set_at[k], "[%s] p2p = %s, but [%s] is paired "
			     "with %s (line %u)", r->name, o->name, o->name,
			     o->p2p, o->set_at[k]);
		} else if (o->set_at[k] && o < r) {
			/* Named on both sides: the first section drives. */
			continue;
		} else if (!o->set_at[k] && o->p2p[0]) {
			cerr(c, r->set_at[k], "[%s] p2p = %s, but %s is already "
			     "paired with %s", r->name, o->name, o->name,
			     o->p2p);
		} else {
			r->p2p_driver = true;
			o->p2p_driver = false;
			snprintf(o->p2p, sizeof(o->p2p), "%s", r->name);
		}
	}
}

/* Interface names are the host's: two remotes may not share one. */
static void check_net_names(struct conf *c)
{
	unsigned k = find_key("net_name");

	for (unsigned i = 0; i < c->n; i++) {
		struct rconf *r = &c->r[i];

		if (r->net_name[0] && r->net_nvlans &&
		    strlen(r->net_name) + 5 >= sizeof(r->net_name))
			cerr(c, r->set_at[k], "[%s] net_name %s: with VLANs at "
			     "most %zu bytes (the interfaces are NAME.VID)",
			     r->name, r->net_name, sizeof(r->net_name) - 6);
		for (unsigned j = 0; j < i && r->net_name[0]; j++)
			if (!strcmp(c->r[j].net_name, r->net_name))
				cerr(c, r->set_at[k], "[%s] net_name %s is "
				     "[%s]'s already", r->name, r->net_name,
				     c->r[j].name);
	}
}

/* Read and check @path into @c; every error is logged with file:line.
 * Returns the number of errors (0: usable). */
unsigned parse_config(const char *path, struct conf *c)
{
	char tmp[PATH_MAX];
	FILE *f;

	memset(c, 0, sizeof(*c));
	if (!realpath(path, c->path))
		snprintf(c->path, sizeof(c->path), "%s", path);
	f = fopen(c->path, "re");
	if (!f) {
		cerr(c, 0, "%s", strerror(errno));
		return c->errors;
	}
	snprintf(tmp, sizeof(tmp), "%s", c->path);
	snprintf(c->dir, sizeof(c->dir), "%s", dirname(tmp));
	parse_config_stream(f, c);
	fclose(f);
	return c->errors;
}

unsigned parse_config_stream(FILE *f, struct conf *c)
{
	char line[1024];
	struct rconf *cur = NULL;
	bool skipping = false; /* in a section refused above */
	unsigned lineno = 0;

	while (fgets(line, sizeof(line), f)) {
		char *s = line, *hash;

		lineno++;
		if (!strchr(line, '\n') && !feof(f)) {
			int ch;

			cerr(c, lineno, "line longer than %zu bytes",
			     sizeof(line) - 2);
			while ((ch = fgetc(f)) != EOF && ch != '\n')
				;
			continue;
		}
		hash = strchr(s, '#');
		if (hash)
			*hash = 0;
		s = trim(s);
		if (!*s)
			continue;
		if (*s == '[') {
			cur = begin_section(c, s, lineno);
			skipping = !cur;
		} else {
			parse_setting(c, cur, skipping, s, lineno);
		}
	}
	check_firmware(c);
	check_pairs(c);
	check_net_names(c);
	return c->errors;
}

/* The settings a running remote was made with: any change restarts it. */
bool same_remote(const struct rconf *a, const struct rconf *b)
{
	return !strcmp(a->firmware, b->firmware) && !strcmp(a->args, b->args) &&
	       a->mode == b->mode &&
	       a->policy == b->policy && a->watchdog_ms == b->watchdog_ms &&
	       a->watchdog_timeout_ms == b->watchdog_timeout_ms &&
	       a->backoff_ms == b->backoff_ms &&
	       a->backoff_max_ms == b->backoff_max_ms &&
	       a->boot_timeout_ms == b->boot_timeout_ms &&
	       a->queue_kb == b->queue_kb && a->stall_ms == b->stall_ms &&
	       a->group == b->group && a->socket_mode == b->socket_mode &&
	       a->bigbuf_quota == b->bigbuf_quota &&
	       !strcmp(a->net_name, b->net_name) &&
	       a->net_nvlans == b->net_nvlans &&
	       !memcmp(a->net_vlans, b->net_vlans, sizeof(a->net_vlans)) &&
	       a->net_frag == b->net_frag &&
	       !strcmp(a->p2p, b->p2p) && a->p2p_driver == b->p2p_driver;
}

void summary(const struct conf *c, FILE *out)
{
	fprintf(out, "%s: ok, %u remote(s)\n", c->path, c->n);
	for (unsigned i = 0; i < c->n; i++) {
		const struct rconf *r = &c->r[i];

		fprintf(out, "  %-16s %-6s %-7s %s%s%s\n", r->name,
			w_mode[r->mode], w_policy[r->policy],
			r->autostart ? "autostart" : "manual",
			r->firmware[0] ? "  " : "", r->firmware);
	}
}