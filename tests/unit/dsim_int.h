/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * dsim internals shared by dsim.c (the loop, the daemons, the network,
 * the checks), dsim_client.c (the clients and their logs) and
 * dsim_scen.c (scenarios and options). See dsim.h.
 */
#ifndef COHORT_TESTS_DSIM_INT_H
#define COHORT_TESTS_DSIM_INT_H

#include <stddef.h>
#include <stdint.h>

#include "auth.h"
#include "clock.h"
#include "daemon.h"
#include "internal/wire.h"
#include "ev.h"
#include "log.h"
#include "net_fake.h"
#include "dsim.h"

#define DSIM_MONO0_MS 1000000ull            /* a booted host */
#define DSIM_WALL0_MS 1796598803000ll       /* the fake wall clock's start */

/* A growing text buffer (client logs, the fault timeline). */
struct dsim_buf {
    char *p;
    size_t len, cap;
};

enum dsim_act_kind {
    DSIM_A_KILL = 1, DSIM_A_RESTART, DSIM_A_SPLIT, DSIM_A_HEAL, DSIM_A_BLACK_ON,
    DSIM_A_BLACK_OFF, DSIM_A_CLIENT_KILL
};

struct dsim_act {
    uint64_t t;                     /* simulated ms */
    int kind;
    int who;                        /* KILL, RESTART */
    unsigned char comp[DSIM_MAX_DAEMONS];   /* SPLIT */
};

enum dsim_cstate {
    DC_HELLO = 1,                   /* connect message sent, wait the list */
    DC_ACCEPT,                      /* auth choice sent, wait the accept */
    DC_OPEN,
    DC_ENDED                        /* END written, socket closed */
};

struct dsim;

struct dsim_client {
    struct dsim *s;
    unsigned id;                    /* global: the private name "c<id>" */
    int daemon;
    unsigned inc;                   /* the daemon's incarnation */
    int fd;
    enum dsim_cstate state;
    char pg[32];                    /* private group, once accepted */
    const char *dest;               /* the group it sends to */
    int both;                       /* also joined the other group */
    int in_view;                    /* has a view of dest */
    struct dsim_buf in, out;        /* socket bytes */
    struct dsim_buf log;
    uint64_t start_ms;              /* connects then */
    uint64_t next_send_ms;
    uint32_t sent, own_back;
    int peer_gone;                  /* a write failed: read to the end */
};

struct dsim_daemon {
    struct dsim *s;
    int idx;
    struct daemon d;
    int up;
    unsigned inc;                   /* incarnation, from 1 */
    char dir[192];                  /* its unix socket's directory */
    struct log log;                 /* verbose: lines tagged with the
                                     * simulated time and the daemon */
    int at_line_start;
    /* The last view it applied (convergence). */
    int have_reg, in_trans;
    uint32_t memb_id, memb_time;
    int n_members;
};

struct dsim {
    struct dsim_opts o;
    struct dsim_result *res;
    uint64_t rng;
    uint64_t rng_kill;              /* client kills: their own stream, so
                                     * that adding them did not change
                                     * the other runs of a seed */
    struct clock_fake fc;
    struct ev ev;
    int ev_up;
    struct net_fake_hub hub;
    int hub_up;
    struct log log;
    struct auth auth;
    struct conf *conf;
    unsigned n;
    char dir[128];                  /* private temp dir, "" if none */
    struct dsim_daemon d[DSIM_MAX_DAEMONS];
    unsigned char comp[DSIM_MAX_DAEMONS];   /* partition component */
    int blackout;                   /* token ports unreachable */
    int token_loss;                 /* the script has a blackout */
    struct dsim_act *acts;
    unsigned nacts, next_act;
    uint64_t heal;                  /* the last fault ends */
    uint64_t traffic_end;           /* clients stop sending */
    struct dsim_client **cl;
    unsigned ncl, capcl;
    struct dsim_buf faults;         /* the fault timeline */
    unsigned char *scratch;         /* a message body being built */
    int failed;
};

/* dsim.c */
uint64_t dsim_rnd(struct dsim *s);
double dsim_rnd01(struct dsim *s);
unsigned dsim_below(struct dsim *s, unsigned n);
unsigned dsim_below_kill(struct dsim *s, unsigned n);  /* rng_kill */
uint64_t dsim_now(const struct dsim *s);        /* simulated ms */
int64_t dsim_wall_ms(const struct dsim *s);      /* log time stamps */
void dsim_fail(struct dsim *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void dsim_trace(struct dsim *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void dsim_printf(struct dsim_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void dsim_append(struct dsim_buf *b, const void *p, size_t len);
void dsim_consume(struct dsim_buf *b, size_t len);

/* dsim_client.c */
/* A new client of daemon i (its current incarnation), connecting at
 * `at`. */
int dsim_client_new(struct dsim *s, int i, uint64_t at);
/* Read everything ready, answer, send what is due. Returns 1 if it did
 * something (the loop must then not let time pass yet). */
int dsim_client_step(struct dsim_client *c, int readable);
/* The earliest time the client wants to act (UINT64_MAX: never). */
uint64_t dsim_client_next(const struct dsim_client *c);
/* Converged: open, in a view of its group, every own message back and
 * nothing left to write. */
int dsim_client_settled(const struct dsim_client *c);
/* Killed: the connection closes with no KILL and no END (the log of a
 * client killed with SIGKILL is a prefix). */
void dsim_client_kill(struct dsim_client *c);
/* End of the run: disconnect and log END quit. */
void dsim_client_quit(struct dsim_client *c);
void dsim_client_free(struct dsim_client *c);

/* dsim_scen.c */
int dsim_script(struct dsim *s);
int dsim_act_apply(struct dsim *s, const struct dsim_act *a);

/* dsim.c, for the scenarios */
int dsim_daemon_up(struct dsim *s, int i);
void dsim_daemon_kill(struct dsim *s, int i);
void dsim_timeline(struct dsim *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif /* COHORT_TESTS_DSIM_INT_H */
