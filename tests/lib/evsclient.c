/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * evsclient: a libspread client that writes the client log evscheck reads
 * (format: tests/lib/evscheck.h, docs/evscheck.md). It connects, joins
 * its groups, sends numbered messages at a given rate to one group, and
 * logs every submission and everything it receives until it is told to
 * stop (SIGTERM or SIGINT, a stop file, or a number of data messages
 * received). Then it stops sending, waits (up to the drain time) for its
 * own messages to come back, disconnects and logs `END quit`; a broken
 * connection is logged as `END lost`.
 *
 * Every line is written with one write(2) on an O_APPEND descriptor, and
 * a SEND line before its message is handed to the library: a client
 * killed with SIGKILL leaves a prefix of its log, never a delivered
 * message without its submission.
 *
 * Exit status: 0 after END quit, 3 after END lost, 2 for bad arguments or
 * a failed connect or join.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sp.h>

#define MAX_JOIN 64
#define MAX_SERVS 8

/* Set by the signal handler only. */
static volatile sig_atomic_t stop_signal;

struct evc {
    const char *spread, *user, *logpath, *stopfile;
    const char *join[MAX_JOIN];
    int njoin;
    const char *dest;
    long nsend;             /* messages to send */
    service servs[MAX_SERVS];
    int nservs;
    double rate;            /* per second; 0: as fast as possible */
    int min_members;        /* members of dest before the first send */
    long stop_count;        /* data messages received; 0: no limit */
    int drain_ms;
    int body_len;

    mailbox mb;
    char pg[MAX_GROUP_NAME];
    int logfd;
    char *line;             /* the line being built */
    size_t len, cap;

    long sent, own_back, received;
    int dest_members;
    int started;            /* dest once had min_members: send on */
    long long next_send_ms;

    /* receive buffers, grown on *_TOO_SHORT */
    char (*groups)[MAX_GROUP_NAME];
    int max_groups;
    char *body;
    int max_body;
};

