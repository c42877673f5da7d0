// SPDX-License-Identifier: BSD-3-Clause
/*
 * The interfaces hipcd makes for the services a remote announces
 * (docs/interfaces.md).  This file keeps the list of services per remote,
 * picks the kind of interface by the service's name, numbers the
 * interfaces of each kind per remote (rpmsg0, rpmsg1, ... under
 * RUN_DIR/REMOTE/), and answers "hipcctl services" and "hipcctl stats".
 * Each kind lives in a file of its own and is listed in kinds[].
 *
 * A service's name comes from the remote, which is not trusted: it is
 * NUL-terminated here, never used in a path, and escaped in every reply.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hipcd.h"

static const struct hipcd_iface *const kinds[] = {
	&epdev_iface,
	&hipcd_iface_net,
	&hipcd_tty,
	&hipcd_iface_socket, /* the fallback: last */
	NULL,
};

/* The kind that names @service, else the first whose services is NULL
 * (the fallback: message sockets), else none. */
static const struct hipcd_iface *kind_for(const char *service)
{
	const struct hipcd_iface *fallback = NULL;

	for (unsigned i = 0; kinds[i]; i++) {
		if (!kinds[i]->services) {
			if (!fallback)
				fallback = kinds[i];
			continue;
		}
		for (unsigned j = 0; kinds[i]->services[j]; j++)
			if (!strcmp(kinds[i]->services[j], service))
				return kinds[i];
	}
	return fallback;
}

static struct hipcd_svc *find_svc(struct remote *r, const char *name)
{
	for (struct hipcd_svc *s = r->svcs; s; s = s->next)
		if (!strcmp(s->name, name))
			return s;
	return NULL;
}

/* RUN_DIR/NAME, where the remote's interfaces live: its group may enter
 * and list it, nobody else. */
int hipcd_make_dir(struct remote *r)
{
	struct stat st;

	if (mkdir(r->dir, 0750) < 0 && errno != EEXIST) {
		logf_("%s: %s: %s", r->rc.name, r->dir, strerror(errno));
		return -errno;
	}
	if (lstat(r->dir, &st) < 0 || !S_ISDIR(st.st_mode) ||
	    st.st_uid != getuid()) {
		logf_("%s: %s: not a directory of ours", r->rc.name, r->dir);
		return -ENOTDIR;
	}
	if (chown(r->dir, (uid_t)-1, (gid_t)r->rc.group) < 0 ||
	    chmod(r->dir, 0750) < 0) {
		logf_("%s: %s: %s", r->rc.name, r->dir, strerror(errno));
		return -errno;
	}
	return 0;
}

int hipcd_publish(struct remote *r, const char *path)
{
	if (chown(path, (uid_t)-1, (gid_t)r->rc.group) < 0 ||
	    chmod(path, r->rc.socket_mode) < 0) {
		int err = errno;

		logf_("%s: %s: %s", r->rc.name, path, strerror(err));
		return -err;
	}
	return 0;
}

const char *hipcd_printable(const char *in, char *buf, size_t len)
{
	size_t n = 0;

	for (const unsigned char *p = (const unsigned char *)in; *p; p++) {
		bool plain = *p >= 0x20 && *p < 0x7f && *p != '\\';

		if (n + (plain ? 1 : 4) >= len)
			break;
		if (plain)
			buf[n++] = (char)*p;
		else
			n += (size_t)snprintf(buf + n, len - n, "\\x%02x", *p);
	}
	if (len)
		buf[n] = '\0';
	return buf;
}

static struct hipcd_svc *new_svc(struct remote *r, const char *name)
{
	const struct hipcd_iface *kind = kind_for(name);
	struct hipcd_svc *s, **tail;
	unsigned index = 0;
	char pr[160];

	if (r->nsvcs >= HIPCD_MAX_SVCS) {
		/* Logged once per remote: the remote chooses how often. */
		if (!r->svcs_refused++)
			logf_("%s: service '%s': the remote already has %u "
			      "services, ignoring this and any further new one "
			      "(svcs_refused counts them)", r->rc.name,
			      hipcd_printable(name, pr, sizeof(pr)),
			      HIPCD_MAX_SVCS);
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		logf_("%s: service '%s': out of memory", r->rc.name,
		      hipcd_printable(name, pr, sizeof(pr)));
		return NULL;
	}
	r->nsvcs++;
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->r = r;
	s->kind = kind;
	for (tail = &r->svcs; *tail; tail = &(*tail)->next)
		if ((*tail)->kind == kind)
			index++;
	s->index = index;
	*tail = s;
	return s;
}

