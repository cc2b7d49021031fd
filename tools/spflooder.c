/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 * spflooder: floods the group "flooder" with messages and reports progress
 * (../shared/spec/tools.md section 4). The sender clocks itself on its own
 * messages coming back, so it never queues more than a window's worth in
 * the daemon. Unlike upstream it also measures and prints the elapsed time
 * and throughput on a last line of its own. */

#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sp.h"

#define OPT_NAME_LEN 80
#define GROUP "flooder"
#define MAX_BYTES 100000        /* largest -b */
#define MAX_MEMBERS 100         /* largest -n, and groups per receive */
#define RECV_BUF 144000         /* the largest body a client can send */
#define WINDOW 200              /* own messages in flight */
#define REPORT_EVERY 1000

enum mode { MODE_BOTH, MODE_READ_ONLY, MODE_WRITE_ONLY };

struct flooder {
    char user[OPT_NAME_LEN];
    char spread_name[OPT_NAME_LEN];
    long num_messages;
    long num_bytes;
    int num_members;
    enum mode mode;

    mailbox mbox;
    char private_group[MAX_GROUP_NAME];
    char *sbuf;
    char *rbuf;
    char sender[MAX_GROUP_NAME];
    char groups[MAX_MEMBERS][MAX_GROUP_NAME];

    /* -n: the members that flood and how many messages each has sent us */
    int nsenders;
    int my_index;
    char senders[MAX_MEMBERS][MAX_GROUP_NAME];
    long received[MAX_MEMBERS];
    int gone[MAX_MEMBERS];
};

static void usage(void) __attribute__((noreturn));

static void usage(void)
{
    printf("Usage: spflooder\n"
           "\t[-u <user name>]    private name (default: flooder)\n"
           "\t[-s <spread name>]  daemon: <port> or <port>@<host> (default: 4803)\n"
           "\t[-m <num messages>] how many messages to send or receive (default: 10000)\n"
           "\t[-b <num bytes>]    size of each message, 1 to 100000 (default: 1000)\n"
           "\t[-n <num members>]  wait for this many flooders, then all send (0 to 100)\n"
           "\t[-ro]               only receive messages\n"
           "\t[-wo]               only send messages (do not join the group)\n");
    exit(1);
}

static void bad_value(const char *opt, const char *val, const char *why)
    __attribute__((noreturn));

static void bad_value(const char *opt, const char *val, const char *why)
{
    printf("spflooder: bad value '%s' for %s: %s\n", val, opt, why);
    usage();
}

static long parse_num(const char *opt, const char *val, long lo, long hi)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(val, &end, 10);
    if (end == val || *end != '\0' || errno != 0)
        bad_value(opt, val, "not a number");
    if (v < lo || v > hi) {
        printf("spflooder: %s must be between %ld and %ld (got %s)\n", opt,
               lo, hi, val);
        usage();
    }
    return v;
}

static void copy_opt(char *dst, size_t cap, const char *opt, const char *val)
{
    size_t len = strlen(val);

    if (len >= cap)
        bad_value(opt, val, "too long");
    memcpy(dst, val, len + 1);
}

static void parse_args(struct flooder *f, int argc, char **argv)
{
    int i;

    for (i = 1; i < argc; i++) {
        const char *a = argv[i];

        if (strncmp(a, "-ro", 3) == 0) {
            f->mode = MODE_READ_ONLY;
            continue;
        }
        if (strncmp(a, "-wo", 3) == 0) {
            f->mode = MODE_WRITE_ONLY;
            continue;
        }
        if (i + 1 >= argc)
            usage();
        if (strncmp(a, "-u", 2) == 0)
            copy_opt(f->user, sizeof(f->user), "-u", argv[++i]);
        else if (strncmp(a, "-s", 2) == 0)
            copy_opt(f->spread_name, sizeof(f->spread_name), "-s", argv[++i]);
        else if (strncmp(a, "-m", 2) == 0)
            f->num_messages = parse_num("-m", argv[++i], 0, LONG_MAX);
        else if (strncmp(a, "-b", 2) == 0)
            f->num_bytes = parse_num("-b", argv[++i], 1, MAX_BYTES);
        else if (strncmp(a, "-n", 2) == 0)
            f->num_members = (int)parse_num("-n", argv[++i], 0, MAX_MEMBERS);
        else
            usage();
    }
    if (f->num_members > 0 && f->num_bytes < 4) {
        printf("spflooder: with -n every message carries a 4-byte sender "
               "index, so -b must be at least 4\n");
        usage();
    }
}

