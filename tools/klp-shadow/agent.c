// SPDX-License-Identifier: GPL-2.0
/*
 * agent.c - where the output goes and how often: stdout or a file replaced
 * atomically (--write), once or every --interval seconds.
 *
 * A monitoring agent must never serve stale numbers as fresh: each pass
 * counts its own errors; a pass that fails still writes its output (in the
 * Prometheus format: klp_shadow_up 0 and the time of the last success,
 * carried over from the file it replaces) and the loop goes on. What ends
 * the loop is an error no later pass can mend: a usage error, or output
 * that cannot be written (ENOSPC, EPIPE with SIGPIPE ignored, permission);
 * a missing --write directory is a failed pass (it may come back).
 * An error goes to stderr when it appears, not again on each pass while it
 * lasts (each pass still counts it).
 */

#define _GNU_SOURCE
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>
#include "klp-shadow.h"

#define KS_LAST_SUCCESS	"klp_shadow_last_success_timestamp_seconds "
/* How much of the file --write replaces is searched for the last success. */
#define KS_PREV_MAX	(1024 * 1024)

/* Messages of one pass. */
struct ks_log_pass {
	char **msg;
	size_t n;
};

struct ks_log {
	struct ks_log_pass cur;
	struct ks_log_pass prev;
};

static void ks_log_free(struct ks_log_pass *p)
{
	while (p->n)
		free(p->msg[--p->n]);
	free(p->msg);
	p->msg = NULL;
}

/* A new pass: its messages become the last pass's. */
static void ks_log_next(struct ks_log *log)
{
	ks_log_free(&log->prev);
	log->prev = log->cur;
	memset(&log->cur, 0, sizeof(log->cur));
}

/**
 * ks_log_repeated() - did the last pass report @msg already?
 * @ctx:	the run; without --interval nothing is remembered
 * @msg:	an error message of this pass
 *
 * Return: true if @msg need not go to stderr again.
 */
bool ks_log_repeated(struct ks_ctx *ctx, const char *msg)
{
	struct ks_log *log = ctx->logged;
	char **v, *copy;
	bool seen = false;
	size_t i;

	if (!log)
		return false;
	for (i = 0; i < log->prev.n && !seen; i++)
		seen = !strcmp(log->prev.msg[i], msg);
	copy = strdup(msg);
	v = copy ? realloc(log->cur.msg, (log->cur.n + 1) * sizeof(*v)) : NULL;
	if (v) {
		v[log->cur.n++] = copy;
		log->cur.msg = v;
	} else {
		free(copy);
	}
	return seen;
}

/*
 * Where one pass writes: stdout, or @tmp, renamed over @file at the end.
 * @again: the file could not be opened for a reason a later pass may not
 * meet (its directory is missing: it may come back).
 */
struct ks_out {
	FILE *f;
	char *file;
	char *tmp;
	bool again;
};

static int ks_errno_status(int err)
{
	return err == EACCES || err == EPERM || err == EROFS ? EX_NOPERM : 1;
}

/*
 * The file --write replaces: @write itself, or the file a symbolic link
 * names (its target is replaced, in the target's directory, and the link
 * stays). A link to nothing is refused, and so is a target that exists and
 * is not a regular file (a device, a FIFO, a directory): it is never
 * replaced.
 */
static char *ks_write_target(struct ks_ctx *ctx, const char *write, int *status)
{
	struct stat st;
	char *file;

	if (lstat(write, &st) || !S_ISLNK(st.st_mode)) {
		file = strdup(write);
		if (!file)
			*status = ks_fatal(ctx, 1, "%s: %s", write, strerror(ENOMEM));
	} else {
		file = realpath(write, NULL);
		if (!file)
			*status = ks_fatal(ctx, 1,
					   "%s: a symbolic link to a file that cannot be resolved (%s): not written",
					   write, strerror(errno));
	}
	if (file && !stat(file, &st) && !S_ISREG(st.st_mode)) {
		*status = ks_fatal(ctx, 1, "%s: not a regular file: not replaced", file);
		free(file);
		file = NULL;
	}
	return file;
}