void iface_ns(struct remote *r, const char *name, uint32_t addr,
	      bool destroyed)
{
	struct hipcd_svc *s = find_svc(r, name);
	int ret;

	if (destroyed) {
		/* Only the announcement it names: a withdrawal of an address
		 * the service has since moved from is stale. */
		if (s && s->up && s->addr == addr) {
			s->up = false;
			if (s->kind)
				s->kind->down(s, false);
		}
		return;
	}
	if (!s) {
		s = new_svc(r, name);
		if (!s)
			return;
	} else if (s->up) {
		/* Announced twice: the new address wins. */
		s->up = false;
		if (s->kind)
			s->kind->down(s, false);
	}
	s->addr = addr;
	s->up = true;
	if (!s->kind)
		return;
	if (hipcd_make_dir(r) < 0)
		return;
	ret = s->kind->up(s);
	if (ret < 0) {
		s->up = false;
		char pr[160];

		logf_("%s: service '%s': no %s interface: %s", r->rc.name,
		      hipcd_printable(s->name, pr, sizeof(pr)), s->kind->kind,
		      hipc_strerror(ret));
	}
}

bool iface_tx_ready(struct remote *r)
{
	bool waiting = false;

	for (struct hipcd_svc *s = r->svcs; s; s = s->next) {
		if (!s->want_tx)
			continue;
		s->want_tx = false;
		if (s->up && s->kind && s->kind->tx_ready)
			s->kind->tx_ready(s);
		waiting |= s->want_tx;
	}
	waiting |= epdev_tx_ready(r);
	waiting |= bigbuf_tx_ready(r);
	return waiting;
}

void iface_remote_up(struct remote *r)
{
	epdev_remote_up(r);
	bigbuf_remote_up(r);
}

void iface_remote_down(struct remote *r, bool crashed)
{
	for (struct hipcd_svc *s = r->svcs; s; s = s->next) {
		s->want_tx = false;
		if (!s->up)
			continue;
		s->up = false;
		if (s->kind)
			s->kind->down(s, crashed);
	}
	epdev_remote_down(r);
	bigbuf_remote_down(r);
}

void iface_remote_free(struct remote *r)
{
	iface_remote_down(r, false);
	epdev_remote_free(r);
	bigbuf_remote_free(r);
	while (r->svcs) {
		struct hipcd_svc *s = r->svcs;

		r->svcs = s->next;
		if (s->kind)
			s->kind->destroy(s);
		free(s);
	}
	r->nsvcs = 0;
	rmdir(r->dir); /* only if empty: a user's file stays */
}

/* --- replies ------------------------------------------------------------------ */

/* @s as a JSON string body, or with anything unprintable as \xNN. */
static void put_str(struct reply *o, const char *s, bool json)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			put(o, json ? "\\%c" : "%c", *p);
		else if (*p < 0x20 || *p >= 0x7f)
			put(o, json ? "\\u%04x" : "\\x%02x", *p);
		else
			put(o, "%c", *p);
	}
}

static void svc_line(struct hipcd_svc *s, struct reply *o, bool json,
		     bool first)
{
	if (json) {
		put(o, "%s{\"remote\":\"%s\",\"service\":\"", first ? "" : ",",
		    s->r->rc.name);
		put_str(o, s->name, true);
		put(o, "\",\"addr\":%u,\"up\":%s,\"kind\":%s%s%s,\"path\":",
		    (unsigned)s->addr, s->up ? "true" : "false",
		    s->kind ? "\"" : "", s->kind ? s->kind->kind : "null",
		    s->kind ? "\"" : "");
		if (s->path[0]) {
			put(o, "\"");
			put_str(o, s->path, true);
			put(o, "\"}");
		} else {
			put(o, "null}");
		}
		return;
	}
	put(o, "%-12s ", s->r->rc.name);
	put_str(o, s->name, false);
	put(o, "%*s 0x%-5x %-5s %-9s %s\n",
	    (int)(32 - (strlen(s->name) < 32 ? strlen(s->name) : 32)), "",
	    (unsigned)s->addr, s->up ? "up" : "down",
	    s->kind ? s->kind->kind : "-", s->path[0] ? s->path : "-");
}

