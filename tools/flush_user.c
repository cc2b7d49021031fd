/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 * flush_user: the interactive client of the flush layer (fl.h). One thread,
 * commands from standard input; unlike spuser it never reads the mailbox on
 * its own, since the layer runs only inside FL_receive and the user is meant
 * to decide when a flush round makes progress (`r`) and when this member
 * answers it (`f`). The lines listed in ../shared/spec/flush.md section 11
 * (and tools.md section 6) are read by test harnesses and follow upstream's
 * output exactly; menus and error texts are our own. */

#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fl.h"
#include "cli.h"

#define OPT_NAME_LEN 80         /* -u and -s buffers, as upstream */
#define MAX_MEMBERS 100         /* group slots offered to FL_receive */
#define MAX_RECEIVERS 9         /* `g`: receivers of one subgroup cast */
#define SEND_LINE_LEN 200       /* `s`, `g`: at most 199 characters */
#define CMD_LINE_LEN 1024

struct fuser {
    mailbox mbox;
    char private_group[MAX_GROUP_NAME];
    int sent;                   /* messages sent so far (burst numbering) */
    int burst_size;
    struct cli_linebuf in;
    /* receive side */
    char sender[MAX_GROUP_NAME];
    char groups[MAX_MEMBERS][MAX_GROUP_NAME];
    char *rbuf;                 /* CLI_MAX_MESSLEN + 1 */
    /* send side */
    char *sbuf;                 /* CLI_MAX_MESSLEN + 1 */
};

/* ---- output ------------------------------------------------------------ */

/* FL_error prints through the library; keep it ordered with our stdio. */
static void report(int err)
{
    cli_report(FL_error, err);
}

static void print_menu(void)
{
    cli_print_menu_head();
    printf("\ts <group> -- send one line to <group> (SAFE, type 1)\n"
           "\tg <group> -- send one line to 1..%d members of <group> (SAFE, type 0)\n"
           "\tb <group> -- send %d numbered FIFO messages of a chosen size\n"
           "\n"
           "\tr -- wait for one message and print it\n"
           "\tp -- tell whether anything is waiting\n"
           "\tf <group> -- answer the flush request of <group>\n"
           "\n"
           "\tq -- disconnect and exit\n",
           MAX_RECEIVERS, CLI_BURST_COUNT);
    fflush(stdout);
}

static void usage(void) __attribute__((noreturn));

static void usage(void)
{
    printf("Usage: flush_user\n"
           "\t[-u <user name>]   private name to ask the daemon for (default: user)\n"
           "\t[-s <spread name>] daemon to use: <port> (local socket) or <port>@<host> (default: 4803)\n");
    exit(0);
}

/* A 32-bit word of a view body, which the layer writes in our byte order. */
static int body_int(const char *p)
{
    int32_t v;

    memcpy(&v, p, sizeof(v));
    return (int)v;
}

/* A view built by the layer: members, then the body of fl.h's layout (id,
 * count, names), checked against the length before it is read. */
static void print_view(struct fuser *u, int len, service st, int num_groups,
                       int16 mess_type)
{
    int gid = FL_get_gid_offset_memb_mess();
    int nvs = FL_get_num_vs_offset_memb_mess();
    int vs = FL_get_vs_set_offset_memb_mess();
    int i, k;

    printf("Received REGULAR membership for group %s with %d members, "
           "where I am member %d:\n", u->sender, num_groups, mess_type);
    for (i = 0; i < num_groups && i < MAX_MEMBERS; i++)
        printf("\t%.*s\n", MAX_GROUP_NAME, u->groups[i]);
    if (len < vs) {
        printf("(view body of %d bytes is too short)\n", len);
        return;
    }
    printf("grp id is %d %d %d\n", body_int(u->rbuf + gid),
           body_int(u->rbuf + gid + 4), body_int(u->rbuf + gid + 8));
    k = body_int(u->rbuf + nvs);
    if (k < 0 || k > (len - vs) / MAX_GROUP_NAME) {
        printf("(view body of %d bytes cannot hold %d names)\n", len, k);
        return;
    }
    if (Is_caused_network_mess(st)) {
        printf("Due to NETWORK change. VS set has %d members:\n", k);
        for (i = 0; i < k; i++)
            printf("\t%.*s\n", MAX_GROUP_NAME,
                   u->rbuf + vs + i * MAX_GROUP_NAME);
        return;
    }
    if (k < 1)
        return;
    printf("Due to the %s of %.*s\n",
           Is_caused_join_mess(st) ? "JOIN" :
           Is_caused_leave_mess(st) ? "LEAVE" : "DISCONNECT",
           MAX_GROUP_NAME, u->rbuf + vs);
}

static void print_data(struct fuser *u, int len, service st, int num_groups,
                       int16 mess_type, int endian)
{
    int i;

    cli_print_data(u->sender, st, mess_type, endian, num_groups, len,
                   u->rbuf);
    if (!Is_subgroup_mess(st) || num_groups < 1 || num_groups > MAX_MEMBERS)
        return;
    /* The receivers, then the group the cast was made within. */
    printf("Received a subgroupcast message to group %.*s: receivers:\n",
           MAX_GROUP_NAME, u->groups[num_groups - 1]);
    for (i = 0; i < num_groups - 1; i++)
        printf("\t%.*s\n", MAX_GROUP_NAME, u->groups[i]);
}

