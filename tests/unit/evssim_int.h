/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * evssim internals shared by evssim.c (engine: heap, network, nodes,
 * checks) and evssim_scen.c (clients, scenarios, options).
 */
#ifndef COHORT_TESTS_EVSSIM_INT_H
#define COHORT_TESTS_EVSSIM_INT_H

#include <stdint.h>

#include "clock.h"
#include "ring/pkt.h"
#include "evssim.h"
#include "simnet.h"

#define ESIM_MAGIC 0x4d495345u      /* "ESIM" */
/* Header, one group name, magic, payload id and length. */
#define ESIM_MIN_MSG (PKT_MSG_HEADER_LEN + PKT_GROUP_NAME + 16)
#define ESIM_MAX_MSG 143200
#define ESIM_RETRY_MS 5

/* Payload id: node index, incarnation, counter. */
#define ESIM_PID(node, inc, k) \
    (((uint64_t)(node) << 48) | ((uint64_t)(inc) << 32) | (uint64_t)(k))
#define ESIM_PID_NODE(p) ((unsigned)((p) >> 48))
#define ESIM_PID_INC(p) ((unsigned)(((p) >> 32) & 0xffffu))

enum { ESIM_DGRAM = 1, ESIM_SUBMIT, ESIM_ACT };

enum esim_act_kind {
    ESIM_KILL = 1, ESIM_RESTART, ESIM_SPLIT, ESIM_HEAL, ESIM_BLACK_ON,
    ESIM_BLACK_OFF
};

struct esim_act {
    int kind;
    int who;                        /* KILL, RESTART */
    unsigned char comp[EVSSIM_MAX_DAEMONS];   /* SPLIT */
};

struct esim;

struct esim_clock {
    struct clock clock;             /* first: the node reads through it */
    struct esim *s;
    int64_t ahead_s;                /* wall offset of this incarnation */
};

struct esim_node {
    struct esim *s;
    int idx;
    int up;
    unsigned inc;                   /* incarnation, from 1 */
    int log;                        /* evslog of this incarnation */
    struct node *node;
    struct esim_clock clk;
    enum pkt_order order;
    /* Client. */
    uint32_t ctr;
    int retry_pending;
    /* What the node delivered lately, for the convergence test. */
    int have_reg, in_trans;
    struct pkt_mid reg;
    unsigned reg_n;
    uint64_t since_reg, accepted, self_got;
};

struct conf;
struct evslog;

struct esim {
    struct evssim_opts o;
    struct evssim_result *res;
    struct simnet net;              /* every random draw, the events */
    uint64_t now;
    unsigned n;
    struct conf *conf;
    struct esim_node d[EVSSIM_MAX_DAEMONS];
    unsigned char comp[EVSSIM_MAX_DAEMONS];   /* component per node */
    int blackout;                   /* every token dropped */
    struct esim_act *acts;
    unsigned nacts;
    uint64_t heal;                  /* the last fault ends */
    uint64_t traffic_end;           /* clients stop submitting */
    struct evslog *log;
    unsigned char *enc, *buf;
    struct pkt *pkt;
    int failed;
};

void esim_fail(struct esim *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void esim_trace(struct esim *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Events (struct simnet_ev): kind ESIM_*; SUBMIT: arg = the client's
 * incarnation, token_port = 1 for a retry; ACT: arg = index in s->acts.
 * Fails the run on no memory. */
int esim_push(struct esim *s, struct simnet_ev e);

int esim_node_up(struct esim *s, int i);
void esim_node_kill(struct esim *s, int i);

/* evssim_scen.c */
int esim_script(struct esim *s);
void esim_act(struct esim *s, const struct simnet_ev *e);
int esim_client_start(struct esim *s, int i);
void esim_client_run(struct esim *s, const struct simnet_ev *e);
/* A delivered message: 0 and its payload id, or -1 if it is not one a
 * client built (bytes checked against the pattern of its id). */
int esim_msg_check(struct esim *s, const unsigned char *msg, size_t len,
                   uint64_t *pid);

#endif /* COHORT_TESTS_EVSSIM_INT_H */