/*
 * The mode of the file written: that of the file it replaces, or, for a
 * new file, 0666 less the umask, as open(O_CREAT) would give it.
 */
static mode_t ks_write_mode(const char *file)
{
	struct stat st;
	mode_t mask;

	if (!stat(file, &st))
		return st.st_mode & 0777;
	mask = umask(0);
	umask(mask);
	return 0666 & ~mask;
}

static int ks_out_open(struct ks_ctx *ctx, const char *write, struct ks_out *out)
{
	int fd, err, status = 0;
	char *copy, *dir;

	memset(out, 0, sizeof(*out));
	if (!write) {
		out->f = stdout;
		return 0;
	}
	out->file = ks_write_target(ctx, write, &status);
	if (!out->file)
		return status;
	copy = strdup(out->file);
	dir = copy ? dirname(copy) : NULL;
	if (!dir || asprintf(&out->tmp, "%s/.klp-shadow.XXXXXX", dir) < 0)
		out->tmp = NULL;
	fd = out->tmp ? mkstemp(out->tmp) : -1;
	err = errno;
	if (fd >= 0 && fchmod(fd, ks_write_mode(out->file)))
		err = errno;
	else if (fd >= 0)
		out->f = fdopen(fd, "w");
	if (!out->f) {
		if (fd >= 0) {
			err = errno;
			close(fd);
			unlink(out->tmp);
		}
		out->again = err == ENOENT || err == ENOTDIR;
		status = ks_fatal(ctx, ks_errno_status(err),
				  "%s: cannot create the temporary file that replaces it in %s: %s",
				  out->file, dir ?: ".", strerror(err));
		free(copy);
		free(out->tmp);
		free(out->file);
		return status;
	}
	free(copy);
	return 0;
}

/* Make the output of the pass visible: flush stdout, or replace the file. */
static int ks_out_close(struct ks_ctx *ctx, struct ks_out *out)
{
	int err = 0, dfd;
	char *copy;

	if (out->f == stdout) {
		if (fflush(stdout))
			err = errno;
		else if (ferror(stdout))
			err = EIO;
		if (err)
			return ks_fatal(ctx, 1, "stdout: %s", strerror(err));
		return 0;
	}
	if (fflush(out->f) || fsync(fileno(out->f)))
		err = errno;
	else if (ferror(out->f))
		err = EIO;
	if (fclose(out->f) && !err)
		err = errno;
	if (!err && rename(out->tmp, out->file))
		err = errno;
	if (err) {
		unlink(out->tmp);
		err = ks_fatal(ctx, ks_errno_status(err), "%s: %s", out->file,
			       strerror(err));
	} else {
		copy = strdup(out->file);
		dfd = copy ? open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
		if (dfd >= 0) {
			fsync(dfd);
			close(dfd);
		}
		free(copy);
	}
	free(out->tmp);
	free(out->file);
	return err;
}

/*
 * The last success recorded in the file --write replaces, or 0. Only a
 * regular file is read (a FIFO would block, a device never end), and only
 * its first KS_PREV_MAX bytes: the line comes early in what this tool
 * writes.
 */