static void print_block(struct fuser *u, int len, service st, int num_groups,
                        int16 mess_type, int endian)
{
    printf("\n" CLI_BLOCK_RULE "\n");
    if (Is_flush_req_mess(st)) {
        printf("received a FLUSH_REQ message for group %s\n", u->sender);
    } else if (Is_regular_mess(st)) {
        print_data(u, len, st, num_groups, mess_type, endian);
    } else if (Is_reg_memb_mess(st)) {
        print_view(u, len, st, num_groups, mess_type);
    } else if (Is_transition_mess(st)) {
        printf("received TRANSITIONAL membership for group %s\n", u->sender);
    } else if (Is_self_leave(st)) {
        printf("received membership message that left group %s\n",
               u->sender);
    } else {
        printf("received message of unknown message type 0x%x with ret %d\n",
               st, len);
    }
}

/* ---- commands ---------------------------------------------------------- */

static void quit(struct fuser *u) __attribute__((noreturn));

static void quit(struct fuser *u)
{
    printf("\nBye.\n");
    printf("Calling FL_disconnect(mbox = %d)\n", u->mbox);
    fflush(stdout);
    FL_disconnect(u->mbox);
    exit(0);
}

/* A send or flush failed: the group is not in the state the user thinks. */
static void fail(struct fuser *u, int err) __attribute__((noreturn));

static void fail(struct fuser *u, int err)
{
    report(err);
    quit(u);
}

static int do_receive(struct fuser *u, service *st, int *num_groups,
                      int16 *mess_type, int *endian, int *more)
{
    return FL_receive(u->mbox, st, u->sender, MAX_MEMBERS, num_groups,
                      u->groups, mess_type, endian, CLI_MAX_MESSLEN, u->rbuf,
                      more);
}

/* `r`: one blocking FL_receive. A message too large for our buffers is read
 * again cut to size, as spuser does. */
static void cmd_receive(void *ctx, const char *args)
{
    struct fuser *u = ctx;
    service st = 0;
    int num_groups = 0, endian = 0, more = 0, ret;
    int16 mess_type = 0;

    ret = do_receive(u, &st, &num_groups, &mess_type, &endian, &more);
    if (ret == BUFFER_TOO_SHORT || ret == GROUPS_TOO_SHORT) {
        printf("\n========Buffers or Groups too Short=======\n");
        st = DROP_RECV;
        ret = do_receive(u, &st, &num_groups, &mess_type, &endian, &more);
        if (ret == BUFFER_TOO_SHORT) {
            ret = CLI_MAX_MESSLEN;
        } else if (ret == GROUPS_TOO_SHORT) {
            /* The body length is not reported in this case. */
            num_groups = MAX_MEMBERS;
            u->rbuf[0] = '\0';
            ret = 0;
        }
    }
    if (ret < 0) {
        /* The layer has dropped the connection already. */
        printf("\n" CLI_BLOCK_RULE "\n");
        report(ret);
        printf(CLI_BLOCK_RULE "\n\nBye.\n");
        fflush(stdout);
        exit(0);
    }
    u->rbuf[ret <= CLI_MAX_MESSLEN ? ret : CLI_MAX_MESSLEN] = '\0';
    print_block(u, ret, st, num_groups, mess_type, endian);
    printf("There are %d buffered messages waiting to be delivered\n", more);
}

/* The group argument of a command, or NULL (with a message) if there is
 * none or it cannot be a group name. */
static const char *group_arg(const char *args, char *group)
{
    int len = cli_word(args, group, MAX_GROUP_NAME);

    if (len > 0)
        return group;
    if (len < 0)
        report(ILLEGAL_GROUP);
    else
        printf(" invalid group \n");
    return NULL;
}

static size_t prompt_line(struct fuser *u, const char *prompt, char *out,
                          size_t cap)
{
    printf("%s", prompt);
    fflush(stdout);
    return cli_read_line(&u->in, out, cap);
}

static void cmd_send(void *ctx, const char *args)
{
    struct fuser *u = ctx;
    char group[MAX_GROUP_NAME];
    size_t len;
    int ret;

    if (group_arg(args, group) == NULL)
        return;
    len = prompt_line(u, "enter message: ", u->sbuf, SEND_LINE_LEN);
    if (len == 0)
        return;                 /* end of input: the main loop quits */
    printf("user.c : multicasting message of size %zu:\n", len);
    printf("Message is:\n'%s'\n", u->sbuf);
    ret = FL_multicast(u->mbox, SAFE_MESS, group, 1, (int)len, u->sbuf);
    if (ret < 0)
        fail(u, ret);
    u->sent++;
}

