/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * test_lib_replay: the machinery of the library's conformance replay
 * (tests/conformance/test_lib_vectors.c). The test plays the daemon of a
 * capture file: per connection letter it keeps a cursor into the file's
 * frames, checks each C> frame the library writes (byte for byte outside
 * the masks) and answers with the D> frames. Connect handshakes run
 * SP_connect in a helper thread; all waits are poll() deadlines.
 *
 * Every function fails the running Check test on a mismatch.
 */
#ifndef COHORT_TESTS_LIB_REPLAY_H
#define COHORT_TESTS_LIB_REPLAY_H

#include "sp.h"
#include "vec.h"
#include "test_lib_fake.h"

#define NLETTERS 26
#define LI(L) ((L) - 'A')

/* The scenario being replayed. */
struct replay_state {
    struct vec_file v;
    struct fake_daemon d;
    int dfd[NLETTERS];                  /* daemon end per letter */
    size_t cur[NLETTERS];               /* next frame index per letter */
    const struct vec_frame *last_d[NLETTERS];
    mailbox mb[NLETTERS];
    char group[NLETTERS][MAX_GROUP_NAME];
    char unix_path[108];
};

/* What the last SP_receive returned. */
struct replay_rx {
    int rc;
    service st;
    char sender[MAX_GROUP_NAME];
    int ng;
    char groups[120][MAX_GROUP_NAME];
    int16 mt;
    int em;
    char body[200000];
};

extern struct replay_state S;
extern struct replay_rx R;

#define JOINED (REG_MEMB_MESS | CAUSED_BY_JOIN)
#define LEFT (REG_MEMB_MESS | CAUSED_BY_LEAVE)
#define GONE (REG_MEMB_MESS | CAUSED_BY_DISCONNECT)
#define ALICE "#alice#localhost"
#define BOB "#bob#localhost"

void sc_load(const char *name);
const struct vec_frame *sc_peek(char L);
const struct vec_frame *sc_next(char L);
void sc_c(char L);
const struct vec_frame *sc_d(char L);
void sc_eof(char L);
int sc_connect_as(char L, const char *spread_name, const char *priv,
                  int prio, int memb);
int sc_connect(char L, const char *priv, int prio, int memb);
void sc_connect_ok(char L, const char *priv, int prio, int memb,
                   const char *group);
void sc_disconnect(char L);
void sc_end(void);
void sc_recv(char L, service in, int max_groups, int max_len, int rc,
             service st, const char *sender, int ng, int mt, int em);
void sc_rx(char L, int rc, service st, const char *sender, int ng,
           int mt, int em);
void check_group(int i, const char *name);
void check_body(const char *text);
void check_gid(const membership_info *mi, int g0, int g1, int g2);
void check_memb_sets(int g0, int g1, int g2, const char *changed,
                     int nsets, const char *const *members, int mine);
void check_memb(int index, const char *changed);
void mcast(char L, service st, const char *group, int16 mt,
           const char *body);
void join(char L, const char *group);
void leave(char L, const char *group);
void join_alone(char L, const char *group, const char *me);
void rx_data(char L, service st, const char *sender, int mt,
             const char *group, const char *body);
void self_leave(char L, const char *group);
void killed_multicast(char L, service st, int ngroups,
                      const char (*groups)[MAX_GROUP_NAME], int16 mt,
                      int len, const char *body);
void killed_send(char L, service st, const char *group, int16 mt, int len,
                 const char *body);
const char *next_body(char L, int *len);

#endif /* COHORT_TESTS_LIB_REPLAY_H */