void iface_services(struct remote *r, struct reply *o, bool json)
{
	bool first = true;

	put(o, json ? "ok\n[" : "ok\n%-12s %-32s %-7s %-5s %-9s %s\n",
	    "REMOTE", "SERVICE", "ADDR", "STATE", "INTERFACE", "PATH");
	for (unsigned i = 0; i < MAX_REMOTES; i++) {
		struct remote *x = &remotes[i];

		if (!x->used || x->retiring || (r && x != r))
			continue;
		for (struct hipcd_svc *s = x->svcs; s; s = s->next) {
			svc_line(s, o, json, first);
			first = false;
		}
		for (struct hipcd_svc *s = epdev_created(x); s; s = s->next) {
			svc_line(s, o, json, first);
			first = false;
		}
		for (struct hipcd_svc *s = bigbuf_svcs(x); s; s = s->next) {
			svc_line(s, o, json, first);
			first = false;
		}
	}
	if (json)
		put(o, "]\n");
}

struct stats_ctx {
	struct reply *o;
	bool json;
	bool first;
};

static void emit(void *ctx, const char *key, uint64_t v)
{
	struct stats_ctx *c = ctx;

	if (c->json)
		put(c->o, "%s\"%s\":%llu", c->first ? "" : ",", key,
		    (unsigned long long)v);
	else
		put(c->o, " %s %llu", key, (unsigned long long)v);
	c->first = false;
}

static void remote_stats(struct remote *x, struct reply *o, bool json,
			 bool *first)
{
	struct hipc_rpmsg_dev *dev = hipc_rproc_rpmsg(x->rp);
	struct hipc_rpmsg_stats st;
	struct hipc_link_stats ls;
	struct stats_ctx c = { o, json, true };
	struct hipc_link *link = hipc_rproc_link(x->rp);

	memset(&st, 0, sizeof(st));
	memset(&ls, 0, sizeof(ls));
	if (dev)
		hipc_rpmsg_get_stats(dev, &st);
	if (link)
		hipc_link_get_stats(link, &ls);
	if (json)
		put(o, "%s{\"remote\":\"%s\",\"device\":{", *first ? "" : ",",
		    x->rc.name);
	else
		put(o, "%s device", x->rc.name);
	emit(&c, "tx_msgs", st.tx_msgs);
	emit(&c, "rx_msgs", st.rx_msgs);
	emit(&c, "tx_bytes", st.tx_bytes);
	emit(&c, "rx_bytes", st.rx_bytes);
	emit(&c, "doorbells_out", ls.doorbells_tx);
	emit(&c, "doorbells_in", ls.doorbells_rx);
	emit(&c, "eventfd_writes", ls.eventfd_writes);
	emit(&c, "rx_dropped", st.rx_dropped);
	emit(&c, "tx_waits", st.tx_waits);
	emit(&c, "proto_errors", st.proto_errors);
	emit(&c, "crc_checked", st.crc_checked);
	emit(&c, "crc_errors", st.crc_errors);
	emit(&c, "svcs_refused", x->svcs_refused);
	put(o, json ? "},\"interfaces\":[" : "\n");
	*first = false;
	c.first = true;
	/* The services', those made through rpmsg_ctrl, big buffers'. */
	for (struct hipcd_svc *s = x->svcs, *cr = epdev_created(x),
			      *bb = bigbuf_svcs(x); s || cr || bb;
	     s = s ? s->next : NULL) {
		if (!s && cr) {
			s = cr;
			cr = NULL;
		} else if (!s) {
			s = bb;
			bb = NULL;
		}
		if (!s->kind)
			continue;
		if (json) {
			put(o, "%s{\"service\":\"", c.first ? "" : ",");
			put_str(o, s->name, true);
			put(o, "\",\"kind\":\"%s\",\"counters\":{",
			    s->kind->kind);
		} else {
			put(o, "%s ", x->rc.name);
			put_str(o, s->name, false);
			put(o, " %s", s->kind->kind);
		}
		{
			struct stats_ctx sc = { o, json, true };

			if (s->kind->stats)
				s->kind->stats(s, emit, &sc);
		}
		put(o, json ? "}}" : "\n");
		c.first = false;
	}
	if (json)
		put(o, "]}");
}

void iface_stats(struct remote *r, struct reply *o, bool json)
{
	bool first = true;

	put(o, json ? "ok\n[" : "ok\n");
	for (unsigned i = 0; i < MAX_REMOTES; i++) {
		struct remote *x = &remotes[i];

		if (!x->used || x->retiring || (r && x != r))
			continue;
		remote_stats(x, o, json, &first);
	}
	if (json)
		put(o, "]\n");
}