static void fail(int err) __attribute__((noreturn));

static void fail(int err)
{
    fflush(stdout);
    SP_error(err);
    fflush(stdout);
    exit(1);
}

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One blocking receive. Oversized messages from other senders are cut,
 * never fatal. Returns the body length; *st is the service type and
 * *num_groups the (possibly truncated) number of groups or members. */
static int receive(struct flooder *f, service *st, int *num_groups,
                   int16 *mess_type, int *endian)
{
    int ret;

    *st = DROP_RECV;
    ret = SP_receive(f->mbox, st, f->sender, MAX_MEMBERS, num_groups,
                     f->groups, mess_type, endian, RECV_BUF, f->rbuf);
    if (ret == BUFFER_TOO_SHORT)
        ret = RECV_BUF;
    if (ret < 0)
        fail(ret);
    if (*num_groups < 0 || *num_groups > MAX_MEMBERS)
        *num_groups = MAX_MEMBERS;
    return ret;
}

static int find_sender(const struct flooder *f, const char *name)
{
    int i;

    for (i = 0; i < f->nsenders; i++)
        if (strncmp(f->senders[i], name, MAX_GROUP_NAME) == 0)
            return i;
    return -1;
}

/* A later membership of the group during the flood: stop waiting for
 * senders that left, so the window never waits on them. */
static void note_membership(struct flooder *f, int nmembers)
{
    int i, j, present;

    for (i = 0; i < f->nsenders; i++) {
        present = 0;
        for (j = 0; j < nmembers; j++)
            if (strncmp(f->senders[i], f->groups[j], MAX_GROUP_NAME) == 0)
                present = 1;
        if (!present)
            f->gone[i] = 1;
    }
}

/* -n: wait for a regular membership of the group with enough members. */
static void wait_for_members(struct flooder *f)
{
    service st;
    int16 my_index;
    int count, endian, i;

    for (;;) {
        receive(f, &st, &count, &my_index, &endian);
        if (!Is_reg_memb_mess(st) || strcmp(f->sender, GROUP) != 0)
            continue;
        printf("Received REGULAR membership for group %s with %d members, "
               "where I am member %d:\n", f->sender, count, my_index);
        for (i = 0; i < count; i++)
            printf("\t%.*s\n", MAX_GROUP_NAME, f->groups[i]);
        fflush(stdout);
        if (count >= f->num_members)
            break;
    }
    f->nsenders = count;
    memcpy(f->senders, f->groups, sizeof(f->senders));
    f->my_index = find_sender(f, f->private_group);
}

/* Receives one message and accounts for it. Returns its length. */
static int consume_one(struct flooder *f, int *from_self)
{
    service st;
    int16 mess_type;
    int num_groups, endian, ret, idx;
    int32 sender_index;

    ret = receive(f, &st, &num_groups, &mess_type, &endian);
    *from_self = 0;
    if (Is_reg_memb_mess(st)) {
        note_membership(f, num_groups);
        return ret;
    }
    if (!Is_regular_mess(st))
        return ret;
    if (strncmp(f->sender, f->private_group, MAX_GROUP_NAME) == 0)
        *from_self = 1;
    if (f->num_members > 0 && ret >= 4) {
        memcpy(&sender_index, f->rbuf, sizeof(sender_index));
        if (endian)
            sender_index = Flip_int32(sender_index);
        idx = find_sender(f, f->sender);
        if (idx < 0 && sender_index >= 0 && sender_index < f->nsenders)
            idx = sender_index;
        if (idx >= 0)
            f->received[idx]++;
    }
    return ret;
}

/* The fewest messages received from any sender still present. */
static long slowest(const struct flooder *f)
{
    long min = LONG_MAX;
    int i;

    for (i = 0; i < f->nsenders; i++)
        if (!f->gone[i] && f->received[i] < min)
            min = f->received[i];
    return min == LONG_MAX ? 0 : min;
}

static void progress(long i, int n)
{
    if (i % REPORT_EVERY == 0) {
        printf("flooder: completed %6ld messages of %d bytes\n", i, n);
        fflush(stdout);
    }
}

/* Receive-only mode: count m messages and their bytes. Returns the time of
 * the first. */
