/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 * spuser and sptuser: the interactive test client. One source, two builds:
 * spuser watches standard input and the mailbox with poll() in one thread;
 * sptuser (built with -DSPTUSER) prints incoming messages from a reader
 * thread while the main thread reads commands. The message and membership
 * blocks are read by test harnesses, so their text follows upstream's
 * output exactly, typos included (../shared/spec/tools.md section 3). */

#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef SPTUSER
#include <pthread.h>
#endif

#include "sp.h"
#include "cli.h"

#define OPT_NAME_LEN 80         /* -u and -s buffers, as upstream */
#define OPT_AUTH_USER_LEN 33    /* -n */
#define OPT_AUTH_PASS_LEN 9     /* -p */
#define MAX_MESSLEN CLI_MAX_MESSLEN
#define MAX_MEMBERS 100         /* groups per message / members listed */
#define MAX_VSSETS 10
#define MAX_DESTS 10            /* destinations of one `s`/`m` command */
#define SEND_LINE_LEN 200       /* `s`: at most 199 characters are sent */
#define CMD_LINE_LEN 1024
#define BURST_GROUP "dummy_group_name"
#define BLOCK_RULE CLI_BLOCK_RULE

struct user {
    mailbox mbox;
    char private_group[MAX_GROUP_NAME];
    int async_read;             /* spuser: print messages as they arrive */
    int quitting;               /* set before our own disconnect */
    int sent;                   /* messages sent so far (burst numbering) */
    int burst_size;
    struct cli_linebuf in;
    /* receive side */
    char sender[MAX_GROUP_NAME];
    char groups[MAX_MEMBERS][MAX_GROUP_NAME];
    char *rbuf;                 /* MAX_MESSLEN + 1 */
    /* send side */
    char *sbuf;                 /* MAX_MESSLEN + 1 */
#ifdef SPTUSER
    pthread_mutex_t out_lock;   /* one writer of stdout at a time */
#endif
};

#ifdef SPTUSER
static void out_lock(struct user *u) { pthread_mutex_lock(&u->out_lock); }
static void out_unlock(struct user *u) { pthread_mutex_unlock(&u->out_lock); }
#else
static void out_lock(struct user *u) { (void)u; }
static void out_unlock(struct user *u) { (void)u; }
#endif

/* ---- output ------------------------------------------------------------ */

/* SP_error prints through the library; keep it ordered with our stdio. */
static void report(int err)
{
    cli_report(SP_error, err);
}

static void print_menu(void)
{
    cli_print_menu_head();
    printf("\ts <group> ... -- send one line to up to %d groups\n"
           "\tm <group> ... -- send several lines as one message; an empty line ends it\n"
           "\tb [<group>] -- send %d numbered messages of a chosen size\n"
           "\n",
           MAX_DESTS, CLI_BURST_COUNT);
#ifndef SPTUSER
    printf("\tr -- wait for one message and print it\n"
           "\tp -- show how many bytes are waiting to be read\n"
           "\te -- print messages as soon as they arrive (default)\n"
           "\td -- leave messages queued until `r'\n"
           "\n");
#endif
    printf("\tq -- disconnect and exit\n");
    fflush(stdout);
}

static void usage(void)
{
    printf("Usage: spuser\n"
           "\t[-u <user name>]   private name to ask the daemon for (default: user)\n"
           "\t[-s <spread name>] daemon to use: <port> (local socket) or <port>@<host> (default: 4803)\n"
           "\t[-n <auth user>]   user name for password authentication (accepted, not used)\n"
           "\t[-p <password>]    password for password authentication (accepted, not used)\n"
           "\t[-r]               let the daemon pick a random private name\n");
    exit(0);
}

