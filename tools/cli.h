/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 * cli: what the interactive tools (spuser, sptuser, flush_user) share:
 * reading command lines from standard input without stdio buffering, the
 * option and argument checks, and the output lines that test harnesses
 * parse, which must read the same in every tool (../shared/spec/tools.md
 * section 3). Nothing here keeps state beyond the caller's structs, and
 * nothing here talks to the daemon: sends go through a callback so that
 * the SP_* and the FL_* tools can share the burst command. */
#ifndef COHORT_TOOLS_CLI_H
#define COHORT_TOOLS_CLI_H

#include <stddef.h>

#include "sp.h"

#define CLI_BLOCK_RULE "============================"
#define CLI_MAX_MESSLEN 102400  /* largest body the tools send or print */
#define CLI_BURST_COUNT 10

/* Standard input, read by hand so that poll() on descriptor 0 never misses
 * lines that stdio would already have buffered. Zero-initialise. */
struct cli_linebuf {
    char buf[4096];
    size_t len;
    int eof;
};

/* One read(2) into the buffer (blocks); sets eof at the end of input. */
void cli_lb_fill(struct cli_linebuf *lb);
/* True when cli_read_line() can return without blocking. */
int cli_lb_ready(const struct cli_linebuf *lb);
/* Blocks for one line and copies at most cap - 1 bytes of it, newline
 * included, NUL-terminated, into out; the rest of an over-long line is
 * dropped. Returns the number of bytes copied, 0 at the end of input. */
size_t cli_read_line(struct cli_linebuf *lb, char *out, size_t cap);

/* Copies an option value into dst; -1 (dst untouched) if it does not fit,
 * which the tools treat as a usage error. */
int cli_copy_opt(char *dst, size_t cap, const char *val);

/* The first blank-separated word of args into out (cap bytes). Returns
 * its length, 0 if there is none, -1 if it does not fit. */
int cli_word(const char *args, char *out, size_t cap);

/* Prints an error through the library's printer (SP_error, FL_error),
 * keeping its line in order with our stdio output. */
void cli_report(void (*print)(int), int err);

/* The `j` and `l` commands: call(mbox, group) with the first word of args
 * (over-long names go to the library, which refuses them); errors are
 * printed through print. */
void cli_group_call(mailbox mbox, const char *args,
                    int (*call)(mailbox, const char *), void (*print)(int));

/* The name of the first service bit set in st, as the message lines
 * print it (SAFE if none of the others). */
const char *cli_service_kind(service st);

/* The two lines of a received data message, as spuser prints them. */
void cli_print_data(const char *sender, service st, int16 mess_type,
                    int endian, int num_groups, int len, const char *body);

/* The head of every tool's menu, with the join and leave entries. */
void cli_print_menu_head(void);

/* The prompt: an empty line, then "User> " without a newline; flushed. */
void cli_print_prompt(void);

/* The burst command: parses the size answer in line (a non-number keeps
 * *size; clamped to 0..CLI_MAX_MESSLEN), then sends CLI_BURST_COUNT
 * numbered messages of *size bytes from buf (at least CLI_MAX_MESSLEN
 * bytes, zeros beyond what is written here) through send, counting them
 * in *sent and printing a line for each. Returns 0, or the first negative
 * result of send (the rest are not sent). */
/* Commands, dispatched by the first character of the line; the handler
 * gets the argument text (from the third character on, or ""). */
struct cli_command {
    char key;
    void (*run)(void *ctx, const char *args);
};

/* Reads one command line (blocking) and runs the entry of table (ended by
 * key 0) that it selects. Returns 0 when one ran, 1 for a line no entry
 * matches, -1 at the end of input. */
int cli_run_line(struct cli_linebuf *lb, const struct cli_command *table,
                 void *ctx);

typedef int (*cli_send_fn)(void *ctx, const char *group, const char *buf,
                           int len);
int cli_burst(const char *line, int *size, int *sent, char *buf,
              const char *group, cli_send_fn send, void *ctx);

#endif /* COHORT_TOOLS_CLI_H */
