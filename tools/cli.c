/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 * cli: the pieces the interactive tools share (see cli.h). */

#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

void cli_lb_fill(struct cli_linebuf *lb)
{
    ssize_t n;

    if (lb->eof || lb->len == sizeof(lb->buf))
        return;
    do {
        n = read(STDIN_FILENO, lb->buf + lb->len, sizeof(lb->buf) - lb->len);
    } while (n < 0 && errno == EINTR);
    if (n <= 0)
        lb->eof = 1;
    else
        lb->len += (size_t)n;
}

int cli_lb_ready(const struct cli_linebuf *lb)
{
    return lb->eof || lb->len == sizeof(lb->buf) ||
           memchr(lb->buf, '\n', lb->len) != NULL;
}

static void lb_consume(struct cli_linebuf *lb, size_t n)
{
    memmove(lb->buf, lb->buf + n, lb->len - n);
    lb->len -= n;
}

size_t cli_read_line(struct cli_linebuf *lb, char *out, size_t cap)
{
    char *nl;
    size_t take, n;

    while (!cli_lb_ready(lb))
        cli_lb_fill(lb);
    if (lb->len == 0)
        return 0;
    nl = memchr(lb->buf, '\n', lb->len);
    take = nl != NULL ? (size_t)(nl - lb->buf) + 1 : lb->len;
    n = take < cap - 1 ? take : cap - 1;
    memcpy(out, lb->buf, n);
    out[n] = '\0';
    lb_consume(lb, take);
    while (nl == NULL && !lb->eof) {        /* skip the tail of the line */
        cli_lb_fill(lb);
        nl = memchr(lb->buf, '\n', lb->len);
        lb_consume(lb, nl != NULL ? (size_t)(nl - lb->buf) + 1 : lb->len);
    }
    return n;
}

int cli_copy_opt(char *dst, size_t cap, const char *val)
{
    size_t len = strlen(val);

    if (len >= cap)
        return -1;
    memcpy(dst, val, len + 1);
    return 0;
}

int cli_word(const char *args, char *out, size_t cap)
{
    size_t len;

    args += strspn(args, " \t\r\n");
    len = strcspn(args, " \t\r\n");
    if (len >= cap)
        return -1;
    memcpy(out, args, len);
    out[len] = '\0';
    return (int)len;
}

void cli_report(void (*print)(int), int err)
{
    fflush(stdout);
    print(err);
    fflush(stdout);
}

void cli_group_call(mailbox mbox, const char *args,
                    int (*call)(mailbox, const char *), void (*print)(int))
{
    char group[1024];
    int ret;

    if (cli_word(args, group, sizeof(group)) <= 0) {
        printf(" invalid group \n");
        return;
    }
    ret = call(mbox, group);
    if (ret < 0)
        cli_report(print, ret);
}

const char *cli_service_kind(service st)
{
    if (Is_unreliable_mess(st))
        return "UNRELIABLE";
    if (Is_reliable_mess(st))
        return "RELIABLE";
    if (Is_fifo_mess(st))
        return "FIFO";
    if (Is_causal_mess(st))
        return "CAUSAL";
    if (Is_agreed_mess(st))
        return "AGREED";
    return "SAFE";
}

void cli_print_data(const char *sender, service st, int16 mess_type,
                    int endian, int num_groups, int len, const char *body)
{
    printf("received %s message from %s, of type %d, (endian %d) "
           "to %d groups \n(%d bytes): %s\n",
           cli_service_kind(st), sender, mess_type, endian, num_groups,
           len, body);
}

void cli_print_menu_head(void)
{
    printf("\n==========\n"
           "User Menu:\n"
           "----------\n"
           "\n"
           "\tj <group> -- become a member of <group>\n"
           "\tl <group> -- stop being a member of <group>\n"
           "\n");
}

void cli_print_prompt(void)
{
    printf("\nUser> ");
    fflush(stdout);
}

int cli_run_line(struct cli_linebuf *lb, const struct cli_command *table,
                 void *ctx)
{
    char line[1024];
    size_t len = cli_read_line(lb, line, sizeof(line));

    if (len == 0)
        return -1;
    for (; table->key != 0; table++) {
        if (table->key == line[0]) {
            table->run(ctx, len > 2 ? line + 2 : "");
            return 0;
        }
    }
    return 1;
}

int cli_burst(const char *line, int *size, int *sent, char *buf,
              const char *group, cli_send_fn send, void *ctx)
{
    int i, n, ret;

    if (line != NULL && sscanf(line, "%d", &n) == 1)
        *size = n < 0 ? 0 : n > CLI_MAX_MESSLEN ? CLI_MAX_MESSLEN : n;
    printf("sending %d messages of %d bytes\n", CLI_BURST_COUNT, *size);
    for (i = 1; i <= CLI_BURST_COUNT; i++) {
        /* "mess num <k> ", its NUL, then zeros up to the size. */
        memset(buf, 0, 64);
        snprintf(buf, 64, "mess num %d ", *sent + 1);
        ret = send(ctx, group, buf, *size);
        if (ret < 0) {
            memset(buf, 0, 64);
            return ret;
        }
        (*sent)++;
        printf("sent message %d (total %d)\n", i, *sent);
    }
    memset(buf, 0, 64);
    return 0;
}