static double run_reader(struct flooder *f, double *bytes)
{
    double start = 0;
    long i;
    int n, self;

    for (i = 1; i <= f->num_messages; i++) {
        n = consume_one(f, &self);
        *bytes += n;
        if (i == 1)
            start = now();
        progress(i, n);
    }
    return start;
}

static void run_sender(struct flooder *f)
{
    service serv = f->num_members > 0 ? FIFO_MESS : RELIABLE_MESS;
    long i, own_back = 0;
    int n, self;

    if (f->num_members > 0)
        memcpy(f->sbuf, &f->my_index, sizeof(int32));
    for (i = 1; i <= f->num_messages; i++) {
        if (f->num_members > 0) {
            /* Stay at most a window ahead of the slowest flooder. */
            while (i - 1 - slowest(f) >= WINDOW)
                consume_one(f, &self);
        }
        n = SP_multicast(f->mbox, serv, GROUP, 0, (int)f->num_bytes,
                         f->sbuf);
        if (n < 0)
            fail(n);
        if (f->mode == MODE_BOTH && f->num_members == 0 && i > WINDOW) {
            do
                consume_one(f, &self);
            while (!self);
            own_back++;
        }
        progress(i, n);
    }
    /* Let the messages still in flight come back, so the time measured
     * covers their delivery too. */
    if (f->mode == MODE_BOTH && f->num_members == 0) {
        while (own_back < f->num_messages) {
            consume_one(f, &self);
            own_back += self;
        }
    } else if (f->num_members > 0 && f->my_index >= 0) {
        while (f->received[f->my_index] < f->num_messages)
            consume_one(f, &self);
    }
}

/* Our own last line: what the flood took. `bytes` is the payload total. */
static void print_rate(const struct flooder *f, double secs, double bytes)
{
    long size = f->num_messages > 0 ?
        (long)(bytes / (double)f->num_messages + 0.5) : f->num_bytes;

    if (secs <= 0)
        secs = 1e-9;
    printf("flooder: %ld messages of %ld bytes in %.3f s: %.0f msgs/s, "
           "%.2f MB/s, %.2f Mbit/s\n",
           f->num_messages, size, secs,
           (double)f->num_messages / secs, bytes / secs / 1e6,
           bytes * 8 / secs / 1e6);
}

int main(int argc, char **argv)
{
    static struct flooder fl;
    struct flooder *f = &fl;
    double start, end, bytes = 0;
    int ret;

    snprintf(f->user, sizeof(f->user), "flooder");
    snprintf(f->spread_name, sizeof(f->spread_name), "4803");
    f->num_messages = 10000;
    f->num_bytes = 1000;
    parse_args(f, argc, argv);

    f->sbuf = calloc(1, MAX_BYTES);
    f->rbuf = calloc(1, RECV_BUF + 1);
    if (f->sbuf == NULL || f->rbuf == NULL) {
        printf("spflooder: out of memory\n");
        return 1;
    }

    if (f->num_members > 0)
        printf("flooder: connecting to %s with group membership\n",
               f->spread_name);
    else
        printf("flooder: connecting to %s\n", f->spread_name);
    fflush(stdout);
    ret = SP_connect(f->spread_name, f->user, 0, f->num_members > 0,
                     &f->mbox, f->private_group);
    if (ret < 0)
        fail(ret);

    if (f->mode == MODE_READ_ONLY)
        printf("flooder: Only receiving messages\n");
    else
        printf("flooder: starting  multicast of %ld messages, %ld bytes "
               "each%s\n", f->num_messages, f->num_bytes,
               f->mode == MODE_WRITE_ONLY ? " (self discarding)." : ".");
    fflush(stdout);

    if (f->mode != MODE_WRITE_ONLY) {
        ret = SP_join(f->mbox, GROUP);
        if (ret < 0)
            fail(ret);
    }
    if (f->num_members > 0 && f->mode == MODE_WRITE_ONLY)
        f->num_members = 0;     /* not a member: nothing to wait for */
    if (f->num_members > 0)
        wait_for_members(f);

    start = now();
    if (f->mode == MODE_READ_ONLY) {
        start = run_reader(f, &bytes);
    } else {
        run_sender(f);
        bytes = (double)f->num_messages * (double)f->num_bytes;
    }
    end = now();

    printf("flooder: completed multicast of %ld messages, %ld bytes each.\n",
           f->num_messages, f->num_bytes);
    print_rate(f, end - start, bytes);
    fflush(stdout);
    SP_disconnect(f->mbox);
    return 0;
}