static void print_vs_sets(struct user *u)
{
    vs_set_info sets[MAX_VSSETS];
    unsigned int my_set = 0, i, j;
    int nsets, nmemb;

    nsets = SP_get_vs_sets_info(u->rbuf, sets, MAX_VSSETS, &my_set);
    if (nsets < 0) {
        report(nsets);
        return;
    }
    for (i = 0; i < (unsigned int)nsets; i++) {
        printf("%s VS set %u has %u members:\n",
               i == my_set ? "LOCAL" : "OTHER", i, sets[i].num_members);
        nmemb = SP_get_vs_set_members(u->rbuf, &sets[i], u->groups,
                                      MAX_MEMBERS);
        if (nmemb < 0) {
            report(nmemb);
            continue;
        }
        for (j = 0; j < (unsigned int)nmemb; j++)
            printf("\t%.*s\n", MAX_GROUP_NAME, u->groups[j]);
    }
}

static void print_membership(struct user *u, service st, int num_groups,
                             int16 mess_type)
{
    membership_info info;
    int i, shown, ret;

    if (Is_reg_memb_mess(st)) {
        shown = num_groups < 0 ? MAX_MEMBERS : num_groups;
        printf("Received REGULAR membership for group %s with %d members, "
               "where I am member %d:\n",
               u->sender, num_groups < 0 ? -num_groups : num_groups,
               mess_type);
        for (i = 0; i < shown; i++)
            printf("\t%.*s\n", MAX_GROUP_NAME, u->groups[i]);
        ret = SP_get_memb_info(u->rbuf, st, &info);
        if (ret < 0) {
            report(ret);
            return;
        }
        printf("grp id is %d %d %d\n", info.gid.id[0], info.gid.id[1],
               info.gid.id[2]);
        if (Is_caused_join_mess(st)) {
            printf("Due to the JOIN of %s\n", info.changed_member);
        } else if (Is_caused_leave_mess(st)) {
            printf("Due to the LEAVE of %s\n", info.changed_member);
        } else if (Is_caused_disconnect_mess(st)) {
            printf("Due to the DISCONNECT of %s\n", info.changed_member);
        } else if (Is_caused_network_mess(st)) {
            printf("Due to NETWORK change with %u VS sets\n",
                   info.num_vs_sets);
            print_vs_sets(u);
        }
    } else if (Is_transition_mess(st)) {
        printf("received TRANSITIONAL membership for group %s\n", u->sender);
    } else if (Is_caused_leave_mess(st)) {
        printf("received membership message that left group %s\n",
               u->sender);
    } else {
        printf("received incorrecty membership message of type 0x%x\n", st);
    }
}

static void print_block(struct user *u, int ret, service st, int num_groups,
                        int16 mess_type, int endian)
{
    int ngroups = num_groups < 0 ? -num_groups : num_groups;

    printf("\n" BLOCK_RULE "\n");
    if (Is_regular_mess(st)) {
        cli_print_data(u->sender, st, mess_type, endian, ngroups, ret,
                       u->rbuf);
    } else if (Is_membership_mess(st)) {
        print_membership(u, st, num_groups, mess_type);
    } else if (Is_reject_mess(st)) {
        printf("REJECTED message from %s, of servicetype 0x%x messtype %d, "
               "(endian %d) to %d groups \n(%d bytes): %s\n",
               u->sender, st, mess_type, endian, ngroups, ret, u->rbuf);
    } else {
        printf("received message of unknown message type 0x%x with ret %d\n",
               st, ret);
    }
}

/* ---- receiving --------------------------------------------------------- */

static void quit(struct user *u) __attribute__((noreturn));

static void quit(struct user *u)
{
    u->quitting = 1;
    SP_disconnect(u->mbox);
    printf("\nBye.\n");
    fflush(stdout);
    exit(0);
}

/* The session is gone under us: say so and leave (status 0, as upstream). */
static void lost_session(int err) __attribute__((noreturn));

static void lost_session(int err)
{
    report(err);
    printf("\n" BLOCK_RULE "\n\nBye.\n");
    fflush(stdout);
    exit(0);
}