static double ks_prev_success(const char *write)
{
	size_t total = 0, len;
	bool line_start = true;
	char buf[4096];
	double when = 0;
	struct stat st;
	FILE *f;
	int fd;

	fd = open(write, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return 0;
	f = fstat(fd, &st) || !S_ISREG(st.st_mode) ? NULL : fdopen(fd, "r");
	if (!f) {
		close(fd);
		return 0;
	}
	while (total < KS_PREV_MAX && fgets(buf, sizeof(buf), f)) {
		len = strlen(buf);
		total += len;
		if (line_start &&
		    !strncmp(buf, KS_LAST_SUCCESS, strlen(KS_LAST_SUCCESS))) {
			when = strtod(buf + strlen(KS_LAST_SUCCESS), NULL);
			if (!(when > 0))
				when = 0;
			break;
		}
		line_start = len && buf[len - 1] == '\n';
	}
	fclose(f);
	return when;
}

static double ks_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void ks_sleep(double sec)
{
	struct timespec ts = {
		.tv_sec = (time_t)sec,
		.tv_nsec = (long)((sec - (time_t)sec) * 1e9),
	};

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/*
 * Run the command of @a, printing to @f. A loop's tables on stdout go
 * through a buffer, so that one blank line separates two passes that
 * printed something, and none follows a pass that printed nothing (it
 * failed, saying so on stderr, or found nothing); *@printed says that a
 * table is out already.
 */
static int ks_run_pass(struct ks_ctx *ctx, const struct ks_agent *a, FILE *f,
		       bool *printed)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *mem = NULL;
	int ret;

	if (f != stdout || ctx->format != KS_FORMAT_TABLE || !a->interval)
		return a->pass(ctx, f, a->arg);
	mem = open_memstream(&buf, &len);
	if (!mem) {
		/* Unbuffered, then: a blank line before it, whatever it prints. */
		if (*printed)
			putc('\n', f);
		*printed = true;
		return a->pass(ctx, f, a->arg);
	}
	ctx->out = mem;
	ret = a->pass(ctx, mem, a->arg);
	ctx->out = f;
	if (fclose(mem)) {
		free(buf);
		return ks_fatal(ctx, 1, "output buffer: %s", strerror(errno));
	}
	if (len) {
		if (*printed)
			putc('\n', f);
		fwrite(buf, 1, len, f);
		*printed = true;
	}
	free(buf);
	return ret;
}

/*
 * One pass: the command's output, or what its failure says (Prometheus:
 * klp_shadow_up 0). Return its exit status; *@stop is set if the loop
 * must end; *@printed as ks_run_pass() sets it.
 */
static int ks_pass(struct ks_ctx *ctx, const struct ks_agent *a, bool *stop,
		   bool *printed)
{
	struct ks_out out;
	int ret, err;

	ctx->errors = 0;
	ctx->status = 0;
	ks_module_state_forget();
	/* One time for the pass: what it prints is what a later one carries. */
	ctx->now = ks_now();
	ret = ks_out_open(ctx, a->write, &out);
	if (ret) {
		*stop = !out.again;
		return ret;
	}
	ctx->out = out.f;
	ret = ks_run_pass(ctx, a, out.f, printed);
	if (ret && ctx->format == KS_FORMAT_PROMETHEUS)
		ks_print_prom_down(ctx, out.f);
	ctx->out = NULL;
	err = ks_out_close(ctx, &out);
	if (err) {
		*stop = true;
		return err;
	}
	if (ret == EX_USAGE)
		*stop = true;
	ret = ret ?: ctx->status;
	if (!ret)
		ctx->last_success = ctx->now;
	return ret;
}

/**
 * ks_agent_run() - run a command once or every @agent->interval seconds
 * @ctx:	the run
 * @agent:	what to run, where to write, how often
 *
 * Return: the exit status of the last pass.
 */
int ks_agent_run(struct ks_ctx *ctx, const struct ks_agent *agent)
{
	struct ks_log log = { 0 };
	bool stop = false, printed = false;
	int ret;
	long n;

	if (agent->write)
		ctx->last_success = ks_prev_success(agent->write);
	if (agent->interval)
		ctx->logged = &log;
	for (n = 1;; n++) {
		ks_log_next(&log);
		ret = ks_pass(ctx, agent, &stop, &printed);
		if (stop || !agent->interval || (agent->count && n >= agent->count))
			break;
		ks_sleep(agent->interval);
	}
	ctx->logged = NULL;
	ks_log_free(&log.prev);
	ks_log_free(&log.cur);
	return ret;
}