static void cmd_subgroupcast(void *ctx, const char *args)
{
    struct fuser *u = ctx;
    char group[MAX_GROUP_NAME];
    char receivers[MAX_RECEIVERS][MAX_GROUP_NAME];
    char line[CMD_LINE_LEN];
    int i, n = 0, ret;
    size_t len;

    if (group_arg(args, group) == NULL)
        return;
    if (prompt_line(u, "enter number of receivers: ", line,
                    sizeof(line)) == 0)
        return;
    if (sscanf(line, "%d", &n) != 1 || n < 1 || n > MAX_RECEIVERS) {
        printf("the number of receivers must be 1 to %d\n", MAX_RECEIVERS);
        return;
    }
    memset(receivers, 0, sizeof(receivers));
    for (i = 0; i < n; i++) {
        printf("enter recvr %d: ", i + 1);
        if (prompt_line(u, "", line, sizeof(line)) == 0)
            return;
        if (cli_word(line, receivers[i], MAX_GROUP_NAME) <= 0) {
            printf("a receiver is a private group of at most %d characters\n",
                   MAX_GROUP_NAME - 1);
            return;
        }
    }
    len = prompt_line(u, "enter message: ", u->sbuf, SEND_LINE_LEN);
    if (len == 0)
        return;
    ret = FL_subgroupcast(u->mbox, SAFE_MESS, group, n, receivers, 0,
                          (int)len, u->sbuf);
    if (ret < 0)
        fail(u, ret);
    u->sent++;
}

static int burst_send(void *ctx, const char *group, const char *buf, int len)
{
    struct fuser *u = ctx;

    return FL_multicast(u->mbox, FIFO_MESS, group, 2, len, buf);
}

static void cmd_burst(void *ctx, const char *args)
{
    struct fuser *u = ctx;
    char group[MAX_GROUP_NAME];
    char line[CMD_LINE_LEN];
    int ret;

    if (group_arg(args, group) == NULL)
        return;
    if (prompt_line(u, "enter size of each message: ", line,
                    sizeof(line)) == 0)
        line[0] = '\0';
    ret = cli_burst(line, &u->burst_size, &u->sent, u->sbuf, group,
                    burst_send, u);
    if (ret < 0)
        fail(u, ret);
}

static void cmd_flush(void *ctx, const char *args)
{
    struct fuser *u = ctx;
    char group[MAX_GROUP_NAME];
    int ret;

    if (group_arg(args, group) == NULL)
        return;
    ret = FL_flush(u->mbox, group);
    /* Printed whatever the result, as upstream does. */
    printf("Sent a FLUSH_OK message to group '%s'\n", group);
    if (ret < 0)
        fail(u, ret);
}

static void cmd_join(void *ctx, const char *args)
{
    cli_group_call(((struct fuser *)ctx)->mbox, args, FL_join, FL_error);
}

static void cmd_leave(void *ctx, const char *args)
{
    cli_group_call(((struct fuser *)ctx)->mbox, args, FL_leave, FL_error);
}

static void cmd_poll(void *ctx, const char *args)
{
    struct fuser *u = ctx;

    printf("Polling says: %d\n", FL_poll(u->mbox));
}

static void cmd_quit(void *ctx, const char *args)
{
    quit(ctx);
}

static const struct cli_command commands[] = {
    { 'j', cmd_join }, { 'l', cmd_leave }, { 's', cmd_send },
    { 'g', cmd_subgroupcast }, { 'b', cmd_burst }, { 'r', cmd_receive },
    { 'p', cmd_poll }, { 'f', cmd_flush }, { 'q', cmd_quit }, { 0, NULL },
};

/* Runs one command line; end of input quits. */
static void run_command(struct fuser *u)
{
    int ret = cli_run_line(&u->in, commands, u);

    if (ret < 0)
        quit(u);
    if (ret > 0) {
        printf("\nNo such command.\n");
        print_menu();
    }
    cli_print_prompt();
}

/* ---- start-up ---------------------------------------------------------- */

int main(int argc, char **argv)
{
    static struct fuser user;
    struct fuser *u = &user;
    char name[OPT_NAME_LEN] = "user";
    char spread_name[OPT_NAME_LEN] = "4803";
    int i, major = 0, minor = 0, patch = 0, ret;

    /* Prefix matching, each option taking the next argument; a missing or
     * over-long value is a usage error (upstream crashes or overflows). */
    for (i = 1; i < argc; i++) {
        if (i + 1 >= argc)
            usage();
        if (strncmp(argv[i], "-u", 2) == 0)
            ret = cli_copy_opt(name, sizeof(name), argv[++i]);
        else if (strncmp(argv[i], "-s", 2) == 0)
            ret = cli_copy_opt(spread_name, sizeof(spread_name), argv[++i]);
        else
            ret = -1;
        if (ret < 0)
            usage();
    }

    u->rbuf = calloc(1, CLI_MAX_MESSLEN + 1);
    u->sbuf = calloc(1, CLI_MAX_MESSLEN + 1);
    if (u->rbuf == NULL || u->sbuf == NULL) {
        fprintf(stderr, "flush_user: out of memory\n");
        return 0;
    }

    FL_version(&major, &minor, &patch);
    printf("Flush library version is %d.%d.%d\n", major, minor, patch);
    fflush(stdout);

    ret = FL_connect(spread_name, name, 0, &u->mbox, u->private_group);
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
    for (;;)
        run_command(u);
}