static int do_receive(struct user *u, service *st, int *num_groups,
                      int16 *mess_type, int *endian)
{
    return SP_receive(u->mbox, st, u->sender, MAX_MEMBERS, num_groups,
                      u->groups, mess_type, endian, MAX_MESSLEN, u->rbuf);
}

/* Receives one message (blocking) and prints its block and a new prompt.
 * In sptuser this runs on the reader thread and takes the output lock only
 * once the message is in. */
static void read_message(struct user *u)
{
    service st = 0;
    int num_groups = 0, endian = 0, ret, quitting;
    int16 mess_type = 0;

    ret = do_receive(u, &st, &num_groups, &mess_type, &endian);
    out_lock(u);
    if (ret == BUFFER_TOO_SHORT || ret == GROUPS_TOO_SHORT) {
        printf("\n========Buffers or Groups too Short=======\n");
        out_unlock(u);
        st = DROP_RECV;
        ret = do_receive(u, &st, &num_groups, &mess_type, &endian);
        out_lock(u);
        if (ret == BUFFER_TOO_SHORT)    /* body cut to our buffer */
            ret = MAX_MESSLEN;
    }
    quitting = u->quitting;
    if (ret < 0) {
        if (quitting) {
            out_unlock(u);
            return;
        }
        lost_session(ret);
    }
    u->rbuf[ret <= MAX_MESSLEN ? ret : MAX_MESSLEN] = '\0';
    print_block(u, ret, st, num_groups, mess_type, endian);
    cli_print_prompt();
    out_unlock(u);
}

#ifdef SPTUSER
static void *reader_main(void *arg)
{
    struct user *u = arg;

    for (;;)
        read_message(u);
    return NULL;
}
#endif

/* ---- commands ---------------------------------------------------------- */

/* Reads the answer to a prompt. sptuser lets the reader thread print while
 * we wait for the user, then takes the output lock back. */
static size_t prompt_read(struct user *u, char *out, size_t cap)
{
    fflush(stdout);
    if (!cli_lb_ready(&u->in)) {
        out_unlock(u);
        while (!cli_lb_ready(&u->in))
            cli_lb_fill(&u->in);
        out_lock(u);
    }
    return cli_read_line(&u->in, out, cap);
}

/* Splits the argument text of a command into at most `max` group names.
 * Returns the number found, or -1 if one is too long for a group name. */
static int parse_groups(const char *args, char groups[][MAX_GROUP_NAME],
                        int max)
{
    int n = 0;
    size_t len;

    while (n < max) {
        args += strspn(args, " \t\r\n");
        len = strcspn(args, " \t\r\n");
        if (len == 0)
            break;
        if (len >= MAX_GROUP_NAME)
            return -1;
        memset(groups[n], 0, MAX_GROUP_NAME);
        memcpy(groups[n], args, len);
        args += len;
        n++;
    }
    return n;
}

/* Common tail of `s` and `m`: one SAFE message of type 1. */
static void send_text(struct user *u, int ngroups,
                      char groups[][MAX_GROUP_NAME], int len)
{
    int ret;

    ret = SP_multigroup_multicast(u->mbox, SAFE_MESS, ngroups,
                                  (const char (*)[MAX_GROUP_NAME])groups, 1,
                                  len, u->sbuf);
    if (ret < 0) {
        report(ret);
        quit(u);
    }
    u->sent++;
}

static int read_dests(const char *args, char groups[][MAX_GROUP_NAME])
{
    int n = parse_groups(args, groups, MAX_DESTS);

    if (n <= 0) {
        if (n < 0)
            report(ILLEGAL_GROUP);
        else
            printf(" invalid group \n");
    }
    return n;
}

static void cmd_send(void *ctx, const char *args)
{
    struct user *u = ctx;
    char groups[MAX_DESTS][MAX_GROUP_NAME];
    int n;
    size_t len;

    n = read_dests(args, groups);
    if (n <= 0)
        return;
    printf("enter message: ");
    fflush(stdout);
    len = prompt_read(u, u->sbuf, SEND_LINE_LEN);
    if (len == 0)
        return;                 /* end of input: the main loop quits */
    send_text(u, n, groups, (int)len);
}