static long long now_ms(int clock)
{
    struct timespec ts;

    clock_gettime(clock, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void on_signal(int sig)
{
    (void)sig;
    stop_signal = 1;
}

/* ---- the log ------------------------------------------------------ */

static void add(struct evc *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void add(struct evc *c, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (c->line == NULL) {
        /* Never an offset on a null pointer (UBSan refuses even 0). */
        c->cap = 256;
        c->line = malloc(c->cap);
        if (c->line == NULL) {
            perror("evsclient");
            exit(2);
        }
    }
    for (;;) {
        va_start(ap, fmt);
        n = vsnprintf(c->line + c->len, c->cap - c->len, fmt, ap);
        va_end(ap);
        if (n >= 0 && (size_t)n < c->cap - c->len)
            break;
        c->cap = c->cap * 2 + (size_t)(n > 0 ? n : 64);
        c->line = realloc(c->line, c->cap);
        if (c->line == NULL) {
            perror("evsclient");
            exit(2);
        }
    }
    c->len += (size_t)n;
}

/* Start a record: the wall-clock time (the fault timeline's clock). */
static void begin(struct evc *c, const char *kind)
{
    c->len = 0;
    add(c, "%lld %s", now_ms(CLOCK_REALTIME), kind);
}

static void emit(struct evc *c)
{
    size_t off = 0;

    add(c, "\n");
    while (off < c->len) {
        ssize_t r = write(c->logfd, c->line + off, c->len - off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            perror("evsclient: log");
            exit(2);
        }
        off += (size_t)r;
    }
}

static const char *serv_word(service s)
{
    if (s & SAFE_MESS)
        return "SAFE";
    if (s & AGREED_MESS)
        return "AGREED";
    if (s & CAUSAL_MESS)
        return "CAUSAL";
    if (s & FIFO_MESS)
        return "FIFO";
    if (s & RELIABLE_MESS)
        return "RELIABLE";
    return "UNRELIABLE";
}

static void add_gid(struct evc *c, const group_id *g)
{
    add(c, " %u:%u:%u", (unsigned)g->id[0], (unsigned)g->id[1],
        (unsigned)g->id[2]);
}

/* ---- receiving ---------------------------------------------------- */

static void log_view(struct evc *c, service st, const char *group, int ng,
                     int len)
{
    membership_info mi;
    vs_set_info sets[256];
    unsigned int mine = 0;
    int nsets, i, j;
    const char *cause = Is_caused_join_mess(st) ? "JOIN" :
                        Is_caused_leave_mess(st) ? "LEAVE" :
                        Is_caused_disconnect_mess(st) ? "DISCONNECT" :
                        "NETWORK";

    (void)len;
    if (SP_get_memb_info(c->body, st, &mi) != 1) {
        c->len = 0;                     /* a comment: evscheck skips it */
        add(c, "# unreadable view of %s", group);
        emit(c);
        return;
    }
    begin(c, "REG");
    add(c, " %s", group);
    add_gid(c, &mi.gid);
    add(c, " %s", cause);
    for (i = 0; i < ng; i++)
        add(c, " %s", c->groups[i]);
    nsets = SP_get_vs_sets_info(c->body, sets, 256, &mine);
    for (i = 0; i < nsets; i++) {
        char (*names)[MAX_GROUP_NAME] = malloc(
            (sets[i].num_members + 1) * MAX_GROUP_NAME);
        int n;
        if (names == NULL)
            break;
        n = SP_get_vs_set_members(c->body, &sets[i], names,
                                  (int)sets[i].num_members);
        add(c, " %s", (unsigned)i == mine ? "VS*" : "VS");
        for (j = 0; j < n; j++)
            add(c, " %.*s", MAX_GROUP_NAME, names[j]);
        free(names);
    }
    emit(c);
    if (strcmp(group, c->dest ? c->dest : "") == 0 &&
        (c->dest_members = ng) >= c->min_members)
        c->started = 1;
}

static void log_data(struct evc *c, service st, const char *sender,
                     const char *group, int len)
{
    char who[MAX_GROUP_NAME + 1];
    unsigned long counter;

    c->body[len < c->max_body ? len : c->max_body - 1] = '\0';
    begin(c, "MSG");
    /* 32: MAX_GROUP_NAME, the size of who without its NUL */
    if (sscanf(c->body, "%32s %lu", who, &counter) != 2) {
        /* Not ours: say so in a comment the checker skips. */
        c->len = 0;
        add(c, "# undecodable message from %s to %s", sender, group);
        emit(c);
        return;
    }
    add(c, " %s %s %s %lu", group, sender, serv_word(st), counter);
    if (strcmp(who, sender) != 0)
        add(c, " %s", who);
    emit(c);
    c->received++;
    if (strcmp(sender, c->pg) == 0)
        c->own_back++;
}

/* One message; 0, or -1 when the connection is gone. */
static int receive_one(struct evc *c)
{
    service st;
    char sender[MAX_GROUP_NAME];
    int ng, endian, r;
    int16 mt;

    for (;;) {
        st = 0;
        r = SP_receive(c->mb, &st, sender, c->max_groups, &ng, c->groups,
                       &mt, &endian, c->max_body, c->body);
        if (r == GROUPS_TOO_SHORT && ng < 0) {
            c->max_groups = -ng;
            c->groups = realloc(c->groups,
                                (size_t)c->max_groups * MAX_GROUP_NAME);
        } else if (r == BUFFER_TOO_SHORT && endian < 0) {
            c->max_body = -endian + 1;
            c->body = realloc(c->body, (size_t)c->max_body);
        } else
            break;
        if (c->groups == NULL || c->body == NULL) {
            perror("evsclient");
            exit(2);
        }
    }
    if (r < 0)
        return -1;
    if (Is_regular_mess(st) && ng >= 1)
        log_data(c, st, sender, c->groups[0], r);
    else if (Is_reg_memb_mess(st))
        log_view(c, st, sender, ng, r);
    else if (Is_transition_mess(st)) {
        membership_info mi;
        begin(c, "TRANS");
        add(c, " %s", sender);
        if (SP_get_memb_info(c->body, st, &mi) == 1)
            add_gid(c, &mi.gid);
        emit(c);
    } else if (Is_self_leave(st)) {
        begin(c, "LEFT");
        add(c, " %s", sender);
        emit(c);
    }
    return 0;
}

/* ---- sending ------------------------------------------------------ */

/* The next message; 0, or -1 when the connection is gone. */
static int send_one(struct evc *c)
{
    service s = c->servs[c->sent % c->nservs];
    long counter = c->sent + 1;
    char *body = malloc((size_t)c->body_len + 64);
    int n, r;

    if (body == NULL)
        return -1;
    n = snprintf(body, (size_t)c->body_len + 64, "%s %ld", c->pg, counter);
    while (n < c->body_len)
        body[n++] = '.';
    begin(c, "SEND");
    add(c, " %s %s %s %ld", c->dest, serv_word(s), c->pg, counter);
    emit(c);
    r = SP_multicast(c->mb, s, c->dest, 0, n, body);
    free(body);
    c->sent++;
    if (c->rate > 0) {
        long long now = now_ms(CLOCK_MONOTONIC);
        if (c->next_send_ms < now)
            c->next_send_ms = now;      /* no catching up after a stall */
        c->next_send_ms += (long long)(1000.0 / c->rate);
    }
    return r < 0 ? -1 : 0;
}

static int stop_asked(const struct evc *c)
{
    return stop_signal || (c->stopfile && access(c->stopfile, F_OK) == 0) ||
           (c->stop_count > 0 && c->received >= c->stop_count);
}

static int may_send(const struct evc *c, long long now)
{
    return c->started && c->sent < c->nsend && now >= c->next_send_ms;
}

/* The main loop: 0 when asked to stop, -1 when the connection broke. */
static int run(struct evc *c)
{
    long long drain_end = -1;
    struct pollfd p;

    for (;;) {
        long long now = now_ms(CLOCK_MONOTONIC);
        int timeout = 100;
        if (drain_end < 0 && stop_asked(c))
            drain_end = now + c->drain_ms;
        if (drain_end >= 0 && (c->own_back >= c->sent || now >= drain_end))
            return 0;
        if (drain_end < 0 && may_send(c, now)) {
            if (send_one(c) < 0)
                return -1;
            if (c->rate <= 0 && SP_poll(c->mb) <= 0)
                continue;
            timeout = 0;
        } else if (drain_end < 0 && c->started && c->sent < c->nsend)
            timeout = (int)(c->next_send_ms - now);
        if (timeout > 100)
            timeout = 100;
        if (timeout < 0)
            timeout = 0;
        p.fd = c->mb;
        p.events = POLLIN;
        p.revents = 0;
        if (poll(&p, 1, timeout) > 0 && receive_one(c) < 0)
            return -1;
    }
}

/* ---- start-up ----------------------------------------------------- */

static int parse_servs(struct evc *c, const char *arg)
{
    static const struct { const char *name; service s; } tab[] = {
        {"UNRELIABLE", UNRELIABLE_MESS}, {"RELIABLE", RELIABLE_MESS},
        {"FIFO", FIFO_MESS}, {"CAUSAL", CAUSAL_MESS},
        {"AGREED", AGREED_MESS}, {"SAFE", SAFE_MESS},
    };
    char buf[256], *tok, *save = NULL;
    size_t i;

    snprintf(buf, sizeof buf, "%s", arg);
    c->nservs = 0;
    for (tok = strtok_r(buf, ",", &save); tok != NULL;
         tok = strtok_r(NULL, ",", &save)) {
        for (i = 0; i < sizeof tab / sizeof tab[0]; i++)
            if (strcmp(tok, tab[i].name) == 0)
                break;
        if (i == sizeof tab / sizeof tab[0] || c->nservs == MAX_SERVS)
            return -1;
        c->servs[c->nservs++] = tab[i].s;
    }
    return c->nservs > 0 ? 0 : -1;
}

static void usage(void)
{
    fputs("Usage: evsclient -s SPREAD -u USER -o LOG [-g GROUP]... [-t DEST]\n"
          "       [-n COUNT] [-S SERVICE[,SERVICE...]] [-r PER_SECOND]\n"
          "       [-m MEMBERS] [-x STOPFILE] [-c RECEIVED] [-w DRAIN_MS]\n"
          "       [-b BYTES]\n"
          "Joins the GROUPs, sends COUNT messages to DEST (default: the\n"
          "first GROUP) once DEST has MEMBERS members, cycling through the\n"
          "SERVICEs (default AGREED), and writes the evscheck log to LOG\n"
          "until SIGTERM, STOPFILE exists, or RECEIVED data messages came.\n",
          stderr);
    exit(2);
}

static void parse_args(struct evc *c, int argc, char **argv)
{
    int o;

    while ((o = getopt(argc, argv, "s:u:o:g:t:n:S:r:m:x:c:w:b:")) != -1) {
        switch (o) {
        case 's': c->spread = optarg; break;
        case 'u': c->user = optarg; break;
        case 'o': c->logpath = optarg; break;
        case 'g':
            if (c->njoin == MAX_JOIN)
                usage();
            c->join[c->njoin++] = optarg;
            break;
        case 't': c->dest = optarg; break;
        case 'n': c->nsend = atol(optarg); break;
        case 'S':
            if (parse_servs(c, optarg) != 0)
                usage();
            break;
        case 'r': c->rate = atof(optarg); break;
        case 'm': c->min_members = atoi(optarg); break;
        case 'x': c->stopfile = optarg; break;
        case 'c': c->stop_count = atol(optarg); break;
        case 'w': c->drain_ms = atoi(optarg); break;
        case 'b': c->body_len = atoi(optarg); break;
        default: usage();
        }
    }
    if (c->spread == NULL || c->user == NULL || c->logpath == NULL ||
        optind != argc || c->body_len < 0 || c->body_len > 100000)
        usage();
    if (c->dest == NULL && c->njoin > 0)
        c->dest = c->join[0];
}

int main(int argc, char **argv)
{
    struct evc c;
    struct sigaction sa;
    int i, r;

    memset(&c, 0, sizeof c);
    c.servs[0] = AGREED_MESS;
    c.nservs = 1;
    c.min_members = 1;
    c.drain_ms = 5000;
    parse_args(&c, argc, argv);
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    c.logfd = open(c.logpath, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
    if (c.logfd < 0) {
        perror(c.logpath);
        return 2;
    }
    c.max_groups = 64;
    c.max_body = 4096;
    c.groups = malloc((size_t)c.max_groups * MAX_GROUP_NAME);
    c.body = malloc((size_t)c.max_body);
    r = SP_connect(c.spread, c.user, 0, 1, &c.mb, c.pg);
    if (r != ACCEPT_SESSION || c.groups == NULL || c.body == NULL) {
        SP_error(r);
        return 2;
    }
    begin(&c, "CLIENT");
    add(&c, " %s", c.pg);
    emit(&c);
    for (i = 0; i < c.njoin; i++)
        if (SP_join(c.mb, c.join[i]) < 0) {
            fprintf(stderr, "evsclient: cannot join %s\n", c.join[i]);
            return 2;
        }
    r = run(&c);
    if (r == 0)
        SP_disconnect(c.mb);
    begin(&c, "END");
    add(&c, " %s", r == 0 ? "quit" : "lost");
    emit(&c);
    close(c.logfd);
    free(c.line);
    free(c.groups);
    free(c.body);
    return r == 0 ? 0 : 3;
}