static void cmd_multiline(void *ctx, const char *args)
{
    struct user *u = ctx;
    char groups[MAX_DESTS][MAX_GROUP_NAME];
    char line[CMD_LINE_LEN];
    size_t len, total = 0, room;
    int n;

    n = read_dests(args, groups);
    if (n <= 0)
        return;
    printf("enter message: ");
    fflush(stdout);
    for (;;) {
        len = prompt_read(u, line, sizeof(line));
        if (len == 0 || strcmp(line, "\n") == 0)
            break;
        room = MAX_MESSLEN - total;
        if (len > room)
            len = room;         /* keep reading, but send only 100 KiB */
        memcpy(u->sbuf + total, line, len);
        total += len;
    }
    send_text(u, n, groups, (int)total);
}

static int burst_send(void *ctx, const char *group, const char *buf, int len)
{
    struct user *u = ctx;

    return SP_multicast(u->mbox, FIFO_MESS, group, 2, len, buf);
}

static void cmd_burst(void *ctx, const char *args)
{
    struct user *u = ctx;
    char group[MAX_GROUP_NAME];
    char line[CMD_LINE_LEN];
    int len, ret;

    len = cli_word(args, group, sizeof(group));
    if (len == 0) {
        snprintf(group, sizeof(group), "%s", BURST_GROUP);
    } else if (len < 0) {
        report(ILLEGAL_GROUP);
        return;
    }
    printf("enter size of each message: ");
    fflush(stdout);
    if (prompt_read(u, line, sizeof(line)) == 0)
        line[0] = '\0';
    ret = cli_burst(line, &u->burst_size, &u->sent, u->sbuf, group,
                    burst_send, u);
    if (ret < 0) {
        report(ret);
        quit(u);
    }
}

/* The command table: handlers take the struct user as ctx. */
static void cmd_join(void *ctx, const char *args)
{
    cli_group_call(((struct user *)ctx)->mbox, args, SP_join, SP_error);
}

static void cmd_leave(void *ctx, const char *args)
{
    cli_group_call(((struct user *)ctx)->mbox, args, SP_leave, SP_error);
}

static void cmd_quit(void *ctx, const char *args)
{
    quit(ctx);
}

#ifndef SPTUSER
static void cmd_receive(void *ctx, const char *args)
{
    read_message(ctx);
}

static void cmd_poll(void *ctx, const char *args)
{
    struct user *u = ctx;

    printf("Polling sais: %d\n", SP_poll(u->mbox));
}

static void cmd_async_on(void *ctx, const char *args)
{
    ((struct user *)ctx)->async_read = 1;
}

static void cmd_async_off(void *ctx, const char *args)
{
    ((struct user *)ctx)->async_read = 0;
}
#endif

static const struct cli_command commands[] = {
    { 'j', cmd_join }, { 'l', cmd_leave }, { 's', cmd_send },
    { 'm', cmd_multiline }, { 'b', cmd_burst },
#ifndef SPTUSER
    { 'r', cmd_receive }, { 'p', cmd_poll },
    { 'e', cmd_async_on }, { 'd', cmd_async_off },
#endif
    { 'q', cmd_quit }, { 0, NULL },
};

/* Runs one command line; end of input quits. */
static void run_command(struct user *u)
{
    int ret = cli_run_line(&u->in, commands, u);

    if (ret < 0)
        quit(u);
    if (ret > 0) {
        printf("\nUnknown commnad\n");
        print_menu();
    }
    cli_print_prompt();
}

#ifdef SPTUSER
static void run(struct user *u)
{
    pthread_t reader;
    int err;

    err = pthread_create(&reader, NULL, reader_main, u);
    if (err != 0) {
        fprintf(stderr, "sptuser: cannot start the reader thread: %s\n",
                strerror(err));
        quit(u);
    }
    for (;;) {
        /* Commands block in read_line() without holding the output lock;
         * the lock is taken only around each complete command. */
        while (!cli_lb_ready(&u->in))
            cli_lb_fill(&u->in);
        out_lock(u);
        run_command(u);
        out_unlock(u);
    }
}
#else
static void run(struct user *u)
{
    struct pollfd pfd[2];
    int nfds;

    for (;;) {
        pfd[0].fd = STDIN_FILENO;
        pfd[0].events = POLLIN;
        pfd[0].revents = 0;
        pfd[1].fd = u->mbox;
        pfd[1].events = POLLIN;
        pfd[1].revents = 0;
        nfds = u->async_read ? 2 : 1;
        if (poll(pfd, (nfds_t)nfds, cli_lb_ready(&u->in) ? 0 : -1) < 0) {
            if (errno == EINTR)
                continue;
            perror("spuser: poll");
            quit(u);
        }
        if (nfds == 2 && pfd[1].revents != 0)
            read_message(u);
        if (pfd[0].revents != 0 && !cli_lb_ready(&u->in))
            cli_lb_fill(&u->in);
        if (cli_lb_ready(&u->in))
            run_command(u);
    }
}
#endif

/* ---- start-up ---------------------------------------------------------- */

/* Bounded copy of an option value; an over-long value is a usage error. */
static void copy_opt(char *dst, size_t cap, const char *val, const char *opt)
{
    if (cli_copy_opt(dst, cap, val) < 0) {
        printf("spuser: the value of %s is longer than %zu characters\n",
               opt, cap - 1);
        usage();
    }
}

int main(int argc, char **argv)
{
    static struct user user;
    struct user *u = &user;
    char name[OPT_NAME_LEN] = "user";
    char spread_name[OPT_NAME_LEN] = "4803";
    char auth_user[OPT_AUTH_USER_LEN] = "";
    char auth_pass[OPT_AUTH_PASS_LEN] = "";
    sp_time timeout = { 5, 0 };
    int i, random_name = 0, major = 0, minor = 0, patch = 0, ret;

    for (i = 1; i < argc; i++) {
        const char *a = argv[i];

        if (strncmp(a, "-r", 2) == 0) {
            random_name = 1;
            continue;
        }
        if (i + 1 >= argc)
            usage();
        if (strncmp(a, "-u", 2) == 0)
            copy_opt(name, sizeof(name), argv[++i], "-u");
        else if (strncmp(a, "-s", 2) == 0)
            copy_opt(spread_name, sizeof(spread_name), argv[++i], "-s");
        else if (strncmp(a, "-n", 2) == 0)
            copy_opt(auth_user, sizeof(auth_user), argv[++i], "-n");
        else if (strncmp(a, "-p", 2) == 0)
            copy_opt(auth_pass, sizeof(auth_pass), argv[++i], "-p");
        else
            usage();
    }
    /* Password authentication is not built in (as in upstream's default
     * build): -n and -p are accepted for compatibility and not used. */
    (void)auth_user;
    (void)auth_pass;

    u->async_read = 1;
    u->rbuf = calloc(1, MAX_MESSLEN + 1);
    u->sbuf = calloc(1, MAX_MESSLEN + 1);
    if (u->rbuf == NULL || u->sbuf == NULL) {
        fprintf(stderr, "spuser: out of memory\n");
        return 0;
    }
#ifdef SPTUSER
    pthread_mutex_init(&u->out_lock, NULL);
#endif

    SP_version(&major, &minor, &patch);
    printf("Spread library version is %d.%d.%d\n", major, minor, patch);
    fflush(stdout);

    ret = SP_connect_timeout(spread_name, random_name ? "" : name, 0, 1,
                             &u->mbox, u->private_group, timeout);
    if (ret < 0) {
        report(ret);
        printf("\nBye.\n");
        fflush(stdout);
        return 0;
    }
    printf("User: connected to %s with private group %s\n", spread_name,
           u->private_group);
    print_menu();
    cli_print_prompt();
    run(u);
    return 0;
}
